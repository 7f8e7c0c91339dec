//! The send function: the SQS event source of the send queue, with
//! `ReportBatchItemFailures`. Each message is a [`SendJob`] (up to 25
//! recipients of one batch); each goes to [`send_texts`], one text at a time
//! (claimed just before it is published, recorded `sent` just after, so a
//! receipt that comes early finds it), until the invocation's deadline
//! draws near. What happened decides what becomes of the message:
//!
//! | the job | the message |
//! |---|---|
//! | sent, skipped (a repeat), cancelled, technical failure | done |
//! | some texts throttled (now `queued` again) | done, and **a new message** holds the throttled texts, delayed by `throttle_delay` |
//! | the deadline drew near before some texts started (still `queued`) | done, and **a new message** holds them |
//! | a port failed (DynamoDB, the limiter) | **reported as failed**: SQS delivers it again after the visibility timeout; the texts already handled are skipped |
//! | malformed body, or a batch that does not exist | **no**: dropped, with an error log naming the message id |
//! | the new message could not be queued | **reported as failed**, as for a port failure |
//!
//! *Why throttled texts get a message of their own* rather than the
//! message being reported for delivery again: SQS may deliver a message
//! twice, and if the other delivery finishes first Lambda deletes the
//! message, leaving the throttled recipients `queued` with no job.
//!
//! *The deadline* (see [`timing`]): the handler stops starting work a
//! margin before the Lambda deadline, the margin being the longest what it
//! already started can take, every call at its timeout. A text claimed when
//! Lambda stops a function could only be called "may or may not have been
//! sent". An invocation in which no text came to an end (a function
//! timeout too short for the margin, or for the margin and one rate wait)
//! reports its messages as failed rather than handing them back, so that a
//! misconfigured stack ends in the dead-letter queue instead of looping.
//!
//! *Why a malformed job is dropped rather than left to the DLQ*: it can never
//! succeed, and the queue's `maxReceiveCount` is generous: a bad message would
//! be received that many times before reaching the DLQ, an error each time.
//! Our own code writes every job, so a bad one is a bug or a hand-made
//! message; the error log (message id, what is wrong, receive count, never
//! the body) is the record, and the recipients it may have named stay
//! `queued`, which the batch's progress shows.
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
pub mod timing;

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use batchmsg_aws::sqs::SendJob;
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::ports::{BatchRepo, Clock, RateLimiter, RecipientRepo, SendQueue, SmsSender};
use batchmsg_core::sending::{Pacing, RateUnit, SendUntil, SendingError, send_texts};
use chrono::{DateTime, Utc};
use lambda_runtime::Diagnostic;

pub use rate::limiter_from_env;
use timing::{CallTimes, StopAt};

/// How long throttled texts wait before their new message is delivered.
pub const THROTTLE_DELAY: Duration = Duration::from_secs(60);

/// What the handler sends with: the repositories, the SMS provider, the rate
/// limiter, the clock and the send queue (for texts handed back), built once
/// per instance, and how long its calls can take.
pub struct Sending<R, S, L, C, Q> {
    pub repos: R,
    pub sender: S,
    pub limiter: L,
    pub clock: C,
    pub queue: Q,
    pub timing: Timing,
}

/// What the handler's deadline margin is made of, and the throttled texts'
/// delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The time between two texts of this instance (its share of the rate).
    pub interval: Duration,
    /// The longest each call can take.
    pub calls: CallTimes,
    /// How long throttled texts wait ([`THROTTLE_DELAY`]).
    pub throttle_delay: Duration,
}

impl Timing {
    /// The work an invocation whose jobs belong to `batches` batches may
    /// start until, given its deadline.
    pub fn stop_at(&self, deadline: DateTime<Utc>, batches: usize) -> StopAt {
        StopAt::new(deadline, self.calls.margin(self.interval, batches))
    }
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

/// Handles one SQS batch, stopping in time for `deadline` (the Lambda
/// context's); the messages SQS should deliver again.
pub async fn handle<R, S, L, C, Q>(
    sending: &Sending<R, S, L, C, Q>,
    event: SqsEvent,
    deadline: DateTime<Utc>,
) -> Result<SqsBatchResponse, SendError>
where
    R: BatchRepo + RecipientRepo + Sync,
    S: SmsSender + Sync,
    L: RateLimiter + Sync,
    C: Clock + Sync,
    Q: SendQueue + Sync,
{
    let jobs: Vec<Option<SendJob>> = event.records.iter().map(parse).collect();
    let mut batches: Vec<&BatchId> = jobs.iter().flatten().map(|j| &j.batch).collect();
    batches.sort_unstable();
    batches.dedup();
    let until = sending.timing.stop_at(deadline, batches.len());
    let mut outcomes = Vec::with_capacity(jobs.len());
    // Texts not started, by batch, with the messages they came from.
    let mut back: Vec<(BatchId, Vec<Seq>, Vec<usize>)> = Vec::new();
    // Whether any text of any job came to an end here (sent, skipped,
    // refused, throttled): an invocation where none did only hands work on.
    let mut progressed = false;
    for (i, (message, job)) in event.records.iter().zip(&jobs).enumerate() {
        let Some(job) = job else {
            outcomes.push(MessageOutcome::Dropped);
            continue;
        };
        let (outcome, not_started) = if until.may_start(sending.clock.now()) {
            handle_job(sending, &until, message, job).await
        } else {
            (MessageOutcome::Done, job.seqs.clone())
        };
        progressed |= not_started.len() < job.seqs.len();
        outcomes.push(outcome);
        if !not_started.is_empty() {
            match back.iter_mut().find(|(b, _, _)| *b == job.batch) {
                Some((_, seqs, from)) => {
                    seqs.extend(not_started);
                    from.push(i);
                }
                None => back.push((job.batch.clone(), not_started, vec![i])),
            }
        }
    }
    if !progressed && !back.is_empty() {
        // Handing back would loop for ever, each new message's receive
        // count starting again at 1: let SQS count the attempts instead, so
        // that the dead-letter queue gets them.
        tracing::error!(
            messages = event.records.len(),
            "the deadline left no time to send any text: the function's timeout is too short \
             for the margin one text needs at this rate; every message is reported for \
             delivery again"
        );
        for (_, _, from) in back.drain(..) {
            for i in from {
                outcomes[i] = MessageOutcome::Retry;
            }
        }
    }
    for (batch, seqs, from) in back {
        match sending.queue.enqueue(&batch, &seqs).await {
            Ok(()) => tracing::info!(
                batch = %batch,
                recipients = seqs.len(),
                "the deadline drew near: texts not started are queued again in a new message"
            ),
            Err(error) => {
                tracing::error!(
                    batch = %batch,
                    recipients = seqs.len(),
                    error = %error,
                    "could not queue again texts not started; their messages come back instead"
                );
                for i in from {
                    outcomes[i] = MessageOutcome::Retry;
                }
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    let mut unnamed = 0;
    for (message, outcome) in event.records.iter().zip(outcomes) {
        if outcome == MessageOutcome::Retry {
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

/// The message's job; `None` (logged) when it is not one.
fn parse(message: &SqsMessage) -> Option<SendJob> {
    let message_id = message.message_id.as_deref().unwrap_or("(none)");
    match message.body.as_deref().map(SendJob::parse) {
        Some(Ok(job)) => Some(job),
        Some(Err(error)) => {
            tracing::error!(
                message_id,
                receive_count = receive_count(message),
                error = %error,
                "dropped a message that is not a send job"
            );
            None
        }
        None => {
            tracing::error!(
                message_id,
                receive_count = receive_count(message),
                "dropped a message with no body"
            );
            None
        }
    }
}

fn receive_count(message: &SqsMessage) -> &str {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .map_or("?", String::as_str)
}

/// Handles one job, one text at a time while `until` allows: what becomes
/// of its message, and the texts not started (still `queued`), to hand back.
/// Throttled texts are queued again here, in a message of their own.
pub async fn handle_job<R, S, L, C, Q>(
    sending: &Sending<R, S, L, C, Q>,
    until: &(impl SendUntil + Sync),
    message: &SqsMessage,
    job: &SendJob,
) -> (MessageOutcome, Vec<Seq>)
where
    R: BatchRepo + RecipientRepo + Sync,
    S: SmsSender + Sync,
    L: RateLimiter + Sync,
    C: Clock + Sync,
    Q: SendQueue + Sync,
{
    let message_id = message.message_id.as_deref().unwrap_or("(none)");
    let Sending {
        repos,
        sender,
        limiter,
        clock,
        queue,
        timing,
    } = sending;
    let outcome = send_texts(
        repos,
        repos,
        sender,
        limiter,
        clock,
        until,
        &job.batch,
        &job.seqs,
        Pacing::one_at_a_time(RateUnit::Texts),
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
                not_started = outcome.not_started.len(),
                "handled a send job"
            );
            if outcome.throttled.is_empty() {
                return (MessageOutcome::Done, outcome.not_started);
            }
            match queue
                .enqueue_after(&job.batch, &outcome.throttled, timing.throttle_delay)
                .await
            {
                Ok(()) => (MessageOutcome::Done, outcome.not_started),
                Err(error) => {
                    // The throttled texts are `queued`: the message's next
                    // delivery claims them.
                    tracing::error!(
                        message_id,
                        batch = %job.batch,
                        error = %error,
                        "could not queue the throttled texts again; SQS will deliver the job again"
                    );
                    (MessageOutcome::Retry, Vec::new())
                }
            }
        }
        Err(error @ SendingError::Port(_)) => {
            tracing::error!(
                message_id,
                batch = %job.batch,
                receive_count = receive_count(message),
                error = %error,
                "a send job failed; SQS will deliver it again"
            );
            (MessageOutcome::Retry, Vec::new())
        }
        Err(error) => {
            tracing::error!(
                message_id,
                batch = %job.batch,
                receive_count = receive_count(message),
                error = %error,
                "dropped a send job that cannot succeed"
            );
            (MessageOutcome::Dropped, Vec::new())
        }
    }
}
