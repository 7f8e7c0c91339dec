//! The validate function against moto (S3, DynamoDB and SNS through the real
//! SDK clients), called in-process with the event S3 sends
//! (`tests/fixtures/s3-object-created.json`).

use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::{BatchRepo, RecipientRepo, SystemClock};
use batchmsg_moto::{BUCKET, Moto, Stack};
use batchmsg_synthetic::{ListOptions, write_patient_list};
use batchmsg_validate::{ValidateError, ValidateSummary, handle};
use chrono::Utc;
use lambda_runtime::Diagnostic;
use serde_json::Value;

const BATCH: &str = "20261125-090000-0001";
const KEY: &str = "uploads/north-clinic/20261125-090000-0001.csv";
const NOT_ACCEPTED: &str = "reports/north-clinic/20261125-090000-0001/not-accepted.csv";
const PROBLEM: &str = "reports/north-clinic/20261125-090000-0001/problem.txt";
/// moto's opted-out numbers that the generator can produce.
const SNS_OPTED_OUT: [&str; 4] = [
    "+447700900149",
    "+447700900550",
    "+447700900545",
    "+447700900907",
];

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// S3's event for the object at `key` with that ETag.
fn event_for(key: &str, tag: &str) -> Value {
    let mut event = fixture("s3-object-created.json");
    event["Records"][0]["s3"]["object"]["key"] = Value::from(key);
    event["Records"][0]["s3"]["object"]["eTag"] = Value::from(tag);
    event
}

fn batch_id() -> BatchId {
    BATCH.parse().unwrap()
}

/// The batch as the API will make it: waiting for its list.
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

/// Puts the object; its ETag, as S3's events give it (no quotes).
async fn upload(stack: &Stack, key: &str, bytes: Vec<u8>) -> String {
    let put = stack
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .unwrap();
    put.e_tag().unwrap().trim_matches('"').to_owned()
}

fn generated(rows: u64) -> Vec<u8> {
    let mut list = Vec::new();
    let options = ListOptions {
        rows,
        seed: 11,
        with_consent_column: false,
        practice_shapes: false,
    };
    write_patient_list(&mut list, &options).unwrap();
    list
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

async fn validate(stack: &Stack, event: Value) -> Result<ValidateSummary, ValidateError> {
    handle(
        &stack.repos,
        &stack.objects,
        &stack.opt_outs,
        &SystemClock,
        event,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_list_becomes_a_validated_batch_with_its_report_beside_it() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, KEY, generated(2_000)).await;

    let summary = validate(&stack, event_for(KEY, &tag)).await.unwrap();
    let done = &summary.uploads[0];
    assert_eq!(
        (done.batch.as_str(), done.outcome.as_str()),
        (BATCH, "validated")
    );
    let (rows, accepted, not_accepted) = (
        done.rows.unwrap(),
        done.accepted.unwrap(),
        done.not_accepted.unwrap(),
    );
    assert_eq!(rows, 2_000);
    assert_eq!(accepted + not_accepted, rows);
    assert!(not_accepted > 100, "the generator damages about 10 %");

    let batch = stack.repos.batch(&batch_id()).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::Validated);
    assert_eq!(
        (batch.rows, batch.accepted, batch.not_accepted),
        (rows, accepted, not_accepted)
    );

    let records = stack.repos.records(&batch_id()).await.unwrap();
    assert_eq!(records.len() as u64, accepted);
    assert!(
        records
            .iter()
            .all(|r| r.recipient.body.as_str().starts_with("Dear "))
    );
    assert!(
        records
            .iter()
            .all(|r| !SNS_OPTED_OUT.contains(&r.recipient.mobile.e164().as_str())),
        "SNS's opted-out numbers are not accepted"
    );

    let report = object(&stack, NOT_ACCEPTED)
        .await
        .expect("the not-accepted list");
    assert_eq!(report.lines().count() as u64, not_accepted + 1);
    assert!(report.contains("Patient is on the opted-out list"));
    assert_eq!(object(&stack, PROBLEM).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_event_twice_validates_once() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, KEY, generated(300)).await;
    validate(&stack, event_for(KEY, &tag)).await.unwrap();
    let stored = stack.repos.records(&batch_id()).await.unwrap();
    stack.requests.clear();

    let again = validate(&stack, event_for(KEY, &tag)).await.unwrap();
    assert_eq!(again.uploads[0].outcome, "already validated");
    // One GetItem of the batch, and nothing written.
    let requests = stack.requests.by_operation();
    assert_eq!(
        requests.into_iter().collect::<Vec<_>>(),
        [(("DynamoDB".to_owned(), "GetItem".to_owned()), 1)]
    );
    assert_eq!(stack.repos.records(&batch_id()).await.unwrap(), stored);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_a_list_is_refused_with_the_reason_for_the_uploader() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let tag = upload(&stack, KEY, b"%PDF-1.7 not a list".to_vec()).await;

    let summary = validate(&stack, event_for(KEY, &tag)).await.unwrap();
    assert_eq!(summary.uploads[0].outcome, "refused");
    let problem = object(&stack, PROBLEM).await.expect("the problem report");
    assert!(
        problem.contains("not a CSV file or a spreadsheet"),
        "{problem}"
    );
    let batch = stack.repos.batch(&batch_id()).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::AwaitingUpload);
    assert!(stack.repos.records(&batch_id()).await.unwrap().is_empty());

    // The corrected file, uploaded to the same key, is validated.
    let tag = upload(&stack, KEY, generated(50)).await;
    let summary = validate(&stack, event_for(KEY, &tag)).await.unwrap();
    assert_eq!(summary.uploads[0].outcome, "validated");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3s_test_event_is_acknowledged_and_nothing_is_read() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let summary = validate(&stack, fixture("s3-test-event.json"))
        .await
        .unwrap();
    assert!(summary.uploads.is_empty());
    assert_eq!(stack.requests.total(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_is_not_an_upload_or_a_batch_that_does_not_exist_is_an_error_that_says_which() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;

    let error = validate(&stack, event_for("reports/x/y.csv", "e"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("is not an upload"), "{error}");
    assert_eq!(Diagnostic::from(error).error_type, "NotAnUpload");

    let tag = upload(&stack, KEY, generated(10)).await;
    let error = validate(&stack, event_for(KEY, &tag)).await.unwrap_err();
    assert!(error.to_string().contains("there is no batch"), "{error}");
    assert_eq!(Diagnostic::from(error).error_type, "UploadFailed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_that_has_gone_is_an_error_and_the_batch_still_waits() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let error = validate(&stack, event_for(KEY, "0123456789abcdef0123456789abcdef"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("there is no upload at"),
        "{error}"
    );
    let batch = stack.repos.batch(&batch_id()).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::AwaitingUpload);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_for_an_upload_since_replaced_reads_nothing_and_the_newer_one_is_validated() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let first = upload(&stack, KEY, generated(20)).await;
    let second = upload(&stack, KEY, generated(60)).await;

    let error = validate(&stack, event_for(KEY, &first)).await.unwrap_err();
    assert!(error.to_string().contains("replaced"), "{error}");
    assert!(stack.repos.records(&batch_id()).await.unwrap().is_empty());

    let summary = validate(&stack, event_for(KEY, &second)).await.unwrap();
    assert_eq!(summary.uploads[0].rows, Some(60));
}

/// A decline anywhere wins on AWS too: the upload is read twice at the
/// event's version, and a patient who declines on a later row, or whose
/// later row gives a number SNS was told never to text, is not stored from
/// an earlier one.
#[tokio::test(flavor = "multi_thread")]
async fn a_patient_declined_or_opted_out_on_a_later_row_is_not_stored() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    awaiting_upload(&stack).await;
    let list = "NHS Number,Mobile,Date of Birth,Patient Name,SMS Consent\r\n\
                943 476 5919,07700 900001,01/02/1980,Ann,Yes\r\n\
                9434765870,07700 900002,01/02/1980,Bo,Yes\r\n\
                9434765919,07700 900001,01/02/1980,Ann,Declined\r\n\
                9434765005,07700 900003,01/02/1980,Cy,Yes\r\n\
                943-476-5005,07700 900149,01/02/1980,Cy,\r\n";
    let tag = upload(&stack, KEY, list.as_bytes().to_vec()).await;

    let summary = validate(&stack, event_for(KEY, &tag)).await.unwrap();
    let done = &summary.uploads[0];
    assert_eq!(done.outcome, "validated");
    assert_eq!((done.accepted, done.not_accepted), (Some(1), Some(4)));
    let records = stack.repos.records(&batch_id()).await.unwrap();
    let rows: Vec<u64> = records.iter().map(|r| r.recipient.row).collect();
    assert_eq!(rows, vec![3], "only Bo is stored");
    let report = object(&stack, NOT_ACCEPTED).await.expect("the report");
    assert!(
        report.contains("Patient has declined SMS on row 4"),
        "{report}"
    );
    assert!(
        report.contains("Patient is on the opted-out list (row 6)"),
        "{report}"
    );
}
