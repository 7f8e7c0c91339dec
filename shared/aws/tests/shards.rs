//! A batch's recipients on several partition keys (moto): where an import
//! puts them, read straight from the table with the SDK; that reads of a
//! range query only the shards it overlaps and give back exactly that
//! range, in seq order, each once; that one shard holding more than a 1 MB
//! page is read page by page; and that retention walks the shards with an
//! exact cursor, across gaps in the seqs, the batch item last.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use batchmsg_aws::dynamo::{DynamoRepos, TTL_ATTRIBUTE};
use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::delivery::{BatchEvent, BatchStatus, RecipientStatus};
use batchmsg_core::ports::{BatchRepo, RecipientRepo, Retention};
use batchmsg_core::test_support::{batch, recipient, recipient_with_body, t0};
use batchmsg_moto::items::{Item, every_item};
use batchmsg_moto::{Moto, Stack};
use chrono::TimeDelta;

fn id(n: u32) -> BatchId {
    format!("20261206-070000-{n:04}").parse().unwrap()
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{name} is a string"))
}

/// DynamoDB requests of `operation` since the count was last cleared.
fn requests(stack: &Stack, operation: &str) -> u64 {
    stack
        .requests
        .by_operation()
        .get(&("DynamoDB".to_owned(), operation.to_owned()))
        .copied()
        .unwrap_or(0)
}

fn seqs(range: std::ops::Range<Seq>, without: &[Seq]) -> Vec<Seq> {
    range.filter(|s| !without.contains(s)).collect()
}

#[tokio::test]
async fn an_import_lands_on_16_keys_and_a_range_reads_back_exactly_itself() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let id = id(1);
    let recipients: Vec<Recipient> = (0..1_200).map(recipient).collect();
    stack.requests.clear();
    repos.insert_new_recipients(&id, &recipients).await.unwrap();
    assert_eq!(requests(&stack, "BatchWriteItem"), 48, "25 a request");

    // Straight from the table: the recipients by partition key.
    let mut by_pk: BTreeMap<String, Vec<Seq>> = BTreeMap::new();
    for item in every_item(repos).await {
        let sk = text(&item, "SK");
        let seq: Seq = sk
            .strip_prefix("R#")
            .expect("only recipients")
            .parse()
            .unwrap();
        by_pk
            .entry(text(&item, "PK").to_owned())
            .or_default()
            .push(seq);
    }
    assert_eq!(
        by_pk.len(),
        16,
        "16 partition keys: {:?}",
        by_pk.keys().collect::<Vec<_>>()
    );
    let mut every = BTreeSet::new();
    for (shard, (pk, held)) in by_pk.iter().enumerate() {
        assert_eq!(*pk, format!("BATCH#{id}#R{shard:02}"));
        // 1,200 seqs are 48 blocks of 25: three blocks a key.
        assert_eq!(held.len(), 75, "{pk}");
        for &seq in held {
            assert_eq!((seq / 25) % 16, shard as u32, "{pk} holds {seq}");
            assert!(every.insert(seq), "{seq} once");
        }
    }
    assert_eq!(every, (0..1_200).collect::<BTreeSet<_>>());
    // A Query of one key finds its three blocks.
    let out = repos
        .client()
        .query()
        .table_name(repos.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("BATCH#{id}#R03")))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 75);

    // Two texts of the range move on; the rest come back in order, once.
    assert_eq!(repos.claim(&id, &[120, 400], t0()).await.unwrap().len(), 2);
    stack.requests.clear();
    // Blocks 4..=21: 18 blocks, every shard, shards 4 and 5 twice.
    let queued = repos.queued_in(&id, 110..530).await.unwrap();
    assert_eq!(queued, seqs(110..530, &[120, 400]));
    assert_eq!(requests(&stack, "Query"), 16);
    stack.requests.clear();
    // Blocks 4..=11: 8 shards, a Query each.
    let queued = repos.queued_in(&id, 110..290).await.unwrap();
    assert_eq!(queued, seqs(110..290, &[120]));
    assert_eq!(requests(&stack, "Query"), 8);
    stack.requests.clear();
    // Across shard 15 to shard 0 (blocks 15 and 16).
    let lost = repos
        .queued_without_job_since(&id, 390..410, t0() + TimeDelta::hours(1))
        .await
        .unwrap();
    assert_eq!(lost, seqs(390..410, &[400]));
    assert_eq!(requests(&stack, "Query"), 2);
    let counts = repos.counts(&id, Some(390..410)).await.unwrap();
    assert_eq!(
        counts.by_status,
        [(RecipientStatus::Queued, 19), (RecipientStatus::Sending, 1)]
    );

    // The whole batch: 16 Queries, in seq order.
    stack.requests.clear();
    let records = repos.records(&id).await.unwrap();
    assert_eq!(requests(&stack, "Query"), 16);
    let listed: Vec<Seq> = records.iter().map(|r| r.recipient.seq).collect();
    assert_eq!(listed, (0..1_200).collect::<Vec<_>>());
    assert_eq!(
        repos.sending(&id).await.unwrap(),
        [(120, t0()), (400, t0())]
    );
    assert_eq!(repos.cancel_queued(&id, t0()).await.unwrap(), 1_198);
    let counts = repos.counts(&id, None).await.unwrap();
    assert_eq!(
        counts.by_status,
        [
            (RecipientStatus::Cancelled, 1_198),
            (RecipientStatus::Sending, 2)
        ]
    );
}

#[tokio::test]
async fn a_shard_of_more_than_a_page_is_read_page_by_page() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let id = id(2);
    // 1,200 recipients all on shard 0 (seqs 0..25, 400..425, …), ~1.9 kB
    // each (a long UCS-2 text): 2.3 MB on one key, three 1 MB pages.
    let on_shard_0: Vec<Seq> = (0..48)
        .flat_map(|block| (0..25).map(move |i| block * 400 + i))
        .collect();
    let long: Vec<Recipient> = on_shard_0
        .iter()
        .map(|&seq| recipient_with_body(seq, format!("{seq} {}", "é".repeat(900))))
        .collect();
    repos.insert_recipients(&id, &long).await.unwrap();
    stack.requests.clear();
    let records = repos.records(&id).await.unwrap();
    let pages = requests(&stack, "Query");
    assert!(pages >= 15 + 3, "15 empty shards and 3 pages: {pages}");
    assert_eq!(records.len(), long.len());
    assert!(records.iter().zip(&long).all(|(r, l)| r.recipient == *l));
    stack.requests.clear();
    let queued = repos.queued_in(&id, 0..20_000).await.unwrap();
    assert_eq!(queued, on_shard_0);
}

/// The batch item's `expiry_cursor`, if any.
async fn cursor(repos: &DynamoRepos, id: &BatchId) -> Option<String> {
    let out = repos
        .client()
        .get_item()
        .table_name(repos.table())
        .key("PK", AttributeValue::S(format!("BATCH#{id}")))
        .key("SK", AttributeValue::S("BATCH".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item
        .unwrap()
        .get("expiry_cursor")
        .map(|v| v.as_s().unwrap().clone())
}

#[tokio::test]
async fn retention_pages_through_the_shards_exactly_across_gaps() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let id = id(3);
    let held: Vec<Seq> = (0..450).chain(5_000..5_010).chain([16_000]).collect();
    let recipients: Vec<Recipient> = held.iter().map(|&s| recipient(s)).collect();
    assert!(
        repos
            .create_batch(&batch(id.clone(), BatchStatus::Sending, 461))
            .await
            .unwrap()
    );
    repos.insert_recipients(&id, &recipients).await.unwrap();
    assert!(repos.batch_event(&id, BatchEvent::Cancel).await.unwrap());
    assert!(repos.close(&id).await.unwrap());

    let expires = t0() + TimeDelta::days(90);
    let mut cursors = Vec::new();
    let mut stamped = 0;
    loop {
        let step = repos.stamp_next(&id, expires).await.unwrap();
        stamped += step.items;
        cursors.push(cursor(repos, &id).await);
        if step.done {
            break;
        }
        assert!(cursors.len() < 20, "{cursors:?}");
    }
    // A window of 200 seqs a page; a gap is jumped, not walked.
    assert_eq!(
        cursors,
        [
            Some("R200".to_owned()),
            Some("R400".to_owned()),
            Some("R5000".to_owned()),
            Some("R16000".to_owned()),
            None,
        ]
    );
    assert_eq!(stamped, 461 + 1, "each recipient and the batch item once");
    let expected = AttributeValue::N(expires.timestamp().to_string());
    let items = every_item(repos).await;
    assert_eq!(items.len(), 462);
    for item in &items {
        assert_eq!(
            item.get(TTL_ATTRIBUTE),
            Some(&expected),
            "{} {}",
            text(item, "PK"),
            text(item, "SK")
        );
    }
}
