use super::SendingError;
use crate::batch::{BatchId, Wave};
use crate::delivery::{BatchEvent, BatchStatus, WaveEvent, WaveStatus};
use crate::ports::{BatchRepo, WaveRepo, WaveScheduler};
use crate::waves::WavePlan;

/// Stores the planned waves, moves the batch from `validated` to
/// `scheduled`, then schedules each wave at its time.
///
/// The batch moves before its schedules are made, so a schedule can never
/// fire for a batch still `validated` (which would send while the batch
/// never became `sending`, and never completed). A call that stopped
/// between the move and the schedules is finished by calling it again: a
/// `scheduled` batch with stored waves has its pending waves scheduled
/// (schedules already made are left as they are) and its waves returned.
/// Should nobody call it again, the sweep releases the waves once overdue.
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
    let wrong_state = |status| SendingError::WrongState {
        batch: id.clone(),
        status,
        doing: "scheduled",
    };
    match batch.status {
        BatchStatus::Validated => {}
        BatchStatus::Scheduled => {
            return match schedule_stored(wave_repo, scheduler, id).await? {
                Some(stored) => Ok(stored),
                None => Err(wrong_state(BatchStatus::Scheduled)),
            };
        }
        status => return Err(wrong_state(status)),
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
    if !batches.batch_event(id, BatchEvent::Schedule).await? {
        let status = batches
            .batch(id)
            .await?
            .map_or(BatchStatus::Cancelled, |b| b.status);
        match status {
            // Cancelled before the move: cancel the waves the cancel, which
            // ran before they were stored, did not see. No schedule exists.
            BatchStatus::Cancelled => {
                for w in &waves {
                    wave_repo
                        .wave_event(id, w.number, WaveEvent::Cancel)
                        .await?;
                }
            }
            // Another schedule of this batch moved it first: its waves (the
            // stored ones) get their schedules, should it stop before
            // making them.
            BatchStatus::Scheduled => {
                schedule_stored(wave_repo, scheduler, id).await?;
            }
            _ => {}
        }
        return Err(wrong_state(status));
    }
    scheduler.schedule(id, &waves).await?;
    // A cancel between the move and the schedules cancelled the waves but
    // found no schedule to take back: take back the ones just made.
    if batches
        .batch(id)
        .await?
        .is_none_or(|b| b.status == BatchStatus::Cancelled)
    {
        let numbers: Vec<u32> = waves.iter().map(|w| w.number).collect();
        scheduler.unschedule(id, &numbers).await?;
    }
    Ok(waves)
}

/// Schedules the stored waves still pending; the stored waves, or `None`
/// when none are stored.
async fn schedule_stored(
    wave_repo: &impl WaveRepo,
    scheduler: &impl WaveScheduler,
    id: &BatchId,
) -> Result<Option<Vec<Wave>>, SendingError> {
    let stored = wave_repo.waves(id).await?;
    if stored.is_empty() {
        return Ok(None);
    }
    let pending: Vec<Wave> = stored
        .iter()
        .filter(|w| w.status == WaveStatus::Pending)
        .cloned()
        .collect();
    scheduler.schedule(id, &pending).await?;
    Ok(Some(stored))
}
