//! Synthetic patient lists with realistic damage, for demos, tests and
//! benchmarks of batchmsg's patient-list validation.
//!
//! The output looks like a SystmOne CSV export, but carries no real-looking
//! personal data:
//!
//! - NHS numbers come only from the `999` test range (`999 000 0000` to
//!   `999 999 9999`), which is never issued to patients;
//! - mobiles come only from Ofcom's drama range `07700 900000`–`900999`, and
//!   damaged ones from ranges kept for fiction (Ofcom's drama landlines
//!   `01632 960xxx`, France's `06 39 98`, North America's `555-01xx`);
//! - names are common given and family names, combined at random.
//!
//! About 90% of rows are good, written in the varied shapes real exports
//! have (`999 123 4567`, `+44 (0)7700 900123`, `07-Mar-1984`,
//! `"BLOGGS, Joe"`, …). About 10% are damaged in exactly one way each, the
//! kinds equally likely: a wrong NHS check digit, spreadsheet damage such as
//! `9.99123E+09`, a landline, an impossible or future date of birth, a date in
//! US order, withheld consent, a duplicate patient, a row with too few cells,
//! and so on. The same options always give the same bytes, on every platform.
//!
//! ```
//! use batchmsg_synthetic::{ListOptions, write_patient_list};
//!
//! let mut csv = Vec::new();
//! let options = ListOptions { rows: 100, ..ListOptions::default() };
//! let counts = write_patient_list(&mut csv, &options)?;
//! assert_eq!(counts.rows, 100);
//! assert!(csv.starts_with(b"NHS Number,Mobile Number,Date of Birth,Patient Name,SMS Consent\r\n"));
//! # Ok::<(), std::io::Error>(())
//! ```

mod damage;
mod date_of_birth;
mod mobile;
mod names;
mod nhs;
mod rng;
mod row;
#[cfg(test)]
mod tests;
mod text;

use std::io::{self, Write};

pub use nhs::nhs_check_digit;
use row::RowGenerator;

/// What list to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListOptions {
    /// Data rows, not counting the header.
    ///
    /// Every row has its own NHS number unless it is a deliberate duplicate.
    /// The test range holds only 909,091 valid numbers, so beyond about
    /// 880,000 rows extra rows are made duplicates to make them last: a
    /// million rows are about 22% damaged rather than 10%, all of it counted
    /// in [`GeneratedCounts::intended_bad`].
    pub rows: u64,
    /// Chooses the list; the same seed always gives the same bytes.
    pub seed: u64,
    /// Adds an `SMS Consent` column (mostly `Yes` or empty).
    pub with_consent_column: bool,
    /// Shapes practices' real exports have, which validation must read as a
    /// person would: next-of-kin columns beside the patient's (`NOK Name`,
    /// `Relationship`, `NOK Mobile`); names made only of an invisible
    /// character; a patient listed again further down who declined there
    /// (with a consent column: the earlier, good row then counts as damaged
    /// too); a second export pasted on halfway, its header again with the
    /// columns in another order; and a report footer.
    pub practice_shapes: bool,
}

impl Default for ListOptions {
    /// 1,000 rows, seed 7, with a consent column.
    fn default() -> Self {
        Self {
            rows: 1000,
            seed: 7,
            with_consent_column: true,
            practice_shapes: false,
        }
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneratedCounts {
    /// Rows written, excluding the header.
    pub rows: u64,
    /// Rows deliberately damaged, each in exactly one way (duplicates
    /// included).
    pub intended_bad: u64,
}

/// Rows are gathered into a buffer this big before each write to `out`.
const CHUNK_BYTES: usize = 64 * 1024;

/// Writes a SystmOne-style CSV (CRLF line endings, header row first) to `out`.
///
/// The header is `NHS Number,Mobile Number,Date of Birth,Patient Name`, plus
/// `,SMS Consent` when [`ListOptions::with_consent_column`] is set. Text is
/// UTF-8 without a byte order mark. Rows are written to `out` in chunks of
/// about 64 KiB and `out` is flushed at the end.
pub fn write_patient_list(
    out: &mut impl Write,
    options: &ListOptions,
) -> io::Result<GeneratedCounts> {
    let mut generator = RowGenerator::new(options);
    let mut buf = Vec::with_capacity(CHUNK_BYTES + 1024);
    generator.push_header(&mut buf);

    let mut counts = GeneratedCounts {
        rows: 0,
        intended_bad: 0,
    };
    for written in 0..options.rows {
        if options.practice_shapes && written == options.rows / 2 && written > 0 {
            generator.paste_second_export(&mut buf);
        }
        counts.intended_bad += generator.push_row(&mut buf).not_accepted;
        counts.rows += 1;
        if buf.len() >= CHUNK_BYTES {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    if options.practice_shapes {
        generator.push_footer(&mut buf, counts.rows);
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(counts)
}
