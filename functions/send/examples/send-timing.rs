//! The template's four derived send settings for a stack SMS rate and send
//! concurrency, as `infra/template.yaml` parameters:
//!
//! ```text
//! cargo run -p batchmsg-send --example send-timing -- 20 4
//! SendBatchSize=10 SendTimeoutSeconds=524 SendVisibilityTimeoutSeconds=3144 RequeueAfterSeconds=16620
//! ```
//!
//! The first three are `timing::batch_size` and `timing::limits`; the last is
//! the sweep's lost-job time, the visibility timeout times the queue's
//! `maxReceiveCount` plus SQS's longest message delay (docs/aws.md).
//! CloudFormation cannot compute them, so the operator pastes this line into
//! `parameter_overrides` with the rate (docs/deploy.md).

use std::process::ExitCode;

use batchmsg_send::timing::{batch_size, limits};

/// The send queue's `maxReceiveCount` in infra/template.yaml.
const MAX_RECEIVE_COUNT: u64 = 5;

/// SQS's longest message delay (`DelaySeconds`), which a throttled job's new
/// message may carry.
const MAX_DELAY_SECONDS: u64 = 900;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [rate, concurrency] => rate
            .parse::<f64>()
            .ok()
            .zip(concurrency.parse::<u32>().ok()),
        _ => None,
    };
    let Some((rate, concurrency)) = parsed else {
        eprintln!(
            "usage: send-timing SMS_RATE SEND_CONCURRENCY   (texts a second for the stack, instances)"
        );
        return ExitCode::from(2);
    };
    let Some((batch, limits)) =
        batch_size(rate, concurrency).and_then(|b| Some((b, limits(rate, concurrency, b)?)))
    else {
        eprintln!(
            "{rate} texts a second over {concurrency} instances is too slow: one text and its \
             deadline margin do not fit in Lambda's 900 s"
        );
        return ExitCode::FAILURE;
    };
    let visibility = limits.visibility_timeout.as_secs();
    println!(
        "SendBatchSize={batch} SendTimeoutSeconds={} SendVisibilityTimeoutSeconds={visibility} \
         RequeueAfterSeconds={}",
        limits.timeout.as_secs(),
        visibility * MAX_RECEIVE_COUNT + MAX_DELAY_SECONDS
    );
    ExitCode::SUCCESS
}
