//! The sweep's error reads as a sentence wherever it is shown: in the
//! function's logs (`%error`) and in Lambda's error response.

use batchmsg_core::sending::SendingError;
use batchmsg_sweep::SweepError;
use lambda_runtime::Diagnostic;

#[test]
fn a_sweep_error_displays_its_cause() {
    let cause = SendingError::NoSuchBatch("b-1".parse().unwrap());
    let error = SweepError::from(cause);
    let shown = error.to_string();
    assert_eq!(
        shown,
        "the sweep stopped part way, and the next run goes on: there is no batch b-1"
    );
    assert!(std::error::Error::source(&error).is_some());
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "SweepFailed");
    assert_eq!(diagnostic.error_message, shown);
}
