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
//!
//! A stopping row names its patient by NHS number, however written: the ten
//! digits are taken from the cell even when the number itself is not accepted
//! ("943  476  5919", "NHS 9434765919", "9434765919.0"). Failing that, by its
//! mobile and date of birth together. A decline that names no patient at all
//! stops the run: there is no telling whose it is.

use csv::ByteRecord;
use hashbrown::HashMap;

use super::cells::Cells;
use super::do_not_text::{do_not_text_column, has_free_text_columns};
use crate::columns::ColumnMap;
use crate::consent::Consent;
use crate::date_of_birth::DateOfBirth;
use crate::excel_cells::without_formula_guard;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::opt_out::OptOutList;
use crate::patient_list::{ListError, ListFormat, PatientList};

/// What, on one row, stops the text to that row's patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Declined,
    ConsentUnrecognised,
    OptedOut,
    /// Practices hide a patient's row to leave them out.
    HiddenRow,
}

/// Every patient with a row that stops their text, and the first such row.
#[derive(Clone, Default)]
pub struct Declines {
    /// By NHS number (its ten digits).
    by_nhs_number: HashMap<u64, (u64, Stop)>,
    /// By mobile and date of birth, for rows whose NHS number cannot be read.
    by_mobile_and_birth: HashMap<(u64, DateOfBirth), (u64, Stop)>,
    read_the_list: bool,
}

/// Counts only: the keys are patients' NHS numbers, mobiles and dates of birth.
impl std::fmt::Debug for Declines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declines")
            .field("patients_stopped", &self.len())
            .field("read_the_list", &self.read_the_list)
            .finish()
    }
}

impl Declines {
    /// Reads `list` to its end when one of its rows could stop a text, and
    /// then [`Declines::read_the_list`] says validation needs the list afresh;
    /// otherwise reads nothing. `today` is the UK date, as validation has it.
    pub fn find(
        list: &mut PatientList,
        opted_out: &OptOutList,
        today: chrono::NaiveDate,
    ) -> Result<Self, ListError> {
        let columns = list.columns().clone();
        let may_hide_rows = list.format() == ListFormat::Spreadsheet;
        let free_text = has_free_text_columns(&columns, list.headers().len());
        if columns.consent.is_empty() && opted_out.is_empty() && !may_hide_rows && !free_text {
            return Ok(Self::default());
        }
        let mut declines = Self {
            read_the_list: true,
            ..Self::default()
        };
        let mut record = ByteRecord::new();
        while let Some(row) = list.read_row(&mut record)? {
            let cells = Cells::from_record(std::mem::take(&mut record));
            let nhs_cell = cells.get(columns.nhs_number);
            let nhs_number = NhsNumber::parse(without_formula_guard(&nhs_cell)).ok();
            let hidden = list.row_hidden();
            if let Some(stop) = row_stop(&cells, &columns, nhs_number, opted_out, hidden) {
                let first = (row, stop);
                if let Some(nhs_number) = nhs_number {
                    declines
                        .by_nhs_number
                        .entry(nhs_number.as_u64())
                        .or_insert(first);
                } else if !declines.name_without_number(&nhs_cell, &cells, &columns, today, first)
                    && stop != Stop::HiddenRow
                {
                    // A hidden row with nothing to say whose it is (a subtotal,
                    // a note) leaves no one out; a decline must.
                    return Err(ListError::StopWithoutPatient { row });
                }
            }
            record = cells.into_record();
        }
        Ok(declines)
    }

    /// Records a stopping row whose NHS number is not accepted. It may be the
    /// right number written oddly, or a slip of the keyboard, so the row names
    /// its patient both ways it can: the ten digits, and mobile with date of
    /// birth. False if it names no one.
    fn name_without_number(
        &mut self,
        nhs_cell: &str,
        cells: &Cells,
        columns: &ColumnMap,
        today: chrono::NaiveDate,
        first: (u64, Stop),
    ) -> bool {
        let digits = ten_digits(nhs_cell);
        let contact = mobile_and_birth(cells, columns, today);
        if let Some(digits) = digits {
            self.by_nhs_number.entry(digits).or_insert(first);
        }
        if let Some(key) = contact {
            self.by_mobile_and_birth.entry(key).or_insert(first);
        }
        digits.is_some() || contact.is_some()
    }

    /// Whether [`Declines::find`] read the list, so it must be opened again.
    pub fn read_the_list(&self) -> bool {
        self.read_the_list
    }

    /// The first row that stops this patient's text, if any does: by NHS
    /// number, or else by mobile and date of birth.
    pub fn first_stop(
        &self,
        nhs_number: NhsNumber,
        mobile_and_birth: Option<(UkMobile, DateOfBirth)>,
    ) -> Option<(u64, Stop)> {
        let by_number = self.by_nhs_number.get(&nhs_number.as_u64());
        let by_contact = mobile_and_birth.and_then(|(mobile, birth)| {
            self.by_mobile_and_birth
                .get(&(mobile.national_number(), birth))
        });
        match (by_number, by_contact) {
            (Some(a), Some(b)) => Some(*std::cmp::min_by_key(a, b, |(row, _)| *row)),
            (a, b) => a.or(b).copied(),
        }
    }

    /// Patients stopped.
    pub fn len(&self) -> usize {
        self.by_nhs_number.len() + self.by_mobile_and_birth.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The ten digits of an NHS number written in a way not accepted as one:
/// odd spacing or punctuation, a prefix, full-width digits, `.0` after it.
fn ten_digits(cell: &str) -> Option<u64> {
    let cell = match cell.rsplit_once('.') {
        Some((number, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => number,
        _ => cell,
    };
    let mut digits = 0u64;
    let mut count = 0;
    for c in cell.chars() {
        let digit = match c {
            '0'..='9' => c as u32 - '0' as u32,
            '\u{ff10}'..='\u{ff19}' => c as u32 - '\u{ff10}' as u32,
            _ => continue,
        };
        count += 1;
        if count > 10 {
            return None;
        }
        digits = digits * 10 + u64::from(digit);
    }
    (count == 10).then_some(digits)
}

fn mobile_and_birth(
    cells: &Cells,
    columns: &ColumnMap,
    today: chrono::NaiveDate,
) -> Option<(u64, DateOfBirth)> {
    let mobile = UkMobile::parse(without_formula_guard(&cells.get(columns.mobile))).ok()?;
    let birth = DateOfBirth::parse(
        without_formula_guard(&cells.get(columns.date_of_birth)),
        today,
    )
    .ok()?;
    Some((mobile.national_number(), birth))
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
    if do_not_text_column(cells, columns).is_some() {
        return Some(Stop::Declined);
    }
    if opted_out.is_empty() {
        return None;
    }
    let mobile = || UkMobile::parse(without_formula_guard(&cells.get(columns.mobile))).ok();
    (nhs_number.is_some_and(|n| opted_out.contains_nhs_number(n))
        || mobile().is_some_and(|m| opted_out.contains_mobile(m)))
    .then_some(Stop::OptedOut)
}

#[cfg(test)]
mod tests {
    use super::ten_digits;

    #[test]
    fn the_ten_digits_of_a_number_written_oddly() {
        for written in [
            "943  476  5919",
            "943 - 476 - 5919",
            "9434 765 919",
            "943.476.5919",
            "9434765919.0",
            "=\"9434765919\"",
            "NHS 9434765919",
            "\u{ff19}\u{ff14}\u{ff13}\u{ff14}\u{ff17}\u{ff16}\u{ff15}\u{ff19}\u{ff11}\u{ff19}",
        ] {
            assert_eq!(ten_digits(written), Some(9434765919), "{written}");
        }
        for not_one in [
            "943476591",
            "94347659190",
            "9.43477E+09",
            "",
            "9434765919 07700900001",
        ] {
            assert_eq!(ten_digits(not_one), None, "{not_one}");
        }
    }
}
