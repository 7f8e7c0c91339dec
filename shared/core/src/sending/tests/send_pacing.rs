//! `send_texts` claims only what it is about to send, stops when told, and
//! records every outcome whatever write fails first.

use chrono::{DateTime, Utc};

use super::fake::{Fake, batch_id};
use crate::batch::Seq;
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::sending::{Pacing, RateUnit, SendOutcome, SendUntil, SendingError, send_texts};

/// Lets texts start until the provider has been asked `n` times: a deadline
/// or a window's close reached part way through a job.
struct UntilAsked<'a> {
    fake: &'a Fake,
    n: usize,
}

impl SendUntil for UntilAsked<'_> {
    fn may_start(&self, _now: DateTime<Utc>) -> bool {
        self.fake.state().attempts.len() < self.n
    }
}

async fn send_until(
    fake: &Fake,
    seqs: &[Seq],
    claim_ahead: usize,
    n: usize,
) -> Result<SendOutcome, SendingError> {
    let until = UntilAsked { fake, n };
    let pacing = Pacing {
        unit: RateUnit::Texts,
        claim_ahead,
    };
    send_texts(
        fake,
        fake,
        fake,
        fake,
        fake,
        &until,
        &batch_id(),
        seqs,
        pacing,
    )
    .await
}

fn unclaimed_and_queued(fake: &Fake, seqs: std::ops::Range<Seq>) {
    for seq in seqs {
        let stored = fake.state().recipients[&batch_id()][&seq].clone();
        assert_eq!(stored.record.status, RecipientStatus::Queued, "{seq}");
        assert_eq!(stored.claimed_at, None, "{seq}");
    }
}

#[tokio::test]
async fn one_at_a_time_claims_nothing_it_does_not_start() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[5]);
    let outcome = send_until(&fake, &[0, 1, 2, 3, 4], 1, 2).await.unwrap();
    assert_eq!(
        outcome,
        SendOutcome {
            sent: 2,
            not_started: vec![2, 3, 4],
            ..SendOutcome::default()
        }
    );
    assert_eq!(fake.texts_per_recipient(), [1, 1, 0, 0, 0]);
    assert_eq!(fake.record(1).status, RecipientStatus::Sent);
    unclaimed_and_queued(&fake, 2..5);
}

#[tokio::test]
async fn a_group_claimed_ahead_hands_back_what_it_did_not_start() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[5]);
    let outcome = send_until(&fake, &[0, 1, 2, 3, 4], 3, 2).await.unwrap();
    assert_eq!(outcome.sent, 2);
    assert_eq!(outcome.not_started, [2, 3, 4]);
    assert_eq!(fake.texts_per_recipient(), [1, 1, 0, 0, 0]);
    // 2 was claimed with 0 and 1, and is queued again.
    unclaimed_and_queued(&fake, 2..5);

    // Sent later, when allowed, and nothing twice.
    let outcome = send_until(&fake, &[0, 1, 2, 3, 4], 3, usize::MAX)
        .await
        .unwrap();
    assert_eq!((outcome.sent, outcome.skipped), (3, 2));
    assert_eq!(fake.texts_per_recipient(), [1; 5]);
}

#[tokio::test]
async fn a_stop_before_the_first_text_claims_nothing() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[3]);
    let outcome = send_until(&fake, &[0, 1, 2], 1, 0).await.unwrap();
    assert_eq!(outcome.not_started, [0, 1, 2]);
    assert!(fake.state().attempts.is_empty());
    unclaimed_and_queued(&fake, 0..3);
}

#[tokio::test]
async fn a_failed_mark_sent_still_requeues_the_throttled_and_records_the_refused() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[5]);
    fake.state()
        .refuse
        .insert(1, "Invalid parameter: PhoneNumber".to_owned());
    fake.throttle_in(3);
    fake.state().fail_mark_sent = 1;
    let result = send_until(&fake, &[0, 1, 2, 3, 4], 5, usize::MAX).await;
    assert!(matches!(result, Err(SendingError::Port(_))), "{result:?}");

    // 0 and 2 went and could not be recorded: left sending, for recovery to
    // settle from the provider's record. The refusal and the throttled are
    // recorded all the same.
    assert_eq!(fake.texts_per_recipient(), [1, 0, 1, 0, 0]);
    use RecipientStatus::*;
    assert_eq!(
        fake.statuses(),
        [Sending, TechnicalFailure, Sending, Queued, Queued]
    );
    assert!(
        fake.record(1)
            .reason
            .unwrap()
            .starts_with("The SMS provider refused it")
    );
    unclaimed_and_queued(&fake, 3..5);
}
