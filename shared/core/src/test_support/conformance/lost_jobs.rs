//! The `RecipientRepo` contract for the sweep's lost jobs:
//! `queued_without_job_since` and `gave_jobs`. Part of
//! [`super::recipient_repo`].

use chrono::{DateTime, TimeDelta, Utc};

use super::case_id;
use crate::batch::{Recipient, Seq};
use crate::ports::{Published, RecipientRepo};
use crate::test_support::{recipient, t0};

fn at(hours: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(hours)
}

fn recipients(seqs: std::ops::Range<Seq>) -> Vec<Recipient> {
    seqs.map(recipient).collect()
}

/// Runs every case, each on a fresh store from `fresh`.
pub(super) async fn lost_jobs<R, F, Fut>(fresh: F)
where
    R: RecipientRepo + Sync,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = R>,
{
    a_job_counts_from_when_it_was_given(&fresh().await).await;
    only_queued_recipients_are_given_jobs(&fresh().await).await;
    a_later_job_is_not_forgotten(&fresh().await).await;
    jobs_given_to_many_at_once(&fresh().await).await;
}

/// Never given a job, given one by `gave_jobs`, queued again from
/// `sending` (a job from the time of its claim), no longer queued; the
/// range's bounds; another batch's recipients.
async fn a_job_counts_from_when_it_was_given(repo: &(impl RecipientRepo + Sync)) {
    let (id, other, missing) = (case_id(13), case_id(14), case_id(15));
    repo.insert_recipients(&id, &recipients(0..10))
        .await
        .unwrap();
    repo.insert_recipients(&other, &recipients(0..3))
        .await
        .unwrap();
    // 0, 8, 9: never given a job. 1: given one at 2.
    repo.gave_jobs(&id, &[1], at(2)).await.unwrap();
    // 2: claimed at 4 and queued again (throttled).
    repo.claim(&id, &[2], at(4)).await.unwrap();
    repo.requeue(&id, &[2]).await.unwrap();
    // 3: sent. 4: sending. 5: technical failure. 6: cancelled. 7: sent
    // after being given a job and queued again.
    repo.gave_jobs(&id, &[7], at(1)).await.unwrap();
    repo.claim(&id, &[3, 4, 5, 7], at(1)).await.unwrap();
    repo.requeue(&id, &[7]).await.unwrap();
    repo.claim(&id, &[7], at(3)).await.unwrap();
    let sent = |seq| Published {
        seq,
        provider_id: format!("{id}-{seq}"),
        at: at(3),
    };
    repo.mark_sent(&id, &[sent(3), sent(7)]).await.unwrap();
    repo.fail_technical(&id, &[(5, "Refused".to_owned())], at(3))
        .await
        .unwrap();
    repo.cancel_these(&id, &[6], at(3)).await.unwrap();

    let lost = |range: std::ops::Range<Seq>, hours| {
        let id = id.clone();
        async move {
            repo.queued_without_job_since(&id, range, at(hours))
                .await
                .unwrap()
        }
    };
    assert_eq!(lost(0..10, 0).await, [0, 8, 9], "before any job was given");
    assert_eq!(lost(0..10, 2).await, [0, 8, 9], "a job at `before` counts");
    assert_eq!(lost(0..10, 3).await, [0, 1, 8, 9], "given one before 3");
    assert_eq!(
        lost(0..10, 4).await,
        [0, 1, 8, 9],
        "queued again: a job from its claim's time"
    );
    assert_eq!(lost(0..10, 5).await, [0, 1, 2, 8, 9], "in order");
    assert_eq!(lost(0..Seq::MAX, 5).await, [0, 1, 2, 8, 9]);
    assert_eq!(lost(1..9, 5).await, [1, 2, 8], "start in, end out");
    assert_eq!(lost(2..8, 5).await, [2]);
    assert!(lost(3..8, 5).await.is_empty(), "none still queued");
    assert!(lost(5..5, 5).await.is_empty());
    assert!(lost(10..20, 5).await.is_empty());

    assert_eq!(
        repo.queued_without_job_since(&other, 0..10, at(3))
            .await
            .unwrap(),
        [0, 1, 2],
        "another batch's recipients are untouched"
    );
    assert!(
        repo.queued_without_job_since(&missing, 0..10, at(3))
            .await
            .unwrap()
            .is_empty()
    );
}

/// `gave_jobs` records a job only for those still `queued`: a text being
/// sent keeps the time of its claim when queued again, and no recipient
/// is made.
async fn only_queued_recipients_are_given_jobs(repo: &(impl RecipientRepo + Sync)) {
    let (id, missing) = (case_id(16), case_id(17));
    repo.insert_recipients(&id, &recipients(0..4))
        .await
        .unwrap();
    repo.claim(&id, &[0], at(1)).await.unwrap();
    repo.gave_jobs(&id, &[0, 1, 1, 99], at(9)).await.unwrap();
    repo.requeue(&id, &[0]).await.unwrap();
    assert_eq!(
        repo.queued_without_job_since(&id, 0..100, at(2))
            .await
            .unwrap(),
        [0, 2, 3],
        "0 was sending at 9: its job is from its claim at 1"
    );
    assert_eq!(
        repo.queued_without_job_since(&id, 0..100, at(10))
            .await
            .unwrap(),
        [0, 1, 2, 3]
    );
    repo.gave_jobs(&missing, &[0, 1], at(9)).await.unwrap();
    repo.gave_jobs(&id, &[], at(9)).await.unwrap();
    assert!(
        repo.records(&missing).await.unwrap().is_empty(),
        "no recipient is made"
    );
    let stored: Vec<Seq> = repo
        .records(&id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.recipient.seq)
        .collect();
    assert_eq!(stored, [0, 1, 2, 3]);
}

/// Jobs are given by the sweep and by senders, each on its own clock: one
/// recorded with an earlier time than a job already given does not hide
/// the later one (a job at or after `before` is one).
async fn a_later_job_is_not_forgotten(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(18);
    repo.insert_recipients(&id, &recipients(0..4))
        .await
        .unwrap();
    // 0: two jobs by `gave_jobs`, the later first.
    repo.gave_jobs(&id, &[0], at(6)).await.unwrap();
    repo.gave_jobs(&id, &[0], at(2)).await.unwrap();
    // 1: given one at 6, then claimed at 2 and queued again.
    repo.gave_jobs(&id, &[1], at(6)).await.unwrap();
    repo.claim(&id, &[1], at(2)).await.unwrap();
    repo.requeue(&id, &[1]).await.unwrap();
    // 2: claimed at 6 and queued again, then given one at 2.
    repo.claim(&id, &[2], at(6)).await.unwrap();
    repo.requeue(&id, &[2]).await.unwrap();
    repo.gave_jobs(&id, &[2], at(2)).await.unwrap();
    assert_eq!(
        repo.queued_without_job_since(&id, 0..4, at(4))
            .await
            .unwrap(),
        [3]
    );
    assert_eq!(
        repo.queued_without_job_since(&id, 0..4, at(7))
            .await
            .unwrap(),
        [0, 1, 2, 3]
    );
}

/// More than one DynamoDB transaction (100) holds, some not queued.
async fn jobs_given_to_many_at_once(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(19);
    let n: Seq = 250;
    repo.insert_recipients(&id, &recipients(0..n))
        .await
        .unwrap();
    let every_tenth: Vec<Seq> = (0..n).step_by(10).collect();
    repo.claim(&id, &every_tenth, at(1)).await.unwrap();
    let all: Vec<Seq> = (0..n).collect();
    repo.gave_jobs(&id, &all, at(5)).await.unwrap();
    assert!(
        repo.queued_without_job_since(&id, 0..n, at(5))
            .await
            .unwrap()
            .is_empty()
    );
    repo.requeue(&id, &every_tenth).await.unwrap();
    assert_eq!(
        repo.queued_without_job_since(&id, 0..n, at(5))
            .await
            .unwrap(),
        every_tenth,
        "those sending were given no job"
    );
    assert_eq!(
        repo.queued_without_job_since(&id, 0..n, at(6))
            .await
            .unwrap(),
        all
    );
}
