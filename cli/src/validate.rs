//! `batchmsg validate`: a patient list in, `accepted.csv`, `not-accepted.csv`
//! and `summary.json` out. All three appear together or not at all.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use batchmsg_core::report::{
    ACCEPTED_FILE, CsvReports, NOT_ACCEPTED_FILE, SUMMARY_FILE, write_summary,
};
use batchmsg_core::validation::{Summary, ValidationOptions, validate_list};
use batchmsg_local::owner_only;

use crate::inputs::{self, Inputs, ListArgs};

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
    } = args.list.read()?;
    let started = std::time::Instant::now();
    owner_only::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;
    let outputs = Outputs::new(&args.out);
    let result = (|| {
        let mut reports = CsvReports::new(
            outputs.create(ACCEPTED_FILE)?,
            outputs.create(NOT_ACCEPTED_FILE)?,
        );
        let options = ValidationOptions {
            message: template.as_ref(),
            opted_out: &opted_out,
            today: inputs::uk_today(),
            declines: &declines,
        };
        let summary = validate_list(&mut list, &options, &mut reports)?;
        let (accepted, not_accepted) = reports.finish().map_err(anyhow::Error::from_boxed)?;
        finish_file(accepted)?;
        finish_file(not_accepted)?;
        let mut summary_file = outputs.create(SUMMARY_FILE)?;
        write_summary(&mut summary_file, &summary).map_err(anyhow::Error::from_boxed)?;
        finish_file(summary_file)?;
        anyhow::Ok(summary)
    })();
    let summary = match result {
        Ok(summary) => {
            if let Err(error) = outputs.publish() {
                outputs.discard();
                return Err(error);
            }
            summary
        }
        Err(error) => {
            outputs.discard();
            return Err(error);
        }
    };
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

fn finish_file(mut writer: BufWriter<File>) -> anyhow::Result<()> {
    writer.flush()?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    Ok(())
}

/// Output files are written under temporary names and renamed into place
/// only when everything succeeded, so a failed run leaves no partial output.
struct Outputs {
    dir: PathBuf,
    names: std::cell::RefCell<Vec<&'static str>>,
}

impl Outputs {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            names: Default::default(),
        }
    }

    fn partial_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.partial"))
    }

    fn create(&self, name: &'static str) -> anyhow::Result<BufWriter<File>> {
        let path = self.partial_path(name);
        let file = owner_only::create_file(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.names.borrow_mut().push(name);
        Ok(BufWriter::with_capacity(256 * 1024, file))
    }

    fn publish(&self) -> anyhow::Result<()> {
        for name in self.names.borrow().iter() {
            let target = self.dir.join(name);
            std::fs::rename(self.partial_path(name), &target)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        Ok(())
    }

    fn discard(&self) {
        for name in self.names.borrow().iter() {
            let _ = std::fs::remove_file(self.partial_path(name));
        }
    }
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
