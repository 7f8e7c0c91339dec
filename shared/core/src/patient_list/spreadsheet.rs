//! xlsx, xlsm, xlsb, ods and xls through calamine. A workbook is a zip (or an
//! OLE file) that must be opened whole, so unlike CSV it is held in memory;
//! Excel's own limit (1,048,576 rows) bounds it.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::ListError;

/// The first worksheet as rows of text, each with its spreadsheet row number.
pub(super) fn first_sheet_rows(bytes: Vec<u8>) -> Result<Vec<(u64, Vec<String>)>, ListError> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ListError::Spreadsheet(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(ListError::Empty)?
        .map_err(|e| ListError::Spreadsheet(e.to_string()))?;
    let Some((first_row, _)) = range.start() else {
        return Err(ListError::Empty);
    };
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let row = u64::from(first_row) + i as u64 + 1;
            (row, cells.iter().map(cell_text).collect())
        })
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // NHS and mobile numbers typed into a General column are stored as
        // exact floats; write them back as the digits the user typed.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}
