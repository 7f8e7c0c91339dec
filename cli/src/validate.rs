//! `batchmsg validate`: a patient list in, `accepted.csv`, `not-accepted.csv`
//! and `summary.json` out. All three appear together or not at all.

use std::path::{Path, PathBuf};

use anyhow::Context;
use batchmsg_core::report::{
    ACCEPTED_FILE, CsvReports, NOT_ACCEPTED_FILE, SUMMARY_FILE, write_summary,
};
use batchmsg_core::validation::{Summary, ValidationOptions, validate_list};
use batchmsg_local::owner_only::create_dir_all;
use batchmsg_local::partial_file::PartialFile;

use crate::inputs::{Inputs, ListArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    list: ListArgs,
    /// Where to write accepted.csv, not-accepted.csv and summary.json.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let out = args.out.clone();
    let result = validate(args);
    if result.is_err() {
        remove_earlier_results(&out);
    }
    result
}

/// After a failed run, results of an earlier run in the same folder would
/// look like this run's; someone could send from them. Remove them.
fn remove_earlier_results(dir: &Path) {
    for name in [ACCEPTED_FILE, NOT_ACCEPTED_FILE, SUMMARY_FILE] {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

fn validate(args: Args) -> anyhow::Result<()> {
    let Inputs {
        template,
        opted_out,
        declines,
        mut list,
        today,
    } = args.list.read()?;
    let started = std::time::Instant::now();
    create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;
    let path = |name: &str| args.out.join(name);
    let create = |name: &str| {
        PartialFile::beside(&path(name))
            .with_context(|| format!("cannot write {}", path(name).display()))
    };
    let mut reports = CsvReports::new(create(ACCEPTED_FILE)?, create(NOT_ACCEPTED_FILE)?);
    let options = ValidationOptions {
        message: template.as_ref(),
        opted_out: &opted_out,
        today,
        declines: &declines,
    };
    let summary = validate_list(&mut list, &options, &mut reports)?;
    let (accepted, not_accepted) = reports.finish().map_err(anyhow::Error::from_boxed)?;
    let mut summary_file = create(SUMMARY_FILE)?;
    write_summary(&mut summary_file, &summary).map_err(anyhow::Error::from_boxed)?;
    // Only now, with all three written, do they appear; a partial file
    // dropped on the way is removed.
    for (name, file) in [
        (ACCEPTED_FILE, accepted),
        (NOT_ACCEPTED_FILE, not_accepted),
        (SUMMARY_FILE, summary_file),
    ] {
        file.commit(&path(name))
            .with_context(|| format!("cannot write {}", path(name).display()))?;
    }
    tracing::info!(
        rows = summary.rows,
        accepted = summary.accepted,
        not_accepted = summary.not_accepted,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "validated a patient list"
    );
    print_summary(&summary, &args.out);
    Ok(())
}

fn print_summary(summary: &Summary, out: &Path) {
    println!(
        "{} rows: {} accepted, {} not accepted",
        summary.rows, summary.accepted, summary.not_accepted
    );
    for reason in &summary.reasons {
        println!("  {:>8}  {}", reason.rows, reason.reason);
    }
    if let Some(texts) = &summary.texts {
        println!(
            "Texts: {} fragments in all ({} GSM-7, {} UCS-2), longest {} characters",
            texts.fragments, texts.gsm7_texts, texts.ucs2_texts, texts.most_characters
        );
    }
    println!(
        "Written to {}: {ACCEPTED_FILE}, {NOT_ACCEPTED_FILE}, {SUMMARY_FILE}",
        out.display()
    );
}
