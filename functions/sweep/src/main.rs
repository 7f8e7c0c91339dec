//! The sweep function's Lambda entry point: adapters from the environment,
//! once; then one [`batchmsg_sweep::handle`] per scheduled run.

// The runtime's future around the SDK's is deeper than rustc's default allows.
#![recursion_limit = "256"]

use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_aws::sqs::SqsSendQueue;
use batchmsg_core::ports::SystemClock;
use chrono::{DateTime, Utc};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// Rust prints the error `main` returns with Debug; through anyhow that is
// its message (and causes), which is what Lambda logs of a failed start.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let repos = DynamoRepos::from_env(&sdk)?;
    let sender = SnsSmsSender::from_env(&sdk)?;
    let queue = SqsSendQueue::from_env(&sdk)?;
    let times = batchmsg_sweep::times_from(|name| std::env::var(name).ok())?;
    let retention = batchmsg_sweep::retention_from(|name| std::env::var(name).ok())?;
    let (repos, sender, queue, times) = (&repos, &sender, &queue, &times);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let now = Utc::now();
        let invocation_deadline = i64::try_from(event.context.deadline)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(now);
        let deadline = batchmsg_sweep::stamping_deadline(now, invocation_deadline);
        batchmsg_sweep::handle_with_retention(
            repos,
            sender,
            queue,
            &SystemClock,
            times,
            retention,
            batchmsg_sweep::SETTLE_BEFORE_STAMPING,
            deadline,
        )
        .await
    }))
    .await
    .map_err(anyhow::Error::from_boxed)
}
