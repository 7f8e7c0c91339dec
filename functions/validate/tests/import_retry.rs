//! The import's two ways of writing, on moto through the validate handler:
//! the upload's first claim writes its rows without looking (no BatchGetItem
//! at all), and a retry of the same upload, which finds the batch already
//! claimed, looks before it writes: it adds what the first run did not reach
//! and leaves what it stored as it is.

use aws_sdk_dynamodb::types::AttributeValue;
use batchmsg_aws::dynamo::recipient_partition_key;
use batchmsg_core::batch::{Batch, BatchId, RecipientRecord};
use batchmsg_core::delivery::{BatchStatus, RecipientStatus};
use batchmsg_core::ports::{BatchRepo, RecipientRepo, SystemClock};
use batchmsg_moto::{BUCKET, Moto, Stack, TABLE};
use batchmsg_synthetic::{ListOptions, write_patient_list};
use batchmsg_validate::{ValidateSummary, handle};
use chrono::Utc;
use serde_json::Value;

const BATCH: &str = "20261206-090000-0002";
const KEY: &str = "uploads/north-clinic/20261206-090000-0002.csv";
/// Rows enough for two of validation's chunks of 5,000 recipients.
const ROWS: u64 = 6_000;
/// BatchWriteItem's limit.
const PER_WRITE: u64 = 25;

fn batch_id() -> BatchId {
    BATCH.parse().unwrap()
}

fn event_for(tag: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/s3-object-created.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["Records"][0]["s3"]["object"]["key"] = Value::from(KEY);
    event["Records"][0]["s3"]["object"]["eTag"] = Value::from(tag);
    event
}

/// A batch awaiting its list, and the list uploaded; the upload's ETag.
async fn uploaded(stack: &Stack) -> String {
    let created = stack
        .repos
        .create_batch(&Batch {
            id: batch_id(),
            status: BatchStatus::AwaitingUpload,
            created_at: Utc::now(),
            list_name: "recall.csv".into(),
            message: "Dear ((Patient Name)), please book your flu jab.".into(),
            rows: 0,
            accepted: 0,
            not_accepted: 0,
        })
        .await
        .unwrap();
    assert!(created);
    let mut list = Vec::new();
    let options = ListOptions {
        rows: ROWS,
        seed: 5,
        with_consent_column: false,
        practice_shapes: false,
    };
    write_patient_list(&mut list, &options).unwrap();
    let put = stack
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(list.into())
        .send()
        .await
        .unwrap();
    put.e_tag().unwrap().trim_matches('"').to_owned()
}

async fn validate(stack: &Stack, tag: &str) -> ValidateSummary {
    handle(
        &stack.repos,
        &stack.objects,
        &stack.opt_outs,
        &SystemClock,
        event_for(tag),
    )
    .await
    .expect("validates")
}

fn requests(stack: &Stack, operation: &str) -> u64 {
    stack
        .requests
        .by_operation()
        .get(&("DynamoDB".to_owned(), operation.to_owned()))
        .copied()
        .unwrap_or(0)
}

fn recipient_key(seq: u32) -> std::collections::HashMap<String, AttributeValue> {
    [
        (
            "PK".to_owned(),
            AttributeValue::S(recipient_partition_key(&batch_id(), seq)),
        ),
        ("SK".to_owned(), AttributeValue::S(format!("R#{seq:07}"))),
    ]
    .into()
}

/// Validation's chunks of 5,000: the BatchWriteItem requests that writing
/// `accepted` recipients unlooked takes.
fn unlooked_writes(accepted: u64) -> u64 {
    let full = accepted / 5_000;
    let rest = accepted % 5_000;
    full * 5_000u64.div_ceil(PER_WRITE) + rest.div_ceil(PER_WRITE)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_claim_writes_without_looking_and_a_retry_looks_and_loses_nothing() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let tag = uploaded(&stack).await;
    let id = batch_id();

    stack.requests.clear();
    let first = validate(&stack, &tag).await;
    assert_eq!(first.uploads[0].outcome, "validated");
    let accepted = first.uploads[0].accepted.unwrap();
    assert!(accepted > 5_000, "two chunks at least: {accepted}");
    assert_eq!(
        requests(&stack, "BatchGetItem"),
        0,
        "the first claim proves no row was stored: nothing is looked up"
    );
    assert_eq!(
        requests(&stack, "BatchWriteItem"),
        unlooked_writes(accepted),
        "each recipient written once, 25 a request"
    );
    let stored: Vec<RecipientRecord> = stack.repos.records(&id).await.unwrap();
    assert_eq!(stored.len() as u64, accepted);
    assert!(stored.iter().all(|r| r.status == RecipientStatus::Queued));
    assert!(
        stored
            .iter()
            .enumerate()
            .all(|(i, r)| r.recipient.seq == i as u32),
        "seqs 0.. in order, none twice"
    );

    // Now as a first run that stopped part way leaves it: the batch still
    // awaiting its upload (claimed by this tag), some rows never written
    // (at the start, across the chunks' boundary, at the end), and, to show
    // that the retry looks, one stored text moved on.
    stack
        .dynamo
        .update_item()
        .table_name(TABLE)
        .key("PK", AttributeValue::S(format!("BATCH#{BATCH}")))
        .key("SK", AttributeValue::S("BATCH".into()))
        .update_expression("SET #status = :waiting")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":waiting", AttributeValue::S("awaiting-upload".into()))
        .send()
        .await
        .unwrap();
    let last = accepted as u32 - 1;
    let missing: Vec<u32> = (0..30).chain(4_990..5_010).chain(last - 9..=last).collect();
    for &seq in &missing {
        stack
            .dynamo
            .delete_item()
            .table_name(TABLE)
            .set_key(Some(recipient_key(seq)))
            .send()
            .await
            .unwrap();
    }
    let moved_on = 77;
    let claimed = stack
        .repos
        .claim(&id, &[moved_on], Utc::now())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    stack.requests.clear();
    let retry = validate(&stack, &tag).await;
    assert_eq!(retry.uploads[0].outcome, "validated");
    assert_eq!(retry.uploads[0].accepted, Some(accepted));
    assert_eq!(
        requests(&stack, "BatchGetItem"),
        accepted.div_ceil(100),
        "a retry looks up every row, 100 a request"
    );
    assert!(
        requests(&stack, "BatchWriteItem") <= missing.len() as u64,
        "and writes only the rows it did not find: {} requests for {} rows",
        requests(&stack, "BatchWriteItem"),
        missing.len()
    );
    let after = stack.repos.records(&id).await.unwrap();
    assert_eq!(after.len(), stored.len(), "every row is back, none twice");
    for (now, before) in after.iter().zip(&stored) {
        assert_eq!(
            now.recipient, before.recipient,
            "the same row under its seq"
        );
        let status = if now.recipient.seq == moved_on {
            RecipientStatus::Sending
        } else {
            RecipientStatus::Queued
        };
        assert_eq!(now.status, status, "seq {}", now.recipient.seq);
    }
    let batch = stack.repos.batch(&id).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::Validated);
    assert_eq!(batch.accepted, accepted);
}
