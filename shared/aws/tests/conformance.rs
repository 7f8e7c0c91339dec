//! The ports' conformance suites against the AWS adapters on moto: each
//! case on a fresh table, queue, schedule group or bucket.
//!
//! Not covered here: `TemplateStore` (no AWS adapter).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_sqs::types::QueueAttributeName;
use batchmsg_aws::dynamo::{DynamoRepos, create_table};
use batchmsg_aws::s3::S3ObjectStore;
use batchmsg_aws::scheduler::{EventBridgeScheduler, schedule_name};
use batchmsg_aws::sqs::{SendJob, SqsSendQueue};
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::test_support::conformance::{self, ObjectProbe, QueueProbe, SchedulerProbe};
use batchmsg_moto::{Moto, SCHEDULER_ROLE_ARN, Stack, WAVE_FUNCTION_ARN, create_bucket};

/// Fresh resources on one moto, each with a new name.
struct Fresh {
    _moto: Moto,
    stack: Stack,
    made: AtomicU32,
}

impl Fresh {
    async fn new() -> Self {
        let moto = Moto::connect().await;
        let stack = moto.stack().await;
        Self {
            _moto: moto,
            stack,
            made: AtomicU32::new(0),
        }
    }

    fn name(&self, kind: &str) -> String {
        format!(
            "conformance-{kind}-{}",
            self.made.fetch_add(1, Ordering::Relaxed)
        )
    }

    async fn repos(&self) -> DynamoRepos {
        let table = self.name("table");
        create_table(&self.stack.dynamo, &table)
            .await
            .expect("creates a table");
        DynamoRepos::new(self.stack.dynamo.clone(), table)
    }

    async fn queue(&self) -> SqsSendQueue {
        let url = self
            .stack
            .sqs
            .create_queue()
            .queue_name(self.name("queue"))
            .send()
            .await
            .expect("creates a queue")
            .queue_url
            .expect("a queue url");
        SqsSendQueue::new(self.stack.sqs.clone(), url)
    }

    async fn scheduler(&self) -> EventBridgeScheduler {
        let group = self.name("group");
        self.stack
            .scheduler_client
            .create_schedule_group()
            .name(&group)
            .send()
            .await
            .expect("creates a schedule group");
        EventBridgeScheduler::new(
            self.stack.scheduler_client.clone(),
            group,
            WAVE_FUNCTION_ARN,
            SCHEDULER_ROLE_ARN,
        )
    }

    async fn bucket(&self) -> S3ObjectStore {
        let bucket = self.name("bucket");
        create_bucket(&self.stack.s3, &bucket).await;
        S3ObjectStore::new(self.stack.s3.clone(), bucket)
    }
}

/// Receives and deletes what is on a queue; jobs of other batches than
/// the one asked for are kept for when they are asked for.
struct Received<'a> {
    sqs: &'a aws_sdk_sqs::Client,
    others: Mutex<HashMap<(String, BatchId), Vec<Seq>>>,
}

impl Received<'_> {
    /// Messages on the queue still within their delay.
    async fn delayed(&self, url: &str) -> u64 {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .expect("reads the queue's attributes");
        attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessagesDelayed))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// Receives and deletes what is ready; with `wait`, waits (long
    /// polling) for delayed messages too.
    async fn take(&self, queue: &SqsSendQueue, batch: &BatchId, wait: bool) -> Vec<Seq> {
        let url = queue.queue_url().to_owned();
        loop {
            let delayed = wait && self.delayed(&url).await > 0;
            let received = self
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .visibility_timeout(300)
                .wait_time_seconds(if delayed { 5 } else { 0 })
                .send()
                .await
                .expect("receives");
            let messages = received.messages();
            if messages.is_empty() {
                if delayed {
                    continue;
                }
                break;
            }
            for message in messages {
                let job = SendJob::parse(message.body().expect("a body")).expect("a send job");
                self.others
                    .lock()
                    .unwrap()
                    .entry((url.clone(), job.batch))
                    .or_default()
                    .extend(job.seqs);
                self.sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(message.receipt_handle().expect("a receipt handle"))
                    .send()
                    .await
                    .expect("deletes");
            }
        }
        let taken = self.others.lock().unwrap().remove(&(url, batch.clone()));
        taken.unwrap_or_default()
    }
}

impl QueueProbe<SqsSendQueue> for Received<'_> {
    async fn take_jobs(&self, queue: &SqsSendQueue, batch: &BatchId) -> Vec<Seq> {
        self.take(queue, batch, true).await
    }

    async fn take_ready_jobs(&self, queue: &SqsSendQueue, batch: &BatchId) -> Vec<Seq> {
        self.take(queue, batch, false).await
    }
}

/// Lists the schedules in the scheduler's group.
struct Listed<'a>(&'a aws_sdk_scheduler::Client);

impl SchedulerProbe<EventBridgeScheduler> for Listed<'_> {
    async fn scheduled(&self, scheduler: &EventBridgeScheduler, batch: &BatchId) -> Vec<u32> {
        let mut names = Vec::new();
        let mut pages = self
            .0
            .list_schedules()
            .group_name(scheduler.group())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for schedule in page.expect("lists schedules").schedules() {
                names.push(schedule.name().expect("a name").to_owned());
            }
        }
        let prefix = format!("{batch}-w");
        let mut waves: Vec<u32> = names
            .iter()
            .filter_map(|name| name.strip_prefix(&prefix)?.parse().ok())
            .collect();
        waves.sort_unstable();
        for &wave in &waves {
            assert_eq!(format!("{prefix}{wave:05}"), schedule_name(batch, wave));
        }
        waves
    }
}

/// HeadObject.
struct Head<'a>(&'a aws_sdk_s3::Client);

impl Head<'_> {
    async fn head(
        &self,
        store: &S3ObjectStore,
        key: &str,
    ) -> Option<aws_sdk_s3::operation::head_object::HeadObjectOutput> {
        self.0
            .head_object()
            .bucket(store.bucket())
            .key(key)
            .send()
            .await
            .ok()
    }
}

impl ObjectProbe<S3ObjectStore> for Head<'_> {
    async fn tag(&self, store: &S3ObjectStore, key: &str) -> Option<String> {
        self.head(store, key).await?.e_tag
    }

    async fn content_type(&self, store: &S3ObjectStore, key: &str) -> Option<String> {
        self.head(store, key).await?.content_type
    }
}

#[tokio::test]
async fn the_dynamodb_batch_repo_conforms() {
    let fresh = Fresh::new().await;
    conformance::batch_repo(|| fresh.repos()).await;
}

#[tokio::test]
async fn the_dynamodb_recipient_repo_conforms() {
    let fresh = Fresh::new().await;
    conformance::recipient_repo(|| fresh.repos()).await;
}

#[tokio::test]
async fn the_dynamodb_wave_repo_conforms() {
    let fresh = Fresh::new().await;
    conformance::wave_repo(|| fresh.repos()).await;
}

#[tokio::test]
async fn the_sqs_send_queue_conforms() {
    let fresh = Fresh::new().await;
    let probe = Received {
        sqs: &fresh.stack.sqs,
        others: Mutex::default(),
    };
    conformance::send_queue(|| fresh.queue(), &probe).await;
}

#[tokio::test]
async fn the_eventbridge_wave_scheduler_conforms() {
    let fresh = Fresh::new().await;
    let probe = Listed(&fresh.stack.scheduler_client);
    conformance::wave_scheduler(|| fresh.scheduler(), &probe).await;
}

#[tokio::test]
async fn the_s3_object_store_conforms() {
    let fresh = Fresh::new().await;
    let probe = Head(&fresh.stack.s3);
    conformance::object_store(|| fresh.bucket(), &probe).await;
}
