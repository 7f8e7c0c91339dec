//! The sweep's times from its environment: the stuck rule follows the send
//! function's timeout (issue 12, case 11), the lost-job rule is the
//! template's to set (case 7).

use std::collections::HashMap;

use batchmsg_core::sending::SweepTimes;
use batchmsg_sweep::{REQUEUE_AFTER_VARIABLE, SEND_TIMEOUT_VARIABLE, times_from};
use chrono::TimeDelta;

fn times(vars: &[(&str, &str)]) -> Result<SweepTimes, String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    times_from(|name| vars.get(name).cloned()).map_err(|e| e.to_string())
}

#[test]
fn unset_the_send_timeout_is_lambdas_longest_and_texts_are_stuck_after_it_and_a_margin() {
    let times = times(&[]).unwrap();
    assert_eq!(times, SweepTimes::default());
    assert_eq!(times.stuck_after, TimeDelta::seconds(900 + 120));
    assert_eq!(times.requeue_after, TimeDelta::hours(3));
    assert_eq!(times.release_after, TimeDelta::minutes(15));
}

#[test]
fn the_stuck_rule_follows_the_send_timeout() {
    let times = times(&[
        (SEND_TIMEOUT_VARIABLE, "300"),
        (REQUEUE_AFTER_VARIABLE, "7200"),
    ])
    .unwrap();
    assert_eq!(times.stuck_after, TimeDelta::seconds(420));
    assert_eq!(times.requeue_after, TimeDelta::hours(2));
}

#[test]
fn settings_that_cannot_hold_are_refused_by_name() {
    for (vars, variable) in [
        (vec![(SEND_TIMEOUT_VARIABLE, "901")], SEND_TIMEOUT_VARIABLE),
        (vec![(SEND_TIMEOUT_VARIABLE, "0")], SEND_TIMEOUT_VARIABLE),
        (vec![(SEND_TIMEOUT_VARIABLE, "15m")], SEND_TIMEOUT_VARIABLE),
        (vec![(REQUEUE_AFTER_VARIABLE, "-5")], REQUEUE_AFTER_VARIABLE),
        (
            vec![
                (SEND_TIMEOUT_VARIABLE, "900"),
                (REQUEUE_AFTER_VARIABLE, "600"),
            ],
            REQUEUE_AFTER_VARIABLE,
        ),
        // Found by the review: one visibility timeout is the least, and
        // 136 years is a typo that would leave lost jobs for ever.
        (
            vec![
                (SEND_TIMEOUT_VARIABLE, "900"),
                (REQUEUE_AFTER_VARIABLE, "900"),
            ],
            REQUEUE_AFTER_VARIABLE,
        ),
        (
            vec![(REQUEUE_AFTER_VARIABLE, "4294967295")],
            REQUEUE_AFTER_VARIABLE,
        ),
    ] {
        let error = times(&vars).unwrap_err();
        assert!(error.starts_with(variable), "{error}");
    }
}
