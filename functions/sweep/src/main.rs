//! The sweep function's Lambda entry point: adapters from the environment,
//! once; then one [`batchmsg_sweep::handle`] per scheduled run.

// The runtime's future around the SDK's is deeper than rustc's default allows.
#![recursion_limit = "256"]

use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_aws::sqs::SqsSendQueue;
use batchmsg_core::ports::SystemClock;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let repos = DynamoRepos::from_env(&sdk)?;
    let sender = SnsSmsSender::from_env(&sdk)?;
    let queue = SqsSendQueue::from_env(&sdk)?;
    let times = batchmsg_sweep::times_from(|name| std::env::var(name).ok())?;
    let (repos, sender, queue, times) = (&repos, &sender, &queue, &times);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        batchmsg_sweep::handle(repos, sender, queue, &SystemClock, times).await
    }))
    .await
}
