use super::SendingError;
use crate::batch::BatchId;
use crate::delivery::{BatchEvent, WaveEvent, WaveStatus};
use crate::ports::{BatchRepo, RecipientRepo, SendQueue, WaveRepo};

/// What a release did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// This many texts were queued.
    Queued(u64),
    /// The wave was already released or cancelled, or another release has it
    /// (`releasing`): nothing to do.
    AlreadyDone(WaveStatus),
}

/// Recipients handed to the queue in one call. SQS's adapter sends a call's
/// requests concurrently (250 recipients a request), so a call holds many:
/// 10,000 are 40 requests.
pub(super) const ENQUEUE_CHUNK: usize = 10_000;

/// The wave's time has come: queue a job for each of its recipients still
/// `queued`. Only one release moves a wave from `pending`; a release that
/// finds it `releasing` (an earlier one stopped part way) finishes the job,
/// which may queue a recipient twice but never sends twice, because sending
/// claims each recipient from `queued`.
pub async fn release_wave(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    queue: &(impl SendQueue + Sync),
    id: &BatchId,
    number: u32,
) -> Result<Release, SendingError> {
    let wave = waves
        .waves(id)
        .await?
        .into_iter()
        .find(|w| w.number == number)
        .ok_or_else(|| SendingError::NoSuchWave {
            batch: id.clone(),
            wave: number,
        })?;
    match wave.status {
        WaveStatus::Pending => {
            if !waves
                .wave_event(id, number, WaveEvent::StartRelease)
                .await?
            {
                // Another release or a cancel got there first.
                let now = waves
                    .waves(id)
                    .await?
                    .into_iter()
                    .find(|w| w.number == number);
                return Ok(Release::AlreadyDone(now.map_or(wave.status, |w| w.status)));
            }
        }
        WaveStatus::Releasing => {}
        done @ (WaveStatus::Released | WaveStatus::Cancelled) => {
            return Ok(Release::AlreadyDone(done));
        }
    }
    // Ignored when another wave already started the batch sending, or it
    // was cancelled (its queued recipients are cancelled, so none is claimed).
    batches.batch_event(id, BatchEvent::StartSending).await?;
    let seqs = recipients.queued_in(id, wave.seqs()).await?;
    for chunk in seqs.chunks(ENQUEUE_CHUNK) {
        queue.enqueue(id, chunk).await?;
    }
    waves
        .wave_event(id, number, WaveEvent::FinishRelease)
        .await?;
    Ok(Release::Queued(seqs.len() as u64))
}
