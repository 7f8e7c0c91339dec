//! Issue 12, case 2: two processes share a data folder, and one of them is
//! killed after its texts went into the outbox and before it recorded them
//! `sent`. The other keeps reading receipts (from the one offset both
//! save); it must not drop those texts' receipts for good, so that once
//! `batchmsg run` recovers the texts as `sent`, their receipts still come.
//!
//! Each process's receipt loop is the runner's (`pump_receipts` in
//! cli/src/runner.rs), driven by a clock the test moves.

use std::time::Duration;

use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::delivery::{BatchStatus, RecipientStatus};
use batchmsg_core::ports::{RecipientRepo, SmsSender, SystemClock};
use batchmsg_core::sending::{record_receipts, recover_sending};
use batchmsg_core::test_support::store_batch;
use batchmsg_local::Database;
use batchmsg_local::outbox::{Outbox, ReceiptFeed};
use chrono::{DateTime, TimeDelta, Utc};

const RECEIPT_DELAY: Duration = Duration::from_millis(800);
const RECEIPT_RETRY: TimeDelta = TimeDelta::milliseconds(500);

async fn batch_of(db: &Database, id: &str, texts: Seq) -> (BatchId, Vec<Recipient>) {
    let id: BatchId = id.parse().expect("a batch id");
    let recipients = store_batch(db, &id, BatchStatus::Sending, texts)
        .await
        .expect("stores the batch");
    let seqs: Vec<Seq> = (0..texts).collect();
    let claimed = db.claim(&id, &seqs, Utc::now()).await.expect("claims");
    assert_eq!(claimed.len(), recipients.len());
    (id, claimed)
}

/// One process's receipt loop, from the saved offset, until it has nothing
/// left to wait for; the time then.
async fn receipts_until_idle(db: &Database, outbox: &Outbox, from: DateTime<Utc>) -> DateTime<Utc> {
    let mut feed = ReceiptFeed::new(outbox.path(), RECEIPT_DELAY);
    feed.resume_from(db.receipt_feed_offset().expect("reads the offset"));
    let mut now = from;
    for _ in 0..1000 {
        let receipts = feed.poll(now).expect("reads the outbox");
        let recorded = record_receipts(db, &receipts).await.expect("records");
        feed.retry_at(recorded.early, now + RECEIPT_RETRY, |text| {
            db.may_take_receipt(&text.batch, text.seq)
        })
        .expect("asks the database");
        db.save_receipt_feed_offset(feed.offset())
            .expect("saves the offset");
        if !feed.pending() {
            return now;
        }
        now += RECEIPT_RETRY;
    }
    panic!("the receipt loop never ends: it waits for texts no one is sending");
}

async fn statuses(db: &Database, id: &BatchId) -> Vec<RecipientStatus> {
    let records = db.records(id).await.expect("reads the batch");
    records.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn receipts_of_a_killed_process_texts_are_kept_until_they_are_recorded() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = Database::open(dir.path()).expect("opens");
    let start = Utc::now();

    // The killed process: its texts went out, and were never recorded sent.
    let killed = Outbox::open(dir.path()).expect("opens the outbox");
    let (stranded, claimed) = batch_of(&db, "20261125-090000-0001", 3).await;
    for r in &claimed {
        killed.publish(&stranded, r).await.expect("takes the text");
    }
    drop(killed);

    // The live process sends its own batch and waits for its receipts.
    let live = Outbox::open(dir.path()).expect("opens the outbox");
    let (own, claimed) = batch_of(&db, "20261125-090000-0002", 2).await;
    let mut published = Vec::new();
    for r in &claimed {
        published.push(live.publish(&own, r).await.expect("takes the text"));
    }
    db.mark_sent(&own, &published).await.expect("records them");
    let idle = receipts_until_idle(&db, &live, start).await;
    assert!(
        idle >= start + TimeDelta::seconds(10),
        "the live process tried the stranded texts' receipts for a while"
    );
    assert_eq!(statuses(&db, &own).await, [RecipientStatus::Delivered; 2]);
    assert_eq!(
        statuses(&db, &stranded).await,
        [RecipientStatus::Sending; 3]
    );

    // Later, `batchmsg run` recovers the stranded texts as sent, and reads
    // receipts from the offset the live process saved.
    let run = Outbox::open(dir.path()).expect("opens the outbox");
    let recovered = recover_sending(&db, &run, &db, &SystemClock, &stranded)
        .await
        .expect("recovers");
    assert_eq!(recovered.sent, 3);
    receipts_until_idle(&db, &run, idle + TimeDelta::seconds(1)).await;
    assert_eq!(
        statuses(&db, &stranded).await,
        [RecipientStatus::Delivered; 3],
        "every recovered text had its receipt"
    );
}
