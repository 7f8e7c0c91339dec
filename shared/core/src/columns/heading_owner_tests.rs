//! A heading over columns decides whether they can be the patient's: only a
//! heading recognisably the patient's own ("Patient", "Demographics",
//! "Telephone", "Consent") lets its columns hold the patient's NHS number,
//! mobile, date of birth, name or consent. "Main contact", "Key worker",
//! "Care home" and headings nobody foresaw never do; when that leaves the
//! patient's mobile undecided the run stops with a question.

use std::io::Cursor;

use super::owner::{Owner, owner_by_name};
use super::*;
use crate::opt_out::OptOutList;
use crate::patient_list::{ListError, PatientList};
use crate::test_lists::{mobile, nhs, validate_twice};
use crate::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, SinkError, ValidationError, ValidationOptions,
    ValidationSink,
};

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

fn indices(headers: &[Header]) -> Vec<usize> {
    headers.iter().map(|h| h.index).collect()
}

/// Headings of someone else's columns, as practices write them.
const SOMEONE_ELSES: &[&str] = &[
    "Main contact",
    "Key contact",
    "Contact",
    "Contacts",
    "Care home",
    "Nursing home",
    "Grandson",
    "Granddaughter",
    "Niece",
    "Nephew",
    "Key worker",
    "Social worker",
    "ICE",
    "Family",
    "Named person",
    "Next of Kin",
    "Next of Kin 1",
    "Next of kin 2",
    "Carer 1",
    "Contact 1",
    "Contact 2",
    "NOK (1st)",
    "NOK 2nd",
    "Relative 1",
    "Emergency contact 1",
    "Key holder",
];

/// Headings that say neither whose nor whose not.
const OTHER_HEADINGS: &[&str] = &[
    "Contact details",
    "Contact numbers",
    "GP practice",
    "Registered GP",
    "School",
    "Other",
    "Additional information",
];

/// Headings recognisably the patient's own.
const PATIENTS: &[&str] = &[
    "Patient",
    "Patient details",
    "Patient's contact details",
    "Demographics",
    "Personal details",
    "Telephone",
    "Phone",
    "Telephone numbers",
    "Phone numbers",
    "Tel. numbers",
];

/// Headings recognisably over the patient's own consent.
const PATIENTS_CONSENT: &[&str] = &[
    "Patient",
    "Consent",
    "SMS",
    "Text messages",
    "Contact preferences",
    "Communication preferences",
];

#[test]
fn headings_of_someone_elses_columns_are_recognised_as_theirs() {
    for group in SOMEONE_ELSES {
        let header = &grouped(&[(group, "Mobile")])[0];
        assert_eq!(owner_by_name(header), Owner::SomeoneElse, "{group}");
    }
    for group in OTHER_HEADINGS {
        let header = &grouped(&[(group, "Mobile")])[0];
        assert_eq!(owner_by_name(header), Owner::OtherHeading, "{group}");
    }
}

/// The reviewer's list: the patient has only a general "Telephone"; the only
/// "Mobile" is under another heading.
fn patient_and(group: &str) -> Vec<Header> {
    grouped(&[
        ("Patient", "NHS Number"),
        ("Patient", "Name"),
        ("Patient", "DOB"),
        ("Patient", "Telephone"),
        (group, "Name"),
        (group, "Mobile"),
    ])
}

#[test]
fn a_mobile_under_any_heading_but_the_patients_is_never_the_patients() {
    for group in SOMEONE_ELSES.iter().chain(OTHER_HEADINGS) {
        let problem = ColumnMap::from_headers(&patient_and(group)).expect_err(group);
        let ColumnProblem::WhichMobile { candidates, others } = problem else {
            panic!("{group}: {problem:?}");
        };
        assert_eq!(
            (indices(&candidates), indices(&others)),
            (vec![3], vec![5]),
            "{group}"
        );
    }
}

#[test]
fn a_mobile_under_the_patients_own_heading_is_the_patients() {
    for group in PATIENTS {
        let headers = grouped(&[
            ("", "NHS Number"),
            ("", "DOB"),
            (group, "Home"),
            (group, "Mobile"),
        ]);
        let m = ColumnMap::from_headers(&headers).unwrap_or_else(|e| panic!("{group}: {e:?}"));
        assert_eq!(m.mobile, 3, "{group}");
    }
}

#[test]
fn consent_under_the_patients_own_heading_is_read() {
    for group in PATIENTS_CONSENT {
        let headers = grouped(&[
            ("", "NHS Number"),
            ("", "Mobile"),
            ("", "DOB"),
            ("", "Notes"),
            (group, "SMS opt-out"),
        ]);
        let m = ColumnMap::from_headers(&headers).unwrap_or_else(|e| panic!("{group}: {e:?}"));
        assert_eq!(
            m.consent,
            [ConsentColumn {
                index: 4,
                yes_means: YesMeans::DoNotText
            }],
            "{group}"
        );
    }
}

#[test]
fn nhs_number_date_of_birth_and_name_under_another_heading_are_not_the_patients() {
    for group in SOMEONE_ELSES.iter().chain(OTHER_HEADINGS) {
        let headers = grouped(&[
            (group, "NHS Number"),
            (group, "Date of Birth"),
            (group, "Forename"),
            ("", "NHS Number"),
            ("", "Date of Birth"),
            ("", "Forename"),
            ("", "Mobile"),
        ]);
        let m = ColumnMap::from_headers(&headers).unwrap_or_else(|e| panic!("{group}: {e:?}"));
        assert_eq!(
            (m.nhs_number, m.date_of_birth, m.name, m.mobile),
            (3, 4, Some(5), 6),
            "{group}"
        );
        let only_theirs = grouped(&[(group, "NHS Number"), ("", "DOB"), ("", "Mobile")]);
        assert_eq!(
            ColumnMap::from_headers(&only_theirs),
            Err(ColumnProblem::Missing(vec![Role::NhsNumber])),
            "{group}"
        );
    }
}

#[test]
fn consent_under_another_heading_is_read_or_stops() {
    for group in SOMEONE_ELSES {
        let headers = grouped(&[
            ("", "NHS Number"),
            ("", "Mobile"),
            ("", "DOB"),
            (group, "Name"),
            (group, "SMS consent"),
        ]);
        let m = ColumnMap::from_headers(&headers).unwrap_or_else(|e| panic!("{group}: {e:?}"));
        // Read all the same: its declines may be the patient's, and not
        // texting is the safe side.
        assert_eq!(
            m.consent.iter().map(|c| c.index).collect::<Vec<_>>(),
            [4],
            "{group}"
        );
    }
    // A heading that names nobody: the declines may be the patient's, so
    // they are neither read as the patient's nor passed over.
    for group in OTHER_HEADINGS {
        let headers = grouped(&[
            ("", "NHS Number"),
            ("", "Mobile"),
            ("", "DOB"),
            (group, "Email"),
            (group, "SMS opt-out"),
        ]);
        assert_eq!(
            ColumnMap::from_headers(&headers),
            Err(ColumnProblem::WhoseConsent(headers[4].clone())),
            "{group}"
        );
    }
}

#[test]
fn the_questions_name_the_columns_and_say_what_to_do() {
    let e = PatientList::open(Cursor::new(
        b"Patient,,,,Contact details,\r\nNHS Number,Name,DOB,Telephone,Email,Mobile\r\n".to_vec(),
    ))
    .err()
    .expect("stops");
    assert_eq!(
        e.to_string(),
        "Is \"Patient Telephone\" (column D) the patient's own mobile? \"Contact details \
         Mobile\" (column F) is not taken as the patient's: the heading over it does not say it \
         is the patient's (if it is, change the heading to \"Patient\"). If it is, rename it \
         \"Mobile\"; if not, add a column \"Mobile\" holding the patient's mobile; and upload \
         the file again"
    );
    let e = PatientList::open(Cursor::new(
        b"NHS Number,Mobile,DOB,GP practice,\r\n,,,Name,SMS consent\r\n".to_vec(),
    ))
    .err()
    .expect("stops");
    assert!(matches!(e, ListError::WhoseConsent { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(
            "The column \"GP practice SMS consent\" (column E) seems to hold SMS consent, but \
             the heading over it does not say it is the patient's"
        ),
        "{e}"
    );
}

#[derive(Default)]
struct Accepted(Vec<u64>);

impl ValidationSink for Accepted {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }
    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.0.push(row.row);
        Ok(())
    }
    fn not_accepted(&mut self, _: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        Ok(())
    }
}

fn validate(bytes: &[u8]) -> Result<Vec<u64>, ValidationError> {
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        declines: &Declines::default(),
    };
    let mut accepted = Accepted::default();
    validate_twice(bytes, &options, &mut accepted)?;
    Ok(accepted.0)
}

fn asks_which_mobile(result: Result<Vec<u64>, ValidationError>, group: &str) {
    let e = result.err().unwrap_or_else(|| panic!("{group}: accepted"));
    assert!(
        matches!(e, ValidationError::List(ListError::WhichMobile { .. })),
        "{group}: {e:?}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with("Is \"Patient Telephone\" (column D) the patient's own mobile?"),
        "{text}"
    );
    assert!(
        text.contains(&format!("\"{group} Mobile\" (column F)")),
        "{text}"
    );
}

/// cases/contact_group_mobile_taken_as_patients.csv and other headings.
#[test]
fn a_contacts_mobile_in_a_csv_is_never_texted() {
    for group in [
        "Main contact",
        "Key worker",
        "Care home",
        "ICE",
        "Contact details",
    ] {
        let csv = format!(
            "Patient,,,,{group},\r\nNHS Number,Name,DOB,Telephone,Name,Mobile\r\n\
             {},Alice,01/02/1980,01632 960001,Bob,{}\r\n",
            nhs(1),
            mobile(9)
        );
        asks_which_mobile(validate(csv.as_bytes()), group);
    }
}

/// cases/contact_group_mobile_taken_as_patients.xlsx: merged headings, and
/// an NHS number merged down over both header rows stays the patient's.
#[test]
fn a_contacts_mobile_in_a_spreadsheet_is_never_texted() {
    let book = |group: &str, nhs_merged_down: bool| -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let blank = rust_xlsxwriter::Format::new();
        if nhs_merged_down {
            sheet
                .merge_range(0, 0, 1, 0, "NHS Number", &blank)
                .expect("merge");
        } else {
            sheet.write(1, 0, "NHS Number").expect("write");
        }
        sheet
            .merge_range(0, 1, 0, 3, "Patient", &blank)
            .expect("merge");
        sheet.merge_range(0, 4, 0, 5, group, &blank).expect("merge");
        for (col, text) in ["Name", "DOB", "Telephone", "Name", "Mobile"]
            .iter()
            .enumerate()
        {
            sheet.write(1, col as u16 + 1, *text).expect("write");
        }
        let row = [
            nhs(1),
            "Alice".into(),
            "01/02/1980".into(),
            "01632 960001".into(),
            "Bob".into(),
            mobile(9),
        ];
        for (col, text) in row.iter().enumerate() {
            sheet.write(2, col as u16, text.as_str()).expect("write");
        }
        workbook.save_to_buffer().expect("xlsx")
    };
    for (i, group) in ["Main contact", "Social worker", "Named person", "Niece"]
        .into_iter()
        .enumerate()
    {
        let e = validate(&book(group, i % 2 == 0)).expect_err("stops");
        let ValidationError::List(ListError::WhichMobile { candidates, others }) = &e else {
            panic!("{group}: {e:?}");
        };
        assert_eq!((indices(candidates), indices(others)), (vec![3], vec![5]));
        assert!(
            e.to_string()
                .contains(&format!("\"{group} Mobile\" (column F)"))
        );
    }
    // With the patient's own mobile the list is read, the merged-down NHS
    // number is the patient's, and the contact's mobile is not used.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let blank = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(0, 0, 1, 0, "NHS Number", &blank)
        .expect("merge");
    sheet
        .merge_range(0, 1, 0, 3, "Patient", &blank)
        .expect("merge");
    sheet
        .merge_range(0, 4, 0, 5, "Main contact", &blank)
        .expect("merge");
    for (col, text) in ["Name", "DOB", "Mobile", "Name", "Mobile"]
        .iter()
        .enumerate()
    {
        sheet.write(1, col as u16 + 1, *text).expect("write");
    }
    for (col, text) in [
        nhs(1),
        "Alice".into(),
        "01/02/1980".into(),
        mobile(1),
        "Bob".into(),
        mobile(9),
    ]
    .iter()
    .enumerate()
    {
        sheet.write(2, col as u16, text.as_str()).expect("write");
    }
    let bytes = workbook.save_to_buffer().expect("xlsx");
    let list = PatientList::open(Cursor::new(bytes.clone())).expect("opens");
    let map = list.columns();
    assert_eq!((map.nhs_number, map.mobile), (0, 3));
    assert_eq!(validate(&bytes).expect("validates"), [3]);
}
