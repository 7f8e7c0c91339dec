use super::SendingError;
use crate::batch::BatchId;
use crate::delivery::{BatchEvent, BatchStatus, WaveEvent, WaveStatus};
use crate::ports::{BatchRepo, Clock, RecipientRepo, WaveRepo, WaveScheduler};

/// What a cancel stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cancelled {
    pub waves: u32,
    pub texts: u64,
    /// The batch was cancelled before: this call finished what that cancel
    /// may have left (it stopped part way, or its answer was lost).
    pub already: bool,
}

/// Cancels the batch, every text not yet handed to a sender, and its pending
/// waves (and their schedules). A text already being sent still goes. On a
/// batch already cancelled it does the rest again, so repeating a cancel
/// that stopped part way finishes it.
///
/// The texts go before the waves: a cancel that stops part way then leaves
/// queued texts only in waves still pending, whose schedules fire and find
/// the batch cancelled. The other way round, a wave cancelled with its
/// texts still queued would be released by nothing.
pub async fn cancel_batch(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    scheduler: &(impl WaveScheduler + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
) -> Result<Cancelled, SendingError> {
    let mut already = false;
    if !batches.batch_event(id, BatchEvent::Cancel).await? {
        match batches.batch(id).await? {
            None => return Err(SendingError::NoSuchBatch(id.clone())),
            Some(batch) if batch.status == BatchStatus::Cancelled => already = true,
            Some(batch) => {
                return Err(SendingError::WrongState {
                    batch: id.clone(),
                    status: batch.status,
                    doing: "cancelled",
                });
            }
        }
    }
    let texts = recipients.cancel_queued(id, clock.now()).await?;
    let mut cancelled_waves = Vec::new();
    for wave in waves.waves(id).await? {
        if wave.status == WaveStatus::Pending
            && waves.wave_event(id, wave.number, WaveEvent::Cancel).await?
        {
            cancelled_waves.push(wave.number);
        }
    }
    scheduler.unschedule(id, &cancelled_waves).await?;
    // Nothing left to settle: no sweep or `run` need look at it again.
    if recipients.counts(id, None).await?.waiting() == 0 {
        batches.close(id).await?;
    }
    Ok(Cancelled {
        waves: cancelled_waves.len() as u32,
        texts,
        already,
    })
}
