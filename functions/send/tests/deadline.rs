//! The send function stops in time for its deadline (issue 12, case 6),
//! against moto: a low rate and a deadline that leaves room for two texts
//! after the margin. The clock is the `Clock` port, moved on by the rate
//! limiter's wait, so the test is as slow as moto, not as the rate.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use batchmsg_aws::sqs::SendJob;
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::Clock;
use batchmsg_send::handle;
use chrono::{TimeDelta, TimeZone, Utc};
use common::{TestClock, failures, job, setup, sqs_event, timing};

#[tokio::test]
async fn a_send_hands_back_what_it_cannot_finish_before_its_deadline() {
    let setup = setup(2).await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
    let clock = TestClock(Arc::new(Mutex::new(t0)));
    // A text every 10 s: a stack rate of 0.4 shared by 4 instances.
    let interval = Duration::from_secs(10);
    let timing = timing(interval);
    let sending = setup.paced(setup.repos.clone(), &clock, timing);
    // Room for 2.5 texts' waits before the margin.
    let margin = timing.calls.margin(interval, 1);
    let deadline = t0 + TimeDelta::from_std(margin + Duration::from_secs(25)).unwrap();
    let event = sqs_event(&[("m-1", &job(0..4)), ("m-2", &job(4..8))]);
    let response = handle(&sending, event, deadline).await.unwrap();

    // Texts 0 and 1 went (their waits ended at +10 s and +20 s); text 2's
    // wait ended at +30 s, past the stop: not started, back to `queued`.
    // The second job never started. Both messages are done, and the texts
    // not started are in one new message.
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(setup.texts(), 2);
    use RecipientStatus::{Queued, Sent};
    assert_eq!(
        setup.statuses().await[..8],
        [Sent, Sent, Queued, Queued, Queued, Queued, Queued, Queued],
        "nothing is left `sending`"
    );
    assert_eq!(
        setup.queued_jobs().await,
        [SendJob {
            batch: setup.batch.clone(),
            seqs: vec![2, 3, 4, 5, 6, 7]
        }]
    );
    // It returned at once after the stop, long before the deadline.
    let returned_at = clock.now();
    assert_eq!(returned_at, t0 + TimeDelta::seconds(30));
    assert!(returned_at < deadline);
}

#[tokio::test]
async fn a_deadline_that_allows_nothing_returns_the_messages_to_sqs() {
    let setup = setup(1).await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
    let clock = TestClock(Arc::new(Mutex::new(t0)));
    let interval = Duration::from_secs(10);
    let timing = timing(interval);
    let sending = setup.paced(setup.repos.clone(), &clock, timing);
    // A timeout shorter than the margin: handing back would loop for ever.
    let deadline = t0 + TimeDelta::seconds(60);
    let response = handle(&sending, sqs_event(&[("m-1", &job(0..4))]), deadline)
        .await
        .unwrap();
    assert_eq!(failures(&response), ["m-1"]);
    assert_eq!(setup.texts(), 0);
    assert!(setup.queued_jobs().await.is_empty());
    assert_eq!(setup.statuses().await[..4], [RecipientStatus::Queued; 4]);
}
