//! The delivery-status function: SNS writes a delivery-status log for every
//! text it sends to CloudWatch Logs (log groups
//! `sns/{region}/{account}/DirectPublishToPhoneNumber` for successes and
//! `…/DirectPublishToPhoneNumber/Failure` for failures); a subscription
//! filter on those groups invokes this function with a batch of log events.
//! Each becomes a [`Receipt`], and all of a payload's receipts are recorded
//! with one call of the core's [`record_receipts`].
//!
//! # A delivery-status log
//!
//! ```json
//! {"notification": {"messageId": "34d9b400-…", "timestamp": "2016-06-28 00:40:34.558"},
//!  "delivery": {"phoneCarrier": "…", "mnc": 270, "mcc": 310, "destination": "+1XXX5550100",
//!               "priceInUSD": 0.00645, "smsType": "Transactional",
//!               "providerResponse": "Message has been accepted by phone carrier",
//!               "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344},
//!  "status": "SUCCESS"}
//! ```
//!
//! Only `notification.messageId`, `notification.timestamp`,
//! `delivery.providerResponse` and `status` are read. `delivery.destination`
//! is the patient's mobile number: it is never read, kept or logged, and
//! neither is the rest of a message. A warning about a log event names its
//! CloudWatch Logs event id and nothing else.
//!
//! # Outcomes
//!
//! `SUCCESS` is `delivered`. A `FAILURE` is `permanent-failure` or
//! `temporary-failure` by its `providerResponse` ([`failure_outcome`]), and
//! the provider's words are kept as the reason.
//!
//! # Receipts that come early
//!
//! A receipt can overtake the send function: SNS may log the delivery before
//! the sender has recorded the text as `sent` with its message id (the core
//! reports such receipts as `early`). The handler then returns an error after
//! every other receipt of the payload has been applied, so that Lambda's
//! asynchronous retry delivers the payload again (CloudWatch Logs invokes
//! asynchronously). Applying the rest again is harmless: every change is
//! conditional on the state it starts from, so a repeat is `ignored`.
//!
//! The limit: Lambda retries an asynchronous invocation at most twice (by
//! default after about one and then two more minutes), so a receipt whose
//! text is still not recorded as `sent` after that is lost unless the
//! function has an on-failure destination or dead-letter queue. Such a text
//! stays `sent` (no receipt), which is what the status report shows; it is
//! never sent again. A receipt for a message id this system never sent
//! (another application's text in the same account) is retried in the same
//! way and then dropped.

use aws_lambda_events::cloudwatch_logs::{LogData, LogsEvent};
use batchmsg_core::ports::{Receipt, ReceiptOutcome, RecipientRepo};
use batchmsg_core::sending::{SendingError, record_receipts};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a payload came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    /// Log events in the payload.
    pub events: usize,
    /// Receipts that changed a text's status.
    pub applied: u64,
    /// Repeats, and receipts for texts already final.
    pub ignored: u64,
    /// Receipts for message ids not (yet) recorded as sent.
    pub early: usize,
    /// Log events that were not delivery-status logs, or not JSON.
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("could not record the receipts: {0}")]
    Recording(#[from] SendingError),
    /// Returned so that Lambda delivers the payload again; see the crate's
    /// documentation.
    #[error(
        "{early} receipt(s) are for texts not yet recorded as sent; the other {done} were \
         recorded, and the payload is to be delivered again"
    )]
    Early { early: usize, done: usize },
}

/// Handles one CloudWatch Logs subscription payload.
pub async fn handle(
    recipients: &(impl RecipientRepo + Sync),
    event: LogsEvent,
) -> Result<DeliverySummary, HandlerError> {
    handle_data(recipients, &event.aws_logs.data).await
}

/// Handles the decoded data of a payload.
pub async fn handle_data(
    recipients: &(impl RecipientRepo + Sync),
    data: &LogData,
) -> Result<DeliverySummary, HandlerError> {
    let mut handled = DeliverySummary {
        events: data.log_events.len(),
        ..DeliverySummary::default()
    };
    if data.message_type != "DATA_MESSAGE" {
        // CONTROL_MESSAGE: CloudWatch Logs checking that the destination is
        // reachable. Nothing to record.
        tracing::info!(
            message_type = %data.message_type,
            "not a data message; nothing to record"
        );
        return Ok(handled);
    }

    let mut receipts = Vec::with_capacity(data.log_events.len());
    for entry in &data.log_events {
        match parse_log(&entry.message) {
            Ok(log) => {
                let at = match parse_timestamp(&log.notification.timestamp) {
                    Some(at) => at,
                    None => {
                        tracing::warn!(
                            log_event = %entry.id,
                            "delivery log has no usable notification.timestamp; \
                             using the log event's time"
                        );
                        DateTime::from_timestamp_millis(entry.timestamp).unwrap_or_else(Utc::now)
                    }
                };
                let (outcome, known) = match log.status {
                    Status::Success => (ReceiptOutcome::Delivered, true),
                    Status::Failure => failure_outcome(&log.delivery.provider_response),
                };
                if !known {
                    tracing::warn!(
                        log_event = %entry.id,
                        "unrecognised provider response; recorded as a temporary failure"
                    );
                }
                let reason = match log.status {
                    Status::Success => None,
                    Status::Failure => Some(log.delivery.provider_response),
                };
                receipts.push(Receipt {
                    provider_id: log.notification.message_id,
                    outcome,
                    reason,
                    at,
                });
            }
            Err(why) => {
                handled.skipped += 1;
                tracing::warn!(log_event = %entry.id, why, "skipped a log event");
            }
        }
    }

    if !receipts.is_empty() {
        let recorded = record_receipts(recipients, &receipts).await?;
        handled.applied = recorded.applied;
        handled.ignored = recorded.ignored;
        handled.early = recorded.early.len();
    }
    tracing::info!(
        events = handled.events,
        applied = handled.applied,
        ignored = handled.ignored,
        early = handled.early,
        skipped = handled.skipped,
        "delivery logs handled"
    );
    if handled.early > 0 {
        return Err(HandlerError::Early {
            early: handled.early,
            done: receipts.len() - handled.early,
        });
    }
    Ok(handled)
}

/// The outcome of a failed delivery by SNS's `providerResponse`, and whether
/// the response was one we know.
///
/// SNS lists these reasons (Amazon SNS Developer Guide, "SMS delivery
/// failure reasons"); older wordings ("… is blacklisted") are kept too.
///
/// **Permanent**: sending the same text to the same number again would fail
/// the same way until someone changes the number, the recipient's choice or
/// the text: the number is invalid or unknown, the recipient opted out or
/// blocked SMS, the number or destination is on a blocked list, the carrier
/// blocked or filtered this message, or the body is invalid.
///
/// **Temporary**: the phone or its carrier could not be reached now, an
/// unknown error reaching the phone, or the account's spend limit ("This
/// delivery would exceed max price"): another attempt later may succeed.
///
/// **Anything else** is temporary, and reported as unrecognised (with the
/// log event id; the reason is kept on the recipient). Temporary is the
/// outcome that claims least: in the core's state machine a
/// temporary failure may still become `delivered` or `permanent-failure`,
/// while a permanent failure is final and tells staff that the number itself
/// is wrong, which a new or reworded reason does not establish.
pub fn failure_outcome(provider_response: &str) -> (ReceiptOutcome, bool) {
    const PERMANENT: &[&str] = &[
        "invalid phone number",
        "invalid destination",
        "unknown handset",
        "phone number is opted out",
        "phone has blocked sms",
        "phone is on a blocked list",
        "phone is blacklisted",
        "destination is on a blocked list",
        "destination is blacklisted",
        "phone carrier has blocked this message",
        "blocked as spam by phone carrier",
        "message body is invalid",
    ];
    const TEMPORARY: &[&str] = &[
        "phone is currently unreachable/unavailable",
        "phone carrier is currently unreachable/unavailable",
        "unknown error attempting to reach phone",
        "this delivery would exceed max price",
    ];
    let response = provider_response.trim().trim_end_matches('.');
    let is = |known: &&str| response.eq_ignore_ascii_case(known);
    if PERMANENT.iter().any(is) {
        (ReceiptOutcome::PermanentFailure, true)
    } else if TEMPORARY.iter().any(is) {
        (ReceiptOutcome::TemporaryFailure, true)
    } else {
        (ReceiptOutcome::TemporaryFailure, false)
    }
}

/// The parts of a delivery-status log that are read. Everything else,
/// `delivery.destination` above all, is ignored by serde and never held.
#[derive(Deserialize)]
struct DeliveryLog {
    notification: Notification,
    #[serde(default)]
    delivery: Delivery,
    status: Status,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    message_id: String,
    #[serde(default)]
    timestamp: String,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    #[serde(default)]
    provider_response: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Status {
    Success,
    Failure,
}

/// The log, or why it is not one. The reason never quotes the message:
/// serde's errors can (an unknown variant names the value), so only the
/// error's category and position are used.
fn parse_log(message: &str) -> Result<DeliveryLog, &'static str> {
    let log: DeliveryLog = serde_json::from_str(message).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => "not a delivery-status log",
        _ => "not JSON",
    })?;
    if log.notification.message_id.trim().is_empty() {
        return Err("not a delivery-status log");
    }
    Ok(log)
}

/// SNS's `notification.timestamp`, `2016-06-28 00:40:34.558`, in UTC.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
        .or_else(|| {
            DateTime::parse_from_rfc3339(text.trim())
                .ok()
                .map(|t| t.to_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn failure_mapping() {
        use ReceiptOutcome::*;
        for (text, outcome) in [
            ("Invalid phone number", PermanentFailure),
            ("Phone number is opted out", PermanentFailure),
            ("Phone has blocked SMS", PermanentFailure),
            ("Phone carrier has blocked this message", PermanentFailure),
            ("Unknown handset", PermanentFailure),
            ("Invalid destination", PermanentFailure),
            (
                "Phone is currently unreachable/unavailable",
                TemporaryFailure,
            ),
            (
                "Phone carrier is currently unreachable/unavailable",
                TemporaryFailure,
            ),
            ("Unknown error attempting to reach phone", TemporaryFailure),
            ("This delivery would exceed max price", TemporaryFailure),
            (" phone has blocked sms. ", PermanentFailure),
        ] {
            assert_eq!(failure_outcome(text), (outcome, true), "{text}");
        }
        assert_eq!(failure_outcome("Something new"), (TemporaryFailure, false));
        assert_eq!(failure_outcome(""), (TemporaryFailure, false));
    }

    #[test]
    fn timestamps() {
        let at = Utc.with_ymd_and_hms(2016, 6, 28, 0, 40, 34).unwrap()
            + chrono::TimeDelta::milliseconds(558);
        assert_eq!(parse_timestamp("2016-06-28 00:40:34.558"), Some(at));
        assert_eq!(parse_timestamp("2016-06-28T00:40:34.558Z"), Some(at));
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn logs_that_are_not_delivery_logs() {
        for message in [
            "",
            "{",
            "null",
            "[]",
            "\"text\"",
            r#"{"notification":{"messageId":"m"},"status":"PENDING"}"#,
            r#"{"notification":{"messageId":""},"status":"SUCCESS"}"#,
            r#"{"notification":{"messageId":7},"status":"SUCCESS"}"#,
            r#"{"delivery":{"destination":"+447700900123"},"status":"SUCCESS"}"#,
        ] {
            assert!(parse_log(message).is_err(), "{message}");
        }
        assert!(parse_log(r#"{"notification":{"messageId":"m"},"status":"SUCCESS"}"#).is_ok());
    }
}
