//! Retention on DynamoDB (moto): the `Retention` conformance suite, and a
//! finished batch of a few hundred recipients with sent texts stamped by
//! `stamp_finished` over several short runs, every item of it read back.
//! moto stores the TTL setting and never deletes, so the values are what is
//! checked: `expires_at` (seconds) = `finished_at` + the retention on every
//! recipient, wave, `MSG#` item and the batch item, and on nothing else.

use std::sync::atomic::{AtomicU32, Ordering};

use batchmsg_aws::dynamo::{DynamoRepos, TTL_ATTRIBUTE, create_table};
use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::delivery::{BatchEvent, BatchStatus, WaveEvent, WaveStatus};
use batchmsg_core::ports::{
    BatchRepo, Published, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo, SystemClock,
    WaveRepo,
};
use batchmsg_core::retention::stamp_finished;
use batchmsg_core::test_support::{conformance, store_batch, t0};
use batchmsg_moto::Moto;
use batchmsg_moto::items::{Item, every_item, number, text};
use chrono::{TimeDelta, Utc};

const RETENTION: TimeDelta = TimeDelta::days(90);

#[tokio::test]
async fn the_dynamodb_retention_conforms() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let made = AtomicU32::new(0);
    conformance::retention(|| async {
        let table = format!("retention-{}", made.fetch_add(1, Ordering::Relaxed));
        create_table(&stack.dynamo, &table)
            .await
            .expect("creates a table");
        DynamoRepos::new(stack.dynamo.clone(), table)
    })
    .await;
}

fn id(n: u32) -> BatchId {
    format!("20261125-090000-{n:04}").parse().unwrap()
}

/// A sending batch of `total` recipients in two released waves, the first
/// `sent` sent (provider ids `{batch}-p{seq}`) and the rest technical
/// failures.
async fn settled(repos: &DynamoRepos, batch: &BatchId, total: u32, sent: u32) {
    store_batch(repos, batch, BatchStatus::Sending, total)
        .await
        .unwrap();
    let half = total / 2;
    let waves = [
        Wave {
            number: 1,
            first: 0,
            size: half,
            due: t0(),
            status: WaveStatus::Pending,
        },
        Wave {
            number: 2,
            first: half,
            size: total - half,
            due: t0(),
            status: WaveStatus::Pending,
        },
    ];
    repos.insert_waves(batch, &waves).await.unwrap();
    for number in [1, 2] {
        for event in [WaveEvent::StartRelease, WaveEvent::FinishRelease] {
            assert!(repos.wave_event(batch, number, event).await.unwrap());
        }
    }
    let seqs: Vec<u32> = (0..total).collect();
    assert_eq!(
        repos.claim(batch, &seqs, t0()).await.unwrap().len(),
        seqs.len()
    );
    let published: Vec<Published> = (0..sent)
        .map(|seq| Published {
            seq,
            provider_id: format!("{batch}-p{seq}"),
            at: t0(),
        })
        .collect();
    repos.mark_sent(batch, &published).await.unwrap();
    let failed: Vec<(u32, String)> = (sent..total).map(|s| (s, "x".to_owned())).collect();
    repos.fail_technical(batch, &failed, t0()).await.unwrap();
}

/// The items of `batch`: its partition, its recipient shards' and the
/// `MSG#` items naming it.
fn items_of<'a>(items: &'a [Item], batch: &BatchId) -> Vec<&'a Item> {
    let pk = format!("BATCH#{batch}");
    let shards = format!("BATCH#{batch}#R");
    items
        .iter()
        .filter(|i| {
            text(i, "PK").is_some_and(|k| k == pk || k.starts_with(&shards))
                || text(i, "batch") == Some(batch.as_str())
        })
        .collect()
}

fn receipt(provider_id: String) -> Receipt {
    Receipt {
        provider_id,
        outcome: ReceiptOutcome::Delivered,
        reason: None,
        at: Utc::now(),
    }
}

#[tokio::test]
async fn finished_batches_expire_every_item_over_runs_that_stop_at_their_budget() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let (big, small, open) = (id(1), id(2), id(3));
    settled(repos, &big, 300, 260).await;
    settled(repos, &small, 20, 10).await;
    settled(repos, &open, 10, 10).await;
    assert!(repos.batch_event(&big, BatchEvent::Complete).await.unwrap());
    assert!(repos.batch_event(&small, BatchEvent::Cancel).await.unwrap());
    assert!(repos.close(&small).await.unwrap());

    stack.requests.clear();
    // Runs of 300 ms: about one page each on moto.
    let mut runs = 0;
    let mut first_run_left_work = false;
    let mut late_receipt = false;
    loop {
        let deadline = Utc::now() + TimeDelta::milliseconds(300);
        let run = stamp_finished(repos, &SystemClock, RETENTION, TimeDelta::zero(), deadline)
            .await
            .expect("stamps");
        runs += 1;
        if runs == 1 {
            first_run_left_work = run.out_of_time;
        }
        if runs == 2 && !late_receipt {
            // A receipt for a text stamped in the first run arrives now,
            // through each of the two ways receipts are written.
            let one = repos
                .record_receipt(&receipt(format!("{big}-p1")))
                .await
                .unwrap();
            assert_eq!(one, ReceiptApplied::Applied);
            let many = repos
                .record_receipts(&[receipt(format!("{big}-p2")), receipt(format!("{big}-p3"))])
                .await
                .unwrap();
            assert_eq!(many, [ReceiptApplied::Applied, ReceiptApplied::Applied]);
            late_receipt = true;
        }
        if !run.out_of_time {
            break;
        }
        assert!(runs < 200, "stamping ends");
    }
    assert!(
        first_run_left_work,
        "a 300 ms run cannot stamp ~600 items on moto"
    );
    assert!(runs >= 3, "{runs} runs");
    // What it cost (`cargo test -p batchmsg-aws --test retention -- --nocapture`);
    // the receipts' own requests are among them.
    let by_operation = stack.requests.by_operation();
    eprintln!("retention: {runs} runs, requests {by_operation:?}");
    let updates: u64 = by_operation
        .iter()
        .filter(|((_, operation), _)| operation == "UpdateItem")
        .map(|(_, count)| count)
        .sum();
    let items = (1 + 2 + 300 + 260) + (1 + 2 + 20 + 10);
    assert!(
        updates >= items,
        "one UpdateItem an item at least: {updates} < {items}"
    );
    // And after the last one, receipts keep the expiry too.
    repos
        .record_receipt(&receipt(format!("{big}-p4")))
        .await
        .unwrap();

    let items = every_item(repos).await;
    for (batch, recipients, sent) in [(&big, 300, 260), (&small, 20, 10)] {
        let mine = items_of(&items, batch);
        assert_eq!(
            mine.len(),
            1 + 2 + recipients + sent,
            "batch, waves, recipients, MSG# items of {batch}"
        );
        let batch_item = mine
            .iter()
            .find(|i| text(i, "SK") == Some("BATCH"))
            .unwrap();
        assert_eq!(text(batch_item, "GSI2PK"), None, "no longer finished-to-do");
        assert_eq!(text(batch_item, "expiry_cursor"), None);
        let finished_ms = number(batch_item, "finished_at").expect("finished_at");
        let expected = finished_ms.div_euclid(1000) + RETENTION.num_seconds();
        for item in &mine {
            assert_eq!(
                number(item, TTL_ATTRIBUTE),
                Some(expected),
                "{:?} {:?}",
                text(item, "PK"),
                text(item, "SK")
            );
        }
    }
    let delivered = repos.records(&big).await.unwrap();
    for record in &delivered[1..=4] {
        assert_eq!(
            record.status,
            batchmsg_core::delivery::RecipientStatus::Delivered
        );
    }
    // The batch still sending: nothing of it expires.
    let still_open = items_of(&items, &open);
    assert_eq!(still_open.len(), 1 + 2 + 10 + 10);
    assert!(still_open.iter().all(|i| !i.contains_key(TTL_ATTRIBUTE)));
}
