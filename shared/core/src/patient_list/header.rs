//! Finding the header row: titles above it, a two-row header, hidden
//! columns, and patient rows where no header should be.

use std::borrow::Cow;

use csv::ByteRecord;

use super::*;
use crate::columns::{Words, heading_names_someone_else};

impl PatientList {
    pub(super) fn find_header(&mut self) -> Result<(), ListError> {
        let mut record = ByteRecord::new();
        let mut best_problem = None;
        let mut non_blank = 0;
        let mut records = 0;
        // Rows above the header that look like a patient's: never a title.
        let mut patient_rows = Vec::new();
        let mut first_row = None;
        // The non-blank row before this one, for a two-row header.
        let mut previous: Option<(u64, Vec<String>)> = None;
        // Rows that, left above the header as titles, would hide what they say.
        let mut notes = NotesAbove::default();
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
            notes.read(row, &cells, self.merged_from_row(row));
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
                        notes.check(row, sub_headers.len())?;
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
                    notes.check(row + 1 - header_rows, headers.len())?;
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

    pub(super) fn merged_from_row(&self, row: u64) -> Option<Vec<(usize, usize)>> {
        match &self.source {
            Source::Sheet(sheet) => sheet.merged_from_row(row),
            Source::Csv(_) => None,
        }
    }
}

/// Titles and notes above the header that must not be skipped: one that
/// heads a list of patients who declined (the whole list may be theirs), and
/// one laid out as groups over the columns that names a next of kin, carer
/// or other contact (some columns below are theirs, and the tool cannot tell
/// which). The group row read as part of the header is not among them.
#[derive(Default)]
struct NotesAbove {
    /// The first row speaking of declining or not texting.
    declining: Option<u64>,
    /// Rows naming someone else, each with the last column a cell in it
    /// spans: a title reaches the header's last column, a group does not.
    someone_else: Vec<(u64, NamedSpan)>,
}

/// Where the cells of a row naming someone else lie.
enum NamedSpan {
    /// Cells beyond the first column: laid out over columns.
    OverColumns,
    /// One cell in the first column, merged up to this column, if merged.
    First(Option<usize>),
    /// A note that says whose the numbers below are ("Note: mobile numbers
    /// below are next of kin's"), wherever it is.
    AboutNumbers,
}

/// Words that make a note naming someone else a note about the numbers.
const NUMBER_WORDS: &[&str] = &["mobile", "number", "phone", "telephon", "tel"];

impl NotesAbove {
    fn read(&mut self, row: u64, cells: &[Cow<str>], merged: Option<Vec<(usize, usize)>>) {
        if self.declining.is_none()
            && cells
                .iter()
                .any(|c| declined_heading::speaks_of_declining(c))
        {
            self.declining = Some(row);
        }
        if cells.iter().any(|c| heading_names_someone_else(c)) {
            let beyond_first = cells.iter().skip(1).any(|c| !c.trim().is_empty());
            let about_numbers = cells.iter().any(|c| Words::of(c).has_stem(NUMBER_WORDS));
            let span = match (about_numbers, beyond_first) {
                (true, _) => NamedSpan::AboutNumbers,
                (false, true) => NamedSpan::OverColumns,
                (false, false) => NamedSpan::First(
                    merged
                        .as_deref()
                        .and_then(|m| m.iter().find(|(first, _)| *first == 0))
                        .map(|&(_, last)| last),
                ),
            };
            self.someone_else.push((row, span));
        }
    }

    /// Stops on a note above `header_first_row` that must not be skipped.
    fn check(&self, header_first_row: u64, width: usize) -> Result<(), ListError> {
        if let Some(row) = self.declining.filter(|&row| row < header_first_row) {
            return Err(ListError::DecliningTitle { row });
        }
        let over_columns = |span: &NamedSpan| match span {
            NamedSpan::OverColumns | NamedSpan::AboutNumbers => true,
            NamedSpan::First(merged_to) => merged_to.is_some_and(|last| last + 1 < width),
        };
        match self
            .someone_else
            .iter()
            .find(|(row, span)| *row < header_first_row && over_columns(span))
        {
            Some(&(row, _)) => Err(ListError::SomeoneElseAboveHeader { row }),
            None => Ok(()),
        }
    }
}

/// Whether a row held above a header met again names someone else in a cell
/// beyond the first column: a group row over the columns that could not be
/// read as one.
pub(super) fn names_someone_else_over_columns(record: &ByteRecord) -> bool {
    let beyond_first = record.iter().skip(1).any(|c| !c.trim_ascii().is_empty());
    beyond_first
        && record
            .iter()
            .any(|c| heading_names_someone_else(&cell_text(c)))
}
