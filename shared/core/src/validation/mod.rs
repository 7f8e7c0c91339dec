//! The validate-batch use case: a patient list in, each row accepted or not
//! accepted with every reason, in input order, and a summary.
//!
//! Output goes to a [`ValidationSink`]: the CSV reports in `crate::report`
//! are one, the recipients stored for sending (`sending::RecipientRows`)
//! another. This module depends on neither.

mod cells;
mod declines;
mod do_not_text;
mod look_alikes;
mod reason;
mod seen_patients;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use csv::ByteRecord;
use serde::Serialize;

use crate::columns::{
    ColumnMap, Header, PlaceholderProblem, column_letter, describe_header, describe_headers,
    join_or,
};
use crate::consent::Consent;
use crate::date_of_birth::DateOfBirth;
use crate::excel_cells::without_formula_guard;
use crate::message::{Template, clean_value, has_direction_control, is_blank};
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::opt_out::OptOutList;
use crate::patient_list::{ListError, PatientList};
use crate::sms::{Encoding, TextLength};
use cells::Cells;
pub use declines::{Declines, Stop};
pub use reason::Reason;
use seen_patients::SeenPatients;

pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error(
        "The message uses (({placeholder})) but the file has no column called that. \
         Columns found: {found}. Add the column to the file or change the placeholder"
    )]
    UnknownPlaceholder { placeholder: String, found: String },
    #[error(
        "Row {row} stops a patient's text (declined, opted out or an unclear consent) but the \
         first reading of the file did not find it: the file changed while it was being read. \
         Upload it again"
    )]
    ListChanged { row: u64 },
    #[error(
        "The message uses (({placeholder})) and the file has more than one column it could \
         mean: {}. Rename or delete the one that is not the patient's (for example, call a \
         carer's column \"Carer {placeholder}\"), and upload the file again",
        join_and(.columns)
    )]
    PlaceholderColumnTwice {
        placeholder: String,
        columns: Vec<Header>,
    },
    #[error(
        "The message uses (({placeholder})) but the only column called that is {}, which \
         belongs to a next of kin, carer or relative, not the patient. Add the patient's own \
         column, or if the text should carry their details write the placeholder with the \
         whole column name, and upload the file again",
        join_or(.columns)
    )]
    PlaceholderSomeoneElses {
        placeholder: String,
        columns: Vec<Header>,
    },
    #[error(
        "The message uses (({placeholder})) but column {} \"{}\" is hidden: unhide it or \
         delete it, and upload again",
        column_letter(.column.index), .column.full_name()
    )]
    HiddenPlaceholderColumn { placeholder: String, column: Header },
    #[error(
        "The message has \"{found}\", which looks like the placeholder {placeholder} typed \
         wrongly: as it stands every patient would read \"{found}\". Write {placeholder} to \
         fill it in for each patient (or reword it), and try again"
    )]
    PlaceholderLookAlike { found: String, placeholder: String },
    #[error("could not write the results: {0}")]
    Sink(#[source] SinkError),
}

pub struct ValidationOptions<'a> {
    pub message: Option<&'a Template>,
    pub opted_out: &'a OptOutList,
    /// Today's date in the UK, for dates of birth in the future.
    pub today: NaiveDate,
    /// Every patient a row of this list stops, from [`Declines::find`] on
    /// the same list: a patient declined on a later row is not texted from
    /// an earlier one.
    pub declines: &'a Declines,
}

/// The columns the outputs carry, known before the first row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The list's own headers, as written.
    pub original_headers: Vec<String>,
    /// Accepted rows carry these after the fixed columns: `name`, `emis_number`,
    /// then each other column a placeholder uses, under its own header (an
    /// NHS number, mobile or date of birth used in the message too, as typed).
    pub personalisation: Vec<String>,
    /// For each placeholder of the message, in order, its value's index in
    /// [`Layout::personalisation`].
    pub placeholder_slots: Vec<usize>,
    /// Whether accepted rows carry the length of their text.
    pub with_text_length: bool,
}

pub struct AcceptedRow<'a> {
    pub row: u64,
    pub nhs_number: NhsNumber,
    pub mobile: UkMobile,
    pub date_of_birth: DateOfBirth,
    /// One value for each of [`Layout::personalisation`].
    pub personalisation: &'a [String],
    pub text_length: Option<TextLength>,
}

pub struct NotAcceptedRow<'a> {
    pub row: u64,
    /// Every cell of the row as read, including any beyond the header.
    pub cells: &'a [Cow<'a, str>],
    pub reasons: &'a [Reason],
}

pub trait ValidationSink {
    fn start(&mut self, layout: &Layout) -> Result<(), SinkError>;
    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError>;
    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError>;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    pub code: &'static str,
    pub reason: String,
    pub rows: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TextSummary {
    pub gsm7_texts: u64,
    pub ucs2_texts: u64,
    pub fragments: u64,
    pub most_characters: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub rows: u64,
    pub accepted: u64,
    pub not_accepted: u64,
    /// Count of rows per reason, most frequent first. A row may have several.
    pub reasons: Vec<ReasonCount>,
    pub blank_rows_skipped: u64,
    pub header_row: u64,
    /// The header row, and each header row met again in lists pasted together.
    pub header_rows: u64,
    /// Titles, notes and blank lines above a header row.
    pub rows_above_header: u64,
    /// Report footers at the end ("Total: 523 patients"): not patients.
    pub footer_rows_skipped: u64,
    /// Lines inside quoted cells that span lines (CSV). With the fields
    /// above and `rows`, every line of the file is accounted for.
    pub lines_in_quoted_cells: u64,
    /// The header each role was read from.
    pub columns: BTreeMap<&'static str, String>,
    /// Over accepted rows, when a message was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<TextSummary>,
}

fn join_and(columns: &[Header]) -> String {
    let named: Vec<String> = columns.iter().map(describe_header).collect();
    match named.as_slice() {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => named.concat(),
    }
}

/// Where each value comes from, worked out once from the header.
struct Plan {
    columns: ColumnMap,
    header_count: usize,
    personalisation_columns: Vec<usize>,
    placeholder_columns: Vec<usize>,
    placeholder_names: Vec<Arc<str>>,
    layout: Layout,
}

fn plan(list: &PatientList, message: Option<&Template>) -> Result<Plan, ValidationError> {
    let headers = list.headers();
    let columns = list.columns().clone();
    if let Some((found, placeholder)) =
        message.and_then(|m| look_alikes::placeholder_look_alike(m, headers, &columns))
    {
        return Err(ValidationError::PlaceholderLookAlike { found, placeholder });
    }
    let mut personalisation_columns = Vec::new();
    let mut personalisation = Vec::new();
    if let Some(name) = columns.name {
        personalisation_columns.push(name);
        personalisation.push("name".to_owned());
    }
    if let Some(emis) = columns.emis_number {
        personalisation_columns.push(emis);
        personalisation.push("emis_number".to_owned());
    }
    let mut placeholder_columns = Vec::new();
    let mut placeholder_names = Vec::new();
    let mut placeholder_slots = Vec::new();
    for placeholder in message.iter().flat_map(|m| m.placeholders()) {
        let column = match columns.column_for_placeholder(headers, &placeholder.name) {
            Ok(column) => column,
            Err(PlaceholderProblem::NoColumn) => {
                return Err(ValidationError::UnknownPlaceholder {
                    placeholder: placeholder.name.clone(),
                    found: describe_headers(headers),
                });
            }
            Err(PlaceholderProblem::Twice(columns)) => {
                return Err(ValidationError::PlaceholderColumnTwice {
                    placeholder: placeholder.name.clone(),
                    columns,
                });
            }
            Err(PlaceholderProblem::SomeoneElses(columns)) => {
                return Err(ValidationError::PlaceholderSomeoneElses {
                    placeholder: placeholder.name.clone(),
                    columns,
                });
            }
        };
        // A hidden column fills no placeholder.
        if list.column_hidden(column) {
            return Err(ValidationError::HiddenPlaceholderColumn {
                placeholder: placeholder.name.clone(),
                column: headers[column].clone(),
            });
        }
        placeholder_columns.push(column);
        placeholder_names.push(Arc::from(placeholder.name.as_str()));
        let slot = match personalisation_columns.iter().position(|&c| c == column) {
            Some(slot) => slot,
            None => {
                personalisation_columns.push(column);
                personalisation.push(headers[column].full_name());
                personalisation_columns.len() - 1
            }
        };
        placeholder_slots.push(slot);
    }
    Ok(Plan {
        header_count: headers.len(),
        layout: Layout {
            original_headers: headers.iter().map(Header::full_name).collect(),
            personalisation,
            placeholder_slots,
            with_text_length: message.is_some(),
        },
        columns,
        personalisation_columns,
        placeholder_columns,
        placeholder_names,
    })
}

#[derive(Default)]
struct Tally {
    rows: u64,
    accepted: u64,
    reasons: BTreeMap<&'static str, ReasonCount>,
    texts: TextSummary,
}

impl Tally {
    fn count_reasons(&mut self, reasons: &[Reason]) {
        for reason in reasons {
            self.reasons
                .entry(reason.code())
                .or_insert_with(|| ReasonCount {
                    code: reason.code(),
                    reason: reason.summary_text(),
                    rows: 0,
                })
                .rows += 1;
        }
    }

    fn count_text(&mut self, length: TextLength) {
        match length.encoding {
            Encoding::Gsm7 => self.texts.gsm7_texts += 1,
            Encoding::Ucs2 => self.texts.ucs2_texts += 1,
        }
        self.texts.fragments += length.fragments as u64;
        self.texts.most_characters = self.texts.most_characters.max(length.characters);
    }
}

/// A row with every reason found without looking at other rows.
struct CheckedRow {
    row: u64,
    cells: Cells,
    nhs_number: Option<NhsNumber>,
    /// Set when the required values are valid (other reasons may remain).
    recipient: Option<(UkMobile, DateOfBirth)>,
    text_length: Option<TextLength>,
    reasons: Vec<Reason>,
}

/// What a checked row leaves behind for the next one to reuse.
#[derive(Default)]
struct Spare {
    record: ByteRecord,
    reasons: Vec<Reason>,
}

fn check_row(
    row: u64,
    hidden: bool,
    cells: Cells,
    mut reasons: Vec<Reason>,
    plan: &Plan,
    options: &ValidationOptions<'_>,
) -> CheckedRow {
    reasons.clear();
    if hidden {
        reasons.push(Reason::HiddenRow);
    }
    let columns = &plan.columns;
    let found = cells.count_within(plan.header_count);
    if found != plan.header_count {
        reasons.push(Reason::CellCount {
            found,
            expected: plan.header_count,
        });
    }
    let nhs_number = NhsNumber::parse(without_formula_guard(&cells.get(columns.nhs_number)))
        .map_err(|e| reasons.push(Reason::NhsNumber(e)))
        .ok();
    let mobile = UkMobile::parse(without_formula_guard(&cells.get(columns.mobile)))
        .map_err(|e| reasons.push(Reason::Mobile(e)))
        .ok();
    let date_of_birth = DateOfBirth::parse(
        without_formula_guard(&cells.get(columns.date_of_birth)),
        options.today,
    )
    .map_err(|e| reasons.push(Reason::DateOfBirth(e)))
    .ok();
    match declines::row_consent(&cells, columns) {
        Consent::NotDeclined => {}
        Consent::Declined => reasons.push(Reason::Declined),
        Consent::Unrecognised => reasons.push(Reason::ConsentUnrecognised),
    }
    if let Some(column_at) = do_not_text::do_not_text_column(&cells, columns) {
        let column: Arc<str> = match plan.layout.original_headers.get(column_at) {
            Some(header) => Arc::from(header.as_str()),
            None => Arc::from(format!("column {}", column_letter(column_at))),
        };
        reasons.push(match columns.name == Some(column_at) {
            true => Reason::DoNotTextInName { column },
            false => Reason::DoNotTextInCell { column },
        });
    }
    if nhs_number.is_some_and(|n| options.opted_out.contains_nhs_number(n))
        || mobile.is_some_and(|m| options.opted_out.contains_mobile(m))
    {
        reasons.push(Reason::OptedOut);
    }
    let text_length = options.message.and_then(|message| {
        let reordered = plan.placeholder_columns.iter().enumerate();
        let reordered = reordered.filter(|&(_, &c)| has_direction_control(&cells.get(c)));
        for (i, _) in reordered {
            reasons.push(Reason::DirectionControl {
                placeholder: plan.placeholder_names[i].clone(),
            });
        }
        match message.measure(|i| cells.get(plan.placeholder_columns[i])) {
            Err(_) => {
                let empty = message.placeholders().enumerate().filter(|(i, p)| {
                    p.fallback.is_none() && is_blank(&cells.get(plan.placeholder_columns[*i]))
                });
                for (i, _) in empty {
                    reasons.push(Reason::EmptyPlaceholder {
                        placeholder: plan.placeholder_names[i].clone(),
                    });
                }
                None
            }
            Ok(length) if length.is_too_long() => {
                reasons.push(Reason::TooLong {
                    characters: length.characters,
                });
                None
            }
            Ok(length) => Some(length),
        }
    });
    CheckedRow {
        row,
        cells,
        nhs_number,
        recipient: mobile.zip(date_of_birth),
        text_length,
        reasons,
    }
}

/// Rows travel between the two threads in batches this size.
const BATCH_ROWS: usize = 512;

/// The reading half: parse and check rows, in order, in batches.
fn check_rows(
    list: &mut PatientList,
    plan: &Plan,
    options: &ValidationOptions<'_>,
    checked: std::sync::mpsc::SyncSender<Result<Vec<CheckedRow>, ListError>>,
    spares: std::sync::mpsc::Receiver<Vec<Spare>>,
) {
    let mut pool: Vec<Spare> = Vec::new();
    loop {
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while batch.len() < BATCH_ROWS {
            if pool.is_empty() {
                pool = spares.try_recv().unwrap_or_default();
            }
            let Spare {
                mut record,
                reasons,
            } = pool.pop().unwrap_or_default();
            match list.read_row(&mut record) {
                Ok(Some(row)) => batch.push(check_row(
                    row,
                    list.row_hidden(),
                    Cells::from_record(record),
                    reasons,
                    plan,
                    options,
                )),
                Ok(None) => {
                    if !batch.is_empty() {
                        let _ = checked.send(Ok(batch));
                    }
                    return;
                }
                Err(e) => {
                    let _ = checked.send(Err(e));
                    return;
                }
            }
        }
        if checked.send(Ok(batch)).is_err() {
            return; // the writing half stopped on an error of its own
        }
    }
}

/// A patient stopped on another row is not accepted on this one. A row that
/// stops its patient where the first reading found no stop means the file
/// changed in between (or the declines came from another list): nothing from
/// this reading can be trusted.
fn stop_where_declined(
    reasons: &mut Vec<Reason>,
    row: u64,
    nhs_number: NhsNumber,
    mobile_and_birth: Option<(UkMobile, DateOfBirth)>,
    declines: &Declines,
) -> Result<(), ValidationError> {
    let stopped_here = reasons.iter().any(Reason::stops_patient);
    match declines.first_stop(nhs_number, mobile_and_birth) {
        None if stopped_here => Err(ValidationError::ListChanged { row }),
        Some((stop_row, stop)) if !stopped_here && stop_row != row => {
            reasons.push(Reason::StoppedOnRow {
                row: stop_row,
                stop,
            });
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Validates every row of `list`, in order, into `sink`.
pub fn validate_list(
    list: &mut PatientList,
    options: &ValidationOptions<'_>,
    sink: &mut impl ValidationSink,
) -> Result<Summary, ValidationError> {
    let plan = plan(list, options.message)?;
    sink.start(&plan.layout).map_err(ValidationError::Sink)?;

    let mut personalisation: Vec<String> = vec![String::new(); plan.personalisation_columns.len()];
    // With 5 % to spare, and capped so a wild estimate cannot claim much memory.
    const MAX_PRESIZED_PATIENTS: u64 = 4_000_000;
    let expected = (list.estimated_rows().unwrap_or(0) / 20 * 21).min(MAX_PRESIZED_PATIENTS);
    let mut seen = SeenPatients::with_capacity(expected as usize);
    let mut tally = Tally::default();

    // Reading and checking rows runs beside duplicate detection and writing:
    // the two halves of the work are about equal, and the machine has two cores.
    std::thread::scope(|scope| {
        let (checked_tx, checked_rx) = std::sync::mpsc::sync_channel(4);
        let (spares_tx, spares_rx) = std::sync::mpsc::channel();
        let (plan, reader) = (&plan, &mut *list);
        scope.spawn(move || check_rows(reader, plan, options, checked_tx, spares_rx));

        for batch in checked_rx {
            let mut spares = Vec::with_capacity(BATCH_ROWS);
            for mut checked in batch? {
                tally.rows += 1;
                let row = checked.row;
                if let Some(first) = checked
                    .nhs_number
                    .and_then(|n| seen.first_row_or_insert(n, row))
                {
                    checked.reasons.push(Reason::SamePatientAs { row: first });
                }
                if let Some(nhs_number) = checked.nhs_number {
                    stop_where_declined(
                        &mut checked.reasons,
                        row,
                        nhs_number,
                        checked.recipient,
                        options.declines,
                    )?;
                }
                match (checked.nhs_number, checked.recipient) {
                    (Some(nhs_number), Some((mobile, date_of_birth)))
                        if checked.reasons.is_empty() =>
                    {
                        for (value, &column) in personalisation
                            .iter_mut()
                            .zip(&plan.personalisation_columns)
                        {
                            value.clear();
                            value.push_str(&clean_value(&checked.cells.get(column)));
                        }
                        tally.accepted += 1;
                        if let Some(length) = checked.text_length {
                            tally.count_text(length);
                        }
                        sink.accepted(&AcceptedRow {
                            row,
                            nhs_number,
                            mobile,
                            date_of_birth,
                            personalisation: &personalisation,
                            text_length: checked.text_length,
                        })
                        .map_err(ValidationError::Sink)?;
                    }
                    _ => {
                        tally.count_reasons(&checked.reasons);
                        sink.not_accepted(&NotAcceptedRow {
                            row,
                            cells: &checked.cells.all(),
                            reasons: &checked.reasons,
                        })
                        .map_err(ValidationError::Sink)?;
                    }
                }
                spares.push(Spare {
                    record: checked.cells.into_record(),
                    reasons: checked.reasons,
                });
            }
            let _ = spares_tx.send(spares);
        }
        Ok::<(), ValidationError>(())
    })?;

    let mut reason_counts: Vec<ReasonCount> = tally.reasons.into_values().collect();
    reason_counts.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.code.cmp(b.code)));
    let columns = &plan.columns;
    let headers = list.headers();
    let role_header = |i: usize| headers[i].full_name();
    let mut column_names = BTreeMap::from([
        ("nhs_number", role_header(columns.nhs_number)),
        ("mobile", role_header(columns.mobile)),
        ("date_of_birth", role_header(columns.date_of_birth)),
    ]);
    for (role, index) in [
        ("name", columns.name),
        ("emis_number", columns.emis_number),
        ("consent", columns.consent.first().map(|c| c.index)),
    ] {
        if let Some(i) = index {
            column_names.insert(role, role_header(i));
        }
    }
    Ok(Summary {
        rows: tally.rows,
        accepted: tally.accepted,
        not_accepted: tally.rows - tally.accepted,
        reasons: reason_counts,
        blank_rows_skipped: list.blank_rows(),
        header_row: list.header_row(),
        header_rows: list.header_rows(),
        rows_above_header: list.rows_above_header(),
        footer_rows_skipped: list.footer_rows(),
        lines_in_quoted_cells: list.lines_in_quoted_cells(),
        columns: column_names,
        texts: options.message.map(|_| tally.texts),
    })
}

#[cfg(test)]
mod cell_text_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lines;
