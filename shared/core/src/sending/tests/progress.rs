use super::fake::Fake;
use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::sending::SendingError;

#[tokio::test]
async fn a_batch_completes_only_when_every_wave_is_out_and_nothing_waits() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2, 2]);
    assert!(!fake.finish().await, "not sending yet");

    fake.release(1).await.unwrap();
    assert!(!fake.finish().await, "wave 1's texts are queued");
    fake.send_queue().await;
    assert!(!fake.finish().await, "wave 2 is pending");

    fake.release(2).await.unwrap();
    let jobs = fake.take_jobs();
    // A sender stops after publishing, before recording.
    fake.state().fail_mark_sent = 1;
    let result = fake.send_in(&jobs, crate::sending::RateUnit::Texts).await;
    assert!(result.is_err());
    assert_eq!(fake.status(2), RecipientStatus::Sending);
    assert!(!fake.finish().await, "texts are still sending");

    fake.recover().await;
    assert_eq!(fake.batch_status(), BatchStatus::Sending);
    assert!(fake.finish().await);
    assert_eq!(fake.batch_status(), BatchStatus::Completed);
    assert!(!fake.finish().await, "completed once");
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1]);
}

#[tokio::test]
async fn cancelled_waves_and_failed_texts_do_not_hold_a_batch_open() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2, 2, 1]);
    fake.state().refuse.insert(1, "Blocked".into());
    fake.release(1).await.unwrap();
    fake.send_queue().await;
    fake.set_wave_status(2, WaveStatus::Releasing);
    assert!(!fake.finish().await, "wave 2 is being released");
    fake.set_wave_status(2, WaveStatus::Cancelled);
    assert!(!fake.finish().await, "wave 3 is pending");
    fake.set_wave_status(3, WaveStatus::Cancelled);
    // Wave 2 and 3's recipients are still queued.
    assert!(!fake.finish().await);
    for seq in 2..5 {
        fake.set_status(seq, RecipientStatus::Cancelled);
    }
    assert!(fake.finish().await);
    assert_eq!(fake.batch_status(), BatchStatus::Completed);
    assert_eq!(fake.texts_per_recipient(), [1, 0, 0, 0, 0]);
}

#[tokio::test]
async fn a_cancelled_batch_is_not_completed() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2, 2]);
    fake.release(1).await.unwrap();
    fake.send_queue().await;
    fake.cancel().await.unwrap();
    // Nothing is left to send, but the batch stays cancelled.
    assert!(fake.progress().await.nothing_left_to_send());
    assert!(!fake.finish().await);
    assert_eq!(fake.batch_status(), BatchStatus::Cancelled);
}

#[tokio::test]
async fn progress_counts_the_batch_and_each_wave() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3, 2]);
    fake.state().refuse.insert(2, "Blocked".into());
    fake.release(1).await.unwrap();
    fake.send_queue().await;

    let progress = fake.progress().await;
    assert_eq!(progress.batch.status, BatchStatus::Sending);
    assert_eq!(progress.counts.total(), 5);
    assert_eq!(progress.counts.get(RecipientStatus::Sent), 2);
    assert_eq!(progress.counts.get(RecipientStatus::TechnicalFailure), 1);
    assert_eq!(progress.counts.get(RecipientStatus::Queued), 2);
    assert_eq!(progress.counts.waiting(), 2);
    assert_eq!(
        progress.counts.reasons,
        [(
            RecipientStatus::TechnicalFailure,
            "The SMS provider refused it: Blocked".to_owned(),
            1
        )]
    );
    assert!(!progress.nothing_left_to_send());

    let waves: Vec<(u32, WaveStatus, u64, u64, u64)> = progress
        .waves
        .iter()
        .map(|w| {
            (
                w.wave.number,
                w.wave.status,
                w.counts.get(RecipientStatus::Sent),
                w.counts.get(RecipientStatus::TechnicalFailure),
                w.counts.waiting(),
            )
        })
        .collect();
    assert_eq!(
        waves,
        [
            (1, WaveStatus::Released, 2, 1, 0),
            (2, WaveStatus::Pending, 0, 0, 2)
        ]
    );
    assert_eq!(progress.waves[1].counts.total(), 2);
}

#[tokio::test]
async fn progress_of_an_unknown_batch_is_no_such_batch() {
    let fake = Fake::new();
    let result = crate::sending::progress(&fake, &fake, &fake, &super::batch_id()).await;
    assert!(
        matches!(result, Err(SendingError::NoSuchBatch(_))),
        "{result:?}"
    );
    let result = crate::sending::finish_if_done(&fake, &fake, &fake, &super::batch_id()).await;
    assert!(
        matches!(result, Err(SendingError::NoSuchBatch(_))),
        "{result:?}"
    );
}
