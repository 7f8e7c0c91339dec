//! Times one million rows into a buffered sink, or writes a list to a file:
//!
//! ```text
//! cargo run --release -p batchmsg-synthetic --example million_rows [ROWS] [SEED] [PATH]
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use batchmsg_synthetic::{ListOptions, write_patient_list};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("ROWS is a number"));
    let seed = args
        .next()
        .map_or(7, |n| n.parse().expect("SEED is a number"));
    let options = ListOptions {
        rows,
        seed,
        ..ListOptions::default()
    };

    let mut out: BufWriter<Box<dyn Write>> = BufWriter::new(match args.next() {
        Some(path) => Box::new(File::create(path)?),
        None => Box::new(io::sink()),
    });
    let started = Instant::now();
    let counts = write_patient_list(&mut out, &options)?;
    let elapsed = started.elapsed();
    eprintln!(
        "{} rows ({} deliberately bad) in {:.1} ms",
        counts.rows,
        counts.intended_bad,
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}
