//! The ports a batch goes out through: where batches, recipients and waves
//! are kept, the queue and scheduler that move them on, the SMS provider, the
//! shared rate limit and the clock.
//!
//! Every state change is conditional on the state it starts from (taken from
//! [`crate::delivery`] with `sources`), in SQL as on DynamoDB, and says
//! whether it happened: that is what keeps sending at most once however often
//! an event is delivered.

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::batch::{Batch, BatchId, Recipient, RecipientRecord, Seq, StatusCounts, Wave};
#[cfg(doc)]
use crate::delivery::BatchStatus;
use crate::delivery::{BatchEvent, WaveEvent};

/// An adapter failed (a database, a network call); its own error is the source.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PortError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl PortError {
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }
}

pub type PortResult<T> = Result<T, PortError>;

pub trait BatchRepo {
    /// Stores a new batch; `false` if one with that id exists (left alone).
    fn create_batch(&self, batch: &Batch) -> impl Future<Output = PortResult<bool>> + Send;

    fn batch(&self, id: &BatchId) -> impl Future<Output = PortResult<Option<Batch>>> + Send;

    /// Every batch, newest first.
    fn batches(&self) -> impl Future<Output = PortResult<Vec<Batch>>> + Send;

    /// The batches a sweep still has work in, newest first: each batch that
    /// has moved to a status that [`BatchStatus::is_swept`], until it is
    /// completed or [`close`](Self::close)d. They are kept apart from the
    /// rest (a sparse index on DynamoDB, a partial index in SQLite), so that
    /// finished batches, however many, cost a sweep nothing.
    fn open_batches(&self) -> impl Future<Output = PortResult<Vec<Batch>>> + Send;

    /// Takes a cancelled batch out of [`open_batches`](Self::open_batches)
    /// once none of its texts can still move; whether it was open and
    /// cancelled. Its data stays.
    fn close(&self, id: &BatchId) -> impl Future<Output = PortResult<bool>> + Send;

    /// Moves the batch on if it is in a state `event` applies to; whether it did.
    fn batch_event(
        &self,
        id: &BatchId,
        event: BatchEvent,
    ) -> impl Future<Output = PortResult<bool>> + Send;

    /// Records which upload (`tag`: S3's ETag) a batch `awaiting-upload` is
    /// validated from. [`UploadClaim::Refused`] if the batch has left
    /// `awaiting-upload`, or is being validated from a different upload: its
    /// rows must never mix with another file's. [`UploadClaim::First`] only
    /// when this call recorded the tag (no upload had claimed the batch, so
    /// no rows of it are stored); when in doubt (an answer lost and the
    /// claim retried), [`UploadClaim::Again`].
    fn claim_upload(
        &self,
        id: &BatchId,
        tag: &str,
    ) -> impl Future<Output = PortResult<UploadClaim>> + Send;

    /// `awaiting-upload → validated`, storing the list's counts; whether it
    /// moved.
    fn mark_validated(
        &self,
        id: &BatchId,
        counts: ListCounts,
    ) -> impl Future<Output = PortResult<bool>> + Send;
}

/// What [`BatchRepo::claim_upload`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadClaim {
    /// This call claimed the batch for the upload: nothing of the batch's
    /// rows was stored before, so they may be written without looking
    /// ([`RecipientRepo::insert_new_recipients`]).
    First,
    /// The batch was already claimed for this upload (a repeated event, a
    /// retry): some of its rows may be stored.
    Again,
    /// Not this upload's: the batch has left `awaiting-upload`, or another
    /// upload claimed it.
    Refused,
}

impl UploadClaim {
    /// Whether the upload may store rows for the batch.
    pub fn is_claimed(self) -> bool {
        self != UploadClaim::Refused
    }
}

/// What validation made of an uploaded list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListCounts {
    pub rows: u64,
    pub accepted: u64,
    pub not_accepted: u64,
}

/// A text the provider took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub seq: Seq,
    pub provider_id: String,
    pub at: DateTime<Utc>,
}

/// What a delivery receipt says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceiptOutcome {
    Delivered,
    TemporaryFailure,
    PermanentFailure,
}

/// A delivery receipt, found by the provider's id for the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub provider_id: String,
    pub outcome: ReceiptOutcome,
    /// The provider's reason, for failures.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// What became of a receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptApplied {
    Applied,
    /// A repeat, or the text's state does not allow it (already final).
    Ignored,
    /// No text has that provider id yet: the receipt came before the sender
    /// recorded the text as sent. Try it again shortly.
    NotYetKnown,
}

pub trait RecipientRepo {
    /// Stores recipients as `queued`; ones already stored are left alone, so
    /// a repeated import changes nothing.
    fn insert_recipients(
        &self,
        batch: &BatchId,
        recipients: &[Recipient],
    ) -> impl Future<Output = PortResult<()>> + Send;

    /// Stores recipients that the caller knows are not stored yet: it holds
    /// the upload's [first claim](UploadClaim::First) and these are rows it
    /// has not stored before. An adapter may write them without looking
    /// first (DynamoDB skips its read before each write). Stores with no
    /// such shortcut store them as [`insert_recipients`](Self::insert_recipients)
    /// does.
    fn insert_new_recipients(
        &self,
        batch: &BatchId,
        recipients: &[Recipient],
    ) -> impl Future<Output = PortResult<()>> + Send {
        self.insert_recipients(batch, recipients)
    }

    /// Those of `seqs` still `queued` in `range`, in order.
    fn queued_in(
        &self,
        batch: &BatchId,
        range: std::ops::Range<Seq>,
    ) -> impl Future<Output = PortResult<Vec<Seq>>> + Send;

    /// Moves each of `seqs` from `queued` to `sending`, and returns the ones
    /// that moved: only those may be sent.
    fn claim(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<Vec<Recipient>>> + Send;

    /// `sending → sent`, keeping the provider's id.
    fn mark_sent(
        &self,
        batch: &BatchId,
        published: &[Published],
    ) -> impl Future<Output = PortResult<()>> + Send;

    /// `sending → queued`: the provider asked us to slow down, or it never
    /// got the text.
    fn requeue(&self, batch: &BatchId, seqs: &[Seq])
    -> impl Future<Output = PortResult<()>> + Send;

    /// `sending → technical-failure`, with the reason.
    fn fail_technical(
        &self,
        batch: &BatchId,
        failed: &[(Seq, String)],
        at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<()>> + Send;

    /// Applies a receipt to the text with that provider id, if its state
    /// allows.
    fn record_receipt(
        &self,
        receipt: &Receipt,
    ) -> impl Future<Output = PortResult<ReceiptApplied>> + Send;

    /// Applies many receipts, in order; what became of each. An adapter that
    /// can do the work in fewer requests overrides this.
    fn record_receipts(
        &self,
        receipts: &[Receipt],
    ) -> impl Future<Output = PortResult<Vec<ReceiptApplied>>> + Send
    where
        Self: Sync,
    {
        async move {
            let mut applied = Vec::with_capacity(receipts.len());
            for receipt in receipts {
                applied.push(self.record_receipt(receipt).await?);
            }
            Ok(applied)
        }
    }

    /// Those of `range` still `queued`, in order, that were given no job at
    /// or after `before`: not queued again from `sending` (a throttled text,
    /// given a job when it was claimed: the one time a store knows) nor
    /// through [`gave_jobs`](Self::gave_jobs) since then. Jobs come from
    /// senders and sweeps on their own clocks: one recorded with an earlier
    /// time never hides a later one. Their wave's release, the first job, is
    /// the caller's to check (the wave's `due`). The sweep asks this of
    /// released waves: a recipient queued for longer than any live job can
    /// take to come round has lost its job.
    fn queued_without_job_since(
        &self,
        batch: &BatchId,
        range: std::ops::Range<Seq>,
        before: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<Vec<Seq>>> + Send;

    /// Records that those of `seqs` still `queued` were given a new job at
    /// `at` (see [`queued_without_job_since`](Self::queued_without_job_since)).
    fn gave_jobs(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<()>> + Send;

    /// `queued → cancelled` for every recipient of the batch still queued;
    /// how many.
    fn cancel_queued(
        &self,
        batch: &BatchId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<u64>> + Send;

    /// `queued → cancelled` for those of `seqs` still queued; how many.
    fn cancel_these(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<u64>> + Send;

    /// Recipients in `sending`, with when they were claimed.
    fn sending(
        &self,
        batch: &BatchId,
    ) -> impl Future<Output = PortResult<Vec<(Seq, DateTime<Utc>)>>> + Send;

    fn counts(
        &self,
        batch: &BatchId,
        range: Option<std::ops::Range<Seq>>,
    ) -> impl Future<Output = PortResult<StatusCounts>> + Send;

    /// Every recipient with its record, in list order.
    fn records(
        &self,
        batch: &BatchId,
    ) -> impl Future<Output = PortResult<Vec<RecipientRecord>>> + Send;
}

pub trait WaveRepo {
    /// Stores the waves as `pending`; ones already stored are left alone.
    fn insert_waves(
        &self,
        batch: &BatchId,
        waves: &[Wave],
    ) -> impl Future<Output = PortResult<()>> + Send;

    fn waves(&self, batch: &BatchId) -> impl Future<Output = PortResult<Vec<Wave>>> + Send;

    /// The waves of every batch still `pending` or `releasing` that were
    /// due before `before`, oldest first: the sweep releases a wave whose
    /// schedule never released it. Kept apart from the rest (a sparse index
    /// on DynamoDB, a partial index in SQLite), so released waves cost the
    /// sweep nothing.
    fn unreleased_due_before(
        &self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<Vec<(BatchId, Wave)>>> + Send;

    /// Moves the wave on if it is in a state `event` applies to; whether it did.
    fn wave_event(
        &self,
        batch: &BatchId,
        wave: u32,
        event: WaveEvent,
    ) -> impl Future<Output = PortResult<bool>> + Send;
}

/// Hands (batch, recipient) jobs to the senders. At least once: a job may
/// arrive twice, which the conditional claim makes harmless.
pub trait SendQueue {
    /// Jobs a sender may take now.
    fn enqueue(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
    ) -> impl Future<Output = PortResult<()>> + Send {
        self.enqueue_after(batch, seqs, std::time::Duration::ZERO)
    }

    /// Jobs no sender takes before `delay` has passed (throttled texts).
    /// A queue may round the delay up to its own granularity, and cap it
    /// (SQS: whole seconds, at most 15 minutes).
    fn enqueue_after(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        delay: std::time::Duration,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// Fires the release of each wave at its time. A schedule may fire more than
/// once; the release is conditional.
pub trait WaveScheduler {
    fn schedule(
        &self,
        batch: &BatchId,
        waves: &[Wave],
    ) -> impl Future<Output = PortResult<()>> + Send;

    /// Removes the schedules of these waves (ones already gone are fine).
    fn unschedule(
        &self,
        batch: &BatchId,
        waves: &[u32],
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// Why the provider did not take a text.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Too many requests: the text was not taken; try again later.
    #[error("the SMS provider asked us to slow down")]
    Throttled,
    /// The provider refused this text; sending it again would not help.
    #[error("the SMS provider refused the text: {0}")]
    Refused(String),
    /// The call failed in a way that leaves unknown whether the text went.
    #[error("the SMS provider could not be reached: {0}")]
    Unavailable(#[source] PortError),
}

/// What the provider knows of texts it may have been given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishedLookup {
    /// Every text it took, of those asked about; the rest it never got.
    Known(HashMap<Seq, Published>),
    /// The provider cannot say (SNS keeps no such record).
    Unknowable,
}

pub trait SmsSender {
    /// Sends one text; the provider's id for it.
    fn publish(
        &self,
        batch: &BatchId,
        recipient: &Recipient,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send;

    /// Which of `seqs` the provider took, if it can tell.
    fn lookup(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
    ) -> impl Future<Output = PortResult<PublishedLookup>> + Send;

    /// Makes every text published so far survive a power loss, before they
    /// are recorded `sent`: a `sent` text must be in the record
    /// [`SmsSender::lookup`] reads, or its receipt never comes. Called once
    /// a group, so one sync covers many texts. A remote provider's answer to
    /// `publish` is already its own record: nothing to do.
    fn make_durable(&self) -> impl Future<Output = PortResult<()>> + Send {
        async { Ok(()) }
    }
}

/// The one sending rate for everything that sends.
pub trait RateLimiter {
    /// Waits until `units` (texts, or fragments) may go.
    fn acquire(&self, units: u32) -> impl Future<Output = PortResult<()>> + Send;
}

pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
