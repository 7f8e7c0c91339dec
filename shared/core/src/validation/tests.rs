//! `validate_list` through whole lists, into a sink that records every call.

use std::io::{Cursor, Read};

use chrono::NaiveDate;

use super::*;
use crate::date_of_birth::DateOfBirthError;
use crate::mobile::MobileError;
use crate::nhs_number::NhsNumberError;
use crate::sms::Encoding;
use crate::test_lists::{mobile, nhs, validate_twice};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date")
}

fn e164(i: u32) -> String {
    format!("+447700900{i:03}")
}

#[derive(Clone, Debug, PartialEq)]
enum Out {
    Accepted {
        row: u64,
        nhs_number: String,
        mobile: String,
        date_of_birth: String,
        personalisation: Vec<String>,
        text_length: Option<TextLength>,
    },
    NotAccepted {
        row: u64,
        cells: Vec<String>,
        reasons: Vec<Reason>,
    },
}

impl Out {
    fn row(&self) -> u64 {
        match self {
            Out::Accepted { row, .. } | Out::NotAccepted { row, .. } => *row,
        }
    }

    fn reasons(&self) -> &[Reason] {
        match self {
            Out::Accepted { .. } => &[],
            Out::NotAccepted { reasons, .. } => reasons,
        }
    }
}

/// The in-memory sink: what `start` was given and every row, in call order.
#[derive(Default)]
struct Recorder {
    layouts: Vec<Layout>,
    rows: Vec<Out>,
}

impl ValidationSink for Recorder {
    fn start(&mut self, layout: &Layout) -> Result<(), SinkError> {
        assert!(self.rows.is_empty(), "start comes before any row");
        self.layouts.push(layout.clone());
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        assert_eq!(self.layouts.len(), 1, "start was called once, first");
        assert_eq!(
            row.personalisation.len(),
            self.layouts[0].personalisation.len(),
            "one value per personalisation column"
        );
        self.rows.push(Out::Accepted {
            row: row.row,
            nhs_number: row.nhs_number.to_string(),
            mobile: row.mobile.e164().as_str().to_owned(),
            date_of_birth: row.date_of_birth.iso().as_str().to_owned(),
            personalisation: row.personalisation.iter().map(|v| v.to_string()).collect(),
            text_length: row.text_length,
        });
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        assert_eq!(self.layouts.len(), 1, "start was called once, first");
        assert!(
            !row.reasons.is_empty(),
            "a row is never refused without a reason"
        );
        self.rows.push(Out::NotAccepted {
            row: row.row,
            cells: row.cells.iter().map(|c| c.to_string()).collect(),
            reasons: row.reasons.to_vec(),
        });
        Ok(())
    }
}

struct Run {
    result: Result<Summary, ValidationError>,
    sink: Recorder,
}

impl Run {
    fn summary(&self) -> &Summary {
        match &self.result {
            Ok(summary) => summary,
            Err(e) => panic!("validation failed: {e}"),
        }
    }

    fn layout(&self) -> &Layout {
        &self.sink.layouts[0]
    }

    fn row(&self, number: u64) -> &Out {
        self.sink
            .rows
            .iter()
            .find(|r| r.row() == number)
            .unwrap_or_else(|| panic!("row {number} was not passed to the sink"))
    }

    fn reasons_of(&self, number: u64) -> &[Reason] {
        self.row(number).reasons()
    }

    fn count(&self, code: &str) -> u64 {
        self.summary()
            .reasons
            .iter()
            .find(|r| r.code == code)
            .map_or(0, |r| r.rows)
    }
}

fn run_bytes(bytes: Vec<u8>, message: Option<&str>, opted_out: &str) -> Run {
    let template = message.map(|m| Template::parse(m).expect("message parses"));
    // No list given: nobody opted out (a list given with no number stops the run).
    let opted_out = match opted_out {
        "" => OptOutList::default(),
        text => OptOutList::read(text.as_bytes()).expect("opt-out list reads"),
    };
    let options = ValidationOptions {
        message: template.as_ref(),
        opted_out: &opted_out,
        today: today(),
        declines: &Declines::default(),
    };
    let mut sink = Recorder::default();
    let result = validate_twice(&bytes, &options, &mut sink);
    Run { result, sink }
}

fn run(csv: &str, message: Option<&str>, opted_out: &str) -> Run {
    run_bytes(csv.as_bytes().to_vec(), message, opted_out)
}

/// Checks that hold for every run: each row reached the sink exactly once, in
/// input order, and the summary adds up.
fn assert_consistent(run: &Run) {
    let summary = run.summary();
    let rows: Vec<u64> = run.sink.rows.iter().map(Out::row).collect();
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "in input order: {rows:?}"
    );
    assert_eq!(rows.len() as u64, summary.rows);
    assert_eq!(summary.accepted + summary.not_accepted, summary.rows);
    let accepted = run
        .sink
        .rows
        .iter()
        .filter(|r| matches!(r, Out::Accepted { .. }))
        .count() as u64;
    assert_eq!(accepted, summary.accepted);
    // Each reason's count is the number of not-accepted rows that carry it.
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for out in &run.sink.rows {
        for reason in out.reasons() {
            *expected.entry(reason.code()).or_default() += 1;
        }
    }
    let counted: BTreeMap<&str, u64> = summary.reasons.iter().map(|r| (r.code, r.rows)).collect();
    assert_eq!(counted, expected);
    assert!(
        summary.reasons.windows(2).all(|w| w[0].rows >= w[1].rows),
        "most frequent first"
    );
}

// ------------------------------------------------- every reason, one list

/// A mobile-shaped number in a range libphonenumber does not allocate.
fn unallocated_mobile() -> String {
    let national = (0..10_000u32)
        .map(|p| format!("7{p:04}12345"))
        .find(|n| crate::mobile::classify_with_full_parser(n) == Err(MobileError::InvalidNumber))
        .expect("some 7xxxx prefix is unallocated");
    format!("0{national}")
}

#[test]
fn every_reason_through_one_list() {
    let invalid_mobile = unallocated_mobile();
    let long_clinic = "x".repeat(1_000);
    // Columns: NHS number, mobile, clinic (a placeholder), date of birth,
    // name (placeholder with a fallback) and consent.
    let rows: Vec<(String, Vec<Reason>)> = vec![
        // 2: accepted
        (
            format!("{},{},Leeds,31/01/1990,Ann,Yes", nhs(0), mobile(0)),
            vec![],
        ),
        // NHS number
        (
            format!(",{},Leeds,31/01/1990,B,", mobile(1)),
            vec![Reason::NhsNumber(NhsNumberError::Missing)],
        ),
        (
            format!("9.43477E+09,{},Leeds,31/01/1990,B,", mobile(1)),
            vec![Reason::NhsNumber(NhsNumberError::SpreadsheetDamage)],
        ),
        (
            format!("943476591X,{},Leeds,31/01/1990,B,", mobile(1)),
            vec![Reason::NhsNumber(NhsNumberError::UnknownCharacter)],
        ),
        (
            format!("943476591,{},Leeds,31/01/1990,B,", mobile(1)),
            vec![Reason::NhsNumber(NhsNumberError::WrongLength)],
        ),
        (
            format!("9434 76 5919,{},Leeds,31/01/1990,B,", mobile(1)),
            vec![Reason::NhsNumber(NhsNumberError::WrongGrouping)],
        ),
        (
            format!("9434765918,{},Leeds,31/01/1990,B,", mobile(1)),
            vec![Reason::NhsNumber(NhsNumberError::CheckDigit)],
        ),
        // Mobile
        (
            format!("{},,Leeds,31/01/1990,C,", nhs(1)),
            vec![Reason::Mobile(MobileError::Missing)],
        ),
        (
            format!("{},07700 9OO123,Leeds,31/01/1990,C,", nhs(2)),
            vec![Reason::Mobile(MobileError::UnknownCharacter)],
        ),
        (
            format!("{},7.7009E+09,Leeds,31/01/1990,C,", nhs(3)),
            vec![Reason::Mobile(MobileError::SpreadsheetDamage)],
        ),
        (
            format!("{},07700 90012,Leeds,31/01/1990,C,", nhs(4)),
            vec![Reason::Mobile(MobileError::TooShort)],
        ),
        (
            format!("{},07700 9001234,Leeds,31/01/1990,C,", nhs(5)),
            vec![Reason::Mobile(MobileError::TooLong)],
        ),
        (
            format!("{},01632 960123,Leeds,31/01/1990,C,", nhs(6)),
            vec![Reason::Mobile(MobileError::NotUkMobile)],
        ),
        (
            format!("{},{invalid_mobile},Leeds,31/01/1990,C,", nhs(7)),
            vec![Reason::Mobile(MobileError::InvalidNumber)],
        ),
        // Date of birth
        (
            format!("{},{},Leeds,,D,", nhs(8), mobile(2)),
            vec![Reason::DateOfBirth(DateOfBirthError::Missing)],
        ),
        (
            format!("{},{},Leeds,yesterday,D,", nhs(9), mobile(2)),
            vec![Reason::DateOfBirth(DateOfBirthError::Unrecognised)],
        ),
        (
            format!("{},{},Leeds,12/05/84,D,", nhs(10), mobile(2)),
            vec![Reason::DateOfBirth(DateOfBirthError::TwoDigitYear)],
        ),
        (
            format!("{},{},Leeds,31/02/1990,D,", nhs(11), mobile(2)),
            vec![Reason::DateOfBirth(DateOfBirthError::NotARealDate)],
        ),
        (
            format!("{},{},Leeds,26/11/2026,D,", nhs(12), mobile(2)),
            vec![Reason::DateOfBirth(DateOfBirthError::InFuture)],
        ),
        (
            format!("{},{},Leeds,24/11/1896,D,", nhs(13), mobile(2)),
            vec![Reason::DateOfBirth(DateOfBirthError::TooOld)],
        ),
        // Consent
        (
            format!("{},{},Leeds,31/01/1990,E,Declined", nhs(14), mobile(3)),
            vec![Reason::Declined],
        ),
        (
            format!("{},{},Leeds,31/01/1990,E,maybe", nhs(15), mobile(3)),
            vec![Reason::ConsentUnrecognised],
        ),
        // Opted out (the list below holds nhs(16) and mobile(4))
        (
            format!("{},{},Leeds,31/01/1990,F,", nhs(16), mobile(5)),
            vec![Reason::OptedOut],
        ),
        (
            format!("{},{},Leeds,31/01/1990,F,", nhs(17), mobile(4)),
            vec![Reason::OptedOut],
        ),
        // Duplicate of row 2
        (
            format!("{},{},Leeds,31/01/1990,Ann,", nhs(0), mobile(0)),
            vec![Reason::SamePatientAs { row: 2 }],
        ),
        // Cell count: too few (name and consent missing), too many
        (
            format!("{},{},Leeds,31/01/1990", nhs(18), mobile(6)),
            vec![Reason::CellCount {
                found: 4,
                expected: 6,
            }],
        ),
        (
            format!("{},{},Leeds,31/01/1990,G,,extra", nhs(19), mobile(6)),
            vec![Reason::CellCount {
                found: 7,
                expected: 6,
            }],
        ),
        // Message
        (
            format!("{},{}, ,31/01/1990,H,", nhs(20), mobile(7)),
            vec![Reason::EmptyPlaceholder {
                placeholder: "clinic".into(),
            }],
        ),
        (
            format!("{},{},{long_clinic},31/01/1990,H,", nhs(21), mobile(7)),
            vec![Reason::TooLong {
                characters: 1_000 + "Dear H, see you at .".len(),
            }],
        ),
    ];
    let mut csv = String::from("NHS Number,Mobile,Clinic,Date of Birth,Name,SMS Consent\r\n");
    for (line, _) in &rows {
        csv.push_str(line);
        csv.push_str("\r\n");
    }
    let opted_out = format!("{}\n{}\n", nhs(16), mobile(4));
    let run = run(
        &csv,
        Some("Dear ((name|there)), see you at ((clinic))."),
        &opted_out,
    );
    assert_consistent(&run);

    for (i, (line, expected)) in rows.iter().enumerate() {
        let number = i as u64 + 2;
        assert_eq!(
            run.reasons_of(number),
            expected.as_slice(),
            "row {number}: {line}"
        );
    }
    let summary = run.summary();
    assert_eq!(summary.rows, rows.len() as u64);
    assert_eq!(summary.accepted, 1);
    assert_eq!(summary.not_accepted, rows.len() as u64 - 1);

    // Every Reason variant, and every code, was seen.
    let all_codes: std::collections::BTreeSet<&str> = rows
        .iter()
        .flat_map(|(_, r)| r.iter().map(Reason::code))
        .collect();
    assert_eq!(all_codes.len(), 26, "one row per code: {all_codes:?}");
    for code in &all_codes {
        let expected = if ["opted_out", "cell_count"].contains(code) {
            2
        } else {
            1
        };
        assert_eq!(run.count(code), expected, "{code}");
    }
    // Most frequent first, then by code.
    let first_two: Vec<&str> = summary.reasons[..2].iter().map(|r| r.code).collect();
    assert_eq!(first_two, ["cell_count", "opted_out"]);
    let same = summary
        .reasons
        .iter()
        .find(|r| r.code == "same_patient")
        .expect("counted");
    assert_eq!(same.reason, "Same patient as an earlier row");
}

#[test]
fn reasons_read_as_plain_words() {
    let cases: [(Reason, &str); 7] = [
        (Reason::SamePatientAs { row: 7 }, "Same patient as row 7"),
        (Reason::Declined, "Patient has declined SMS"),
        (Reason::OptedOut, "Patient is on the opted-out list"),
        (
            Reason::CellCount {
                found: 3,
                expected: 5,
            },
            "Row has 3 cells but the header has 5: check for a missing or extra comma",
        ),
        (
            Reason::EmptyPlaceholder {
                placeholder: "clinic".into(),
            },
            "No value for ((clinic)): fill it in, or give the message a fallback such as ((clinic|there))",
        ),
        (
            Reason::TooLong { characters: 1_020 },
            "Text is too long: 1020 characters (the limit is 918)",
        ),
        (
            Reason::Mobile(MobileError::SpreadsheetDamage),
            "Mobile number was changed by the spreadsheet into a number like 7.7E+09: export the column as text",
        ),
    ];
    for (reason, text) in cases {
        assert_eq!(reason.to_string(), text);
    }
    assert_eq!(
        Reason::TooLong { characters: 1_020 }.summary_text(),
        "Text is longer than 918 characters"
    );
}

// ------------------------------------------------ several reasons per row

#[test]
fn a_row_carries_every_reason_and_the_report_joins_them() {
    let csv = format!(
        "NHS Number,Mobile,DOB,Consent\r\n\
         9434765918,01632 960123,31/02/1990,Declined,extra\r\n\
         {},{},01/01/1990,yes\r\n",
        nhs(0),
        mobile(0)
    );
    let run = run(&csv, None, "");
    assert_consistent(&run);
    assert_eq!(
        run.reasons_of(2),
        [
            Reason::CellCount {
                found: 5,
                expected: 4
            },
            Reason::NhsNumber(NhsNumberError::CheckDigit),
            Reason::Mobile(MobileError::NotUkMobile),
            Reason::DateOfBirth(DateOfBirthError::NotARealDate),
            Reason::Declined,
        ]
    );
    let summary = run.summary();
    assert_eq!(
        (summary.rows, summary.accepted, summary.not_accepted),
        (2, 1, 1)
    );
    assert_eq!(
        summary.reasons.len(),
        5,
        "one count per reason, the row counted in each"
    );

    // Through the CSV reports, the reasons are one cell joined with "; ".
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &Declines::default(),
    };
    let mut reports = crate::report::CsvReports::new(Vec::new(), Vec::new());
    validate_list(&mut list, &options, &mut reports).expect("validates");
    let (_, not_accepted) = reports.finish().expect("flushes");
    let text = String::from_utf8(not_accepted).expect("UTF-8");
    let joined = "Row has 5 cells but the header has 4: check for a missing or extra comma; \
                  NHS number is not valid: the check digit does not match; \
                  This does not look like a UK mobile number; \
                  Date of birth is not a real date (dates are read day first, as in 31/01/1990); \
                  Patient has declined SMS";
    assert!(text.contains(joined), "{text}");
}

// ---------------------------------------------------------- duplicates

#[test]
fn duplicates_point_at_the_first_row_of_that_nhs_number() {
    let a = nhs(0);
    let a_spaced = format!("{} {} {}", &a[..3], &a[3..6], &a[6..]);
    let csv = format!(
        "NHS Number,Mobile,DOB\n\
         {a},01632 960123,01/01/1990\n\
         {b},{m1},01/01/1990\n\
         \n\
         {a},{m0},01/01/1990\n\
         {a_spaced},{m0},01/01/1990\n\
         {b},{m1},01/01/1990\n\
         9434765918,{m2},01/01/1990\n\
         9434765918,{m2},01/01/1990\n",
        b = nhs(1),
        m0 = mobile(0),
        m1 = mobile(1),
        m2 = mobile(2),
    );
    let run = run(&csv, None, "");
    assert_consistent(&run);
    // Row 2 is not accepted (a landline), yet it is still the first row of
    // that patient: later rows point at it, not at each other.
    assert_eq!(
        run.reasons_of(2),
        [Reason::Mobile(MobileError::NotUkMobile)]
    );
    assert!(matches!(run.row(3), Out::Accepted { .. }));
    assert_eq!(run.reasons_of(5), [Reason::SamePatientAs { row: 2 }]);
    assert_eq!(
        run.reasons_of(6),
        [Reason::SamePatientAs { row: 2 }],
        "same number, spaced"
    );
    assert_eq!(run.reasons_of(7), [Reason::SamePatientAs { row: 3 }]);
    // An invalid NHS number cannot make a duplicate.
    assert_eq!(
        run.reasons_of(8),
        [Reason::NhsNumber(NhsNumberError::CheckDigit)]
    );
    assert_eq!(
        run.reasons_of(9),
        [Reason::NhsNumber(NhsNumberError::CheckDigit)]
    );
    assert_eq!(run.count("same_patient"), 3);
    assert_eq!(run.summary().accepted, 1);
}

#[test]
fn a_family_sharing_a_mobile_is_accepted() {
    let csv = format!(
        "NHS Number,Mobile,DOB,Name\n\
         {},{m},01/01/1980,Mum\n\
         {},+44 7700 900001,02/02/2010,Child one\n\
         {},447700900001,03/03/2012,Child two\n",
        nhs(0),
        nhs(1),
        nhs(2),
        m = mobile(1),
    );
    let run = run(&csv, None, "");
    assert_consistent(&run);
    assert_eq!(run.summary().accepted, 3);
    for out in &run.sink.rows {
        let Out::Accepted { mobile, .. } = out else {
            panic!("{out:?}");
        };
        assert_eq!(mobile, &e164(1));
    }
}

// ------------------------------------------------- opt-outs and consent

#[test]
fn opted_out_by_nhs_number_or_by_mobile_in_any_shape() {
    let csv = format!(
        "NHS Number,Mobile,DOB\n\
         {},{},01/01/1990\n\
         {},{},01/01/1990\n\
         {},{},01/01/1990\n\
         {},{},01/01/1990\n",
        nhs(0),
        mobile(0),
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
        nhs(3),
        mobile(1),
    );
    // The opt-out list writes them differently from the patient list.
    let a = nhs(1);
    let opted_out = format!(
        "NHS number or mobile\n{}-{}-{}\n+447700900002\n",
        &a[..3],
        &a[3..6],
        &a[6..]
    );
    let run = run(&csv, None, &opted_out);
    assert_consistent(&run);
    assert!(matches!(run.row(2), Out::Accepted { .. }));
    assert_eq!(run.reasons_of(3), [Reason::OptedOut], "by NHS number");
    assert_eq!(run.reasons_of(4), [Reason::OptedOut], "by mobile");
    // Row 5 shares row 3's mobile, which is not itself opted out.
    assert!(matches!(run.row(5), Out::Accepted { .. }));
    assert_eq!(run.count("opted_out"), 2);
}

#[test]
fn consent_declined_and_unrecognised() {
    let values = [
        ("Declined", Some(Reason::Declined)),
        ("Express dissent", Some(Reason::Declined)),
        ("No", Some(Reason::Declined)),
        ("N", Some(Reason::Declined)),
        ("FALSE", Some(Reason::Declined)),
        ("Withdrawn", Some(Reason::Declined)),
        ("perhaps", Some(Reason::ConsentUnrecognised)),
        ("2", Some(Reason::ConsentUnrecognised)),
        ("", None),
        ("Yes", None),
        ("Consent given", None),
    ];
    let mut csv = String::from("NHS Number,Mobile,DOB,SMS Consent\n");
    for (i, (value, _)) in values.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},01/01/1990,{value}\n",
            nhs(i as u32),
            mobile(i as u32)
        ));
    }
    let run = run(&csv, None, "");
    assert_consistent(&run);
    for (i, (value, reason)) in values.iter().enumerate() {
        let expected: Vec<Reason> = reason.iter().cloned().collect();
        assert_eq!(
            run.reasons_of(i as u64 + 2),
            expected.as_slice(),
            "{value:?}"
        );
    }
    assert_eq!(run.count("declined_sms"), 6);
    assert_eq!(run.count("consent_unrecognised"), 2);
    assert_eq!(
        run.summary().columns.get("consent").map(String::as_str),
        Some("SMS Consent")
    );
}

#[test]
fn without_a_consent_column_nobody_is_refused_for_consent() {
    let csv = format!(
        "NHS Number,Mobile,DOB,Notes\n{},{},01/01/1990,Declined\n",
        nhs(0),
        mobile(0)
    );
    let run = run(&csv, None, "");
    assert!(matches!(run.row(2), Out::Accepted { .. }));
}

// ----------------------------------------------------------- cell count

#[test]
fn wrong_cell_counts_but_trailing_empty_cells_are_fine() {
    let csv = format!(
        "NHS Number,Mobile,DOB,Name\n\
         {n0},{m},01/01/1990,Ann,,, \n\
         {n1},{m},01/01/1990\n\
         {n2},{m},01/01/1990,Bob,x\n\
         {n3},{m},01/01/1990,,\n\
         {n4},{m},01/01/1990,Cat,,x,\n",
        n0 = nhs(0),
        n1 = nhs(1),
        n2 = nhs(2),
        n3 = nhs(3),
        n4 = nhs(4),
        m = mobile(0),
    );
    let run = run(&csv, None, "");
    assert_consistent(&run);
    assert!(
        matches!(run.row(2), Out::Accepted { .. }),
        "trailing commas and a space"
    );
    assert_eq!(
        run.reasons_of(3),
        [Reason::CellCount {
            found: 3,
            expected: 4
        }]
    );
    assert_eq!(
        run.reasons_of(4),
        [Reason::CellCount {
            found: 5,
            expected: 4
        }]
    );
    assert!(
        matches!(run.row(5), Out::Accepted { .. }),
        "an empty name, then a trailing comma"
    );
    assert_eq!(
        run.reasons_of(6),
        [Reason::CellCount {
            found: 6,
            expected: 4
        }]
    );
    // The not-accepted row keeps every cell as read, beyond the header too.
    let Out::NotAccepted { cells, .. } = run.row(6) else {
        panic!("row 6 is not accepted");
    };
    assert_eq!(cells[3..], ["Cat", "", "x", ""]);
}

#[test]
fn not_accepted_cells_are_the_text_as_read() {
    let csv =
        b"NHS Number,Mobile,DOB,Name\r\n9434765918,07700 900123,01/01/1990,Zo\xeb \r\n".to_vec();
    let run = run_bytes(csv, None, "");
    let Out::NotAccepted { cells, .. } = run.row(2) else {
        panic!("check digit is wrong");
    };
    assert_eq!(cells, &["9434765918", "07700 900123", "01/01/1990", "Zoë "]);
}

// ------------------------------------------------------------- messages

#[test]
fn an_unknown_placeholder_stops_before_the_sink_sees_anything() {
    let csv = format!(
        "NHS Number,Mobile,DOB,Name\n{},{},01/01/1990,Ann\n",
        nhs(0),
        mobile(0)
    );
    let run = run(
        &csv,
        Some("Dear ((name)), your ((Appointment Time)) is booked"),
        "",
    );
    let Err(ValidationError::UnknownPlaceholder { placeholder, found }) = &run.result else {
        panic!("expected UnknownPlaceholder");
    };
    assert_eq!(placeholder, "Appointment Time");
    assert_eq!(
        found,
        "\"NHS Number\" (column A), \"Mobile\" (column B), \"DOB\" (column C), \"Name\" (column D)"
    );
    assert!(run.sink.layouts.is_empty(), "start was not called");
    assert!(run.sink.rows.is_empty(), "no row was passed on");
    let message = run.result.as_ref().expect_err("error").to_string();
    assert!(message.contains("((Appointment Time))"), "{message}");
}

#[test]
fn placeholders_fill_fall_back_or_refuse() {
    let long = "y".repeat(900);
    let csv = format!(
        "NHS Number,Mobile,DOB,Forename,Clinic\n\
         {},{},01/01/1990,Ann,Leeds\n\
         {},{},01/01/1990,,Leeds\n\
         {},{},01/01/1990,Ann,\n\
         {},{},01/01/1990,Ann,{long}\n\
         {},{},01/01/1990,Zoë,Leeds\n",
        nhs(0),
        mobile(0),
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
        nhs(3),
        mobile(3),
        nhs(4),
        mobile(4),
    );
    let message = "Dear ((first name|there)), please book at ((clinic)).";
    let run = run(&csv, Some(message), "");
    assert_consistent(&run);
    let length_of = |n: u64| match run.row(n) {
        Out::Accepted { text_length, .. } => text_length.expect("a message was given"),
        other => panic!("row {n}: {other:?}"),
    };
    let text = "Dear Ann, please book at Leeds.";
    assert_eq!(
        length_of(2),
        TextLength {
            encoding: Encoding::Gsm7,
            characters: text.len(),
            fragments: 1
        }
    );
    let text = "Dear there, please book at Leeds.";
    assert_eq!(
        length_of(3).characters,
        text.len(),
        "the fallback fills an empty name"
    );
    assert_eq!(
        run.reasons_of(4),
        [Reason::EmptyPlaceholder {
            placeholder: "clinic".into()
        }]
    );
    let characters = "Dear Ann, please book at .".len() + 900;
    assert!(characters > crate::sms::MAX_CHARACTERS);
    assert_eq!(run.reasons_of(5), [Reason::TooLong { characters }]);
    // ë is not GSM-7: the whole text is UCS-2.
    let text = "Dear Zoë, please book at Leeds.";
    assert_eq!(
        length_of(6),
        TextLength {
            encoding: Encoding::Ucs2,
            characters: text.chars().count(),
            fragments: 1
        }
    );

    let texts = run.summary().texts.clone().expect("a message was given");
    assert_eq!(texts.gsm7_texts, 2);
    assert_eq!(texts.ucs2_texts, 1);
    assert_eq!(texts.fragments, 3);
    assert_eq!(
        texts.most_characters,
        "Dear there, please book at Leeds.".len()
    );
    assert!(run.layout().with_text_length);
}

#[test]
fn a_text_exactly_at_the_limit_is_accepted_and_one_over_is_not() {
    let head = "Hi ";
    let at_limit = "a".repeat(crate::sms::MAX_CHARACTERS - head.len());
    let over = "a".repeat(crate::sms::MAX_CHARACTERS - head.len() + 1);
    let csv = format!(
        "NHS Number,Mobile,DOB,Name\n{},{},01/01/1990,{at_limit}\n{},{},01/01/1990,{over}\n",
        nhs(0),
        mobile(0),
        nhs(1),
        mobile(1)
    );
    let run = run(&csv, Some("Hi ((name))"), "");
    let Out::Accepted {
        text_length: Some(length),
        ..
    } = run.row(2)
    else {
        panic!("918 characters are allowed");
    };
    assert_eq!((length.characters, length.fragments), (918, 6));
    assert_eq!(run.reasons_of(3), [Reason::TooLong { characters: 919 }]);
}

#[test]
fn fragments_follow_gsm7_and_ucs2_sizes() {
    // 161 GSM-7 characters: two fragments. Extension characters count twice.
    let csv = format!(
        "NHS Number,Mobile,DOB,Name\n{},{},01/01/1990,{}\n{},{},01/01/1990,{}\n",
        nhs(0),
        mobile(0),
        "a".repeat(155),
        nhs(1),
        mobile(1),
        "€".repeat(78),
    );
    let run = run(&csv, Some("Hi ((name))!!"), "");
    let length = |n| match run.row(n) {
        Out::Accepted {
            text_length: Some(l),
            ..
        } => *l,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        length(2),
        TextLength {
            encoding: Encoding::Gsm7,
            characters: 160,
            fragments: 1
        }
    );
    assert_eq!(
        length(3),
        TextLength {
            encoding: Encoding::Gsm7,
            characters: 161,
            fragments: 2
        }
    );
}

#[test]
fn without_a_message_there_are_no_lengths() {
    let csv = format!(
        "NHS Number,Mobile,DOB\n{},{},01/01/1990\n",
        nhs(0),
        mobile(0)
    );
    let run = run(&csv, None, "");
    assert!(!run.layout().with_text_length);
    assert!(run.summary().texts.is_none());
    assert!(matches!(
        run.row(2),
        Out::Accepted {
            text_length: None,
            ..
        }
    ));
}

// ------------------------------------------------- layout and values

#[test]
fn personalisation_is_name_then_emis_number_then_placeholder_columns() {
    let csv = format!(
        "EMIS Number,NHS Number,Mobile,DOB,Preferred Name,Clinic Name,Appt,Notes\n\
         E123, {} , {} ,01/01/1990,  Ann  ,Leeds ,10:30,private\n",
        nhs(0),
        mobile(0)
    );
    let message = "Hi ((name)), ((appt)) at ((clinic_name)) ((Clinic Name)) for ((NHS number)).";
    let run = run(&csv, Some(message), "");
    assert_consistent(&run);
    let layout = run.layout();
    assert_eq!(
        layout.original_headers,
        [
            "EMIS Number",
            "NHS Number",
            "Mobile",
            "DOB",
            "Preferred Name",
            "Clinic Name",
            "Appt",
            "Notes"
        ]
    );
    // Each column appears once, the NHS number as typed too since the message
    // uses it; Notes is not used by the message, so it is not carried.
    assert_eq!(
        layout.personalisation,
        ["name", "emis_number", "Appt", "Clinic Name", "NHS Number"]
    );
    assert_eq!(layout.placeholder_slots, [0, 2, 3, 3, 4]);
    assert_eq!(
        run.row(2),
        &Out::Accepted {
            row: 2,
            nhs_number: nhs(0),
            mobile: e164(0),
            date_of_birth: "1990-01-01".to_owned(),
            personalisation: ["Ann", "E123", "10:30", "Leeds", &nhs(0)]
                .map(String::from)
                .to_vec(),
            text_length: Some(TextLength::of(&format!(
                "Hi Ann, 10:30 at Leeds Leeds for {}.",
                nhs(0)
            ))),
        }
    );
    let columns = &run.summary().columns;
    assert_eq!(
        columns.get("name").map(String::as_str),
        Some("Preferred Name")
    );
    assert_eq!(
        columns.get("emis_number").map(String::as_str),
        Some("EMIS Number")
    );
    assert_eq!(
        columns.get("nhs_number").map(String::as_str),
        Some("NHS Number")
    );
    assert_eq!(columns.get("mobile").map(String::as_str), Some("Mobile"));
    assert_eq!(
        columns.get("date_of_birth").map(String::as_str),
        Some("DOB")
    );
    assert_eq!(columns.get("consent"), None);
}

#[test]
fn accepted_values_are_normalised() {
    let csv = format!(
        "NHS No,Telecom Number,Date of Birth\n\
         {} {} {},+44 (0)7700 900123,5 Mar 1984\n",
        &nhs(0)[..3],
        &nhs(0)[3..6],
        &nhs(0)[6..]
    );
    let run = run(&csv, None, "");
    assert_eq!(
        run.row(2),
        &Out::Accepted {
            row: 2,
            nhs_number: nhs(0),
            mobile: "+447700900123".to_owned(),
            date_of_birth: "1984-03-05".to_owned(),
            personalisation: vec![],
            text_length: None,
        }
    );
}

// ------------------------------------------------------ summary, order

#[test]
fn summary_counts_rows_blank_rows_and_the_header_row() {
    let csv = format!(
        "Flu clinic list\r\n\r\nNHS Number,Mobile,DOB\r\n{},{},01/01/1990\r\n\r\n ,, \r\n{},07700,01/01/1990\r\n\r\n",
        nhs(0),
        mobile(0),
        nhs(1)
    );
    let run = run(&csv, None, "");
    assert_consistent(&run);
    let summary = run.summary();
    assert_eq!(summary.header_row, 3);
    assert_eq!(
        (summary.rows, summary.accepted, summary.not_accepted),
        (2, 1, 1)
    );
    assert_eq!(summary.blank_rows_skipped, 3);
    assert_eq!(
        run.sink.rows.iter().map(Out::row).collect::<Vec<_>>(),
        [4, 7]
    );
    assert_eq!(
        summary.reasons,
        [ReasonCount {
            code: "mobile_too_short",
            reason: "Mobile number is too short".to_owned(),
            rows: 1
        }]
    );
}

#[test]
fn a_header_with_no_rows_gives_an_empty_summary() {
    let run = run("NHS Number,Mobile,DOB\r\n", None, "");
    assert_consistent(&run);
    let summary = run.summary();
    assert_eq!(
        (summary.rows, summary.accepted, summary.not_accepted),
        (0, 0, 0)
    );
    assert!(summary.reasons.is_empty());
    assert_eq!(run.sink.layouts.len(), 1, "start is still called");
}

/// Thousands of rows cross the batches the validator hands between threads:
/// order, counts and duplicates still hold across them.
#[test]
fn a_long_list_keeps_input_order_and_finds_duplicates_far_apart() {
    let mut csv = String::from("NHS Number,Mobile,DOB\n");
    let mut expected_accepted = 0;
    let mut line = 1u64;
    for i in 0..5_000u32 {
        if i % 250 == 0 {
            csv.push('\n');
            line += 1;
        }
        line += 1;
        let mobile = if i % 7 == 0 {
            "01632 960123".to_owned()
        } else {
            mobile(i % 1000)
        };
        csv.push_str(&format!("{},{mobile},01/01/1990\n", nhs(i % 4_000)));
        if i % 7 != 0 && i < 4_000 {
            expected_accepted += 1;
        }
    }
    let run = run(&csv, None, "");
    assert_consistent(&run);
    let summary = run.summary();
    assert_eq!(summary.rows, 5_000);
    assert_eq!(summary.accepted, expected_accepted);
    assert_eq!(summary.blank_rows_skipped, 20);
    assert_eq!(run.sink.rows.last().map(Out::row), Some(line));
    assert_eq!(run.count("same_patient"), 1_000);
    // Patient 4,000 repeats patient 0 (row 3, after the first blank line).
    let repeat_row = run.sink.rows[4_000].row();
    assert!(
        run.reasons_of(repeat_row)
            .contains(&Reason::SamePatientAs { row: 3 })
    );
}

// ----------------------------------------------------- errors on the way

#[test]
fn a_sink_error_stops_validation() {
    struct FailsOnThird(usize);
    impl ValidationSink for FailsOnThird {
        fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
            Ok(())
        }
        fn accepted(&mut self, _: &AcceptedRow<'_>) -> Result<(), SinkError> {
            self.0 += 1;
            if self.0 == 3 {
                Err("disk full".into())
            } else {
                Ok(())
            }
        }
        fn not_accepted(&mut self, _: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
            Ok(())
        }
    }
    let mut csv = String::from("NHS Number,Mobile,DOB\n");
    for i in 0..3_000 {
        csv.push_str(&format!("{},{},01/01/1990\n", nhs(i), mobile(i % 1000)));
    }
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &Declines::default(),
    };
    let mut sink = FailsOnThird(0);
    let result = validate_list(&mut list, &options, &mut sink);
    assert!(
        matches!(result, Err(ValidationError::Sink(_))),
        "{:?}",
        result.err()
    );
    assert_eq!(sink.0, 3, "nothing is written after the error");
}

#[test]
fn a_sink_that_refuses_to_start_gets_no_rows() {
    struct Refuses(usize);
    impl ValidationSink for Refuses {
        fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
            Err("cannot create the output folder".into())
        }
        fn accepted(&mut self, _: &AcceptedRow<'_>) -> Result<(), SinkError> {
            self.0 += 1;
            Ok(())
        }
        fn not_accepted(&mut self, _: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
            self.0 += 1;
            Ok(())
        }
    }
    let csv = format!(
        "NHS Number,Mobile,DOB\n{},{},01/01/1990\n",
        nhs(0),
        mobile(0)
    );
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).expect("opens");
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &Declines::default(),
    };
    let mut sink = Refuses(0);
    let result = validate_list(&mut list, &options, &mut sink);
    assert!(matches!(result, Err(ValidationError::Sink(_))));
    assert_eq!(sink.0, 0);
}

#[test]
fn a_read_error_part_way_is_a_list_error() {
    /// Yields `data`, then fails.
    struct FailsAfter(Cursor<Vec<u8>>);
    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("connection reset")),
                n => Ok(n),
            }
        }
    }
    let mut csv = String::from("NHS Number,Mobile,DOB\n");
    for i in 0..4_000 {
        csv.push_str(&format!("{},{},01/01/1990\n", nhs(i), mobile(i % 1000)));
    }
    assert!(csv.len() > 64 * 1024, "past what open() reads");
    let mut list = PatientList::open(FailsAfter(Cursor::new(csv.into_bytes()))).expect("opens");
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: today(),
        declines: &Declines::default(),
    };
    let mut sink = Recorder::default();
    let result = validate_list(&mut list, &options, &mut sink);
    assert!(
        matches!(result, Err(ValidationError::List(ListError::Read(_)))),
        "{:?}",
        result.err()
    );
    let rows: Vec<u64> = sink.rows.iter().map(Out::row).collect();
    assert_eq!(
        rows.first(),
        Some(&2),
        "rows before the error were passed on"
    );
    assert!(rows.windows(2).all(|w| w[0] + 1 == w[1]), "in order");
    assert!(rows.len() < 4_000);
}

#[test]
fn trailing_commas_on_the_header_alone_do_not_make_rows_short() {
    let run = run(
        "NHS Number,Mobile,DOB,,\r\n9434765919,07700900123,01/01/1990\r\n",
        None,
        "",
    );
    assert_eq!((run.summary().rows, run.summary().accepted), (1, 1));
}

#[test]
fn every_empty_placeholder_is_a_reason_of_its_own() {
    let run = run(
        "NHS Number,Mobile,DOB,Name,Clinic\r\n9434765919,07700900123,01/01/1990,,\r\n",
        Some("Dear ((name)), see ((clinic)) or ((name|x))"),
        "",
    );
    assert_eq!(
        run.reasons_of(2),
        [
            Reason::EmptyPlaceholder {
                placeholder: "name".into()
            },
            Reason::EmptyPlaceholder {
                placeholder: "clinic".into()
            },
        ]
    );
}
