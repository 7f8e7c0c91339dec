use chrono::{DateTime, Utc};

use super::SendingError;
use crate::batch::{BatchId, Recipient, Seq};
use crate::delivery::BatchStatus;
use crate::ports::{
    BatchRepo, Clock, PortError, PublishError, Published, RateLimiter, RecipientRepo, SmsSender,
};
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
    /// `queued` (again) because the provider asked us to slow down: queue
    /// them again, later.
    pub throttled: Vec<Seq>,
    /// Still `queued`, never claimed: [`SendUntil`] said no more may start
    /// (a deadline, a window's close). Queue them again for when it allows.
    pub not_started: Vec<Seq>,
}

/// Whether a sender may start another text: the deadline of the invocation
/// it runs in, the close of a sending window. Asked before every text, just
/// before it is handed to the provider.
pub trait SendUntil {
    fn may_start(&self, now: DateTime<Utc>) -> bool;
}

/// No limit: every text may start.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unbounded;

impl SendUntil for Unbounded {
    fn may_start(&self, _now: DateTime<Utc>) -> bool {
        true
    }
}

/// How [`send_texts`] paces a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// What the rate limit counts.
    pub unit: RateUnit,
    /// How many texts are claimed (`queued → sending`) in one write ahead of
    /// being published, and recorded `sent` together after. 1 claims each
    /// text just before it goes and records it as soon as it has: what a
    /// sender with a deadline wants (nothing claimed is left unstarted, and a
    /// receipt finds its text `sent`). More saves writes where each costs a
    /// sync to disk.
    pub claim_ahead: usize,
}

impl Pacing {
    pub const fn one_at_a_time(unit: RateUnit) -> Self {
        Self {
            unit,
            claim_ahead: 1,
        }
    }
}

/// Sends the texts of `seqs`, in groups of [`Pacing::claim_ahead`]: claims
/// each group from `queued` (one that cannot be claimed was handled already
/// and is skipped), and for each text waits for the rate limit, asks `until`
/// whether it may start, hands it to the provider and, once the group is
/// done, has the provider make it durable and records every outcome.
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
    until: &(impl SendUntil + Sync),
    id: &BatchId,
    seqs: &[Seq],
    pacing: Pacing,
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
    let mut outcome = SendOutcome::default();
    let mut groups = seqs.chunks(pacing.claim_ahead.max(1));
    while let Some(group) = groups.next() {
        if !until.may_start(clock.now()) {
            outcome.not_started.extend(group);
            outcome.not_started.extend(groups.flatten());
            break;
        }
        let claimed = recipients.claim(id, group, clock.now()).await?;
        outcome.skipped += (group.len() - claimed.len()) as u64;
        let mut tried =
            publish_group(sender, limiter, clock, until, id, &claimed, pacing.unit).await;
        if !tried.published.is_empty()
            && let Err(error) = sender.make_durable().await
        {
            // Maybe not in the provider's record: left `sending`, for
            // recovery to settle from that record.
            tried.published.clear();
            tried.stopped.get_or_insert(error);
        }
        let recorded = record(recipients, clock, id, &tried).await;
        outcome.sent += tried.published.len() as u64;
        outcome.failed += tried.failed.len() as u64;
        outcome.throttled.extend(&tried.throttled);
        outcome.not_started.extend(&tried.not_started);
        if let Some(error) = tried.stopped.or(recorded.err()) {
            return Err(SendingError::Port(error));
        }
        if !tried.throttled.is_empty() {
            outcome.throttled.extend(groups.flatten());
            break;
        }
        if !tried.not_started.is_empty() {
            outcome.not_started.extend(groups.flatten());
            break;
        }
    }
    Ok(outcome)
}

/// What became of one claimed group.
#[derive(Default)]
struct Tried {
    published: Vec<Published>,
    failed: Vec<(Seq, String)>,
    /// Claimed and not published, because the provider throttled us (or the
    /// limiter failed): to go back to `queued`.
    throttled: Vec<Seq>,
    /// Claimed and not published, because `until` said stop: back to `queued`.
    not_started: Vec<Seq>,
    stopped: Option<PortError>,
}

async fn publish_group(
    sender: &(impl SmsSender + Sync),
    limiter: &(impl RateLimiter + Sync),
    clock: &(impl Clock + Sync),
    until: &(impl SendUntil + Sync),
    id: &BatchId,
    claimed: &[Recipient],
    unit: RateUnit,
) -> Tried {
    let mut tried = Tried::default();
    let mut rest = claimed.iter();
    for recipient in rest.by_ref() {
        if let Err(error) = limiter.acquire(unit.units(recipient.fragments)).await {
            tried.stopped = Some(error);
            tried.throttled.push(recipient.seq);
            break;
        }
        if !until.may_start(clock.now()) {
            tried.not_started.push(recipient.seq);
            tried.not_started.extend(rest.map(|r| r.seq));
            return tried;
        }
        match sender.publish(id, recipient).await {
            Ok(p) => tried.published.push(p),
            Err(PublishError::Throttled) => {
                tried.throttled.push(recipient.seq);
                break;
            }
            Err(PublishError::Refused(reason)) => tried.failed.push((
                recipient.seq,
                format!("The SMS provider refused it: {reason}"),
            )),
            Err(PublishError::Unavailable(error)) => tried.failed.push((
                recipient.seq,
                format!(
                    "It may or may not have been sent: the SMS provider could not be reached \
                     ({error}). Check before sending it again"
                ),
            )),
        }
    }
    // What was not tried goes back with the throttled one.
    tried.throttled.extend(rest.map(|r| r.seq));
    tried
}

/// Records every outcome of a group, whichever write fails first: a failed
/// `mark_sent` must not leave the throttled texts `sending` (to be called
/// "may or may not have been sent" later) nor the refusals unrecorded.
async fn record(
    recipients: &(impl RecipientRepo + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
    tried: &Tried,
) -> Result<(), PortError> {
    let mut first_error = None;
    if !tried.published.is_empty() {
        first_error = recipients.mark_sent(id, &tried.published).await.err();
    }
    let back: Vec<Seq> = tried
        .throttled
        .iter()
        .chain(&tried.not_started)
        .copied()
        .collect();
    if !back.is_empty() {
        let result = recipients.requeue(id, &back).await;
        first_error = first_error.or(result.err());
    }
    if !tried.failed.is_empty() {
        let result = recipients
            .fail_technical(id, &tried.failed, clock.now())
            .await;
        first_error = first_error.or(result.err());
    }
    first_error.map_or(Ok(()), Err)
}
