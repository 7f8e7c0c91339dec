use chrono::TimeDelta;

use super::fake::{Fake, Lookup, t0};
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::sending::{MAYBE_SENT, Recovered, STUCK_AFTER, SendingError};

/// Sends `seqs` with a sender that stops after publishing, before recording
/// anything: everything it claimed is left `sending`.
async fn send_and_crash(fake: &Fake, seqs: &[u32]) {
    fake.state().stopped_before_recording = true;
    let result = fake.send_in(seqs, crate::sending::RateUnit::Texts).await;
    fake.state().stopped_before_recording = false;
    assert!(matches!(result, Err(SendingError::Port(_))), "{result:?}");
}

#[tokio::test]
async fn a_provider_that_knows_settles_texts_left_sending() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[5]);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    // The provider takes 0 and 1, throttles 2; 3 is never tried, and the
    // sender stops before recording any of it. 4's job has not come yet.
    fake.throttle_in(2);
    send_and_crash(&fake, &jobs[..4]).await;
    assert_eq!(fake.statuses()[..4], [RecipientStatus::Sending; 4]);
    assert_eq!(fake.texts_per_recipient(), [1, 1, 0, 0, 0]);

    assert_eq!(
        fake.recover().await,
        Recovered {
            sent: 2,
            requeued: 2,
            failed: 0
        }
    );
    for seq in 0..2 {
        let record = fake.record(seq);
        assert_eq!(record.status, RecipientStatus::Sent);
        assert_eq!(record.provider_id, fake.provider_id(seq));
        assert_eq!(record.sent_at, Some(t0()));
    }
    assert_eq!(fake.status(2), RecipientStatus::Queued);
    assert_eq!(fake.status(3), RecipientStatus::Queued);
    // Queued again and given a job again.
    assert_eq!(fake.state().jobs.len(), 2);

    // The queue now holds the recovered jobs; the old jobs come again too.
    fake.state()
        .jobs
        .extend(jobs.iter().map(|&s| (super::batch_id(), s)));
    let outcome = fake.send_queue().await;
    assert_eq!((outcome.sent, outcome.skipped), (3, 4));
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1, 1]);
    assert!(fake.statuses().iter().all(|s| *s == RecipientStatus::Sent));
    // Nothing more to recover.
    assert_eq!(fake.recover().await, Recovered::default());
}

#[tokio::test]
async fn a_provider_that_cannot_tell_fails_only_texts_stuck_too_long() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[5]);
    fake.state().lookup = Lookup::Unknowable;
    send_and_crash(&fake, &[0, 1]).await;
    fake.advance(TimeDelta::minutes(10));
    send_and_crash(&fake, &[2, 3]).await;
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1, 0]);

    // 16 minutes after the first claims, 6 after the second.
    fake.advance(TimeDelta::minutes(6));
    assert_eq!(
        fake.recover().await,
        Recovered {
            failed: 2,
            ..Recovered::default()
        }
    );
    for seq in 0..2 {
        let record = fake.record(seq);
        assert_eq!(record.status, RecipientStatus::TechnicalFailure);
        assert_eq!(record.reason.as_deref(), Some(MAYBE_SENT));
        assert_eq!(record.receipt_at, Some(t0() + TimeDelta::minutes(16)));
    }
    assert_eq!(fake.status(2), RecipientStatus::Sending);
    assert_eq!(fake.status(3), RecipientStatus::Sending);
    assert_eq!(fake.status(4), RecipientStatus::Queued);
    assert!(fake.take_jobs().is_empty(), "nothing is queued again");

    // Exactly STUCK_AFTER is not yet stuck; a moment later it is.
    fake.advance(STUCK_AFTER - TimeDelta::minutes(6));
    assert_eq!(fake.recover().await, Recovered::default());
    fake.advance(TimeDelta::seconds(1));
    assert_eq!(fake.recover().await.failed, 2);

    // A failed text is never sent again.
    let outcome = fake.send(&[0, 1, 2, 3, 4]).await;
    assert_eq!((outcome.sent, outcome.skipped), (1, 4));
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1, 1]);
}

#[tokio::test]
async fn nothing_sending_is_nothing_to_recover() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[2]);
    fake.send(&[0]).await;
    assert_eq!(fake.recover().await, Recovered::default());
    assert!(fake.take_jobs().is_empty());
    assert_eq!(
        fake.statuses(),
        [RecipientStatus::Sent, RecipientStatus::Queued]
    );
}
