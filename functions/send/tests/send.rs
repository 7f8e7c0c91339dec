//! The send function against moto (DynamoDB and SNS through the real SDK
//! clients), called in-process with SQS events of the shape Lambda receives
//! (`tests/fixtures/sqs-event.json`, the body replaced per test). Every test
//! counts the texts SNS took.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_aws::sqs::{SendJob, SqsSendQueue};
use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::delivery::{BatchEvent, RecipientStatus};
use batchmsg_core::ports::{
    BatchRepo, PortResult, PublishError, Published, PublishedLookup, SmsSender, SystemClock,
};
use batchmsg_core::rate::EvenlySpacedLimiter;
use batchmsg_send::timing::CallTimes;
use batchmsg_send::{SendError, Sending, Timing, handle};
use chrono::{DateTime, TimeDelta, Utc};
use common::{Setup, failures, job, setup, sqs_event};
use serde_json::json;

/// SNS, except that each of `throttle` is throttled once.
struct ThrottleOnce {
    inner: SnsSmsSender,
    throttle: Mutex<HashSet<Seq>>,
}

impl SmsSender for ThrottleOnce {
    async fn publish(&self, batch: &BatchId, r: &Recipient) -> Result<Published, PublishError> {
        if self.throttle.lock().unwrap().remove(&r.seq) {
            return Err(PublishError::Throttled);
        }
        self.inner.publish(batch, r).await
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        self.inner.lookup(batch, seqs).await
    }
}

/// Fast enough not to slow the tests; the pacing is unit-tested.
fn limiter() -> EvenlySpacedLimiter {
    EvenlySpacedLimiter::new(1_000.0, 2).unwrap()
}

/// The adapters' own bounds, at the test limiter's pace; throttled texts
/// come back at once.
fn timing() -> Timing {
    Timing {
        interval: limiter().interval(),
        calls: CallTimes::aws(),
        throttle_delay: Duration::ZERO,
    }
}

/// A deadline no test comes near.
fn far() -> DateTime<Utc> {
    Utc::now() + TimeDelta::minutes(15)
}

type Real = Sending<DynamoRepos, SnsSmsSender, EvenlySpacedLimiter, SystemClock, SqsSendQueue>;

impl Setup {
    fn sending(&self) -> Real {
        Sending {
            repos: self.repos.clone(),
            sender: self.sns(),
            limiter: limiter(),
            clock: SystemClock,
            queue: self.queue.clone(),
            timing: timing(),
        }
    }
}

#[tokio::test]
async fn a_job_sends_exactly_its_queued_recipients() {
    let setup = setup(1).await;
    let started = Instant::now();
    let response = handle(&setup.sending(), sqs_event(&[("m-1", &job(0..4))]), far())
        .await
        .unwrap();
    eprintln!("4 texts sent in {:?}", started.elapsed());
    assert!(failures(&response).is_empty());
    let mut numbers: Vec<String> = setup.moto.sms_sent().into_iter().map(|t| t.1).collect();
    numbers.sort();
    assert_eq!(
        numbers,
        [
            "+447700900000",
            "+447700900001",
            "+447700900002",
            "+447700900003"
        ]
    );
    use RecipientStatus::*;
    assert_eq!(
        setup.statuses().await,
        [
            Sent, Sent, Sent, Sent, Queued, Queued, Queued, Queued, Queued, Queued
        ]
    );
    // The response is what Lambda expects back.
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn a_job_delivered_twice_sends_nothing_more() {
    let setup = setup(1).await;
    let sending = setup.sending();
    let body = job(0..4);
    // Twice in one batch, then again in another.
    let response = handle(
        &sending,
        sqs_event(&[("m-1", &body), ("m-1b", &body)]),
        far(),
    )
    .await
    .unwrap();
    assert!(failures(&response).is_empty());
    let response = handle(&sending, sqs_event(&[("m-1", &body)]), far())
        .await
        .unwrap();
    assert!(failures(&response).is_empty());
    assert_eq!(setup.texts(), 4);
}

#[tokio::test]
async fn a_job_for_a_cancelled_batch_sends_nothing_and_cancels_its_recipients() {
    let setup = setup(1).await;
    // The batch is cancelled but its recipients are still queued: a job
    // arriving between the two steps of a cancel, or a throttled job
    // coming back after it.
    assert!(
        setup
            .repos
            .batch_event(&setup.batch, BatchEvent::Cancel)
            .await
            .unwrap()
    );
    let response = handle(&setup.sending(), sqs_event(&[("m-1", &job(0..4))]), far())
        .await
        .unwrap();
    assert!(failures(&response).is_empty());
    assert_eq!(setup.texts(), 0);
    use RecipientStatus::*;
    assert_eq!(
        setup.statuses().await[..5],
        [Cancelled, Cancelled, Cancelled, Cancelled, Queued]
    );
}

#[tokio::test]
async fn a_malformed_job_is_dropped_not_delivered_again() {
    let setup = setup(1).await;
    let unknown_batch = SendJob {
        batch: "20261125-090000-9999".parse().unwrap(),
        seqs: vec![0, 1],
    }
    .body();
    let event = sqs_event(&[
        ("bad-json", "07700900123 not json"),
        (
            "bad-shape",
            r#"{"batch":"20261125-090000-0001","seqs":["07700900123"]}"#,
        ),
        ("no-seqs", r#"{"batch":"20261125-090000-0001","seqs":[]}"#),
        ("too-many", &job(0..26)),
        ("empty", ""),
        ("no-such-batch", &unknown_batch),
        ("good", &job(0..4)),
    ]);
    let response = handle(&setup.sending(), event, far()).await.unwrap();
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(setup.texts(), 4);
}

#[tokio::test]
async fn a_throttled_job_is_queued_again_in_a_message_of_its_own() {
    let setup = setup(2).await;
    let sending = Sending {
        repos: setup.repos.clone(),
        sender: ThrottleOnce {
            inner: setup.sns(),
            throttle: Mutex::new(HashSet::from([2])),
        },
        limiter: limiter(),
        clock: SystemClock,
        queue: setup.queue.clone(),
        timing: timing(),
    };
    let (a, b) = (job(0..4), job(4..8));
    let response = handle(&sending, sqs_event(&[("m-a", &a), ("m-b", &b)]), far())
        .await
        .unwrap();
    // 0 and 1 went, 2 was throttled and 3 not tried: both back to queued,
    // in a new message; the original is done (a duplicate delivery of it
    // finishing first can no longer leave them with no job).
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(setup.texts(), 6);
    use RecipientStatus::{Queued, Sent};
    assert_eq!(
        setup.statuses().await[..8],
        [Sent, Sent, Queued, Queued, Sent, Sent, Sent, Sent]
    );
    let jobs = setup.queued_jobs().await;
    assert_eq!(
        jobs,
        [SendJob {
            batch: setup.batch.clone(),
            seqs: vec![2, 3]
        }]
    );
    // The new message is delivered: the rest go.
    let response = handle(&sending, sqs_event(&[("m-c", &jobs[0].body())]), far())
        .await
        .unwrap();
    assert!(failures(&response).is_empty());
    assert_eq!(setup.texts(), 8);
    assert!(setup.queued_jobs().await.is_empty());
}

#[tokio::test]
async fn a_job_that_fails_on_dynamodb_is_reported_for_delivery_again() {
    let setup = setup(1).await;
    let broken = DynamoRepos::new(setup.repos.client().clone(), "no-such-table");
    let sending = Sending {
        repos: broken,
        sender: setup.sns(),
        limiter: limiter(),
        clock: SystemClock,
        queue: setup.queue.clone(),
        timing: timing(),
    };
    let response = handle(
        &sending,
        sqs_event(&[("m-1", &job(0..4)), ("m-2", &job(4..8))]),
        far(),
    )
    .await
    .unwrap();
    assert_eq!(failures(&response), ["m-1", "m-2"]);
    // A record to deliver again with no messageId fails the whole batch.
    let mut event = sqs_event(&[("m-1", &job(0..4))]);
    event.records[0].message_id = None;
    let error = handle(&sending, event, far()).await.unwrap_err();
    assert!(matches!(error, SendError::NoMessageId(1)), "{error:?}");
    assert_eq!(setup.texts(), 0);
    assert_eq!(setup.statuses().await, [RecipientStatus::Queued; 10]);
}
