//! The periodic look over batches being sent: texts stuck in `sending` are
//! settled, batches with nothing left to send are completed, and cancelled
//! batches with nothing left to settle are closed. It reads only the batches
//! the repository keeps open, so finished batches cost it nothing.

use super::SendingError;
use super::progress::finish_if_done;
use super::recover::{Recovered, recover_sending};
use crate::batch::Batch;
use crate::delivery::BatchStatus;
use crate::ports::{BatchRepo, Clock, RecipientRepo, SendQueue, SmsSender, WaveRepo};

/// What one sweep did, over every batch it looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Batches `sending` when the sweep began.
    pub batches: u64,
    pub recovered: Recovered,
    /// Batches that became `completed`.
    pub completed: u64,
    /// Cancelled batches with nothing left to settle, now closed.
    pub closed: u64,
}

/// For each open batch ([`BatchRepo::open_batches`]): [`recover_sending`];
/// then a `sending` batch is completed if nothing is left to send
/// ([`finish_if_done`]), and a cancelled one has its queued texts cancelled
/// and is closed once none is left `sending`.
///
/// Run it every few minutes on a provider that cannot say what it took
/// (SNS): a sender that died between publishing and recording leaves its
/// texts `sending`, and they become `technical-failure` once
/// [`super::STUCK_AFTER`] has passed, never sent again. A batch that fails
/// does not stop the others; the first error is returned after them all.
pub async fn sweep(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    sender: &(impl SmsSender + Sync),
    queue: &(impl SendQueue + Sync),
    clock: &(impl Clock + Sync),
) -> Result<Swept, SendingError> {
    let mut swept = Swept::default();
    let mut first_error = None;
    for batch in batches.open_batches().await? {
        let sending = batch.status == BatchStatus::Sending;
        swept.batches += u64::from(sending);
        let settled = async {
            let recovered = recover_sending(recipients, sender, queue, clock, &batch.id).await?;
            let done = if sending {
                finish_if_done(batches, recipients, waves, &batch.id).await?
            } else {
                close_if_settled(batches, recipients, clock, &batch).await?
            };
            Ok::<_, SendingError>((recovered, done))
        };
        match settled.await {
            Ok((recovered, done)) => {
                swept.recovered.sent += recovered.sent;
                swept.recovered.requeued += recovered.requeued;
                swept.recovered.failed += recovered.failed;
                if sending {
                    swept.completed += u64::from(done);
                } else {
                    swept.closed += u64::from(done);
                }
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(swept),
    }
}

/// Closes a cancelled batch once none of its texts can move again: none
/// `queued` (a text the provider never got, queued again by recovery, is
/// cancelled here rather than left to a job that may be lost) and none
/// `sending`. With nothing queued no sender can claim one later, so nothing
/// can come back to `sending` after the close.
async fn close_if_settled(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    clock: &(impl Clock + Sync),
    batch: &Batch,
) -> Result<bool, SendingError> {
    if batch.status != BatchStatus::Cancelled {
        return Ok(false);
    }
    recipients.cancel_queued(&batch.id, clock.now()).await?;
    if recipients.counts(&batch.id, None).await?.waiting() > 0 {
        return Ok(false);
    }
    Ok(batches.close(&batch.id).await?)
}
