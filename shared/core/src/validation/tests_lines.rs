//! Lists as practices make them: pasted together, with stray quotes and
//! report footers; and every line of the file accounted for in the summary.

use chrono::NaiveDate;

use super::*;
use crate::test_lists::{mobile, nhs, validate_twice};

/// Rows as the sink saw them: accepted with their personalisation, or not.
#[derive(Default)]
struct Seen {
    accepted: Vec<(u64, String, Vec<String>)>,
    not_accepted: Vec<(u64, Vec<Reason>)>,
}

impl ValidationSink for Seen {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }
    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push((
            row.row,
            row.nhs_number.to_string(),
            row.personalisation.to_vec(),
        ));
        Ok(())
    }
    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        self.not_accepted.push((row.row, row.reasons.to_vec()));
        Ok(())
    }
}

fn validate(text: &str) -> (Result<Summary, ValidationError>, Seen) {
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date"),
        declines: &Declines::default(),
    };
    let mut seen = Seen::default();
    let result = validate_twice(text.as_bytes(), &options, &mut seen);
    (result, seen)
}

fn summary_of(text: &str) -> (Summary, Seen) {
    let (result, seen) = validate(text);
    (result.expect("validates"), seen)
}

fn list_error(text: &str) -> ListError {
    match validate(text).0 {
        Err(ValidationError::List(e)) => e,
        other => panic!("expected a list error, got {other:?}"),
    }
}

/// Lines as a text editor shows them: LF, CRLF and CR alone each end one.
fn physical_lines(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let ends = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count() as u64;
    let unterminated = !text.is_empty() && !text.ends_with(['\n', '\r']);
    ends + u64::from(unterminated)
}

fn assert_every_line_accounted_for(text: &str) -> Summary {
    let (summary, _) = summary_of(text);
    let accounted = summary.header_rows
        + summary.rows_above_header
        + summary.rows
        + summary.blank_rows_skipped
        + summary.footer_rows_skipped
        + summary.lines_in_quoted_cells;
    assert_eq!(
        accounted,
        physical_lines(text),
        "every line of {text:?} is accounted for: {summary:?}"
    );
    summary
}

// ---------------------------------------------------------- pasted lists

const FIRST: &str = "NHS Number,Mobile,DOB,Forename,Surname,SMS consent,Housebound";
const REORDERED: &str = "NHS Number,Mobile,DOB,Surname,Forename,Housebound,SMS consent";

#[test]
fn a_header_again_in_another_order_reads_the_rows_after_it_in_that_order() {
    let text = format!(
        "{FIRST}\r\n\
         {},{},01/01/1990,Amy,Able,Yes,No\r\n\
         {REORDERED}\r\n\
         {},{},02/02/1990,Jones,Ann,Yes,Declined\r\n\
         {},{},03/03/1990,Brown,Bob,No,Yes\r\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
        nhs(3),
        mobile(3),
    );
    let (summary, seen) = summary_of(&text);
    let accepted: Vec<(u64, String)> = seen
        .accepted
        .iter()
        .map(|(row, _, values)| (*row, values[0].clone()))
        .collect();
    assert_eq!(
        accepted,
        [(2, "Amy".to_owned()), (5, "Bob".to_owned())],
        "Bob is read by his own forename; Ann, who declined, is not texted"
    );
    assert_eq!(seen.not_accepted, [(4, vec![Reason::Declined])]);
    assert_eq!((summary.rows, summary.header_rows), (3, 2));
}

#[test]
fn a_header_again_in_the_same_order_is_skipped_with_the_title_above_it() {
    let header = "NHS Number,Mobile,DOB,Name";
    let text = format!(
        "{header}\n{},{},01/01/1990,Amy\nTotal: 1 patient\n\nFlu recall part 2\n{header}\n{},{},02/02/1990,Ben\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
    );
    let summary = assert_every_line_accounted_for(&text);
    assert_eq!((summary.rows, summary.accepted), (2, 2));
    assert_eq!(summary.header_rows, 2);
    assert_eq!(
        summary.rows_above_header, 2,
        "the footer and the title above it"
    );
    assert_eq!(summary.blank_rows_skipped, 1);
}

#[test]
fn a_header_again_with_other_columns_stops_naming_the_row_and_the_difference() {
    let text = format!(
        "NHS Number,Mobile,DOB,Name\n{},{},01/01/1990,Amy\n\nNHS Number,Mobile,DOB,Postcode\n{},{},02/02/1990,AB1 2CD\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
    );
    let error = list_error(&text);
    assert!(
        matches!(error, ListError::HeaderAgainDifferent { row: 4, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("Row 4 is a second header row"),
        "{message}"
    );
    assert!(
        message.contains("\"Postcode\"") && message.contains("\"Name\""),
        "{message}"
    );
    assert!(
        message.contains("split it into one list per header row"),
        "{message}"
    );
}

#[test]
fn a_patient_row_with_words_where_numbers_belong_is_not_a_header() {
    let text = format!(
        "NHS Number,Mobile,DOB,Name\nunknown,none,not known,Amy\n{},{},01/01/1990,Ben\n",
        nhs(1),
        mobile(1),
    );
    let (summary, seen) = summary_of(&text);
    assert_eq!((summary.rows, summary.header_rows), (2, 1));
    assert_eq!(seen.not_accepted.len(), 1);
}

// ---------------------------------------------------------- stray quotes

#[test]
fn an_unclosed_quote_joining_patients_stops_naming_the_lines() {
    // Row 3's name opens a quote that the notes of row 6 close: rows 3 to 6
    // would be one patient with the others' details in a cell.
    let text = format!(
        "NHS Number,Mobile,DOB,Name,Notes\n\
         {},{},01/01/1990,Amy,\n\
         {},{},02/02/1990,\"Ben,\n\
         {},{},03/03/1990,Cat,\n\
         {},{},04/04/1990,Dan,\n\
         {},{},05/05/1990,Eve,\"wheelchair\"\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
        nhs(3),
        mobile(3),
        nhs(4),
        mobile(4),
        nhs(5),
        mobile(5),
    );
    let error = list_error(&text);
    assert!(
        matches!(
            error,
            ListError::JoinedRows {
                first_line: 3,
                last_line: 6,
                quote_line: 3
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.starts_with("Lines 3 to 6 of the file"), "{message}");
    assert!(
        !message.contains("Ben") && !message.contains("999"),
        "{message}"
    );
}

#[test]
fn joined_lines_are_numbered_after_an_honest_address_over_two_lines() {
    let text = format!(
        "NHS Number,Mobile,DOB,Address\r\n\
         {},{},01/01/1990,\"1 High St\r\nTown\"\r\n\
         {},{},02/02/1990,\"Flat 2\r\n{},{},03/03/1990,x\"\r\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
        nhs(3),
        mobile(3),
    );
    let error = list_error(&text);
    assert!(
        matches!(
            error,
            ListError::JoinedRows {
                first_line: 4,
                last_line: 5,
                quote_line: 4
            }
        ),
        "row 3 of the sheet starts on line 4: {error:?}"
    );
}

#[test]
fn an_address_over_several_lines_stays_one_row() {
    let text = format!(
        "NHS Number,Mobile,DOB,Name,Address\n{},{},01/01/1990,Amy,\"1 High St,\nSmalltown,\nAB1 2CD\"\n{},{},02/02/1990,Ben,\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
    );
    let summary = assert_every_line_accounted_for(&text);
    assert_eq!((summary.rows, summary.accepted), (2, 2));
    assert_eq!(summary.lines_in_quoted_cells, 2);
}

// ---------------------------------------------------------- report footers

#[test]
fn report_footers_are_skipped_and_counted_not_listed() {
    let text = format!(
        "NHS Number,Mobile,DOB,Name\r\n{},{},01/01/1990,Amy\r\n{},{},02/02/1990,Ben\r\n\r\n\
         Total: 2 patients,,,\r\nCount,2,,\r\nReport run by Practice Manager on 25/11/2026,,,\r\n\
         Printed on 25/11/2026\r\n2 records\r\nEnd of report\r\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
    );
    let (summary, seen) = summary_of(&text);
    assert_eq!(summary.footer_rows_skipped, 6);
    assert_eq!(
        (summary.rows, summary.accepted, summary.not_accepted),
        (2, 2, 0)
    );
    assert!(seen.not_accepted.is_empty());
    assert_every_line_accounted_for(&text);
}

#[test]
fn a_footer_like_row_followed_by_patients_is_a_patient_row() {
    let text = format!(
        "NHS Number,Mobile,DOB,Name,Notes\n{},{},01/01/1990,Amy,\n,,,Ben,moved away\n{},{},03/03/1990,Cat,\n",
        nhs(1),
        mobile(1),
        nhs(3),
        mobile(3),
    );
    let (summary, seen) = summary_of(&text);
    assert_eq!(summary.footer_rows_skipped, 0);
    assert_eq!(summary.rows, 3);
    let rows: Vec<u64> = seen.not_accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(rows, [3], "Ben is listed as not accepted, in order");
    let accepted: Vec<u64> = seen.accepted.iter().map(|(row, ..)| *row).collect();
    assert_eq!(accepted, [2, 4]);
}

#[test]
fn a_patient_row_with_most_cells_missing_at_the_end_is_not_a_footer() {
    let text = format!(
        "NHS Number,Mobile,DOB,Name\n{},{},01/01/1990,Amy\n{},,,Ben\n,{},,\n,,01/02/1990,Cat\n",
        nhs(1),
        mobile(1),
        nhs(2),
        mobile(2),
    );
    let (summary, seen) = summary_of(&text);
    assert_eq!(summary.footer_rows_skipped, 0);
    let rows: Vec<u64> = seen.not_accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(rows, [3, 4, 5]);
}

// --------------------------------------------------- every line accounted for

#[test]
fn every_physical_line_is_a_row_a_skipped_line_or_inside_a_quoted_cell() {
    let header = "NHS Number,Mobile,DOB,Name,Notes";
    let (a, b, c) = (
        format!("{},{},01/01/1990,Amy,", nhs(1), mobile(1)),
        format!(
            "{},{},02/02/1990,Ben,\"Lives with daughter,\r\nprefers mornings\"",
            nhs(2),
            mobile(2)
        ),
        format!("{},{},03/03/1990,Cat,", nhs(3), mobile(3)),
    );
    let shapes = [
        (2, format!("{header}\n{a}\n{c}\n")),
        (2, format!("{header}\n{a}\n{c}")),
        (
            3,
            format!(
                "Flu recall\r\n\r\nPrinted 25/11/2026\r\n{header}\r\n{a}\r\n\r\n{b}\r\n{c}\r\n\r\n\r\n"
            ),
        ),
        (3, format!("{header}\r{a}\r\r{b}\r{c}\r")),
        (
            3,
            format!("{header}\n{a}\n\"Ben\nBrown\",,,,\n{c}\nTotal: 3\nEnd of report\n\n"),
        ),
        (
            3,
            format!("{header}\n{a}\n\nPart 2\n{header}\n{b}\n{c}\nPrinted by\n"),
        ),
        (2, format!("\n\n{header}\n \n{a}\n,,,,\n{b}\n")),
    ];
    for (patients, text) in &shapes {
        let summary = assert_every_line_accounted_for(text);
        assert_eq!(summary.rows, *patients, "patients' rows of {text:?}");
    }
}
