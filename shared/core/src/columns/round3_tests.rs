//! The second review's header names: a phone after a column naming someone
//! else is theirs; consent columns naming others, or with a date and a
//! status, are read; EMIS's "Patient Details" prefix and qualifiers such as
//! "Type" or "Method" change nothing; "Relationship status" is marital status.

use super::*;
use crate::consent::YesMeans;

fn map(headers: &[&str]) -> Result<ColumnMap, ColumnProblem> {
    ColumnMap::from_headers(&headers_of(headers.iter().copied()))
}

fn indices(headers: &[Header]) -> Vec<usize> {
    headers.iter().map(|h| h.index).collect()
}

#[test]
fn a_phone_right_after_a_column_naming_someone_else_is_theirs() {
    for between in [
        &["Next of Kin"][..],
        &["Carer Name"],
        &["Carer"],
        &["Contact Name"],
        &["Relationship"],
        &["Relationship", "Contact Name"],
        &["NOK Name"],
        &["Emergency contact"],
        &["Parent/Guardian"],
        &["Relationship", "Name"],
        &["Next of Kin", "Forename"],
    ] {
        let mut headers = vec!["NHS Number", "DOB", "Telephone"];
        headers.extend_from_slice(between);
        headers.push("Mobile");
        let mobile = headers.len() - 1;
        let Err(ColumnProblem::WhichMobile { candidates, others }) = map(&headers) else {
            panic!("{between:?}: expected a question about the mobile");
        };
        // A phone right before "Relationship" is theirs too: then there
        // is no candidate at all.
        assert!(
            [vec![], vec![2]].contains(&indices(&candidates)),
            "{between:?}"
        );
        assert_eq!(indices(&others).last(), Some(&mobile), "{between:?}");
    }
}

#[test]
fn a_flag_about_the_patient_does_not_make_the_next_mobile_someone_elses() {
    for flag in [
        "Is a carer",
        "Has carer",
        "Carer status",
        "Carer (Y/N)",
        "Relationship Status",
        "Marital Status",
        "Usual GP",
    ] {
        let m =
            map(&["NHS Number", "DOB", flag, "Mobile"]).unwrap_or_else(|e| panic!("{flag}: {e:?}"));
        assert_eq!(m.mobile, 3, "{flag}");
    }
}

#[test]
fn relationship_status_beside_the_mobile_is_not_a_relative() {
    let m = map(&[
        "NHS Number",
        "Forename",
        "DOB",
        "Mobile",
        "Relationship Status",
        "Marital Status",
    ])
    .expect("maps");
    assert_eq!(m.mobile, 3);
}

#[test]
fn a_patient_details_prefix_is_the_patients_own_group() {
    let m = map(&[
        "Patient Details NHS Number",
        "Patient Details Forename",
        "Patient Details Surname",
        "Patient Details Date of Birth",
        "Patient Details Mobile Number",
        "Usual GP",
    ])
    .expect("maps");
    assert_eq!(
        (m.nhs_number, m.name, m.date_of_birth, m.mobile),
        (0, Some(1), 3, 4)
    );
    let m = map(&[
        "Patient NHS No",
        "Patient's Mobile",
        "Patient Date of Birth",
    ])
    .expect("maps");
    assert_eq!((m.nhs_number, m.mobile, m.date_of_birth), (0, 1, 2));
}

#[test]
fn a_consent_column_naming_someone_else_is_read_either_way_round() {
    for (header, yes_means) in [
        ("SMS consent (patient or carer)", YesMeans::MayText),
        ("Parent/guardian SMS consent", YesMeans::MayText),
        ("Patient/carer SMS consent", YesMeans::MayText),
        ("Consent to SMS (relative)", YesMeans::MayText),
        ("SMS opt out - carer", YesMeans::DoNotText),
        ("Consent for SMS by proxy", YesMeans::MayText),
        ("Named person SMS consent", YesMeans::MayText),
        ("NOK SMS consent", YesMeans::MayText),
    ] {
        let m = map(&["NHS Number", "Mobile", "DOB", header])
            .unwrap_or_else(|e| panic!("{header}: {e:?}"));
        assert_eq!(
            m.consent,
            [ConsentColumn {
                index: 3,
                yes_means
            }],
            "{header}"
        );
    }
}

#[test]
fn a_consent_column_with_a_date_and_a_status_holds_the_consent() {
    for header in [
        "SMS Consent Date/Status",
        "SMS consent: date and status",
        "SMS consent status and date",
    ] {
        assert_eq!(
            consent_header(header),
            Some(ConsentHeader::Consent),
            "{header}"
        );
    }
    assert_eq!(
        consent_header("SMS opt out date/status"),
        Some(ConsentHeader::OppositeWay)
    );
    // A date alone is still only when it was recorded.
    assert_eq!(
        consent_header("SMS consent date"),
        Some(ConsentHeader::NotSms)
    );
}

#[test]
fn emis_consent_qualifiers_do_not_hide_the_direction() {
    for header in [
        "Patient Details Telecom SMS Consent",
        "SMS Consent Details",
        "SMS Consent Type",
        "SMS Consent Method",
        "Patient Details SMS Consent",
        "SMS Consent Status",
        "SMS Consent Record",
    ] {
        let m = map(&["NHS Number", "Mobile", "DOB", header])
            .unwrap_or_else(|e| panic!("{header}: {e:?}"));
        assert_eq!(
            m.consent,
            [ConsentColumn {
                index: 3,
                yes_means: YesMeans::MayText
            }],
            "{header}"
        );
    }
}

#[test]
fn of_two_mobiles_the_one_right_after_a_carer_is_the_carers() {
    let m = map(&["NHS Number", "DOB", "Name", "Mobile", "Carer", "Mobile"]).expect("maps");
    assert_eq!(m.mobile, 3);
}
