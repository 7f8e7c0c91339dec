//! What one sweep costs does not grow with finished batches: it reads the
//! sparse index of open batches (GSI2), never the finished ones or their
//! recipients. Counted in requests through the real SDK clients on moto.
//!
//! `BATCHMSG_SWEEP_FINISHED=1000 BATCHMSG_SWEEP_RECIPIENTS=1000` measures
//! the figure in docs/aws.md (`bash bench/sweep-requests.sh`).

use batchmsg_core::batch::{Batch, BatchId, Recipient};
use batchmsg_core::delivery::{BatchEvent, BatchStatus};
use batchmsg_core::ports::{BatchRepo, RecipientRepo, WaveRepo};
use batchmsg_core::sending::{SweepTimes, sweep};
use batchmsg_core::test_support::fake::Fake;
use batchmsg_moto::{Moto, Stack, recipient, ten_in_three_waves};
use chrono::Utc;

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().expect("a whole number"))
        .unwrap_or(default)
}

/// Finished batch `n`, made in the last day: every text sent, then
/// completed; every tenth one cancelled part way instead.
async fn finished_batch(stack: &Stack, n: u32, recipients: u32) {
    let id: BatchId = format!("20261101-090000-{n:04x}").parse().unwrap();
    let cancelled = n.is_multiple_of(10);
    let batch = Batch {
        id: id.clone(),
        status: BatchStatus::Sending,
        // Within the last day: recent enough that a sweep which looked at
        // recently cancelled batches would look at these.
        created_at: Utc::now() - chrono::TimeDelta::days(1)
            + chrono::TimeDelta::seconds(i64::from(n)),
        list_name: "clinic.csv".to_owned(),
        message: "Hello ((name)), your appointment is tomorrow.".to_owned(),
        rows: recipients.into(),
        accepted: recipients.into(),
        not_accepted: 0,
    };
    assert!(stack.repos.create_batch(&batch).await.unwrap());
    let list: Vec<Recipient> = (0..recipients).map(recipient).collect();
    stack.repos.insert_recipients(&id, &list).await.unwrap();
    let event = if cancelled {
        stack
            .repos
            .cancel_queued(&id, batch.created_at)
            .await
            .unwrap();
        BatchEvent::Cancel
    } else {
        let seqs: Vec<u32> = (0..recipients).collect();
        let claimed = stack
            .repos
            .claim(&id, &seqs, batch.created_at)
            .await
            .unwrap();
        let published: Vec<_> = claimed
            .iter()
            .map(|r| batchmsg_core::ports::Published {
                seq: r.seq,
                provider_id: format!("{n}-{}", r.seq),
                at: batch.created_at,
            })
            .collect();
        stack.repos.mark_sent(&id, &published).await.unwrap();
        BatchEvent::Complete
    };
    assert!(stack.repos.batch_event(&id, event).await.unwrap());
}

async fn sweep_requests(stack: &Stack) -> u64 {
    stack.requests.clear();
    sweep(
        &stack.repos,
        &stack.repos,
        &stack.repos,
        &stack.sender,
        &stack.queue,
        // At 09:00 on the day of the open batch's first wave: nothing overdue.
        &Fake::new(),
        &SweepTimes::default(),
    )
    .await
    .unwrap();
    stack.requests.total()
}

#[tokio::test]
async fn a_sweep_costs_the_same_with_finished_batches_as_without() {
    let finished = setting("BATCHMSG_SWEEP_FINISHED", 40);
    let recipients = setting("BATCHMSG_SWEEP_RECIPIENTS", 30);
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    // One batch with work left: its first wave sending, two to come.
    let (open, waves) = ten_in_three_waves(&stack.repos).await;
    assert!(
        stack
            .repos
            .batch_event(&open, BatchEvent::StartSending)
            .await
            .unwrap()
    );
    let first = waves[0].number;
    let event = batchmsg_core::delivery::WaveEvent::StartRelease;
    assert!(stack.repos.wave_event(&open, first, event).await.unwrap());

    sweep_requests(&stack).await;
    let without = sweep_requests(&stack).await;

    for n in 1..=finished {
        finished_batch(&stack, n, recipients).await;
    }
    // The first sweep after a cancel settles and closes the batch.
    sweep_requests(&stack).await;
    let with = sweep_requests(&stack).await;
    let by_operation = stack.requests.by_operation();

    println!(
        "one sweep, one open batch: {without} requests with no finished batch, {with} with \
         {finished} finished batches of {recipients} recipients ({by_operation:?})"
    );
    assert_eq!(with, without, "{by_operation:?}");
    let open_now: Vec<BatchId> = stack
        .repos
        .open_batches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(open_now, [open]);
    assert_eq!(
        stack.repos.batches().await.unwrap().len() as u32,
        finished + 1
    );
}
