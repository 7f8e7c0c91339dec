//! Reading an uploaded patient list: CSV in any encoding Excel and the
//! clinical systems write, or a spreadsheet, row by row, with the row numbers
//! a person sees when they open the file.
//!
//! CSV is streamed: memory stays flat however long the file is.

mod blank_lines;
mod cell_format;
mod header_groups;
mod sheet_xml;
mod sniff;
mod spreadsheet;

use std::borrow::Cow;
use std::io::{Cursor, Read};

use csv::ByteRecord;
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use blank_lines::{MarkBlankLines, UnclosedQuote};

use crate::columns::{
    ColumnMap, ColumnProblem, Header, Role, column_letter, describe_headers, has_long_number,
    headers_of,
};
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
pub use sniff::TextEncoding;
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

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("could not read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error(
        "Row {row} has a quote (\") that is never closed, so the rest of the file would read \
         as one cell. Remove the quote or add the closing one, and upload the file again"
    )]
    UnclosedQuote { row: u64 },
    #[error("The file is empty: export the patient list again and upload the new file")]
    Empty,
    #[error(
        "This is not a CSV file or a spreadsheet: it looks like {0}. \
         Export the patient list as CSV (or .xlsx) from the clinical system and upload that"
    )]
    NotAList(&'static str),
    #[error(
        "The spreadsheet could not be read: it may be damaged or password-protected. \
         Save it again as .xlsx or CSV and upload that"
    )]
    DamagedSpreadsheet,
    #[error("The spreadsheet is larger than 64 MB. Save the patient list as CSV and upload that")]
    SpreadsheetTooLarge,
    #[error(
        "The first row holds patient details, not column names. Add a header row naming the \
         NHS number, mobile number and date of birth columns"
    )]
    NoHeader,
    #[error(
        "The file has no {} column. Columns found: {}. Name the columns \
         \"NHS number\", \"Mobile number\" and \"Date of birth\" (or as SystmOne or EMIS export them)",
        join_roles(.missing), describe_headers(.found)
    )]
    MissingColumns {
        missing: Vec<Role>,
        found: Vec<Header>,
    },
    #[error(
        "The file has more than one {} column: {}. Keep one and upload the file again",
        .role.describe(), describe_headers(.columns)
    )]
    ColumnTwice { role: Role, columns: Vec<Header> },
    #[error(
        "The column {column} reads the opposite way to consent (yes would mean do not text). \
         Replace it with an \"SMS consent\" column holding Yes or No, and upload the file again"
    )]
    UnclearConsent { column: Header },
    #[error(
        "Column {} \"{}\" is hidden: unhide it or delete it, and upload again",
        column_letter(.column.index), .column.full_name()
    )]
    HiddenColumn { column: Header },
    #[error(
        "The file has no NHS number, mobile number or date of birth column. The first row should \
         name them: \"NHS number\", \"Mobile number\" and \"Date of birth\" (or as SystmOne or EMIS export them)"
    )]
    NoRequiredColumns,
}

fn join_roles(roles: &[Role]) -> String {
    let names: Vec<_> = roles.iter().map(|r| r.describe()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

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
    blank_rows: u64,
    estimated_rows: Option<u64>,
    row_hidden: bool,
    /// A row read while looking for a sub-header, to be read again as data.
    pending: Option<Pending>,
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
            blank_rows: 0,
            estimated_rows,
            row_hidden: false,
            pending: None,
        };
        list.find_header()?;
        Ok(list)
    }

    fn find_header(&mut self) -> Result<(), ListError> {
        let mut record = ByteRecord::new();
        let mut best_problem = None;
        let mut non_blank = 0;
        // The non-blank row before this one, for a two-row header.
        let mut previous: Option<(u64, Vec<String>)> = None;
        while non_blank <= MAX_ROWS_BEFORE_HEADER {
            let Some(row) = self.source.next(&mut record)? else {
                break;
            };
            if is_blank(&record) {
                continue;
            }
            non_blank += 1;
            let cells: Vec<Cow<str>> = record.iter().map(cell_text).collect();
            let grouped = previous
                .as_ref()
                .filter(|(above, _)| above + 1 == row)
                .and_then(|(above, upper)| {
                    let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
                    let lower: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
                    let merged = self.merged_from_row(*above);
                    header_groups::grouped_headers(&upper, &lower, merged.as_deref())
                });
            let mut headers =
                grouped.unwrap_or_else(|| headers_of(cells.iter().map(|c| c.as_ref())));
            // Trailing commas on the header line only: not columns.
            while headers.last().is_some_and(|h| h.text.is_empty()) {
                headers.pop();
            }
            previous = Some((row, cells.iter().map(|c| c.to_string()).collect()));
            match self.map_columns(&headers)? {
                Ok(columns) => {
                    // Names merged down over two rows with groups beside them
                    // ("NHS number" in A1:A2, "Telephone" over C1:E1): the
                    // row below completes this header.
                    if let Some((sub_row, sub_headers, mapped)) =
                        self.sub_header_below(row, &cells)?
                    {
                        return match mapped {
                            Ok(columns) => {
                                self.headers = sub_headers;
                                self.columns = columns;
                                self.header_row = sub_row;
                                Ok(())
                            }
                            Err(problem) => Err(problem_error(problem, sub_headers).1),
                        };
                    }
                    self.headers = headers;
                    self.columns = columns;
                    self.header_row = row;
                    return Ok(());
                }
                Err(problem) => {
                    if non_blank == 1 && looks_like_patient_data(&cells) {
                        return Err(ListError::NoHeader);
                    }
                    // The row naming the most required columns is the header
                    // the person meant; its problem is the one to report.
                    let (named, error) = problem_error(problem, headers);
                    if best_problem.as_ref().is_none_or(|(best, _)| named > *best) {
                        best_problem = Some((named, error));
                    }
                }
            }
        }
        Err(best_problem.map_or(ListError::Empty, |(_, error)| error))
    }

    /// When the row directly below header row `row` is a sub-header under
    /// it, that row's number, the combined headers and their roles; else the
    /// row is put back to be read as data.
    #[allow(clippy::type_complexity)]
    fn sub_header_below(
        &mut self,
        row: u64,
        upper: &[Cow<str>],
    ) -> Result<Option<(u64, Vec<Header>, Result<ColumnMap, ColumnProblem>)>, ListError> {
        let mut record = ByteRecord::new();
        let next_row = match self.source.next(&mut record) {
            Ok(Some(next_row)) => next_row,
            Ok(None) => return Ok(None),
            // The first data row's problem, reported when it is read.
            Err(error) => {
                self.pending = Some(Pending::Error(error));
                return Ok(None);
            }
        };
        let lower: Vec<Cow<str>> = record.iter().map(cell_text).collect();
        let names_only = !is_blank(&record)
            && !looks_like_patient_data(&lower)
            && !lower.iter().any(|c| has_long_number(c));
        let grouped = names_only
            .then(|| {
                let upper: Vec<&str> = upper.iter().map(|c| c.as_ref()).collect();
                let lower: Vec<&str> = lower.iter().map(|c| c.as_ref()).collect();
                let merged = self.merged_from_row(row);
                header_groups::grouped_headers(&upper, &lower, merged.as_deref())
            })
            .flatten();
        if let Some(mut headers) = grouped {
            while headers.last().is_some_and(|h| h.text.is_empty()) {
                headers.pop();
            }
            let mapped = self.map_columns(&headers)?;
            return Ok(Some((next_row, headers, mapped)));
        }
        self.pending = Some(Pending::Row(next_row, record));
        Ok(None)
    }

    /// The roles of `headers`, leaving out hidden columns: a hidden column
    /// takes no role. A required column found only among the hidden ones
    /// stops the run, naming it. A hidden consent column is still read as
    /// consent, so a decline in it still declines.
    fn map_columns(
        &self,
        headers: &[Header],
    ) -> Result<Result<ColumnMap, ColumnProblem>, ListError> {
        let hidden: Vec<usize> = headers
            .iter()
            .map(|h| h.index)
            .filter(|&i| self.column_hidden(i))
            .collect();
        if hidden.is_empty() {
            return Ok(ColumnMap::from_headers(headers));
        }
        let visible: Vec<Header> = headers
            .iter()
            .map(|h| match hidden.contains(&h.index) {
                true => Header {
                    index: h.index,
                    text: String::new(),
                    group: None,
                },
                false => h.clone(),
            })
            .collect();
        let mut map = match ColumnMap::from_headers(&visible) {
            Ok(map) => map,
            Err(ColumnProblem::Missing(missing)) => {
                if let Ok(all) = ColumnMap::from_headers(headers)
                    && let Some(column) = missing
                        .iter()
                        .filter_map(|role| all.column_of(*role))
                        .find(|i| hidden.contains(i))
                {
                    return Err(ListError::HiddenColumn {
                        column: headers[column].clone(),
                    });
                }
                return Ok(Err(ColumnProblem::Missing(missing)));
            }
            Err(problem) => return Ok(Err(problem)),
        };
        // Each hidden column is tried back in: one read as consent (or
        // however ColumnMap records a column about SMS) is kept, since a
        // decline in it must still decline; one that would take a patient
        // role is left out; one that would stop the run still stops it.
        let mut kept = visible;
        for &column in &hidden {
            let mut with_it = kept.clone();
            with_it[column] = headers[column].clone();
            match ColumnMap::from_headers(&with_it) {
                Ok(with)
                    if PATIENT_ROLES
                        .iter()
                        .any(|r| with.column_of(*r) == Some(column)) => {}
                Ok(with) => {
                    map = with;
                    kept = with_it;
                }
                Err(ColumnProblem::Missing(_) | ColumnProblem::Twice(..)) => {}
                Err(problem) => return Ok(Err(problem)),
            }
        }
        Ok(Ok(map))
    }

    fn merged_from_row(&self, row: u64) -> Option<Vec<(usize, usize)>> {
        match &self.source {
            Source::Sheet(sheet) => sheet.merged_from_row(row),
            Source::Csv(_) => None,
        }
    }

    /// Whether column `index` is hidden in the spreadsheet.
    pub fn column_hidden(&self, index: usize) -> bool {
        match &self.source {
            Source::Sheet(sheet) => sheet.column_hidden(index),
            Source::Csv(_) => false,
        }
    }

    /// Reads the next non-blank row into `record`; returns its row number as
    /// a spreadsheet shows it (the header is row 1 in a plain export).
    pub fn read_row(&mut self, record: &mut ByteRecord) -> Result<Option<u64>, ListError> {
        loop {
            let row = match self.pending.take() {
                Some(Pending::Row(row, pending)) => {
                    *record = pending;
                    row
                }
                Some(Pending::Error(error)) => return Err(error),
                None => match self.source.next(record)? {
                    Some(row) => row,
                    None => return Ok(None),
                },
            };
            if is_blank(record) {
                self.blank_rows += 1;
                continue;
            }
            self.row_hidden = match &self.source {
                Source::Sheet(sheet) => sheet.last_row_hidden(),
                Source::Csv(_) => false,
            };
            return Ok(Some(row));
        }
    }

    /// Whether the row [`PatientList::read_row`] last read is hidden in the
    /// spreadsheet (by hand or by a filter): practices hide rows to leave
    /// patients out, so it is not texted.
    pub fn row_hidden(&self) -> bool {
        self.row_hidden
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
}

/// The error for a header row's problem, and how many required columns the
/// row names (the row naming most is the header the person meant).
fn problem_error(problem: ColumnProblem, headers: Vec<Header>) -> (usize, ListError) {
    match problem {
        ColumnProblem::Missing(missing) if missing.len() == Role::REQUIRED.len() => {
            // Nothing shows this row is a header: never quote it.
            (0, ListError::NoRequiredColumns)
        }
        ColumnProblem::Missing(missing) => (
            Role::REQUIRED.len() - missing.len(),
            ListError::MissingColumns {
                missing,
                found: headers,
            },
        ),
        ColumnProblem::Twice(role, columns) => (
            Role::REQUIRED.len(),
            ListError::ColumnTwice { role, columns },
        ),
        ColumnProblem::UnclearConsent(column) => {
            (Role::REQUIRED.len(), ListError::UnclearConsent { column })
        }
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
mod tests;
#[cfg(test)]
mod tests_structure;
