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
use batchmsg_core::ports::{RecipientRepo, SystemClock};
use batchmsg_core::rate::Limiter;
use batchmsg_core::sending::{
    Pacing, RateUnit, Unbounded, finish_if_done, record_receipts, release_wave, resume_batch,
    send_texts,
};
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
    limiter: Limiter,
    unit: RateUnit,
    chunk: usize,
    feed: Mutex<ReceiptFeed>,
}

impl Local {
    pub fn open(data_dir: PathBuf, rate: Rate) -> anyhow::Result<Arc<Self>> {
        let db = Database::open(&data_dir)?;
        let outbox = Outbox::open(&data_dir)
            .with_context(|| format!("cannot open the outbox in {}", data_dir.display()))?;
        let mut feed = ReceiptFeed::new(outbox.path(), RECEIPT_DELAY);
        feed.resume_from(db.receipt_feed_offset()?);
        // About half a second of work per worker, so claims stay fresh.
        let chunk = rate.per_second.map_or(UNLIMITED_CHUNK, |limit| {
            (limit.get() as usize / (2 * WORKERS)).clamp(1, UNLIMITED_CHUNK)
        });
        // Texts a stopped process sent within the last second still count.
        let now = Utc::now();
        let earlier: Vec<(Duration, u32)> = match rate.per_second {
            None => Vec::new(),
            Some(_) => outbox
                .sent_since(now - chrono::TimeDelta::seconds(2))?
                .into_iter()
                .map(|(at, fragments)| {
                    let ago = (now - at).to_std().unwrap_or_default();
                    (ago, rate.unit.units(fragments))
                })
                .collect(),
        };
        let limiter = Limiter::per_second_after(rate.per_second, &earlier);
        Ok(Arc::new(Self {
            data_dir,
            db,
            outbox,
            limiter,
            unit: rate.unit,
            chunk,
            feed: Mutex::new(feed),
        }))
    }
}

/// Drives `batches` until none has work left, then waits for the receipts
/// of what was sent. `progress` follows texts as they are handled.
pub async fn drive(
    local: Arc<Local>,
    batches: Vec<BatchId>,
    progress: Option<ProgressBar>,
) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for batch in batches {
        let local = local.clone();
        let progress = progress.clone();
        tasks.spawn(async move { drive_batch(&local, &batch, progress.as_ref()).await });
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
            () = tokio::time::sleep(IDLE_POLL) => { pump_receipts(&local).await?; }
        }
    }
    // Everything is sent: wait for the provider's last receipts.
    loop {
        let next = pump_receipts(&local).await?;
        match next {
            None => break,
            Some(due) => sleep_until(due, Duration::from_secs(5)).await,
        }
    }
    result
}

/// Records every receipt now due; when the next is due, if any is pending.
async fn pump_receipts(local: &Local) -> anyhow::Result<Option<DateTime<Utc>>> {
    let mut feed = local.feed.lock().await;
    let receipts = feed
        .poll(Utc::now())
        .context("cannot read the outbox for receipts")?;
    if !receipts.is_empty() {
        let recorded = record_receipts(&local.db, &receipts).await?;
        tracing::debug!(
            applied = recorded.applied,
            ignored = recorded.ignored,
            early = recorded.early.len(),
            "recorded receipts"
        );
        let dropped = feed.retry_at(recorded.early, Utc::now() + RECEIPT_RETRY, |text| {
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
        Some(feed.next_due().unwrap_or_else(Utc::now))
    } else {
        None
    })
}

async fn sleep_until(at: DateTime<Utc>, at_most: Duration) {
    let wait = (at - Utc::now()).to_std().unwrap_or_default().min(at_most);
    tokio::time::sleep(wait).await;
}

/// Settles what a stopped process left, then fires the batch's waves at
/// their times and sends what they queue, until nothing is left to send.
async fn drive_batch(
    local: &Arc<Local>,
    batch: &BatchId,
    progress: Option<&ProgressBar>,
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
    let resumed = resume_batch(db, db, db, &local.outbox, db, &SystemClock, batch).await?;
    if returned > 0 || resumed != Default::default() {
        tracing::info!(
            batch = %batch,
            jobs_returned = returned,
            found_sent = resumed.recovered.sent,
            requeued = resumed.recovered.requeued,
            releases_finished = resumed.releases_finished,
            "resumed a batch a stopped process left part-sent"
        );
    }
    loop {
        let mut worked = false;
        for due in db.due_waves(batch, Utc::now())? {
            let release = release_wave(db, db, db, db, batch, due.wave).await?;
            db.fired(&due)?;
            tracing::info!(batch = %batch, wave = due.wave, ?release, "wave released");
            worked = true;
        }
        if let Some(progress) = progress.filter(|_| worked) {
            progress.set_message("");
        }
        worked |= send_queued(local, batch, progress).await?;
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
        sleep_until(wake.unwrap_or_else(Utc::now), IDLE_POLL).await;
    }
}

/// Sends every job of the batch available now, with several workers sharing
/// the rate limit; whether there was any.
async fn send_queued(
    local: &Arc<Local>,
    batch: &BatchId,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<bool> {
    if db_has_no_jobs_now(&local.db, batch)? {
        return Ok(false);
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let local = local.clone();
        let batch = batch.clone();
        let progress = progress.cloned();
        workers.spawn(async move { send_worker(&local, &batch, progress.as_ref()).await });
    }
    let mut result = Ok(true);
    while let Some(joined) = workers.join_next().await {
        let outcome = joined.map_err(|e| anyhow::anyhow!("a sending worker stopped: {e}"));
        result = result.and(outcome.and_then(|r| r).map(|()| true));
    }
    result
}

fn db_has_no_jobs_now(db: &Database, batch: &BatchId) -> anyhow::Result<bool> {
    let (jobs, next) = db.queued_jobs(batch)?;
    Ok(jobs == 0 || next.is_none_or(|at| at > Utc::now().timestamp_millis()))
}

async fn send_worker(
    local: &Local,
    batch: &BatchId,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<()> {
    let db = &local.db;
    loop {
        let jobs = db.take_jobs(batch, local.chunk, Utc::now())?;
        if jobs.is_empty() {
            return Ok(());
        }
        let seqs: Vec<_> = jobs.iter().map(|j| j.seq).collect();
        let outcome = send_texts(
            db,
            db,
            &local.outbox,
            &local.limiter,
            &SystemClock,
            &Unbounded,
            batch,
            &seqs,
            Pacing {
                unit: local.unit,
                claim_ahead: batchmsg_local::CLAIM_AHEAD,
            },
        )
        .await?;
        if !outcome.throttled.is_empty() {
            db.enqueue_later(batch, &outcome.throttled, Utc::now() + THROTTLE_BACKOFF)?;
        }
        db.acknowledge(&jobs)?;
        if let Some(progress) = progress {
            progress.inc(outcome.sent + outcome.failed + outcome.cancelled);
        }
    }
}
