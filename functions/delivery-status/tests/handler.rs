//! The delivery-status handler against moto's DynamoDB, through the real
//! SDK client, fed CloudWatch Logs subscription payloads built as AWS builds
//! them: the decoded `DATA_MESSAGE` JSON, gzipped and base64-encoded into
//! `awslogs.data`, each log event's message the JSON SNS writes for an SMS
//! (fixtures in `tests/fixtures/`).

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_lambda_events::cloudwatch_logs::LogsEvent;
use base64::Engine;
use batchmsg_aws::dynamo::{DynamoRepos, create_table};
use batchmsg_core::batch::{Batch, BatchId, Recipient, RecipientRecord, Seq};
use batchmsg_core::delivery::{BatchStatus, RecipientStatus};
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::ports::{BatchRepo, Published, RecipientRepo};
use batchmsg_delivery_status::{DeliverySummary, HandlerError, handle};
use batchmsg_moto::Moto;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};

const TABLE: &str = "batchmsg-delivery-status-test";
const SUCCESS: &str = include_str!("fixtures/sms-success.json");
const FAILURE: &str = include_str!("fixtures/sms-failure.json");
const DATA_MESSAGE: &str = include_str!("fixtures/logs-data-message.json");
const CONTROL_MESSAGE: &str = include_str!("fixtures/logs-control-message.json");

/// The message ids of the two fixture logs, given to recipients 0 and 1.
const FIXTURE_IDS: [&str; 2] = [
    "34d9b400-c6dd-5444-820d-fbeb0f1f54cf",
    "1077257a-92f3-5ca3-bc97-6a915b310625",
];
const RECIPIENTS: Seq = 6;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn batch_id() -> BatchId {
    "20261125-090000-0001".parse().unwrap()
}

fn mobile(seq: Seq) -> String {
    format!("+4477009001{seq:02}")
}

fn provider_id(seq: Seq) -> String {
    match FIXTURE_IDS.get(seq as usize) {
        Some(id) => (*id).to_owned(),
        None => format!("6f1c2d3e-0000-5000-8000-{seq:012}"),
    }
}

fn recipient(seq: Seq) -> Recipient {
    Recipient::new(
        seq,
        u64::from(seq) + 2,
        (0..10)
            .find_map(|k| NhsNumber::from_first_nine(999_000_000 + u64::from(seq) * 10 + k))
            .expect("a check digit"),
        mobile(seq).parse().expect("a drama number"),
        format!("Hello patient {seq}, your appointment is tomorrow."),
    )
}

/// A reset moto with the table, and a batch of [`RECIPIENTS`] recipients,
/// all `sent` with known provider ids.
async fn setup() -> (Moto, DynamoRepos) {
    let moto = Moto::connect().await;
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk);
    create_table(&client, TABLE)
        .await
        .expect("creates the table");
    let repos = DynamoRepos::new(client, TABLE);
    let id = batch_id();
    let recipients: Vec<Recipient> = (0..RECIPIENTS).map(recipient).collect();
    repos.insert_recipients(&id, &recipients).await.unwrap();
    let batch = Batch {
        id: id.clone(),
        status: BatchStatus::Sending,
        created_at: t0(),
        list_name: "clinic.csv".to_owned(),
        message: "Hello, your appointment is tomorrow".to_owned(),
        rows: u64::from(RECIPIENTS),
        accepted: u64::from(RECIPIENTS),
        not_accepted: 0,
    };
    assert!(repos.create_batch(&batch).await.unwrap());
    let seqs: Vec<Seq> = (0..RECIPIENTS).collect();
    let claimed = repos.claim(&id, &seqs, t0()).await.unwrap();
    assert_eq!(claimed.len(), RECIPIENTS as usize);
    let published: Vec<Published> = seqs
        .iter()
        .map(|&seq| Published {
            seq,
            provider_id: provider_id(seq),
            at: t0() + TimeDelta::seconds(i64::from(seq)),
        })
        .collect();
    repos.mark_sent(&id, &published).await.unwrap();
    assert!(
        records(&repos)
            .await
            .iter()
            .all(|r| r.status == RecipientStatus::Sent)
    );
    (moto, repos)
}

async fn records(repos: &DynamoRepos) -> Vec<RecipientRecord> {
    repos.records(&batch_id()).await.unwrap()
}

/// An SNS delivery log for `seq` from the success or failure fixture.
fn log_message(seq: Seq, success: bool, provider_response: &str) -> String {
    let mut log: Value = serde_json::from_str(if success { SUCCESS } else { FAILURE }).unwrap();
    log["notification"]["messageId"] = json!(provider_id(seq));
    log["notification"]["timestamp"] = json!(sns_timestamp(seq));
    log["delivery"]["destination"] = json!(mobile(seq));
    log["delivery"]["providerResponse"] = json!(provider_response);
    log.to_string()
}

/// When the text to `seq` was published, as SNS writes it.
fn sns_timestamp(seq: Seq) -> String {
    (t0() + TimeDelta::seconds(i64::from(seq)) + TimeDelta::milliseconds(250))
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

fn event_id(n: usize) -> String {
    format!("379504364023785128067183591858365394315644661237895{n:05}")
}

/// The decoded subscription data around these log messages.
fn data_message(messages: &[String]) -> Value {
    let mut data: Value = serde_json::from_str(DATA_MESSAGE).unwrap();
    data["logEvents"] = messages
        .iter()
        .enumerate()
        .map(|(n, message)| {
            json!({
                "id": event_id(n),
                "timestamp": 1_795_597_200_000i64 + n as i64,
                "message": message,
            })
        })
        .collect();
    data
}

/// What Lambda hands the function: `{"awslogs": {"data": base64(gzip(json))}}`,
/// parsed into the runtime's event type.
fn envelope(data: &Value) -> LogsEvent {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.to_string().as_bytes()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    let event = json!({ "awslogs": { "data": encoded } });
    // From text, as the runtime does: the event type's decoder borrows its
    // keys, which `from_value` cannot give it.
    serde_json::from_str(&event.to_string()).expect("the envelope parses as a LogsEvent")
}

/// The fixture payload (recipients 0 and 1) and four more: every outcome.
fn mixed_payload() -> LogsEvent {
    let fixture: Value = serde_json::from_str(DATA_MESSAGE).unwrap();
    let mut messages: Vec<String> = fixture["logEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect();
    messages.push(log_message(2, false, "Invalid phone number"));
    messages.push(log_message(3, false, "Phone has blocked SMS"));
    messages.push(log_message(
        4,
        true,
        "Message has been accepted by phone carrier",
    ));
    messages.push(log_message(
        5,
        false,
        "Phone carrier is currently unreachable/unavailable",
    ));
    envelope(&data_message(&messages))
}

fn status_and_reason(records: &[RecipientRecord]) -> Vec<(RecipientStatus, Option<&str>)> {
    records
        .iter()
        .map(|r| (r.status, r.reason.as_deref()))
        .collect()
}

#[test]
fn the_fixture_payload_decodes_from_its_envelope() {
    let data: Value = serde_json::from_str(DATA_MESSAGE).unwrap();
    let event = envelope(&data);
    let logs = &event.aws_logs.data;
    assert_eq!(logs.message_type, "DATA_MESSAGE");
    assert_eq!(
        logs.log_group,
        "sns/eu-west-2/123456789012/DirectPublishToPhoneNumber"
    );
    assert_eq!(logs.subscription_filters, ["batchmsg-delivery-status"]);
    assert_eq!(logs.log_events.len(), 2);
    let first: Value = serde_json::from_str(&logs.log_events[0].message).unwrap();
    assert_eq!(first, serde_json::from_str::<Value>(SUCCESS).unwrap());
    let second: Value = serde_json::from_str(&logs.log_events[1].message).unwrap();
    assert_eq!(second, serde_json::from_str::<Value>(FAILURE).unwrap());
}

#[test]
fn an_envelope_that_does_not_decode_is_refused_without_a_panic() {
    for event in [
        json!({}),
        json!({ "awslogs": {} }),
        json!({ "awslogs": { "data": "not base64!" } }),
        json!({ "awslogs": { "data": "aGVsbG8=" } }),
        json!({ "awslogs": { "data": 7 } }),
    ] {
        assert!(serde_json::from_str::<LogsEvent>(&event.to_string()).is_err());
    }
}

#[tokio::test]
async fn mixed_receipts_set_each_status_with_the_providers_reason() {
    let (_moto, repos) = setup().await;
    let handled = handle(&repos, mixed_payload()).await.unwrap();
    assert_eq!(
        handled,
        DeliverySummary {
            events: 6,
            applied: 6,
            ignored: 0,
            early: 0,
            skipped: 0,
        }
    );
    let after = records(&repos).await;
    assert_eq!(
        status_and_reason(&after),
        [
            (RecipientStatus::Delivered, None),
            (
                RecipientStatus::TemporaryFailure,
                Some("Unknown error attempting to reach phone")
            ),
            (
                RecipientStatus::PermanentFailure,
                Some("Invalid phone number")
            ),
            (
                RecipientStatus::PermanentFailure,
                Some("Phone has blocked SMS")
            ),
            (RecipientStatus::Delivered, None),
            (
                RecipientStatus::TemporaryFailure,
                Some("Phone carrier is currently unreachable/unavailable")
            ),
        ]
    );
    // The receipt's time is SNS's notification.timestamp.
    let fixture_time =
        Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 1).unwrap() + TimeDelta::milliseconds(558);
    assert_eq!(after[0].receipt_at, Some(fixture_time));
    assert_eq!(
        after[4].receipt_at,
        Some(t0() + TimeDelta::seconds(4) + TimeDelta::milliseconds(250))
    );

    // The same payload again changes nothing.
    let again = handle(&repos, mixed_payload()).await.unwrap();
    assert_eq!(
        again,
        DeliverySummary {
            events: 6,
            applied: 0,
            ignored: 6,
            early: 0,
            skipped: 0,
        }
    );
    assert_eq!(records(&repos).await, after);
}

#[tokio::test]
async fn an_unknown_message_id_is_an_error_after_the_rest_are_applied() {
    let (_moto, repos) = setup().await;
    let mut unknown: Value = serde_json::from_str(SUCCESS).unwrap();
    unknown["notification"]["messageId"] = json!("ffffffff-0000-5000-8000-000000000000");
    let payload = || {
        envelope(&data_message(&[
            log_message(2, true, "Message has been accepted by phone carrier"),
            unknown.to_string(),
            log_message(3, false, "Phone number is opted out"),
        ]))
    };
    match handle(&repos, payload()).await {
        Err(HandlerError::Early { early: 1, done: 2 }) => {}
        other => panic!("expected one early receipt, got {other:?}"),
    }
    let after = records(&repos).await;
    assert_eq!(after[2].status, RecipientStatus::Delivered);
    assert_eq!(after[3].status, RecipientStatus::PermanentFailure);
    assert_eq!(
        after[3].reason.as_deref(),
        Some("Phone number is opted out")
    );

    // Lambda's retry: the rest are repeats now, and the unknown one is still
    // early, so the retry fails the same way and changes nothing.
    match handle(&repos, payload()).await {
        Err(HandlerError::Early { early: 1, done: 2 }) => {}
        other => panic!("expected one early receipt, got {other:?}"),
    }
    assert_eq!(records(&repos).await, after);
}

#[tokio::test]
async fn an_early_receipt_applies_on_the_retry_once_the_text_is_sent() {
    let (_moto, repos) = setup().await;
    // A seventh recipient, claimed but not yet recorded as sent.
    let id = batch_id();
    repos
        .insert_recipients(&id, &[recipient(RECIPIENTS)])
        .await
        .unwrap();
    repos.claim(&id, &[RECIPIENTS], t0()).await.unwrap();
    let payload = || {
        envelope(&data_message(&[
            log_message(0, true, "Message has been accepted by phone carrier"),
            log_message(
                RECIPIENTS,
                true,
                "Message has been accepted by phone carrier",
            ),
        ]))
    };
    assert!(matches!(
        handle(&repos, payload()).await,
        Err(HandlerError::Early { early: 1, done: 1 })
    ));
    repos
        .mark_sent(
            &id,
            &[Published {
                seq: RECIPIENTS,
                provider_id: provider_id(RECIPIENTS),
                at: t0(),
            }],
        )
        .await
        .unwrap();
    let handled = handle(&repos, payload()).await.unwrap();
    assert_eq!((handled.applied, handled.ignored), (1, 1));
    let after = records(&repos).await;
    assert_eq!(after[0].status, RecipientStatus::Delivered);
    assert_eq!(
        after[RECIPIENTS as usize].status,
        RecipientStatus::Delivered
    );
}

#[tokio::test]
async fn a_control_message_is_accepted_and_does_nothing() {
    let (_moto, repos) = setup().await;
    let before = records(&repos).await;
    let control: Value = serde_json::from_str(CONTROL_MESSAGE).unwrap();
    let handled = handle(&repos, envelope(&control)).await.unwrap();
    assert_eq!(
        handled,
        DeliverySummary {
            events: 1,
            ..DeliverySummary::default()
        }
    );
    assert_eq!(records(&repos).await, before);
}

#[tokio::test]
async fn garbage_in_a_log_message_is_skipped() {
    let (_moto, repos) = setup().await;
    let handled = handle(
        &repos,
        envelope(&data_message(&[
            "not json at all".to_owned(),
            "{\"truncated\": ".to_owned(),
            json!({"notification": {"messageId": provider_id(1)}, "status": "PENDING"}).to_string(),
            json!({"delivery": {"destination": mobile(1)}, "status": "FAILURE"}).to_string(),
            "[1, 2, 3]".to_owned(),
            log_message(0, true, "Message has been accepted by phone carrier"),
        ])),
    )
    .await
    .unwrap();
    assert_eq!(
        handled,
        DeliverySummary {
            events: 6,
            applied: 1,
            ignored: 0,
            early: 0,
            skipped: 5,
        }
    );
    let after = records(&repos).await;
    assert_eq!(after[0].status, RecipientStatus::Delivered);
    assert!(after[1..].iter().all(|r| r.status == RecipientStatus::Sent));
}

/// Everything the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_handlers_logs_hold_no_phone_number_and_no_provider_response() {
    let (_moto, repos) = setup().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,batchmsg_delivery_status=trace,batchmsg_aws=trace,batchmsg_core=trace",
        ))
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let responses = [
        "Invalid phone number",
        "Phone carrier is currently unreachable/unavailable",
        "A reason SNS has never given before",
    ];
    let mut unknown: Value = serde_json::from_str(FAILURE).unwrap();
    unknown["notification"]["messageId"] = json!("ffffffff-0000-5000-8000-000000000000");
    unknown["delivery"]["providerResponse"] = json!("Phone has blocked SMS");
    let mut bad_time: Value = serde_json::from_str(SUCCESS).unwrap();
    bad_time["notification"]["timestamp"] = json!("at some point");
    let messages =
        vec![
        log_message(1, false, responses[0]),
        log_message(2, false, responses[1]),
        log_message(3, false, responses[2]),
        unknown.to_string(),
        bad_time.to_string(),
        // Not delivery logs, each holding a number.
        format!("{{\"status\":\"FAILURE\",\"delivery\":{{\"destination\":\"{}\"", mobile(4)),
        json!({"notification": {"messageId": provider_id(5)}, "status": "Sent to +447700900105"})
            .to_string(),
    ];
    let result = handle(&repos, envelope(&data_message(&messages))).await;
    assert!(matches!(result, Err(HandlerError::Early { early: 1, .. })));
    drop(_default);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty());
    for secret in [
        "447700900",
        "Phone has blocked SMS",
        "Message has been accepted by phone carrier",
    ]
    .iter()
    .chain(responses.iter())
    {
        assert!(!logs.contains(secret), "the logs hold {secret:?}:\n{logs}");
    }
    // The warnings name the log events they are about.
    for n in [2, 4, 5, 6] {
        assert!(
            logs.contains(&event_id(n)),
            "no warning names event {n}:\n{logs}"
        );
    }
    // And the error Lambda would log names neither.
    let error = result.unwrap_err().to_string();
    assert!(!error.contains("447700900") && !error.contains("ffffffff"));
}
