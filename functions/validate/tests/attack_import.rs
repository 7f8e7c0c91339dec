//! Attacks on the import's promise (issue 13): whatever the kills, repeats
//! and concurrent deliveries of an upload's S3 event, every accepted row ends
//! as exactly one recipient, and the batch's counts equal the report's. On
//! moto, through the validate handler with S3's event shape.
//!
//! A "kill" is the handler's future dropped part way through the import (as
//! Lambda's timeout ends the process): requests already sent land, the rest
//! never leave. The moment is chosen by counting the BatchWriteItem and
//! BatchGetItem requests the SDK's interceptor has seen.

use std::time::Duration;

use batchmsg_core::batch::{Batch, BatchId, RecipientRecord};
use batchmsg_core::delivery::{BatchStatus, RecipientStatus};
use batchmsg_core::ports::{BatchRepo, RecipientRepo, SystemClock};
use batchmsg_moto::{BUCKET, Moto, Stack};
use batchmsg_synthetic::{ListOptions, write_patient_list};
use batchmsg_validate::{ValidateError, ValidateSummary, handle};
use chrono::Utc;
use serde_json::Value;

const BATCH: &str = "20261206-090000-0007";
const KEY: &str = "uploads/north-clinic/20261206-090000-0007.csv";
const NOT_ACCEPTED: &str = "reports/north-clinic/20261206-090000-0007/not-accepted.csv";
const PROBLEM: &str = "reports/north-clinic/20261206-090000-0007/problem.txt";
/// Two of validation's chunks of 5,000 recipients at least.
const ROWS: u64 = 6_000;

fn batch_id() -> BatchId {
    BATCH.parse().unwrap()
}

fn event_for(key: &str, tag: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/s3-object-created.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["Records"][0]["s3"]["object"]["key"] = Value::from(key);
    event["Records"][0]["s3"]["object"]["eTag"] = Value::from(tag);
    event
}

async fn awaiting_upload(stack: &Stack) {
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
}

fn generated(rows: u64, seed: u64) -> Vec<u8> {
    let mut list = Vec::new();
    let options = ListOptions {
        rows,
        seed,
        with_consent_column: false,
        practice_shapes: false,
    };
    write_patient_list(&mut list, &options).unwrap();
    list
}

/// Puts the object; its ETag as S3's events give it (no quotes).
async fn upload(stack: &Stack, bytes: Vec<u8>) -> String {
    let put = stack
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(bytes.into())
        .send()
        .await
        .unwrap();
    put.e_tag().unwrap().trim_matches('"').to_owned()
}

async fn object(stack: &Stack, key: &str) -> Option<String> {
    let object = stack
        .s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = object.body.collect().await.unwrap().into_bytes();
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

async fn validate_event(stack: &Stack, event: Value) -> Result<ValidateSummary, ValidateError> {
    handle(
        &stack.repos,
        &stack.objects,
        &stack.opt_outs,
        &SystemClock,
        event,
    )
    .await
}

async fn validate(stack: &Stack, tag: &str) -> Result<ValidateSummary, ValidateError> {
    validate_event(stack, event_for(KEY, tag)).await
}

/// The import's DynamoDB requests so far (writes and lookups).
fn import_requests(stack: &Stack) -> u64 {
    let by = stack.requests.by_operation();
    ["BatchWriteItem", "BatchGetItem"]
        .iter()
        .map(|op| {
            by.get(&("DynamoDB".to_owned(), (*op).to_owned()))
                .copied()
                .unwrap_or(0)
        })
        .sum()
}

/// Resolves once the import has sent `n` more requests than `from`;
/// panics after a minute (an import that stopped writing).
async fn after_import_requests(stack: &Stack, from: u64, n: u64) {
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    while import_requests(stack) < from + n {
        assert!(
            std::time::Instant::now() < give_up,
            "{n} import requests never came"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Runs the handler for `tag` and drops it (a kill) once the import has
/// sent `n` requests; panics if the handler finished first.
async fn killed_after(stack: &Stack, tag: &str, n: u64) {
    let from = import_requests(stack);
    tokio::select! {
        done = validate(stack, tag) => panic!("the run finished before the kill: {done:?}"),
        () = after_import_requests(stack, from, n) => {}
    }
}

/// Every accepted row once: seqs 0..accepted each exactly once, and the
/// batch's counts equal the report's.
async fn each_row_once(stack: &Stack, accepted: u64) -> Vec<RecipientRecord> {
    let id = batch_id();
    let records = stack.repos.records(&id).await.unwrap();
    let seqs: Vec<u32> = records.iter().map(|r| r.recipient.seq).collect();
    let expected: Vec<u32> = (0..accepted as u32).collect();
    assert_eq!(seqs, expected, "every accepted row once, none twice");
    let batch = stack.repos.batch(&id).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::Validated);
    assert_eq!(batch.accepted, accepted);
    assert_eq!(batch.rows, batch.accepted + batch.not_accepted);
    let report = object(stack, NOT_ACCEPTED).await.expect("the report");
    assert_eq!(
        report.lines().count() as u64,
        batch.not_accepted + 1,
        "the batch's not-accepted count is the report's rows"
    );
    records
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_twice_mid_import_then_delivered_again_every_row_is_stored_once() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, generated(ROWS, 5)).await;

    // The first run (the upload's first claim: blind writes, 16 in flight)
    // killed in its first chunk; the retry (looks first) killed too.
    killed_after(&stack, &tag, 37).await;
    let stored = stack.repos.records(&batch_id()).await.unwrap().len();
    assert!(stored > 0 && stored < 5_000, "killed part way: {stored}");
    killed_after(&stack, &tag, 120).await;
    // Requests the kill cut off may still be answered by moto; let them land.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let done = validate(&stack, &tag).await.unwrap();
    assert_eq!(done.uploads[0].outcome, "validated");
    let accepted = done.uploads[0].accepted.unwrap();
    assert!(accepted > 5_000, "two chunks at least: {accepted}");
    let records = each_row_once(&stack, accepted).await;
    assert!(records.iter().all(|r| r.status == RecipientStatus::Queued));
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_in_its_second_chunk_then_delivered_again_every_row_is_stored_once() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, generated(ROWS, 5)).await;
    // The first chunk is 200 writes of 25.
    killed_after(&stack, &tag, 207).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = stack.repos.records(&batch_id()).await.unwrap().len();
    assert!(stored >= 5_000, "into the second chunk: {stored}");

    let done = validate(&stack, &tag).await.unwrap();
    assert_eq!(done.uploads[0].outcome, "validated");
    let accepted = done.uploads[0].accepted.unwrap();
    assert!((stored as u64) < accepted, "killed part way: {stored}");
    each_row_once(&stack, accepted).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_event_delivered_twice_at_once_or_overlapping_stores_each_row_once() {
    // At once: both claim (one first, one again) and import side by side.
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, generated(ROWS, 5)).await;
    let (a, b) = tokio::join!(validate(&stack, &tag), validate(&stack, &tag));
    let (a, b) = (a.unwrap(), b.unwrap());
    let validated: Vec<_> = [&a, &b]
        .into_iter()
        .filter(|s| s.uploads[0].outcome == "validated")
        .collect();
    assert!(!validated.is_empty(), "one of them validated: {a:?} {b:?}");
    let accepted = validated[0].uploads[0].accepted.unwrap();
    each_row_once(&stack, accepted).await;
    drop(stack);
    drop(moto);

    // Overlapping: the second delivery arrives while the first is in its
    // second chunk.
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, generated(ROWS, 5)).await;
    let from = import_requests(&stack);
    let late = async {
        after_import_requests(&stack, from, 210).await;
        validate(&stack, &tag).await
    };
    let (a, b) = tokio::join!(validate(&stack, &tag), late);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.uploads[0].accepted, Some(accepted), "{a:?} {b:?}");
    let records = each_row_once(&stack, accepted).await;
    assert!(records.iter().all(|r| r.status == RecipientStatus::Queued));
}

/// A practice uploads a list, spots a mistake and uploads the corrected one
/// to the same key while the first is still being imported. The second is
/// refused and the batch cancelled (by design: rows of two files must not
/// mix). Every row the first run stored must end `cancelled`: a row left
/// `queued` in a cancelled, closed batch is counted as waiting for ever.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_uploaded_again_while_the_first_is_imported_leaves_no_row_queued() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let first_tag = upload(&stack, generated(12_000, 5)).await;
    let from = import_requests(&stack);
    let second = async {
        // In the first run's first chunk of 5,000 (200 writes).
        after_import_requests(&stack, from, 20).await;
        let second_tag = upload(&stack, generated(40, 9)).await;
        assert_ne!(second_tag, first_tag);
        validate(&stack, &second_tag).await
    };
    let (first, second) = tokio::join!(validate(&stack, &first_tag), second);
    let second = second.unwrap();
    assert_eq!(second.uploads[0].outcome, "refused", "{second:?}");
    let first = first.unwrap();
    assert_eq!(
        first.uploads[0].outcome, "already cancelled",
        "the first run stops once it sees the batch cancelled: {first:?}"
    );
    let problem = object(&stack, PROBLEM).await.expect("the uploader is told");
    assert!(problem.contains("second file"), "{problem}");

    let id = batch_id();
    let batch = stack.repos.batch(&id).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::Cancelled);
    let records = stack.repos.records(&id).await.unwrap();
    assert!(!records.is_empty(), "the first run had stored rows");
    let queued: Vec<u32> = records
        .iter()
        .filter(|r| r.status != RecipientStatus::Cancelled)
        .map(|r| r.recipient.seq)
        .collect();
    assert!(
        queued.is_empty(),
        "{} of {} rows of the cancelled batch are not cancelled (first seq {:?})",
        queued.len(),
        records.len(),
        queued.first()
    );
}

/// An empty file (a browser's failed upload, an export that wrote nothing)
/// is refused with a reason, the batch keeps waiting, and the list uploaded
/// after it is validated.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_file_is_refused_and_the_list_uploaded_after_it_is_validated() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let empty = upload(&stack, Vec::new()).await;
    let done = validate(&stack, &empty).await.unwrap();
    assert_eq!(done.uploads[0].outcome, "refused");
    assert!(object(&stack, PROBLEM).await.is_some());
    let batch = stack.repos.batch(&batch_id()).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::AwaitingUpload);

    let tag = upload(&stack, generated(50, 3)).await;
    let done = validate(&stack, &tag).await.unwrap();
    assert_eq!(done.uploads[0].outcome, "validated");
    let accepted = done.uploads[0].accepted.unwrap();
    each_row_once(&stack, accepted).await;
    // The empty file's event, delivered late, changes nothing.
    let late = validate(&stack, &empty).await.unwrap();
    assert_eq!(late.uploads[0].outcome, "already validated");
}

/// Keys as S3 sends them in events: URL-encoded, `/` as `%2F` included.
#[tokio::test(flavor = "multi_thread")]
async fn a_url_encoded_key_is_validated_as_the_object_it_names() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, generated(30, 3)).await;
    let encoded = KEY.replace('/', "%2F").replace('-', "%2D");
    let done = validate_event(&stack, event_for(&encoded, &tag))
        .await
        .unwrap();
    assert_eq!(done.uploads[0].outcome, "validated");
    each_row_once(&stack, done.uploads[0].accepted.unwrap()).await;
}
