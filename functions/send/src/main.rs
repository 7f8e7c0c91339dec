//! The send function's Lambda entry point: adapters from the environment,
//! once; then one [`batchmsg_send::handle`] per SQS batch.

// The runtime's future around the SDK's is deeper than rustc's default allows.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use batchmsg_aws::config;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sns::SnsSmsSender;
use batchmsg_aws::sqs::SqsSendQueue;
use batchmsg_core::ports::SystemClock;
use batchmsg_send::timing::CallTimes;
use batchmsg_send::{Sending, THROTTLE_DELAY, Timing, limiter_from_env};
use chrono::{DateTime, Utc};
use lambda_runtime::{LambdaEvent, service_fn};

// Rust prints the error `main` returns with Debug; through anyhow that is
// its message (and causes), which is what Lambda logs of a failed start.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::json_logs();
    let sdk = config::sdk_config().await;
    let repos = DynamoRepos::from_env(&sdk)?;
    let queue = SqsSendQueue::from_env(&sdk)?;
    let limiter = limiter_from_env()?;
    // The margin is built from the timeouts the clients really have.
    let aws = CallTimes::aws();
    let calls = CallTimes {
        dynamo: repos.operation_timeout().unwrap_or(aws.dynamo),
        publish: aws.publish,
        sqs: queue.operation_timeout().unwrap_or(aws.sqs),
    };
    let timing = Timing {
        interval: limiter.interval(),
        calls,
        throttle_delay: THROTTLE_DELAY,
    };
    batchmsg_send::rate::check_fits(&timing)?;
    let sending = Sending {
        repos,
        // Never `aws_sdk_sns::Client::new`: the SDK's retries would send a
        // text again (see batchmsg_aws::sns).
        sender: SnsSmsSender::from_env(&sdk)?,
        limiter,
        clock: SystemClock,
        queue,
        timing,
    };
    let sending = &sending;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline = DateTime::<Utc>::from(event.context.deadline());
        batchmsg_send::handle(sending, event.payload, deadline).await
    }))
    .await
    .map_err(anyhow::Error::from_boxed)
}
