//! The adversarial review of issue 12 ("On AWS"), kept as tests: its
//! experiments on moto through the real send handler. Attacks 1, 2 and 2b
//! broke the promise when written and hold since the fixes (a send that
//! makes no progress reports its messages, so they reach the dead-letter
//! queue; a claim whose answer is lost is put back by its token); the rest
//! held from the start.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::{
    Clock, PortResult, PublishError, Published, PublishedLookup, RecipientRepo, SmsSender,
};
use batchmsg_core::sending::{SweepTimes, sweep};
use batchmsg_moto::TABLE;
use batchmsg_send::{Sending, handle};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::{Paced, TestClock, failures, job, setup, sqs_event, timing};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap()
}

/// ATTACK 1 (fixed). A function timeout a little above the margin
/// (here margin + half an interval; any timeout in (margin, margin +
/// interval) does it): the check before the claim passes, the rate wait
/// then passes the stop, the text goes back to `queued` and the whole job
/// is handed back in a NEW message, the original reported done. The next
/// invocation does the same. No text is ever sent, no message is ever
/// reported failed, and because each hand-back is a new message (receive
/// count 1) nothing ever reaches the dead-letter queue: the stack loops
/// silently for ever. docs/aws.md promises that "a misconfigured stack ends
/// in the dead-letter queue rather than looping".
///
/// Expected: within a few invocations either texts go or the messages are
/// reported failed (so SQS counts receives). Actual: 0 texts, 0 failures,
/// the job handed back every time.
#[tokio::test]
async fn attack_timeout_just_above_margin_loops_for_ever_without_dlq() {
    let setup = setup(1).await;
    let clock = TestClock(Arc::new(Mutex::new(t0())));
    let interval = Duration::from_secs(10);
    let timing = timing(interval);
    let sending = setup.paced(setup.repos.clone(), &clock, timing);
    let margin = timing.calls.margin(interval, 1);
    let mut body = job(0..4);
    let mut reported_failed = 0;
    for round in 0..4 {
        // Each invocation starts when SQS delivers the handed-back message.
        clock.advance(TimeDelta::seconds(1));
        let deadline = clock.now() + TimeDelta::from_std(margin + interval / 2).unwrap();
        let id = format!("m-{round}");
        let response = handle(&sending, sqs_event(&[(&id, &body)]), deadline)
            .await
            .unwrap();
        reported_failed += failures(&response).len();
        let back = setup.queued_jobs().await;
        eprintln!(
            "round {round}: texts {} failures {:?} handed back {:?}",
            setup.texts(),
            failures(&response),
            back
        );
        if back.is_empty() {
            break;
        }
        assert_eq!(back.len(), 1);
        body = back[0].body();
    }
    // Put the last hand-back back: it is still live.
    batchmsg_core::ports::SendQueue::enqueue(
        &setup.queue,
        &setup.batch,
        &SendJob::parse(&body).unwrap().seqs,
    )
    .await
    .unwrap();
    // Meanwhile the sweep sees `queued` recipients with no job for 3 hours
    // (the hand-backs do not record a job) and gives them another: the
    // circulating messages grow each 3 hours while nothing is sent.
    let still_circulating = setup.queued_jobs().await;
    clock.advance(TimeDelta::hours(4));
    let swept = sweep(
        &setup.repos,
        &setup.repos,
        &setup.repos,
        &setup.sns(),
        &setup.queue,
        &clock,
        &SweepTimes::default(),
    )
    .await
    .unwrap();
    let added = setup.queued_jobs().await;
    eprintln!(
        "still circulating: {still_circulating:?}; the sweep 4 h later: {swept:?}, new jobs {added:?}"
    );
    assert!(
        setup.texts() > 0 || reported_failed > 0,
        "4 invocations with a timeout of margin + interval/2: no text sent and no message \
         reported failed; the job is handed back in a fresh message each time (never reaches \
         the DLQ)"
    );
}

/// Loses the answer of every `UpdateItem` (HTTP 500 after moto applied it),
/// retries included, while `on` is set.
#[derive(Clone, Debug, Default)]
struct LoseUpdates {
    on: Arc<AtomicBool>,
    /// Refuse every UpdateItem before it leaves (DynamoDB unreachable).
    refuse: Arc<AtomicBool>,
    lost: Arc<AtomicU32>,
    update: Arc<AtomicBool>,
}

impl Intercept for LoseUpdates {
    fn name(&self) -> &'static str {
        "LoseUpdates"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get("x-amz-target");
        let update = target.is_some_and(|t| t.ends_with(".UpdateItem"));
        self.update.store(update, Ordering::SeqCst);
        if update && self.refuse.load(Ordering::SeqCst) {
            return Err("DynamoDB unreachable (test)".into());
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.on.load(Ordering::SeqCst) && self.update.load(Ordering::SeqCst) {
            self.lost.fetch_add(1, Ordering::SeqCst);
            *context.response_mut().status_mut() = 500.try_into().expect("a status");
            // What comes back says nothing of the write (a 500 from DynamoDB,
            // or an attempt timed out), so no retry can recognise it.
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

/// ATTACK 2 (fixed). The claim's UpdateItem is applied by DynamoDB
/// but no answer gets back, the SDK's retries included (a DynamoDB
/// InternalServerError burst, or a slow partition past the 5 s operation
/// timeout). `claim` returns an error without putting the recipient back
/// (the unclaim only covers what the call *knows* it moved), so the text is
/// `sending` with nobody publishing it. The job is reported for delivery
/// again; the redelivery (healthy DynamoDB) skips it as "taken by another
/// sender"; 17 minutes later the sweep calls it a technical failure, "may
/// or may not have been sent". It never was.
///
/// Expected: once DynamoDB answers again the patient gets the text (one
/// text) and ends `sent`. Actual: 0 texts, `technical-failure` with "may or
/// may not have been sent".
#[tokio::test]
async fn attack_claim_applied_but_every_answer_lost_strands_a_text_never_sent() {
    let setup = setup(1).await;
    let lose = LoseUpdates::default();
    let lossy = DynamoRepos::new(
        aws_sdk_dynamodb::Client::from_conf(
            client_config(&setup.moto.sdk)
                .to_builder()
                .interceptor(lose.clone())
                .build(),
        ),
        TABLE,
    );
    let clock = TestClock(Arc::new(Mutex::new(t0())));
    let interval = Duration::from_millis(10);
    let deadline = t0() + TimeDelta::seconds(900);
    let make = |repos: DynamoRepos| setup.paced(repos, &clock, timing(interval));
    lose.on.store(true, Ordering::SeqCst);
    let direct = lossy.claim(&setup.batch, &[9], t0()).await;
    eprintln!(
        "the adapter alone, claiming 9 in the outage: {:?}, lost {}",
        direct.map(|v| v.len()),
        lose.lost.load(Ordering::SeqCst)
    );
    let outage = make(lossy);
    let response = handle(&outage, sqs_event(&[("m-1", &job(0..1))]), deadline)
        .await
        .unwrap();
    lose.on.store(false, Ordering::SeqCst);
    eprintln!(
        "outage: failures {:?}, lost answers {}, status {:?}",
        failures(&response),
        lose.lost.load(Ordering::SeqCst),
        setup.statuses().await[0]
    );
    assert_eq!(failures(&response), ["m-1"], "reported for delivery again");
    // SQS delivers it again; DynamoDB is healthy now.
    let healthy = make(setup.repos.clone());
    let again = handle(&healthy, sqs_event(&[("m-1", &job(0..1))]), deadline)
        .await
        .unwrap();
    eprintln!(
        "redelivery: failures {:?}, texts {}, status {:?}",
        failures(&again),
        setup.texts(),
        setup.statuses().await[0]
    );
    // The sweep, 18 minutes later (default stuck rule: 900 s + 2 min).
    clock.advance(TimeDelta::minutes(18));
    let swept = sweep(
        &setup.repos,
        &setup.repos,
        &setup.repos,
        &setup.sns(),
        &setup.queue,
        &clock,
        &SweepTimes::default(),
    )
    .await
    .unwrap();
    let record = setup.repos.records(&setup.batch).await.unwrap()[0].clone();
    eprintln!(
        "after sweep: {swept:?}, status {:?}, reason {:?}, texts {}",
        record.status,
        record.reason,
        setup.texts()
    );
    assert_eq!(
        (setup.texts(), record.status),
        (1, RecipientStatus::Sent),
        "the patient was never texted and is now {:?}: {:?}",
        record.status,
        record.reason
    );
}

/// ATTACK 3 (held). Two deliveries of the same two messages handled at
/// the same moment by two instances: each text at most once.
#[tokio::test]
async fn attack_two_instances_racing_on_duplicate_deliveries_send_each_text_once() {
    let setup = setup(2).await;
    let clock = TestClock(Arc::new(Mutex::new(t0())));
    let interval = Duration::from_millis(1);
    let deadline = t0() + TimeDelta::seconds(900);
    let make = || setup.paced(setup.repos.clone(), &clock, timing(interval));
    let (a, b, c) = (make(), make(), make());
    let event = || sqs_event(&[("m-1", &job(0..4)), ("m-2", &job(4..8))]);
    let (ra, rb, rc) = tokio::join!(
        handle(&a, event(), deadline),
        handle(&b, event(), deadline),
        handle(&c, event(), deadline)
    );
    eprintln!("{ra:?} {rb:?} {rc:?}");
    let mut per_number: HashMap<String, usize> = HashMap::new();
    for (_, number, _) in setup.moto.sms_sent() {
        *per_number.entry(number).or_default() += 1;
    }
    assert!(per_number.values().all(|&n| n == 1), "{per_number:?}");
    // Whatever was reported failed, SQS delivers again: finish it.
    let _ = handle(&a, event(), deadline).await.unwrap();
    assert_eq!(setup.texts(), 8);
    assert_eq!(setup.statuses().await[..8], [RecipientStatus::Sent; 8]);
}

/// SNS throttles the first `n` publishes (nothing is sent), then passes.
struct ThrottleFirst<S> {
    inner: S,
    left: AtomicU32,
}

impl<S: SmsSender + Sync> SmsSender for ThrottleFirst<S> {
    async fn publish(
        &self,
        batch: &BatchId,
        recipient: &Recipient,
    ) -> Result<Published, PublishError> {
        if self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(PublishError::Throttled);
        }
        self.inner.publish(batch, recipient).await
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        self.inner.lookup(batch, seqs).await
    }
}

/// ATTACK 4 (held). A throttled job's new delayed message, the original
/// message redelivered (SQS duplicate), and a sweep that thinks the job
/// lost (requeue time = the send timeout, the smallest the sweep accepts),
/// all handled: each text once, all `sent`, batch settles.
#[tokio::test]
async fn attack_throttled_job_duplicate_and_sweep_requeue_send_each_once() {
    let setup = setup(2).await;
    let clock = TestClock(Arc::new(Mutex::new(t0())));
    let interval = Duration::from_millis(1);
    let deadline = t0() + TimeDelta::days(1);
    let throttled = Sending {
        repos: setup.repos.clone(),
        sender: ThrottleFirst {
            inner: setup.sns(),
            left: AtomicU32::new(1),
        },
        limiter: Paced {
            clock: clock.clone(),
            interval,
        },
        clock: clock.clone(),
        queue: setup.queue.clone(),
        timing: timing(interval),
    };
    let r = handle(&throttled, sqs_event(&[("m-1", &job(0..4))]), deadline)
        .await
        .unwrap();
    assert!(failures(&r).is_empty());
    // The sweep with the smallest requeue time it accepts, 16 minutes on.
    clock.advance(TimeDelta::minutes(16));
    let times = SweepTimes::new(TimeDelta::seconds(900), TimeDelta::seconds(900));
    let swept = sweep(
        &setup.repos,
        &setup.repos,
        &setup.repos,
        &setup.sns(),
        &setup.queue,
        &clock,
        &times,
    )
    .await
    .unwrap();
    eprintln!("sweep: {swept:?}");
    // Everything on the queue now (the delayed message, the sweep's jobs),
    // plus the original message redelivered, all at once.
    let mut bodies: Vec<String> = setup
        .queued_jobs()
        .await
        .iter()
        .map(SendJob::body)
        .collect();
    bodies.push(job(0..4));
    bodies.push(job(4..8));
    let records: Vec<(String, String)> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("d-{i}"), b.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = records
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let healthy = setup.paced(setup.repos.clone(), &clock, timing(interval));
    let (x, y) = tokio::join!(
        handle(&healthy, sqs_event(&refs), deadline),
        handle(&healthy, sqs_event(&refs), deadline)
    );
    eprintln!("{x:?} {y:?}");
    let mut per_number: HashMap<String, usize> = HashMap::new();
    for (_, number, _) in setup.moto.sms_sent() {
        *per_number.entry(number).or_default() += 1;
    }
    assert!(per_number.values().all(|&n| n == 1), "{per_number:?}");
    // The sweep released the overdue third wave too: all 10 once.
    assert_eq!(setup.texts(), 10);
}

/// Every text once; every recipient final with a reason; cancelled ones
/// have no text.
async fn check_settled(setup: &common::Setup) -> (Vec<RecipientStatus>, usize) {
    let mut per_number: HashMap<String, usize> = HashMap::new();
    for (_, number, _) in setup.moto.sms_sent() {
        *per_number.entry(number).or_default() += 1;
    }
    assert!(
        per_number.values().all(|&n| n == 1),
        "texted twice: {per_number:?}"
    );
    let records = setup.repos.records(&setup.batch).await.unwrap();
    use RecipientStatus::*;
    for r in &records {
        assert!(
            !matches!(r.status, Queued | Sending),
            "seq {} left {:?}",
            r.recipient.seq,
            r.status
        );
        if matches!(r.status, TechnicalFailure | Cancelled) {
            assert!(r.reason.as_deref().is_some_and(|x| !x.is_empty()));
        }
    }
    (records.iter().map(|r| r.status).collect(), setup.texts())
}

/// ATTACK 6 (held). Wave 1 released by its schedule and by the sweep
/// (overdue) at the same moment, the sweep also releasing waves 2 and 3;
/// every job then delivered twice, to two instances at once; optionally a
/// cancel racing the sends. Then sweeps until settled.
async fn race(cancel: bool) {
    let setup = setup(0).await;
    let clock = TestClock(Arc::new(Mutex::new(t0())));
    let fake = batchmsg_core::test_support::fake::Fake::new();
    let sns = setup.sns();
    let times = SweepTimes::default();
    let (r, s) = tokio::join!(
        batchmsg_core::sending::release_wave(
            &setup.repos,
            &setup.repos,
            &setup.repos,
            &setup.queue,
            &setup.batch,
            1
        ),
        sweep(
            &setup.repos,
            &setup.repos,
            &setup.repos,
            &sns,
            &setup.queue,
            &clock,
            &times,
        )
    );
    eprintln!("release {r:?}; sweep {s:?}");
    let bodies: Vec<String> = setup
        .queued_jobs()
        .await
        .iter()
        .map(SendJob::body)
        .collect();
    eprintln!("{} jobs on the queue", bodies.len());
    let records: Vec<(String, String)> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("d-{i}"), b.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = records
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let interval = Duration::from_millis(1);
    let deadline = t0() + TimeDelta::days(1);
    let make = || setup.paced(setup.repos.clone(), &clock, timing(interval));
    let (a, b) = (make(), make());
    let canceller = async {
        if cancel {
            tokio::task::yield_now().await;
            Some(
                batchmsg_core::sending::cancel_batch(
                    &setup.repos,
                    &setup.repos,
                    &setup.repos,
                    &fake,
                    &clock,
                    &setup.batch,
                )
                .await,
            )
        } else {
            None
        }
    };
    let (x, y, c) = tokio::join!(
        handle(&a, sqs_event(&refs), deadline),
        handle(&b, sqs_event(&refs), deadline),
        canceller
    );
    eprintln!("{x:?} {y:?} cancel {c:?}");
    // Whatever is on the queue (handed back), once more; then sweeps, far
    // enough apart for every rule.
    for round in 0..3 {
        let more: Vec<String> = setup
            .queued_jobs()
            .await
            .iter()
            .map(SendJob::body)
            .collect();
        if !more.is_empty() {
            let recs: Vec<(String, String)> = more
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("e-{round}-{i}"), b.clone()))
                .collect();
            let refs: Vec<(&str, &str)> =
                recs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let _ = handle(&a, sqs_event(&refs), deadline).await;
        }
        clock.advance(TimeDelta::hours(4));
        let s = sweep(
            &setup.repos,
            &setup.repos,
            &setup.repos,
            &setup.sns(),
            &setup.queue,
            &clock,
            &SweepTimes::default(),
        )
        .await;
        eprintln!("sweep {round}: {s:?}");
    }
    let (statuses, texts) = check_settled(&setup).await;
    let batch = batchmsg_core::ports::BatchRepo::batch(&setup.repos, &setup.batch)
        .await
        .unwrap()
        .unwrap();
    eprintln!(
        "statuses {statuses:?}, texts {texts}, batch {:?}",
        batch.status
    );
    assert!(
        matches!(
            batch.status,
            batchmsg_core::delivery::BatchStatus::Completed
                | batchmsg_core::delivery::BatchStatus::Cancelled
        ),
        "{:?}",
        batch.status
    );
    if !cancel {
        assert_eq!(texts, 10);
    }
}

#[tokio::test]
async fn attack_wave_released_by_schedule_and_sweep_at_once_jobs_delivered_twice() {
    race(false).await;
}

#[tokio::test]
async fn attack_same_race_with_a_cancel_in_the_middle() {
    race(true).await;
}

/// A TCP proxy in front of moto that, while `slow` is set, holds back the
/// answer to each DynamoDB UpdateItem for `delay` (the request itself
/// reaches moto at once and is applied): a slow DynamoDB partition.
async fn slow_update_proxy(target: &str, slow: Arc<AtomicBool>, delay: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = target.trim_start_matches("http://").to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                continue;
            };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let hold = Arc::new(AtomicBool::new(false));
            let (hold_in, slow_in) = (hold.clone(), slow.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                loop {
                    let Ok(n) = cr.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    let chunk = &buf[..n];
                    if slow_in.load(Ordering::SeqCst)
                        && chunk.windows(10).any(|w| w == b"UpdateItem")
                    {
                        hold_in.store(true, Ordering::SeqCst);
                    }
                    if sw.write_all(chunk).await.is_err() {
                        return;
                    }
                }
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                loop {
                    let Ok(n) = sr.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    if hold.swap(false, Ordering::SeqCst) {
                        tokio::time::sleep(delay).await;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// ATTACK 2b (fixed): attack 2 without any made-up error, just a
/// slow DynamoDB. Each UpdateItem's answer takes 2.5 s while the claim is
/// made (the client's attempt timeout is 2 s, its operation timeout 5 s):
/// the first attempt is applied, every attempt times out, the claim
/// returns an error, the text is left `sending` with nobody sending it.
/// Expected: after DynamoDB is fast again the patient gets the text.
/// Actual: 0 texts; the sweep calls it "may or may not have been sent".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_dynamodb_claim_strands_a_text_never_sent() {
    let setup = setup(1).await;
    let slow = Arc::new(AtomicBool::new(false));
    let proxy = slow_update_proxy(
        &setup.moto.endpoint,
        slow.clone(),
        Duration::from_millis(2_500),
    )
    .await;
    let slowed = DynamoRepos::new(
        aws_sdk_dynamodb::Client::from_conf(
            client_config(&setup.moto.sdk)
                .to_builder()
                .endpoint_url(proxy)
                .build(),
        ),
        TABLE,
    );
    let clock = TestClock(Arc::new(Mutex::new(t0())));
    let interval = Duration::from_millis(10);
    let deadline = t0() + TimeDelta::seconds(900);
    let make = |repos: DynamoRepos| setup.paced(repos, &clock, timing(interval));
    let outage = make(slowed);
    slow.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let response = handle(&outage, sqs_event(&[("m-1", &job(0..1))]), deadline)
        .await
        .unwrap();
    slow.store(false, Ordering::SeqCst);
    eprintln!(
        "slow claim: {:?} later, failures {:?}, status {:?}, texts {}",
        started.elapsed(),
        failures(&response),
        setup.statuses().await[0],
        setup.texts()
    );
    let healthy = make(setup.repos.clone());
    let again = handle(&healthy, sqs_event(&[("m-1", &job(0..1))]), deadline)
        .await
        .unwrap();
    clock.advance(TimeDelta::minutes(18));
    let swept = sweep(
        &setup.repos,
        &setup.repos,
        &setup.repos,
        &setup.sns(),
        &setup.queue,
        &clock,
        &SweepTimes::default(),
    )
    .await
    .unwrap();
    let record = setup.repos.records(&setup.batch).await.unwrap()[0].clone();
    eprintln!(
        "redelivery failures {:?}; after sweep {swept:?}: {:?} {:?}, texts {}",
        failures(&again),
        record.status,
        record.reason,
        setup.texts()
    );
    assert_eq!(
        (setup.texts(), record.status),
        (1, RecipientStatus::Sent),
        "never texted, now {:?}: {:?}",
        record.status,
        record.reason
    );
}
