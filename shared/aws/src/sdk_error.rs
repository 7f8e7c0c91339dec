//! An SDK error in a few words, the same way for every service. Its own
//! module (on the SDK's shared smithy types, not one client's re-exports) so
//! that each service's adapter can be left out of a build without taking
//! this with it.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An SDK error in a few words: the kind of failure and, for an answer from
/// the service, its HTTP status, error code and (only if `with_message`)
/// message. Never the request, the headers or the body.
pub(crate) fn describe<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    with_message: bool,
) -> String {
    match error {
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            let code = e.err().code().unwrap_or("no error code");
            match e.err().message().filter(|_| with_message) {
                Some(message) => format!("HTTP {status}, {code}: {message}"),
                None => format!("HTTP {status}, {code}"),
            }
        }
        SdkError::TimeoutError(_) => "no answer in time".into(),
        SdkError::DispatchFailure(e) => {
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_io() {
                "connection error"
            } else if e.is_user() {
                "bad request"
            } else {
                "other error"
            };
            format!("the request failed on the way ({kind})")
        }
        SdkError::ResponseError(e) => {
            format!(
                "HTTP {}: the answer could not be read",
                e.raw().status().as_u16()
            )
        }
        SdkError::ConstructionFailure(_) => "the request could not be built".into(),
        _ => "an unknown SDK error".into(),
    }
}
