//! What the send function's newer tests share: a batch on moto, its send
//! queue, SQS events as Lambda hands them over, and what the queue holds.

#![allow(dead_code)]

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::{SnsSmsSender, client_config};
use batchmsg_aws::sqs::{SendJob, SqsSendQueue};
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::RecipientRepo;
use batchmsg_core::ports::{Clock, PortResult, RateLimiter};
use batchmsg_core::sending::{Release, release_wave};
use batchmsg_core::test_support::fake::Fake;
use batchmsg_moto::{BATCH, Moto, ten_in_three_waves};
use batchmsg_send::timing::CallTimes;
use batchmsg_send::{Sending, Timing};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// AWS's call bounds at this instance's `interval` between texts, with no
/// delay before a throttled job comes back.
pub fn timing(interval: Duration) -> Timing {
    Timing {
        interval,
        calls: CallTimes::aws(),
        throttle_delay: Duration::ZERO,
    }
}

/// The send function as a test drives it: `repos`, this stack's SNS and
/// queue, one text every `timing.interval` on `clock`.
pub type PacedSending<R> = Sending<R, SnsSmsSender, Paced, TestClock, SqsSendQueue>;

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }

    pub fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// One text every `interval`, waited for on the test clock.
pub struct Paced {
    pub clock: TestClock,
    pub interval: Duration,
}

impl RateLimiter for Paced {
    async fn acquire(&self, units: u32) -> PortResult<()> {
        self.clock
            .advance(TimeDelta::from_std(self.interval * units).unwrap());
        Ok(())
    }
}

pub struct Setup {
    pub moto: Moto,
    pub repos: DynamoRepos,
    pub queue: SqsSendQueue,
    pub batch: BatchId,
}

/// A reset moto with the stack, and a batch of 10 recipients in waves of 4,
/// 4 and 2 whose first `released` waves have been released.
pub async fn setup(released: u32) -> Setup {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let (repos, queue) = (stack.repos, stack.queue);
    let (batch, _) = ten_in_three_waves(&repos).await;
    let jobs = Fake::new();
    for wave in 1..=released {
        let release = release_wave(&repos, &repos, &repos, &jobs, &batch, wave)
            .await
            .unwrap();
        assert!(matches!(release, Release::Queued(_)), "{release:?}");
    }
    Setup {
        moto,
        repos,
        queue,
        batch,
    }
}

impl Setup {
    /// The send function with `repos`, paced on `clock` (see [`PacedSending`]).
    pub fn paced<R>(&self, repos: R, clock: &TestClock, timing: Timing) -> PacedSending<R> {
        Sending {
            repos,
            sender: self.sns(),
            limiter: Paced {
                clock: clock.clone(),
                interval: timing.interval,
            },
            clock: clock.clone(),
            queue: self.queue.clone(),
            timing,
        }
    }

    pub fn sns(&self) -> SnsSmsSender {
        SnsSmsSender::new(
            aws_sdk_sns::Client::from_conf(client_config(&self.moto.sdk)),
            Some("NHSClinic".parse().unwrap()),
        )
    }

    pub fn texts(&self) -> usize {
        self.moto.sms_sent().len()
    }

    pub async fn statuses(&self) -> Vec<RecipientStatus> {
        self.repos
            .records(&self.batch)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.status)
            .collect()
    }

    /// The jobs on the send queue that can be received now (received and
    /// deleted).
    pub async fn queued_jobs(&self) -> Vec<SendJob> {
        let sqs = aws_sdk_sqs::Client::new(&self.moto.sdk);
        let mut jobs = Vec::new();
        loop {
            let received = sqs
                .receive_message()
                .queue_url(self.queue.queue_url())
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receives");
            if received.messages().is_empty() {
                return jobs;
            }
            for message in received.messages() {
                jobs.push(SendJob::parse(message.body().unwrap()).unwrap());
                sqs.delete_message()
                    .queue_url(self.queue.queue_url())
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .expect("deletes");
            }
        }
    }
}

pub fn job(seqs: std::ops::Range<Seq>) -> String {
    SendJob {
        batch: BATCH.parse().unwrap(),
        seqs: seqs.collect(),
    }
    .body()
}

/// An SQS event as Lambda receives it, one record per (messageId, body).
pub fn sqs_event(messages: &[(&str, &str)]) -> SqsEvent {
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/sqs-event.json")).unwrap();
    let template = &fixture["Records"][0];
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            let mut record = template.clone();
            record["messageId"] = json!(id);
            record["body"] = json!(body);
            record
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("an SQS event")
}

pub fn failures(response: &SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}
