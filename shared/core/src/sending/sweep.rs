//! The periodic look over batches being sent: texts stuck in `sending` are
//! settled, recipients whose job was lost are given a new one, waves their
//! schedule never released are released, batches with nothing left to send
//! are completed, and cancelled batches with nothing left to settle are
//! closed. It reads only the batches the repository keeps open and the
//! waves it keeps unreleased, so finished batches cost it nothing.

use chrono::{DateTime, TimeDelta, Utc};

use super::SendingError;
use super::recover::{Recovered, recover_sending_after};
use super::release::{ENQUEUE_CHUNK, Release, release_wave};
use crate::batch::{Batch, BatchId, Seq, Wave};
use crate::delivery::{BatchEvent, BatchStatus, WaveEvent, WaveStatus};
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
    /// Overdue waves the sweep released (or finished releasing).
    pub released: u64,
    /// `queued` recipients that no live job could still hold, given a new one.
    pub requeued: u64,
}

/// How long the sweep waits before it calls something lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepTimes {
    /// A text `sending` longer than this is stuck: its sender has stopped.
    /// The send function's timeout plus [`SweepTimes::STUCK_MARGIN`].
    pub stuck_after: TimeDelta,
    /// A `queued` recipient of a released wave that was given no job for
    /// this long has lost it: the longest a live job can take to come round
    /// (the queue's visibility timeout × its receives + the longest delay).
    pub requeue_after: TimeDelta,
    /// A wave still `pending` or `releasing` this long after it was due was
    /// not released by its schedule (the wave function failed beyond its
    /// retries, or stopped part way).
    pub release_after: TimeDelta,
}

impl SweepTimes {
    /// Beyond the send function's timeout before a text counts as stuck: the
    /// claim's time is the sender's clock and the sweep compares it with its
    /// own, and an invocation starts its clock a little before our handler.
    pub const STUCK_MARGIN: TimeDelta = TimeDelta::minutes(2);
    /// Lambda's longest timeout, when the send function's is not given.
    pub const DEFAULT_SEND_TIMEOUT: TimeDelta = TimeDelta::seconds(900);
    /// A visibility timeout of 1,800 s (6 × a 300 s send timeout) × 5
    /// receives + SQS's longest delay of 900 s is 9,900 s: rounded up.
    pub const DEFAULT_REQUEUE_AFTER: TimeDelta = TimeDelta::hours(3);
    /// A schedule fires within a minute or two of its time, and Lambda
    /// retries a failed wave function twice within about three minutes.
    pub const DEFAULT_RELEASE_AFTER: TimeDelta = TimeDelta::minutes(15);

    /// The times for a send function with this timeout.
    pub fn new(send_timeout: TimeDelta, requeue_after: TimeDelta) -> Self {
        Self {
            stuck_after: send_timeout + Self::STUCK_MARGIN,
            requeue_after,
            release_after: Self::DEFAULT_RELEASE_AFTER,
        }
    }
}

impl Default for SweepTimes {
    fn default() -> Self {
        Self::new(Self::DEFAULT_SEND_TIMEOUT, Self::DEFAULT_REQUEUE_AFTER)
    }
}

/// First releases the waves overdue by [`SweepTimes::release_after`]
/// ([`WaveRepo::unreleased_due_before`]); then, for each open batch
/// ([`BatchRepo::open_batches`]): texts `sending` longer than
/// [`SweepTimes::stuck_after`] are settled ([`recover_sending_after`]);
/// a `sending` batch gives a new job to each `queued` recipient of a
/// released wave that has had none for [`SweepTimes::requeue_after`], and
/// is completed if nothing is left to send; a cancelled one has its queued
/// texts cancelled and is closed once none is left `sending`.
///
/// Run it every few minutes on a provider that cannot say what it took
/// (SNS): a sender that died between publishing and recording leaves its
/// texts `sending`, and they become `technical-failure`, never sent again.
/// A job given twice is harmless: claims are conditional. A batch that
/// fails does not stop the others; the first error is returned after them
/// all.
pub async fn sweep(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    sender: &(impl SmsSender + Sync),
    queue: &(impl SendQueue + Sync),
    clock: &(impl Clock + Sync),
    times: &SweepTimes,
) -> Result<Swept, SendingError> {
    let mut swept = Swept::default();
    let mut first_error = None;
    let now = clock.now();
    for (id, wave) in waves
        .unreleased_due_before(now - times.release_after)
        .await?
    {
        match release_overdue(batches, recipients, waves, queue, now, &id, &wave).await {
            Ok(released) => swept.released += u64::from(released),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    for batch in batches.open_batches().await? {
        let sending = batch.status == BatchStatus::Sending;
        swept.batches += u64::from(sending);
        let settled = async {
            let recovered = recover_sending_after(
                recipients,
                sender,
                queue,
                clock,
                &batch.id,
                times.stuck_after,
            )
            .await?;
            let (requeued, done) = if sending {
                let stored = waves.waves(&batch.id).await?;
                let cutoff = now - times.requeue_after;
                let requeued =
                    requeue_lost(recipients, queue, &batch.id, &stored, cutoff, now).await?;
                let done = requeued == 0
                    && complete_if_done(batches, recipients, &batch.id, &stored).await?;
                (requeued, done)
            } else {
                (
                    0,
                    close_if_settled(batches, recipients, clock, &batch).await?,
                )
            };
            Ok::<_, SendingError>((recovered, requeued, done))
        };
        match settled.await {
            Ok((recovered, requeued, done)) => {
                swept.recovered.sent += recovered.sent;
                swept.recovered.requeued += recovered.requeued;
                swept.recovered.failed += recovered.failed;
                swept.requeued += requeued;
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

/// Releases a wave its schedule never released (or finishes a release that
/// stopped part way: a second release alongside a slow one only queues
/// jobs twice), if its batch is `scheduled` or `sending`. Its `queued`
/// recipients are recorded as given a job now, so the lost-job rule counts
/// from this release and not from the wave's due time. A wave of a
/// finished batch is moved out of the unreleased ones without sending.
/// Whether it queued the wave.
async fn release_overdue(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    waves: &(impl WaveRepo + Sync),
    queue: &(impl SendQueue + Sync),
    now: DateTime<Utc>,
    id: &BatchId,
    wave: &Wave,
) -> Result<bool, SendingError> {
    let Some(batch) = batches.batch(id).await? else {
        return Ok(false);
    };
    match batch.status {
        BatchStatus::Scheduled | BatchStatus::Sending => {}
        status if status.is_final() => {
            let event = match wave.status {
                WaveStatus::Releasing => WaveEvent::FinishRelease,
                _ => WaveEvent::Cancel,
            };
            waves.wave_event(id, wave.number, event).await?;
            return Ok(false);
        }
        // Its schedule_batch stopped before moving it: a retry finishes it.
        _ => return Ok(false),
    }
    let seqs = recipients.queued_in(id, wave.seqs()).await?;
    recipients.gave_jobs(id, &seqs, now).await?;
    let release = release_wave(batches, recipients, waves, queue, id, wave.number).await?;
    Ok(matches!(release, Release::Queued(_)))
}

/// Gives a new job to each `queued` recipient of the released waves due
/// before `cutoff` that was given none since `cutoff`; how many. One read
/// (paged) of the recipients those waves span, and only when a released
/// wave is that old.
async fn requeue_lost(
    recipients: &(impl RecipientRepo + Sync),
    queue: &(impl SendQueue + Sync),
    id: &BatchId,
    waves: &[Wave],
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, SendingError> {
    let old: Vec<&Wave> = waves
        .iter()
        .filter(|w| w.status == WaveStatus::Released && w.due < cutoff)
        .collect();
    let (Some(start), Some(end)) = (
        old.iter().map(|w| w.first).min(),
        old.iter().map(|w| w.first + w.size).max(),
    ) else {
        return Ok(0);
    };
    let lost: Vec<Seq> = recipients
        .queued_without_job_since(id, start..end, cutoff)
        .await?
        .into_iter()
        .filter(|seq| old.iter().any(|w| w.seqs().contains(seq)))
        .collect();
    for chunk in lost.chunks(ENQUEUE_CHUNK) {
        queue.enqueue(id, chunk).await?;
    }
    // After the jobs: should this write fail, the next sweep queues them
    // again (harmless) rather than never.
    recipients.gave_jobs(id, &lost, now).await?;
    Ok(lost.len() as u64)
}

/// Moves a `sending` batch to `completed` once every wave is out and no
/// text is waiting; whether it did. The move is conditional on `sending`.
async fn complete_if_done(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    id: &BatchId,
    waves: &[Wave],
) -> Result<bool, SendingError> {
    if !waves.iter().all(|w| w.status.is_final())
        || recipients.counts(id, None).await?.waiting() > 0
    {
        return Ok(false);
    }
    Ok(batches.batch_event(id, BatchEvent::Complete).await?)
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
