//! The periodic look over batches being sent: texts stuck in `sending` are
//! settled, and batches with nothing left to send are completed.

use chrono::TimeDelta;

use super::SendingError;
use super::progress::finish_if_done;
use super::recover::{Recovered, recover_sending};
use crate::delivery::BatchStatus;
use crate::ports::{BatchRepo, Clock, RecipientRepo, SendQueue, SmsSender, WaveRepo};

/// How long after it was made a cancelled batch is still looked at: a text
/// being published as the cancel came can be left `sending` by a sender that
/// died, and is settled like any other.
pub const CANCELLED_LOOKED_AT: TimeDelta = TimeDelta::days(30);

/// What one sweep did, over every batch it looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Batches `sending` when the sweep began.
    pub batches: u64,
    pub recovered: Recovered,
    /// Batches that became `completed`.
    pub completed: u64,
}

/// For each batch `sending`: [`recover_sending`], then [`finish_if_done`];
/// for each batch cancelled in the last [`CANCELLED_LOOKED_AT`]:
/// [`recover_sending`].
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
    let recent = clock.now() - CANCELLED_LOOKED_AT;
    for batch in batches.batches().await? {
        let sending = batch.status == BatchStatus::Sending;
        let cancelled = batch.status == BatchStatus::Cancelled && batch.created_at > recent;
        if !sending && !cancelled {
            continue;
        }
        swept.batches += u64::from(sending);
        let id = &batch.id;
        let settled = async {
            let recovered = recover_sending(recipients, sender, queue, clock, id).await?;
            let completed = sending && finish_if_done(batches, recipients, waves, id).await?;
            Ok::<_, SendingError>((recovered, completed))
        };
        match settled.await {
            Ok((recovered, completed)) => {
                swept.recovered.sent += recovered.sent;
                swept.recovered.requeued += recovered.requeued;
                swept.recovered.failed += recovered.failed;
                swept.completed += u64::from(completed);
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
