//! Patients for unit tests: valid NHS numbers and mobiles from the ranges
//! kept for testing and drama, and a list validated as the product does it
//! (a first reading for declines, then validation).

use std::io::Cursor;

use crate::nhs_number::check_digit;
use crate::opt_out::OptOutList;
use crate::patient_list::PatientList;
use crate::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, Reason, SinkError, Summary, ValidationError,
    ValidationOptions, ValidationSink, validate_list,
};

/// A valid NHS number in the 999 test range, a different one for each `i`
/// (below 100,000): `999`, `i` in five digits, then the first ninth digit
/// whose check digit is not 10.
pub(crate) fn nhs(i: u32) -> String {
    assert!(i < 100_000);
    (0..10u32)
        .find_map(|last| {
            let stem = format!("999{i:05}{last}");
            let digits: [u8; 9] = std::array::from_fn(|k| stem.as_bytes()[k] - b'0');
            check_digit(&digits).map(|c| format!("{stem}{c}"))
        })
        .expect("at most one ninth digit gives remainder 10")
}

/// A file from the workspace's `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A drama-range mobile, written as people write it.
pub(crate) fn mobile(i: u32) -> String {
    format!("07700 900{i:03}")
}

/// Validates the list in `bytes` with both readings. `options.declines` is
/// replaced by what the first reading finds.
pub(crate) fn validate_twice(
    bytes: &[u8],
    options: &ValidationOptions<'_>,
    sink: &mut impl ValidationSink,
) -> Result<Summary, ValidationError> {
    let open = || PatientList::open(Cursor::new(bytes.to_vec()));
    let declines = Declines::find(&mut open()?, options.opted_out, options.today)?;
    let options = ValidationOptions {
        declines: &declines,
        ..*options
    };
    validate_list(&mut open()?, &options, sink)
}

/// Row numbers accepted, and not accepted with their reason codes.
#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) accepted: Vec<u64>,
    pub(crate) not_accepted: Vec<(u64, Vec<&'static str>)>,
}

impl ValidationSink for Outcome {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }
    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push(row.row);
        Ok(())
    }
    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        let codes = row.reasons.iter().map(Reason::code).collect();
        self.not_accepted.push((row.row, codes));
        Ok(())
    }
}

/// The list in `bytes` validated with no message and no opted-out list.
pub(crate) fn outcome_of(bytes: &[u8]) -> Outcome {
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        declines: &Declines::default(),
    };
    let mut outcome = Outcome::default();
    validate_twice(bytes, &options, &mut outcome).expect("validates");
    outcome
}
