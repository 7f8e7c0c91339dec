//! The delivery-status Lambda: a CloudWatch Logs subscription on SNS's SMS
//! delivery-status log groups. See the library for what it does.

use aws_lambda_events::cloudwatch_logs::LogsEvent;
use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_delivery_status::handle;
use lambda_runtime::{Error, LambdaEvent, service_fn};

// Rust prints the error `main` returns with Debug; through anyhow that is
// its message (and causes), which is what Lambda logs of a failed start.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let repos = DynamoRepos::from_env(&sdk)?;
    let repos = &repos;
    lambda_runtime::run(service_fn(
        // Boxed: the SDK's futures nested in the runtime's otherwise
        // exceed the compiler's query depth limit.
        move |event: LambdaEvent<LogsEvent>| {
            Box::pin(async move { handle(repos, event.payload).await.map_err(Error::from) })
        },
    ))
    .await
    .map_err(anyhow::Error::from_boxed)
}
