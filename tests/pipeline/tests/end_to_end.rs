//! A 10,000-row list from `batchmsg generate` through the whole pipeline on
//! moto, counting every AWS request, and checking every log line of the run
//! for patient data.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use batchmsg_core::delivery::{BatchStatus, RecipientStatus};
use batchmsg_core::ports::RecipientRepo;
use batchmsg_core::waves::Schedule;
use batchmsg_pipeline_tests::{MESSAGE, Pipeline, logs};
use batchmsg_synthetic::{ListOptions, write_patient_list};

/// 10,000 unless `BATCHMSG_PIPELINE_ROWS` says otherwise.
fn rows() -> u64 {
    std::env::var("BATCHMSG_PIPELINE_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10_000)
}
const PERMANENT: &str = "Invalid phone number";
const TEMPORARY: &str = "Phone carrier is currently unreachable/unavailable";

fn failure(phone: &str) -> Option<&'static str> {
    match phone {
        "+447700900990" | "+447700900991" => Some(PERMANENT),
        "+447700900995" => Some(TEMPORARY),
        _ => None,
    }
}

fn generated(rows: u64) -> Vec<u8> {
    let mut list = Vec::new();
    let options = ListOptions {
        rows,
        seed: 2026,
        with_consent_column: true,
        practice_shapes: false,
    };
    write_patient_list(&mut list, &options).unwrap();
    list
}

/// Every NHS number, mobile (as written and in E.164), date of birth and
/// name in the list, bad rows included: none may appear in a log line.
fn patient_data(list: &[u8]) -> HashSet<String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(list);
    let mut values = HashSet::new();
    for row in reader.records() {
        let row = row.unwrap();
        for cell in row.iter().take(4) {
            let cell = cell.trim();
            let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
            // Short values (a first name "Li", a bare day) would match by chance.
            if cell.len() >= 6 {
                values.insert(cell.to_owned());
            }
            if digits.len() >= 10 {
                values.insert(digits.clone());
            }
            if digits.len() == 11 && digits.starts_with("07") {
                values.insert(format!("+44{}", &digits[1..]));
            }
            // A date of birth as validation stores it.
            if let Ok(date) = chrono::NaiveDate::parse_from_str(cell, "%d/%m/%Y") {
                values.insert(date.format("%Y-%m-%d").to_string());
            }
        }
    }
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_rows_from_upload_to_delivery_statuses_at_under_3_2_requests_each() {
    let rows = rows();
    let started = std::time::Instant::now();
    let pipeline = Pipeline::on_template().await;
    let list = generated(rows);
    pipeline.upload(list.clone()).await;
    pipeline.stack.requests.clear();

    // S3 → validate.
    let validated = pipeline.validate().await;
    let upload = &validated.uploads[0];
    assert_eq!(upload.outcome, "validated");
    assert_eq!(upload.rows, Some(rows));
    let accepted = upload.accepted.unwrap();
    assert!(accepted > rows * 8 / 10, "{accepted} accepted");
    let after_validate = pipeline.stack.requests.by_service();

    eprintln!("validated after {:?}", started.elapsed());

    // "Send now": one wave, its schedule fired.
    let waves = pipeline.schedule(Schedule::Now).await;
    assert_eq!(waves.len(), 1);
    let released = pipeline.fire(1).await;
    assert_eq!(released.queued, Some(accepted));

    eprintln!("released after {:?}", started.elapsed());

    // SQS → send → SNS. One invocation at a time: moto is not safe for
    // concurrent DynamoDB transactions (it copies the table for rollback).
    let polled = pipeline.drain(1).await;
    eprintln!("sent after {:?}", started.elapsed());
    for (key, waited) in pipeline.stack.requests.time_by_operation() {
        eprintln!("  {key:?}: {:?} in all", waited);
    }
    assert_eq!(polled.retried, 0);
    let records = pipeline.records().await;
    assert_eq!(records.len() as u64, accepted);
    // Texts as (mobile, text) pairs, some shared (a family's phone, a
    // common name): SNS took exactly the recipients' own, each once.
    let mut expected = std::collections::HashMap::new();
    for record in &records {
        let r = &record.recipient;
        *expected
            .entry((
                r.mobile.e164().as_str().to_owned(),
                r.body.as_str().to_owned(),
            ))
            .or_insert(0u32) += 1;
        assert_eq!(record.status, RecipientStatus::Sent, "row {}", r.row);
    }
    assert_eq!(
        pipeline.texts().len() as u64,
        accepted,
        "one text for each recipient"
    );
    assert!(
        pipeline.texts_by_recipient() == expected,
        "each recipient got their own text"
    );
    assert!(records[0].recipient.body.as_str().starts_with("Dear "));
    assert!(MESSAGE.starts_with("Dear ((Patient Name))"));

    // SNS delivery logs → delivery-status, then the sweep completes it.
    let applied = pipeline.deliver_receipts(failure).await;
    assert_eq!(applied, accepted);
    eprintln!("receipts after {:?}", started.elapsed());
    let swept = pipeline.sweep().await;
    assert_eq!((swept.completed, swept.failed_as_maybe_sent), (1, 0));
    assert_eq!(pipeline.status().await, BatchStatus::Completed);

    let records = pipeline.records().await;
    let expect = |record: &batchmsg_core::batch::RecipientRecord| match failure(
        record.recipient.mobile.e164().as_str(),
    ) {
        Some(PERMANENT) => (RecipientStatus::PermanentFailure, Some(PERMANENT)),
        Some(_) => (RecipientStatus::TemporaryFailure, Some(TEMPORARY)),
        None => (RecipientStatus::Delivered, None),
    };
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for record in &records {
        let (status, reason) = expect(record);
        assert_eq!(record.status, status, "row {}", record.recipient.row);
        if let Some(reason) = reason {
            assert_eq!(record.reason.as_deref(), Some(reason));
        }
        *by_status.entry(status.as_str()).or_default() += 1;
    }
    if rows >= 10_000 {
        assert!(by_status["permanent-failure"] > 0 && by_status["temporary-failure"] > 0);
    }
    let counts = pipeline
        .stack
        .repos
        .counts(&pipeline.batch, None)
        .await
        .unwrap();
    assert_eq!(counts.total(), accepted);

    // Cost: every request our code made, by service and operation.
    let requests = pipeline.stack.requests.by_operation();
    let total = pipeline.stack.requests.total();
    let per_recipient = total as f64 / accepted as f64;
    let poller = pipeline.poller.total();
    let mut table = format!(
        "{rows} rows, {accepted} recipients, one wave, {} send invocations\n\
         requests by the functions (validate, wave, send, delivery-status, sweep):\n",
        polled.invocations
    );
    let times = pipeline.stack.requests.time_by_operation();
    for (key, count) in &requests {
        let (service, operation) = key;
        let waited = times.get(key).copied().unwrap_or_default();
        writeln!(
            table,
            "  {service:<10} {operation:<26} {count:>7}  {:.4}/recipient  (moto: {:.1} ms each)",
            *count as f64 / accepted as f64,
            waited.as_secs_f64() * 1000.0 / *count as f64
        )
        .unwrap();
    }
    for (service, count) in pipeline.stack.requests.by_service() {
        writeln!(
            table,
            "  {service:<10} {:<26} {count:>7}  {:.4}/recipient",
            "(all)",
            count as f64 / accepted as f64
        )
        .unwrap();
    }
    writeln!(
        table,
        "  total {total}: {per_recipient:.3} requests per recipient (validate alone: {after_validate:?})\n\
         Lambda's SQS poller besides: {poller} requests ({:.4}/recipient)",
        poller as f64 / accepted as f64
    )
    .unwrap();
    eprintln!("{table}");
    let out = format!(
        "{}/../../target/pipeline-requests.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::write(out, &table).unwrap();
    // The target was 2.5; claiming each text just before it goes and
    // recording it just after (issue 12, case 6: nothing claimed is left
    // when the deadline comes) costs two DynamoDB requests a text, 3.12 a
    // recipient at 10,000 rows (docs/aws.md).
    assert!(
        per_recipient <= 3.2,
        "{per_recipient:.3} requests per recipient, over 3.2:\n{table}"
    );
    assert_eq!(
        requests[&("SNS".to_owned(), "Publish".to_owned())],
        accepted,
        "one Publish a text"
    );

    // Privacy: no patient data in any log line of the run.
    let logged = logs().text();
    assert!(logged.lines().count() > 10, "the run logged");
    let data = patient_data(&list);
    assert!(data.len() as u64 > rows * 2);
    eprintln!(
        "{} log lines; finished after {:?}",
        logged.lines().count(),
        started.elapsed()
    );
    for line in logged.lines() {
        for value in &data {
            assert!(
                !line.contains(value.as_str()),
                "patient data in a log line: {line}"
            );
        }
    }
}
