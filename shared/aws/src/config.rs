//! Configuration from the environment, read once when a function starts.
//! A missing or unusable variable is an error that names it.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the environment variable {0} is not set")]
    Missing(&'static str),
    #[error("the environment variable {name} is not usable: {why}")]
    Unusable { name: &'static str, why: String },
}

/// The value of `name`, which must be set and not empty.
pub fn require(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// The value of `name` parsed, or an error that names it and says why.
pub fn require_parsed<T>(name: &'static str) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    require(name)?
        .trim()
        .parse()
        .map_err(|e: T::Err| ConfigError::Unusable {
            name,
            why: e.to_string(),
        })
}

/// Logs as CloudWatch wants them: one JSON object a line, no colour, no
/// span list, at `RUST_LOG`'s levels (`info` when unset). For a function's
/// `main`.
pub fn json_logs() {
    tracing_subscriber::fmt()
        .json()
        .with_ansi(false)
        .with_current_span(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
}

/// The SDK's own configuration: region, credentials and, for tests against
/// a local server, `AWS_ENDPOINT_URL`.
pub async fn sdk_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// `sdk`'s timeouts, with an operation timeout (the whole call, the SDK's
/// retries included) and an attempt timeout where it sets none: without
/// them a call can hang until Lambda kills the function, and how long a
/// call can take is what the send function's deadline margin is built from.
pub fn with_timeouts(sdk: &SdkConfig, operation: Duration, attempt: Duration) -> TimeoutConfig {
    let own = TimeoutConfig::builder()
        .operation_timeout(operation)
        .operation_attempt_timeout(attempt);
    match sdk.timeout_config() {
        Some(set) => set.to_builder().take_unset_from(own).build(),
        None => own.build(),
    }
}

/// An S3 client; path-style addressing when an endpoint is configured
/// (`AWS_ENDPOINT_URL`, a local server: virtual-host style needs DNS for
/// every bucket).
#[cfg(feature = "s3")]
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let local = sdk.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(local)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_filled_in_only_where_none_is_set() {
        let (op, attempt) = (Duration::from_secs(5), Duration::from_secs(2));
        let bare = SdkConfig::builder().build();
        let filled = with_timeouts(&bare, op, attempt);
        assert_eq!(filled.operation_timeout(), Some(op));
        assert_eq!(filled.operation_attempt_timeout(), Some(attempt));
        let set = SdkConfig::builder()
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(9))
                    .connect_timeout(Duration::from_secs(1))
                    .build(),
            )
            .build();
        let kept = with_timeouts(&set, op, attempt);
        assert_eq!(kept.operation_timeout(), Some(Duration::from_secs(9)));
        assert_eq!(kept.operation_attempt_timeout(), Some(attempt));
        assert_eq!(kept.connect_timeout(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_missing_variable_is_named() {
        let error = require("BATCHMSG_SURELY_NOT_SET").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the environment variable BATCHMSG_SURELY_NOT_SET is not set"
        );
    }
}
