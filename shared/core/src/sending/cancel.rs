use super::SendingError;
use crate::batch::BatchId;
use crate::delivery::{BatchEvent, WaveEvent, WaveStatus};
use crate::ports::{BatchRepo, Clock, RecipientRepo, WaveRepo, WaveScheduler};

/// What a cancel stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cancelled {
    pub waves: u32,
    pub texts: u64,
}

/// Cancels the batch, its pending waves (and their schedules) and every text
/// not yet handed to a sender. A text already being sent still goes.
pub async fn cancel_batch(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    scheduler: &(impl WaveScheduler + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
) -> Result<Cancelled, SendingError> {
    if !batches.batch_event(id, BatchEvent::Cancel).await? {
        return Err(match batches.batch(id).await? {
            None => SendingError::NoSuchBatch(id.clone()),
            Some(batch) => SendingError::WrongState {
                batch: id.clone(),
                status: batch.status,
                doing: "cancelled",
            },
        });
    }
    let mut cancelled_waves = Vec::new();
    for wave in waves.waves(id).await? {
        if wave.status == WaveStatus::Pending
            && waves.wave_event(id, wave.number, WaveEvent::Cancel).await?
        {
            cancelled_waves.push(wave.number);
        }
    }
    scheduler.unschedule(id, &cancelled_waves).await?;
    let texts = recipients.cancel_queued(id, clock.now()).await?;
    Ok(Cancelled {
        waves: cancelled_waves.len() as u32,
        texts,
    })
}
