//! A cell that itself says not to text — "Do not text", "SMS opt out",
//! "Letter only - declined SMS" — in a column that is not a consent column
//! ("Contact preference", "Reminders", "Notes"). Practices record a decline
//! wherever their export puts it; read where a person would see it, it
//! declines that patient.
//!
//! The words must say it about texting: a negation or a decline next to a
//! word for texting, with only filler words between ("do not send texts",
//! "opted out of SMS", "texts: declined"). "Do not call, text only" and
//! "declined letter, text OK" are not declines.

use super::cells::Cells;
use crate::columns::ColumnMap;
use crate::consent::says_do_not_text;

/// The first column whose cell says not to text this patient: any column
/// but the NHS number, mobile, date of birth, EMIS number and consent columns
/// (which have their own reading). The name is read too: "SMITH, Jane - DO
/// NOT TEXT" must not become a greeting.
pub(super) fn do_not_text_column(cells: &Cells, columns: &ColumnMap) -> Option<usize> {
    (0..cells.len())
        .filter(|&i| !holds_a_value(columns, i))
        .find(|&i| says_do_not_text(&cells.get(i)))
}

/// The columns whose cells are values, not words.
fn holds_a_value(columns: &ColumnMap, i: usize) -> bool {
    [columns.nhs_number, columns.mobile, columns.date_of_birth].contains(&i)
        || columns.emis_number == Some(i)
        || columns.consent.iter().any(|c| c.index == i)
}

/// Whether a list has a column with no role, which could hold such a cell:
/// then it is read twice (see [`super::Declines`]). A name column alone does
/// not make it so, to keep the plainest list to one reading: a decline in
/// its name cell then keeps that row out, unlinked to the patient's others.
pub(super) fn has_free_text_columns(columns: &ColumnMap, width: usize) -> bool {
    (0..width).any(|i| !holds_a_value(columns, i) && columns.name != Some(i))
}
