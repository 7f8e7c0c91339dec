//! Whole lists through `validate_list`: what a column means decides who is
//! texted. Consent columns read by their whole name, either way round;
//! someone else's mobile never taken for the patient's; a placeholder's
//! column never picked silently from two named alike.

use std::io::Cursor;

use batchmsg_core::message::Template;
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::{ListError, PatientList};
use batchmsg_core::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, Reason, SinkError, ValidationError,
    ValidationOptions, ValidationSink, validate_list,
};
use chrono::NaiveDate;

/// A valid NHS number in the 999 test range, a different one for each `i`.
fn nhs(i: u32) -> String {
    (0..10u32)
        .find_map(|last| {
            let stem = format!("999{i:05}{last}");
            let sum: u32 = stem
                .bytes()
                .zip((2..=10).rev())
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            let check = 11 - sum % 11;
            match check {
                11 => Some(format!("{stem}0")),
                10 => None,
                c => Some(format!("{stem}{c}")),
            }
        })
        .expect("a ninth digit with a valid check digit")
}

#[derive(Default)]
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

fn validate(csv: &str, message: Option<&str>) -> Result<Rows, ValidationError> {
    let template = message.map(|m| Template::parse(m).expect("message parses"));
    let opted_out = OptOutList::default();
    let open = || PatientList::open(Cursor::new(csv.as_bytes().to_vec()));
    let declines = Declines::find(
        &mut open()?,
        &opted_out,
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
    )?;
    let options = ValidationOptions {
        message: template.as_ref(),
        opted_out: &opted_out,
        today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        declines: &declines,
    };
    let mut list = open()?;
    let mut rows = Rows::default();
    validate_list(&mut list, &options, &mut rows)?;
    Ok(rows)
}

/// One patient per value, under `header`; row 2 holds the first value.
fn list_with(header: &str, values: &[&str]) -> String {
    let mut csv = format!("NHS Number,Mobile,DOB,{header}\r\n");
    for (i, value) in values.iter().enumerate() {
        csv.push_str(&format!(
            "{},07700 900{i:03},01/01/1990,\"{value}\"\r\n",
            nhs(i as u32)
        ));
    }
    csv
}

/// For each value under `header`: accepted, or the consent reason.
fn consent_outcomes(header: &str, values: &[&str]) -> Vec<Option<Reason>> {
    let rows =
        validate(&list_with(header, values), None).unwrap_or_else(|e| panic!("{header}: {e}"));
    (0..values.len() as u64)
        .map(|i| {
            let row = i + 2;
            if rows.accepted.contains(&row) {
                return None;
            }
            let (_, reasons) = rows
                .not_accepted
                .iter()
                .find(|(r, _)| *r == row)
                .expect("every row is reported");
            Some(reasons[0].clone())
        })
        .collect()
}

#[test]
fn a_column_saying_consent_was_withdrawn_reads_yes_as_declined() {
    assert_eq!(
        consent_outcomes("Text consent withdrawn", &["Yes", "No", ""]),
        [Some(Reason::Declined), None, None]
    );
}

#[test]
fn a_decline_column_without_the_word_consent_is_read() {
    assert_eq!(
        consent_outcomes("Decline SMS", &["Yes", "No", "✓", "?"]),
        [
            Some(Reason::Declined),
            None,
            Some(Reason::Declined),
            Some(Reason::ConsentUnrecognised)
        ]
    );
}

#[test]
fn an_opt_in_column_without_the_word_consent_is_read() {
    assert_eq!(
        consent_outcomes("Text Opt-In", &["No", "Yes"]),
        [Some(Reason::Declined), None]
    );
}

#[test]
fn columns_about_other_things_neither_decline_nor_stop() {
    for header in [
        "National Data Opt-Out",
        "Type 1 Opt-out",
        "Email consent",
        "SCR Consent",
        "Flu vaccine declined",
        "Data sharing consent",
    ] {
        assert_eq!(
            consent_outcomes(header, &["Yes", "No", "Declined"]),
            [None, None, None],
            "{header}"
        );
    }
    assert_eq!(
        consent_outcomes("SMS consent date", &["01/02/2020", ""]),
        [None, None]
    );
}

#[test]
fn a_mark_that_is_not_clearly_yes_or_no_is_not_accepted() {
    let values = [
        "✗",
        "×",
        "✓?",
        "?",
        "Yes, but not by text",
        "Yes - not SMS",
        "y?",
    ];
    assert_eq!(
        consent_outcomes("SMS Consent", &values),
        vec![Some(Reason::ConsentUnrecognised); values.len()]
    );
}

#[test]
fn an_sms_column_of_unknown_direction_stops_the_run_and_names_it() {
    let e = validate(&list_with("SMS", &["Yes"]), None)
        .err()
        .expect("stops");
    let ValidationError::List(ListError::UnclearConsent { column }) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(column.index, 3);
    assert!(e.to_string().contains("\"SMS\" (column D)"), "{e}");
}

#[test]
fn a_mobile_beside_a_relationship_column_is_not_the_patients() {
    let csv = format!(
        "NHS Number,DOB,Telephone,Contact name,Relationship,Mobile\r\n\
         {},01/01/1990,07700 900001,A Relative,Daughter,07700 900002\r\n",
        nhs(1)
    );
    let e = validate(&csv, None).err().expect("stops");
    assert!(
        matches!(e, ValidationError::List(ListError::WhichMobile { .. })),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("Is \"Telephone\" (column C) the patient's own mobile?"),
        "{e}"
    );
    assert!(e.to_string().contains("\"Mobile\" (column F)"), "{e}");
}

#[test]
fn two_plain_mobile_columns_are_a_question() {
    let csv = format!(
        "NHS Number,DOB,Forename,Mobile,Clinic,Notes,Usual GP,Mobile\r\n\
         {},01/01/1990,Ann,07700 900001,Leeds,,Dr Khan,07700 900002\r\n",
        nhs(1)
    );
    let e = validate(&csv, None).err().expect("stops");
    assert_eq!(
        e.to_string(),
        "Which is the patient's own mobile: \"Mobile\" (column D) or \"Mobile\" (column H)? \
         Rename or delete the other, and upload the file again"
    );
}

#[test]
fn a_placeholder_whose_column_is_named_twice_stops_the_run() {
    let csv = format!(
        "NHS Number,Forename,Mobile,DOB,Carer,Forename\r\n\
         {},Ann,07700 900001,01/01/1990,Yes,Bob\r\n",
        nhs(1)
    );
    let e = validate(&csv, Some("Dear ((forename)), your appointment is due."))
        .err()
        .expect("stops");
    let ValidationError::PlaceholderColumnTwice {
        placeholder,
        columns,
    } = &e
    else {
        panic!("{e:?}");
    };
    assert_eq!(placeholder, "forename");
    assert_eq!(columns.iter().map(|h| h.index).collect::<Vec<_>>(), [1, 5]);
    assert_eq!(
        e.to_string(),
        "The message uses ((forename)) and the file has more than one column it could mean: \
         \"Forename\" (column B) and \"Forename\" (column F). Rename or delete the one that is \
         not the patient's (for example, call a carer's column \"Carer forename\"), and upload \
         the file again"
    );

    let csv = format!(
        "NHS Number,Mobile,DOB,Appointment Date,Appointment_Date\r\n\
         {},07700 900001,01/01/1990,01/12/2026,02/12/2026\r\n",
        nhs(1)
    );
    let e = validate(&csv, Some("Your appointment is on ((appointment date))."))
        .err()
        .expect("stops");
    assert!(
        e.to_string()
            .contains("\"Appointment Date\" (column D) and \"Appointment_Date\" (column E)"),
        "{e}"
    );
}
