//! The `Retention` contract: which batches are finished, the finish time
//! recorded once, stamping that goes on until done and then lets the batch
//! go. What an item carries is each store's own (DynamoDB's time to live
//! on every item, SQLite's batch row): the AWS tests check the items.

use chrono::{DateTime, TimeDelta, Utc};

use super::case_id;
use crate::batch::BatchId;
use crate::delivery::{BatchEvent, BatchStatus};
use crate::ports::{BatchRepo, RecipientRepo, Retention, Stamped};
use crate::test_support::{store_batch, t0};

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

/// Runs every case, each on a fresh store from `fresh`.
pub async fn retention<R, F, Fut>(fresh: F)
where
    R: BatchRepo + RecipientRepo + Retention + Sync,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = R>,
{
    nothing_is_finished_in_an_empty_store(&fresh().await).await;
    completed_and_closed_batches_are_finished_and_no_others(&fresh().await).await;
    the_finish_time_is_recorded_once(&fresh().await).await;
    stamping_goes_on_until_done_and_the_batch_leaves(&fresh().await).await;
    the_oldest_come_first_up_to_the_limit(&fresh().await).await;
}

async fn finished_ids(repo: &impl Retention, limit: usize) -> Vec<BatchId> {
    repo.finished(limit)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect()
}

async fn completed(
    repo: &(impl BatchRepo + RecipientRepo + Sync),
    n: u32,
    recipients: u32,
) -> BatchId {
    let id = case_id(n);
    store_batch(repo, &id, BatchStatus::Sending, recipients)
        .await
        .unwrap();
    assert!(repo.batch_event(&id, BatchEvent::Complete).await.unwrap());
    id
}

async fn nothing_is_finished_in_an_empty_store(repo: &impl Retention) {
    assert!(repo.finished(10).await.unwrap().is_empty());
    assert_eq!(
        repo.record_finished_at(&case_id(1), at(0)).await.unwrap(),
        None
    );
    assert_eq!(
        repo.stamp_next(&case_id(1), at(0)).await.unwrap(),
        Stamped {
            items: 0,
            done: true
        }
    );
}

async fn completed_and_closed_batches_are_finished_and_no_others(
    repo: &(impl BatchRepo + RecipientRepo + Retention + Sync),
) {
    let done = completed(repo, 1, 2).await;
    let closed = case_id(2);
    store_batch(repo, &closed, BatchStatus::Sending, 2)
        .await
        .unwrap();
    assert!(repo.batch_event(&closed, BatchEvent::Cancel).await.unwrap());
    let cancelled_open = case_id(3);
    store_batch(repo, &cancelled_open, BatchStatus::Scheduled, 2)
        .await
        .unwrap();
    assert!(
        repo.batch_event(&cancelled_open, BatchEvent::Cancel)
            .await
            .unwrap()
    );
    for status in [
        BatchStatus::AwaitingUpload,
        BatchStatus::Validated,
        BatchStatus::Scheduled,
        BatchStatus::Sending,
    ] {
        let n = 10 + BatchStatus::ALL.iter().position(|s| *s == status).unwrap() as u32;
        store_batch(repo, &case_id(n), status, 1).await.unwrap();
    }
    assert_eq!(
        finished_ids(repo, 25).await,
        std::slice::from_ref(&done),
        "cancelled batches are finished once closed, not before"
    );
    assert!(repo.close(&closed).await.unwrap());
    let finished = repo.finished(25).await.unwrap();
    assert_eq!(
        finished.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        [done, closed]
    );
    assert!(finished.iter().all(|f| f.finished_at.is_none()));
}

async fn the_finish_time_is_recorded_once(
    repo: &(impl BatchRepo + RecipientRepo + Retention + Sync),
) {
    let id = completed(repo, 1, 1).await;
    assert_eq!(
        repo.record_finished_at(&id, at(5)).await.unwrap(),
        Some(at(5))
    );
    assert_eq!(
        repo.record_finished_at(&id, at(10)).await.unwrap(),
        Some(at(5)),
        "the first time stays"
    );
    let finished = repo.finished(25).await.unwrap();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].finished_at, Some(at(5)));
}

async fn stamping_goes_on_until_done_and_the_batch_leaves(
    repo: &(impl BatchRepo + RecipientRepo + Retention + Sync),
) {
    let id = completed(repo, 1, 3).await;
    let other = completed(repo, 2, 1).await;
    repo.record_finished_at(&id, at(0)).await.unwrap();
    let mut items = 0;
    let mut calls = 0;
    loop {
        let stamped = repo.stamp_next(&id, at(60 * 24 * 90)).await.unwrap();
        items += stamped.items;
        calls += 1;
        if stamped.done {
            break;
        }
        assert!(calls < 100, "stamping comes to an end");
    }
    assert!(items >= 1, "at least the batch's own item: {items}");
    assert_eq!(finished_ids(repo, 25).await, std::slice::from_ref(&other));
    assert_eq!(repo.record_finished_at(&id, at(9)).await.unwrap(), None);
    assert_eq!(
        repo.stamp_next(&id, at(1)).await.unwrap(),
        Stamped {
            items: 0,
            done: true
        },
        "a batch done is done"
    );
    assert!(!repo.batch_event(&id, BatchEvent::Complete).await.unwrap());
    assert!(!repo.batch_event(&id, BatchEvent::Cancel).await.unwrap());
    assert_eq!(finished_ids(repo, 25).await, [other], "and stays done");
}

async fn the_oldest_come_first_up_to_the_limit(
    repo: &(impl BatchRepo + RecipientRepo + Retention + Sync),
) {
    let mut ids = Vec::new();
    for n in [3, 1, 2] {
        ids.push(completed(repo, n, 1).await);
    }
    ids.sort();
    assert_eq!(finished_ids(repo, 2).await, ids[..2]);
    assert_eq!(finished_ids(repo, 25).await, ids);
}
