use super::SendingError;
use crate::batch::{Batch, BatchId, StatusCounts, Wave};
use crate::delivery::{BatchEvent, BatchStatus};
use crate::ports::{BatchRepo, RecipientRepo, WaveRepo};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaveProgress {
    pub wave: Wave,
    pub counts: StatusCounts,
}

/// A batch with its counts, over all and wave by wave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchProgress {
    pub batch: Batch,
    pub counts: StatusCounts,
    pub waves: Vec<WaveProgress>,
}

impl BatchProgress {
    /// Nothing left to send, now or later.
    pub fn nothing_left_to_send(&self) -> bool {
        self.counts.waiting() == 0 && self.waves.iter().all(|w| w.wave.status.is_final())
    }
}

pub async fn progress(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    id: &BatchId,
) -> Result<BatchProgress, SendingError> {
    let batch = batches
        .batch(id)
        .await?
        .ok_or_else(|| SendingError::NoSuchBatch(id.clone()))?;
    let counts = recipients.counts(id, None).await?;
    let mut wave_progress = Vec::new();
    for wave in waves.waves(id).await? {
        let counts = recipients.counts(id, Some(wave.seqs())).await?;
        wave_progress.push(WaveProgress { wave, counts });
    }
    Ok(BatchProgress {
        batch,
        counts,
        waves: wave_progress,
    })
}

/// Moves a `sending` batch to `completed` once every wave is out and no text
/// is waiting to be sent (receipts may still arrive). Whether it did.
pub async fn finish_if_done(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    id: &BatchId,
) -> Result<bool, SendingError> {
    let batch = batches
        .batch(id)
        .await?
        .ok_or_else(|| SendingError::NoSuchBatch(id.clone()))?;
    if batch.status != BatchStatus::Sending {
        return Ok(false);
    }
    let all_out = waves.waves(id).await?.iter().all(|w| w.status.is_final());
    if !all_out || recipients.counts(id, None).await?.waiting() > 0 {
        return Ok(false);
    }
    Ok(batches.batch_event(id, BatchEvent::Complete).await?)
}
