//! One in-memory fake for every sending port. Each state change is made the
//! way the real adapters must make it: conditional on the stored state being
//! one of `sources(event)`, the new state from `apply`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};

use crate::batch::{Batch, BatchId, Recipient, RecipientRecord, Seq, StatusCounts, Wave};
use crate::delivery::{
    BatchEvent, BatchStatus, IllegalTransition, RecipientEvent, RecipientStatus, WaveEvent,
    WaveStatus,
};
use crate::opt_out::OptOutList;
use crate::ports::{
    BatchRepo, Clock, Finished, ListCounts, ObjectStore, OptedOutNumbers, PortError, PortResult,
    PublishError, Published, PublishedLookup, RateLimiter, Receipt, ReceiptApplied, ReceiptOutcome,
    RecipientRepo, Retention, SendQueue, SmsSender, Stamped, StoreError, StoredTemplate,
    TemplateStore, UploadClaim, WaveRepo, WaveScheduler,
};
use crate::test_support::conformance::{ObjectProbe, QueueProbe, SchedulerProbe};

/// The reason the fake gives a cancelled recipient (as the SQLite adapter).
pub use crate::delivery::CANCELLED_REASON as CANCELLED;

/// The one conditional update: `state` moves on `event` only if it is one of
/// the event's sources.
fn moved<S: Copy + PartialEq, E: Copy>(
    state: &mut S,
    event: E,
    sources: fn(E) -> Vec<S>,
    apply: fn(S, E) -> Result<S, IllegalTransition>,
) -> bool {
    if !sources(event).contains(state) {
        return false;
    }
    *state = apply(*state, event).expect("an event applies to each of its sources");
    true
}

fn recipient_moved(status: &mut RecipientStatus, event: RecipientEvent) -> bool {
    moved(
        status,
        event,
        RecipientStatus::sources,
        RecipientStatus::apply,
    )
}

fn port_error(message: &str) -> PortError {
    PortError::new(std::io::Error::other(message.to_owned()))
}

/// What the fake provider can say about texts it may have taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lookup {
    #[default]
    Known,
    Unknowable,
}

/// A recipient as the fake stores it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub record: RecipientRecord,
    pub claimed_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct State {
    pub batches: BTreeMap<BatchId, Batch>,
    pub recipients: BTreeMap<BatchId, BTreeMap<Seq, Stored>>,
    pub waves: BTreeMap<BatchId, BTreeMap<u32, Wave>>,
    pub schedules: BTreeSet<(BatchId, u32)>,
    /// Jobs in the send queue, oldest first.
    pub jobs: VecDeque<(BatchId, Seq)>,
    /// Jobs queued with a delay: not in `jobs`, each with when it may be taken.
    pub delayed_jobs: Vec<(BatchId, Seq, DateTime<Utc>)>,
    pub now: DateTime<Utc>,

    /// Every call of `publish`, in order: the seq asked for.
    pub attempts: Vec<Seq>,
    /// Every text the provider took, in order.
    pub published: Vec<(BatchId, Published)>,
    /// Units asked of the rate limiter, call by call.
    pub acquired: Vec<u32>,

    // The script.
    /// `publish` calls (from 0, counted over the fake's life) that are throttled.
    pub throttle_calls: BTreeSet<usize>,
    /// Seqs the provider refuses, with its reason.
    pub refuse: BTreeMap<Seq, String>,
    /// Seqs whose publish fails as Unavailable; `true`: the provider took
    /// the text all the same (the answer was lost).
    pub unavailable: BTreeMap<Seq, bool>,
    pub lookup: Lookup,
    /// How many of the next `mark_sent` calls fail (the database is
    /// unreachable for that one write).
    pub fail_mark_sent: u32,
    /// Every `mark_sent`, `requeue` and `fail_technical` fails while set: a
    /// sender that stops between publishing and recording.
    pub stopped_before_recording: bool,
    /// The `acquire` call (from 0) that fails.
    pub fail_acquire_call: Option<usize>,
    /// Applied to the batch just before the next `Schedule` event: another
    /// process getting there first.
    pub before_schedule: Option<BatchEvent>,

    /// The object store: key → (bytes, content type).
    pub objects: BTreeMap<String, (Vec<u8>, &'static str)>,
    /// The tag (S3's ETag) of each object `put` stored; an object a test
    /// put in `objects` itself has none, and opens with any tag.
    pub object_tags: BTreeMap<String, String>,
    /// Objects stored by `put`, for the next tag.
    pub puts: u64,
    /// Named templates, by name in lower case.
    pub templates: BTreeMap<String, StoredTemplate>,
    /// The numbers the provider will not text.
    pub provider_opt_outs: Vec<String>,
    /// Reading the object fails after this many bytes.
    pub upload_breaks_after: Option<usize>,
    /// The upload each batch is validated from.
    pub upload_tags: BTreeMap<BatchId, String>,
    /// Batches that moved to a status the sweep looks at and are not yet
    /// completed or closed.
    pub open: BTreeSet<BatchId>,
    /// The latest job each recipient was given other than its wave's
    /// release: queued again from `sending` (at its claim), or `gave_jobs`.
    pub jobs_given: BTreeMap<(BatchId, Seq), DateTime<Utc>>,

    /// Finished batches (completed, or cancelled and closed) not yet all
    /// stamped, with when they were first seen finished.
    pub finished: BTreeMap<BatchId, Option<DateTime<Utc>>>,
    /// Each item's expiry, by batch and the item's key as DynamoDB's
    /// (`BATCH`, `R#0000001`, `W#00001`, `MSG#{provider id}`).
    pub expires_at: BTreeMap<(BatchId, String), DateTime<Utc>>,
    /// Where each batch's stamping stopped.
    pub stamp_cursor: BTreeMap<BatchId, usize>,
    /// Items one `stamp_next` stamps at most.
    pub stamp_page: usize,
    /// How far one `stamp_next` moves the fake's clock on.
    pub stamp_takes: TimeDelta,
}

pub struct Fake {
    state: Mutex<State>,
}

pub use super::{batch_id, recipient, t0};

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

impl Fake {
    pub fn new() -> Self {
        let state = State {
            now: t0(),
            stamp_page: 10,
            ..State::default()
        };
        Self {
            state: Mutex::new(state),
        }
    }

    /// A fake holding the test batch in `status`, with `sizes.len()` waves of
    /// those sizes (pending, each scheduled, an hour apart) and their
    /// recipients, all `queued`.
    pub fn with_batch(status: BatchStatus, sizes: &[u32]) -> Self {
        let fake = Self::with_recipients(status, sizes.iter().sum());
        let id = batch_id();
        let mut st = fake.state();
        let mut first = 0;
        let mut waves = BTreeMap::new();
        for (i, &size) in sizes.iter().enumerate() {
            let number = i as u32 + 1;
            waves.insert(
                number,
                Wave {
                    number,
                    first,
                    size,
                    due: t0() + TimeDelta::hours(i as i64),
                    status: WaveStatus::Pending,
                },
            );
            st.schedules.insert((id.clone(), number));
            first += size;
        }
        st.waves.insert(id, waves);
        drop(st);
        fake
    }

    /// A fake holding the test batch in `status` with `total` recipients,
    /// all `queued`, and no waves yet.
    pub fn with_recipients(status: BatchStatus, total: u32) -> Self {
        let fake = Self::new();
        let id = batch_id();
        {
            let mut st = fake.state();
            st.batches
                .insert(id.clone(), super::batch(id.clone(), status, total));
            let stored = (0..total)
                .map(|seq| (seq, Stored::queued(recipient(seq))))
                .collect();
            st.recipients.insert(id.clone(), stored);
            if status.is_swept() {
                st.open.insert(id);
            }
        }
        fake
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn advance(&self, by: TimeDelta) {
        self.state().now += by;
    }

    pub fn record(&self, seq: Seq) -> RecipientRecord {
        self.state().recipients[&batch_id()][&seq].record.clone()
    }

    pub fn status(&self, seq: Seq) -> RecipientStatus {
        self.record(seq).status
    }

    pub fn statuses(&self) -> Vec<RecipientStatus> {
        self.state().recipients[&batch_id()]
            .values()
            .map(|s| s.record.status)
            .collect()
    }

    pub fn set_status(&self, seq: Seq, status: RecipientStatus) {
        self.state()
            .recipients
            .get_mut(&batch_id())
            .unwrap()
            .get_mut(&seq)
            .unwrap()
            .record
            .status = status;
    }

    pub fn batch_status(&self) -> BatchStatus {
        self.state().batches[&batch_id()].status
    }

    pub fn wave_status(&self, number: u32) -> WaveStatus {
        self.state().waves[&batch_id()][&number].status
    }

    pub fn set_wave_status(&self, number: u32, status: WaveStatus) {
        self.state()
            .waves
            .get_mut(&batch_id())
            .unwrap()
            .get_mut(&number)
            .unwrap()
            .status = status;
    }

    /// The waves of the test batch with a schedule still standing.
    pub fn scheduled(&self) -> Vec<u32> {
        let id = batch_id();
        self.state()
            .schedules
            .iter()
            .filter(|(b, _)| *b == id)
            .map(|(_, n)| *n)
            .collect()
    }

    /// Takes every job from the queue.
    pub fn take_jobs(&self) -> Vec<Seq> {
        self.state().jobs.drain(..).map(|(_, seq)| seq).collect()
    }

    /// Takes up to `n` jobs from the front of the queue.
    pub fn take_some_jobs(&self, n: usize) -> Vec<Seq> {
        let mut st = self.state();
        let n = n.min(st.jobs.len());
        st.jobs.drain(..n).map(|(_, seq)| seq).collect()
    }

    /// Texts the provider took for `seq`.
    pub fn texts_to(&self, seq: Seq) -> usize {
        self.state()
            .published
            .iter()
            .filter(|(_, p)| p.seq == seq)
            .count()
    }

    /// Texts the provider took, for each recipient of the test batch.
    pub fn texts_per_recipient(&self) -> Vec<usize> {
        let seqs: Vec<Seq> = self.state().recipients[&batch_id()]
            .keys()
            .copied()
            .collect();
        seqs.into_iter().map(|s| self.texts_to(s)).collect()
    }

    pub fn texts(&self) -> usize {
        self.state().published.len()
    }

    /// The provider's id for the text it took for `seq`.
    pub fn provider_id(&self, seq: Seq) -> Option<String> {
        self.state()
            .published
            .iter()
            .find(|(_, p)| p.seq == seq)
            .map(|(_, p)| p.provider_id.clone())
    }

    /// Throttle the `n`th `publish` from now (0: the next one).
    pub fn throttle_in(&self, n: usize) {
        let mut st = self.state();
        let call = st.attempts.len() + n;
        st.throttle_calls.insert(call);
    }
}

impl Stored {
    pub fn queued(recipient: Recipient) -> Self {
        Self {
            record: RecipientRecord {
                recipient,
                status: RecipientStatus::Queued,
                reason: None,
                provider_id: None,
                sent_at: None,
                receipt_at: None,
            },
            claimed_at: None,
        }
    }
}

impl State {
    /// Records a job given at `at`, unless a later one was.
    fn gave_job(&mut self, batch: &BatchId, seq: Seq, at: DateTime<Utc>) {
        let given = self.jobs_given.entry((batch.clone(), seq)).or_insert(at);
        *given = (*given).max(at);
    }

    fn refuse_record_if_stopped(&self) -> PortResult<()> {
        if self.stopped_before_recording {
            return Err(port_error(
                "the sender stopped before recording what it sent",
            ));
        }
        Ok(())
    }

    fn recipients_of(&mut self, batch: &BatchId) -> Option<&mut BTreeMap<Seq, Stored>> {
        self.recipients.get_mut(batch)
    }

    /// Applies `event` to recipient `seq`; whether it moved.
    fn recipient_event(
        &mut self,
        batch: &BatchId,
        seq: Seq,
        event: RecipientEvent,
    ) -> Option<&mut Stored> {
        let stored = self.recipients_of(batch)?.get_mut(&seq)?;
        recipient_moved(&mut stored.record.status, event).then_some(stored)
    }
}

impl BatchRepo for Fake {
    async fn create_batch(&self, batch: &Batch) -> PortResult<bool> {
        let mut st = self.state();
        if st.batches.contains_key(&batch.id) {
            return Ok(false);
        }
        st.batches.insert(batch.id.clone(), batch.clone());
        if batch.status.is_swept() {
            st.open.insert(batch.id.clone());
        }
        Ok(true)
    }

    async fn batch(&self, id: &BatchId) -> PortResult<Option<Batch>> {
        Ok(self.state().batches.get(id).cloned())
    }

    async fn batches(&self) -> PortResult<Vec<Batch>> {
        let mut batches: Vec<Batch> = self.state().batches.values().cloned().collect();
        batches.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
        Ok(batches)
    }

    async fn open_batches(&self) -> PortResult<Vec<Batch>> {
        let st = self.state();
        let mut open: Vec<Batch> = st.open.iter().map(|id| st.batches[id].clone()).collect();
        open.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        Ok(open)
    }

    async fn close(&self, id: &BatchId) -> PortResult<bool> {
        let mut st = self.state();
        let cancelled = st
            .batches
            .get(id)
            .is_some_and(|b| b.status == BatchStatus::Cancelled);
        let closed = cancelled && st.open.remove(id);
        if closed {
            st.finished.insert(id.clone(), None);
        }
        Ok(closed)
    }

    async fn batch_event(&self, id: &BatchId, event: BatchEvent) -> PortResult<bool> {
        let mut guard = self.state();
        let st = &mut *guard;
        let before = if event == BatchEvent::Schedule {
            st.before_schedule.take()
        } else {
            None
        };
        let Some(batch) = st.batches.get_mut(id) else {
            return Ok(false);
        };
        if let Some(other) = before {
            moved(
                &mut batch.status,
                other,
                BatchStatus::sources,
                BatchStatus::apply,
            );
        }
        let happened = moved(
            &mut batch.status,
            event,
            BatchStatus::sources,
            BatchStatus::apply,
        );
        let (swept, is_final) = (batch.status.is_swept(), batch.status.is_final());
        if happened && swept {
            st.open.insert(id.clone());
        } else if happened {
            st.open.remove(id);
            if is_final {
                st.finished.insert(id.clone(), None);
            }
        }
        Ok(happened)
    }

    async fn claim_upload(&self, id: &BatchId, tag: &str) -> PortResult<UploadClaim> {
        let mut st = self.state();
        let waiting = st
            .batches
            .get(id)
            .is_some_and(|b| b.status == BatchStatus::AwaitingUpload);
        if !waiting {
            return Ok(UploadClaim::Refused);
        }
        Ok(match st.upload_tags.entry(id.clone()) {
            std::collections::btree_map::Entry::Vacant(vacant) => {
                vacant.insert(tag.to_owned());
                UploadClaim::First
            }
            std::collections::btree_map::Entry::Occupied(held) if held.get() == tag => {
                UploadClaim::Again
            }
            std::collections::btree_map::Entry::Occupied(_) => UploadClaim::Refused,
        })
    }

    async fn mark_validated(&self, id: &BatchId, counts: ListCounts) -> PortResult<bool> {
        let mut st = self.state();
        let Some(batch) = st.batches.get_mut(id) else {
            return Ok(false);
        };
        let validated = moved(
            &mut batch.status,
            BatchEvent::Validate,
            BatchStatus::sources,
            BatchStatus::apply,
        );
        if validated {
            (batch.rows, batch.accepted, batch.not_accepted) =
                (counts.rows, counts.accepted, counts.not_accepted);
        }
        Ok(validated)
    }
}

impl RecipientRepo for Fake {
    async fn insert_recipients(&self, batch: &BatchId, recipients: &[Recipient]) -> PortResult<()> {
        let mut st = self.state();
        let stored = st.recipients.entry(batch.clone()).or_default();
        for r in recipients {
            stored
                .entry(r.seq)
                .or_insert_with(|| Stored::queued(r.clone()));
        }
        Ok(())
    }

    async fn queued_in(
        &self,
        batch: &BatchId,
        range: std::ops::Range<Seq>,
    ) -> PortResult<Vec<Seq>> {
        let st = self.state();
        Ok(st
            .recipients
            .get(batch)
            .map(|stored| {
                stored
                    .range(range)
                    .filter(|(_, s)| s.record.status == RecipientStatus::Queued)
                    .map(|(seq, _)| *seq)
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn claim(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<Vec<Recipient>> {
        let mut st = self.state();
        let mut claimed = Vec::new();
        for &seq in seqs {
            if let Some(stored) = st.recipient_event(batch, seq, RecipientEvent::Claim) {
                stored.claimed_at = Some(at);
                claimed.push(stored.record.recipient.clone());
            }
        }
        Ok(claimed)
    }

    async fn mark_sent(&self, batch: &BatchId, published: &[Published]) -> PortResult<()> {
        let mut st = self.state();
        st.refuse_record_if_stopped()?;
        if st.fail_mark_sent > 0 {
            st.fail_mark_sent -= 1;
            return Err(port_error("the database could not record what was sent"));
        }
        for p in published {
            if let Some(stored) = st.recipient_event(batch, p.seq, RecipientEvent::Published) {
                stored.record.provider_id = Some(p.provider_id.clone());
                stored.record.sent_at = Some(p.at);
            }
        }
        Ok(())
    }

    async fn requeue(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<()> {
        let mut st = self.state();
        st.refuse_record_if_stopped()?;
        for &seq in seqs {
            if let Some(stored) = st.recipient_event(batch, seq, RecipientEvent::Throttled) {
                // The job it goes back to counts from its claim.
                let claimed_at = stored.claimed_at.take();
                if let Some(at) = claimed_at {
                    st.gave_job(batch, seq, at);
                }
            }
        }
        Ok(())
    }

    async fn fail_technical(
        &self,
        batch: &BatchId,
        failed: &[(Seq, String)],
        at: DateTime<Utc>,
    ) -> PortResult<()> {
        let mut st = self.state();
        st.refuse_record_if_stopped()?;
        for (seq, reason) in failed {
            if let Some(stored) = st.recipient_event(batch, *seq, RecipientEvent::TechnicalFailure)
            {
                stored.record.reason = Some(reason.clone());
                stored.record.receipt_at = Some(at);
            }
        }
        Ok(())
    }

    async fn record_receipt(&self, receipt: &Receipt) -> PortResult<ReceiptApplied> {
        let event = match receipt.outcome {
            ReceiptOutcome::Delivered => RecipientEvent::Delivered,
            ReceiptOutcome::TemporaryFailure => RecipientEvent::TemporaryFailure,
            ReceiptOutcome::PermanentFailure => RecipientEvent::PermanentFailure,
        };
        let mut st = self.state();
        let found = st
            .recipients
            .values_mut()
            .flat_map(|stored| stored.values_mut())
            .find(|s| s.record.provider_id.as_deref() == Some(receipt.provider_id.as_str()));
        let Some(stored) = found else {
            return Ok(ReceiptApplied::NotYetKnown);
        };
        if !recipient_moved(&mut stored.record.status, event) {
            return Ok(ReceiptApplied::Ignored);
        }
        stored.record.reason.clone_from(&receipt.reason);
        stored.record.receipt_at = Some(receipt.at);
        Ok(ReceiptApplied::Applied)
    }

    async fn queued_without_job_since(
        &self,
        batch: &BatchId,
        range: std::ops::Range<Seq>,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<Seq>> {
        let st = self.state();
        Ok(st
            .recipients
            .get(batch)
            .into_iter()
            .flat_map(|stored| stored.range(range.clone()))
            .filter(|(_, s)| s.record.status == RecipientStatus::Queued)
            .map(|(seq, _)| *seq)
            .filter(|seq| {
                st.jobs_given
                    .get(&(batch.clone(), *seq))
                    .is_none_or(|given| *given < before)
            })
            .collect())
    }

    async fn gave_jobs(&self, batch: &BatchId, seqs: &[Seq], at: DateTime<Utc>) -> PortResult<()> {
        let mut st = self.state();
        for &seq in seqs {
            let queued = st
                .recipients
                .get(batch)
                .and_then(|stored| stored.get(&seq))
                .is_some_and(|s| s.record.status == RecipientStatus::Queued);
            if queued {
                st.gave_job(batch, seq, at);
            }
        }
        Ok(())
    }

    async fn cancel_queued(&self, batch: &BatchId, at: DateTime<Utc>) -> PortResult<u64> {
        let mut st = self.state();
        let mut cancelled = 0;
        for stored in st
            .recipients_of(batch)
            .into_iter()
            .flat_map(|s| s.values_mut())
        {
            if recipient_moved(&mut stored.record.status, RecipientEvent::Cancel) {
                stored.record.reason = Some(CANCELLED.to_owned());
                stored.record.receipt_at = Some(at);
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }

    async fn cancel_these(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<u64> {
        let mut st = self.state();
        let mut cancelled = 0;
        if let Some(stored) = st.recipients_of(batch) {
            for seq in seqs {
                if let Some(stored) = stored.get_mut(seq)
                    && recipient_moved(&mut stored.record.status, RecipientEvent::Cancel)
                {
                    stored.record.reason = Some(CANCELLED.to_owned());
                    stored.record.receipt_at = Some(at);
                    cancelled += 1;
                }
            }
        }
        Ok(cancelled)
    }

    async fn sending(&self, batch: &BatchId) -> PortResult<Vec<(Seq, DateTime<Utc>)>> {
        let st = self.state();
        Ok(st
            .recipients
            .get(batch)
            .into_iter()
            .flat_map(|s| s.iter())
            .filter(|(_, s)| s.record.status == RecipientStatus::Sending)
            .map(|(seq, s)| (*seq, s.claimed_at.expect("a claimed recipient has a time")))
            .collect())
    }

    async fn counts(
        &self,
        batch: &BatchId,
        range: Option<std::ops::Range<Seq>>,
    ) -> PortResult<StatusCounts> {
        let st = self.state();
        let range = range.unwrap_or(0..Seq::MAX);
        let mut by_status: BTreeMap<&str, (RecipientStatus, u64)> = BTreeMap::new();
        let mut reasons: BTreeMap<(&str, String), (RecipientStatus, u64)> = BTreeMap::new();
        for stored in st
            .recipients
            .get(batch)
            .into_iter()
            .flat_map(|s| s.range(range.clone()))
            .map(|(_, s)| s)
        {
            let status = stored.record.status;
            by_status.entry(status.as_str()).or_insert((status, 0)).1 += 1;
            if let Some(reason) = &stored.record.reason {
                reasons
                    .entry((status.as_str(), reason.clone()))
                    .or_insert((status, 0))
                    .1 += 1;
            }
        }
        // By status name, then most first, then by reason.
        let mut reasons: Vec<_> = reasons.into_iter().collect();
        reasons.sort_by(
            |((sa, ra), (_, na)): &((&str, String), (RecipientStatus, u64)),
             ((sb, rb), (_, nb))| { sa.cmp(sb).then(nb.cmp(na)).then(ra.cmp(rb)) },
        );
        Ok(StatusCounts {
            by_status: by_status.into_values().collect(),
            reasons: reasons
                .into_iter()
                .map(|((_, reason), (status, n))| (status, reason, n))
                .collect(),
        })
    }

    async fn records(&self, batch: &BatchId) -> PortResult<Vec<RecipientRecord>> {
        let st = self.state();
        Ok(st
            .recipients
            .get(batch)
            .into_iter()
            .flat_map(|s| s.values())
            .map(|s| s.record.clone())
            .collect())
    }
}

impl WaveRepo for Fake {
    async fn insert_waves(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        let mut st = self.state();
        let stored = st.waves.entry(batch.clone()).or_default();
        for w in waves {
            stored.entry(w.number).or_insert_with(|| Wave {
                status: WaveStatus::Pending,
                ..w.clone()
            });
        }
        Ok(())
    }

    async fn waves(&self, batch: &BatchId) -> PortResult<Vec<Wave>> {
        let st = self.state();
        Ok(st
            .waves
            .get(batch)
            .into_iter()
            .flat_map(|w| w.values().cloned())
            .collect())
    }

    async fn unreleased_due_before(
        &self,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<(BatchId, Wave)>> {
        let st = self.state();
        let mut overdue: Vec<(BatchId, Wave)> = st
            .waves
            .iter()
            .flat_map(|(id, waves)| waves.values().map(move |w| (id.clone(), w.clone())))
            .filter(|(_, w)| !w.status.is_final() && w.due < before)
            .collect();
        overdue.sort_by_key(|(id, w)| (w.due, id.clone(), w.number));
        Ok(overdue)
    }

    async fn wave_event(&self, batch: &BatchId, wave: u32, event: WaveEvent) -> PortResult<bool> {
        let mut st = self.state();
        let Some(stored) = st.waves.get_mut(batch).and_then(|w| w.get_mut(&wave)) else {
            return Ok(false);
        };
        Ok(moved(
            &mut stored.status,
            event,
            WaveStatus::sources,
            WaveStatus::apply,
        ))
    }
}

impl SendQueue for Fake {
    async fn enqueue_after(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        delay: std::time::Duration,
    ) -> PortResult<()> {
        let mut st = self.state();
        if delay.is_zero() {
            st.jobs.extend(seqs.iter().map(|&seq| (batch.clone(), seq)));
        } else {
            let delay = TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX);
            let at = st
                .now
                .checked_add_signed(delay)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            let delayed = seqs.iter().map(|&seq| (batch.clone(), seq, at));
            st.delayed_jobs.extend(delayed);
        }
        Ok(())
    }
}

impl WaveScheduler for Fake {
    async fn schedule(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        let mut st = self.state();
        for w in waves {
            st.schedules.insert((batch.clone(), w.number));
        }
        Ok(())
    }

    async fn unschedule(&self, batch: &BatchId, waves: &[u32]) -> PortResult<()> {
        let mut st = self.state();
        for &w in waves {
            st.schedules.remove(&(batch.clone(), w));
        }
        Ok(())
    }
}

impl SmsSender for Fake {
    async fn publish(
        &self,
        batch: &BatchId,
        recipient: &Recipient,
    ) -> Result<Published, PublishError> {
        let mut st = self.state();
        let call = st.attempts.len();
        st.attempts.push(recipient.seq);
        if st.throttle_calls.contains(&call) {
            return Err(PublishError::Throttled);
        }
        if let Some(reason) = st.refuse.get(&recipient.seq) {
            return Err(PublishError::Refused(reason.clone()));
        }
        let lost = st.unavailable.get(&recipient.seq).copied();
        if lost == Some(false) {
            return Err(PublishError::Unavailable(port_error("connection refused")));
        }
        let published = Published {
            seq: recipient.seq,
            provider_id: format!("msg-{}", st.published.len() + 1),
            at: st.now,
        };
        st.published.push((batch.clone(), published.clone()));
        match lost {
            Some(_) => Err(PublishError::Unavailable(port_error("connection reset"))),
            None => Ok(published),
        }
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        let st = self.state();
        if st.lookup == Lookup::Unknowable {
            return Ok(PublishedLookup::Unknowable);
        }
        let known: HashMap<Seq, Published> = st
            .published
            .iter()
            .filter(|(b, p)| b == batch && seqs.contains(&p.seq))
            .map(|(_, p)| (p.seq, p.clone()))
            .collect();
        Ok(PublishedLookup::Known(known))
    }
}

impl RateLimiter for Fake {
    async fn acquire(&self, units: u32) -> PortResult<()> {
        let mut st = self.state();
        let call = st.acquired.len();
        st.acquired.push(units);
        if st.fail_acquire_call == Some(call) {
            return Err(port_error("the rate limiter's table is unreachable"));
        }
        Ok(())
    }
}

impl Fake {
    /// The keys of `batch`'s items other than its own, in the order the
    /// fake stamps them: each recipient and its `MSG#` item, then the waves.
    fn item_keys(st: &State, batch: &BatchId) -> Vec<String> {
        let mut keys = Vec::new();
        for (seq, stored) in st.recipients.get(batch).into_iter().flatten() {
            keys.push(format!("R#{seq:07}"));
            if let Some(id) = &stored.record.provider_id {
                keys.push(format!("MSG#{id}"));
            }
        }
        for number in st.waves.get(batch).into_iter().flat_map(|w| w.keys()) {
            keys.push(format!("W#{number:05}"));
        }
        keys
    }
}

impl Retention for Fake {
    async fn finished(&self, limit: usize) -> PortResult<Vec<Finished>> {
        let st = self.state();
        let mut finished: Vec<Finished> = st
            .finished
            .iter()
            .map(|(id, at)| Finished {
                id: id.clone(),
                finished_at: *at,
            })
            .collect();
        finished.sort_by_key(|f| (st.batches[&f.id].created_at, f.id.clone()));
        finished.truncate(limit);
        Ok(finished)
    }

    async fn record_finished_at(
        &self,
        batch: &BatchId,
        at: DateTime<Utc>,
    ) -> PortResult<Option<DateTime<Utc>>> {
        let mut st = self.state();
        Ok(st
            .finished
            .get_mut(batch)
            .map(|recorded| *recorded.get_or_insert(at)))
    }

    async fn stamp_next(&self, batch: &BatchId, expires_at: DateTime<Utc>) -> PortResult<Stamped> {
        let mut guard = self.state();
        let st = &mut *guard;
        st.now += st.stamp_takes;
        if !st.finished.contains_key(batch) {
            return Ok(Stamped {
                items: 0,
                done: true,
            });
        }
        let keys = Self::item_keys(st, batch);
        let from = st.stamp_cursor.get(batch).copied().unwrap_or(0);
        let to = (from + st.stamp_page.max(1)).min(keys.len());
        for key in &keys[from..to] {
            st.expires_at
                .insert((batch.clone(), key.clone()), expires_at);
        }
        let mut items = (to - from) as u64;
        st.stamp_cursor.insert(batch.clone(), to);
        let done = to == keys.len();
        if done {
            st.expires_at
                .insert((batch.clone(), "BATCH".to_owned()), expires_at);
            st.finished.remove(batch);
            st.stamp_cursor.remove(batch);
            items += 1;
        }
        Ok(Stamped { items, done })
    }
}

impl Clock for Fake {
    fn now(&self) -> DateTime<Utc> {
        self.state().now
    }
}

impl ObjectStore for Fake {
    type Staged = Vec<u8>;

    async fn open(
        &self,
        key: &str,
        tag: Option<&str>,
    ) -> PortResult<Option<Box<dyn std::io::Read + Send>>> {
        let st = self.state();
        let Some((bytes, _)) = st.objects.get(key) else {
            return Ok(None);
        };
        if let (Some(wanted), Some(stored)) = (tag, st.object_tags.get(key))
            && wanted != stored
        {
            return Ok(None);
        }
        let whole = std::io::Cursor::new(bytes.clone());
        Ok(Some(match st.upload_breaks_after {
            None => Box::new(whole),
            Some(n) => Box::new(std::io::Read::chain(
                std::io::Read::take(whole, n as u64),
                BrokenReader,
            )),
        }))
    }

    fn stage(&self) -> PortResult<Vec<u8>> {
        Ok(Vec::new())
    }

    async fn put(&self, key: &str, staged: Vec<u8>, content_type: &'static str) -> PortResult<()> {
        let mut st = self.state();
        st.puts += 1;
        let tag = format!("tag-{}", st.puts);
        st.object_tags.insert(key.to_owned(), tag);
        st.objects.insert(key.to_owned(), (staged, content_type));
        Ok(())
    }
}

/// A connection that drops.
struct BrokenReader;

impl std::io::Read for BrokenReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset",
        ))
    }
}

impl OptedOutNumbers for Fake {
    async fn opted_out(&self) -> PortResult<OptOutList> {
        let mut list = OptOutList::default();
        for number in &self.state().provider_opt_outs {
            list.add_mobile(number);
        }
        Ok(list)
    }
}

/// Names are compared in ASCII lower case, as SQLite's `NOCASE` does.
impl TemplateStore for Fake {
    async fn save(&self, template: &StoredTemplate, replace: bool) -> Result<bool, StoreError> {
        let mut st = self.state();
        let key = template.name.to_ascii_lowercase();
        if st.templates.contains_key(&key) && !replace {
            return Ok(false);
        }
        st.templates.insert(key, template.clone());
        Ok(true)
    }

    async fn get(&self, name: &str) -> Result<Option<StoredTemplate>, StoreError> {
        Ok(self
            .state()
            .templates
            .get(&name.to_ascii_lowercase())
            .cloned())
    }

    async fn list(&self) -> Result<Vec<StoredTemplate>, StoreError> {
        Ok(self.state().templates.values().cloned().collect())
    }

    async fn remove(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .templates
            .remove(&name.to_ascii_lowercase())
            .is_some())
    }
}

/// What the fake's queue, scheduler and object store hold, for the
/// conformance suites.
pub struct FakeProbe;

impl FakeProbe {
    /// Takes `batch`'s jobs, and its delayed jobs due by `until`.
    fn take(queue: &Fake, batch: &BatchId, until: Option<DateTime<Utc>>) -> Vec<Seq> {
        let mut st = queue.state();
        let (theirs, others): (VecDeque<_>, VecDeque<_>) =
            st.jobs.drain(..).partition(|(b, _)| b == batch);
        st.jobs = others;
        let (due, later): (Vec<_>, Vec<_>) = st
            .delayed_jobs
            .drain(..)
            .partition(|(b, _, at)| b == batch && until.is_none_or(|until| *at <= until));
        st.delayed_jobs = later;
        let theirs = theirs.into_iter().map(|(_, seq)| seq);
        theirs
            .chain(due.into_iter().map(|(_, seq, _)| seq))
            .collect()
    }
}

impl QueueProbe<Fake> for FakeProbe {
    async fn take_jobs(&self, queue: &Fake, batch: &BatchId) -> Vec<Seq> {
        Self::take(queue, batch, None)
    }

    async fn take_ready_jobs(&self, queue: &Fake, batch: &BatchId) -> Vec<Seq> {
        let now = queue.now();
        Self::take(queue, batch, Some(now))
    }
}

impl SchedulerProbe<Fake> for FakeProbe {
    async fn scheduled(&self, scheduler: &Fake, batch: &BatchId) -> Vec<u32> {
        scheduler
            .state()
            .schedules
            .iter()
            .filter(|(b, _)| b == batch)
            .map(|(_, n)| *n)
            .collect()
    }
}

impl ObjectProbe<Fake> for FakeProbe {
    async fn tag(&self, store: &Fake, key: &str) -> Option<String> {
        store.state().object_tags.get(key).cloned()
    }

    async fn content_type(&self, store: &Fake, key: &str) -> Option<String> {
        store
            .state()
            .objects
            .get(key)
            .map(|(_, content_type)| (*content_type).to_owned())
    }
}
