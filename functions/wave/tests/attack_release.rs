//! Attacks on the release's promise (issue 13), through the wave handler on
//! moto: a wave's schedule fired twice at once, and a release killed part
//! way (the handler dropped, as Lambda's timeout ends it) and retried. What
//! must hold: every recipient of the wave gets a job, and the wave ends
//! `released`. What the design allows (docs/aws.md "Scale"; the wave
//! function's documentation): a recipient given two jobs, since sending
//! claims each recipient from `queued`, once. The duplicates are counted
//! and printed (`-- --nocapture`).

use std::collections::BTreeMap;
use std::time::Duration;

use batchmsg_aws::sqs::SendJob;
use batchmsg_core::batch::{BatchId, Seq, Wave};
use batchmsg_core::delivery::{BatchStatus, WaveStatus};
use batchmsg_core::ports::WaveRepo;
use batchmsg_core::test_support::{store_batch, t0};
use batchmsg_moto::{Moto, Stack};
use batchmsg_wave::handle;
use serde_json::json;

/// 24 SendMessageBatch requests of 10 jobs of 25.
const SIZE: u32 = 6_000;

fn batch_id() -> BatchId {
    "20261206-100000-0001".parse().unwrap()
}

async fn one_wave(stack: &Stack) {
    let id = batch_id();
    store_batch(&stack.repos, &id, BatchStatus::Scheduled, SIZE)
        .await
        .unwrap();
    let wave = Wave {
        number: 1,
        first: 0,
        size: SIZE,
        due: t0(),
        status: WaveStatus::Pending,
    };
    stack.repos.insert_waves(&id, &[wave]).await.unwrap();
}

fn input() -> serde_json::Value {
    json!({"batch": batch_id().as_str(), "wave": 1})
}

/// Jobs each recipient was given, read off the queue (and deleted).
async fn jobs_per_recipient(stack: &Stack) -> BTreeMap<Seq, u32> {
    let mut jobs = BTreeMap::new();
    loop {
        let received = stack
            .sqs
            .receive_message()
            .queue_url(stack.queue.queue_url())
            .max_number_of_messages(10)
            .visibility_timeout(300)
            .send()
            .await
            .expect("receives");
        if received.messages().is_empty() {
            return jobs;
        }
        let mut delete = stack
            .sqs
            .delete_message_batch()
            .queue_url(stack.queue.queue_url());
        for (i, message) in received.messages().iter().enumerate() {
            let job = SendJob::parse(message.body().unwrap()).expect("a send job");
            assert_eq!(job.batch, batch_id());
            for seq in job.seqs {
                *jobs.entry(seq).or_insert(0) += 1;
            }
            delete = delete.entries(
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(message.receipt_handle().unwrap())
                    .build()
                    .unwrap(),
            );
        }
        delete.send().await.expect("deletes");
    }
}

/// Every recipient of the wave has a job; the wave is released; how many
/// recipients got more than one.
async fn every_recipient_queued(stack: &Stack) -> usize {
    let jobs = jobs_per_recipient(stack).await;
    let seqs: Vec<Seq> = jobs.keys().copied().collect();
    assert_eq!(seqs, (0..SIZE).collect::<Vec<_>>(), "a job for each");
    let waves = stack.repos.waves(&batch_id()).await.unwrap();
    assert_eq!(waves[0].status, WaveStatus::Released);
    jobs.values().filter(|&&n| n > 1).count()
}

/// Resolves once `n` more SendMessageBatch requests than `from` were sent;
/// panics after a minute (a release that stopped sending).
async fn after_enqueues(stack: &Stack, from: u64, n: u64) {
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    while enqueues(stack) < from + n {
        assert!(
            std::time::Instant::now() < give_up,
            "{n} SendMessageBatch requests never came"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn enqueues(stack: &Stack) -> u64 {
    stack
        .requests
        .by_operation()
        .get(&("SQS".to_owned(), "SendMessageBatch".to_owned()))
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wave_fired_twice_at_once_gives_every_recipient_a_job() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    one_wave(&stack).await;
    let (a, b) = tokio::join!(
        handle(&stack.repos, &stack.queue, input()),
        handle(&stack.repos, &stack.queue, input())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let twice = every_recipient_queued(&stack).await;
    eprintln!("fired twice at once: {a:?} / {b:?}; {twice} of {SIZE} recipients given two jobs");
    // Fired again once released: nothing more.
    let again = handle(&stack.repos, &stack.queue, input()).await.unwrap();
    assert_eq!(again.already.as_deref(), Some("released"));
    assert!(jobs_per_recipient(&stack).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_killed_part_way_and_retried_gives_every_recipient_a_job() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    one_wave(&stack).await;
    let from = enqueues(&stack);
    tokio::select! {
        done = handle(&stack.repos, &stack.queue, input()) => panic!("finished before the kill: {done:?}"),
        () = after_enqueues(&stack, from, 6) => {}
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waves = stack.repos.waves(&batch_id()).await.unwrap();
    assert_eq!(waves[0].status, WaveStatus::Releasing, "killed part way");
    let retry = handle(&stack.repos, &stack.queue, input()).await.unwrap();
    assert_eq!(retry.queued, Some(u64::from(SIZE)));
    let twice = every_recipient_queued(&stack).await;
    eprintln!("killed after 6 requests and retried: {twice} of {SIZE} recipients given two jobs");
}

/// The schedule's second firing (or the sweep's overdue release) arriving
/// while the first release is still enqueueing: it finds the wave
/// `releasing`, which is also what a retry after a kill finds, and enqueues
/// the wave's queued recipients again.
#[tokio::test(flavor = "multi_thread")]
async fn a_wave_fired_again_while_releasing_gives_every_recipient_a_job() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    one_wave(&stack).await;
    let from = enqueues(&stack);
    let late = async {
        after_enqueues(&stack, from, 2).await;
        handle(&stack.repos, &stack.queue, input()).await
    };
    let (a, b) = tokio::join!(handle(&stack.repos, &stack.queue, input()), late);
    let (a, b) = (a.unwrap(), b.unwrap());
    let twice = every_recipient_queued(&stack).await;
    eprintln!(
        "fired again while releasing: {a:?} / {b:?}; {twice} of {SIZE} recipients given two jobs"
    );
}
