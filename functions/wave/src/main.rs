//! The wave function's Lambda entry point: adapters from the environment,
//! once; then one [`batchmsg_wave::handle`] per schedule firing.

// The runtime's future around the SDK's is deeper than rustc's default allows.
#![recursion_limit = "256"]

use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sqs::SqsSendQueue;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// Rust prints the error `main` returns with Debug; through anyhow that is
// its message (and causes), which is what Lambda logs of a failed start.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let repos = DynamoRepos::from_env(&sdk)?;
    let queue = SqsSendQueue::from_env(&sdk)?;
    let (repos, queue) = (&repos, &queue);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        batchmsg_wave::handle(repos, queue, event.payload).await
    }))
    .await
    .map_err(anyhow::Error::from_boxed)
}
