use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use batchmsg_synthetic::{ListOptions, write_patient_list};

#[derive(clap::Args)]
pub struct Args {
    /// How many patient rows to write (the header is extra).
    rows: u64,
    /// The same seed always gives the same list.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Write here instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Leave out the SMS consent column.
    #[arg(long)]
    no_consent_column: bool,
    /// Add the shapes practices' real exports have: next-of-kin columns,
    /// names that are only an invisible character, patients listed again who
    /// declined there, a second export pasted on halfway with its columns in
    /// another order, and a report footer.
    #[arg(long)]
    practice_shapes: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let options = ListOptions {
        rows: args.rows,
        seed: args.seed,
        with_consent_column: !args.no_consent_column,
        practice_shapes: args.practice_shapes,
    };
    let counts = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            let counts = write_patient_list(&mut out, &options)?;
            out.flush()?;
            counts
        }
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let counts = write_patient_list(&mut out, &options)?;
            out.flush()?;
            counts
        }
    };
    tracing::info!(
        rows = counts.rows,
        damaged = counts.intended_bad,
        "generated a synthetic list"
    );
    Ok(())
}
