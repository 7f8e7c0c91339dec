//! `batchmsg run`: finish everything unfinished: fire waves whose time has
//! come (schedules that span days), and resume sends a stopped process left
//! part-done. Exits when no batch has work left.

use std::num::NonZeroU32;

use anyhow::Context;
use batchmsg_core::ports::SystemClock;
use batchmsg_core::sending::cancel_batch;
use batchmsg_core::waves::LateBecause;
use batchmsg_local::{
    DATABASE_FILE, Database, LockError, SendingLock, UPLOADED_LIST_FILE, batch_folder,
};

use crate::data_dir::DataDirArgs;
use crate::runner::{self, Local};

#[derive(clap::Args)]
pub struct Args {
    /// At most this many texts a second from all the batches this `run`
    /// sends, together (not from another process sending in the same
    /// folder at the same time). Each batch also keeps its own rate from
    /// `send`.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<NonZeroU32>,
    #[command(flatten)]
    data: DataDirArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.data.data_dir.join(DATABASE_FILE).is_file() {
        println!(
            "Nothing to do: no batches in {}",
            args.data.data_dir.display()
        );
        return Ok(());
    }
    let db = Database::open(&args.data.data_dir)?;
    cancel_cut_off_validations(&db, &args.data.data_dir)?;
    let batches = db.batches_with_work()?;
    // A process stopped just after its last texts leaves their receipts
    // unread, with no batch left to drive.
    let receipts_unread = db.receipts_unread(&args.data.data_dir)?;
    if batches.is_empty() && !receipts_unread {
        println!("Nothing to do: every batch is finished or waiting on nothing");
        return Ok(());
    }
    drop(db);
    let local = Local::open(args.data.data_dir.clone(), args.rate)?;
    if batches.is_empty() {
        println!("Recording the receipts of texts sent before batchmsg was stopped");
    } else {
        println!(
            "Resuming {} batch{}: {}",
            batches.len(),
            if batches.len() == 1 { "" } else { "es" },
            batches
                .iter()
                .map(|b| b.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start")?;
    runtime.block_on(runner::drive(
        local.clone(),
        batches.clone(),
        None,
        LateBecause::NotRunning,
    ))?;
    for batch in &batches {
        let db = &local.db;
        let progress = runtime.block_on(batchmsg_core::sending::progress(db, db, db, batch))?;
        print!(
            "{}",
            crate::status::render_batch(&progress, &local.data_dir)
        );
        print!("{}", crate::status::render_timing(&db.timing_notes(batch)?));
    }
    Ok(())
}

/// A `send` stopped while it validated (kill -9, a power cut) leaves its
/// batch `awaiting-upload`, holding no lock: it can never be sent, so it is
/// cancelled (its stored rows with it, so `purge` can remove it later) and
/// its copy of the list is removed. One whose `send` is still validating
/// holds the lock and is left alone.
fn cancel_cut_off_validations(db: &Database, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start")?;
    for id in db.awaiting_upload()? {
        let _lock = match SendingLock::try_acquire(data_dir, &id) {
            Ok(lock) => lock,
            Err(LockError::Busy(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        runtime.block_on(cancel_batch(db, db, db, db, &SystemClock, &id))?;
        let copy = batch_folder(data_dir, &id).join(UPLOADED_LIST_FILE);
        match std::fs::remove_file(&copy) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("cannot remove {}", copy.display()));
            }
        }
        println!(
            "Batch {id}: its list's validation was cut off before it finished, so nothing \
             of it can be sent; it is cancelled. Send the list again."
        );
    }
    Ok(())
}
