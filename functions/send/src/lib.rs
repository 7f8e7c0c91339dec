//! The send function: the SQS event source of the send queue, with
//! `ReportBatchItemFailures`. Each message is a [`SendJob`] (up to 25
//! recipients of one batch); each goes to [`send_texts`], and what happened
//! decides whether SQS should deliver the message again:
//!
//! | the job | reported as failed? |
//! |---|---|
//! | sent, skipped (a repeat), cancelled, technical failure | no: done |
//! | some texts throttled (now `queued` again) | **yes**: SQS delivers it again after the visibility timeout; the throttled recipients are claimed again, the sent ones skipped |
//! | a port failed (DynamoDB, the limiter) | **yes**, likewise |
//! | malformed body, or a batch that does not exist | **no**: dropped, with an error log naming the message id |
//!
//! *Why a malformed job is dropped rather than left to the DLQ*: it can never
//! succeed, and throttled jobs are redelivered as a matter of course, so the
//! queue's `maxReceiveCount` has to be generous: a bad message would be
//! received that many times before reaching the DLQ, an error each time. Our
//! own code writes every job, so a bad one is a bug or a hand-made message;
//! the error log (message id, what is wrong, receive count, never the body)
//! is the record, and the recipients it may have named stay `queued`, which
//! the batch's progress shows.
//!
//! A record with no `messageId` (AWS always sends one) that would have to be
//! reported fails the whole invocation instead, so that SQS delivers the
//! whole batch again: harmless, as every text is claimed from `queued`.
//!
//! Texts left `sending` by an instance that died mid-job are settled by the
//! sweep function, never sent again.
//!
//! Logs carry message ids, batch ids and counts, never patient data.

pub mod rate;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use batchmsg_aws::sqs::SendJob;
use batchmsg_core::ports::{BatchRepo, Clock, RateLimiter, RecipientRepo, SmsSender};
use batchmsg_core::sending::{Pacing, RateUnit, SendingError, Unbounded, send_texts};
use lambda_runtime::Diagnostic;

pub use rate::limiter_from_env;

/// What the handler sends with: the repositories, the SMS provider, the rate
/// limiter and the clock, built once per instance.
pub struct Sending<R, S, L, C> {
    pub repos: R,
    pub sender: S,
    pub limiter: L,
    pub clock: C,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(
        "{0} message(s) that must be delivered again have no messageId, so the whole \
         batch is reported as failed (SQS delivers it again; texts already sent are skipped)"
    )]
    NoMessageId(usize),
}

impl From<SendError> for Diagnostic {
    fn from(error: SendError) -> Self {
        Diagnostic {
            error_type: "NoMessageId".to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageOutcome {
    /// Nothing more to do: SQS may delete it.
    Done,
    /// Deliver it again later.
    Retry,
    /// It can never succeed: dropped (logged).
    Dropped,
}

/// Handles one SQS batch; the messages SQS should deliver again.
pub async fn handle<R, S, L, C>(
    sending: &Sending<R, S, L, C>,
    event: SqsEvent,
) -> Result<SqsBatchResponse, SendError>
where
    R: BatchRepo + RecipientRepo + Sync,
    S: SmsSender + Sync,
    L: RateLimiter + Sync,
    C: Clock + Sync,
{
    let mut response = SqsBatchResponse::default();
    let mut unnamed = 0;
    for message in &event.records {
        if handle_message(sending, message).await == MessageOutcome::Retry {
            match message.message_id.as_deref() {
                Some(id) if !id.is_empty() => response.add_failure(id),
                _ => unnamed += 1,
            }
        }
    }
    if unnamed > 0 {
        tracing::error!(unnamed, "messages to deliver again have no messageId");
        return Err(SendError::NoMessageId(unnamed));
    }
    Ok(response)
}

/// Handles one message: one job.
pub async fn handle_message<R, S, L, C>(
    sending: &Sending<R, S, L, C>,
    message: &SqsMessage,
) -> MessageOutcome
where
    R: BatchRepo + RecipientRepo + Sync,
    S: SmsSender + Sync,
    L: RateLimiter + Sync,
    C: Clock + Sync,
{
    let message_id = message.message_id.as_deref().unwrap_or("(none)");
    let receive_count = message
        .attributes
        .get("ApproximateReceiveCount")
        .map_or("?", String::as_str);
    let job = match message.body.as_deref().map(SendJob::parse) {
        Some(Ok(job)) => job,
        Some(Err(error)) => {
            tracing::error!(
                message_id,
                receive_count,
                error = %error,
                "dropped a message that is not a send job"
            );
            return MessageOutcome::Dropped;
        }
        None => {
            tracing::error!(message_id, receive_count, "dropped a message with no body");
            return MessageOutcome::Dropped;
        }
    };
    let Sending {
        repos,
        sender,
        limiter,
        clock,
    } = sending;
    let outcome = send_texts(
        repos,
        repos,
        sender,
        limiter,
        clock,
        &Unbounded,
        &job.batch,
        &job.seqs,
        Pacing {
            unit: RateUnit::Texts,
            claim_ahead: job.seqs.len(),
        },
    )
    .await;
    match outcome {
        Ok(outcome) => {
            tracing::info!(
                message_id,
                batch = %job.batch,
                recipients = job.seqs.len(),
                sent = outcome.sent,
                skipped = outcome.skipped,
                cancelled = outcome.cancelled,
                failed = outcome.failed,
                throttled = outcome.throttled.len(),
                "handled a send job"
            );
            if outcome.throttled.is_empty() {
                MessageOutcome::Done
            } else {
                MessageOutcome::Retry
            }
        }
        Err(error @ SendingError::Port(_)) => {
            tracing::error!(
                message_id,
                batch = %job.batch,
                receive_count,
                error = %error,
                "a send job failed; SQS will deliver it again"
            );
            MessageOutcome::Retry
        }
        Err(error) => {
            tracing::error!(
                message_id,
                batch = %job.batch,
                receive_count,
                error = %error,
                "dropped a send job that cannot succeed"
            );
            MessageOutcome::Dropped
        }
    }
}
