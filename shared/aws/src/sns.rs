//! The SMS provider on SNS ([`SmsSender`]): one `Publish` to a phone number
//! per text, as a transactional SMS from the configured sender id.
//!
//! # At most once
//!
//! SNS keeps no record that could say later whether it took a text, so
//! [`SmsSender::lookup`] is [`PublishedLookup::Unknowable`], and a call that
//! fails in a way that leaves it unknown ([`PublishError::Unavailable`]) must
//! never be repeated blindly. The SDK's automatic retries would do exactly
//! that after a timeout or a 5xx, so the client [`client_config`] builds has
//! them **off**. Throttling is the one failure known to leave the text
//! untaken: this adapter itself tries a throttled text again
//! ([`THROTTLE_ATTEMPTS`] in all, pausing between), then reports
//! [`PublishError::Throttled`], and the core puts it back in the queue.
//!
//! # Errors
//!
//! | SNS says | becomes |
//! |---|---|
//! | `Throttling`, `ThrottledException`, `TooManyRequests…`, `KMSThrottling`, HTTP 429 | [`PublishError::Throttled`] |
//! | `InvalidParameter`, `InvalidParameterValue`, `ValidationException` | [`PublishError::Refused`] |
//! | `OptedOut…` | [`PublishError::Refused`] |
//! | anything else: timeouts, connection failures, 5xx, other codes | [`PublishError::Unavailable`] |
//!
//! SNS's messages can quote the phone number ("Invalid parameter:
//! PhoneNumber Reason: +44… is not valid"), so no service message is ever
//! passed on: a refusal's reason is the error code and a fixed phrase, and
//! an unavailable error says only what kind of failure it was, the HTTP
//! status and the code. Nothing here logs a phone number or a message body.
//!
//! # Sender id
//!
//! `BATCHMSG_SENDER_ID` is **required** by [`SnsSmsSender::from_env`]: a
//! patient should see who the text is from (the UK takes alphanumeric sender
//! ids), and without one SNS sends from whatever number it picks, which
//! differs from text to text and reads like spam. It must be 3 to 11 letters,
//! digits or spaces with at least one letter, and no space at either end
//! ([`SenderId`]). Code that must send without one can build the sender with
//! [`SnsSmsSender::new`] and `None`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::config::retry::RetryConfig;
use aws_sdk_sns::config::timeout::TimeoutConfig;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::operation::publish::PublishError as SnsPublishError;
use aws_sdk_sns::types::MessageAttributeValue;
use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::ports::{
    OptedOutNumbers, PortError, PortResult, PublishError, Published, PublishedLookup, SmsSender,
};
use chrono::Utc;

use crate::config::{self, ConfigError};
use crate::sdk_error::describe;

pub const SENDER_ID_VAR: &str = "BATCHMSG_SENDER_ID";

/// `AWS.SNS.SMS.SMSType`: appointment and care messages are transactional
/// (sent with the higher delivery priority; promotional texts are not).
pub const SMS_TYPE: &str = "Transactional";

/// Publish calls for one text while SNS answers "throttled", the first
/// included.
pub const THROTTLE_ATTEMPTS: u32 = 3;

/// The pause before the first try again of a throttled text; it triples.
const THROTTLE_PAUSE: Duration = Duration::from_millis(200);

/// How long one Publish may take before it is given up on (and the text
/// counts as perhaps sent).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest one text's `publish` can take: [`THROTTLE_ATTEMPTS`]
/// Publish calls of at most [`ATTEMPT_TIMEOUT`] each (the SDK does not
/// retry them) and the pauses between.
pub fn publish_bound() -> Duration {
    let pauses = (0..THROTTLE_ATTEMPTS - 1)
        .map(|i| THROTTLE_PAUSE * 3u32.pow(i))
        .sum::<Duration>();
    ATTEMPT_TIMEOUT * THROTTLE_ATTEMPTS + pauses
}

/// How long connecting may take (the SDK's default).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3_100);

/// An alphanumeric SMS sender id, as the UK takes it: 3 to 11 characters of
/// `A-Z a-z 0-9` and space, at least one a letter, no space at either end.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SenderId(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a sender id is 3 to 11 letters, digits or spaces, at least one a letter and no space at \
     either end ({0})"
)]
pub struct BadSenderId(&'static str);

impl FromStr for SenderId {
    type Err = BadSenderId;
    fn from_str(s: &str) -> Result<Self, BadSenderId> {
        if !(3..=11).contains(&s.len()) {
            return Err(BadSenderId("wrong length"));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') {
            return Err(BadSenderId(
                "a character that is not a letter, digit or space",
            ));
        }
        if !s.bytes().any(|b| b.is_ascii_alphabetic()) {
            return Err(BadSenderId("no letter"));
        }
        if s.starts_with(' ') || s.ends_with(' ') {
            return Err(BadSenderId("a space at an end"));
        }
        Ok(Self(s.to_owned()))
    }
}

impl SenderId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SenderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SNS client configuration for sending texts: `sdk`'s, with the SDK's
/// automatic retries off (see the module doc) and [`ATTEMPT_TIMEOUT`].
pub fn client_config(sdk: &SdkConfig) -> aws_sdk_sns::Config {
    aws_sdk_sns::config::Builder::from(sdk)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .build()
}

/// The SMS provider on SNS.
#[derive(Clone, Debug)]
pub struct SnsSmsSender {
    client: aws_sdk_sns::Client,
    sender_id: Option<SenderId>,
}

impl SnsSmsSender {
    /// A sender on `client`, which should be built with [`client_config`]
    /// (the SDK's retries could send a text twice).
    pub fn new(client: aws_sdk_sns::Client, sender_id: Option<SenderId>) -> Self {
        Self { client, sender_id }
    }

    /// The sender id from `BATCHMSG_SENDER_ID` (required), and a client from
    /// [`client_config`].
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let sender_id = config::require_parsed::<SenderId>(SENDER_ID_VAR)?;
        Ok(Self::new(
            aws_sdk_sns::Client::from_conf(client_config(sdk)),
            Some(sender_id),
        ))
    }

    pub fn sender_id(&self) -> Option<&SenderId> {
        self.sender_id.as_ref()
    }

    /// Whether the number has opted out of texts from this account (replied
    /// STOP), by `CheckIfPhoneNumberIsOptedOut`. One request a number, and
    /// SNS allows few of them a second: for checking a number on its own,
    /// not for every text of a batch. moto's answer is fake: true exactly
    /// when the number ends in 99.
    pub async fn opted_out(&self, mobile: &str) -> PortResult<bool> {
        let output = self
            .client
            .check_if_phone_number_is_opted_out()
            .phone_number(mobile)
            .send()
            .await
            .map_err(|e| {
                PortError::new(SnsError {
                    doing: "CheckIfPhoneNumberIsOptedOut",
                    what: describe(&e, false),
                })
            })?;
        Ok(output.is_opted_out())
    }

    /// One Publish; SNS's id for the text.
    async fn publish_once(&self, recipient: &Recipient) -> Result<String, PublishError> {
        let mut request = self
            .client
            .publish()
            .phone_number(recipient.mobile.e164().as_str())
            .message(recipient.body.as_str())
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute(SMS_TYPE)?);
        if let Some(sender_id) = &self.sender_id {
            request = request.message_attributes(
                "AWS.SNS.SMS.SenderID",
                string_attribute(sender_id.as_str())?,
            );
        }
        match request.send().await {
            Ok(output) => output.message_id().map(str::to_owned).ok_or_else(|| {
                PublishError::Unavailable(PortError::new(SnsError {
                    doing: "Publish",
                    what: "SNS took the text but gave no message id".into(),
                }))
            }),
            Err(error) => Err(classify(&error)),
        }
    }
}

/// The numbers that replied STOP to this account, which SNS will not text:
/// validation turns them away with the reason, rather than sending texts
/// that can only fail.
pub struct SnsOptOuts {
    client: aws_sdk_sns::Client,
}

impl SnsOptOuts {
    /// A client with the SDK's usual retries: listing is safe to repeat.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self::from_client(aws_sdk_sns::Client::new(sdk))
    }

    pub fn from_client(client: aws_sdk_sns::Client) -> Self {
        Self { client }
    }
}

impl OptedOutNumbers for SnsOptOuts {
    /// `ListPhoneNumbersOptedOut`, page by page (SNS gives up to 100 a page).
    async fn opted_out(&self) -> PortResult<OptOutList> {
        let mut list = OptOutList::default();
        let mut next = None;
        loop {
            let page = self
                .client
                .list_phone_numbers_opted_out()
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| {
                    PortError::new(SnsError {
                        doing: "ListPhoneNumbersOptedOut",
                        what: describe(&e, false),
                    })
                })?;
            for number in page.phone_numbers() {
                list.add_mobile(number);
            }
            next = page.next_token;
            if next.as_deref().is_none_or(str::is_empty) {
                return Ok(list);
            }
        }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, PublishError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PublishError::Unavailable(PortError::new(e)))
}

impl SmsSender for SnsSmsSender {
    async fn publish(
        &self,
        batch: &BatchId,
        recipient: &Recipient,
    ) -> Result<Published, PublishError> {
        let seq = recipient.seq;
        let mut pause = THROTTLE_PAUSE;
        let mut attempt = 1;
        loop {
            match self.publish_once(recipient).await {
                Ok(provider_id) => {
                    return Ok(Published {
                        seq,
                        provider_id,
                        at: Utc::now(),
                    });
                }
                Err(PublishError::Throttled) if attempt < THROTTLE_ATTEMPTS => {
                    tracing::debug!(batch = %batch, seq, attempt, "SNS throttled a text; trying again");
                    tokio::time::sleep(pause).await;
                    pause *= 3;
                    attempt += 1;
                }
                Err(error) => {
                    log_failure(batch, seq, &error);
                    return Err(error);
                }
            }
        }
    }

    async fn lookup(&self, _batch: &BatchId, _seqs: &[Seq]) -> PortResult<PublishedLookup> {
        Ok(PublishedLookup::Unknowable)
    }
}

fn log_failure(batch: &BatchId, seq: Seq, error: &PublishError) {
    match error {
        PublishError::Throttled => {
            tracing::info!(batch = %batch, seq, "SNS throttled a text; it goes back in the queue");
        }
        // The reason and the error hold no phone number or message (see
        // `classify`).
        PublishError::Refused(reason) => {
            tracing::warn!(batch = %batch, seq, reason = %reason, "SNS refused a text");
        }
        PublishError::Unavailable(error) => {
            tracing::warn!(batch = %batch, seq, error = %error, "SNS Publish failed; the text may or may not have gone");
        }
    }
}

/// What an error code (and HTTP status) from SNS means for the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not taken: try again later.
    Throttled,
    /// Refused, with the fixed reason to record.
    Refused(&'static str),
    /// It may or may not have been taken.
    Unavailable,
}

const INVALID: &str = "SNS refused the phone number or the message as invalid";
const OPTED_OUT: &str = "the phone number has opted out of texts from this account (replied STOP)";

/// The meaning of an SNS error `code` and HTTP `status` (see the module doc).
pub fn error_kind(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code {
        Some(
            "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "TooManyRequests"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "KMSThrottling"
            | "KMSThrottlingException",
        ) => ErrorKind::Throttled,
        _ if status == Some(429) => ErrorKind::Throttled,
        Some("InvalidParameter" | "InvalidParameterValue" | "ValidationException") => {
            ErrorKind::Refused(INVALID)
        }
        Some(code) if code.starts_with("OptedOut") => ErrorKind::Refused(OPTED_OUT),
        _ => ErrorKind::Unavailable,
    }
}

/// A failed Publish as the core sees it. Never carries SNS's message.
pub fn classify(error: &SdkError<SnsPublishError, HttpResponse>) -> PublishError {
    let unavailable = || {
        PublishError::Unavailable(PortError::new(SnsError {
            doing: "Publish",
            what: describe(error, false),
        }))
    };
    let Some(service) = error.as_service_error() else {
        return unavailable();
    };
    let status = error.raw_response().map(|r| r.status().as_u16());
    // The modelled variants first: built by hand they may carry no code.
    let code = match service {
        SnsPublishError::InvalidParameterException(_) => Some("InvalidParameter"),
        SnsPublishError::InvalidParameterValueException(_) => Some("InvalidParameterValue"),
        SnsPublishError::ValidationException(_) => Some("ValidationException"),
        SnsPublishError::KmsThrottlingException(_) => Some("KMSThrottling"),
        other => other.code(),
    };
    match error_kind(code, status) {
        ErrorKind::Throttled => PublishError::Throttled,
        // `code` is one of error_kind's own names here.
        ErrorKind::Refused(reason) => {
            let code = code.filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric()));
            PublishError::Refused(format!("{}: {reason}", code.unwrap_or("Refused")))
        }
        ErrorKind::Unavailable => unavailable(),
    }
}

/// An SNS call failed; `what` holds no phone number or message.
#[derive(Debug, thiserror::Error)]
#[error("SNS {doing}: {what}")]
pub struct SnsError {
    doing: &'static str,
    what: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sns::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_sns::types::error::{
        InternalErrorException, InvalidParameterException, KmsThrottlingException,
    };
    // SNS's crate does not re-export the body type.
    use aws_smithy_types::body::SdkBody;

    const NUMBER: &str = "+447700900123";

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().unwrap(), SdkBody::empty())
    }

    fn coded(code: &str, status: u16) -> SdkError<SnsPublishError, HttpResponse> {
        let meta = ErrorMetadata::builder()
            .code(code)
            .message(format!(
                "Invalid parameter: PhoneNumber Reason: {NUMBER} is not valid"
            ))
            .build();
        SdkError::service_error(SnsPublishError::generic(meta), response(status))
    }

    fn text(error: &PublishError) -> String {
        match error {
            PublishError::Unavailable(e) => format!("{error} / {e} / {e:?}"),
            other => format!("{other} / {other:?}"),
        }
    }

    #[test]
    fn throttling_in_any_of_its_spellings_is_throttled() {
        for (code, status) in [
            ("Throttling", 400),
            ("ThrottledException", 400),
            ("ThrottlingException", 400),
            ("TooManyRequestsException", 400),
            ("KMSThrottling", 400),
            ("Whatever", 429),
        ] {
            let classified = classify(&coded(code, status));
            assert!(
                matches!(classified, PublishError::Throttled),
                "{code}: {classified:?}"
            );
        }
        let modelled = SdkError::service_error(
            SnsPublishError::KmsThrottlingException(KmsThrottlingException::builder().build()),
            response(400),
        );
        assert!(matches!(classify(&modelled), PublishError::Throttled));
    }

    #[test]
    fn invalid_parameters_and_opt_outs_are_refused_without_the_number() {
        for (code, expected) in [
            ("InvalidParameter", format!("InvalidParameter: {INVALID}")),
            (
                "InvalidParameterValue",
                format!("InvalidParameterValue: {INVALID}"),
            ),
            (
                "ValidationException",
                format!("ValidationException: {INVALID}"),
            ),
            ("OptedOut", format!("OptedOut: {OPTED_OUT}")),
            (
                "OptedOutException",
                format!("OptedOutException: {OPTED_OUT}"),
            ),
        ] {
            let classified = classify(&coded(code, 400));
            match &classified {
                PublishError::Refused(reason) => assert_eq!(reason, &expected),
                other => panic!("{code}: {other:?}"),
            }
            assert!(
                !text(&classified).contains("900123"),
                "{}",
                text(&classified)
            );
        }
        // A modelled error built without a code is still known by its type.
        let modelled = SdkError::service_error(
            SnsPublishError::InvalidParameterException(
                InvalidParameterException::builder()
                    .message(format!("Invalid parameter: PhoneNumber Reason: {NUMBER}"))
                    .build(),
            ),
            response(400),
        );
        let classified = classify(&modelled);
        assert!(
            matches!(&classified, PublishError::Refused(r) if r.starts_with("InvalidParameter:"))
        );
        assert!(!text(&classified).contains("900123"));
    }

    #[test]
    fn everything_else_is_unavailable_and_says_what_kind_without_the_message() {
        let cases: Vec<(SdkError<SnsPublishError, HttpResponse>, &str)> = vec![
            (
                coded("InternalError", 500),
                "SNS Publish: HTTP 500, InternalError",
            ),
            (
                coded("AuthorizationError", 403),
                "SNS Publish: HTTP 403, AuthorizationError",
            ),
            (
                SdkError::service_error(
                    SnsPublishError::InternalErrorException(
                        InternalErrorException::builder().message(NUMBER).build(),
                    ),
                    response(500),
                ),
                "SNS Publish: HTTP 500, no error code",
            ),
            (
                SdkError::timeout_error(format!("timed out sending to {NUMBER}")),
                "SNS Publish: no answer in time",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::io(NUMBER.into())),
                "SNS Publish: the request failed on the way (connection error)",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::timeout(NUMBER.into())),
                "SNS Publish: the request failed on the way (timed out)",
            ),
            (
                SdkError::response_error(NUMBER, response(502)),
                "SNS Publish: HTTP 502: the answer could not be read",
            ),
            (
                SdkError::construction_failure(NUMBER),
                "SNS Publish: the request could not be built",
            ),
        ];
        for (error, expected) in cases {
            let classified = classify(&error);
            let PublishError::Unavailable(port) = &classified else {
                panic!("{expected}: {classified:?}");
            };
            assert_eq!(port.to_string(), expected);
            assert!(
                !text(&classified).contains("900123"),
                "{}",
                text(&classified)
            );
            // Nothing underneath to leak it either.
            assert!(
                std::error::Error::source(port)
                    .and_then(std::error::Error::source)
                    .is_none()
            );
        }
    }

    #[test]
    fn error_kinds_by_code_and_status() {
        use ErrorKind::*;
        assert_eq!(error_kind(Some("Throttling"), Some(400)), Throttled);
        assert_eq!(error_kind(None, Some(429)), Throttled);
        assert_eq!(error_kind(Some("InvalidParameter"), Some(429)), Throttled);
        assert_eq!(
            error_kind(Some("InvalidParameter"), Some(400)),
            Refused(INVALID)
        );
        assert_eq!(error_kind(Some("OptedOutNumber"), None), Refused(OPTED_OUT));
        assert_eq!(error_kind(Some("InternalError"), Some(500)), Unavailable);
        assert_eq!(error_kind(None, Some(503)), Unavailable);
        assert_eq!(error_kind(None, None), Unavailable);
    }

    #[test]
    fn sender_ids_follow_the_uk_rules() {
        for good in ["NHS", "NHSTrust", "NHS Clinic", "Surgery 24", "abcdefghijk"] {
            assert_eq!(good.parse::<SenderId>().unwrap().as_str(), good);
        }
        for bad in [
            "",
            "AB",
            "abcdefghijkl",
            "123456",
            "NHS-Trust",
            "NHS_Trust",
            " NHS",
            "NHS ",
            "Clinic£",
            "Clinić",
        ] {
            assert!(bad.parse::<SenderId>().is_err(), "{bad:?}");
        }
        let error = "NHS-Trust".parse::<SenderId>().unwrap_err();
        assert!(
            error.to_string().starts_with("a sender id is 3 to 11"),
            "{error}"
        );
    }
}
