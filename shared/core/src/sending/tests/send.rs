use chrono::TimeDelta;

use super::fake::{Fake, t0};
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::sending::{RateUnit, SendOutcome, SendingError};

#[tokio::test]
async fn each_claimed_text_is_sent_once() {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[4]);
    fake.release(1).await.unwrap();
    fake.advance(TimeDelta::minutes(1));
    let outcome = fake.send_queue().await;
    assert_eq!(
        outcome,
        SendOutcome {
            sent: 4,
            ..SendOutcome::default()
        }
    );
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1]);
    for seq in 0..4 {
        let record = fake.record(seq);
        assert_eq!(record.status, RecipientStatus::Sent);
        assert_eq!(record.provider_id, fake.provider_id(seq));
        assert!(record.provider_id.is_some());
        assert_eq!(record.sent_at, Some(t0() + TimeDelta::minutes(1)));
        assert_eq!(record.reason, None);
    }
    // Nothing left claimed.
    assert!(fake.state().jobs.is_empty());
}

#[tokio::test]
async fn repeated_jobs_are_skipped_and_not_sent_again() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[3]);
    // The same job twice in one delivery.
    let outcome = fake.send(&[0, 1, 1, 0, 2]).await;
    assert_eq!((outcome.sent, outcome.skipped), (3, 2));
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1]);

    // And the whole delivery again.
    let outcome = fake.send(&[0, 1, 2]).await;
    assert_eq!((outcome.sent, outcome.skipped), (0, 3));
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1]);
    assert_eq!(
        fake.state().attempts.len(),
        3,
        "the provider was asked 3 times"
    );
}

#[tokio::test]
async fn a_text_not_queued_is_skipped() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[3]);
    fake.set_status(0, RecipientStatus::Cancelled);
    fake.set_status(1, RecipientStatus::Sending);
    let outcome = fake.send(&[0, 1, 2, 9]).await;
    assert_eq!((outcome.sent, outcome.skipped), (1, 3));
    assert_eq!(fake.texts_per_recipient(), [0, 0, 1]);
}

#[tokio::test]
async fn throttling_requeues_the_throttled_text_and_every_one_not_tried() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[5]);
    fake.throttle_in(2);
    let outcome = fake.send(&[0, 1, 2, 3, 4]).await;
    assert_eq!(
        outcome,
        SendOutcome {
            sent: 2,
            throttled: vec![2, 3, 4],
            ..SendOutcome::default()
        }
    );
    assert_eq!(fake.texts_per_recipient(), [1, 1, 0, 0, 0]);
    assert_eq!(
        fake.state().attempts,
        [0, 1, 2],
        "nothing tried after the throttle"
    );
    for seq in 2..5 {
        let stored = fake.state().recipients[&super::batch_id()][&seq].clone();
        assert_eq!(stored.record.status, RecipientStatus::Queued);
        assert_eq!(stored.claimed_at, None);
    }

    // Queued again, they go; the ones already sent do not.
    let outcome = fake.send(&[0, 1, 2, 3, 4]).await;
    assert_eq!((outcome.sent, outcome.skipped), (3, 2));
    assert!(outcome.throttled.is_empty());
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1, 1]);
}

#[tokio::test]
async fn a_refused_text_is_a_technical_failure_with_the_reason() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[3]);
    fake.state()
        .refuse
        .insert(1, "Invalid parameter: PhoneNumber".into());
    fake.advance(TimeDelta::minutes(2));
    let outcome = fake.send(&[0, 1, 2]).await;
    assert_eq!((outcome.sent, outcome.failed), (2, 1));
    assert!(outcome.throttled.is_empty());
    assert_eq!(fake.texts_per_recipient(), [1, 0, 1]);

    let record = fake.record(1);
    assert_eq!(record.status, RecipientStatus::TechnicalFailure);
    assert_eq!(
        record.reason.as_deref(),
        Some("The SMS provider refused it: Invalid parameter: PhoneNumber")
    );
    assert_eq!(record.receipt_at, Some(t0() + TimeDelta::minutes(2)));
    assert_eq!(record.provider_id, None);

    // Never tried again.
    let outcome = fake.send(&[1]).await;
    assert_eq!((outcome.sent, outcome.skipped), (0, 1));
    assert_eq!(fake.state().attempts, [0, 1, 2]);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_technical_failure_that_may_have_been_sent() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[3]);
    // Seq 0: the call failed before the provider had it; seq 1: the provider
    // took it and the answer was lost. Neither can be told apart here.
    fake.state().unavailable.insert(0, false);
    fake.state().unavailable.insert(1, true);
    let outcome = fake.send(&[0, 1, 2]).await;
    assert_eq!((outcome.sent, outcome.failed), (1, 2));
    assert_eq!(fake.texts_per_recipient(), [0, 1, 1]);
    for seq in [0, 1] {
        let record = fake.record(seq);
        assert_eq!(record.status, RecipientStatus::TechnicalFailure);
        let reason = record.reason.unwrap();
        assert!(
            reason.starts_with("It may or may not have been sent"),
            "{reason}"
        );
        assert!(reason.contains("could not be reached"), "{reason}");
    }
    // Not sent again: at most once.
    let outcome = fake.send(&[0, 1, 2]).await;
    assert_eq!((outcome.sent, outcome.skipped), (0, 3));
    assert_eq!(fake.texts_per_recipient(), [0, 1, 1]);
}

#[tokio::test]
async fn the_rate_limit_counts_texts_or_fragments() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[6]);
    {
        let mut st = fake.state();
        let stored = st.recipients.get_mut(&super::batch_id()).unwrap();
        for (seq, fragments) in [(0, 1), (1, 3), (2, 0), (3, 6), (4, 2), (5, 1)] {
            stored.get_mut(&seq).unwrap().record.recipient.fragments = fragments;
        }
    }
    let outcome = fake.send_in(&[0, 1, 2], RateUnit::Fragments).await.unwrap();
    assert_eq!(outcome.sent, 3);
    // A text counts at least one unit.
    assert_eq!(fake.state().acquired, [1, 3, 1]);

    let outcome = fake.send_in(&[3, 4, 5], RateUnit::Texts).await.unwrap();
    assert_eq!(outcome.sent, 3);
    assert_eq!(fake.state().acquired, [1, 3, 1, 1, 1, 1]);
    assert_eq!(fake.texts_per_recipient(), [1; 6]);
}

#[tokio::test]
async fn a_rate_limiter_failure_stops_and_requeues_what_was_not_sent() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[3]);
    fake.state().fail_acquire_call = Some(1);
    let result = fake.send_in(&[0, 1, 2], RateUnit::Texts).await;
    assert!(matches!(result, Err(SendingError::Port(_))), "{result:?}");
    assert_eq!(fake.texts_per_recipient(), [1, 0, 0]);
    assert_eq!(
        fake.statuses(),
        [
            RecipientStatus::Sent,
            RecipientStatus::Queued,
            RecipientStatus::Queued
        ]
    );
    // The job comes back; the rest go, once.
    let outcome = fake.send(&[0, 1, 2]).await;
    assert_eq!((outcome.sent, outcome.skipped), (2, 1));
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1]);
}
