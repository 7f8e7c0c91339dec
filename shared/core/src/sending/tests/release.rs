use super::fake::Fake;
use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::sending::{Release, SendingError};

#[tokio::test]
async fn a_release_queues_exactly_the_waves_queued_recipients() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3, 4, 2]);
    // Wave 2 is seqs 3..7; one of them was cancelled, one is already sent.
    fake.set_status(4, RecipientStatus::Cancelled);
    fake.set_status(6, RecipientStatus::Sent);

    assert_eq!(fake.release(2).await.unwrap(), Release::Queued(2));
    assert_eq!(fake.take_jobs(), [3, 5]);
    assert_eq!(fake.wave_status(2), WaveStatus::Released);
    assert_eq!(fake.wave_status(1), WaveStatus::Pending);
    assert_eq!(fake.wave_status(3), WaveStatus::Pending);
    assert_eq!(fake.batch_status(), BatchStatus::Sending);
    // Releasing queues; it does not send.
    assert_eq!(fake.texts(), 0);
    assert_eq!(fake.status(3), RecipientStatus::Queued);

    // The next wave leaves the batch sending.
    assert_eq!(fake.release(3).await.unwrap(), Release::Queued(2));
    assert_eq!(fake.take_jobs(), [7, 8]);
    assert_eq!(fake.batch_status(), BatchStatus::Sending);
    assert_eq!(fake.texts(), 0);
}

#[tokio::test]
async fn a_wave_fired_twice_is_queued_once() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3]);
    assert_eq!(fake.release(1).await.unwrap(), Release::Queued(3));
    assert_eq!(
        fake.release(1).await.unwrap(),
        Release::AlreadyDone(WaveStatus::Released)
    );
    assert_eq!(fake.take_jobs(), [0, 1, 2]);

    // And however often the jobs arrive, each text goes once.
    assert_eq!(fake.send(&[0, 1, 2]).await.sent, 3);
    assert_eq!(
        fake.release(1).await.unwrap(),
        Release::AlreadyDone(WaveStatus::Released)
    );
    assert!(fake.take_jobs().is_empty());
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1]);
}

#[tokio::test]
async fn a_wave_left_releasing_is_finished_by_the_next_release() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[2, 3]);
    // An earlier release stopped after moving the wave on and queuing one job.
    fake.set_wave_status(2, WaveStatus::Releasing);
    fake.state().jobs.push_back((super::batch_id(), 2));

    assert_eq!(fake.release(2).await.unwrap(), Release::Queued(3));
    assert_eq!(fake.wave_status(2), WaveStatus::Released);
    // Seq 2 is queued twice, but sent once.
    let jobs = fake.take_jobs();
    assert_eq!(jobs, [2, 2, 3, 4]);
    let outcome = fake.send(&jobs).await;
    assert_eq!((outcome.sent, outcome.skipped), (3, 1));
    assert_eq!(fake.texts_per_recipient(), [0, 0, 1, 1, 1]);
}

#[tokio::test]
async fn a_cancelled_wave_releases_nothing() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2, 2]);
    fake.set_wave_status(1, WaveStatus::Cancelled);
    assert_eq!(
        fake.release(1).await.unwrap(),
        Release::AlreadyDone(WaveStatus::Cancelled)
    );
    assert_eq!(fake.wave_status(1), WaveStatus::Cancelled);
    assert!(fake.take_jobs().is_empty());
    assert_eq!(fake.batch_status(), BatchStatus::Scheduled);
    assert_eq!(fake.texts(), 0);
}

#[tokio::test]
async fn releasing_a_wave_that_does_not_exist_is_an_error() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2]);
    let result = fake.release(2).await;
    assert!(
        matches!(result, Err(SendingError::NoSuchWave { wave: 2, .. })),
        "{result:?}"
    );
    assert!(fake.take_jobs().is_empty());
    assert_eq!(fake.batch_status(), BatchStatus::Scheduled);
}
