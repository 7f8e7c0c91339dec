//! The `SendQueue` contract, watched through a [`QueueProbe`].

use std::future::Future;
use std::time::Duration;

use super::{QueueProbe, case_id};
use crate::batch::Seq;
use crate::ports::SendQueue;

/// Runs every case, each on a fresh queue from `fresh`.
pub async fn send_queue<Q, P, F, Fut>(fresh: F, probe: &P)
where
    Q: SendQueue + Sync,
    P: QueueProbe<Q>,
    F: Fn() -> Fut,
    Fut: Future<Output = Q>,
{
    every_job_queued_is_handed_out(&fresh().await, probe).await;
    batches_are_kept_apart(&fresh().await, probe).await;
    a_delayed_job_waits_for_its_delay(&fresh().await, probe).await;
}

fn sorted(mut seqs: Vec<Seq>) -> Vec<Seq> {
    seqs.sort_unstable();
    seqs
}

async fn every_job_queued_is_handed_out<Q: SendQueue, P: QueueProbe<Q>>(queue: &Q, probe: &P) {
    let id = case_id(1);
    queue.enqueue(&id, &[]).await.unwrap();
    assert!(
        probe.take_jobs(queue, &id).await.is_empty(),
        "nothing queued"
    );
    queue.enqueue(&id, &[4, 2, 9]).await.unwrap();
    assert_eq!(sorted(probe.take_jobs(queue, &id).await), [2, 4, 9]);
    assert!(probe.take_jobs(queue, &id).await.is_empty(), "taken once");
    // More than one SQS message (25 recipients) and request (10 messages).
    let many: Vec<Seq> = (0..600).collect();
    queue.enqueue(&id, &many).await.unwrap();
    queue.enqueue(&id, &[7]).await.unwrap();
    let mut expected = many.clone();
    expected.push(7);
    assert_eq!(
        sorted(probe.take_jobs(queue, &id).await),
        sorted(expected),
        "every job, a repeat too"
    );
}

async fn batches_are_kept_apart<Q: SendQueue, P: QueueProbe<Q>>(queue: &Q, probe: &P) {
    let (a, b) = (case_id(2), case_id(3));
    queue.enqueue(&a, &[1, 2]).await.unwrap();
    queue.enqueue(&b, &[3]).await.unwrap();
    assert_eq!(sorted(probe.take_jobs(queue, &a).await), [1, 2]);
    assert_eq!(probe.take_jobs(queue, &b).await, [3]);
}

async fn a_delayed_job_waits_for_its_delay<Q: SendQueue, P: QueueProbe<Q>>(queue: &Q, probe: &P) {
    let id = case_id(4);
    // Long enough that a slow machine still asks before it has passed.
    queue
        .enqueue_after(&id, &[5, 6], Duration::from_secs(3))
        .await
        .unwrap();
    queue.enqueue(&id, &[7]).await.unwrap();
    assert_eq!(
        probe.take_ready_jobs(queue, &id).await,
        [7],
        "only the one not delayed"
    );
    assert_eq!(
        sorted(probe.take_jobs(queue, &id).await),
        [5, 6],
        "the delayed ones, once their delay has passed"
    );
}
