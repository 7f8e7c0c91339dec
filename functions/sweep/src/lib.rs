//! The sweep function: an EventBridge Scheduler rate schedule calls it every
//! five minutes, whatever its input. It calls [`sweep`]: texts left `sending`
//! for longer than [`batchmsg_core::sending::STUCK_AFTER`] (a send function
//! that timed out or died between Publish and recording the text) become
//! `technical-failure`, since SNS cannot say whether it took them, batches
//! with nothing left to send become `completed`, and cancelled batches with
//! nothing left to settle are closed. It reads only the open batches.
//!
//! A failure is an error, and the next run tries again; a sweep repeated or
//! run twice at once changes nothing more, because every move is conditional.
//! Logs carry counts only.

use batchmsg_core::ports::{BatchRepo, Clock, RecipientRepo, SendQueue, SmsSender, WaveRepo};
use batchmsg_core::sending::{SendingError, sweep};
use lambda_runtime::Diagnostic;
use serde::Serialize;

/// What the function returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub batches_sending: u64,
    pub failed_as_maybe_sent: u64,
    pub completed: u64,
    /// Cancelled batches closed.
    pub closed: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("the sweep stopped part way, and the next run goes on: {0}")]
pub struct SweepError(#[from] pub SendingError);

impl From<SweepError> for Diagnostic {
    fn from(error: SweepError) -> Self {
        Diagnostic {
            error_type: "SweepFailed".to_owned(),
            error_message: error.to_string(),
        }
    }
}

pub async fn handle<R, S, Q, C>(
    repos: &R,
    sender: &S,
    queue: &Q,
    clock: &C,
) -> Result<SweepSummary, SweepError>
where
    R: BatchRepo + RecipientRepo + WaveRepo + Sync,
    S: SmsSender + Sync,
    Q: SendQueue + Sync,
    C: Clock + Sync,
{
    match sweep(repos, repos, repos, sender, queue, clock).await {
        Ok(swept) => {
            let summary = SweepSummary {
                batches_sending: swept.batches,
                failed_as_maybe_sent: swept.recovered.failed,
                completed: swept.completed,
                closed: swept.closed,
            };
            if summary.failed_as_maybe_sent > 0 {
                tracing::warn!(
                    batches = summary.batches_sending,
                    failed = summary.failed_as_maybe_sent,
                    completed = summary.completed,
                    "texts left sending too long are now technical failures (may have been sent)"
                );
            } else {
                tracing::info!(
                    batches = summary.batches_sending,
                    completed = summary.completed,
                    closed = summary.closed,
                    "swept"
                );
            }
            Ok(summary)
        }
        Err(error) => {
            tracing::error!(error = %error, "the sweep failed");
            Err(SweepError(error))
        }
    }
}
