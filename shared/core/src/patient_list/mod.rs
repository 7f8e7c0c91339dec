//! Reading an uploaded patient list: CSV in any encoding Excel and the
//! clinical systems write, or a spreadsheet, row by row, with the row numbers
//! a person sees when they open the file.
//!
//! CSV is streamed: memory stays flat however long the file is.

mod blank_lines;
mod cell_format;
mod declined_heading;
mod error;
mod footers;
mod header;
mod header_again;
mod header_groups;
mod joined_rows;
mod sheet_xml;
mod sniff;
mod spreadsheet;
mod which_sheet;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{Cursor, Read};

use csv::ByteRecord;
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use blank_lines::{MarkBlankLines, UnclosedQuote};
use error::problem_error;
pub use error::{ListError, WorkbookSheet};
pub use header_again::Unmatched;
use header_again::{HeaderAgain, Met};

use crate::columns::{ColumnMap, ColumnProblem, Header, Role, has_long_number, headers_of};
use crate::consent::Consent;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
pub use sniff::TextEncoding;
pub(crate) use sniff::decode_text;
use sniff::{SNIFF_LEN, Sniffed};
use spreadsheet::Sheet;

/// The roles a hidden column never takes.
const PATIENT_ROLES: [Role; 5] = [
    Role::NhsNumber,
    Role::Mobile,
    Role::DateOfBirth,
    Role::Name,
    Role::EmisNumber,
];

/// How many leading rows may be a title or notes above the header row, as
/// some clinical-system reports have.
const MAX_ROWS_BEFORE_HEADER: usize = 10;

/// What the file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Csv {
        encoding: TextEncoding,
        delimiter: u8,
    },
    Spreadsheet,
}

enum Source {
    /// Every line is a record (see [`blank_lines`]), so record N is row N + 1.
    Csv(csv::Reader<MarkBlankLines<Box<dyn Read + Send>>>),
    Sheet(Sheet),
}

impl Source {
    /// The next record, blank or not, and its spreadsheet row number.
    fn next(&mut self, record: &mut ByteRecord) -> Result<Option<u64>, ListError> {
        match self {
            Source::Csv(reader) => {
                let more = reader
                    .read_byte_record(record)
                    .map_err(|e| match e.into_kind() {
                        csv::ErrorKind::Io(io) => {
                            match io.get_ref().and_then(|e| e.downcast_ref::<UnclosedQuote>()) {
                                Some(unclosed) => ListError::UnclosedQuote { row: unclosed.row },
                                None => ListError::Read(io),
                            }
                        }
                        other => ListError::Read(std::io::Error::other(format!("{other:?}"))),
                    })?;
                if !more {
                    return Ok(None);
                }
                Ok(Some(record.position().map_or(0, |p| p.record()) + 1))
            }
            Source::Sheet(sheet) => Ok(sheet.next_row(record)),
        }
    }
}

/// A cell as text: UTF-8 if it is valid UTF-8, else Windows-1252.
pub fn cell_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

fn is_blank(record: &ByteRecord) -> bool {
    record
        .iter()
        .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
}

pub struct PatientList {
    source: Source,
    format: ListFormat,
    headers: Vec<Header>,
    columns: ColumnMap,
    header_row: u64,
    /// The header's first row: its group row, in a two-row header.
    header_first_row: u64,
    blank_rows: u64,
    estimated_rows: Option<u64>,
    /// The header row, and each time it is met again.
    header_rows: u64,
    /// Titles, notes and blank lines above the header (and above a header met again).
    rows_above_header: u64,
    footer_rows: u64,
    /// Line ends inside quoted cells so far (CSV): each is a line of the file
    /// that is not a row of its own.
    quoted_line_ends: u64,
    /// Line ends inside the record just read.
    record_line_ends: u64,
    header_again: Option<HeaderAgain>,
    /// Rows that look like a footer (and whether each is hidden), until what follows them shows whether they are.
    held: Vec<(u64, ByteRecord, bool)>,
    /// Held rows that turned out to be patients', to be returned first.
    replay: VecDeque<(u64, ByteRecord, bool)>,
    scratch: ByteRecord,
    row_hidden: bool,
    /// A row read while looking for a sub-header, to be read again as data.
    pending: Option<Pending>,
    /// A heading over patients who must not be texted, held until what
    /// follows it shows whether any rows are under it.
    declining_heading: Option<u64>,
}

/// What looking below the header row for a sub-header read instead.
enum Pending {
    Row(u64, ByteRecord),
    Error(ListError),
}

impl PatientList {
    /// Recognises the format and finds the header row. Every file-level
    /// problem is reported here, before any row is read.
    pub fn open(input: impl Read + Send + 'static) -> Result<Self, ListError> {
        Self::open_sized(input, None)
    }

    /// As [`PatientList::open`], for an input of known length: the row count
    /// is then estimated up front, which lets validation size its tables once.
    pub fn open_sized(
        mut input: impl Read + Send + 'static,
        byte_len: Option<u64>,
    ) -> Result<Self, ListError> {
        let mut head = Vec::with_capacity(SNIFF_LEN);
        (&mut input).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
        let lines_in_head = memchr::memchr_iter(b'\n', &head).count() as u64;
        let estimated_rows = byte_len
            .filter(|_| lines_in_head > 0)
            .map(|len| len.saturating_mul(lines_in_head) / head.len() as u64);
        if head.iter().all(u8::is_ascii_whitespace) && head.len() < SNIFF_LEN {
            return Err(ListError::Empty);
        }
        let (source, format) = match sniff::sniff(&head) {
            Sniffed::NotAList(what) => return Err(ListError::NotAList(what)),
            Sniffed::Spreadsheet => (
                Source::Sheet(Sheet::open(head, input)?),
                ListFormat::Spreadsheet,
            ),
            Sniffed::Text(encoding) => csv_source(head, input, encoding),
        };
        let mut list = Self {
            source,
            format,
            headers: Vec::new(),
            columns: ColumnMap::default(),
            header_row: 0,
            header_first_row: 0,
            blank_rows: 0,
            estimated_rows,
            header_rows: 0,
            rows_above_header: 0,
            footer_rows: 0,
            quoted_line_ends: 0,
            record_line_ends: 0,
            header_again: None,
            held: Vec::new(),
            replay: VecDeque::new(),
            scratch: ByteRecord::new(),
            row_hidden: false,
            pending: None,
            declining_heading: None,
        };
        list.find_header()?;
        if let Source::Sheet(sheet) = &mut list.source {
            sheet.fill_merged_below(list.header_row);
            // The row below the header, read while looking for a sub-header.
            if let Some(Pending::Row(row, record)) = &mut list.pending {
                sheet.reread(*row, record);
            }
        }
        Ok(list)
    }

    /// The next record, blank or not, with its line ends inside quoted
    /// cells counted.
    fn next_record(&mut self, record: &mut ByteRecord) -> Result<Option<u64>, ListError> {
        let row = self.source.next(record)?;
        self.record_line_ends = match &self.source {
            Source::Csv(reader) if row.is_some() && reader.get_ref().line_end_in_quotes() => {
                joined_rows::line_ends(record.as_slice())
            }
            _ => 0,
        };
        self.quoted_line_ends += self.record_line_ends;
        Ok(row)
    }

    /// Whether column `index` is hidden in the spreadsheet.
    pub fn column_hidden(&self, index: usize) -> bool {
        match &self.source {
            Source::Sheet(sheet) => sheet.column_hidden(index),
            Source::Csv(_) => false,
        }
    }

    /// Reads the next patient's row into `record`, in the first header's
    /// column order; returns its row number as a spreadsheet shows it (the
    /// header is row 1 in a plain export). Blank rows, a header met again,
    /// and footers at the end are skipped and counted.
    pub fn read_row(&mut self, record: &mut ByteRecord) -> Result<Option<u64>, ListError> {
        if let Some((row, held, hidden)) = self.replay.pop_front() {
            *record = held;
            self.row_hidden = hidden;
            return Ok(Some(row));
        }
        loop {
            let row = match self.pending.take() {
                Some(Pending::Row(row, pending)) => {
                    *record = pending;
                    row
                }
                Some(Pending::Error(error)) => return Err(error),
                None => match self.next_record(record)? {
                    Some(row) => row,
                    None => break,
                },
            };
            if is_blank(record) {
                self.blank_rows += 1;
                continue;
            }
            if self.record_line_ends > 0 {
                self.check_not_joined(row, record)?;
            }
            // Before looking at the row below, which a spreadsheet would
            // then report on.
            let hidden = match &self.source {
                Source::Sheet(sheet) => sheet.last_row_hidden(),
                Source::Csv(_) => false,
            };
            let again = self.header_again_at(row, record);
            if let (Some(heading), Some(_)) = (self.declining_heading, &again) {
                return Err(ListError::DecliningSection { row: heading });
            }
            match again {
                None => {
                    if let Some(again) = &self.header_again {
                        again.reorder(record, &mut self.scratch);
                    }
                }
                Some((first_row, last_row, Met::Same)) => {
                    // What was held above it is the next list's title, unless
                    // it lays out someone else's group over the columns.
                    if let Some((row, ..)) = self
                        .held
                        .iter()
                        .find(|(_, held, _)| header::names_someone_else_over_columns(held))
                    {
                        return Err(ListError::SomeoneElseAboveHeader { row: *row });
                    }
                    self.rows_above_header += self.held.len() as u64;
                    self.held.clear();
                    self.header_rows += last_row + 1 - first_row;
                    continue;
                }
                Some((_, last_row, Met::Different { added, missing })) => {
                    return Err(ListError::HeaderAgainDifferent {
                        row: last_row,
                        added,
                        missing,
                    });
                }
                Some((first_row, last_row, Met::Unmatched(why))) => {
                    return Err(ListError::HeaderAgainUnmatched {
                        first_row,
                        last_row,
                        header_rows: (self.header_first_row, self.header_row),
                        why,
                    });
                }
            }
            // A decline is never counted away as a footer.
            let declines = self.columns.consent.iter().any(|c| {
                record
                    .get(c.index)
                    .is_some_and(|v| Consent::read(&cell_text(v), c.yes_means) == Consent::Declined)
            });
            if self.is_declining_heading(record) {
                self.declining_heading.get_or_insert(row);
                self.held.push((row, record.clone(), hidden));
                continue;
            }
            if self.held.len() < footers::MAX_FOOTER_ROWS
                && !declines
                && footers::looks_like_footer(record)
            {
                self.held.push((row, record.clone(), hidden));
                continue;
            }
            // Rows under a heading for patients who must not be texted.
            if let Some(heading) = self.declining_heading {
                return Err(ListError::DecliningSection { row: heading });
            }
            if self.held.is_empty() {
                self.row_hidden = hidden;
                return Ok(Some(row));
            }
            // A patient's row follows: what was held were patients' rows too.
            self.replay.extend(self.held.drain(..));
            self.replay.push_back((row, record.clone(), hidden));
            let (row, first, hidden) = self.replay.pop_front().expect("just filled");
            *record = first;
            self.row_hidden = hidden;
            return Ok(Some(row));
        }
        self.footer_rows += self.held.len() as u64;
        self.held.clear();
        Ok(None)
    }

    /// Whether `record` is a heading over patients who must not be texted
    /// (see [`declined_heading`]). Most rows, with a digit in each of the
    /// NHS number, mobile and date of birth cells, are spared the check.
    fn is_declining_heading(&self, record: &ByteRecord) -> bool {
        if self
            .header_again
            .as_ref()
            .is_some_and(|again| again.plainly_data(record))
        {
            return false;
        }
        let consent: Vec<usize> = self.columns.consent.iter().map(|c| c.index).collect();
        declined_heading::is_declining_heading(record, &consent)
    }

    /// When `record` (row `row`) is a header met again, its first and last
    /// rows and what it means. A row of words only may be the group row of a
    /// two-row header met again: the row below is read to see, and put back
    /// to be read next if it is not.
    fn header_again_at(&mut self, row: u64, record: &ByteRecord) -> Option<(u64, u64, Met)> {
        let again = self.header_again.as_ref()?;
        if again.plainly_data(record) {
            return None;
        }
        let headers = again.names_columns(record);
        if words_only(record) {
            let mut below = ByteRecord::new();
            match self.next_record(&mut below) {
                Ok(Some(next)) => {
                    if let Some(grouped) = self.grouped_again(row, record, next, &below) {
                        let met = self.header_again.as_mut()?.meet(&grouped);
                        return Some((row, next, met));
                    }
                    self.pending = Some(Pending::Row(next, below));
                }
                Ok(None) => {}
                // The next row's problem, reported when it is read.
                Err(error) => self.pending = Some(Pending::Error(error)),
            }
        }
        let headers = headers?;
        let met = self.header_again.as_mut()?.meet(&headers);
        Some((row, row, met))
    }

    /// The headers of the group row `upper` (row `row`) over the header met
    /// again `lower` (row `lower_row`), when that is what they are.
    fn grouped_again(
        &self,
        row: u64,
        upper: &ByteRecord,
        lower_row: u64,
        lower: &ByteRecord,
    ) -> Option<Vec<Header>> {
        if lower_row != row + 1 {
            return None;
        }
        self.header_again.as_ref()?.names_columns(lower)?;
        let upper: Vec<Cow<str>> = upper.iter().map(cell_text).collect();
        let lower: Vec<Cow<str>> = lower.iter().map(cell_text).collect();
        let upper: Vec<&str> = upper.iter().map(|c| c.as_ref()).collect();
        let lower: Vec<&str> = lower.iter().map(|c| c.as_ref()).collect();
        let merged = self.merged_from_row(row);
        let mut headers = header_groups::grouped_headers(&upper, &lower, merged.as_deref())?;
        while headers.last().is_some_and(|h| h.text.is_empty()) {
            headers.pop();
        }
        Some(headers)
    }

    /// Whether the row [`PatientList::read_row`] last read is hidden in the
    /// spreadsheet (by hand or by a filter): practices hide rows to leave
    /// patients out, so it is not texted.
    pub fn row_hidden(&self) -> bool {
        self.row_hidden
    }

    /// Stops on a quoted cell over several lines that holds what looks like a
    /// row: rows joined by a stray quote.
    fn check_not_joined(&self, row: u64, record: &ByteRecord) -> Result<(), ListError> {
        let ListFormat::Csv { delimiter, .. } = self.format else {
            return Ok(());
        };
        let first_line = row + self.quoted_line_ends - self.record_line_ends;
        let mut quote_line = first_line;
        for cell in record {
            let line_ends = joined_rows::line_ends(cell);
            if line_ends > 0 && joined_rows::holds_a_row(cell, delimiter, self.headers.len()) {
                return Err(ListError::JoinedRows {
                    first_line,
                    last_line: first_line + self.record_line_ends,
                    quote_line,
                });
            }
            quote_line += line_ends;
        }
        Ok(())
    }

    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    pub fn format(&self) -> ListFormat {
        self.format
    }

    pub fn header_row(&self) -> u64 {
        self.header_row
    }

    /// Rows the file probably holds, from its length and its first lines; a
    /// spreadsheet knows exactly.
    pub fn estimated_rows(&self) -> Option<u64> {
        match &self.source {
            Source::Sheet(sheet) => Some(sheet.row_count()),
            Source::Csv(_) => self.estimated_rows,
        }
    }

    /// Blank rows skipped so far (after the header).
    pub fn blank_rows(&self) -> u64 {
        self.blank_rows
    }

    /// The header row and each header row met again.
    pub fn header_rows(&self) -> u64 {
        self.header_rows
    }

    /// Titles, notes and blank lines above the header row, and above a
    /// header row met again (the title of the second of two pasted lists).
    pub fn rows_above_header(&self) -> u64 {
        self.rows_above_header
    }

    /// Report footers skipped ("Total: 523 patients"), once the list is read.
    pub fn footer_rows(&self) -> u64 {
        self.footer_rows
    }

    /// Lines of the file inside quoted cells that span lines: lines that are
    /// not rows of their own (a CSV address over two lines is one row).
    pub fn lines_in_quoted_cells(&self) -> u64 {
        self.quoted_line_ends
    }
}

fn csv_source(
    head: Vec<u8>,
    rest: impl Read + Send + 'static,
    encoding: TextEncoding,
) -> (Source, ListFormat) {
    let (delimiter, reader): (u8, Box<dyn Read + Send>) = match encoding {
        TextEncoding::Utf8OrWindows1252 => {
            let without_bom = head
                .strip_prefix(b"\xef\xbb\xbf")
                .map(<[u8]>::to_vec)
                .unwrap_or(head);
            (
                sniff::delimiter(&without_bom),
                Box::new(Cursor::new(without_bom).chain(rest)),
            )
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let utf16 = if encoding == TextEncoding::Utf16Le {
                UTF_16LE
            } else {
                UTF_16BE
            };
            let decoded_head = utf16.decode_with_bom_removal(&head).0;
            let delimiter = sniff::delimiter(decoded_head.as_bytes());
            let decoder = DecodeReaderBytesBuilder::new()
                .encoding(Some(utf16))
                .build(Cursor::new(head).chain(rest));
            (delimiter, Box::new(decoder))
        }
    };
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(MarkBlankLines::new(reader, delimiter));
    (
        Source::Csv(reader),
        ListFormat::Csv {
            encoding,
            delimiter,
        },
    )
}

/// Whether the row holds words and no digit: a header, a title, a footer or
/// a group row, not a patient's row.
fn words_only(record: &ByteRecord) -> bool {
    !record.as_slice().iter().any(u8::is_ascii_digit)
        && cell_text(record.as_slice())
            .chars()
            .any(char::is_alphabetic)
}

/// A row with a valid NHS number or mobile, or with two cells holding six
/// digits or more (numbers, phone numbers, dates), is patient data, not a
/// header. A title such as "Printed 25/11/2026" has one such cell at most.
/// A data row's cells must never be quoted back in an error message, which
/// may end up in a log.
fn looks_like_patient_data(cells: &[Cow<str>]) -> bool {
    cells
        .iter()
        .any(|c| NhsNumber::parse(c).is_ok() || UkMobile::parse(c).is_ok())
        || cells.iter().filter(|c| has_long_number(c)).count() >= 2
}

#[cfg(test)]
mod joined_rows_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_declined_sections;
#[cfg(test)]
mod tests_pasted;
#[cfg(test)]
mod tests_sheet_choice;
#[cfg(test)]
mod tests_structure;
#[cfg(test)]
mod tests_unsafe_lists;
#[cfg(test)]
mod tests_workbooks;
