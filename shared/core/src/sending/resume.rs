use super::{Recovered, SendingError, recover_sending, release_wave};
use crate::batch::BatchId;
use crate::delivery::{BatchStatus, WaveStatus};
use crate::ports::{BatchRepo, Clock, RecipientRepo, SendQueue, SmsSender, WaveRepo};

/// What [`resume_batch`] settled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resumed {
    pub recovered: Recovered,
    /// Waves a stopped release left `releasing`, now released.
    pub releases_finished: u32,
    /// Texts of a cancelled batch a stopped cancel left `queued`, now
    /// cancelled.
    pub cancelled: u64,
}

/// What a sender taking over a batch from one that stopped (a crash,
/// `kill -9`) does before it sends anything, in this order:
///
/// 1. (the adapter's, before this) hands out again the queue's jobs the
///    stopped sender had taken;
/// 2. settles the texts it left `sending` ([`recover_sending`]), which must
///    come before any text is sent: a text being sent is not yet in the
///    provider's record, so recovery would queue it again;
/// 3. finishes each release it left part way (`releasing`), so the wave's
///    recipients still `queued` have their jobs;
/// 4. in a cancelled batch, cancels the texts a stopped cancel left
///    `queued`, and closes the batch once none is left `sending`.
///
/// Call it holding the batch (the embedded default's lock), with no sender
/// working on it. Waves not yet due are left to their schedule.
pub async fn resume_batch(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    sender: &(impl SmsSender + Sync),
    queue: &(impl SendQueue + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
) -> Result<Resumed, SendingError> {
    let recovered = recover_sending(recipients, sender, queue, clock, id).await?;
    let mut releases_finished = 0;
    for wave in waves.waves(id).await? {
        if wave.status == WaveStatus::Releasing {
            release_wave(batches, recipients, waves, queue, id, wave.number).await?;
            releases_finished += 1;
        }
    }
    let mut cancelled = 0;
    if batches.batch(id).await?.map(|b| b.status) == Some(BatchStatus::Cancelled) {
        cancelled = recipients.cancel_queued(id, clock.now()).await?;
        if recipients.counts(id, None).await?.waiting() == 0 {
            batches.close(id).await?;
        }
    }
    Ok(Resumed {
        recovered,
        releases_finished,
        cancelled,
    })
}
