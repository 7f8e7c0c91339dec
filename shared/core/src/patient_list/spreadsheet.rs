//! xlsx, xlsm, xlsb, ods and xls through calamine. A workbook is a zip (or an
//! OLE file) that must be opened whole, so unlike CSV it is held in memory:
//! the upload is capped, and rows are turned into text one at a time.
//!
//! For xlsx/xlsm and ods the sheet's structure (hidden rows and columns,
//! merged cells, and for xlsx number formats) is read too: see
//! [`super::sheet_xml`]. xls and xlsb are refused: calamine cannot tell which
//! of their rows and columns are hidden, and a hidden row would be texted.

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, Range, Sheets, Xlsx, open_workbook_auto_from_rs};
use csv::ByteRecord;

use super::ListError;
use super::cell_format::{Shown, plain_text};
use super::sheet_xml::{Structure, read_ods_structure, read_structure};
use super::which_sheet::the_list_sheet;

/// Excel's own limit (1,048,576 rows) fits well inside this for a patient list.
pub(super) const MAX_SPREADSHEET_BYTES: u64 = 64 * 1024 * 1024;

/// The workbook's one visible sheet with data (see [`super::which_sheet`]),
/// read one row at a time.
pub(super) struct Sheet {
    range: Range<Data>,
    first_row: u64,
    first_column: u32,
    next: usize,
    structure: Structure,
    last_row_hidden: bool,
}

impl Sheet {
    /// `head` is what was already read of `rest`.
    pub(super) fn open(head: Vec<u8>, rest: impl Read) -> Result<Self, ListError> {
        let mut bytes = head;
        rest.take(MAX_SPREADSHEET_BYTES + 1 - bytes.len() as u64)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_SPREADSHEET_BYTES {
            return Err(ListError::SpreadsheetTooLarge);
        }
        let kind = other_document_kind(&bytes);
        // calamine has panicked on malformed files; a damaged upload must
        // come back as an error the person can act on, never a crash.
        let opened = catch_unwind(AssertUnwindSafe(|| {
            let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes.as_slice())).ok()?;
            // Checked before any sheet is read: a hidden row there would be texted.
            let file_kind = match &workbook {
                Sheets::Xls(_) => Some("an older Excel file (.xls)"),
                Sheets::Xlsb(_) => Some("an Excel binary workbook (.xlsb)"),
                Sheets::Xlsx(_) | Sheets::Ods(_) => None,
            };
            if let Some(file_kind) = file_kind {
                return Some(Err(ListError::StructureUnseen { file_kind }));
            }
            let (name, mut range) = match the_list_sheet(&mut workbook)? {
                Ok(sheet) => sheet,
                Err(error) => return Some(Err(error)),
            };
            let structure = match &mut workbook {
                Sheets::Xlsx(xlsx) => xlsx_structure(xlsx, &name, &bytes, &mut range)?,
                Sheets::Ods(_) => read_ods_structure(Cursor::new(bytes.as_slice()), &name).ok()?,
                Sheets::Xls(_) | Sheets::Xlsb(_) => return None,
            };
            Some(Ok((range, structure)))
        }));
        let (range, structure) = match opened {
            Ok(Some(Ok(opened))) => opened,
            Ok(Some(Err(error))) => return Err(error),
            Ok(None) | Err(_) => {
                return Err(kind.map_or(ListError::DamagedSpreadsheet, ListError::NotAList));
            }
        };
        let Some((first_row, first_column)) = range.start() else {
            return Err(ListError::Empty);
        };
        Ok(Self {
            range,
            first_row: u64::from(first_row),
            first_column,
            next: 0,
            structure,
            last_row_hidden: false,
        })
    }

    /// Puts the next row's cells in `record`; returns its spreadsheet row number.
    pub(super) fn next_row(&mut self, record: &mut ByteRecord) -> Option<u64> {
        // Indexed, not `rows().nth(..)`: calamine's row iterator steps one
        // row at a time, which would make reading a sheet quadratic.
        if self.next >= self.range.height() {
            return None;
        }
        let row = self.first_row + self.next as u64 + 1;
        self.write_row(self.next, record);
        self.last_row_hidden = self.structure.row_hidden((row - 1) as u32);
        self.next += 1;
        Some(row)
    }

    /// Puts the cells of spreadsheet row `row`, already read, in `record` again.
    pub(super) fn reread(&self, row: u64, record: &mut ByteRecord) {
        if let Some(index) = row.checked_sub(self.first_row + 1) {
            self.write_row(index as usize, record);
        }
    }

    /// The cells of the range's row `index` as text.
    fn write_row(&self, index: usize, record: &mut ByteRecord) {
        record.clear();
        // Columns before the first used one are empty cells, so a cell's
        // index is its column as the spreadsheet letters it.
        for _ in 0..self.first_column {
            record.push_field(b"");
        }
        for column in 0..self.range.width() {
            let cell = self.range.get((index, column)).unwrap_or(&Data::Empty);
            record.push_field(plain_text(cell).as_bytes());
        }
    }

    /// Gives every cell of a region merged down over rows below the header
    /// row the value of its top-left cell: a person reads "Declined" merged
    /// down over a family's three rows as each of them declining. A region
    /// within one row is a group over columns (a second export's header
    /// group row, pasted on) and is left as written, as the header rows are.
    pub(super) fn fill_merged_below(&mut self, header_row: u64) {
        for area in &self.structure.merged {
            if u64::from(area.start.0) < header_row || area.start.0 == area.end.0 {
                continue;
            }
            let Some(value) = self.range.get_value(area.start).cloned() else {
                continue;
            };
            for row in area.start.0..=area.end.0 {
                for column in area.start.1..=area.end.1 {
                    // Cells past the sheet's last row or column hold nothing else.
                    if (row, column) != area.start && self.range.get_value((row, column)).is_some()
                    {
                        self.range.set_value((row, column), value.clone());
                    }
                }
            }
        }
    }

    pub(super) fn row_count(&self) -> u64 {
        self.range.height() as u64
    }

    /// Whether the row last read is hidden (by hand or by a filter).
    pub(super) fn last_row_hidden(&self) -> bool {
        self.last_row_hidden
    }

    /// Whether the column at `index` of a row read is hidden.
    pub(super) fn column_hidden(&self, index: usize) -> bool {
        u32::try_from(index).is_ok_and(|column| self.structure.column_hidden(column))
    }

    /// The merged cells that begin on spreadsheet row `row`, as inclusive
    /// column ranges; `None` when the row has none.
    pub(super) fn merged_from_row(&self, row: u64) -> Option<Vec<(usize, usize)>> {
        let spans: Vec<(usize, usize)> = self
            .structure
            .merged
            .iter()
            .filter(|area| u64::from(area.start.0) + 1 == row)
            .map(|area| (area.start.1 as usize, area.end.1 as usize))
            .collect();
        (!spans.is_empty()).then_some(spans)
    }
}

/// The sheet's hidden rows, columns and merged cells, with each cell
/// that has a number format rewritten as the format shows it.
fn xlsx_structure(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    bytes: &[u8],
    range: &mut Range<Data>,
) -> Option<Structure> {
    let formats: Vec<Shown> = xlsx
        .worksheet_cells_reader(name)
        .ok()?
        .styles()
        .iter()
        .map(|style| {
            style
                .number_format
                .as_ref()
                .map_or(Shown::General, |f| Shown::from_format_code(&f.format_code))
        })
        .collect();
    read_structure(Cursor::new(bytes), name, |row, column, id| {
        let Some(shown) = formats.get(id).filter(|s| **s != Shown::General) else {
            return;
        };
        if let Some(text) = range.get_value((row, column)).and_then(|c| shown.render(c)) {
            range.set_value((row, column), Data::String(text));
        }
    })
    .ok()
}

/// What a zip or OLE file is when it is not a workbook, from the names inside.
fn other_document_kind(bytes: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    if has(b"xl/") || has(b"opendocument.spreadsheet") || has(b"Workbook") {
        None
    } else if has(b"word/") || has(b"WordDocument") {
        Some("a Word document")
    } else if has(b"ppt/") || has(b"PowerPoint") {
        Some("a PowerPoint presentation")
    } else if has(b"opendocument.text") {
        Some("an OpenDocument text document")
    } else if bytes.starts_with(b"PK") {
        Some("a zip archive")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_office_documents_that_are_not_workbooks() {
        assert_eq!(
            other_document_kind(b"PK\x03\x04....word/document.xml"),
            Some("a Word document")
        );
        assert_eq!(
            other_document_kind(b"PK\x03\x04....ppt/slides"),
            Some("a PowerPoint presentation")
        );
        assert_eq!(
            other_document_kind(b"PK\x03\x04....data.csv"),
            Some("a zip archive")
        );
        assert_eq!(other_document_kind(b"PK\x03\x04....xl/workbook.xml"), None);
    }

    #[test]
    fn a_damaged_workbook_is_an_error_not_a_crash() {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(b"xl/worksheets/sheet1.xml");
        bytes.extend(std::iter::repeat_n(0xA5u8, 4096));
        assert!(matches!(
            Sheet::open(bytes, std::io::empty()),
            Err(ListError::DamagedSpreadsheet)
        ));
    }

    #[test]
    fn a_workbook_over_the_cap_is_refused_before_it_is_opened() {
        let head = b"PK\x03\x04".to_vec();
        let rest = std::io::repeat(0).take(MAX_SPREADSHEET_BYTES);
        assert!(matches!(
            Sheet::open(head, rest),
            Err(ListError::SpreadsheetTooLarge)
        ));
    }
}
