use chrono::TimeDelta;

use super::batch_id;
use super::fake::{Fake, Lookup};
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::sending::{MAYBE_SENT, RateUnit, Recovered, SendingError, Swept, sweep};

impl Fake {
    async fn sweep(&self) -> Swept {
        sweep(self, self, self, self, self, self).await.unwrap()
    }
}

#[tokio::test]
async fn a_sweep_fails_texts_stuck_sending_and_completes_the_batch() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[5]);
    fake.state().lookup = Lookup::Unknowable;
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    fake.send(&jobs[..2]).await;
    // A sender that stops between publishing and recording.
    fake.state().fail_mark_sent = 1;
    let crashed = fake.send_in(&jobs[2..], RateUnit::Texts).await;
    assert!(matches!(crashed, Err(SendingError::Port(_))));
    let texts_before = fake.texts_per_recipient();

    fake.advance(TimeDelta::minutes(1));
    let early = fake.sweep().await;
    assert_eq!(
        (early.batches, early.recovered, early.completed),
        (1, Recovered::default(), 0)
    );

    fake.advance(TimeDelta::minutes(15));
    let late = fake.sweep().await;
    assert_eq!(late.recovered.failed, 3);
    assert_eq!(late.completed, 1);
    for seq in 2..5 {
        let record = fake.record(seq);
        assert_eq!(record.status, RecipientStatus::TechnicalFailure);
        assert_eq!(record.reason.as_deref(), Some(MAYBE_SENT));
    }
    assert_eq!(
        fake.texts_per_recipient(),
        texts_before,
        "nothing sent again"
    );
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::Completed
    );
    assert_eq!(fake.sweep().await, Swept::default());
}

#[tokio::test]
async fn a_batch_with_waves_still_to_come_is_not_completed() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2, 2]);
    fake.release(1).await.unwrap();
    fake.send_queue().await;
    let swept = fake.sweep().await;
    assert_eq!((swept.batches, swept.completed), (1, 0));
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::Sending
    );
}

#[tokio::test]
async fn a_text_left_sending_in_a_cancelled_batch_is_settled_too() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3]);
    fake.state().lookup = Lookup::Unknowable;
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    // Published as the cancel came, and the sender died before recording it.
    fake.state().fail_mark_sent = 1;
    let crashed = fake.send_in(&jobs[..1], RateUnit::Texts).await;
    assert!(matches!(crashed, Err(SendingError::Port(_))));
    fake.cancel().await.unwrap();
    assert_eq!(fake.status(0), RecipientStatus::Sending);

    fake.advance(TimeDelta::minutes(16));
    let swept = fake.sweep().await;
    assert_eq!((swept.batches, swept.recovered.failed), (0, 1));
    assert_eq!(fake.status(0), RecipientStatus::TechnicalFailure);
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::Cancelled
    );
}
