//! Lists pasted together and report footers, read by `PatientList` itself:
//! rows come back in the first header's column order, whatever the file.

use std::io::Cursor;

use super::*;

fn rows_of(bytes: Vec<u8>) -> (PatientList, Vec<(u64, Vec<String>)>) {
    let mut list = PatientList::open(Cursor::new(bytes)).expect("opens");
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

fn row(number: u64, cells: &[&str]) -> (u64, Vec<String>) {
    (number, cells.iter().map(|c| (*c).to_owned()).collect())
}

#[test]
fn rows_after_a_reordered_header_come_back_in_the_first_order_with_extra_cells_last() {
    let text = "NHS Number,Mobile,DOB,Name\n1,2,3,Amy\nName,DOB,NHS number,Mobile\nBen,6,4,5,extra\nNHS Number,Mobile,DOB,Name\n7,8,9,Cat\n";
    let (list, rows) = rows_of(text.as_bytes().to_vec());
    assert_eq!(
        rows,
        [
            row(2, &["1", "2", "3", "Amy"]),
            row(4, &["4", "5", "6", "Ben", "extra"]),
            row(6, &["7", "8", "9", "Cat"]),
        ]
    );
    assert_eq!(list.header_rows(), 3);
}

#[test]
fn a_spreadsheet_pasted_from_two_exports_is_read_in_each_ones_order() {
    let bytes = {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let rows: [&[&str]; 6] = [
            &["NHS Number", "Mobile", "DOB", "Name", "SMS consent"],
            &["9434765919", "07700900001", "01/01/1990", "Amy", "Yes"],
            &["NHS Number", "Mobile", "DOB", "SMS consent", "Name"],
            &["4857773456", "07700900002", "02/02/1990", "Declined", "Ben"],
            &[],
            &["Total: 2 patients"],
        ];
        for (r, cells) in rows.iter().enumerate() {
            for (c, text) in cells.iter().enumerate() {
                sheet
                    .write_string(r as u32, c as u16, *text)
                    .expect("writes");
            }
        }
        workbook.save_to_buffer().expect("writes xlsx")
    };
    let (list, rows) = rows_of(bytes);
    assert_eq!(
        rows,
        [
            row(
                2,
                &["9434765919", "07700900001", "01/01/1990", "Amy", "Yes"]
            ),
            row(
                4,
                &["4857773456", "07700900002", "02/02/1990", "Ben", "Declined"]
            ),
        ]
    );
    assert_eq!(
        (list.header_rows(), list.blank_rows(), list.footer_rows()),
        (2, 1, 1)
    );
}

#[test]
fn more_footer_like_rows_than_a_footer_has_are_patients_rows() {
    let mut text = String::from("NHS Number,Mobile,DOB,Name,Notes\n");
    for i in 0..=footers::MAX_FOOTER_ROWS {
        text.push_str(&format!(",,,Patient {i},no details\n"));
    }
    let (list, rows) = rows_of(text.into_bytes());
    assert_eq!(rows.len(), footers::MAX_FOOTER_ROWS + 1);
    assert_eq!(
        rows.first().map(|r| r.0),
        Some(2),
        "in order, from the first"
    );
    assert_eq!(list.footer_rows(), 0);
}
