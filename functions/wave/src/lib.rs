//! The wave function: the target of each wave's EventBridge Scheduler
//! schedule. Its event is the schedule's input, `{"batch": "<id>", "wave": N}`
//! ([`WaveDue`]); it calls [`release_wave`] and says what it did.
//!
//! - A wave fired twice (schedules fire at least once) is `already`: success.
//! - A cancelled wave is `already` too: nothing is queued.
//! - A payload that is not a wave event, or names a batch or wave that does
//!   not exist, is an error that says so: retrying cannot help, so it shows
//!   in the function's errors (and its failure destination) for a person.
//! - A failure of DynamoDB or SQS is an error, and the invocation is retried;
//!   a release that stopped part way is finished by the next one (the wave
//!   stays `releasing`), and re-queued jobs are harmless because sending
//!   claims each recipient from `queued`.
//!
//! Logs carry the batch id, the wave number and counts, never patient data.

use batchmsg_aws::wave_due::WaveDue;
use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{BatchRepo, RecipientRepo, SendQueue, WaveRepo};
use batchmsg_core::sending::{Release, SendingError, release_wave};
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

/// What the function returns: `{"batch", "wave", "queued": N}` or
/// `{"batch", "wave", "already": "<wave status>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaveSummary {
    pub batch: String,
    pub wave: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WaveError {
    /// Never quotes the payload.
    #[error(
        "the event is not a wave event {{\"batch\": \"<batch id>\", \"wave\": <number>}} \
         ({why}, line {line}, column {column}); check the schedule's target input"
    )]
    BadEvent {
        why: &'static str,
        line: usize,
        column: usize,
    },
    #[error("could not release wave {wave} of batch {batch}: {source}")]
    Release {
        batch: BatchId,
        wave: u32,
        #[source]
        source: SendingError,
    },
}

impl WaveError {
    fn kind(&self) -> &'static str {
        match self {
            WaveError::BadEvent { .. } => "BadEvent",
            WaveError::Release {
                source: SendingError::Port(_),
                ..
            } => "ReleaseFailed",
            WaveError::Release { .. } => "NoSuchWave",
        }
    }
}

impl From<WaveError> for Diagnostic {
    fn from(error: WaveError) -> Self {
        Diagnostic {
            error_type: error.kind().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Reads the schedule's input.
pub fn parse_event(payload: Value) -> Result<WaveDue, WaveError> {
    // serde would also take `["<id>", N]`; a schedule's input never is.
    if !payload.is_object() {
        return Err(WaveError::BadEvent {
            why: "not a JSON object",
            line: 1,
            column: 1,
        });
    }
    // Through the text, so that a mistake has a line and column.
    let text = payload.to_string();
    serde_json::from_str(&text).map_err(|e| WaveError::BadEvent {
        why: match e.classify() {
            serde_json::error::Category::Data => "wrong fields, or a batch or wave that is not one",
            _ => "not JSON",
        },
        line: e.line(),
        column: e.column(),
    })
}

/// Handles one wave event: releases the wave.
pub async fn handle<R, Q>(repos: &R, queue: &Q, payload: Value) -> Result<WaveSummary, WaveError>
where
    R: BatchRepo + RecipientRepo + WaveRepo + Sync,
    Q: SendQueue + Sync,
{
    let event = match parse_event(payload) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(error = %error, "not a wave event");
            return Err(error);
        }
    };
    let (batch, wave) = (event.batch, event.wave);
    match release_wave(repos, repos, repos, queue, &batch, wave).await {
        Ok(Release::Queued(queued)) => {
            tracing::info!(batch = %batch, wave, queued, "released the wave");
            Ok(WaveSummary {
                batch: batch.to_string(),
                wave,
                queued: Some(queued),
                already: None,
            })
        }
        Ok(Release::AlreadyDone(status)) => {
            tracing::info!(batch = %batch, wave, status = %status, "the wave was already done");
            Ok(WaveSummary {
                batch: batch.to_string(),
                wave,
                queued: None,
                already: Some(status.to_string()),
            })
        }
        Err(source) => {
            let error = WaveError::Release {
                batch: batch.clone(),
                wave,
                source,
            };
            tracing::error!(batch = %batch, wave, error = %error, "could not release the wave");
            Err(error)
        }
    }
}
