//! Reading an uploaded patient list: CSV in any encoding Excel and the
//! clinical systems write, or a spreadsheet, row by row, with the row numbers
//! a person sees when they open the file.
//!
//! CSV is streamed: memory stays flat however long the file is.

mod blank_lines;
mod cell_format;
mod footers;
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
pub use header_again::Unmatched;
use header_again::{HeaderAgain, Met};

use crate::columns::{
    ColumnMap, ColumnProblem, Header, Role, column_letter, describe_header, describe_headers,
    has_long_number, headers_of, join_or, under_other_heading,
};
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

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("could not read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error(
        "Row {row} has a quote (\") that is never closed, so the rest of the file would read \
         as one cell. Remove the quote or add the closing one, and upload the file again"
    )]
    UnclosedQuote { row: u64 },
    #[error(
        "Lines {first_line} to {last_line} of the file (as a text editor numbers them) are \
         joined into one row by a quote (\") on line {quote_line} that is not closed where it \
         should be, so several patients would be read as one, with each other's details. \
         Remove that quote, or add the closing one where the cell ends, and upload the file again"
    )]
    JoinedRows {
        first_line: u64,
        last_line: u64,
        quote_line: u64,
    },
    #[error(
        "Row {row} is a second header row with different columns{}. The file holds lists \
         pasted together: split it into one list per header row and upload each",
        header_differences(.added, .missing)
    )]
    HeaderAgainDifferent {
        row: u64,
        /// Columns it names that the first header does not.
        added: Vec<Header>,
        /// Columns of the first header it does not name.
        missing: Vec<Header>,
    },
    #[error(
        "Row {row} says a patient must not be texted (declined, or a consent we cannot read), \
         but its NHS number cannot be read, nor its mobile and date of birth, so there is no \
         telling which patient it is, and they may be listed on another row. Correct the NHS \
         number on row {row} (or delete the row if it is not a patient), and upload the file again"
    )]
    StopWithoutPatient { row: u64 },
    #[error(
        "{} the header again, naming the same columns as the first header ({}) {}. The file \
         holds lists pasted together: split it into one list per header row and upload each",
        rows_are(&(*.first_row..=*.last_row).collect::<Vec<_>>()),
        rows_span(.header_rows.0, .header_rows.1), unmatched(.why)
    )]
    HeaderAgainUnmatched {
        /// The rows of the header met again (its group row and its names).
        first_row: u64,
        last_row: u64,
        /// The first header's rows.
        header_rows: (u64, u64),
        why: Unmatched,
    },
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
    #[error("{}", which_sheet_message(.sheets))]
    WhichSheet {
        /// The sheets that hold data, in the workbook's order.
        sheets: Vec<WorkbookSheet>,
    },
    #[error(
        "This is {file_kind}: batchmsg cannot see which rows or columns are hidden in it. \
         Open it in Excel, save it as .xlsx (or CSV), and upload that"
    )]
    StructureUnseen {
        /// "an older Excel file (.xls)" or "an Excel binary workbook (.xlsb)".
        file_kind: &'static str,
    },
    #[error("The spreadsheet is larger than 64 MB. Save the patient list as CSV and upload that")]
    SpreadsheetTooLarge,
    #[error(
        "The first row holds patient details, not column names. Add a header row naming the \
         NHS number, mobile number and date of birth columns"
    )]
    NoHeader,
    #[error(
        "{} above the header row (row {header_row}) and hold{} patient details, which would \
         not be read as patients (a decline in them would be missed). Put the header row \
         first, or delete {}, and upload the file again",
        rows_are(.rows), if .rows.len() == 1 { "s" } else { "" },
        if .rows.len() == 1 { "that row" } else { "those rows" }
    )]
    PatientRowsAboveHeader {
        /// The rows above the header that look like a patient's.
        rows: Vec<u64>,
        /// The header's first row.
        header_row: u64,
    },
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
        "The column {column} seems to be about texting, but its name does not say whether Yes \
         there means the patient may be texted or must not be. Rename it \"SMS consent\" if Yes \
         means they may be texted, or \"SMS declined\" if Yes means they must not be; delete it \
         if it is not about texting; and upload the file again"
    )]
    UnclearConsent { column: Header },
    #[error(
        "The column {} seems to hold SMS consent, but the heading over it does not say it is \
         the patient's: it may be someone else's. If it is the patient's, change that heading \
         to \"Patient\" or \"Consent\"; if it is someone else's, delete the column; and upload \
         the file again",
        describe_header(.column)
    )]
    WhoseConsent { column: Header },
    #[error("{}", which_mobile(.candidates, .others))]
    WhichMobile {
        /// Columns that could each be the patient's own mobile.
        candidates: Vec<Header>,
        /// Mobiles of a next of kin, carer, relative or other contact, or
        /// under a heading that does not say it is the patient's: never texted.
        others: Vec<Header>,
    },
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

/// A sheet of a workbook, named as its tab shows it (a sheet name is not a
/// patient's detail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkbookSheet {
    pub name: String,
    pub hidden: bool,
}

fn which_sheet_message(sheets: &[WorkbookSheet]) -> String {
    let named = |s: &WorkbookSheet| match s.hidden {
        true => format!("\"{}\" (hidden)", s.name),
        false => format!("\"{}\"", s.name),
    };
    match sheets {
        [only] => format!(
            "The workbook's only sheet with data, {}, is hidden. If it is the list to send \
             from, unhide it or save it as its own file (.xlsx or CSV), and upload that",
            named(only)
        ),
        [init @ .., last] => format!(
            "The workbook has more than one sheet with data: {} and {}. Save the sheet to send \
             from as its own file (.xlsx or CSV) and upload that",
            init.iter().map(named).collect::<Vec<_>>().join(", "),
            named(last)
        ),
        [] => "The workbook has no sheet with data".to_owned(),
    }
}

fn header_differences(added: &[Header], missing: &[Header]) -> String {
    match (added.is_empty(), missing.is_empty()) {
        (false, false) => format!(
            " (it adds {} and lacks {})",
            describe_headers(added),
            describe_headers(missing)
        ),
        (false, true) => format!(" (it adds {})", describe_headers(added)),
        (true, false) => format!(" (it lacks {})", describe_headers(missing)),
        (true, true) => String::new(),
    }
}

/// The question that settles which column is the patient's own mobile.
fn which_mobile(candidates: &[Header], others: &[Header]) -> String {
    let (headed, named): (Vec<Header>, Vec<Header>) =
        others.iter().cloned().partition(under_other_heading);
    let one_or_many = |columns: &[Header], one: &'static str, many: &'static str| {
        if columns.len() == 1 { one } else { many }
    };
    let mut others_note = String::new();
    if !named.is_empty() {
        others_note += &format!(
            " {} belong{} to a next of kin, carer, relative or other contact, and {} never texted.",
            join_or(&named).replace(" or ", " and "),
            one_or_many(&named, "s", ""),
            one_or_many(&named, "is", "are"),
        );
    }
    if !headed.is_empty() {
        others_note += &format!(
            " {} {} not taken as the patient's: the heading over {} does not say it is the \
             patient's (if it is, change the heading to \"Patient\").",
            join_or(&headed).replace(" or ", " and "),
            one_or_many(&headed, "is", "are"),
            one_or_many(&headed, "it", "them"),
        );
    }
    match candidates {
        [] => format!(
            "The file has no column for the patient's own mobile:{others_note} Add a column \
             \"Mobile\" holding the patient's mobile, and upload the file again"
        ),
        [one] => format!(
            "Is {one} the patient's own mobile?{others_note} If it is, rename it \"Mobile\"; \
             if not, add a column \"Mobile\" holding the patient's mobile; and upload the file again",
            one = describe_header(one)
        ),
        several => format!(
            "Which is the patient's own mobile: {}?{others_note} Rename or delete the other, \
             and upload the file again",
            join_or(several)
        ),
    }
}

/// "row 2", "rows 1 to 2".
fn rows_span(first: u64, last: u64) -> String {
    match first == last {
        true => format!("row {first}"),
        false => format!("rows {first} to {last}"),
    }
}

/// Why a header met again cannot be matched to the first, and what could go wrong.
fn unmatched(why: &Unmatched) -> String {
    let quoted = |names: &[String]| {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        match quoted.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    };
    let risk = "so the tool cannot be sure which column is which in the rows below it: a text \
                could go to a next of kin's mobile, or greet the patient by another's name";
    match why {
        Unmatched::OrderUnderGroups { groups } => format!(
            "but in another order, with columns under the groups {}, {risk}",
            quoted(groups)
        ),
        Unmatched::OrderNamesTwice { names } => format!(
            "but in another order, with more than one column named {}, {risk}",
            quoted(names).replace(" and ", " or ")
        ),
        Unmatched::Groups => format!(
            "but under other groups (or with or without a group row above it, where the first \
             has the other), {risk}"
        ),
    }
}

/// "Row 2 is", "Rows 2 to 4 are", "Rows 2, 3 and 6 are".
fn rows_are(rows: &[u64]) -> String {
    match rows {
        [] => String::new(),
        [one] => format!("Row {one} is"),
        [first, .., last] if last - first + 1 == rows.len() as u64 => {
            format!("Rows {first} to {last} are")
        }
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(u64::to_string).collect();
            format!("Rows {} and {last} are", init.join(", "))
        }
    }
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

    fn find_header(&mut self) -> Result<(), ListError> {
        let mut record = ByteRecord::new();
        let mut best_problem = None;
        let mut non_blank = 0;
        let mut records = 0;
        // Rows above the header that look like a patient's: never a title.
        let mut patient_rows = Vec::new();
        let mut first_row = None;
        // The non-blank row before this one, for a two-row header.
        let mut previous: Option<(u64, Vec<String>)> = None;
        while non_blank <= MAX_ROWS_BEFORE_HEADER {
            let Some(row) = self.next_record(&mut record)? else {
                break;
            };
            records += 1;
            if is_blank(&record) {
                continue;
            }
            non_blank += 1;
            first_row.get_or_insert(row);
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
            let grouped_above = grouped.is_some();
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
                        Self::no_patient_rows_above(patient_rows, row)?;
                        return match mapped {
                            Ok(columns) => {
                                self.header_again = Some(HeaderAgain::new(&sub_headers, &columns));
                                self.headers = sub_headers;
                                self.columns = columns;
                                self.header_row = sub_row;
                                self.header_first_row = row;
                                self.header_rows = 2;
                                self.rows_above_header = records - 1;
                                Ok(())
                            }
                            Err(problem) => Err(problem_error(problem, sub_headers).1),
                        };
                    }
                    // A group row above the header is part of it.
                    let header_rows = if grouped_above { 2 } else { 1 };
                    Self::no_patient_rows_above(patient_rows, row + 1 - header_rows)?;
                    self.header_again = Some(HeaderAgain::new(&headers, &columns));
                    self.headers = headers;
                    self.columns = columns;
                    self.header_row = row;
                    self.header_first_row = row + 1 - header_rows;
                    self.header_rows = header_rows;
                    self.rows_above_header = records - header_rows;
                    return Ok(());
                }
                Err(problem) => {
                    if looks_like_patient_data(&cells) {
                        patient_rows.push(row);
                        continue;
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
        if first_row.is_some() && patient_rows.first() == first_row.as_ref() {
            return Err(ListError::NoHeader);
        }
        Err(best_problem.map_or(ListError::Empty, |(_, error)| error))
    }

    /// Stops when rows above the header hold patient details: skipped as a
    /// title, their patients (and any decline in them) would be lost.
    fn no_patient_rows_above(rows: Vec<u64>, header_row: u64) -> Result<(), ListError> {
        match rows.is_empty() {
            true => Ok(()),
            false => Err(ListError::PatientRowsAboveHeader { rows, header_row }),
        }
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
        let next_row = match self.next_record(&mut record) {
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
                Err(
                    ColumnProblem::Missing(_)
                    | ColumnProblem::Twice(..)
                    | ColumnProblem::WhichMobile { .. },
                ) => {}
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
            match self.header_again_at(row, record) {
                None => {
                    if let Some(again) = &self.header_again {
                        again.reorder(record, &mut self.scratch);
                    }
                }
                Some((first_row, last_row, Met::Same)) => {
                    // What was held above it is the next list's title.
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
            if self.held.len() < footers::MAX_FOOTER_ROWS
                && !declines
                && footers::looks_like_footer(record)
            {
                self.held.push((row, record.clone(), hidden));
                continue;
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
        ColumnProblem::WhoseConsent(column) => {
            (Role::REQUIRED.len(), ListError::WhoseConsent { column })
        }
        ColumnProblem::WhichMobile { candidates, others } => (
            Role::REQUIRED.len() - usize::from(candidates.is_empty()),
            ListError::WhichMobile { candidates, others },
        ),
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
mod tests_pasted;
#[cfg(test)]
mod tests_structure;
#[cfg(test)]
mod tests_unsafe_lists;
#[cfg(test)]
mod tests_workbooks;
