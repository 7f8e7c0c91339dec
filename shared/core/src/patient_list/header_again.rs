//! A header row met again below the first: two exports pasted into one file.
//!
//! The second export may list the same columns in another order. Read with
//! the first header's order, its rows would put a declined consent where the
//! first list keeps a name, and one patient's name in another's place. So a
//! header met again is not a patient: the rows after it are put back into the
//! first header's column order, and a header naming other columns stops the run.
//!
//! Reordering is safe only when each name says which column it is. When two
//! columns share a name ("Name" under "Patient" and under "Next of Kin"), or
//! groups say whose each column is, a header met again in another order (or
//! under other groups) stops the run: matching "Name" to "Name" in turn would
//! send the patient's text to the next of kin. A group row directly above a
//! header met again is part of it.

use std::borrow::Cow;

use csv::ByteRecord;

use super::{cell_text, looks_like_patient_data};
use crate::columns::{ColumnMap, Header, has_long_number, headers_of, normalise_name};

/// What a row that names the columns again means.
pub(super) enum Met {
    /// The first header's columns; the rows after it are read in its order.
    Same,
    /// Columns the first header does not have, and columns it has that are missing.
    Different {
        added: Vec<Header>,
        missing: Vec<Header>,
    },
    /// The first header's names, but they cannot be matched up for sure.
    Unmatched(Unmatched),
}

/// Why a header met again with the first header's names cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unmatched {
    /// In another order, when the first header's columns sit under these groups.
    OrderUnderGroups { groups: Vec<String> },
    /// In another order, when these names each name more than one column.
    OrderNamesTwice { names: Vec<String> },
    /// In the same order but under other groups, or with or without a group
    /// row where the first header has the other.
    Groups,
}

pub(super) struct HeaderAgain {
    headers: Vec<Header>,
    /// The first header's names, normalised.
    names: Vec<String>,
    /// The first header's groups, normalised ("" for none).
    groups: Vec<String>,
    /// Why names alone cannot say which column is which, if they cannot.
    unsure: Option<Unmatched>,
    /// The NHS number, mobile and date of birth columns of the first header.
    first_required: [usize; 3],
    /// Where they are in the rows as read: a row with a digit in each is
    /// data, which spares it every other check.
    required: [usize; 3],
    /// For each column of the first header, where the rows as read hold it;
    /// `None` while they are in the first header's order.
    order: Option<Vec<usize>>,
}

fn groups_of(headers: &[Header]) -> Vec<String> {
    headers
        .iter()
        .map(|h| h.group.as_deref().map(normalise_name).unwrap_or_default())
        .collect()
}

/// Each text once, in the order first met; none holding a long number.
fn distinct<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for text in texts {
        if !text.is_empty() && !has_long_number(text) && !seen.iter().any(|s| s == text) {
            seen.push(text.to_owned());
        }
    }
    seen
}

impl HeaderAgain {
    pub(super) fn new(headers: &[Header], columns: &ColumnMap) -> Self {
        let names: Vec<String> = headers.iter().map(|h| normalise_name(&h.text)).collect();
        let groups = groups_of(headers);
        let twice = |i: usize| !names[i].is_empty() && names[..i].contains(&names[i]);
        let unsure = if groups.iter().any(|g| !g.is_empty()) {
            Some(Unmatched::OrderUnderGroups {
                groups: distinct(headers.iter().filter_map(|h| h.group.as_deref())),
            })
        } else if (0..names.len()).any(twice) {
            Some(Unmatched::OrderNamesTwice {
                names: distinct(
                    (0..names.len())
                        .filter(|&i| twice(i))
                        .map(|i| headers[i].text.as_str()),
                ),
            })
        } else {
            None
        };
        Self {
            headers: headers.to_vec(),
            names,
            groups,
            unsure,
            first_required: [columns.nhs_number, columns.mobile, columns.date_of_birth],
            required: [columns.nhs_number, columns.mobile, columns.date_of_birth],
            order: None,
        }
    }

    /// Whether `record` has a digit in each of the NHS number, mobile and
    /// date of birth cells: a patient's row, whatever else it holds. The one
    /// check most rows get.
    pub(super) fn plainly_data(&self, record: &ByteRecord) -> bool {
        let has_digit = |i: usize| {
            record
                .get(i)
                .is_some_and(|c| c.iter().any(u8::is_ascii_digit))
        };
        self.required.iter().all(|&i| has_digit(i))
    }

    /// The headers `record` names, when it is a header row again (not a
    /// patient's row with words in it).
    pub(super) fn names_columns(&self, record: &ByteRecord) -> Option<Vec<Header>> {
        if self.plainly_data(record) {
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
        if self.order_of(&names).is_some() {
            return Some(headers);
        }
        let known = names
            .iter()
            .filter(|n| !n.is_empty() && self.names.contains(n))
            .count();
        if known < 2 && ColumnMap::from_headers(&headers).is_err() {
            return None; // words in a patient's row, not column names
        }
        Some(headers)
    }

    /// What the header `headers` met again means. The first header again, in
    /// an order its names settle, sets the order the rows after it are read in.
    pub(super) fn meet(&mut self, headers: &[Header]) -> Met {
        let names: Vec<String> = headers.iter().map(|h| normalise_name(&h.text)).collect();
        let groups = groups_of(headers);
        if names == self.names && groups == self.groups {
            self.required = self.first_required;
            self.order = None;
            return Met::Same;
        }
        if let Some(order) = self.order_of(&names) {
            if names == self.names {
                return Met::Unmatched(Unmatched::Groups);
            }
            if let Some(unsure) = &self.unsure {
                return Met::Unmatched(unsure.clone());
            }
            if groups.iter().any(|g| !g.is_empty()) {
                return Met::Unmatched(Unmatched::Groups);
            }
            self.required = self.first_required.map(|column| order[column]);
            self.order = Some(order);
            return Met::Same;
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
        Met::Different { added, missing }
    }

    /// Where each of the first header's columns is among `names`, if they
    /// are the same columns; a name used twice is matched in turn (which
    /// [`HeaderAgain::meet`] accepts only in the first header's own order).
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
