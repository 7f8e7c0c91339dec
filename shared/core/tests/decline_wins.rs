//! A decline anywhere wins: for any list, a patient with one row that
//! declines, opts out or holds a consent value that cannot be read is never
//! accepted, whichever row comes first and however the NHS number is written.

use std::collections::BTreeSet;
use std::io::Cursor;

use batchmsg_core::nhs_number::check_digit;
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::PatientList;
use batchmsg_core::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, Reason, SinkError, Summary, ValidationOptions,
    ValidationSink, validate_list,
};
use chrono::NaiveDate;
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date")
}

/// Consent values, and whether each stops a text.
const CONSENTS: [(&str, bool); 10] = [
    ("Yes", false),
    ("", false),
    ("Y", false),
    ("Consent given", false),
    ("No", true),
    ("Declined", true),
    ("Consent withdrawn", true),
    ("maybe", true),
    ("Refused", true),
    ("Not recorded", false),
];

fn nhs_digits(patient: usize) -> String {
    // 943 476 xxx with a valid check digit; some stems have none and are skipped.
    (0u32..)
        .filter_map(|stem| {
            let first_nine = format!("943476{:03}", stem);
            let digits: [u8; 9] = first_nine
                .bytes()
                .map(|b| b - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .expect("nine digits");
            check_digit(&digits).map(|c| format!("{first_nine}{c}"))
        })
        .nth(patient)
        .expect("enough valid numbers")
}

/// Shapes 0 to 3 are accepted as an NHS number; 4 and 5 are not, but still
/// name the patient when their row declines.
const ACCEPTED_SHAPES: usize = 4;

/// The same NHS number in the shapes practices write it.
fn written(nhs: &str, shape: usize) -> String {
    match shape {
        0 => nhs.to_owned(),
        1 => format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..]),
        2 => format!("{}-{}-{}", &nhs[..3], &nhs[3..6], &nhs[6..]),
        3 => format!("'{nhs}"),
        4 => format!("{}  {}  {}", &nhs[..3], &nhs[3..6], &nhs[6..]),
        _ => format!("NHS {nhs}"),
    }
}

fn own_mobile(patient: usize) -> String {
    format!("07700 900{:03}", patient)
}

fn other_mobile(patient: usize) -> String {
    format!("07700 900{:03}", 500 + patient)
}

#[derive(Clone, Debug)]
struct Row {
    patient: usize,
    consent: usize,
    shape: usize,
    /// The row gives the patient's other mobile.
    other_mobile: bool,
}

#[derive(Clone, Debug)]
struct List {
    patients: usize,
    with_consent: bool,
    rows: Vec<Row>,
    /// Patients whose NHS number is on the opted-out list.
    opted_out_nhs: BTreeSet<usize>,
    /// Patients whose other mobile is on the opted-out list.
    opted_out_other_mobile: BTreeSet<usize>,
}

fn lists() -> impl Strategy<Value = List> {
    (1usize..8).prop_flat_map(|patients| {
        let row = (0..patients, 0..CONSENTS.len(), 0usize..6, any::<bool>()).prop_map(
            |(patient, consent, shape, other_mobile)| Row {
                patient,
                consent,
                shape,
                other_mobile,
            },
        );
        (
            Just(patients),
            any::<bool>(),
            prop::collection::vec(row, 1..24),
            prop::collection::btree_set(0..patients, 0..3),
            prop::collection::btree_set(0..patients, 0..3),
        )
            .prop_map(
                |(patients, with_consent, rows, opted_out_nhs, opted_out_other_mobile)| List {
                    patients,
                    with_consent,
                    rows,
                    opted_out_nhs,
                    opted_out_other_mobile,
                },
            )
    })
}

impl List {
    fn csv(&self) -> String {
        let mut csv = String::from("NHS Number,Mobile,Date of Birth");
        csv.push_str(if self.with_consent {
            ",SMS Consent\n"
        } else {
            "\n"
        });
        for row in &self.rows {
            let mobile = if row.other_mobile {
                other_mobile(row.patient)
            } else {
                own_mobile(row.patient)
            };
            csv.push_str(&format!(
                "{},{mobile},01/02/1980",
                written(&nhs_digits(row.patient), row.shape)
            ));
            if self.with_consent {
                csv.push(',');
                csv.push_str(CONSENTS[row.consent].0);
            }
            csv.push('\n');
        }
        csv
    }

    fn opted_out(&self) -> String {
        let mut list = String::new();
        for &p in &self.opted_out_nhs {
            list.push_str(&nhs_digits(p));
            list.push('\n');
        }
        for &p in &self.opted_out_other_mobile {
            list.push_str(&other_mobile(p));
            list.push('\n');
        }
        list
    }

    /// Whether any row of `patient` stops their text.
    fn stopped(&self, patient: usize) -> bool {
        self.opted_out_nhs.contains(&patient)
            || self.rows.iter().filter(|r| r.patient == patient).any(|r| {
                (self.with_consent && CONSENTS[r.consent].1)
                    || (r.other_mobile && self.opted_out_other_mobile.contains(&patient))
            })
    }

    /// Every listed patient with no stopping row is accepted, from their
    /// first row whose NHS number is written in an accepted shape.
    fn expected_accepted(&self) -> BTreeSet<String> {
        (0..self.patients)
            .filter(|&p| {
                self.rows
                    .iter()
                    .any(|r| r.patient == p && r.shape < ACCEPTED_SHAPES)
                    && !self.stopped(p)
            })
            .map(nhs_digits)
            .collect()
    }
}

#[derive(Default)]
struct Outcome {
    accepted: Vec<(u64, String)>,
    not_accepted: Vec<(u64, Vec<Reason>)>,
}

impl ValidationSink for Outcome {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        let digits = String::from_utf8(row.nhs_number.digits().to_vec()).expect("ASCII digits");
        self.accepted.push((row.row, digits));
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        self.not_accepted.push((row.row, row.reasons.to_vec()));
        Ok(())
    }
}

fn validate(csv: &str, opted_out: &str) -> (Summary, Outcome) {
    // An empty list is no list given: a list given with no number stops the run.
    let opted_out = match opted_out {
        "" => OptOutList::default(),
        text => OptOutList::read(text.as_bytes()).expect("the opted-out list reads"),
    };
    let open = || PatientList::open(Cursor::new(csv.as_bytes().to_vec())).expect("opens");
    let declines = Declines::find(&mut open(), &opted_out, today()).expect("first reading");
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &declines,
    };
    let mut outcome = Outcome::default();
    let summary = validate_list(&mut open(), &options, &mut outcome).expect("validates");
    (summary, outcome)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_patient_with_one_declining_row_is_never_accepted(list in lists()) {
        let (summary, outcome) = validate(&list.csv(), &list.opted_out());
        let accepted: BTreeSet<String> =
            outcome.accepted.iter().map(|(_, nhs)| nhs.clone()).collect();
        prop_assert_eq!(&accepted, &list.expected_accepted(), "list:\n{}", list.csv());
        prop_assert_eq!(outcome.accepted.len(), accepted.len(), "one text a patient");
        prop_assert_eq!(summary.rows as usize, list.rows.len());
        prop_assert_eq!(
            outcome.accepted.len() + outcome.not_accepted.len(),
            list.rows.len(),
            "every row accepted or not accepted"
        );
        for (row, reasons) in &outcome.not_accepted {
            prop_assert!(!reasons.is_empty(), "row {} has no reason", row);
        }
    }
}

#[test]
fn a_decline_on_a_later_row_keeps_the_earlier_row_out_and_names_it() {
    let nhs = nhs_digits(0);
    let spaced = written(&nhs, 1);
    let other = nhs_digits(1);
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {nhs},07700 900001,01/02/1980,Yes\n\
         {other},07700 900002,01/02/1980,Yes\n\
         {spaced},07700 900001,01/02/1980,Declined\n"
    );
    let (summary, outcome) = validate(&csv, "");
    assert_eq!(outcome.accepted, vec![(3, other)]);
    assert_eq!(summary.accepted, 1);
    let row_2 = &outcome.not_accepted[0];
    assert_eq!(row_2.0, 2);
    assert_eq!(
        row_2.1[0].to_string(),
        "Patient has declined SMS on row 4",
        "the earlier row says where the decline is"
    );
    assert_eq!(outcome.not_accepted[1].0, 4);
    assert_eq!(outcome.not_accepted[1].1[0], Reason::Declined);
}

#[test]
fn an_opted_out_mobile_on_a_later_row_keeps_the_patient_out() {
    let nhs = nhs_digits(0);
    let csv = format!(
        "NHS Number,Mobile,Date of Birth\n\
         {nhs},07700 900001,01/02/1980\n\
         {nhs},07700 900777,01/02/1980\n"
    );
    let (summary, outcome) = validate(&csv, "07700900777\n");
    assert_eq!(summary.accepted, 0, "{:?}", outcome.accepted);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "Patient is on the opted-out list (row 3)"
    );
}

#[test]
fn a_list_that_changed_between_readings_is_an_error_not_a_guess() {
    let nhs = nhs_digits(0);
    let first =
        format!("NHS Number,Mobile,Date of Birth,SMS Consent\n{nhs},07700 900001,01/02/1980,Yes\n");
    let second =
        format!("NHS Number,Mobile,Date of Birth,SMS Consent\n{nhs},07700 900001,01/02/1980,No\n");
    let opted_out = OptOutList::default();
    let declines = Declines::find(
        &mut PatientList::open(Cursor::new(first.into_bytes())).expect("opens"),
        &opted_out,
        today(),
    )
    .expect("reads");
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &declines,
    };
    let mut list = PatientList::open(Cursor::new(second.into_bytes())).expect("opens");
    let result = validate_list(&mut list, &options, &mut Outcome::default());
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.to_string().contains("changed while it was being read")),
        "{:?}",
        result.err()
    );
}

#[test]
fn a_list_with_nothing_that_can_stop_a_text_is_read_once() {
    let csv = format!(
        "NHS Number,Mobile,Date of Birth\n{},07700 900001,01/02/1980\n",
        nhs_digits(0)
    );
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let declines = Declines::find(&mut list, &OptOutList::default(), today()).expect("reads");
    assert!(!declines.read_the_list());
    let mut record = csv::ByteRecord::new();
    assert_eq!(
        list.read_row(&mut record).expect("reads"),
        Some(2),
        "the rows are still there"
    );
}

#[test]
fn a_patient_hidden_on_one_row_of_a_spreadsheet_is_not_texted_from_another() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let nhs = nhs_digits(0);
    let other = nhs_digits(1);
    let rows = [
        ["NHS Number", "Mobile", "Date of Birth"],
        [nhs.as_str(), "07700 900001", "01/02/1980"],
        [other.as_str(), "07700 900002", "01/02/1980"],
        [nhs.as_str(), "07700 900001", "01/02/1980"],
    ];
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, *cell)
                .expect("writes");
        }
    }
    sheet.set_row_hidden(3).expect("hides row 4");
    let bytes = workbook.save_to_buffer().expect("saves");

    let opted_out = OptOutList::default();
    let open = || PatientList::open(Cursor::new(bytes.clone())).expect("opens");
    let declines = Declines::find(&mut open(), &opted_out, today()).expect("first reading");
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &declines,
    };
    let mut outcome = Outcome::default();
    validate_list(&mut open(), &options, &mut outcome).expect("validates");
    assert_eq!(outcome.accepted, vec![(3, other)]);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "This patient's row 4 is hidden in the spreadsheet: unhide it if this patient should be texted"
    );
}

#[test]
fn a_decline_on_a_row_whose_nhs_number_is_written_oddly_still_names_the_patient() {
    let nhs = nhs_digits(0);
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {nhs},07700 900001,01/02/1980,Yes\n\
         {},07700 900001,01/02/1980,Declined\n",
        written(&nhs, 4)
    );
    let (summary, outcome) = validate(&csv, "");
    assert_eq!(summary.accepted, 0, "{:?}", outcome.accepted);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "Patient has declined SMS on row 3"
    );
}

#[test]
fn a_decline_whose_nhs_number_is_lost_names_the_patient_by_mobile_and_birth() {
    let nhs = nhs_digits(0);
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {nhs},07700 900001,01/02/1980,Yes\n\
         9.43477E+09,07700 900001,01/02/1980,Declined\n\
         {},07700 900002,01/02/1980,Yes\n",
        nhs_digits(1)
    );
    let (summary, outcome) = validate(&csv, "");
    assert_eq!(outcome.accepted, vec![(4, nhs_digits(1))]);
    assert_eq!(summary.accepted, 1);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "Patient has declined SMS on row 3"
    );
}

#[test]
fn a_decline_that_names_no_patient_stops_the_run() {
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {},07700 900001,01/02/1980,Yes\n\
         unknown,,,Declined\n\
         {},07700 900002,01/02/1980,Yes\n",
        nhs_digits(0),
        nhs_digits(1)
    );
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let error = Declines::find(&mut list, &OptOutList::default(), today())
        .expect_err("no telling whose decline it is");
    let message = error.to_string();
    assert!(
        message.starts_with("Row 3 says a patient must not be texted"),
        "{message}"
    );
}

#[test]
fn a_decline_on_the_last_row_is_not_counted_away_as_a_footer() {
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {},07700 900001,01/02/1980,Yes\n\
         Ann Smith,,,Declined\n",
        nhs_digits(0)
    );
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let error = Declines::find(&mut list, &OptOutList::default(), today())
        .expect_err("a decline that names no patient, at the end, still stops the run");
    assert!(
        error
            .to_string()
            .starts_with("Row 3 says a patient must not be texted")
    );
}

#[test]
fn a_cell_that_says_not_to_text_declines_its_patient_on_every_row() {
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,Contact preference,Notes\n\
         {},07700 900001,01/02/1980,,\n\
         {},07700 900002,01/02/1980,Do not call - text only,\n\
         {},07700 900001,01/02/1980,Letter only - declined SMS,\n\
         {},07700 900003,01/02/1980,,SMS opt out\n",
        nhs_digits(0),
        nhs_digits(1),
        nhs_digits(0),
        nhs_digits(2),
    );
    let (_, outcome) = validate(&csv, "");
    assert_eq!(outcome.accepted, vec![(3, nhs_digits(1))]);
    let reasons: Vec<(u64, String)> = outcome
        .not_accepted
        .iter()
        .map(|(row, reasons)| (*row, reasons[0].to_string()))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, "Patient has declined SMS on row 4".to_owned()),
            (
                4,
                "The cell under \"Contact preference\" says not to text this patient".to_owned()
            ),
            (
                5,
                "The cell under \"Notes\" says not to text this patient".to_owned()
            ),
        ]
    );
}

#[test]
fn a_decline_on_a_row_with_a_mistyped_nhs_number_names_the_patient_by_mobile_and_birth() {
    let nhs = nhs_digits(0);
    let mut typo = nhs.clone().into_bytes();
    typo.swap(8, 9);
    let typo = String::from_utf8(typo).expect("digits");
    assert_ne!(typo, nhs);
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {nhs},07700 900001,01/02/1980,Yes\n\
         {typo},07700 900001,01/02/1980,Declined\n"
    );
    let (summary, outcome) = validate(&csv, "");
    assert_eq!(summary.accepted, 0, "{:?}", outcome.accepted);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "Patient has declined SMS on row 3"
    );
}

#[test]
fn a_name_cell_that_says_not_to_text_is_never_a_greeting() {
    // Only the patient's own columns: the list is read once, and the name
    // cell's decline keeps its own row out.
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,Patient Name\n\
         {},07700 900001,01/02/1980,\"SMITH, Jane - DO NOT TEXT\"\n\
         {},07700 900002,01/02/1980,Bob (declined SMS)\n\
         {},07700 900003,01/02/1980,Cy\n",
        nhs_digits(0),
        nhs_digits(1),
        nhs_digits(2),
    );
    let (_, outcome) = validate(&csv, "");
    assert_eq!(outcome.accepted, vec![(4, nhs_digits(2))]);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "The cell under \"Patient Name\" says not to text this patient"
    );

    // With a consent column the list is read twice, and the decline in the
    // name stops the patient's other rows too.
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,Patient Name,SMS Consent\n\
         {},07700 900001,01/02/1980,Jane Smith,Yes\n\
         {},07700 900001,01/02/1980,\"SMITH, Jane - DO NOT TEXT\",\n",
        nhs_digits(0),
        nhs_digits(0),
    );
    let (summary, outcome) = validate(&csv, "");
    assert_eq!(summary.accepted, 0, "{:?}", outcome.accepted);
    assert_eq!(
        outcome.not_accepted[0].1[0].to_string(),
        "Patient has declined SMS on row 3"
    );
}

#[test]
fn the_declines_never_show_a_patients_details_in_debug_output() {
    let nhs = nhs_digits(0);
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,SMS Consent\n\
         {nhs},07700 900001,01/02/1980,Declined\n\
         9.43477E+09,07700 900002,03/04/1975,Declined\n"
    );
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let declines = Declines::find(&mut list, &OptOutList::default(), today()).expect("reads");
    let shown = format!("{declines:?}");
    assert_eq!(declines.len(), 2);
    for detail in [nhs.as_str(), "7700900001", "7700900002", "1980", "1975"] {
        assert!(!shown.contains(detail), "{shown}");
    }
}
