//! The validate function's Lambda entry point: adapters from the
//! environment, once; then one [`batchmsg_validate::handle`] per S3 event.

// The runtime's future around the SDK's is deeper than rustc's default allows.
#![recursion_limit = "256"]

use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::s3::S3ObjectStore;
use batchmsg_aws::sns::SnsOptOuts;
use batchmsg_core::ports::SystemClock;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// Rust prints the error `main` returns with Debug; through anyhow that is
// its message (and causes), which is what Lambda logs of a failed start.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let repos = DynamoRepos::from_env(&sdk)?;
    let objects = S3ObjectStore::new(config::s3_client(&sdk), config::require("BATCHMSG_BUCKET")?);
    let opt_outs = SnsOptOuts::new(&sdk);
    let (repos, objects, opt_outs) = (&repos, &objects, &opt_outs);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        batchmsg_validate::handle(repos, objects, opt_outs, &SystemClock, event.payload).await
    }))
    .await
    .map_err(anyhow::Error::from_boxed)
}
