//! The use cases that take a batch from a validated list to texts sent and
//! receipts recorded. The CLI calls them with the embedded adapters, the
//! Lambda functions with the AWS ones; neither holds a rule of its own.

mod cancel;
mod import;
mod progress;
mod receipts;
mod recover;
mod release;
mod resume;
mod schedule;
mod send;
mod sweep;
#[cfg(test)]
mod tests;
mod upload;

pub use crate::rate::RateUnit;
pub use cancel::{Cancelled, cancel_batch};
pub use import::{IMPORT_CHUNK, RecipientRows};
pub use progress::{BatchProgress, WaveProgress, finish_if_done, progress};
pub use receipts::{ReceiptsRecorded, record_receipts};
pub use recover::{MAYBE_SENT, Recovered, STUCK_AFTER, recover_sending, recover_sending_after};
pub use release::{Release, release_wave};
pub use resume::{Resumed, resume_batch};
pub use schedule::schedule_batch;
pub use send::{Pacing, SendOutcome, SendUntil, Unbounded, send_texts};
pub use sweep::{SweepTimes, Swept, sweep};
pub use upload::{UploadError, UploadKeys, UploadOutcome, validate_upload};

use crate::batch::BatchId;
use crate::delivery::BatchStatus;
use crate::ports::PortError;

#[derive(Debug, thiserror::Error)]
pub enum SendingError {
    #[error(transparent)]
    Port(#[from] PortError),
    #[error("there is no batch {0}")]
    NoSuchBatch(BatchId),
    #[error("batch {batch} has no wave {wave}")]
    NoSuchWave { batch: BatchId, wave: u32 },
    #[error("batch {batch} is {status}, so it cannot be {doing}")]
    WrongState {
        batch: BatchId,
        status: BatchStatus,
        doing: &'static str,
    },
}
