//! The stack's resources as the template defines them (names and keys), made
//! on a reset moto, with clients that count every request they send.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use batchmsg_aws::dynamo::{DynamoRepos, create_table};
use batchmsg_aws::s3::S3ObjectStore;
use batchmsg_aws::scheduler::EventBridgeScheduler;
use batchmsg_aws::sns::{SnsOptOuts, SnsSmsSender};
use batchmsg_aws::sqs::SqsSendQueue;

use crate::{Moto, REGION};

pub const TABLE: &str = "batchmsg";
pub const BUCKET: &str = "batchmsg-lists";
pub const SEND_QUEUE: &str = "batchmsg-send";
pub const SENDER_ID: &str = "NHSClinic";
pub const SCHEDULE_GROUP: &str = "batchmsg-waves";
pub const WAVE_FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-2:123456789012:function:batchmsg-wave";
pub const SCHEDULER_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/batchmsg-scheduler";

/// Requests sent, by service and operation: every HTTP attempt, retries
/// included, which is what AWS bills; and the time they took.
#[derive(Clone, Debug, Default)]
pub struct RequestCount {
    counts: Arc<Mutex<BTreeMap<(String, String), u64>>>,
    waited: Arc<Mutex<BTreeMap<(String, String), Duration>>>,
}

#[derive(Clone, Debug)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

fn operation(cfg: &ConfigBag) -> (String, String) {
    cfg.load::<Metadata>()
        .map(|m| (m.service().to_owned(), m.name().to_owned()))
        .unwrap_or_default()
}

impl RequestCount {
    pub fn by_operation(&self) -> BTreeMap<(String, String), u64> {
        self.counts.lock().unwrap().clone()
    }

    /// Time from sending each request to its response, summed by operation
    /// (moto's speed, mostly).
    pub fn time_by_operation(&self) -> BTreeMap<(String, String), Duration> {
        self.waited.lock().unwrap().clone()
    }

    pub fn by_service(&self) -> BTreeMap<String, u64> {
        let mut services = BTreeMap::new();
        for ((service, _), count) in self.by_operation() {
            *services.entry(service).or_default() += count;
        }
        services
    }

    pub fn total(&self) -> u64 {
        self.counts.lock().unwrap().values().sum()
    }

    pub fn clear(&self) {
        self.counts.lock().unwrap().clear();
        self.waited.lock().unwrap().clear();
    }
}

impl Intercept for RequestCount {
    fn name(&self) -> &'static str {
        "RequestCount"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        *self
            .counts
            .lock()
            .unwrap()
            .entry(operation(cfg))
            .or_default() += 1;
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(at)) = cfg.load::<Started>() {
            *self
                .waited
                .lock()
                .unwrap()
                .entry(operation(cfg))
                .or_default() += at.elapsed();
        }
        Ok(())
    }
}

/// The table, bucket and queue, and the adapters on them, every client
/// counting into [`Stack::requests`].
pub struct Stack {
    pub requests: RequestCount,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub scheduler_client: aws_sdk_scheduler::Client,
    pub scheduler: EventBridgeScheduler,
    pub repos: DynamoRepos,
    pub objects: S3ObjectStore,
    pub queue: SqsSendQueue,
    pub sender: SnsSmsSender,
    pub opt_outs: SnsOptOuts,
}

impl Moto {
    /// Creates the stack's resources on this (reset) moto.
    pub async fn stack(&self) -> Stack {
        let requests = RequestCount::default();
        let sdk: &SdkConfig = &self.sdk;
        let dynamo = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .interceptor(requests.clone())
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(true)
                .interceptor(requests.clone())
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(sdk)
                .interceptor(requests.clone())
                .build(),
        );
        let sns_sender = aws_sdk_sns::Client::from_conf(
            batchmsg_aws::sns::client_config(sdk)
                .to_builder()
                .interceptor(requests.clone())
                .build(),
        );
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(sdk)
                .interceptor(requests.clone())
                .build(),
        );

        let scheduler_client = aws_sdk_scheduler::Client::from_conf(
            aws_sdk_scheduler::config::Builder::from(sdk)
                .interceptor(requests.clone())
                .build(),
        );

        scheduler_client
            .create_schedule_group()
            .name(SCHEDULE_GROUP)
            .send()
            .await
            .expect("creates the schedule group");
        create_table(&dynamo, TABLE)
            .await
            .expect("creates the table");
        create_bucket(&s3, BUCKET).await;
        let queue_url = sqs
            .create_queue()
            .queue_name(SEND_QUEUE)
            .send()
            .await
            .expect("creates the queue")
            .queue_url
            .expect("a queue url");
        requests.clear();

        Stack {
            repos: DynamoRepos::new(dynamo.clone(), TABLE),
            objects: S3ObjectStore::new(s3.clone(), BUCKET),
            queue: SqsSendQueue::new(sqs.clone(), queue_url),
            sender: SnsSmsSender::new(sns_sender, Some(SENDER_ID.parse().expect("a sender id"))),
            opt_outs: SnsOptOuts::from_client(sns),
            scheduler: EventBridgeScheduler::new(
                scheduler_client.clone(),
                SCHEDULE_GROUP,
                WAVE_FUNCTION_ARN,
                SCHEDULER_ROLE_ARN,
            ),
            scheduler_client,
            requests,
            dynamo,
            s3,
            sqs,
        }
    }
}

/// Creates the bucket `name` in [`REGION`].
pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .expect("creates the bucket");
}
