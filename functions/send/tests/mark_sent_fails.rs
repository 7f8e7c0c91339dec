//! A DynamoDB failure writing `sent` (issue 12, case 9), against moto: the
//! write of `sent` (the TransactWriteItems that carries a text's `MSG#`
//! item) is refused by an interceptor on the DynamoDB client before it
//! leaves, every other request reaching moto. Every other outcome of the
//! job must still be recorded: the throttled texts back to `queued` (not
//! left `sending`, to be called "may or may not have been sent"), the
//! refusals `technical-failure`.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::{
    PortResult, PublishError, Published, PublishedLookup, SmsSender, SystemClock,
};
use batchmsg_core::rate::EvenlySpacedLimiter;
use batchmsg_core::sending::{Pacing, RateUnit, SendingError, Unbounded, send_texts};
use batchmsg_moto::TABLE;
use batchmsg_send::timing::CallTimes;
use batchmsg_send::{Sending, Timing, handle};
use chrono::{TimeDelta, Utc};
use common::{failures, job, setup, sqs_event};

/// Refuses every write of `sent` while `on`.
#[derive(Clone, Debug, Default)]
struct RefuseSent {
    on: Arc<AtomicBool>,
    refused: Arc<AtomicU32>,
}

impl Intercept for RefuseSent {
    fn name(&self) -> &'static str {
        "RefuseSent"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let transaction = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|t| t.ends_with(".TransactWriteItems"));
        let sent = request
            .body()
            .bytes()
            .is_some_and(|b| String::from_utf8_lossy(b).contains("MSG#"));
        if self.on.load(Ordering::SeqCst) && transaction && sent {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err("the table is unreachable for this write".into());
        }
        Ok(())
    }
}

/// SNS, except that it refuses and throttles the texts it is told to.
struct Scripted {
    inner: SnsSmsSender,
    refuse: HashSet<Seq>,
    throttle: HashSet<Seq>,
}

impl SmsSender for Scripted {
    async fn publish(&self, batch: &BatchId, r: &Recipient) -> Result<Published, PublishError> {
        if self.refuse.contains(&r.seq) {
            return Err(PublishError::Refused("InvalidParameter".into()));
        }
        if self.throttle.contains(&r.seq) {
            return Err(PublishError::Throttled);
        }
        self.inner.publish(batch, r).await
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        self.inner.lookup(batch, seqs).await
    }
}

fn refusing_repos(moto: &batchmsg_moto::Moto) -> (DynamoRepos, RefuseSent) {
    let refuse = RefuseSent::default();
    let client = Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&moto.sdk)
            .interceptor(refuse.clone())
            .build(),
    );
    (DynamoRepos::new(client, TABLE), refuse)
}

fn limiter() -> EvenlySpacedLimiter {
    EvenlySpacedLimiter::new(1_000.0, 2).unwrap()
}

#[tokio::test]
async fn a_failed_write_of_sent_still_requeues_the_throttled_and_records_the_refused() {
    let setup = setup(1).await;
    let (repos, refuse) = refusing_repos(&setup.moto);
    refuse.on.store(true, Ordering::SeqCst);
    let sender = Scripted {
        inner: setup.sns(),
        refuse: HashSet::from([1]),
        throttle: HashSet::from([2]),
    };
    // The four claimed together, as a sender that claims ahead does.
    let outcome = send_texts(
        &repos,
        &repos,
        &sender,
        &limiter(),
        &SystemClock,
        &Unbounded,
        &setup.batch,
        &[0, 1, 2, 3],
        Pacing {
            unit: RateUnit::Texts,
            claim_ahead: 4,
        },
    )
    .await;
    assert!(matches!(outcome, Err(SendingError::Port(_))), "{outcome:?}");
    assert!(refuse.refused.load(Ordering::SeqCst) >= 1);
    assert_eq!(setup.texts(), 1);
    use RecipientStatus::*;
    // 0 went and could not be recorded (the sweep settles it); 1 was
    // refused and says so; 2 was throttled and 3 never tried: queued.
    assert_eq!(
        setup.statuses().await[..4],
        [Sending, TechnicalFailure, Queued, Queued]
    );
}

#[tokio::test]
async fn the_send_function_reports_the_job_and_its_redelivery_sends_the_rest() {
    let setup = setup(1).await;
    let (repos, refuse) = refusing_repos(&setup.moto);
    let sending = Sending {
        repos,
        sender: Scripted {
            inner: setup.sns(),
            refuse: HashSet::from([1]),
            throttle: HashSet::new(),
        },
        limiter: limiter(),
        clock: SystemClock,
        queue: setup.queue.clone(),
        timing: Timing {
            interval: limiter().interval(),
            calls: CallTimes::aws(),
            throttle_delay: Duration::ZERO,
        },
    };
    let deadline = Utc::now() + TimeDelta::minutes(15);
    // Text 0 goes and its `sent` cannot be written.
    refuse.on.store(true, Ordering::SeqCst);
    let response = handle(&sending, sqs_event(&[("m-1", &job(0..4))]), deadline)
        .await
        .unwrap();
    assert_eq!(failures(&response), ["m-1"]);
    use RecipientStatus::{Queued, Sent, TechnicalFailure};
    let claimed = RecipientStatus::Sending;
    assert_eq!(
        setup.statuses().await[..4],
        [claimed, Queued, Queued, Queued]
    );
    // SQS delivers it again: 0 is not sent again, 1 is refused, 2 and 3 go.
    refuse.on.store(false, Ordering::SeqCst);
    let response = handle(&sending, sqs_event(&[("m-1", &job(0..4))]), deadline)
        .await
        .unwrap();
    assert!(failures(&response).is_empty());
    assert_eq!(setup.texts(), 3);
    assert_eq!(
        setup.statuses().await[..4],
        [claimed, TechnicalFailure, Sent, Sent]
    );
}
