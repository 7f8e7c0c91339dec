//! The import and the release at scale, through the validate and wave
//! handlers, against moto behind `bench/latency_proxy.py` (which adds a fixed
//! delay to each request and times moto apart). Run by `bash
//! bench/aws-scale.sh`, which starts both; `BATCHMSG_TEST_MOTO` is the
//! proxy, `BATCHMSG_SCALE_PROXY_STATS` its statistics URL;
//! `BATCHMSG_SCALE_WAVE=0` measures the import alone.
//!
//! For each phase it prints the wall time, this process's CPU time (user +
//! system, from /proc/self/stat), its peak RSS (VmHWM, reset before the
//! phase through /proc/self/clear_refs), the requests the clients sent by
//! operation, and the proxy's view of them (requests, moto's own seconds,
//! seconds with the delay); then one JSON line per phase for the script's
//! arithmetic.

use std::collections::BTreeMap;
use std::time::Instant;

use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::{BatchRepo, SystemClock};
use batchmsg_core::sending::schedule_batch;
use batchmsg_core::waves::{Schedule, plan_waves};
use batchmsg_moto::{BUCKET, Moto, Stack};
use batchmsg_synthetic::{ListOptions, write_patient_list};
use chrono::Utc;
use serde_json::{Value, json};

const BATCH: &str = "20261206-090000-5ca1";
const UPLOAD_KEY: &str = "uploads/north-clinic/20261206-090000-5ca1.csv";
const MESSAGE: &str = "Dear ((Patient Name)), your flu jab is due. Book at the surgery.";

fn fixture(path: &str) -> Value {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command's closing parenthesis; utime and stime are
    // the 14th and 15th of the line, in clock ticks (100 a second on Linux).
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

/// A line of /proc/self/status in MB (VmHWM, VmRSS).
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim_start_matches(':').split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    kb / 1024.0
}

fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("resets VmHWM");
}

fn proxy_stats(url: &str) -> Value {
    let body = ureq::get(url)
        .call()
        .expect("the proxy's statistics")
        .into_body()
        .read_to_string()
        .expect("text");
    serde_json::from_str(&body).expect("JSON")
}

fn proxy_reset(url: &str) {
    ureq::post(format!("{url}/reset"))
        .send_empty()
        .expect("resets the proxy's statistics");
}

/// Measures `phase`, printing its figures and returning them as JSON.
async fn measured<F: std::future::Future<Output = Value>>(
    name: &str,
    stack: &Stack,
    stats_url: &str,
    phase: F,
) -> Value {
    stack.requests.clear();
    proxy_reset(stats_url);
    reset_peak_rss();
    let rss_before = status_mb("VmRSS");
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let outcome = phase.await;
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    let peak = status_mb("VmHWM");
    let client: BTreeMap<String, u64> = stack
        .requests
        .by_operation()
        .into_iter()
        .map(|((service, op), n)| (format!("{service} {op}"), n))
        .collect();
    let proxy = proxy_stats(stats_url);
    println!("== {name}: {outcome}");
    println!(
        "   wall {wall:.1} s, CPU {cpu:.2} s, RSS {rss_before:.0} MB before, peak {peak:.0} MB"
    );
    println!(
        "   {:<40} {:>8} {:>10} {:>10}",
        "operation", "requests", "moto s", "proxied s"
    );
    for (op, n) in &client {
        println!("   {op:<40} {n:>8}");
    }
    println!(
        "   proxy: moto busy {:.1} s of the {wall:.1} s",
        proxy["moto_busy_s"].as_f64().unwrap_or(0.0)
    );
    if let Some(ops) = proxy["operations"].as_object() {
        for (op, s) in ops {
            println!(
                "   proxy {op:<34} {:>8} {:>10.1} {:>10.1}",
                s["requests"],
                s["upstream_s"].as_f64().unwrap_or(0.0),
                s["total_s"].as_f64().unwrap_or(0.0)
            );
        }
    }
    json!({
        "phase": name,
        "outcome": outcome,
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "client_requests": client,
        "proxy": proxy,
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .init();
    let rows: u64 = std::env::var("BATCHMSG_SCALE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let stats_url = std::env::var("BATCHMSG_SCALE_PROXY_STATS")
        .expect("BATCHMSG_SCALE_PROXY_STATS: run through bash bench/aws-scale.sh");
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let batch: BatchId = BATCH.parse().unwrap();

    let mut list = Vec::new();
    let options = ListOptions {
        rows,
        seed: 11,
        with_consent_column: true,
        practice_shapes: false,
    };
    write_patient_list(&mut list, &options).expect("a list");
    let list_mb = list.len() as f64 / 1e6;
    stack
        .repos
        .create_batch(&Batch {
            id: batch.clone(),
            status: BatchStatus::AwaitingUpload,
            created_at: Utc::now(),
            list_name: "whole-trust-recall.csv".into(),
            message: MESSAGE.into(),
            rows: 0,
            accepted: 0,
            not_accepted: 0,
        })
        .await
        .expect("creates the batch");
    let put = stack
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(UPLOAD_KEY)
        .content_type("text/csv")
        .body(list.into())
        .send()
        .await
        .expect("uploads the list");
    let tag = put.e_tag().expect("an ETag").trim_matches('"').to_owned();
    println!("{rows} rows, {list_mb:.1} MB uploaded");

    let mut event = fixture("functions/validate/tests/fixtures/s3-object-created.json");
    event["Records"][0]["s3"]["object"]["key"] = json!(UPLOAD_KEY);
    event["Records"][0]["s3"]["object"]["eTag"] = json!(tag);
    let validate = measured("validate", &stack, &stats_url, async {
        let summary = batchmsg_validate::handle(
            &stack.repos,
            &stack.objects,
            &stack.opt_outs,
            &SystemClock,
            event,
        )
        .await
        .expect("validates the upload");
        serde_json::to_value(summary).unwrap()
    })
    .await;

    let accepted = stack.repos.batch(&batch).await.unwrap().unwrap().accepted;
    if std::env::var("BATCHMSG_SCALE_WAVE").as_deref() == Ok("0") {
        // The import alone: moto's Query reads its whole table for each
        // page, so a release from a large table takes it a long time.
        println!(
            "JSON {}",
            json!({"rows": rows, "accepted": accepted, "list_mb": list_mb, "phases": [validate]})
        );
        return;
    }
    let plan = plan_waves(accepted, &Schedule::Now, None, Utc::now()).expect("a plan");
    let waves = schedule_batch(&stack.repos, &stack.repos, &stack.scheduler, &batch, &plan)
        .await
        .expect("schedules the batch");
    assert_eq!(waves.len(), 1, "one wave of every recipient");
    let input = json!({"batch": BATCH, "wave": waves[0].number});
    // moto's SendMessageBatch grows with the queue's depth (its queue
    // attributes are counted message by message for each message sent), so
    // a purger empties the queue four times a second, straight at moto (not
    // through the proxy: neither counted nor delayed). The jobs are not
    // read back here: the wave function says how many it queued, and an
    // entry SQS did not take fails the release.
    let purger = match std::env::var("BATCHMSG_SCALE_MOTO") {
        Ok(moto_url) => {
            let sdk = moto.sdk.to_builder().endpoint_url(moto_url).build();
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let url = stack.queue.queue_url().to_owned();
            Some(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                    let _ = sqs.purge_queue().queue_url(&url).send().await;
                }
            }))
        }
        Err(_) => None,
    };
    let wave = measured("wave", &stack, &stats_url, async {
        let summary = batchmsg_wave::handle(&stack.repos, &stack.queue, input)
            .await
            .expect("releases the wave");
        serde_json::to_value(summary).unwrap()
    })
    .await;
    if let Some(purger) = purger {
        purger.abort();
    }
    println!(
        "JSON {}",
        json!({"rows": rows, "accepted": accepted, "list_mb": list_mb, "phases": [validate, wave]})
    );
}
