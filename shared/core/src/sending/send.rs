use super::SendingError;
use crate::batch::{BatchId, Seq};
use crate::delivery::BatchStatus;
use crate::ports::{BatchRepo, Clock, PublishError, RateLimiter, RecipientRepo, SmsSender};
use crate::rate::RateUnit;

/// What happened to the jobs handed to [`send_texts`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendOutcome {
    pub sent: u64,
    /// The batch was cancelled: these were still `queued` and are now `cancelled`.
    pub cancelled: u64,
    /// Not `queued` any more (sent, cancelled, or taken by another sender):
    /// a repeated job, skipped.
    pub skipped: u64,
    /// Now `technical-failure`.
    pub failed: u64,
    /// Back to `queued` because the provider asked us to slow down: queue
    /// them again, later.
    pub throttled: Vec<Seq>,
}

/// Sends the texts of `seqs`: claims each from `queued` (one that cannot be
/// claimed was handled already and is skipped), waits for the rate limit,
/// hands it to the provider, and records the outcome.
///
/// Nothing is sent for a cancelled batch: a job that comes back after the
/// cancel (a throttled text, one a crash left unsent) cancels its recipient.
///
/// A crash after the provider took a text and before it is recorded leaves
/// the recipient `sending`; [`super::recover_sending`] settles it without
/// sending it again.
#[allow(clippy::too_many_arguments)]
pub async fn send_texts(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    sender: &(impl SmsSender + Sync),
    limiter: &(impl RateLimiter + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
    seqs: &[Seq],
    unit: RateUnit,
) -> Result<SendOutcome, SendingError> {
    let batch = batches
        .batch(id)
        .await?
        .ok_or_else(|| SendingError::NoSuchBatch(id.clone()))?;
    if batch.status == BatchStatus::Cancelled {
        let cancelled = recipients.cancel_these(id, seqs, clock.now()).await?;
        return Ok(SendOutcome {
            cancelled,
            skipped: seqs.len() as u64 - cancelled,
            ..SendOutcome::default()
        });
    }
    let claimed = recipients.claim(id, seqs, clock.now()).await?;
    let mut outcome = SendOutcome {
        skipped: (seqs.len() - claimed.len()) as u64,
        ..SendOutcome::default()
    };
    let mut published = Vec::with_capacity(claimed.len());
    let mut failed = Vec::new();
    let mut rest = claimed.iter();
    let mut stopped = None;
    for recipient in rest.by_ref() {
        if let Err(error) = limiter.acquire(unit.units(recipient.fragments)).await {
            stopped = Some(SendingError::Port(error));
            outcome.throttled.push(recipient.seq);
            break;
        }
        match sender.publish(id, recipient).await {
            Ok(p) => published.push(p),
            Err(PublishError::Throttled) => {
                outcome.throttled.push(recipient.seq);
                break;
            }
            Err(PublishError::Refused(reason)) => failed.push((
                recipient.seq,
                format!("The SMS provider refused it: {reason}"),
            )),
            Err(PublishError::Unavailable(error)) => failed.push((
                recipient.seq,
                format!(
                    "It may or may not have been sent: the SMS provider could not be reached \
                     ({error}). Check before sending it again"
                ),
            )),
        }
    }
    // What was not tried goes back with the throttled one.
    outcome.throttled.extend(rest.map(|r| r.seq));

    recipients.mark_sent(id, &published).await?;
    outcome.sent = published.len() as u64;
    if !outcome.throttled.is_empty() {
        recipients.requeue(id, &outcome.throttled).await?;
    }
    if !failed.is_empty() {
        recipients.fail_technical(id, &failed, clock.now()).await?;
        outcome.failed = failed.len() as u64;
    }
    match stopped {
        Some(error) => Err(error),
        None => Ok(outcome),
    }
}
