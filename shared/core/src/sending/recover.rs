use chrono::TimeDelta;

use super::SendingError;
use crate::batch::{BatchId, Seq};
use crate::ports::{Clock, PublishedLookup, RecipientRepo, SendQueue, SmsSender};

/// How long a text may stay `sending` before, with a provider that cannot
/// say whether it took it, it is marked `technical-failure`.
pub const STUCK_AFTER: TimeDelta = TimeDelta::minutes(15);

/// What [`recover_sending`] did with texts left `sending`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The provider had them: now `sent`.
    pub sent: u64,
    /// The provider never got them: `queued` and queued again.
    pub requeued: u64,
    /// Nobody can say: `technical-failure`, never sent again.
    pub failed: u64,
}

pub const MAYBE_SENT: &str = "It may or may not have been sent: sending stopped between handing \
     it to the SMS provider and recording it. Check before sending it again";

/// Settles texts left `sending` by a sender that stopped (a crash, `kill -9`,
/// a Lambda timeout). Where the provider can say which it took, those become
/// `sent` and the rest are queued again; where it cannot, texts stuck longer
/// than [`STUCK_AFTER`] become `technical-failure`, because at most once
/// comes before at least once.
///
/// With a provider that can tell, call this only when no sender is working on
/// the batch: a text being sent right now is not in the provider's record yet.
pub async fn recover_sending(
    recipients: &(impl RecipientRepo + Sync),
    sender: &(impl SmsSender + Sync),
    queue: &(impl SendQueue + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
) -> Result<Recovered, SendingError> {
    recover_sending_after(recipients, sender, queue, clock, id, STUCK_AFTER).await
}

/// [`recover_sending`], with texts stuck once `sending` longer than
/// `stuck_after` (the sweep's, from the send function's timeout: see
/// [`super::SweepTimes`]).
pub async fn recover_sending_after(
    recipients: &(impl RecipientRepo + Sync),
    sender: &(impl SmsSender + Sync),
    queue: &(impl SendQueue + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
    stuck_after: TimeDelta,
) -> Result<Recovered, SendingError> {
    let sending = recipients.sending(id).await?;
    if sending.is_empty() {
        return Ok(Recovered::default());
    }
    let seqs: Vec<Seq> = sending.iter().map(|(seq, _)| *seq).collect();
    let now = clock.now();
    let mut recovered = Recovered::default();
    match sender.lookup(id, &seqs).await? {
        PublishedLookup::Known(published) => {
            let never_got: Vec<Seq> = seqs
                .iter()
                .copied()
                .filter(|s| !published.contains_key(s))
                .collect();
            let mut published: Vec<_> = published.into_values().collect();
            published.sort_by_key(|p| p.seq);
            recipients.mark_sent(id, &published).await?;
            recipients.requeue(id, &never_got).await?;
            queue.enqueue(id, &never_got).await?;
            recovered.sent = published.len() as u64;
            recovered.requeued = never_got.len() as u64;
        }
        PublishedLookup::Unknowable => {
            let stuck: Vec<(Seq, String)> = sending
                .iter()
                .filter(|(_, since)| now - *since > stuck_after)
                .map(|(seq, _)| (*seq, MAYBE_SENT.to_owned()))
                .collect();
            recipients.fail_technical(id, &stuck, now).await?;
            recovered.failed = stuck.len() as u64;
        }
    }
    Ok(recovered)
}
