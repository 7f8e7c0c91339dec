//! Next of kin, carers and relatives: their columns are never the patient's,
//! and when the patient's own mobile cannot be told apart the run stops with
//! a question.

use super::*;

fn grouped(columns: &[(&str, &str)]) -> Vec<Header> {
    columns
        .iter()
        .enumerate()
        .map(|(index, (group, text))| Header {
            index,
            text: (*text).to_owned(),
            group: (!group.is_empty()).then(|| (*group).to_owned()),
        })
        .collect()
}

fn map(headers: &[&str]) -> Result<ColumnMap, ColumnProblem> {
    ColumnMap::from_headers(&headers_of(headers.iter().copied()))
}

fn indices(headers: &[Header]) -> Vec<usize> {
    headers.iter().map(|h| h.index).collect()
}

#[test]
fn a_relatives_mobile_is_never_the_patients() {
    for other in [
        "NOK",
        "Carer",
        "Next of Kin",
        "Relative",
        "Emergency Contact",
        "Parent/Guardian",
        "Contact 2",
        "Main carer's details",
    ] {
        let headers = grouped(&[
            (other, "Mobile"),
            ("", "NHS Number"),
            ("", "DOB"),
            ("", "Mobile Number"),
        ]);
        let m = ColumnMap::from_headers(&headers).unwrap_or_else(|e| panic!("{other}: {e:?}"));
        assert_eq!(m.mobile, 3, "{other}");
    }
    for other in [
        "NOK Mobile",
        "Carer Mobile",
        "Next of Kin Telephone",
        "Relative's phone",
        "Emergency Contact Number",
        "Parent/Guardian Mobile",
        "Contact 2 Mobile",
    ] {
        let m = map(&[other, "NHS Number", "DOB", "Mobile Number"])
            .unwrap_or_else(|e| panic!("{other}: {e:?}"));
        assert_eq!(m.mobile, 3, "{other}");
    }
}

#[test]
fn a_mobile_under_a_next_of_kin_group_is_theirs() {
    // Today the group is not read and "Mobile" twice is refused as two mobiles,
    // or the first one, the next of kin's, is taken.
    let headers = grouped(&[
        ("Patient", "NHS Number"),
        ("Patient", "Forename"),
        ("Patient", "DOB"),
        ("Next of Kin", "Forename"),
        ("Next of Kin", "Mobile"),
        ("Next of Kin", "NHS Number"),
        ("Next of Kin", "DOB"),
        ("Patient", "Mobile"),
    ]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(
        (m.nhs_number, m.name, m.date_of_birth, m.mobile),
        (0, Some(1), 2, 7)
    );
}

#[test]
fn telephone_over_home_mobile_work_gives_the_patients_mobile() {
    let headers = grouped(&[
        ("", "NHS Number"),
        ("", "DOB"),
        ("Telephone", "Home"),
        ("Telephone", "Mobile"),
        ("Telephone", "Work"),
        ("Next of Kin", "Mobile"),
    ]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(m.mobile, 3);
}

#[test]
fn a_relatives_consent_is_read_too() {
    let headers = grouped(&[
        ("", "NHS Number"),
        ("", "Mobile"),
        ("", "DOB"),
        ("Carer", "SMS Consent"),
        ("Consent", "SMS"),
    ]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(
        m.consent.iter().map(|c| c.index).collect::<Vec<_>>(),
        [3, 4],
        "a relative's consent column may hold the patient's declines"
    );
}

#[test]
fn a_phone_beside_a_relationship_column_is_the_relatives() {
    for headers in [
        [
            "NHS Number",
            "DOB",
            "Mobile",
            "Contact name",
            "Relationship",
            "Telephone",
        ],
        [
            "NHS Number",
            "DOB",
            "Mobile",
            "Telephone",
            "Relationship to patient",
            "Notes",
        ],
    ] {
        let m = map(&headers).unwrap_or_else(|e| panic!("{headers:?}: {e:?}"));
        assert_eq!(m.mobile, 2, "{headers:?}");
    }
    // The only phone is beside the relationship: there is no patient's mobile.
    let e = map(&["NHS Number", "DOB", "Relationship", "Mobile"]).expect_err("stops");
    assert_eq!(
        e,
        ColumnProblem::WhichMobile {
            candidates: vec![],
            others: headers_of(["NHS Number", "DOB", "Relationship", "Mobile"])[3..].to_vec(),
        }
    );
}

#[test]
fn a_patient_group_marks_the_patients_column() {
    let headers = grouped(&[
        ("", "NHS Number"),
        ("", "DOB"),
        ("", "Mobile"),
        ("Patient", "Mobile"),
    ]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(m.mobile, 3);
}

#[test]
fn two_plain_mobiles_are_a_question() {
    let Err(ColumnProblem::WhichMobile { candidates, others }) = map(&[
        "NHS Number",
        "DOB",
        "Name",
        "Mobile",
        "Clinic",
        "Notes",
        "Usual GP",
        "Mobile",
    ]) else {
        panic!("expected a question about the mobile");
    };
    assert_eq!(indices(&candidates), [3, 7]);
    assert!(others.is_empty());
}

#[test]
fn only_a_relatives_mobile_and_a_general_phone_is_a_question() {
    let Err(ColumnProblem::WhichMobile { candidates, others }) =
        map(&["NHS Number", "DOB", "Telephone", "NOK Mobile"])
    else {
        panic!("expected a question about the mobile");
    };
    assert_eq!(indices(&candidates), [2]);
    assert_eq!(indices(&others), [3]);
}

#[test]
fn a_relatives_nhs_number_date_of_birth_and_name_are_not_the_patients() {
    let headers = grouped(&[
        ("Carer", "NHS Number"),
        ("Carer", "Date of Birth"),
        ("Carer", "Forename"),
        ("", "NHS Number"),
        ("", "Date of Birth"),
        ("", "Forename"),
        ("", "Mobile"),
    ]);
    let m = ColumnMap::from_headers(&headers).expect("maps");
    assert_eq!(
        (m.nhs_number, m.date_of_birth, m.name, m.mobile),
        (3, 4, Some(5), 6)
    );
}

#[test]
fn the_mobile_questions_read_as_a_clinician_would_answer_them() {
    use crate::patient_list::{ListError, PatientList};
    let error = |csv: &str| -> ListError {
        PatientList::open(std::io::Cursor::new(csv.as_bytes().to_vec()))
            .err()
            .expect("stops")
    };
    let e = error("NHS Number,DOB,Name,Mobile,Clinic,Notes,Usual GP,Mobile\r\n");
    assert_eq!(
        e.to_string(),
        "Which is the patient's own mobile: \"Mobile\" (column D) or \"Mobile\" (column H)? \
         Rename or delete the other, and upload the file again"
    );
    let e = error("NHS Number,DOB,Telephone,NOK Mobile\r\n");
    assert_eq!(
        e.to_string(),
        "Is \"Telephone\" (column C) the patient's own mobile? \"NOK Mobile\" (column D) \
         belongs to a next of kin, carer, relative or other contact, and is never texted. If it is, rename \
         it \"Mobile\"; if not, add a column \"Mobile\" holding the patient's mobile; and \
         upload the file again"
    );
    let e = error("NHS Number,DOB,Carer Mobile\r\n");
    assert!(
        e.to_string().starts_with(
            "The file has no column for the patient's own mobile: \"Carer Mobile\" (column C) \
             belongs to a next of kin, carer, relative or other contact"
        ),
        "{e}"
    );
}
