//! The send function's rate, read from its environment: the stack's SMS
//! rate shared evenly by the instances SQS may run at once (see
//! [`EvenlySpacedLimiter`]).

use batchmsg_aws::config::{self, ConfigError};
use batchmsg_core::rate::EvenlySpacedLimiter;

use crate::Timing;
use crate::timing::{MAX_TIMEOUT, TYPICAL_TEXT};

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

/// Refuses a share so slow that one text and its margin do not fit in
/// Lambda's longest timeout: every invocation would hand everything back.
pub fn check_fits(timing: &Timing) -> Result<(), ConfigError> {
    let margin = timing.calls.margin(timing.interval, 1);
    if margin + timing.interval + TYPICAL_TEXT > MAX_TIMEOUT {
        return Err(ConfigError::Unusable {
            name: RATE_VAR,
            why: format!(
                "each instance's share ({CONCURRENCY_VAR}) is one text every {:.0} s, too slow \
                 for one text and the {:.0} s deadline margin to fit in Lambda's {} s",
                timing.interval.as_secs_f64(),
                margin.as_secs_f64(),
                MAX_TIMEOUT.as_secs()
            ),
        });
    }
    Ok(())
}
