//! Patients for unit tests: valid NHS numbers and mobiles from the ranges
//! kept for testing and drama, and a list validated as the product does it
//! (a first reading for declines, then validation).

use std::io::Cursor;

use crate::nhs_number::check_digit;
use crate::patient_list::PatientList;
use crate::validation::{
    Declines, Summary, ValidationError, ValidationOptions, ValidationSink, validate_list,
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
