//! The `BatchRepo` contract.

use std::future::Future;

use chrono::{DateTime, TimeDelta, Utc};

use super::case_id;
use crate::batch::{Batch, BatchId};
use crate::delivery::{BatchEvent, BatchStatus};
use crate::ports::{BatchRepo, ListCounts, UploadClaim};
use crate::test_support::t0;

const EVENTS: [BatchEvent; 5] = [
    BatchEvent::Validate,
    BatchEvent::Schedule,
    BatchEvent::StartSending,
    BatchEvent::Complete,
    BatchEvent::Cancel,
];

fn batch(id: BatchId, status: BatchStatus, created_at: DateTime<Utc>) -> Batch {
    Batch {
        id,
        status,
        // Stored to the millisecond.
        created_at: created_at + TimeDelta::milliseconds(7),
        list_name: "clinic-list.csv".to_owned(),
        message: "Hello ((name)), your appointment is tomorrow.".to_owned(),
        rows: 12,
        accepted: 10,
        not_accepted: 2,
    }
}

/// Runs every case, each on a fresh store from `fresh`.
pub async fn batch_repo<R, F, Fut>(fresh: F)
where
    R: BatchRepo + Sync,
    F: Fn() -> Fut,
    Fut: Future<Output = R>,
{
    created_once_and_read_back(&fresh().await).await;
    a_batch_that_does_not_exist(&fresh().await).await;
    each_event_moves_only_from_its_sources(&fresh().await).await;
    an_upload_is_claimed_by_one_tag_while_awaiting_it(&fresh().await).await;
    validated_once_with_its_counts(&fresh().await).await;
    batches_listing(&fresh().await).await;
    open_batches_listing(&fresh().await).await;
    only_a_cancelled_open_batch_closes(&fresh().await).await;
}

async fn is_open(repo: &impl BatchRepo, id: &BatchId) -> bool {
    let open = repo.open_batches().await.unwrap();
    open.iter().any(|b| &b.id == id)
}

async fn created_once_and_read_back(repo: &impl BatchRepo) {
    let first = batch(case_id(1), BatchStatus::AwaitingUpload, t0());
    assert!(repo.create_batch(&first).await.unwrap(), "a new batch");
    assert_eq!(repo.batch(&first.id).await.unwrap(), Some(first.clone()));
    let other = Batch {
        status: BatchStatus::Validated,
        message: "Another".to_owned(),
        ..first.clone()
    };
    assert!(
        !repo.create_batch(&other).await.unwrap(),
        "a second batch with the id is refused"
    );
    assert_eq!(
        repo.batch(&first.id).await.unwrap(),
        Some(first),
        "and the first left alone"
    );
}

async fn a_batch_that_does_not_exist(repo: &impl BatchRepo) {
    let missing = case_id(2);
    assert_eq!(repo.batch(&missing).await.unwrap(), None);
    for event in EVENTS {
        assert!(
            !repo.batch_event(&missing, event).await.unwrap(),
            "{event:?}"
        );
    }
    assert_eq!(
        repo.claim_upload(&missing, "etag").await.unwrap(),
        UploadClaim::Refused
    );
    let counts = ListCounts {
        rows: 1,
        accepted: 1,
        not_accepted: 0,
    };
    assert!(!repo.mark_validated(&missing, counts).await.unwrap());
    assert_eq!(
        repo.batch(&missing).await.unwrap(),
        None,
        "a failed move creates nothing"
    );
}

async fn each_event_moves_only_from_its_sources(repo: &impl BatchRepo) {
    let mut n = 100;
    for &from in BatchStatus::ALL {
        for event in EVENTS {
            n += 1;
            let b = batch(case_id(n), from, t0());
            assert!(repo.create_batch(&b).await.unwrap());
            let expected = from.apply(event).ok();
            let moved = repo.batch_event(&b.id, event).await.unwrap();
            assert_eq!(moved, expected.is_some(), "{from} on {event:?}");
            let now = repo.batch(&b.id).await.unwrap().unwrap();
            assert_eq!(now.status, expected.unwrap_or(from), "{from} on {event:?}");
            assert_eq!(
                is_open(repo, &b.id).await,
                expected.unwrap_or(from).is_swept(),
                "open to the sweep after {from} on {event:?}"
            );
            assert_eq!(
                Batch {
                    status: b.status,
                    ..now
                },
                b,
                "only the status changes"
            );
        }
    }
}

async fn an_upload_is_claimed_by_one_tag_while_awaiting_it(repo: &impl BatchRepo) {
    let waiting = batch(case_id(3), BatchStatus::AwaitingUpload, t0());
    repo.create_batch(&waiting).await.unwrap();
    assert_eq!(
        repo.claim_upload(&waiting.id, "etag-1").await.unwrap(),
        UploadClaim::First,
        "the first claim, before any row can be stored"
    );
    assert_eq!(
        repo.claim_upload(&waiting.id, "etag-1").await.unwrap(),
        UploadClaim::Again,
        "the same upload again (a repeated event): its rows may be stored"
    );
    assert_eq!(
        repo.claim_upload(&waiting.id, "etag-2").await.unwrap(),
        UploadClaim::Refused,
        "never another upload's rows"
    );
    assert_eq!(
        repo.claim_upload(&waiting.id, "etag-1").await.unwrap(),
        UploadClaim::Again,
        "another upload's attempt leaves the claim as it was"
    );
    assert_eq!(
        repo.batch(&waiting.id).await.unwrap().unwrap().status,
        BatchStatus::AwaitingUpload,
        "claiming does not move the batch"
    );
    for &status in BatchStatus::ALL {
        if status == BatchStatus::AwaitingUpload {
            continue;
        }
        let b = batch(case_id(200 + status as u32), status, t0());
        repo.create_batch(&b).await.unwrap();
        assert_eq!(
            repo.claim_upload(&b.id, "etag-1").await.unwrap(),
            UploadClaim::Refused,
            "{status}"
        );
    }
}

async fn validated_once_with_its_counts(repo: &impl BatchRepo) {
    let waiting = batch(case_id(4), BatchStatus::AwaitingUpload, t0());
    repo.create_batch(&waiting).await.unwrap();
    let counts = ListCounts {
        rows: 1_200,
        accepted: 1_100,
        not_accepted: 100,
    };
    assert!(repo.mark_validated(&waiting.id, counts).await.unwrap());
    let expected = Batch {
        status: BatchStatus::Validated,
        rows: 1_200,
        accepted: 1_100,
        not_accepted: 100,
        ..waiting.clone()
    };
    assert_eq!(
        repo.batch(&waiting.id).await.unwrap(),
        Some(expected.clone())
    );
    let again = ListCounts {
        rows: 1,
        accepted: 1,
        not_accepted: 0,
    };
    assert!(!repo.mark_validated(&waiting.id, again).await.unwrap());
    assert_eq!(
        repo.batch(&waiting.id).await.unwrap(),
        Some(expected),
        "the counts stay those of the validation that moved it"
    );
    for &status in BatchStatus::ALL {
        if status == BatchStatus::AwaitingUpload {
            continue;
        }
        let b = batch(case_id(300 + status as u32), status, t0());
        repo.create_batch(&b).await.unwrap();
        assert!(
            !repo.mark_validated(&b.id, again).await.unwrap(),
            "{status}"
        );
        assert_eq!(repo.batch(&b.id).await.unwrap(), Some(b));
    }
}

/// What `batches` lists, and in what order: every batch, newest first, and
/// of two made at the same moment the greater id first.
async fn batches_listing(repo: &impl BatchRepo) {
    assert!(repo.batches().await.unwrap().is_empty());
    let hour = TimeDelta::hours(1);
    let made = [
        batch(case_id(10), BatchStatus::Completed, t0()),
        batch(case_id(11), BatchStatus::Sending, t0() + hour),
        batch(case_id(12), BatchStatus::AwaitingUpload, t0() - hour),
        batch(case_id(13), BatchStatus::Cancelled, t0()),
    ];
    for b in &made {
        repo.create_batch(b).await.unwrap();
    }
    let listed = repo.batches().await.unwrap();
    assert_eq!(
        listed,
        [
            made[1].clone(),
            made[3].clone(),
            made[0].clone(),
            made[2].clone()
        ]
    );
}

/// What `open_batches` lists: the batches made or moved into a status the
/// sweep looks at, newest first as `batches`, never the others.
async fn open_batches_listing(repo: &impl BatchRepo) {
    assert!(repo.open_batches().await.unwrap().is_empty());
    let mut made = Vec::new();
    for (i, &status) in BatchStatus::ALL.iter().enumerate() {
        let at = t0() + TimeDelta::minutes(i as i64);
        let b = batch(case_id(20 + i as u32), status, at);
        repo.create_batch(&b).await.unwrap();
        made.push(b);
    }
    let mut expected: Vec<Batch> = made
        .iter()
        .filter(|b| b.status.is_swept())
        .cloned()
        .collect();
    expected.reverse();
    assert_eq!(repo.open_batches().await.unwrap(), expected);
    assert_eq!(expected.len(), 2, "sending and cancelled");
}

/// `close` takes a cancelled batch out of the open ones for good; it
/// refuses any other, and a batch that does not exist.
async fn only_a_cancelled_open_batch_closes(repo: &impl BatchRepo) {
    let sending = batch(case_id(30), BatchStatus::Sending, t0());
    let cancelled = batch(case_id(31), BatchStatus::Cancelled, t0());
    let completed = batch(case_id(32), BatchStatus::Completed, t0());
    for b in [&sending, &cancelled, &completed] {
        repo.create_batch(b).await.unwrap();
    }
    assert!(!repo.close(&sending.id).await.unwrap());
    assert!(!repo.close(&completed.id).await.unwrap());
    assert!(!repo.close(&case_id(33)).await.unwrap());
    assert_eq!(repo.batch(&case_id(33)).await.unwrap(), None);
    assert!(repo.close(&cancelled.id).await.unwrap());
    assert!(!repo.close(&cancelled.id).await.unwrap(), "closed already");
    assert!(
        !repo
            .batch_event(&cancelled.id, BatchEvent::Cancel)
            .await
            .unwrap(),
        "a refused event reopens nothing"
    );
    let open: Vec<BatchId> = repo
        .open_batches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(open, std::slice::from_ref(&sending.id));
    assert_eq!(
        repo.batch(&cancelled.id).await.unwrap().unwrap().status,
        BatchStatus::Cancelled,
        "its data stays"
    );
    assert!(
        repo.batch_event(&sending.id, BatchEvent::Cancel)
            .await
            .unwrap()
    );
    assert!(
        is_open(repo, &sending.id).await,
        "cancelled: open until closed"
    );
}
