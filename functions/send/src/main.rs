//! The send function's Lambda entry point: adapters from the environment,
//! once; then one [`batchmsg_send::handle`] per SQS batch.

// The runtime's future around the SDK's is deeper than rustc's default allows.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_core::ports::SystemClock;
use batchmsg_send::{Sending, limiter_from_env};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let sending = Sending {
        repos: DynamoRepos::from_env(&sdk)?,
        // Never `aws_sdk_sns::Client::new`: the SDK's retries would send a
        // text again (see batchmsg_aws::sns).
        sender: SnsSmsSender::from_env(&sdk)?,
        limiter: limiter_from_env()?,
        clock: SystemClock,
    };
    let sending = &sending;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        batchmsg_send::handle(sending, event.payload).await
    }))
    .await
}
