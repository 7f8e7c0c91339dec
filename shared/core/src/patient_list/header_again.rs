//! A header row met again below the first: two exports pasted into one file.
//!
//! The second export may list the same columns in another order. Read with
//! the first header's order, its rows would put a declined consent where the
//! first list keeps a name, and one patient's name in another's place. So a
//! header met again is not a patient: the rows after it are put back into the
//! first header's column order, and a header naming other columns stops the run.

use std::borrow::Cow;

use csv::ByteRecord;

use super::{cell_text, looks_like_patient_data};
use crate::columns::{ColumnMap, Header, headers_of, normalise_name};

/// What a row that names the columns again means.
pub(super) enum Met {
    /// The first header's columns; the rows after it are read in its order.
    Same,
    /// Columns the first header does not have, and columns it has that are missing.
    Different {
        added: Vec<Header>,
        missing: Vec<Header>,
    },
}

pub(super) struct HeaderAgain {
    headers: Vec<Header>,
    /// The first header's names, normalised.
    names: Vec<String>,
    /// The NHS number, mobile and date of birth columns of the first header.
    first_required: [usize; 3],
    /// Where they are in the rows as read: a row with a digit in each is
    /// data, which spares it every other check.
    required: [usize; 3],
    /// For each column of the first header, where the rows as read hold it;
    /// `None` while they are in the first header's order.
    order: Option<Vec<usize>>,
}

impl HeaderAgain {
    pub(super) fn new(headers: &[Header], columns: &ColumnMap) -> Self {
        Self {
            headers: headers.to_vec(),
            names: headers.iter().map(|h| normalise_name(&h.text)).collect(),
            first_required: [columns.nhs_number, columns.mobile, columns.date_of_birth],
            required: [columns.nhs_number, columns.mobile, columns.date_of_birth],
            order: None,
        }
    }

    /// Whether `record`, as read, is a header row again. The first header
    /// again, in any order, sets the order the rows after it are read in.
    pub(super) fn check(&mut self, record: &ByteRecord) -> Option<Met> {
        let has_digit = |i: usize| {
            record
                .get(i)
                .is_some_and(|c| c.iter().any(u8::is_ascii_digit))
        };
        if self.required.iter().all(|&i| has_digit(i)) {
            return None;
        }
        let cells: Vec<Cow<str>> = record.iter().map(cell_text).collect();
        if looks_like_patient_data(&cells) {
            return None;
        }
        let mut headers = headers_of(cells.iter().map(|c| c.as_ref()));
        while headers.last().is_some_and(|h| h.text.is_empty()) {
            headers.pop();
        }
        let names: Vec<String> = headers.iter().map(|h| normalise_name(&h.text)).collect();
        if let Some(order) = self.order_of(&names) {
            self.required = self.first_required.map(|column| order[column]);
            let identity = order.iter().enumerate().all(|(i, &at)| i == at);
            self.order = (!identity).then_some(order);
            return Some(Met::Same);
        }
        let known = names
            .iter()
            .filter(|n| !n.is_empty() && self.names.contains(n))
            .count();
        if known < 2 && ColumnMap::from_headers(&headers).is_err() {
            return None; // words in a patient's row, not column names
        }
        let added = headers
            .iter()
            .zip(&names)
            .filter(|(_, n)| !n.is_empty() && !self.names.contains(n))
            .map(|(h, _)| h.clone())
            .collect();
        let missing = self
            .headers
            .iter()
            .zip(&self.names)
            .filter(|(_, n)| !n.is_empty() && !names.contains(n))
            .map(|(h, _)| h.clone())
            .collect();
        Some(Met::Different { added, missing })
    }

    /// Where each of the first header's columns is among `names`, if they
    /// are the same columns; a name used twice is matched in turn.
    fn order_of(&self, names: &[String]) -> Option<Vec<usize>> {
        if names.len() != self.names.len() {
            return None;
        }
        let mut taken = vec![false; names.len()];
        let mut order = Vec::with_capacity(names.len());
        for name in &self.names {
            let at = (0..names.len()).find(|&i| !taken[i] && names[i] == *name)?;
            taken[at] = true;
            order.push(at);
        }
        Some(order)
    }

    /// Puts `record` into the first header's column order; cells beyond the
    /// header stay at the end. `scratch` is spare room, to save allocating.
    pub(super) fn reorder(&self, record: &mut ByteRecord, scratch: &mut ByteRecord) {
        let Some(order) = &self.order else {
            return;
        };
        std::mem::swap(record, scratch);
        record.clear();
        for &at in order {
            record.push_field(scratch.get(at).unwrap_or_default());
        }
        for extra in scratch.iter().skip(order.len()) {
            record.push_field(extra);
        }
    }
}
