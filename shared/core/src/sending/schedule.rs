use super::SendingError;
use crate::batch::{BatchId, Wave};
use crate::delivery::{BatchEvent, BatchStatus, WaveEvent, WaveStatus};
use crate::ports::{BatchRepo, WaveRepo, WaveScheduler};
use crate::waves::WavePlan;

/// Stores the planned waves, schedules each at its time, and moves the batch
/// from `validated` to `scheduled`. Repeating it changes nothing.
pub async fn schedule_batch(
    batches: &impl BatchRepo,
    wave_repo: &impl WaveRepo,
    scheduler: &impl WaveScheduler,
    id: &BatchId,
    plan: &WavePlan,
) -> Result<Vec<Wave>, SendingError> {
    let batch = batches
        .batch(id)
        .await?
        .ok_or_else(|| SendingError::NoSuchBatch(id.clone()))?;
    if batch.status != BatchStatus::Validated {
        return Err(SendingError::WrongState {
            batch: id.clone(),
            status: batch.status,
            doing: "scheduled",
        });
    }
    let waves: Vec<Wave> = plan
        .waves
        .iter()
        .map(|w| Wave {
            number: w.number,
            first: w.first as u32,
            size: w.size as u32,
            due: w.due,
            status: WaveStatus::Pending,
        })
        .collect();
    wave_repo.insert_waves(id, &waves).await?;
    scheduler.schedule(id, &waves).await?;
    if !batches.batch_event(id, BatchEvent::Schedule).await? {
        let status = batches
            .batch(id)
            .await?
            .map_or(BatchStatus::Cancelled, |b| b.status);
        // Cancelled while we scheduled: take the schedules back, and cancel
        // the waves a cancel that ran before they were stored did not see.
        // Otherwise another schedule of this batch got there first: its
        // schedules (the same waves) stand.
        if status == BatchStatus::Cancelled {
            let numbers: Vec<u32> = waves.iter().map(|w| w.number).collect();
            for &number in &numbers {
                wave_repo.wave_event(id, number, WaveEvent::Cancel).await?;
            }
            scheduler.unschedule(id, &numbers).await?;
        }
        return Err(SendingError::WrongState {
            batch: id.clone(),
            status,
            doing: "scheduled",
        });
    }
    Ok(waves)
}
