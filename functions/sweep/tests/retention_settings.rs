//! `BATCHMSG_RETENTION_DAYS`: required, a whole number of days in bounds,
//! refused by name; and when a run stops stamping.

use batchmsg_sweep::retention::{LONGEST_STAMPING, STOP_BEFORE_DEADLINE};
use batchmsg_sweep::{RETENTION_DAYS_VARIABLE, retention_from, stamping_deadline};
use chrono::{TimeDelta, TimeZone, Utc};

fn read(value: Option<&str>) -> Result<i64, String> {
    retention_from(|name| {
        assert_eq!(name, RETENTION_DAYS_VARIABLE);
        value.map(str::to_owned)
    })
    .map(|days| days.days())
    .map_err(|e| e.to_string())
}

#[test]
fn the_retention_is_required_and_read_in_days() {
    assert_eq!(read(Some("90")), Ok(90));
    assert_eq!(read(Some(" 30 ")), Ok(30));
    assert_eq!(read(Some("1")), Ok(1));
    assert_eq!(read(Some("3650")), Ok(3650));
    let missing = read(None).unwrap_err();
    assert!(
        missing.contains("BATCHMSG_RETENTION_DAYS is not set") && missing.contains("default 90"),
        "{missing}"
    );
}

#[test]
fn a_retention_out_of_bounds_or_not_in_days_is_refused_by_name() {
    for bad in ["0", "-5", "3651", "90d", "", "ninety", "1e3"] {
        let error = read(Some(bad)).unwrap_err();
        assert!(
            error.starts_with("BATCHMSG_RETENTION_DAYS is")
                && error.contains("a whole number of days from 1 to 3650"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn stamping_stops_before_the_invocation_ends_and_within_the_schedule() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    // A one-minute function: stop 15 s before its end.
    assert_eq!(
        stamping_deadline(now, now + TimeDelta::seconds(60)),
        now + TimeDelta::seconds(60) - STOP_BEFORE_DEADLINE
    );
    // A fifteen-minute function: stop within the five-minute schedule.
    assert_eq!(
        stamping_deadline(now, now + TimeDelta::minutes(15)),
        now + LONGEST_STAMPING
    );
    assert!(LONGEST_STAMPING < TimeDelta::minutes(5));
}
