//! The first row of each NHS number, for "Same patient as row N".
//!
//! This is the one structure that grows with the list, so it is packed: an
//! NHS number (< 2^34) and its row (< 2^30) share one u64, 8 bytes a patient
//! plus the table's control byte, instead of 16 for a map of pairs.

use hashbrown::HashTable;

use crate::nhs_number::NhsNumber;

const ROW_BITS: u32 = 30;
const ROW_MASK: u64 = (1 << ROW_BITS) - 1;

#[derive(Default)]
pub(crate) struct SeenPatients {
    table: HashTable<u64>,
    hasher: foldhash::fast::FixedState,
}

impl SeenPatients {
    /// Sized once for `patients`: growing a large table in steps would hold
    /// the old and the new copy at once.
    pub(crate) fn with_capacity(patients: usize) -> Self {
        Self {
            table: HashTable::with_capacity(patients),
            hasher: Default::default(),
        }
    }

    /// Records `nhs` at `row`, or returns the row where it was first seen.
    pub(crate) fn first_row_or_insert(&mut self, nhs: NhsNumber, row: u64) -> Option<u64> {
        use std::hash::BuildHasher;
        let key = nhs.as_u64();
        let hash = self.hasher.hash_one(key);
        if let Some(entry) = self.table.find(hash, |e| e >> ROW_BITS == key) {
            return Some(entry & ROW_MASK);
        }
        // Rows beyond 2^30 - 1 (a billion) cannot occur in a real list; saturate.
        let packed = (key << ROW_BITS) | row.min(ROW_MASK);
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, packed, |e| hasher.hash_one(e >> ROW_BITS));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_first_row() {
        let a = NhsNumber::parse("9434765919").expect("valid");
        let b = NhsNumber::parse("9990000026").expect("valid");
        let mut seen = SeenPatients::default();
        assert_eq!(seen.first_row_or_insert(a, 2), None);
        assert_eq!(seen.first_row_or_insert(a, 9), Some(2));
        assert_eq!(seen.first_row_or_insert(b, 10), None);
        assert_eq!(seen.first_row_or_insert(a, 11), Some(2));
    }

    #[test]
    fn the_largest_nhs_number_and_row_survive_packing() {
        let max = NhsNumber::parse("9999999980").expect("valid");
        let mut seen = SeenPatients::default();
        assert_eq!(seen.first_row_or_insert(max, ROW_MASK), None);
        assert_eq!(seen.first_row_or_insert(max, 3), Some(ROW_MASK));
        const { assert!(9_999_999_999u64 < 1 << (64 - ROW_BITS)) };
    }
}
