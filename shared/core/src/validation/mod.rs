//! The validate-batch use case: a patient list in, each row accepted or not
//! accepted with every reason, in input order, and a summary.
//!
//! Output goes to a [`ValidationSink`]; the CSV reports in [`crate::report`]
//! are one, an accepted-recipient store will be another.

mod reason;
mod seen_patients;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use csv::ByteRecord;
use serde::Serialize;

use crate::columns::{ColumnMap, Header};
use crate::consent::Consent;
use crate::date_of_birth::DateOfBirth;
use crate::message::Template;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::opt_out::OptOutList;
use crate::patient_list::{ListError, PatientList, cell_text};
use crate::sms::{Encoding, TextLength};
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
    #[error("could not write the results: {0}")]
    Sink(#[source] SinkError),
}

pub struct ValidationOptions<'a> {
    pub message: Option<&'a Template>,
    pub opted_out: &'a OptOutList,
    /// Today's date in the UK, for dates of birth in the future.
    pub today: NaiveDate,
}

/// The columns the outputs carry, known before the first row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The list's own headers, as written.
    pub original_headers: Vec<String>,
    /// Accepted rows carry these after the fixed columns: `name`, `emis_number`,
    /// then each other column a placeholder uses, under its own header.
    pub personalisation: Vec<String>,
    /// Whether accepted rows carry the length of their text.
    pub with_text_length: bool,
}

pub struct AcceptedRow<'a> {
    pub row: u64,
    pub nhs_number: NhsNumber,
    pub mobile: UkMobile,
    pub date_of_birth: DateOfBirth,
    /// One value for each of [`Layout::personalisation`].
    pub personalisation: &'a [Cow<'a, str>],
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
    /// The header each role was read from.
    pub columns: BTreeMap<&'static str, String>,
    /// Over accepted rows, when a message was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<TextSummary>,
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
    for placeholder in message.iter().flat_map(|m| m.placeholders()) {
        let Some(column) = columns.column_for_placeholder(headers, &placeholder.name) else {
            return Err(ValidationError::UnknownPlaceholder {
                placeholder: placeholder.name.clone(),
                found: list_headers(headers),
            });
        };
        placeholder_columns.push(column);
        placeholder_names.push(Arc::from(placeholder.name.as_str()));
        let is_fixed =
            [columns.nhs_number, columns.mobile, columns.date_of_birth].contains(&column);
        if !is_fixed && !personalisation_columns.contains(&column) {
            personalisation_columns.push(column);
            personalisation.push(headers[column].text.clone());
        }
    }
    Ok(Plan {
        header_count: headers.len(),
        layout: Layout {
            original_headers: headers.iter().map(|h| h.text.clone()).collect(),
            personalisation,
            with_text_length: message.is_some(),
        },
        columns,
        personalisation_columns,
        placeholder_columns,
        placeholder_names,
    })
}

fn list_headers(headers: &[Header]) -> String {
    headers
        .iter()
        .filter(|h| !h.text.is_empty())
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell<'r>(record: &'r ByteRecord, index: usize) -> Cow<'r, str> {
    record
        .get(index)
        .map(cell_text)
        .unwrap_or(Cow::Borrowed(""))
}

/// Cells in the row, not counting empty ones beyond the header (trailing commas).
fn cell_count(record: &ByteRecord, header_count: usize) -> usize {
    let mut count = record.len();
    while count > header_count && record[count - 1].iter().all(u8::is_ascii_whitespace) {
        count -= 1;
    }
    count
}

#[derive(Default)]
struct Tally {
    summary_rows: u64,
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

/// Validates every row of `list`, in order, into `sink`.
pub fn validate_list(
    list: &mut PatientList,
    options: &ValidationOptions<'_>,
    sink: &mut impl ValidationSink,
) -> Result<Summary, ValidationError> {
    let plan = plan(list, options.message)?;
    sink.start(&plan.layout).map_err(ValidationError::Sink)?;

    let mut record = ByteRecord::new();
    let mut reasons = Vec::new();
    let mut seen = SeenPatients::default();
    let mut tally = Tally::default();
    let columns = &plan.columns;

    while let Some(row) = list.read_row(&mut record)? {
        tally.summary_rows += 1;
        reasons.clear();

        let found = cell_count(&record, plan.header_count);
        if found != plan.header_count {
            reasons.push(Reason::CellCount {
                found,
                expected: plan.header_count,
            });
        }
        let nhs_number = NhsNumber::parse(&cell(&record, columns.nhs_number))
            .map_err(|e| reasons.push(Reason::NhsNumber(e)))
            .ok();
        let mobile = UkMobile::parse(&cell(&record, columns.mobile))
            .map_err(|e| reasons.push(Reason::Mobile(e)))
            .ok();
        let date_of_birth =
            DateOfBirth::parse(&cell(&record, columns.date_of_birth), options.today)
                .map_err(|e| reasons.push(Reason::DateOfBirth(e)))
                .ok();
        if let Some(consent) = columns.consent {
            match Consent::from_cell(&cell(&record, consent)) {
                Consent::NotDeclined => {}
                Consent::Declined => reasons.push(Reason::Declined),
                Consent::Unrecognised => reasons.push(Reason::ConsentUnrecognised),
            }
        }
        if nhs_number.is_some_and(|n| options.opted_out.contains_nhs_number(n))
            || mobile.is_some_and(|m| options.opted_out.contains_mobile(m))
        {
            reasons.push(Reason::OptedOut);
        }
        if let Some(first) = nhs_number.and_then(|n| seen.first_row_or_insert(n, row)) {
            reasons.push(Reason::SamePatientAs { row: first });
        }
        let text_length = options.message.and_then(|message| {
            let values: Vec<Cow<str>> = plan
                .placeholder_columns
                .iter()
                .map(|&c| cell(&record, c))
                .collect();
            let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
            match message.measure(&values) {
                Err(empty) => {
                    reasons.push(Reason::EmptyPlaceholder {
                        placeholder: plan.placeholder_names[empty].clone(),
                    });
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

        match (nhs_number, mobile, date_of_birth, reasons.is_empty()) {
            (Some(nhs_number), Some(mobile), Some(date_of_birth), true) => {
                let personalisation: Vec<Cow<str>> = plan
                    .personalisation_columns
                    .iter()
                    .map(|&c| match cell(&record, c) {
                        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
                        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
                    })
                    .collect();
                tally.accepted += 1;
                if let Some(length) = text_length {
                    tally.count_text(length);
                }
                sink.accepted(&AcceptedRow {
                    row,
                    nhs_number,
                    mobile,
                    date_of_birth,
                    personalisation: &personalisation,
                    text_length,
                })
                .map_err(ValidationError::Sink)?;
            }
            _ => {
                tally.count_reasons(&reasons);
                let cells: Vec<Cow<str>> = record.iter().map(cell_text).collect();
                sink.not_accepted(&NotAcceptedRow {
                    row,
                    cells: &cells,
                    reasons: &reasons,
                })
                .map_err(ValidationError::Sink)?;
            }
        }
    }

    let mut reason_counts: Vec<ReasonCount> = tally.reasons.into_values().collect();
    reason_counts.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.code.cmp(b.code)));
    let headers = list.headers();
    let role_header = |i: usize| headers[i].text.clone();
    let mut column_names = BTreeMap::from([
        ("nhs_number", role_header(columns.nhs_number)),
        ("mobile", role_header(columns.mobile)),
        ("date_of_birth", role_header(columns.date_of_birth)),
    ]);
    for (role, index) in [
        ("name", columns.name),
        ("emis_number", columns.emis_number),
        ("consent", columns.consent),
    ] {
        if let Some(i) = index {
            column_names.insert(role, role_header(i));
        }
    }
    debug_assert!(seen.len() as u64 <= tally.summary_rows);
    Ok(Summary {
        rows: tally.summary_rows,
        accepted: tally.accepted,
        not_accepted: tally.summary_rows - tally.accepted,
        reasons: reason_counts,
        blank_rows_skipped: list.blank_rows(),
        header_row: list.header_row(),
        columns: column_names,
        texts: options.message.map(|_| tally.texts),
    })
}

#[cfg(test)]
mod tests;
