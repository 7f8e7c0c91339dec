//! Lists that cannot be read safely as they are stop the run, naming rows or
//! lines: a second pasted export whose columns cannot be matched up for sure,
//! patients' rows above the header, and rows joined by a stray quote whose
//! joined cell holds no number.

use std::io::Cursor;

use super::*;

const PATIENT_DETAILS: [&str; 9] = [
    "9434765919",
    "9434765870",
    "07700 9001",
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "01/02/1980",
    "02/03/1970",
];

fn open(bytes: impl Into<Vec<u8>>) -> Result<PatientList, ListError> {
    PatientList::open(Cursor::new(bytes.into()))
}

/// The rows read before the error, and the error.
fn read_until_error(bytes: impl Into<Vec<u8>>) -> (Vec<u64>, ListError) {
    let mut list = open(bytes).expect("opens");
    let mut record = ByteRecord::new();
    let mut rows = Vec::new();
    loop {
        match list.read_row(&mut record) {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => panic!("read to the end without an error: rows {rows:?}"),
            Err(error) => return (rows, error),
        }
    }
}

fn read_all(bytes: impl Into<Vec<u8>>) -> (PatientList, Vec<(u64, Vec<String>)>) {
    let mut list = open(bytes).expect("opens");
    let mut record = ByteRecord::new();
    let mut rows = Vec::new();
    while let Some(row) = list.read_row(&mut record).expect("reads") {
        rows.push((
            row,
            record.iter().map(|c| cell_text(c).into_owned()).collect(),
        ));
    }
    (list, rows)
}

fn assert_no_patient_details(message: &str) {
    for detail in PATIENT_DETAILS {
        assert!(!message.contains(detail), "quotes {detail:?}: {message}");
    }
}

fn xlsx(rows: &[&[&str]], merged: &[(u32, u16, u16)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            if !text.is_empty() {
                sheet
                    .write_string(r as u32, c as u16, *text)
                    .expect("writes");
            }
        }
    }
    let format = rust_xlsxwriter::Format::new();
    for &(row, first, last) in merged {
        let text = rows[row as usize][first as usize];
        sheet
            .merge_range(row, first, row, last, text, &format)
            .expect("merges");
    }
    workbook.save_to_buffer().expect("writes xlsx")
}

const PATIENT_THEN_KIN: &str = "Patient,,,,Next of Kin,\nNHS Number,Name,DOB,Mobile,Name,Mobile\n";
const FIRST_PATIENT: &str = "9434765919,Alice,01/02/1980,07700 900001,Bob,07700 900101\n";

// ---------------------------------------------------------------------------
// A second pasted export with a two-row header.

#[test]
fn a_second_export_with_its_groups_swapped_stops_naming_its_header_rows() {
    // The reviewer's file: the second export puts the next of kin first, so
    // "Name" and "Mobile" matched in turn were the next of kin's.
    let bytes = include_bytes!("../../tests/fixtures/pasted_second_list_groups_swapped.csv");
    let (rows, error) = read_until_error(bytes.to_vec());
    assert_eq!(rows, [3], "the first export's patient is read");
    let ListError::HeaderAgainUnmatched {
        first_row,
        last_row,
        header_rows,
        why,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((*first_row, *last_row, *header_rows), (4, 5, (1, 2)));
    assert_eq!(
        why,
        &Unmatched::OrderUnderGroups {
            groups: vec!["Patient".into(), "Next of Kin".into()]
        }
    );
    let message = error.to_string();
    assert!(
        message.starts_with("Rows 4 to 5 are the header again"),
        "{message}"
    );
    assert!(message.contains("(rows 1 to 2)"), "{message}");
    assert!(
        message.contains("\"Patient\" and \"Next of Kin\""),
        "{message}"
    );
    assert_no_patient_details(&message);
}

#[test]
fn a_spreadsheet_with_the_second_exports_groups_swapped_stops_too() {
    let bytes = xlsx(
        &[
            &["Patient", "", "", "", "Next of Kin", ""],
            &["NHS Number", "Name", "DOB", "Mobile", "Name", "Mobile"],
            &[
                "9434765919",
                "Alice",
                "01/02/1980",
                "07700 900001",
                "Bob",
                "07700 900101",
            ],
            &["Next of Kin", "", "Patient", "", "", ""],
            &["Name", "Mobile", "NHS Number", "Name", "DOB", "Mobile"],
            &[
                "Dave",
                "07700 900102",
                "9434765870",
                "Carol",
                "02/03/1970",
                "07700 900002",
            ],
        ],
        &[(0, 0, 3), (0, 4, 5), (3, 0, 1), (3, 2, 5)],
    );
    let (rows, error) = read_until_error(bytes);
    assert_eq!(rows, [3]);
    assert!(
        matches!(
            error,
            ListError::HeaderAgainUnmatched {
                first_row: 4,
                last_row: 5,
                why: Unmatched::OrderUnderGroups { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_second_export_in_the_same_order_under_the_same_groups_is_skipped_whole() {
    let text = format!(
        "{PATIENT_THEN_KIN}{FIRST_PATIENT}{PATIENT_THEN_KIN}\
         9434765870,Carol,02/03/1970,07700 900002,Dave,07700 900102\n"
    );
    let (list, rows) = read_all(text);
    let numbers: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(numbers, [3, 6], "the group row met again is not a patient");
    assert_eq!(rows[1].1[1], "Carol", "read in the one order there is");
    assert_eq!(list.header_rows(), 4);
    assert_eq!(list.rows_above_header(), 0);
}

#[test]
fn a_second_export_without_the_group_row_stops() {
    // Same names, same order, but nothing says which Name is the patient's.
    let text = format!(
        "{PATIENT_THEN_KIN}{FIRST_PATIENT}NHS Number,Name,DOB,Mobile,Name,Mobile\n\
         9434765870,Carol,02/03/1970,07700 900002,Dave,07700 900102\n"
    );
    let (rows, error) = read_until_error(text);
    assert_eq!(rows, [3]);
    assert!(
        matches!(
            error,
            ListError::HeaderAgainUnmatched {
                first_row: 4,
                last_row: 4,
                why: Unmatched::Groups,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("Row 4 is the header again"),
        "{error}"
    );
}

#[test]
fn a_second_export_under_other_groups_stops_even_with_names_used_once() {
    // The first header has no groups and its names are unique; the second
    // says its Mobile is the next of kin's.
    let text = "NHS Number,Name,DOB,Mobile\n9434765919,Alice,01/02/1980,07700 900001\n\
                Next of Kin,,Patient,\nMobile,Name,NHS Number,DOB\n\
                07700 900102,Carol,9434765870,02/03/1970\n";
    let (rows, error) = read_until_error(text);
    assert_eq!(rows, [2]);
    assert!(
        matches!(
            error,
            ListError::HeaderAgainUnmatched {
                first_row: 3,
                last_row: 4,
                why: Unmatched::Groups,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn names_used_twice_in_another_order_stop_and_are_named() {
    let text = "NHS Number,Mobile,DOB,Notes,Notes\n9434765919,07700 900001,01/02/1980,a,b\n\
                Notes,NHS Number,Mobile,DOB,Notes\nc,9434765870,07700 900002,02/03/1970,d\n";
    let (rows, error) = read_until_error(text);
    assert_eq!(rows, [2]);
    assert!(
        matches!(
            &error,
            ListError::HeaderAgainUnmatched { first_row: 3, last_row: 3, why: Unmatched::OrderNamesTwice { names }, .. }
                if names == &["Notes"]
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("more than one column named \"Notes\""),
        "{error}"
    );
}

#[test]
fn names_used_twice_in_the_same_order_are_skipped() {
    let text = "NHS Number,Mobile,DOB,Notes,Notes\n9434765919,07700 900001,01/02/1980,a,b\n\
                NHS Number,Mobile,DOB,Notes,Notes\n9434765870,07700 900002,02/03/1970,c,d\n";
    let (list, rows) = read_all(text);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4]);
    assert_eq!(list.header_rows(), 2);
}

#[test]
fn a_words_only_row_above_a_patient_is_still_read_in_its_place() {
    // Looking below a row of words for a header must not lose or reorder rows.
    let text = "NHS Number,Mobile,DOB,Name,Notes\n9434765919,07700 900001,01/02/1980,Amy,\n\
                ,,,Ben,no details,x\n9434765870,07700 900002,02/03/1970,Cat,\n\
                End of report\n";
    let (list, rows) = read_all(text);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(rows[1].1[3], "Ben");
    assert_eq!(list.footer_rows(), 1);
}

// ---------------------------------------------------------------------------
// Patients' rows above the header.

#[test]
fn patients_rows_above_the_header_stop_the_run_naming_them() {
    // The reviewer's file: two declined patients above the header, the same
    // patients below it with Yes.
    let bytes = include_bytes!("../../tests/fixtures/patient_rows_above_header_dropped.csv");
    let error = open(bytes.to_vec()).err().expect("stops");
    assert!(
        matches!(
            &error,
            ListError::PatientRowsAboveHeader { rows, header_row: 4 } if rows == &[2, 3]
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message
            .starts_with("Rows 2 to 3 are above the header row (row 4) and hold patient details"),
        "{message}"
    );
    assert!(
        message.contains("Put the header row first, or delete those rows"),
        "{message}"
    );
    assert_no_patient_details(&message);
}

#[test]
fn one_patients_row_anywhere_above_the_header_stops_the_run() {
    let error = open(
        "Recall list\nPrinted 25/11/2026\n\n9434765919,Alice,07700 900001,01/02/1980\n\
         NHS Number,Name,Mobile,DOB\n9434765870,Bob,07700 900002,02/03/1970\n",
    )
    .err()
    .expect("stops");
    assert!(
        matches!(&error, ListError::PatientRowsAboveHeader { rows, header_row: 5 } if rows == &[4]),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("Row 4 is above"), "{error}");
}

#[test]
fn a_patients_row_above_a_two_row_header_names_the_headers_first_row() {
    let text = format!(
        "9434765919,Alice,01/02/1980,07700 900001,Bob,07700 900101\n{PATIENT_THEN_KIN}{FIRST_PATIENT}"
    );
    let error = open(text).err().expect("stops");
    assert!(
        matches!(&error, ListError::PatientRowsAboveHeader { rows, header_row: 2 } if rows == &[1]),
        "{error:?}"
    );
}

#[test]
fn titles_and_a_print_date_above_the_header_are_still_skipped() {
    let list = open(
        "Flu recall list\nPrinted 25/11/2026 by Dr Smith\n\nNHS Number,Name,Mobile,DOB\n\
         9434765919,Alice,07700 900001,01/02/1980\n",
    )
    .expect("opens");
    assert_eq!((list.header_row(), list.rows_above_header()), (4, 3));
}

#[test]
fn a_file_of_patients_rows_with_no_header_is_still_no_header() {
    let error =
        open("9434765919,Alice,07700 900001,01/02/1980\n9434765870,Bob,07700 900002,02/03/1970\n")
            .err()
            .expect("stops");
    assert!(matches!(error, ListError::NoHeader), "{error:?}");
}

// ---------------------------------------------------------------------------
// Rows joined by a stray quote, with no number in the joined cell.

#[test]
fn a_stray_quote_joining_an_nhs_number_to_the_next_rows_mobile_stops() {
    // The reviewer's file: 'Smith, Alice' is never closed; the next row has
    // no NHS number and a stray closing quote after "Bob".
    let bytes = include_bytes!("../../tests/fixtures/stray_quotes_join_nhs_with_next_mobile.csv");
    let (rows, error) = read_until_error(bytes.to_vec());
    assert!(rows.is_empty(), "{rows:?}");
    assert!(
        matches!(
            error,
            ListError::JoinedRows {
                first_line: 2,
                last_line: 3,
                quote_line: 2
            }
        ),
        "{error:?}"
    );
    assert_no_patient_details(&error.to_string());
}

#[test]
fn an_address_ending_a_line_with_a_comma_stays_one_row() {
    let text = "NHS Number,Name,Mobile,DOB,Address\n\
                9434765919,Alice,07700 900001,01/02/1980,\"1 High St,\nLeeds\"\n\
                9434765870,Bob,07700 900002,02/03/1970,\"Flat 2, 1 High St\nLeeds, LS1 1AA\"\n";
    let (list, rows) = read_all(text);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(list.lines_in_quoted_cells(), 2);
}
