//! Configuration from the environment, read once when a function starts.
//! A missing or unusable variable is an error that names it.

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

/// An S3 client; path-style addressing when an endpoint is configured
/// (`AWS_ENDPOINT_URL`, a local server: virtual-host style needs DNS for
/// every bucket).
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
    fn a_missing_variable_is_named() {
        let error = require("BATCHMSG_SURELY_NOT_SET").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the environment variable BATCHMSG_SURELY_NOT_SET is not set"
        );
    }
}
