use chrono::TimeDelta;

use super::fake::{CANCELLED, Fake, t0};
use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::sending::{Cancelled, Release, SendingError};

#[tokio::test]
async fn cancel_stops_pending_waves_and_every_queued_text() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3, 2, 2]);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    assert_eq!(jobs, [0, 1, 2]);
    // Two of wave 1's texts went; the third's job is still to come.
    assert_eq!(fake.send(&jobs[..2]).await.sent, 2);
    let sent: Vec<_> = (0..2).map(|seq| fake.record(seq)).collect();

    fake.advance(TimeDelta::minutes(3));
    assert_eq!(
        fake.cancel().await.unwrap(),
        Cancelled {
            waves: 2,
            texts: 5,
            already: false
        }
    );
    assert_eq!(fake.batch_status(), BatchStatus::Cancelled);
    assert_eq!(fake.wave_status(1), WaveStatus::Released);
    assert_eq!(fake.wave_status(2), WaveStatus::Cancelled);
    assert_eq!(fake.wave_status(3), WaveStatus::Cancelled);
    // The released wave's schedule is the scheduler's to remove when it fires.
    assert_eq!(fake.scheduled(), [1]);

    // Texts already sent are untouched.
    for (seq, before) in (0..2).zip(&sent) {
        assert_eq!(&fake.record(seq), before);
    }
    for seq in 2..7 {
        let record = fake.record(seq);
        assert_eq!(record.status, RecipientStatus::Cancelled, "seq {seq}");
        assert_eq!(record.reason.as_deref(), Some(CANCELLED));
        assert_eq!(record.receipt_at, Some(t0() + TimeDelta::minutes(3)));
    }

    // The leftover job and a late firing of a cancelled wave send nothing.
    let outcome = fake.send(&jobs[2..]).await;
    assert_eq!((outcome.sent, outcome.skipped), (0, 1));
    assert_eq!(
        fake.release(2).await.unwrap(),
        Release::AlreadyDone(WaveStatus::Cancelled)
    );
    assert!(fake.take_jobs().is_empty());
    assert_eq!(fake.texts_per_recipient(), [1, 1, 0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn a_text_being_sent_when_the_batch_is_cancelled_still_goes() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[2]);
    fake.set_status(1, RecipientStatus::Sending);
    assert_eq!(
        fake.cancel().await.unwrap(),
        Cancelled {
            waves: 1,
            texts: 1,
            already: false
        }
    );
    assert_eq!(fake.status(0), RecipientStatus::Cancelled);
    assert_eq!(fake.status(1), RecipientStatus::Sending);
}

#[tokio::test]
async fn a_completed_batch_cannot_be_cancelled() {
    let status = BatchStatus::Completed;
    let fake = Fake::with_batch(status, &[2]);
    let result = fake.cancel().await;
    match result {
        Err(SendingError::WrongState {
            status: got, doing, ..
        }) => assert_eq!((got, doing), (status, "cancelled")),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.batch_status(), status);
    assert_eq!(fake.wave_status(1), WaveStatus::Pending);
    assert_eq!(fake.scheduled(), [1]);
    assert_eq!(fake.statuses(), [RecipientStatus::Queued; 2]);
}

/// A cancel that stopped after the batch moved (or whose answer was lost)
/// left its texts and waves: cancelling again finishes it.
#[tokio::test]
async fn cancelling_a_cancelled_batch_finishes_what_a_stopped_cancel_left() {
    let fake = Fake::with_batch(BatchStatus::Cancelled, &[2]);
    assert_eq!(
        fake.cancel().await.unwrap(),
        Cancelled {
            waves: 1,
            texts: 2,
            already: true
        }
    );
    assert_eq!(fake.wave_status(1), WaveStatus::Cancelled);
    assert!(fake.scheduled().is_empty());
    assert_eq!(fake.statuses(), [RecipientStatus::Cancelled; 2]);
    assert_eq!(
        fake.cancel().await.unwrap(),
        Cancelled {
            already: true,
            ..Cancelled::default()
        }
    );
}

/// A resumed batch that a stopped cancel left with queued texts has them
/// cancelled, and is closed.
#[tokio::test]
async fn resuming_a_cancelled_batch_cancels_what_was_left_queued() {
    let fake = Fake::with_batch(BatchStatus::Cancelled, &[3]);
    fake.state().open.insert(super::batch_id());
    let resumed =
        crate::sending::resume_batch(&fake, &fake, &fake, &fake, &fake, &fake, &super::batch_id())
            .await
            .unwrap();
    assert_eq!(resumed.cancelled, 3);
    assert_eq!(fake.statuses(), [RecipientStatus::Cancelled; 3]);
    assert!(!fake.state().open.contains(&super::batch_id()));
}

#[tokio::test]
async fn cancelling_an_unknown_batch_is_no_such_batch() {
    let fake = Fake::new();
    let result = fake.cancel().await;
    assert!(
        matches!(&result, Err(SendingError::NoSuchBatch(id)) if *id == super::batch_id()),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_validated_batch_is_cancelled_before_any_wave() {
    let fake = Fake::with_recipients(BatchStatus::Validated, 3);
    assert_eq!(
        fake.cancel().await.unwrap(),
        Cancelled {
            waves: 0,
            texts: 3,
            already: false
        }
    );
    assert_eq!(fake.batch_status(), BatchStatus::Cancelled);
    assert_eq!(fake.statuses(), [RecipientStatus::Cancelled; 3]);
}

#[tokio::test]
async fn a_text_throttled_after_the_cancel_is_cancelled_when_it_comes_back() {
    use crate::ports::RecipientRepo;
    let fake = Fake::with_batch(BatchStatus::Sending, &[2]);
    // Another sender has claimed text 1 when the batch is cancelled…
    fake.set_status(1, RecipientStatus::Sending);
    fake.cancel().await.unwrap();
    // …and the provider throttles it, so it goes back to `queued`.
    fake.requeue(&super::batch_id(), &[1]).await.unwrap();
    assert_eq!(fake.status(1), RecipientStatus::Queued);

    let outcome = fake.send(&[1]).await;
    assert_eq!((outcome.sent, outcome.cancelled), (0, 1));
    assert_eq!(fake.status(1), RecipientStatus::Cancelled);
    assert_eq!(fake.record(1).reason.as_deref(), Some(CANCELLED));
    assert_eq!(fake.texts(), 0);
}
