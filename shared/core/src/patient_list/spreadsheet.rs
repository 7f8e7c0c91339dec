//! xlsx, xlsm, xlsb, ods and xls through calamine. A workbook is a zip (or an
//! OLE file) that must be opened whole, so unlike CSV it is held in memory:
//! the upload is capped, and rows are turned into text one at a time.

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, Range, Reader, open_workbook_auto_from_rs};
use csv::ByteRecord;

use super::ListError;

/// Excel's own limit (1,048,576 rows) fits well inside this for a patient list.
pub(super) const MAX_SPREADSHEET_BYTES: u64 = 64 * 1024 * 1024;

/// The first worksheet, read one row at a time.
pub(super) struct Sheet {
    range: Range<Data>,
    first_row: u64,
    next: usize,
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
            let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))?;
            workbook
                .worksheet_range_at(0)
                .unwrap_or_else(|| Ok(Range::empty()))
        }));
        let range = match opened {
            Ok(Ok(range)) => range,
            Ok(Err(_)) | Err(_) => {
                return Err(kind.map_or(ListError::DamagedSpreadsheet, ListError::NotAList));
            }
        };
        let Some((first_row, _)) = range.start() else {
            return Err(ListError::Empty);
        };
        Ok(Self {
            range,
            first_row: u64::from(first_row),
            next: 0,
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
        record.clear();
        for column in 0..self.range.width() {
            let cell = self.range.get((self.next, column)).unwrap_or(&Data::Empty);
            record.push_field(sheet_cell_text(cell).as_bytes());
        }
        self.next += 1;
        Some(row)
    }

    pub(super) fn row_count(&self) -> u64 {
        self.range.height() as u64
    }
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

fn sheet_cell_text(cell: &Data) -> String {
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
