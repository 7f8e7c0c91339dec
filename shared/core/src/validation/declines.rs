//! A decline anywhere wins: the patients a list says must not be texted, found
//! by reading the whole list before any row is accepted.
//!
//! Rows are accepted as they stream, so without this a patient listed twice —
//! "Yes" on row 2 and "Declined" on row 9 — would be texted from row 2 before
//! row 9 was read. Validation therefore reads a list twice when one of its rows
//! could stop a text (it has a consent column, there is an opted-out list,
//! or it is a spreadsheet, whose rows may be hidden): first here, keeping
//! only the patients stopped and the row that stops each, then to validate.
//! A CSV list with neither is read once.

use csv::ByteRecord;
use hashbrown::HashMap;

use super::cells::Cells;
use crate::columns::ColumnMap;
use crate::consent::Consent;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::opt_out::OptOutList;
use crate::patient_list::{ListError, ListFormat, PatientList};
use crate::report::without_formula_guard;

/// What, on one row, stops the text to that row's patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Declined,
    ConsentUnrecognised,
    OptedOut,
    /// Practices hide a patient's row to leave them out.
    HiddenRow,
}

/// Every patient (by NHS number) with a row that stops their text, and the
/// first such row.
#[derive(Clone, Debug, Default)]
pub struct Declines {
    first_stop: HashMap<u64, (u64, Stop)>,
    read_the_list: bool,
}

impl Declines {
    /// Reads `list` to its end when one of its rows could stop a text, and
    /// then [`Declines::read_the_list`] says validation needs the list afresh;
    /// otherwise reads nothing.
    pub fn find(list: &mut PatientList, opted_out: &OptOutList) -> Result<Self, ListError> {
        let columns = list.columns().clone();
        let may_hide_rows = list.format() == ListFormat::Spreadsheet;
        if columns.consent.is_empty() && opted_out.is_empty() && !may_hide_rows {
            return Ok(Self::default());
        }
        let mut declines = Self {
            first_stop: HashMap::new(),
            read_the_list: true,
        };
        let mut record = ByteRecord::new();
        while let Some(row) = list.read_row(&mut record)? {
            let cells = Cells::from_record(std::mem::take(&mut record));
            let nhs_number =
                NhsNumber::parse(without_formula_guard(&cells.get(columns.nhs_number)));
            if let Ok(nhs_number) = nhs_number
                && let Some(stop) = row_stop(
                    &cells,
                    &columns,
                    Some(nhs_number),
                    opted_out,
                    list.row_hidden(),
                )
            {
                declines
                    .first_stop
                    .entry(nhs_number.as_u64())
                    .or_insert((row, stop));
            }
            record = cells.into_record();
        }
        Ok(declines)
    }

    /// Whether [`Declines::find`] read the list, so it must be opened again.
    pub fn read_the_list(&self) -> bool {
        self.read_the_list
    }

    /// The first row that stops this patient's text, if any does.
    pub fn first_stop(&self, nhs_number: NhsNumber) -> Option<(u64, Stop)> {
        self.first_stop.get(&nhs_number.as_u64()).copied()
    }

    /// Patients stopped.
    pub fn len(&self) -> usize {
        self.first_stop.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first_stop.is_empty()
    }
}

/// The consent the row's consent columns give together: the strongest stop wins.
pub(super) fn row_consent(cells: &Cells, columns: &ColumnMap) -> Consent {
    columns
        .consent
        .iter()
        .map(|c| Consent::read(&cells.get(c.index), c.yes_means))
        .max()
        .unwrap_or(Consent::NotDeclined)
}

/// What on this row alone stops its patient's text.
fn row_stop(
    cells: &Cells,
    columns: &ColumnMap,
    nhs_number: Option<NhsNumber>,
    opted_out: &OptOutList,
    hidden: bool,
) -> Option<Stop> {
    if hidden {
        return Some(Stop::HiddenRow);
    }
    match row_consent(cells, columns) {
        Consent::Declined => return Some(Stop::Declined),
        Consent::Unrecognised => return Some(Stop::ConsentUnrecognised),
        Consent::NotDeclined => {}
    }
    if opted_out.is_empty() {
        return None;
    }
    let mobile = || UkMobile::parse(without_formula_guard(&cells.get(columns.mobile))).ok();
    (nhs_number.is_some_and(|n| opted_out.contains_nhs_number(n))
        || mobile().is_some_and(|m| opted_out.contains_mobile(m)))
    .then_some(Stop::OptedOut)
}
