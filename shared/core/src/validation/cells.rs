//! One row's cells as text. A row that is valid UTF-8 as a whole (nearly
//! every row) is checked once; any other row is decoded cell by cell, as
//! UTF-8 where it can be and Windows-1252 where not.

use std::borrow::Cow;

use csv::{ByteRecord, StringRecord};

use crate::patient_list::cell_text;

pub(super) enum Cells {
    Utf8(StringRecord),
    Mixed(ByteRecord),
}

impl Cells {
    pub(super) fn from_record(record: ByteRecord) -> Self {
        match StringRecord::from_byte_record(record) {
            Ok(text) => Cells::Utf8(text),
            Err(e) => Cells::Mixed(e.into_byte_record()),
        }
    }

    pub(super) fn into_record(self) -> ByteRecord {
        match self {
            Cells::Utf8(text) => text.into_byte_record(),
            Cells::Mixed(bytes) => bytes,
        }
    }

    /// The cell at `index`, or empty if the row is shorter.
    pub(super) fn get(&self, index: usize) -> Cow<'_, str> {
        match self {
            Cells::Utf8(text) => Cow::Borrowed(text.get(index).unwrap_or("")),
            Cells::Mixed(bytes) => bytes.get(index).map(cell_text).unwrap_or(Cow::Borrowed("")),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Cells::Utf8(text) => text.len(),
            Cells::Mixed(bytes) => bytes.len(),
        }
    }

    pub(super) fn all(&self) -> Vec<Cow<'_, str>> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    /// Cells in the row, not counting empty ones beyond the header (trailing commas).
    pub(super) fn count_within(&self, header_count: usize) -> usize {
        let mut count = self.len();
        while count > header_count && self.get(count - 1).trim().is_empty() {
            count -= 1;
        }
        count
    }
}
