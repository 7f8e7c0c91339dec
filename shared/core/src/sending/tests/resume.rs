use super::batch_id;
use super::fake::Fake;
use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::sending::{RateUnit, Recovered, Resumed, SendingError, resume_batch};

async fn resume(fake: &Fake) -> Resumed {
    resume_batch(fake, fake, fake, fake, fake, fake, &batch_id())
        .await
        .unwrap()
}

#[tokio::test]
async fn resuming_settles_texts_left_sending_and_finishes_a_stopped_release() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3, 2, 2]);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    // The sender stops after the provider took 0 and 1, before recording.
    fake.state().fail_mark_sent = 1;
    let crashed = fake.send_in(&jobs[..2], RateUnit::Texts).await;
    assert!(matches!(crashed, Err(SendingError::Port(_))), "{crashed:?}");
    // Wave 2's release stopped part way; wave 3 is not due.
    fake.set_wave_status(2, WaveStatus::Releasing);

    assert_eq!(
        resume(&fake).await,
        Resumed {
            recovered: Recovered {
                sent: 2,
                ..Recovered::default()
            },
            releases_finished: 1,
            cancelled: 0,
        }
    );
    assert_eq!(fake.status(0), RecipientStatus::Sent);
    assert_eq!(fake.status(1), RecipientStatus::Sent);
    assert_eq!(fake.wave_status(2), WaveStatus::Released);
    assert_eq!(fake.wave_status(3), WaveStatus::Pending);
    // Wave 2's recipients have their jobs; with the jobs the stopped sender
    // had taken, every due text goes exactly once.
    fake.state()
        .jobs
        .extend(jobs.iter().map(|&s| (batch_id(), s)));
    let outcome = fake.send_queue().await;
    assert_eq!((outcome.sent, outcome.skipped), (3, 2));
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1, 1, 0, 0]);

    // Nothing left to resume.
    assert_eq!(resume(&fake).await, Resumed::default());
}
