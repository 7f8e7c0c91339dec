//! Reading a workbook as the person who made it reads it (the second review):
//! group rows with a short number ("Next of Kin 1"), which sheet holds the
//! list, a merged cell's value in every row it covers, and .xls/.xlsb refused
//! since their hidden rows cannot be seen.

use std::io::Cursor;

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::*;
use crate::test_lists::{Outcome, fixture, mobile, nhs, outcome_of};

fn open(bytes: impl Into<Vec<u8>>) -> Result<PatientList, ListError> {
    PatientList::open(Cursor::new(bytes.into()))
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &[&str]) {
    for (col, cell) in cells.iter().enumerate() {
        if !cell.is_empty() {
            sheet.write_string(row, col as u16, *cell).expect("cell");
        }
    }
}

fn groups(list: &PatientList) -> Vec<Option<&str>> {
    list.headers().iter().map(|h| h.group.as_deref()).collect()
}

fn validate(bytes: &[u8]) -> Outcome {
    outcome_of(bytes)
}

// ------------------------------------------- group rows with a short number

#[test]
fn a_group_named_with_a_short_number_is_a_group_row() {
    for kin in ["Next of Kin 1", "Carer 1", "Contact 2", "NOK (1st)"] {
        let list = open(format!(
            "Patient,,,,{kin},,\n\
             NHS Number,Name,DOB,Mobile,Relationship,Name,Mobile\n\
             {},Alice,01/02/1980,{},Son,Bob,{}\n",
            nhs(1),
            mobile(1),
            mobile(9)
        ))
        .expect("opens");
        assert_eq!(list.header_row(), 2, "{kin}");
        let patient = Some("Patient");
        let other = Some(kin);
        assert_eq!(
            groups(&list),
            [patient, patient, patient, patient, other, other, other],
            "{kin}"
        );
        assert_eq!(list.headers()[6].full_name(), format!("{kin} Mobile"));
    }
}

#[test]
fn xlsx_merged_group_named_with_a_short_number_is_a_group_row() {
    // The reviewer's workbook: "Patient" merged over A1:D1, "Next of Kin 1" over E1:G1.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = Format::new();
    sheet
        .merge_range(0, 0, 0, 3, "Patient", &plain)
        .expect("merge");
    sheet
        .merge_range(0, 4, 0, 6, "Next of Kin 1", &plain)
        .expect("merge");
    write_row(
        sheet,
        1,
        &[
            "NHS Number",
            "Name",
            "DOB",
            "Telephone",
            "Relationship",
            "Name",
            "Mobile",
        ],
    );
    let (patient, kin) = (nhs(1), mobile(9));
    write_row(
        sheet,
        2,
        &[
            &patient,
            "Alice",
            "01/02/1980",
            "01632 960001",
            "Son",
            "Bob",
            &kin,
        ],
    );
    // The next of kin's Mobile is someone else's, so the only question left
    // is whether the patient's Telephone is their mobile.
    let error = open(workbook.save_to_buffer().expect("xlsx"))
        .err()
        .expect("stops");
    let ListError::WhichMobile { candidates, others } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(candidates.len(), 1);
    assert_eq!(
        (candidates[0].index, candidates[0].group.as_deref()),
        (3, Some("Patient"))
    );
    assert_eq!(others.len(), 1);
    assert_eq!(
        (others[0].index, others[0].group.as_deref()),
        (6, Some("Next of Kin 1"))
    );
}

#[test]
fn a_year_a_date_or_a_long_number_still_makes_a_title() {
    for title in [
        "Clinic 2026",
        "Printed 1/12",
        "Clinic 9.30",
        "Ref 12345",
        "Practice A81001",
    ] {
        let list = open(format!(
            ",{title},,\nNHS number,Mobile,Date of birth,Name\n{},{},31/01/1990,Zoë\n",
            nhs(1),
            mobile(1)
        ))
        .expect("opens");
        assert_eq!(list.header_row(), 2, "{title}");
        assert_eq!(groups(&list), [None; 4], "{title}");
    }
}

// ------------------------------------------------ which sheet holds the list

fn list_sheet(sheet: &mut Worksheet, name: &str, first: u32) {
    sheet.set_name(name).expect("name");
    write_row(sheet, 0, &["NHS Number", "Name", "Mobile", "DOB"]);
    for i in 0..2 {
        let (n, m) = (nhs(first + i), mobile(first + i));
        write_row(sheet, i + 1, &[&n, "Pat", &m, "01/02/1980"]);
    }
}

#[test]
fn two_visible_sheets_with_data_stop_naming_both() {
    let mut workbook = Workbook::new();
    list_sheet(workbook.add_worksheet(), "Declined - do not text", 1);
    list_sheet(workbook.add_worksheet(), "To text", 10);
    workbook
        .worksheet_from_index(1)
        .expect("sheet")
        .set_active(true);
    let error = open(workbook.save_to_buffer().expect("xlsx"))
        .err()
        .expect("stops");
    let ListError::WhichSheet { sheets } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(sheets.len(), 2);
    assert_eq!(
        error.to_string(),
        "The workbook has more than one sheet with data: \"Declined - do not text\" and \
         \"To text\". Save the sheet to send from as its own file (.xlsx or CSV) and upload that"
    );
}

#[test]
fn a_hidden_sheet_with_data_makes_the_workbook_ambiguous() {
    for very in [false, true] {
        let mut workbook = Workbook::new();
        let old = workbook.add_worksheet();
        list_sheet(old, "Old list (do not use)", 1);
        if very {
            old.set_very_hidden(true);
        } else {
            old.set_hidden(true);
        }
        list_sheet(workbook.add_worksheet(), "Current", 10);
        workbook
            .worksheet_from_index(1)
            .expect("sheet")
            .set_active(true);
        let error = open(workbook.save_to_buffer().expect("xlsx"))
            .err()
            .expect("stops");
        let ListError::WhichSheet { sheets } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(
            sheets,
            &[
                WorkbookSheet {
                    name: "Old list (do not use)".into(),
                    hidden: true
                },
                WorkbookSheet {
                    name: "Current".into(),
                    hidden: false
                }
            ]
        );
        assert!(
            error
                .to_string()
                .contains("\"Old list (do not use)\" (hidden) and \"Current\""),
            "{error}"
        );
    }
}

#[test]
fn the_only_sheet_with_data_hidden_stops() {
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name("Sheet1").expect("name");
    let hidden = workbook.add_worksheet();
    list_sheet(hidden, "Patients", 1);
    hidden.set_hidden(true);
    let error = open(workbook.save_to_buffer().expect("xlsx"))
        .err()
        .expect("stops");
    assert!(matches!(&error, ListError::WhichSheet { sheets } if sheets.len() == 1));
    assert!(
        error.to_string().contains("\"Patients\" (hidden)"),
        "{error}"
    );
}

#[test]
fn empty_sheets_do_not_count_and_the_list_is_read_from_whichever_tab_it_is_on() {
    // Empty Sheet1 first; the list second, with a hidden row and a hidden
    // column that must be read from its own sheet's XML; an empty Sheet3.
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name("Sheet1").expect("name");
    let list = workbook.add_worksheet();
    list.set_name("To text").expect("name");
    write_row(list, 0, &["NHS Number", "Mobile", "DOB", "Mobile"]);
    for i in 1..=2 {
        let (n, m) = (nhs(i), mobile(i));
        write_row(list, i, &[&n, "07700 900999", "01/02/1980", &m]);
    }
    list.set_row_hidden(2).expect("hides");
    list.set_column_hidden(1).expect("hides");
    workbook.add_worksheet().set_name("Sheet3").expect("name");
    let bytes = workbook.save_to_buffer().expect("xlsx");
    let opened = open(bytes.clone()).expect("opens");
    assert_eq!(
        opened.columns().mobile,
        3,
        "the visible mobile, on this sheet"
    );
    let outcome = validate(&bytes);
    assert_eq!(outcome.accepted, [2]);
    assert_eq!(outcome.not_accepted, [(3, vec!["hidden_row"])]);
}

/// An .ods whose body is `tables` (each a `<table:table>`), with a style
/// "hidden" that hides a table.
fn ods_tables(tables: &str) -> Vec<u8> {
    use std::io::Write;
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:automatic-styles><style:style style:name="hidden" style:family="table"><style:table-properties table:display="false"/></style:style></office:automatic-styles><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
    ] {
        out.start_file(name, stored).expect("starts");
        out.write_all(text.as_bytes()).expect("writes");
    }
    out.finish().expect("finishes").into_inner()
}

fn ods_row(attributes: &str, cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .map(|c| match *c {
            "" => "<table:table-cell/>".to_owned(),
            c if c.starts_with('<') => c.to_owned(),
            c => format!(
                r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#
            ),
        })
        .collect();
    format!("<table:table-row {attributes}>{cells}</table:table-row>")
}

fn ods_list(name: &str, style: &str, first: u32) -> String {
    let mut rows = ods_row("", &["NHS Number", "Mobile", "DOB"]);
    for i in first..first + 2 {
        rows += &ods_row("", &[&nhs(i), &mobile(i), "01/02/1980"]);
    }
    format!(r#"<table:table table:name="{name}" {style}>{rows}</table:table>"#)
}

#[test]
fn ods_a_hidden_table_with_data_makes_the_workbook_ambiguous() {
    let bytes = ods_tables(
        &(ods_list("Old", r#"table:style-name="hidden""#, 1) + &ods_list("Current", "", 10)),
    );
    let error = open(bytes).err().expect("stops");
    assert!(
        error
            .to_string()
            .contains("\"Old\" (hidden) and \"Current\""),
        "{error}"
    );
}

#[test]
fn ods_structure_is_read_from_the_table_that_holds_the_list() {
    // An empty first table; the list's hidden row is on the second.
    let mut rows = ods_row("", &["NHS Number", "Mobile", "DOB"]);
    rows += &ods_row("", &[&nhs(1), &mobile(1), "01/02/1980"]);
    rows += &ods_row(
        r#"table:visibility="collapse""#,
        &[&nhs(2), &mobile(2), "01/02/1980"],
    );
    let tables = format!(
        r#"<table:table table:name="Sheet1"><table:table-row><table:table-cell/></table:table-row></table:table><table:table table:name="List">{rows}</table:table>"#
    );
    let outcome = validate(&ods_tables(&tables));
    assert_eq!(outcome.accepted, [2]);
    assert_eq!(outcome.not_accepted, [(3, vec!["hidden_row"])]);
}

// --------------------------------------------- merged cells in the data rows

/// The reviewer's family: "Declined" merged over E2:E4 (a mother and two
/// children on one mobile), then a neighbour who consents.
#[test]
fn xlsx_a_decline_merged_down_declines_every_row_it_covers() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_row(
        sheet,
        0,
        &["NHS Number", "Name", "Mobile", "DOB", "SMS Consent"],
    );
    for (i, name) in [
        (1, "Mum"),
        (2, "Child one"),
        (3, "Child two"),
        (4, "Neighbour"),
    ] {
        let (n, m) = (nhs(i), mobile(if i < 4 { 1 } else { 4 }));
        write_row(sheet, i, &[&n, name, &m, "01/02/2010"]);
    }
    sheet
        .merge_range(1, 4, 3, 4, "Declined", &Format::new())
        .expect("merge");
    sheet.write_string(4, 4, "Yes").expect("cell");
    let outcome = validate(&workbook.save_to_buffer().expect("xlsx"));
    let declined: Vec<u64> = outcome.not_accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(declined, [2, 3, 4], "{:?}", outcome.not_accepted);
    assert_eq!(outcome.accepted, [5]);
}

#[test]
fn ods_a_decline_merged_down_declines_every_row_it_covers() {
    let declined = r#"<table:table-cell table:number-rows-spanned="3" office:value-type="string"><text:p>Declined</text:p></table:table-cell>"#;
    let covered = "<table:covered-table-cell/>";
    let mut rows = ods_row("", &["NHS Number", "Mobile", "DOB", "SMS Consent"]);
    for i in 1..=3 {
        let consent = if i == 1 { declined } else { covered };
        rows += &ods_row("", &[&nhs(i), &mobile(1), "01/02/2010", consent]);
    }
    rows += &ods_row("", &[&nhs(4), &mobile(4), "01/02/1962", "Yes"]);
    let tables = format!(r#"<table:table table:name="Patients">{rows}</table:table>"#);
    let outcome = validate(&ods_tables(&tables));
    let declined: Vec<u64> = outcome.not_accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(declined, [2, 3, 4], "{:?}", outcome.not_accepted);
    assert_eq!(outcome.accepted, [5]);
}

#[test]
fn a_merge_down_right_below_the_header_is_filled_too() {
    // The first data row is read while looking for a sub-header: a merge
    // down from it is still filled.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_row(sheet, 0, &["NHS Number", "Mobile", "DOB", "SMS Consent"]);
    for i in 1..=2 {
        write_row(sheet, i, &[&nhs(i), &mobile(1), "01/02/1980"]);
    }
    sheet
        .merge_range(1, 3, 2, 3, "Declined", &Format::new())
        .expect("merge");
    let mut list = open(workbook.save_to_buffer().expect("xlsx")).expect("opens");
    let mut record = ByteRecord::new();
    for row in [2, 3] {
        assert_eq!(list.read_row(&mut record).expect("reads"), Some(row));
        assert_eq!(record.get(3), Some(&b"Declined"[..]), "row {row}");
    }
}

#[test]
fn a_merge_across_columns_within_a_data_row_is_left_as_written() {
    // A merge within one row is how a group row is written (a second
    // export's header, pasted on); a name merged over two columns leaves
    // the second empty, which can only leave a text unfilled, never wrong.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_row(
        sheet,
        0,
        &["NHS Number", "Mobile", "DOB", "Name", "Known as"],
    );
    let (n, m) = (nhs(1), mobile(1));
    write_row(sheet, 1, &[&n, &m, "01/02/1980"]);
    sheet
        .merge_range(1, 3, 1, 4, "Alice", &Format::new())
        .expect("merge");
    let mut list = open(workbook.save_to_buffer().expect("xlsx")).expect("opens");
    let mut record = ByteRecord::new();
    assert_eq!(list.read_row(&mut record).expect("reads"), Some(2));
    assert_eq!(record.get(3), Some(&b"Alice"[..]));
    assert_eq!(record.get(4), Some(&b""[..]));
}

// ------------------------------------------------------------- xls and xlsb

#[test]
fn xls_is_refused_since_its_hidden_rows_and_columns_cannot_be_seen() {
    for name in ["xls_hidden_row.xls", "xls_hidden_column.xls"] {
        let error = open(fixture(name)).err().expect("stops");
        assert!(
            matches!(error, ListError::StructureUnseen { .. }),
            "{name}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            "This is an older Excel file (.xls): batchmsg cannot see which rows or columns \
             are hidden in it. Open it in Excel, save it as .xlsx (or CSV), and upload that"
        );
    }
}
