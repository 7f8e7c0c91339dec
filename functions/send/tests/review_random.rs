//! The adversarial review's randomised run, through the real send handler
//! on moto: many short
//! runs, each a 10-recipient batch in 3 overdue waves, with at random:
//! releases by "the schedule" and by the sweep, deliveries of up to 10
//! messages to the handler, duplicate deliveries (a message kept after it
//! was handled), messages lost (deleted unhandled), SNS throttling, short
//! deadlines, DynamoDB write answers lost after the write happened (the
//! SDK's retries see the same), DynamoDB writes refused before they leave,
//! a cancel, sweeps with the clock moved on. Then a drain with no faults
//! and sweeps until everything settles.
//!
//! Checked: no patient gets two texts; nobody `queued`/`sending` at the
//! end; every technical failure / cancel has a reason; the batch finished.
//! Also counted (printed, not asserted): patients marked "may or may not
//! have been sent" for whom SNS holds no text. Seeds print; replay one with BATCHMSG_ATTACK_SEED=N;
//! runs with BATCHMSG_ATTACK_RUNS (default 12).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use batchmsg_aws::dynamo::{DynamoRepos, client_config};
use batchmsg_aws::sqs::SendJob;
use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::delivery::{BatchStatus, RecipientStatus};
use batchmsg_core::ports::{
    BatchRepo, Clock, PortResult, PublishError, Published, PublishedLookup, RecipientRepo,
    SmsSender,
};
use batchmsg_core::sending::{MAYBE_SENT, SweepTimes, cancel_batch, release_wave, sweep};
use batchmsg_core::test_support::fake::Fake;
use batchmsg_moto::TABLE;
use batchmsg_send::{Sending, handle};
use chrono::{TimeDelta, TimeZone, Utc};
use common::{Paced, TestClock, failures, setup, sqs_event, timing};

/// DynamoDB writes (UpdateItem, TransactWriteItems) whose answers are lost
/// or which are refused, at random, while `on`.
#[derive(Clone, Debug)]
struct Chaos {
    on: Arc<AtomicBool>,
    rng: Arc<Mutex<fastrand::Rng>>,
    write: Arc<AtomicBool>,
    lose_percent: u32,
    refuse_percent: u32,
}

impl Chaos {
    fn roll(&self, percent: u32) -> bool {
        self.on.load(Ordering::SeqCst) && self.rng.lock().unwrap().u32(0..100) < percent
    }
}

impl Intercept for Chaos {
    fn name(&self) -> &'static str {
        "Chaos"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get("x-amz-target");
        let write = target
            .is_some_and(|t| t.ends_with(".UpdateItem") || t.ends_with(".TransactWriteItems"));
        self.write.store(write, Ordering::SeqCst);
        if write && self.roll(self.refuse_percent) {
            return Err("refused (test)".into());
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.write.load(Ordering::SeqCst) && self.roll(self.lose_percent) {
            *context.response_mut().status_mut() = 500.try_into().expect("a status");
            context
                .response_mut()
                .headers_mut()
                .remove("x-amzn-ErrorType");
            *context.response_mut().body_mut() = aws_smithy_types::body::SdkBody::from(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"lost"}"#,
            );
        }
        Ok(())
    }
}

/// SNS that throttles at random while `on`.
struct MaybeThrottle<S> {
    inner: S,
    on: Arc<AtomicBool>,
    rng: Arc<Mutex<fastrand::Rng>>,
    percent: u32,
}

impl<S: SmsSender + Sync> SmsSender for MaybeThrottle<S> {
    async fn publish(
        &self,
        batch: &BatchId,
        recipient: &Recipient,
    ) -> Result<Published, PublishError> {
        let throttle =
            self.on.load(Ordering::SeqCst) && self.rng.lock().unwrap().u32(0..100) < self.percent;
        if throttle {
            return Err(PublishError::Throttled);
        }
        self.inner.publish(batch, recipient).await
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        self.inner.lookup(batch, seqs).await
    }
}

#[derive(Debug, Default)]
struct Outcome {
    texted_twice: Vec<Seq>,
    not_final: Vec<(Seq, RecipientStatus)>,
    no_reason: Vec<Seq>,
    maybe_sent_never_sent: Vec<Seq>,
    batch: Option<BatchStatus>,
    texts: usize,
}

async fn run(seed: u64) -> Outcome {
    let setup = setup(0).await;
    let mut rng = fastrand::Rng::with_seed(seed);
    let t0 = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
    let clock = TestClock(Arc::new(Mutex::new(t0)));
    let faults_on = Arc::new(AtomicBool::new(false));
    let chaos = Chaos {
        on: faults_on.clone(),
        rng: Arc::new(Mutex::new(fastrand::Rng::with_seed(seed ^ 0x5eed))),
        write: Arc::default(),
        lose_percent: 8,
        refuse_percent: 4,
    };
    let lossy = DynamoRepos::new(
        aws_sdk_dynamodb::Client::from_conf(
            client_config(&setup.moto.sdk)
                .to_builder()
                .interceptor(chaos.clone())
                .build(),
        ),
        TABLE,
    );
    let interval = Duration::from_secs(1);
    let timing = timing(interval);
    let sending = Sending {
        repos: lossy.clone(),
        sender: MaybeThrottle {
            inner: setup.sns(),
            on: faults_on.clone(),
            rng: Arc::new(Mutex::new(fastrand::Rng::with_seed(seed ^ 0xbeef))),
            percent: 10,
        },
        limiter: Paced {
            clock: clock.clone(),
            interval,
        },
        clock: clock.clone(),
        queue: setup.queue.clone(),
        timing,
    };
    let margin = timing.calls.margin(interval, 10);
    let sns = setup.sns();
    let fake = Fake::new();
    let mut pending: Vec<String> = Vec::new();
    let mut next_id = 0u64;
    let mut cancelled = false;
    let steps = rng.u32(10..40);
    let mut log = Vec::new();
    for step in 0..steps {
        faults_on.store(true, Ordering::SeqCst);
        match rng.u32(0..100) {
            0..8 => {
                let wave = rng.u32(1..=3);
                let r =
                    release_wave(&lossy, &lossy, &lossy, &setup.queue, &setup.batch, wave).await;
                log.push(format!(
                    "{step}: release {wave} {:?}",
                    r.map(|_| ()).map_err(|e| e.to_string())
                ));
            }
            8..14 => {
                clock.advance(TimeDelta::minutes(rng.i64(1..300)));
                let r = sweep(
                    &lossy,
                    &lossy,
                    &lossy,
                    &sns,
                    &setup.queue,
                    &clock,
                    &SweepTimes::default(),
                )
                .await;
                log.push(format!("{step}: sweep {:?}", r.map_err(|e| e.to_string())));
            }
            14..17 if !cancelled => {
                let r = cancel_batch(&lossy, &lossy, &lossy, &fake, &clock, &setup.batch).await;
                cancelled = r.is_ok();
                log.push(format!(
                    "{step}: cancel {:?}",
                    r.map(|_| ()).map_err(|e| e.to_string())
                ));
            }
            17..22 if !pending.is_empty() => {
                let i = rng.usize(0..pending.len());
                pending.swap_remove(i);
                log.push(format!("{step}: a message lost"));
            }
            _ => {
                pending.extend(setup.queued_jobs().await.iter().map(SendJob::body));
                if pending.is_empty() {
                    continue;
                }
                let n = rng.usize(1..=pending.len().min(10));
                rng.shuffle(&mut pending);
                let taken: Vec<(String, String)> = pending[..n]
                    .iter()
                    .map(|b| {
                        next_id += 1;
                        (format!("m-{next_id}"), b.clone())
                    })
                    .collect();
                let refs: Vec<(&str, &str)> = taken
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                let deadline = if rng.u32(0..100) < 25 {
                    clock.now() + TimeDelta::from_std(margin + interval * rng.u32(0..4)).unwrap()
                } else {
                    clock.now() + TimeDelta::seconds(900)
                };
                let r = handle(&sending, sqs_event(&refs), deadline).await;
                // The test clock moves only with the rate waits: an
                // invocation must have returned before its deadline.
                assert!(clock.now() < deadline, "seed {seed}: outlived its deadline");
                let failed: Vec<String> = r
                    .as_ref()
                    .map(|r| failures(r).iter().map(|s| s.to_string()).collect())
                    .unwrap_or_else(|_| taken.iter().map(|t| t.0.clone()).collect());
                // Done messages are deleted, unless SQS delivers one again.
                let mut kept = Vec::new();
                for (i, (id, body)) in taken.iter().enumerate() {
                    let duplicate = rng.u32(0..100) < 20;
                    if failed.contains(id) || duplicate {
                        kept.push(body.clone());
                    }
                    let _ = i;
                }
                pending.drain(..n);
                pending.extend(kept);
                log.push(format!("{step}: handled {n}, failed {}", failed.len()));
            }
        }
    }
    // Drain: no faults; the schedule fires every wave (as EventBridge
    // retries would), messages are handled, sweeps run hours apart.
    faults_on.store(false, Ordering::SeqCst);
    for wave in 1..=3 {
        let _ = release_wave(&lossy, &lossy, &lossy, &setup.queue, &setup.batch, wave).await;
    }
    for _ in 0..8 {
        for _ in 0..20 {
            pending.extend(setup.queued_jobs().await.iter().map(SendJob::body));
            if pending.is_empty() {
                break;
            }
            let n = pending.len().min(10);
            let taken: Vec<(String, String)> = pending
                .drain(..n)
                .map(|b| {
                    next_id += 1;
                    (format!("m-{next_id}"), b)
                })
                .collect();
            let refs: Vec<(&str, &str)> = taken
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let r = handle(
                &sending,
                sqs_event(&refs),
                clock.now() + TimeDelta::seconds(900),
            )
            .await
            .expect("handles");
            for id in failures(&r) {
                pending.push(taken.iter().find(|t| t.0 == id).unwrap().1.clone());
            }
        }
        clock.advance(TimeDelta::hours(4));
        let _ = sweep(
            &lossy,
            &lossy,
            &lossy,
            &sns,
            &setup.queue,
            &clock,
            &SweepTimes::default(),
        )
        .await;
    }
    if std::env::var_os("BATCHMSG_ATTACK_TRACE").is_some() {
        for l in &log {
            eprintln!("  {l}");
        }
    }
    // The check.
    let mut texts_by_number: HashMap<String, usize> = HashMap::new();
    let sent = setup.moto.sms_sent();
    for (_, number, _) in &sent {
        *texts_by_number.entry(number.clone()).or_default() += 1;
    }
    let records = setup.repos.records(&setup.batch).await.unwrap();
    let mut outcome = Outcome {
        texts: sent.len(),
        batch: setup
            .repos
            .batch(&setup.batch)
            .await
            .unwrap()
            .map(|b| b.status),
        ..Outcome::default()
    };
    use RecipientStatus::{Cancelled, Queued, TechnicalFailure};
    for r in &records {
        let seq = r.recipient.seq;
        let number = r.recipient.mobile.e164().as_str().to_owned();
        let texts = texts_by_number.get(&number).copied().unwrap_or(0);
        if texts > 1 {
            outcome.texted_twice.push(seq);
        }
        if matches!(r.status, Queued | RecipientStatus::Sending) {
            outcome.not_final.push((seq, r.status));
        }
        if matches!(r.status, TechnicalFailure | Cancelled)
            && r.reason.as_deref().is_none_or(str::is_empty)
        {
            outcome.no_reason.push(seq);
        }
        if r.status == TechnicalFailure && r.reason.as_deref() == Some(MAYBE_SENT) && texts == 0 {
            outcome.maybe_sent_never_sent.push(seq);
        }
    }
    outcome
}

#[tokio::test]
async fn attack_random_faults_through_the_send_handler() {
    let seeds: Vec<u64> = match std::env::var("BATCHMSG_ATTACK_SEED") {
        Ok(s) => vec![s.parse().unwrap()],
        Err(_) => {
            let runs: u64 = std::env::var("BATCHMSG_ATTACK_RUNS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(12);
            (1..=runs).collect()
        }
    };
    let mut broke = Vec::new();
    let mut misreported = 0;
    for seed in seeds {
        let o = run(seed).await;
        eprintln!("seed {seed}: {o:?} ({} texts)", o.texts);
        let finished = matches!(
            o.batch,
            Some(BatchStatus::Completed | BatchStatus::Cancelled)
        );
        if !o.texted_twice.is_empty()
            || !o.not_final.is_empty()
            || !o.no_reason.is_empty()
            || !finished
        {
            broke.push(seed);
        }
        misreported += o.maybe_sent_never_sent.len();
        if !o.maybe_sent_never_sent.is_empty() {
            eprintln!(
                "seed {seed}: {} patient(s) never texted are 'may or may not have been sent'",
                o.maybe_sent_never_sent.len()
            );
        }
    }
    assert!(
        broke.is_empty(),
        "the core promise broke for seeds {broke:?}"
    );
    // Not the promise, but what its statuses cost staff: a text never sent
    // that is called "may or may not have been sent" (a DynamoDB write
    // refused after a throttle, the sweep settling what that left): 3 of
    // 60 runs on 2026-12-06.
    eprintln!("{misreported} never-texted patient(s) ended 'may or may not have been sent'");
}
