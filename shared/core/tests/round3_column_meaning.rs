//! The second review's lists, whole, through `validate_list`: a mobile right
//! after a column naming someone else is theirs; a consent column is read
//! however it names the people it covers, and with a date in its name when
//! it also holds the status; EMIS's "Patient Details" names, "Relationship
//! Status" and consent values in SNOMED's wording are read as a person
//! reads them.

use std::io::Cursor;

use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::{ListError, PatientList};
use batchmsg_core::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, Reason, SinkError, ValidationError,
    ValidationOptions, ValidationSink, validate_list,
};
use chrono::NaiveDate;

#[derive(Default, Debug)]
struct Rows {
    accepted: Vec<u64>,
    not_accepted: Vec<(u64, Vec<Reason>)>,
}

impl ValidationSink for Rows {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push(row.row);
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        self.not_accepted.push((row.row, row.reasons.to_vec()));
        Ok(())
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/round3_columns/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn validate(name: &str) -> Result<Rows, ValidationError> {
    let bytes = fixture(name);
    let opted_out = OptOutList::default();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let open = || PatientList::open(Cursor::new(bytes.clone()));
    let declines = Declines::find(&mut open()?, &opted_out, today)?;
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today,
        declines: &declines,
    };
    let mut rows = Rows::default();
    validate_list(&mut open()?, &options, &mut rows)?;
    Ok(rows)
}

fn declined_rows(rows: &Rows) -> Vec<u64> {
    rows.not_accepted
        .iter()
        .filter(|(_, reasons)| reasons.contains(&Reason::Declined))
        .map(|(row, _)| *row)
        .collect()
}

#[test]
fn a_mobile_right_after_a_next_of_kin_carer_or_contact_name_is_never_texted() {
    for name in [
        "nok_then_mobile.csv",
        "carer_name_then_mobile.csv",
        "contact_name_then_mobile.csv",
    ] {
        let error = validate(name).expect_err(name);
        let ValidationError::List(ListError::WhichMobile { candidates, others }) = &error else {
            panic!("{name}: {error:?}");
        };
        let telephone = candidates
            .iter()
            .map(|h| h.text.as_str())
            .collect::<Vec<_>>();
        assert!(
            telephone.is_empty() || telephone == ["Telephone"],
            "{name}: {telephone:?}"
        );
        assert_eq!(
            others.iter().map(|h| h.text.as_str()).collect::<Vec<_>>(),
            ["Mobile"],
            "{name}"
        );
        let message = error.to_string();
        assert!(!message.contains("07700"), "{message}");
        assert!(!message.contains("Bob"), "{message}");
    }
}

#[test]
fn a_consent_column_naming_a_carer_or_parent_is_read() {
    for name in [
        "consent_column_of_patient_or_carer_ignored.csv",
        "consent_column_parent_guardian_ignored.csv",
        "consent_date_and_status_column_ignored.csv",
    ] {
        let rows = validate(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows.accepted, [4], "{name}: only the Yes row");
        assert_eq!(declined_rows(&rows), [2, 3], "{name}: No and Declined");
    }
}

#[test]
fn emis_patient_details_names_and_relationship_status_are_honest_lists() {
    for (name, first, last) in [
        ("b02_emis_title_lines.csv", 6, 11),
        ("b10_emis_patient_details_headers.csv", 2, 7),
        ("b14_relationship_status.csv", 2, 5),
    ] {
        let rows = validate(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            rows.accepted,
            (first..=last).collect::<Vec<_>>(),
            "{name}: {rows:?}"
        );
        assert!(rows.not_accepted.is_empty(), "{name}: {rows:?}");
    }
}

#[test]
fn consent_values_in_snomed_and_everyday_wording_are_read() {
    let rows = validate("b13_sms_consent_real_values.csv").expect("validates");
    // Row 10: "Dissent from communication by SMS text message".
    assert_eq!(declined_rows(&rows), [10], "{rows:?}");
    assert_eq!(rows.not_accepted.len(), 1, "{rows:?}");
    assert_eq!(rows.accepted.len(), 11, "{rows:?}");
}
