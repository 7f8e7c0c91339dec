//! The third review: a row of height 0 and a column of width 0 are hidden
//! (they cannot be seen), and only a sheet that could itself be a patient
//! list makes a workbook ambiguous (a drop-down's hidden "Lists" sheet or a
//! "Summary" does not; a declined tab or an old list still does).

use std::io::Cursor;

use rust_xlsxwriter::{Workbook, Worksheet};

use super::*;
use crate::columns::Role;
use crate::test_lists::{Outcome, fixture, mobile, nhs, outcome_of};

fn open(bytes: impl Into<Vec<u8>>) -> Result<PatientList, ListError> {
    PatientList::open(Cursor::new(bytes.into()))
}

fn sheets_named(error: &ListError) -> Vec<(&str, bool)> {
    let ListError::WhichSheet { sheets } = error else {
        panic!("expected a which-sheet stop, got {error:?}");
    };
    sheets.iter().map(|s| (s.name.as_str(), s.hidden)).collect()
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &[&str]) {
    for (col, cell) in cells.iter().enumerate() {
        if !cell.is_empty() {
            sheet.write_string(row, col as u16, *cell).expect("cell");
        }
    }
}

/// A small list: a header and two patients.
fn list_sheet(sheet: &mut Worksheet, name: &str) {
    sheet.set_name(name).expect("name");
    write_row(sheet, 0, &["NHS Number", "Name", "Mobile", "DOB"]);
    for i in 1..=2 {
        let (n, m) = (nhs(i), mobile(i));
        write_row(sheet, i, &[&n, "Pat", &m, "01/02/1980"]);
    }
}

fn validate(bytes: &[u8]) -> Outcome {
    outcome_of(bytes)
}

// ------------------------------------------------ rows and columns of size 0

#[test]
fn a_row_of_height_zero_is_a_hidden_row() {
    // The reviewer's workbook: row 3 has ht="0" customHeight="1" and no
    // hidden flag; Excel shows nothing of it.
    let bytes = fixture("xlsx_row_height_zero.xlsx");
    let mut list = open(bytes.clone()).expect("opens");
    let mut record = csv::ByteRecord::new();
    let mut hidden = Vec::new();
    while let Some(row) = list.read_row(&mut record).expect("reads") {
        hidden.push((row, list.row_hidden()));
    }
    assert_eq!(hidden, [(2, false), (3, true)]);
    let outcome = validate(&bytes);
    assert_eq!(outcome.accepted, [2]);
    assert_eq!(outcome.not_accepted, [(3, vec!["hidden_row"])]);
}

#[test]
fn a_column_of_width_zero_is_a_hidden_column() {
    // The reviewer's workbook: "Mobile" in D has width 0; the visible
    // Telephone in E is the patient's number.
    let list = open(fixture("xlsx_col_width_zero_mobile.xlsx")).expect("opens");
    assert!(list.column_hidden(3));
    assert!(!list.column_hidden(4));
    assert_eq!(list.columns().column_of(Role::Mobile), Some(4));
}

// ---------------------------------------- which sheets make a workbook ambiguous

#[test]
fn a_hidden_lists_sheet_feeding_a_drop_down_does_not_count() {
    let bytes = fixture("x05_hidden_lists_sheet_for_dropdown.xlsx");
    let list = open(bytes.clone()).expect("opens");
    assert_eq!(list.columns().column_of(Role::Mobile), Some(4));
    let outcome = validate(&bytes);
    // Six patients, consent "Yes", "No", blank in turn: the two "No" decline.
    assert_eq!(outcome.accepted, [2, 4, 5, 7]);
    assert_eq!(outcome.not_accepted.len(), 2, "{:?}", outcome.not_accepted);
}

#[test]
fn a_summary_sheet_with_a_count_does_not_count() {
    let outcome = validate(&fixture("x11_data_plus_summary_sheet.xlsx"));
    assert_eq!(outcome.accepted, [2, 3, 4, 5, 6, 7]);
    assert!(outcome.not_accepted.is_empty());
}

#[test]
fn a_declined_tab_or_a_hidden_old_list_still_stops() {
    // The first review's workbooks: each other sheet is itself a list.
    let error = open(fixture("xlsx_first_sheet_is_declined_tab.xlsx"))
        .err()
        .expect("stops");
    assert_eq!(
        sheets_named(&error),
        [("Declined - do not text", false), ("To text", false)]
    );
    let error = open(fixture("xlsx_hidden_first_sheet.xlsx"))
        .err()
        .expect("stops");
    assert_eq!(
        sheets_named(&error),
        [("Old list (do not use)", true), ("Current", false)]
    );
}

#[test]
fn a_sheet_counts_by_its_header_its_numbers_or_a_declining_name() {
    // Each other sheet could be a list one way only: a header naming a
    // date of birth column below a title (no numbers), a mobile in a notes
    // cell, an NHS number in a cell, or only its name.
    let others: [(&str, &[&[&str]]); 4] = [
        ("Recall", &[&["Recall list"], &["Name", "Date of Birth"]]),
        ("Notes", &[&["Call first"], &["", "07700 900123"]]),
        ("Numbers", &[&["Ref", "9434765919"]]),
        ("Opted out", &[&["Mrs A Smith"], &["Mr B Jones"]]),
    ];
    for (name, rows) in others {
        let mut workbook = Workbook::new();
        list_sheet(workbook.add_worksheet(), "To text");
        let other = workbook.add_worksheet();
        other.set_name(name).expect("name");
        for (i, cells) in rows.iter().enumerate() {
            write_row(other, i as u32, cells);
        }
        other.set_hidden(true);
        let error = open(workbook.save_to_buffer().expect("xlsx"))
            .err()
            .unwrap_or_else(|| panic!("{name}: must stop"));
        assert_eq!(
            sheets_named(&error),
            [("To text", false), (name, true)],
            "{name}"
        );
    }
}

#[test]
fn a_sheet_that_is_no_list_is_not_named_and_the_list_is_read_wherever_it_is() {
    // A visible "Summary" first, the list second: the list is read.
    let mut workbook = Workbook::new();
    let summary = workbook.add_worksheet();
    summary.set_name("Summary").expect("name");
    write_row(summary, 0, &["Total", "2"]);
    write_row(summary, 1, &["Declines recorded", "0"]);
    list_sheet(workbook.add_worksheet(), "Patients");
    let list = open(workbook.save_to_buffer().expect("xlsx")).expect("opens");
    assert_eq!(list.columns().column_of(Role::Mobile), Some(2));

    // The list hidden behind a visible summary stops, naming only the list.
    let mut workbook = Workbook::new();
    let summary = workbook.add_worksheet();
    summary.set_name("Summary").expect("name");
    write_row(summary, 0, &["Total", "2"]);
    list_sheet(workbook.add_worksheet(), "Patients");
    workbook
        .worksheet_from_index(1)
        .expect("sheet")
        .set_hidden(true);
    let error = open(workbook.save_to_buffer().expect("xlsx"))
        .err()
        .expect("stops");
    assert_eq!(sheets_named(&error), [("Patients", true)]);
    assert!(
        error.to_string().starts_with(
            "The only sheet that could be the patient list, \"Patients\" (hidden), is hidden"
        ),
        "{error}"
    );
}

#[test]
fn when_no_sheet_looks_like_a_list_every_sheet_with_data_still_counts() {
    // Columns this tool does not recognise on two tabs: which one was meant
    // cannot be told, so the run stops as before rather than pick one.
    let mut workbook = Workbook::new();
    for name in ["First", "Second"] {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).expect("name");
        write_row(sheet, 0, &["Patient ref", "Contact"]);
        write_row(sheet, 1, &["A1", "see notes"]);
    }
    let error = open(workbook.save_to_buffer().expect("xlsx"))
        .err()
        .expect("stops");
    assert_eq!(sheets_named(&error), [("First", false), ("Second", false)]);
}
