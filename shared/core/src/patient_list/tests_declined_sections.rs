//! Headings over patients who must not be texted, and notes above the
//! header naming someone else: the reproducers of the second review (round
//! 3, breaks 1–3 and 5) and the honest lists beside them that must not stop.

use std::io::Cursor;

use rust_xlsxwriter::{Format, Workbook};

use super::*;

/// Reads the whole list: the first error, or the rows read.
fn read_all(bytes: Vec<u8>) -> Result<Vec<u64>, ListError> {
    let mut list = PatientList::open(Cursor::new(bytes))?;
    let mut record = ByteRecord::new();
    let mut rows = Vec::new();
    while let Some(row) = list.read_row(&mut record)? {
        rows.push(row);
    }
    Ok(rows)
}

fn read_text(text: &str) -> Result<Vec<u64>, ListError> {
    read_all(text.as_bytes().to_vec())
}

/// A one-sheet workbook: `rows` written as text, `merges` as (row, first
/// column, last column) merged across with the cell's text, `hidden` rows
/// hidden (all 0-based).
fn xlsx(rows: &[&[&str]], merges: &[(u32, u16, u16)], hidden: &[u32]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = Format::new();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            if !text.is_empty() {
                sheet
                    .write_string(r as u32, c as u16, *text)
                    .expect("writes");
            }
        }
    }
    for &(row, first, last) in merges {
        let text = rows[row as usize][first as usize];
        sheet
            .merge_range(row, first, row, last, text, &plain)
            .expect("merges");
    }
    for &row in hidden {
        sheet.set_row_hidden(row).expect("hides");
    }
    workbook.save_to_buffer().expect("writes xlsx")
}

fn assert_section_at(result: Result<Vec<u64>, ListError>, heading: u64) {
    match result {
        Err(ListError::DecliningSection { row }) => assert_eq!(row, heading),
        other => panic!("expected a stop at the heading on row {heading}: {other:?}"),
    }
}

fn assert_someone_else_at(result: Result<Vec<u64>, ListError>, note: u64) {
    match result {
        Err(ListError::SomeoneElseAboveHeader { row }) => assert_eq!(row, note),
        other => panic!("expected a stop at the note on row {note}: {other:?}"),
    }
}

const DECLINED_PASTED_UNDER_TITLE: &str = "Flu recall - to text
NHS Number,Forename,Mobile,DOB
9434765919,Alice,07700 900001,01/02/1980
9434765870,Carol,07700 900002,02/03/1970

Declined SMS - do not text
NHS Number,Forename,Mobile,DOB
9434765005,Bob,07700 900003,03/04/1960
9434765013,Dan,07700 900004,04/05/1950
";

#[test]
fn a_declined_list_pasted_under_its_own_title_stops_at_the_title() {
    assert_section_at(read_text(DECLINED_PASTED_UNDER_TITLE), 6);
}

#[test]
fn a_declined_list_pasted_under_a_merged_title_in_a_workbook_stops() {
    let header: &[&str] = &["NHS Number", "Forename", "Mobile", "DOB"];
    let bytes = xlsx(
        &[
            &["Flu recall - to text"],
            header,
            &["9434765919", "Alice", "07700 900001", "01/02/1980"],
            &["9434765870", "Carol", "07700 900002", "02/03/1970"],
            &[],
            &["DECLINED SMS - DO NOT TEXT", "", "", ""],
            header,
            &["9434765005", "Bob", "07700 900003", "03/04/1960"],
            &["9434765013", "Dan", "07700 900004", "04/05/1950"],
        ],
        &[(5, 0, 3)],
        &[],
    );
    assert_section_at(read_all(bytes), 6);
}

#[test]
fn a_footer_then_a_declined_list_with_its_header_again_stops_at_its_title() {
    let header: &[&str] = &["NHS Number", "Forename", "Mobile", "DOB", "SMS Consent"];
    let bytes = xlsx(
        &[
            header,
            &["9434765919", "Alice", "07700 900001", "01/02/1980", "Yes"],
            &["9434765870", "Carol", "07700 900002", "02/03/1970", ""],
            &["Total: 2 patients"],
            &["Patients who declined texts (from EMIS)"],
            header,
            &["9434765005", "Bob", "07700 900003", "03/04/1960", ""],
            &["9434765013", "Dan", "07700 900004", "04/05/1950", ""],
        ],
        &[],
        &[7],
    );
    assert_section_at(read_all(bytes), 5);
}

#[test]
fn a_declined_separator_row_inside_a_list_stops_there() {
    let text = "NHS Number,Forename,Mobile,DOB
9434765919,Alice,07700 900001,01/02/1980
9434765870,Carol,07700 900002,02/03/1970
Declined SMS - do not text
9434765005,Bob,07700 900003,03/04/1960
9434765013,Dan,07700 900004,04/05/1950
";
    assert_section_at(read_text(text), 4);
}

#[test]
fn a_declined_separator_merged_across_over_the_consent_column_stops_there() {
    let bytes = xlsx(
        &[
            &["NHS Number", "Forename", "Mobile", "DOB", "SMS Consent"],
            &["9434765919", "Alice", "07700 900001", "01/02/1980", "Yes"],
            &["9434765870", "Carol", "07700 900002", "02/03/1970", "Yes"],
            &["Declined SMS - do not text", "", "", "", ""],
            &["9434765005", "Bob", "07700 900003", "03/04/1960"],
            &["9434765013", "Dan", "07700 900004", "04/05/1950"],
        ],
        &[(3, 0, 4)],
        &[],
    );
    assert_section_at(read_all(bytes), 4);
}

#[test]
fn the_heading_text_repeated_across_every_cell_is_still_a_heading() {
    // A merge across, as some tools write it out to CSV.
    let text = "NHS Number,Mobile,DOB,SMS Consent
9434765919,07700 900001,01/02/1980,Yes
Do not text,Do not text,Do not text,Do not text
9434765005,07700 900003,03/04/1960,
";
    assert_section_at(read_text(text), 3);
}

#[test]
fn the_stop_never_quotes_the_heading() {
    let text = "NHS Number,Mobile,DOB
9434765919,07700 900001,01/02/1980
Mrs Jones declined SMS
9434765005,07700 900003,03/04/1960
";
    let error = read_text(text).expect_err("stops");
    let message = error.to_string();
    assert!(matches!(error, ListError::DecliningSection { row: 3 }));
    assert!(!message.contains("Jones"), "{message}");
    assert!(message.starts_with("Row 3 reads as a heading"), "{message}");
}

#[test]
fn a_title_above_the_first_header_that_declines_stops() {
    for title in [
        "Declined SMS - do not text",
        "Patients who declined texts (from EMIS)",
        "SMS opt-outs",
    ] {
        let text = format!("{title}\nNHS Number,Mobile,DOB\n9434765005,07700 900003,03/04/1960\n");
        match read_text(&text) {
            Err(ListError::DecliningTitle { row: 1 }) => {}
            other => panic!("{title}: {other:?}"),
        }
    }
}

#[test]
fn a_declining_note_at_the_very_end_is_a_footer_with_nothing_under_it() {
    let text = "NHS Number,Mobile,DOB
9434765919,07700 900001,01/02/1980
9434765870,07700 900002,02/03/1970
Patients who declined SMS were excluded
End of report
";
    assert_eq!(read_text(text).expect("reads"), [2, 3]);
}

#[test]
fn a_patients_own_decline_in_the_consent_column_is_left_to_validation() {
    let text = "NHS Number,Forename,Mobile,DOB,SMS Consent
9434765919,Alice,07700 900001,01/02/1980,Yes
,Bob,,,Declined
9434765870,Carol,07700 900002,02/03/1970,Yes
";
    assert_eq!(read_text(text).expect("reads"), [2, 3, 4]);
}

#[test]
fn a_header_met_again_with_an_opt_out_column_is_not_a_heading() {
    let text = "NHS Number,Mobile,DOB,SMS Opt Out
9434765919,07700 900001,01/02/1980,No
NHS Number,Mobile,DOB,SMS Opt Out
9434765870,07700 900002,02/03/1970,No
";
    assert_eq!(read_text(text).expect("reads"), [2, 4]);
}

#[test]
fn an_ordinary_title_above_a_list_pasted_again_is_still_a_title() {
    let text = "NHS Number,Mobile,DOB
9434765919,07700 900001,01/02/1980

Second practice - to text
NHS Number,Mobile,DOB
9434765870,07700 900002,02/03/1970
";
    assert_eq!(read_text(text).expect("reads"), [2, 6]);
}

const NOK_GROUP_ROWS: [&str; 4] = [
    "Patient,,,,Next of Kin (updated 2024),\n",
    "Patient,,,,Next of kin as at 01/04/2024,\n",
    "Patient,,,,Next of kin or emergency contact person details,\n",
    "Patient,,,,Next of Kin,\n,,,,,\n",
];

#[test]
fn a_next_of_kin_group_row_that_cannot_be_read_as_groups_stops() {
    for above in NOK_GROUP_ROWS {
        let text = format!(
            "{above}NHS Number,Forename,DOB,Telephone,Name,Mobile\n\
             9434765919,Alice,01/02/1980,01632 960001,Bob,07700 900009\n"
        );
        assert_someone_else_at(read_text(&text), 1);
    }
}

#[test]
fn a_merged_next_of_kin_group_with_a_year_in_a_workbook_stops() {
    let bytes = xlsx(
        &[
            &["Patient", "", "", "", "Next of Kin (2024)", ""],
            &[
                "NHS Number",
                "Forename",
                "DOB",
                "Telephone",
                "Name",
                "Mobile",
            ],
            &[
                "9434765919",
                "Alice",
                "01/02/1980",
                "01632 960001",
                "Bob",
                "07700 900009",
            ],
        ],
        &[(0, 0, 3), (0, 4, 5)],
        &[],
    );
    assert_someone_else_at(read_all(bytes), 1);
}

#[test]
fn a_next_of_kin_group_read_as_groups_does_not_stop() {
    let text = "Patient,,,,Next of Kin,
NHS Number,Forename,DOB,Mobile,Name,Mobile
9434765919,Alice,01/02/1980,07700 900001,Bob,07700 900009
";
    assert_eq!(read_text(text).expect("reads"), [3]);
}

#[test]
fn a_title_in_the_first_cell_naming_carers_is_a_title() {
    // The carers' register is a list of patients who are carers.
    let text = "Carers register - flu recall
NHS Number,Forename,DOB,Mobile
9434765919,Alice,01/02/1980,07700 900001
";
    assert_eq!(read_text(text).expect("reads"), [3]);
}

#[test]
fn a_next_of_kin_group_row_above_a_header_met_again_stops() {
    let text = "NHS Number,Forename,DOB,Telephone,Name,Mobile
9434765919,Alice,01/02/1980,01632 960001,Bob,07700 900009
Patient,,,,Next of Kin (updated 2024),
NHS Number,Forename,DOB,Telephone,Name,Mobile
9434765870,Carol,02/03/1970,01632 960002,Dave,07700 900010
";
    assert_someone_else_at(read_text(text), 3);
}

// ------------------------------------------------ the third review

#[test]
fn a_note_in_one_cell_saying_the_numbers_are_someone_elses_stops() {
    for note in [
        "Note: mobile numbers below are next of kin's",
        "Mobiles are carers' numbers - check before texting,,,",
    ] {
        let list = format!(
            "{note}\nNHS Number,Name,Mobile,DOB\n9434765919,Alice,07700 900001,01/02/1980\n"
        );
        assert_someone_else_at(read_text(&list), 1);
    }
    // A title that names next of kin but not their numbers is a title.
    let honest = "Reminder texts - Next of kin informed where appropriate,,,\n\
                  NHS Number,Name,Mobile,DOB\n9434765919,Alice,07700 900001,01/02/1980\n";
    assert_eq!(read_text(honest).expect("reads"), [3]);
}

#[test]
fn headings_with_a_date_a_count_or_over_three_cells_stop_too() {
    for heading in [
        "Declined SMS - updated 01/04/2024",
        "Declined SMS (3 patients as at 1.4.24)",
        "Declined,SMS,do not text",
        "SMS: NO",
        "NOT FOR SMS",
        "SMS blocked",
    ] {
        let list = format!(
            "NHS Number,Name,Mobile,DOB\n9434765919,Alice,07700 900001,01/02/1980\n\
             {heading}\n9434765870,Bob,07700 900002,01/02/1980\n"
        );
        assert_section_at(read_text(&list), 3);
    }
    for title in ["Removed duplicates", "Excluding housebound patients"] {
        let list = format!(
            "{title}\nNHS Number,Name,Mobile,DOB\n9434765919,Alice,07700 900001,01/02/1980\n"
        );
        assert_eq!(read_text(&list).expect("reads"), [3], "{title}");
    }
}
