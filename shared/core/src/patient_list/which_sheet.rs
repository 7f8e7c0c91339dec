//! Which sheet of a workbook holds the list. Practices keep several tabs in
//! one workbook ("Declined - do not text" beside "To text", an old list
//! hidden beside the current one), and texting from the wrong tab texts
//! people who declined. So a workbook is read only when one sheet is plainly
//! the list: exactly one sheet holds data and it is visible. Empty sheets
//! (Excel's default Sheet2 and Sheet3) do not count; a hidden sheet with data
//! does, since the person cannot see it but the tool would read it.

use std::io::Cursor;

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Sheets};

use super::{ListError, WorkbookSheet};

/// Excel caps a sheet name at 31 characters; a longer one is cut in messages.
const MAX_NAME_CHARS: usize = 31;

/// The one visible sheet with data: its name and cells. `None` when a sheet
/// could not be read (a damaged workbook).
pub(super) fn the_list_sheet(
    workbook: &mut Sheets<Cursor<&[u8]>>,
) -> Option<Result<(String, Range<Data>), ListError>> {
    let sheets: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let mut chosen = None;
    let mut with_data = Vec::new();
    for (name, visible) in sheets {
        let range = workbook.worksheet_range(&name).ok()?;
        if !holds_data(&range) {
            continue;
        }
        with_data.push(WorkbookSheet {
            name: name.chars().take(MAX_NAME_CHARS).collect(),
            hidden: !visible,
        });
        if chosen.is_none() && visible {
            chosen = Some((name, range));
        }
    }
    Some(match (with_data.as_slice(), chosen) {
        ([], _) => Err(ListError::Empty),
        ([only], Some(chosen)) if !only.hidden => Ok(chosen),
        _ => Err(ListError::WhichSheet { sheets: with_data }),
    })
}

fn holds_data(range: &Range<Data>) -> bool {
    range.used_cells().any(|(_, _, cell)| match cell {
        Data::Empty => false,
        Data::String(text) => !text.trim().is_empty(),
        _ => true,
    })
}
