//! Which sheet of a workbook holds the list. Practices keep several tabs in
//! one workbook ("Declined - do not text" beside "To text", an old list
//! hidden beside the current one), and texting from the wrong tab texts
//! people who declined. So a workbook is read only when one sheet is plainly
//! the list: exactly one sheet could be a patient list and it is visible.
//!
//! A sheet could be a patient list when its first rows name an NHS number,
//! mobile or date of birth column, or hold a valid NHS number or UK mobile,
//! or its name speaks of declines. Other sheets (a hidden drop-down's "Yes"
//! and "No", a summary's count, notes) do not count; nor do empty ones
//! (Excel's default Sheet2 and Sheet3). A hidden sheet that could be a list
//! does count: the person cannot see it but it may be the list they meant.
//! When no sheet looks like a list, every sheet with data counts, so a list
//! whose columns are not recognised is still never read beside another.

use std::io::Cursor;

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Sheets};

use super::cell_format::plain_text;
use super::{ListError, WorkbookSheet};
use crate::columns::{ColumnMap, ColumnProblem, Role, headers_of};
use crate::consent::Consent;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;

/// Excel caps a sheet name at 31 characters; a longer one is cut in messages.
const MAX_NAME_CHARS: usize = 31;

/// How many non-blank rows of a sheet are looked at to tell whether it could
/// be a patient list: a header below a few title lines, and a first patient.
const ROWS_LOOKED_AT: usize = 11;

/// The one visible sheet that could be the list: its name and cells. `None`
/// when a sheet could not be read (a damaged workbook).
pub(super) fn the_list_sheet(
    workbook: &mut Sheets<Cursor<&[u8]>>,
) -> Option<Result<(String, Range<Data>), ListError>> {
    let sheets: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    // Every sheet with data, and whether it could be a list.
    let mut with_data = Vec::new();
    let (mut first_visible_list, mut first_visible) = (None, None);
    for (name, visible) in sheets {
        let range = workbook.worksheet_range(&name).ok()?;
        if !holds_data(&range) {
            continue;
        }
        let list_like = could_be_a_list(&name, &range);
        with_data.push((
            WorkbookSheet {
                name: name.chars().take(MAX_NAME_CHARS).collect(),
                hidden: !visible,
            },
            list_like,
        ));
        if visible && list_like && first_visible_list.is_none() {
            first_visible_list = Some((name, range));
        } else if visible && first_visible.is_none() {
            first_visible = Some((name, range));
        }
    }
    let any_list_like = with_data.iter().any(|(_, list_like)| *list_like);
    let (counted, chosen): (Vec<WorkbookSheet>, _) = match any_list_like {
        true => (
            with_data
                .into_iter()
                .filter_map(|(sheet, list_like)| list_like.then_some(sheet))
                .collect(),
            first_visible_list,
        ),
        false => (
            with_data.into_iter().map(|(sheet, _)| sheet).collect(),
            first_visible,
        ),
    };
    Some(match (counted.as_slice(), chosen) {
        ([], _) => Err(ListError::Empty),
        ([only], Some(chosen)) if !only.hidden => Ok(chosen),
        _ => Err(ListError::WhichSheet { sheets: counted }),
    })
}

/// Whether the sheet named `name` could itself be a patient list. Only its
/// first non-blank rows are read, so the check stays cheap.
fn could_be_a_list(name: &str, range: &Range<Data>) -> bool {
    if Consent::from_cell(name) == Consent::Declined {
        return true;
    }
    range
        .rows()
        .map(|row| row.iter().map(plain_text).collect::<Vec<String>>())
        .filter(|texts| texts.iter().any(|t| !t.trim().is_empty()))
        .take(ROWS_LOOKED_AT)
        .any(|texts| {
            names_a_patient_column(&texts)
                || texts
                    .iter()
                    .any(|t| NhsNumber::parse(t).is_ok() || UkMobile::parse(t).is_ok())
        })
}

/// A header row naming an NHS number, mobile or date of birth column, read
/// as the list's own header row is.
fn names_a_patient_column(texts: &[String]) -> bool {
    match ColumnMap::from_headers(&headers_of(texts.iter().map(String::as_str))) {
        Err(ColumnProblem::Missing(missing)) => missing.len() < Role::REQUIRED.len(),
        // Any other answer (a map, or a question about a column) means a
        // patient column was named.
        Ok(_) | Err(_) => true,
    }
}

fn holds_data(range: &Range<Data>) -> bool {
    range.used_cells().any(|(_, _, cell)| match cell {
        Data::Empty => false,
        Data::String(text) => !text.trim().is_empty(),
        _ => true,
    })
}
