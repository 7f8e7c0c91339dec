use chrono::TimeDelta;

use super::batch_id;
use super::fake::{Fake, Lookup};
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::ports::{BatchRepo, RecipientRepo};
use crate::sending::{MAYBE_SENT, RateUnit, Recovered, SendingError, SweepTimes, Swept, sweep};

impl Fake {
    async fn sweep(&self) -> Swept {
        sweep(self, self, self, self, self, self, &SweepTimes::default())
            .await
            .unwrap()
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

    fake.advance(SweepTimes::default().stuck_after);
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

    fake.advance(TimeDelta::minutes(1));
    let early = fake.sweep().await;
    assert_eq!((early.recovered.failed, early.closed), (0, 0));
    assert!(
        fake.state().open.contains(&batch_id()),
        "a text may still move: the batch stays open"
    );

    fake.advance(SweepTimes::default().stuck_after);
    let swept = fake.sweep().await;
    assert_eq!(
        (swept.batches, swept.recovered.failed, swept.closed),
        (0, 1, 1)
    );
    assert_eq!(fake.status(0), RecipientStatus::TechnicalFailure);
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::Cancelled
    );
    assert!(fake.state().open.is_empty());
    assert_eq!(fake.sweep().await, Swept::default());
}

#[tokio::test]
async fn a_completed_batch_leaves_the_open_batches() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2]);
    assert!(fake.state().open.is_empty(), "scheduled is not swept");
    fake.release(1).await.unwrap();
    assert!(fake.state().open.contains(&batch_id()));
    fake.send_queue().await;
    assert_eq!(fake.sweep().await.completed, 1);
    assert!(fake.state().open.is_empty());
    assert_eq!(fake.sweep().await, Swept::default());
}

#[tokio::test]
async fn a_text_queued_again_in_a_cancelled_batch_is_cancelled_before_the_close() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2]);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    // One sender stops between publishing and recording; another stops
    // after claiming, before publishing: the provider never got that one.
    fake.state().fail_mark_sent = 1;
    assert!(fake.send_in(&jobs[..1], RateUnit::Texts).await.is_err());
    let now = fake.state().now;
    fake.claim(&batch_id(), &jobs[1..], now).await.unwrap();
    fake.cancel().await.unwrap();

    let swept = fake.sweep().await;
    assert_eq!((swept.recovered.sent, swept.recovered.requeued), (1, 1));
    assert_eq!(swept.closed, 1);
    assert_eq!(fake.status(0), RecipientStatus::Sent);
    assert_eq!(fake.status(1), RecipientStatus::Cancelled);
    assert!(fake.state().open.is_empty());
    assert_eq!(fake.texts_per_recipient(), vec![1, 0]);
}

#[tokio::test]
async fn closing_applies_only_to_a_cancelled_batch() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[1]);
    assert!(!fake.close(&batch_id()).await.unwrap());
    assert!(fake.state().open.contains(&batch_id()));
    let cancelled = Fake::with_batch(BatchStatus::Cancelled, &[1]);
    assert!(cancelled.close(&batch_id()).await.unwrap());
    assert!(
        !cancelled.close(&batch_id()).await.unwrap(),
        "already closed"
    );
    // A cancel that leaves nothing waiting closes the batch itself.
    fake.cancel().await.unwrap();
    assert!(fake.state().open.is_empty());
    let nobody = "20261125-090000-ffff".parse().unwrap();
    assert!(!fake.close(&nobody).await.unwrap());
}
