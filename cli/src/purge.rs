//! `batchmsg purge [BATCH] [--older-than DURATION]`: removes finished batches
//! older than the retention period (default 90 days, as on AWS) with all
//! their patient data: their rows in the database (overwritten, not just
//! unlinked), their batch folder with its lists and reports, and their lines
//! in the simulated provider's outbox (blanked in place). Which batches may
//! go is core's rule ([`batchmsg_core::retention::purgeable`]); a batch being
//! sent by a live process (its folder's lock is held) is skipped.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::ports::{BatchRepo, RecipientRepo};
use batchmsg_core::retention::{Kept, parse_retention, purgeable};
use batchmsg_local::outbox::{OUTBOX_FILE, blank_batches};
use batchmsg_local::{Database, LockError, SendingLock, batch_folder};
use chrono::{TimeDelta, Utc};

use crate::data_dir::{DataDirArgs, block_on};
use crate::status::{no_batches, open_existing};

#[derive(clap::Args)]
pub struct Args {
    /// Only this batch (batchmsg status lists them); says why if it is kept.
    batch: Option<BatchId>,
    /// Remove finished batches created longer ago than this (`90d`, `12w`,
    /// `36h`, `30min`, `0s`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "90d",
        allow_hyphen_values = true
    )]
    older_than: String,
    #[command(flatten)]
    data: DataDirArgs,
}

/// Why a batch was not removed.
enum Skipped {
    Kept(Kept),
    BeingSent,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let retention = parse_retention(&args.older_than)?;
    let data_dir = &args.data.data_dir;
    let Some(db) = open_existing(data_dir)? else {
        if let Some(id) = &args.batch {
            return Err(no_batches(data_dir, id));
        }
        println!(
            "Nothing to purge: there are no batches in {}.",
            data_dir.display()
        );
        return Ok(());
    };
    let batches: Vec<Batch> = block_on(async {
        let all = db.batches().await?;
        anyhow::Ok(match &args.batch {
            Some(id) => all.into_iter().filter(|b| &b.id == id).collect(),
            None => all,
        })
    })??;
    if let Some(id) = &args.batch
        && batches.is_empty()
    {
        anyhow::bail!("there is no batch {id} (batchmsg status lists them)");
    }

    let mut removed = Vec::new();
    let mut kept = 0u64;
    for batch in &batches {
        match purge_one(&db, data_dir, batch, retention)? {
            Ok(()) => removed.push(batch.id.clone()),
            Err(why) => {
                kept += 1;
                if args.batch.is_some() {
                    println!("Kept batch {}: {}.", batch.id, skipped_text(&why));
                }
            }
        }
    }
    if !removed.is_empty() {
        let ids: HashSet<&str> = removed.iter().map(BatchId::as_str).collect();
        let blanked = blank_batches(data_dir, &ids)
            .with_context(|| format!("cannot clear the removed batches from {OUTBOX_FILE}"))?;
        println!(
            "Blanked {blanked} line{} of {OUTBOX_FILE} (the simulated provider's log) \
             that held the removed batches' texts.",
            if blanked == 1 { "" } else { "s" }
        );
        if let Err(error) = db.vacuum() {
            tracing::warn!(%error, "could not vacuum the database after a purge");
            println!(
                "Could not rewrite the database without its free space (another batchmsg may be \
                 using it): old copies of the removed rows may stay in it; run batchmsg purge \
                 again when no batch is being sent."
            );
        }
        if !db.checkpoint_and_truncate_log()? {
            println!(
                "Another batchmsg has the database open: old copies of the removed rows \
                 may stay in its log until it stops; run batchmsg purge again then."
            );
        }
    }
    println!(
        "Removed {} batch{}; kept {kept} (unfinished, still sending, or created within {}).",
        removed.len(),
        if removed.len() == 1 { "" } else { "es" },
        describe(retention)
    );
    Ok(())
}

/// Removes `batch` if the rule allows it and no process is sending it.
fn purge_one(
    db: &Database,
    data_dir: &Path,
    batch: &Batch,
    retention: TimeDelta,
) -> anyhow::Result<Result<(), Skipped>> {
    let counts = block_on(db.counts(&batch.id, None))??;
    if let Err(kept) = purgeable(batch, &counts, Utc::now(), retention) {
        return Ok(Err(Skipped::Kept(kept)));
    }
    let folder = batch_folder(data_dir, &batch.id);
    let lock = match SendingLock::try_acquire(data_dir, &batch.id) {
        Ok(lock) => lock,
        Err(LockError::Busy(_)) => return Ok(Err(Skipped::BeingSent)),
        Err(error) => return Err(error.into()),
    };
    let rows = db.purge_batch(&batch.id)?;
    drop(lock);
    match std::fs::remove_dir_all(&folder) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot remove {}", folder.display()));
        }
    }
    tracing::info!(batch = %batch.id, recipients = rows.recipients, "purged a batch");
    let s = |n: u64| if n == 1 { "" } else { "s" };
    println!(
        "Removed batch {} ({}, created {}): {} recipient{}, {} wave{}, {} queued job{}, and its folder.",
        batch.id,
        batch.status.as_str(),
        batch.created_at.format("%Y-%m-%d %H:%M UTC"),
        rows.recipients,
        s(rows.recipients),
        rows.waves,
        s(rows.waves),
        rows.queue_jobs,
        s(rows.queue_jobs),
    );
    Ok(Ok(()))
}

fn skipped_text(why: &Skipped) -> String {
    match why {
        Skipped::Kept(kept) => kept.to_string(),
        Skipped::BeingSent => "another batchmsg on this machine is sending it".to_owned(),
    }
}

fn describe(retention: TimeDelta) -> String {
    match retention.num_seconds() {
        86_400 => "1 day".to_owned(),
        s if s > 0 && s % 86_400 == 0 => format!("{} days", s / 86_400),
        1 => "1 second".to_owned(),
        s => format!("{s} seconds"),
    }
}
