//! The embedded default's event sources: what SQS, EventBridge Scheduler and
//! the delivery-log subscription do on AWS, as tasks in this process. Each
//! batch is driven by the process holding its lock; the use cases decide
//! everything else.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{Clock, RecipientRepo, SharedClock};
use batchmsg_core::rate::{Limiter, Within};
use batchmsg_core::sending::{
    Pacing, RateUnit, SendUntil, finish_if_done, record_receipts, release_wave, resume_batch,
    send_texts,
};
use batchmsg_core::waves::{LATE_AFTER, LateBecause, TimingNote, Window, catch_up, parse_window};
use batchmsg_local::outbox::{Outbox, ReceiptFeed};
use batchmsg_local::{Database, LockError, SendingLock};
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use tokio::sync::Mutex;

/// How long after a text the simulated provider reports on it.
pub const RECEIPT_DELAY: Duration = Duration::from_millis(800);

/// How long a receipt that overtook its text's `sent` waits to be tried again.
const RECEIPT_RETRY: chrono::TimeDelta = chrono::TimeDelta::milliseconds(500);

/// How long a throttled text waits before it is tried again.
const THROTTLE_BACKOFF: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// The longest sleep between looks at the database, so that a cancel from
/// another process is noticed.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Jobs a worker takes at once when nothing limits the rate.
const UNLIMITED_CHUNK: usize = 500;

/// Sending workers per batch.
const WORKERS: usize = 4;

/// The sending rate, in texts or fragments a second; none means as fast as
/// the machine goes.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub per_second: Option<NonZeroU32>,
    pub unit: RateUnit,
}

/// The adapters, built once.
pub struct Local {
    pub data_dir: PathBuf,
    pub db: Database,
    pub outbox: Outbox,
    /// The data folder's one limit (`run --rate`), in texts, shared by
    /// every batch this process sends; each batch also keeps its own rate.
    folder: Arc<Limiter>,
    /// Texts a stopped process sent just before this one opened, with their
    /// fragments: they still count against the rates for a second.
    earlier: Vec<(DateTime<Utc>, u32)>,
    clock: SharedClock,
    idle_poll: Duration,
    feed: Mutex<ReceiptFeed>,
}

impl Local {
    /// `folder_limit`: at most this many texts a second from the whole data
    /// folder (none: only each batch's own rate).
    pub fn open(data_dir: PathBuf, folder_limit: Option<NonZeroU32>) -> anyhow::Result<Arc<Self>> {
        Self::open_with(data_dir, folder_limit, SharedClock::default(), IDLE_POLL)
    }

    /// As [`Local::open`], with the clock every part reads and the longest
    /// sleep between looks at the database.
    pub fn open_with(
        data_dir: PathBuf,
        folder_limit: Option<NonZeroU32>,
        clock: SharedClock,
        idle_poll: Duration,
    ) -> anyhow::Result<Arc<Self>> {
        let db = Database::open(&data_dir)?;
        let outbox = Outbox::open(&data_dir)
            .with_context(|| format!("cannot open the outbox in {}", data_dir.display()))?
            .with_clock(clock.clone());
        let mut feed = ReceiptFeed::new(outbox.path(), RECEIPT_DELAY);
        feed.resume_from(db.receipt_feed_offset()?);
        let now = clock.now();
        let earlier = outbox.sent_since(now - chrono::TimeDelta::seconds(2))?;
        let folder = Arc::new(Limiter::per_second_after(
            folder_limit,
            &ago(&earlier, now, RateUnit::Texts),
        ));
        Ok(Arc::new(Self {
            data_dir,
            db,
            outbox,
            folder,
            earlier,
            clock,
            idle_poll,
            feed: Mutex::new(feed),
        }))
    }

    /// The limiter for one batch: its own rate (from `send`), within the
    /// folder's. Texts sent just before this process started count against
    /// both (whichever batch they were of: a second at most).
    fn limiter_for(&self, rate: Rate) -> Within {
        let earlier = ago(&self.earlier, self.clock.now(), rate.unit);
        Within {
            own: Limiter::per_second_after(rate.per_second, &earlier),
            own_unit: rate.unit,
            shared: self.folder.clone(),
            shared_unit: RateUnit::Texts,
        }
    }
}

/// `sent` (times and fragments) as how long before `now`, in `unit`s.
fn ago(sent: &[(DateTime<Utc>, u32)], now: DateTime<Utc>, unit: RateUnit) -> Vec<(Duration, u32)> {
    sent.iter()
        .map(|&(at, fragments)| {
            (
                (now - at).to_std().unwrap_or_default(),
                unit.units(fragments),
            )
        })
        .collect()
}

/// About half a second of work per worker at `rate`, so claims stay fresh.
fn chunk_for(rate: Option<NonZeroU32>) -> usize {
    rate.map_or(UNLIMITED_CHUNK, |limit| {
        (limit.get() as usize / (2 * WORKERS)).clamp(1, UNLIMITED_CHUNK)
    })
}

/// A batch's sending window as a [`SendUntil`]: texts may start only while
/// it is open (always, without one).
#[derive(Clone, Copy)]
struct InWindow<'a>(Option<&'a Window>);

impl SendUntil for InWindow<'_> {
    fn may_start(&self, now: DateTime<Utc>) -> bool {
        self.0.is_none_or(|window| window.may_start(now))
    }
}

/// Drives `batches` until none has work left, then waits for the receipts
/// of what was sent. `progress` follows texts as they are handled. A wave
/// found overdue on starting is late `because` (`run`: batchmsg was not
/// running; `send`: the plan waited to be confirmed).
pub async fn drive(
    local: Arc<Local>,
    batches: Vec<BatchId>,
    progress: Option<ProgressBar>,
    because: LateBecause,
) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for batch in batches {
        let local = local.clone();
        let progress = progress.clone();
        tasks.spawn(async move { drive_batch(&local, &batch, progress.as_ref(), because).await });
    }
    let mut result = Ok(());
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => { result = result.and(Err(error)); }
                Some(Err(panicked)) => {
                    result = result.and(Err(anyhow::anyhow!("a sending task stopped: {panicked}")));
                }
            },
            () = tokio::time::sleep(local.idle_poll) => { pump_receipts(&local).await?; }
        }
    }
    // Everything is sent: wait for the provider's last receipts.
    loop {
        let next = pump_receipts(&local).await?;
        match next {
            None => break,
            Some(due) => {
                sleep_until(&local.clock, due, Duration::from_secs(5)).await;
            }
        }
    }
    result
}

/// Records every receipt now due; when the next is due, if any is pending.
async fn pump_receipts(local: &Local) -> anyhow::Result<Option<DateTime<Utc>>> {
    let mut feed = local.feed.lock().await;
    let receipts = feed
        .poll(local.clock.now())
        .context("cannot read the outbox for receipts")?;
    if !receipts.is_empty() {
        let recorded = record_receipts(&local.db, &receipts).await?;
        tracing::debug!(
            applied = recorded.applied,
            ignored = recorded.ignored,
            early = recorded.early.len(),
            "recorded receipts"
        );
        let dropped = feed.retry_at(recorded.early, local.clock.now() + RECEIPT_RETRY, |text| {
            local.db.may_take_receipt(&text.batch, text.seq)
        })?;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "receipts for texts never recorded as sent were dropped"
            );
        }
    }
    local.db.save_receipt_feed_offset(feed.offset())?;
    Ok(if feed.pending() {
        Some(feed.next_due().unwrap_or_else(|| local.clock.now()))
    } else {
        None
    })
}

/// Sleeps until `at` by `clock`, or for `at_most`; whether the clock then
/// reads more than [`LATE_AFTER`] past the planned wake-up (the computer
/// slept, or the clock jumped).
async fn sleep_until(clock: &SharedClock, at: DateTime<Utc>, at_most: Duration) -> bool {
    let now = clock.now();
    let wait = (at - now).to_std().unwrap_or_default().min(at_most);
    tokio::time::sleep(wait).await;
    let planned = now + chrono::TimeDelta::from_std(wait).unwrap_or_default();
    clock.now() > planned + LATE_AFTER
}

/// Settles what a stopped process left, then fires the batch's waves at
/// their times and sends what they queue, until nothing is left to send.
/// Waves found overdue on starting (late `because`) or after the process
/// was held up go one by one with their planned gaps; texts go only while
/// the batch's window is open.
async fn drive_batch(
    local: &Arc<Local>,
    batch: &BatchId,
    progress: Option<&ProgressBar>,
    because: LateBecause,
) -> anyhow::Result<()> {
    let _lock = match SendingLock::try_acquire(&local.data_dir, batch) {
        Ok(lock) => lock,
        Err(busy @ LockError::Busy(_)) => {
            eprintln!("Skipped: {busy}");
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    };
    let db = &local.db;
    let returned = db.return_taken_jobs(batch)?;
    let resumed = resume_batch(db, db, db, &local.outbox, db, &local.clock, batch).await?;
    let orphans = db.queue_orphans(batch, local.clock.now())?;
    if returned > 0 || orphans > 0 || resumed != Default::default() {
        tracing::info!(
            batch = %batch,
            jobs_returned = returned,
            found_sent = resumed.recovered.sent,
            requeued = resumed.recovered.requeued,
            releases_finished = resumed.releases_finished,
            cancelled = resumed.cancelled,
            orphans_queued = orphans,
            "resumed a batch a stopped process left part-sent"
        );
    }
    let rate = match db.send_rate(batch)? {
        Some((per_second, unit)) => Rate { per_second, unit },
        None => Rate {
            per_second: None,
            unit: RateUnit::Texts,
        },
    };
    let sending = Arc::new(Sending {
        limiter: local.limiter_for(rate),
        window: match db.send_window(batch)? {
            Some(spec) => Some(
                parse_window(&spec)
                    .with_context(|| format!("batch {batch}'s stored sending window"))?,
            ),
            None => None,
        },
        chunk: chunk_for(rate.per_second),
    });
    let mut interrupted = Some(because);
    loop {
        if let Some(because) = interrupted.take() {
            catch_up_waves(local, batch, sending.window.as_ref(), because)?;
        }
        let mut worked = false;
        for due in db.due_waves(batch, local.clock.now())? {
            let release = release_wave(db, db, db, db, batch, due.wave).await?;
            db.fired(&due)?;
            tracing::info!(batch = %batch, wave = due.wave, ?release, "wave released");
            worked = true;
        }
        if let Some(progress) = progress.filter(|_| worked) {
            progress.set_message("");
        }
        worked |= send_queued(local, batch, &sending, progress).await?;
        if worked {
            finish_if_done(db, db, db, batch).await?;
        }

        let next_wave = db.next_due(batch)?;
        let (jobs, next_job) = db.queued_jobs(batch)?;
        if next_wave.is_none() && jobs == 0 && db.sending(batch).await?.is_empty() {
            finish_if_done(db, db, db, batch).await?;
            return Ok(());
        }
        if let (Some(progress), Some(at)) = (progress, next_wave) {
            progress.set_message(format!(
                "next wave at {}",
                at.with_timezone(&chrono_tz::Europe::London)
                    .format("%H:%M:%S")
            ));
        }
        let next_job = next_job.and_then(DateTime::from_timestamp_millis);
        let wake = [next_wave, next_job].into_iter().flatten().min();
        let now = local.clock.now();
        if sleep_until(&local.clock, wake.unwrap_or(now), local.idle_poll).await {
            interrupted = Some(LateBecause::HeldUp);
        }
    }
}

/// How one batch's texts go: its limiter, its window, how many jobs a
/// worker takes at once.
struct Sending {
    limiter: Within,
    window: Option<Window>,
    chunk: usize,
}

/// If the batch's next wave is overdue (batchmsg was stopped or held up),
/// moves it to now (or the window's next opening) and later waves after it
/// with their planned gaps, and notes why for `status`.
fn catch_up_waves(
    local: &Local,
    batch: &BatchId,
    window: Option<&Window>,
    because: LateBecause,
) -> anyhow::Result<()> {
    let db = &local.db;
    let Some(caught) = catch_up(&db.pending_schedules(batch)?, local.clock.now(), window) else {
        return Ok(());
    };
    let note = TimingNote::Late {
        wave: caught.wave,
        due: caught.due,
        went: caught.goes,
        because,
    };
    db.reschedule(batch, &caught.moves, &note)?;
    tracing::info!(
        batch = %batch,
        wave = caught.wave,
        late_by_s = (caught.goes - caught.due).num_seconds(),
        ?because,
        waves_moved = caught.moves.len(),
        "overdue waves keep their stagger from now"
    );
    Ok(())
}

/// Sends every job of the batch available now, with several workers sharing
/// the rate limit; whether there was any.
async fn send_queued(
    local: &Arc<Local>,
    batch: &BatchId,
    sending: &Arc<Sending>,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<bool> {
    if db_has_no_jobs_now(local, batch)? {
        return Ok(false);
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let local = local.clone();
        let batch = batch.clone();
        let sending = sending.clone();
        let progress = progress.cloned();
        workers
            .spawn(async move { send_worker(&local, &batch, &sending, progress.as_ref()).await });
    }
    let mut result = Ok(true);
    while let Some(joined) = workers.join_next().await {
        let outcome = joined.map_err(|e| anyhow::anyhow!("a sending worker stopped: {e}"));
        result = result.and(outcome.and_then(|r| r).map(|()| true));
    }
    result
}

fn db_has_no_jobs_now(local: &Local, batch: &BatchId) -> anyhow::Result<bool> {
    let (jobs, next) = local.db.queued_jobs(batch)?;
    Ok(jobs == 0 || next.is_none_or(|at| at > local.clock.now().timestamp_millis()))
}

async fn send_worker(
    local: &Local,
    batch: &BatchId,
    sending: &Sending,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<()> {
    let db = &local.db;
    let window = sending.window.as_ref();
    loop {
        let jobs = db.take_jobs(batch, sending.chunk, local.clock.now())?;
        if jobs.is_empty() {
            return Ok(());
        }
        let seqs: Vec<_> = jobs.iter().map(|j| j.seq).collect();
        let outcome = send_texts(
            db,
            db,
            &local.outbox,
            &sending.limiter,
            &local.clock,
            &InWindow(window),
            batch,
            &seqs,
            // The limiter is handed fragments; it counts each rate's unit.
            Pacing {
                unit: RateUnit::Fragments,
                claim_ahead: batchmsg_local::CLAIM_AHEAD,
            },
        )
        .await?;
        if !outcome.throttled.is_empty() {
            let later = local.clock.now() + THROTTLE_BACKOFF;
            db.enqueue_later(batch, &outcome.throttled, later)?;
        }
        if !outcome.not_started.is_empty() {
            // The window closed: the rest wait for it to open again.
            let now = local.clock.now();
            let resumes = window
                .and_then(|w| w.next_opening(now))
                .unwrap_or(now + THROTTLE_BACKOFF);
            db.enqueue_later(batch, &outcome.not_started, resumes)?;
            let texts = outcome.not_started.len() as u64;
            db.note_timing(
                batch,
                &TimingNote::Paused {
                    at: now,
                    resumes,
                    texts,
                },
            )?;
        }
        db.acknowledge(&jobs)?;
        if let Some(progress) = progress {
            progress.inc(outcome.sent + outcome.failed + outcome.cancelled);
        }
    }
}
