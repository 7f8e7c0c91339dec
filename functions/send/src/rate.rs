//! The send function's rate, read from its environment: the stack's SMS
//! rate shared evenly by the instances SQS may run at once (see
//! [`EvenlySpacedLimiter`]).

use batchmsg_aws::config::{self, ConfigError};
use batchmsg_core::rate::EvenlySpacedLimiter;

/// Texts a second for the whole stack.
pub const RATE_VAR: &str = "BATCHMSG_SMS_RATE";

/// The send function's event source `MaximumConcurrency`.
pub const CONCURRENCY_VAR: &str = "BATCHMSG_SEND_CONCURRENCY";

/// This instance's share, from `BATCHMSG_SMS_RATE` and
/// `BATCHMSG_SEND_CONCURRENCY`.
pub fn limiter_from_env() -> Result<EvenlySpacedLimiter, ConfigError> {
    let rate: f64 = config::require_parsed(RATE_VAR)?;
    let instances: u32 = config::require_parsed(CONCURRENCY_VAR)?;
    if instances == 0 {
        return Err(ConfigError::Unusable {
            name: CONCURRENCY_VAR,
            why: "it must be at least 1".to_owned(),
        });
    }
    EvenlySpacedLimiter::new(rate, instances).ok_or(ConfigError::Unusable {
        name: RATE_VAR,
        why: format!(
            "it must be a positive number of texts a second, at least one an hour for \
             each of the {instances} instances ({CONCURRENCY_VAR})"
        ),
    })
}
