//! The validation outputs other tools read: `accepted.csv`,
//! `not-accepted.csv` and `summary.json`. Keep the names and columns stable.
//!
//! `accepted.csv` is data for the sending step: exact values (E.164 mobiles,
//! ISO dates), UTF-8 without a byte-order mark. `not-accepted.csv` is for
//! people: it opens in Excel with the right characters (UTF-8 with a BOM) and
//! no cell can run as a formula.

use std::io::Write;

use crate::excel_cells::UTF8_BOM;
pub use crate::excel_cells::{formula_safe, without_formula_guard};
use crate::validation::{AcceptedRow, Layout, NotAcceptedRow, SinkError, Summary, ValidationSink};

pub const ACCEPTED_FILE: &str = "accepted.csv";
pub const NOT_ACCEPTED_FILE: &str = "not-accepted.csv";
pub const SUMMARY_FILE: &str = "summary.json";

/// Writes both CSV reports as rows arrive.
pub struct CsvReports<A: Write, N: Write> {
    accepted: csv::Writer<A>,
    not_accepted: csv::Writer<N>,
    header_count: usize,
    row_buffer: itoa::Buffer,
}

impl<A: Write, N: Write> CsvReports<A, N> {
    pub fn new(accepted: A, not_accepted: N) -> Self {
        let builder = || {
            let mut b = csv::WriterBuilder::new();
            b.flexible(true).terminator(csv::Terminator::CRLF);
            b
        };
        Self {
            accepted: builder().from_writer(accepted),
            not_accepted: builder().from_writer(not_accepted),
            header_count: 0,
            row_buffer: itoa::Buffer::new(),
        }
    }

    /// Flushes both files and hands back the writers.
    pub fn finish(self) -> Result<(A, N), SinkError> {
        let accepted = self.accepted.into_inner().map_err(|e| e.into_error())?;
        let not_accepted = self.not_accepted.into_inner().map_err(|e| e.into_error())?;
        Ok((accepted, not_accepted))
    }
}

impl<A: Write, N: Write> ValidationSink for CsvReports<A, N> {
    fn start(&mut self, layout: &Layout) -> Result<(), SinkError> {
        let mut header = vec!["row", "nhs_number", "mobile", "date_of_birth"];
        header.extend(layout.personalisation.iter().map(String::as_str));
        if layout.with_text_length {
            header.extend(["characters", "fragments", "encoding"]);
        }
        self.accepted.write_record(&header)?;

        self.not_accepted.write_field([UTF8_BOM, b"row"].concat())?;
        for h in &layout.original_headers {
            self.not_accepted.write_field(formula_safe(h).as_bytes())?;
        }
        self.not_accepted.write_field("reason")?;
        self.not_accepted.write_record(None::<&[u8]>)?;
        self.header_count = layout.original_headers.len();
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        let w = &mut self.accepted;
        w.write_field(self.row_buffer.format(row.row))?;
        w.write_field(row.nhs_number.digits())?;
        w.write_field(row.mobile.e164().as_str())?;
        w.write_field(row.date_of_birth.iso().as_str())?;
        for value in row.personalisation {
            w.write_field(value.as_bytes())?;
        }
        if let Some(length) = row.text_length {
            w.write_field(self.row_buffer.format(length.characters))?;
            w.write_field(self.row_buffer.format(length.fragments))?;
            w.write_field(length.encoding.as_str())?;
        }
        w.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        let w = &mut self.not_accepted;
        w.write_field(self.row_buffer.format(row.row))?;
        let (in_header, beyond) = row.cells.split_at(row.cells.len().min(self.header_count));
        for cell in in_header {
            w.write_field(formula_safe(cell).as_bytes())?;
        }
        for _ in in_header.len()..self.header_count {
            w.write_field("")?;
        }
        let reasons: Vec<String> = row.reasons.iter().map(ToString::to_string).collect();
        w.write_field(reasons.join("; "))?;
        // Cells beyond the header are kept, after the reason, so nothing is lost.
        for cell in beyond {
            w.write_field(formula_safe(cell).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
        Ok(())
    }
}

/// `summary.json`, pretty-printed for people and stable for tools.
pub fn write_summary(out: impl Write, summary: &Summary) -> Result<(), SinkError> {
    serde_json::to_writer_pretty(out, summary)?;
    Ok(())
}
