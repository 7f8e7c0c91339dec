//! Spreadsheet structure read as a person reads it: two-row and merged
//! headers, hidden rows and columns, and cells written as they are shown.
//! Workbooks are built here with rust_xlsxwriter.

use std::io::Cursor;

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, FilterCondition, Format, Workbook, Worksheet};

use super::*;
use crate::message::Template;
use crate::opt_out::OptOutList;
use crate::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, Reason, SinkError, ValidationError,
    ValidationOptions, ValidationSink,
};

fn open(bytes: impl Into<Vec<u8>>) -> Result<PatientList, ListError> {
    PatientList::open(Cursor::new(bytes.into()))
}

fn workbook(build: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut workbook = Workbook::new();
    build(workbook.add_worksheet());
    workbook.save_to_buffer().expect("writes xlsx")
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

fn texts(list: &PatientList) -> Vec<&str> {
    list.headers().iter().map(|h| h.text.as_str()).collect()
}

fn rows_of(list: &mut PatientList) -> Vec<Vec<String>> {
    let mut record = ByteRecord::new();
    let mut rows = Vec::new();
    while list.read_row(&mut record).expect("reads").is_some() {
        rows.push(record.iter().map(|c| cell_text(c).into_owned()).collect());
    }
    rows
}

/// What validation made of each row: accepted with its personalisation, or
/// not accepted with its reason codes.
#[derive(Default)]
struct Outcome {
    accepted: Vec<(u64, Vec<String>)>,
    not_accepted: Vec<(u64, Vec<&'static str>)>,
}

impl ValidationSink for Outcome {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }
    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push((row.row, row.personalisation.to_vec()));
        Ok(())
    }
    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        let codes = row.reasons.iter().map(Reason::code).collect();
        self.not_accepted.push((row.row, codes));
        Ok(())
    }
}

fn validate(bytes: Vec<u8>, message: Option<&str>) -> Result<Outcome, ValidationError> {
    let template = message.map(|m| Template::parse(m).expect("message parses"));
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: template.as_ref(),
        opted_out: &opted_out,
        today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        declines: &Declines::default(),
    };
    let mut outcome = Outcome::default();
    crate::test_lists::validate_twice(&bytes, &options, &mut outcome)?;
    Ok(outcome)
}

// ------------------------------------------------------ two-row headers

#[test]
fn a_csv_group_row_names_the_group_of_each_column_under_it() {
    let list = open(
        ",,Telephone,,\n\
         NHS number,Date of birth,Home,Mobile,Work\n\
         9434765919,31/01/1990,01632 960001,07700 900123,\n",
    )
    .expect("opens");
    assert_eq!(list.header_row(), 2);
    assert_eq!(
        texts(&list),
        ["NHS number", "Date of birth", "Home", "Mobile", "Work"]
    );
    assert_eq!(
        groups(&list),
        [
            None,
            None,
            Some("Telephone"),
            Some("Telephone"),
            Some("Telephone")
        ]
    );
    assert_eq!(list.columns().mobile, 3);
    assert_eq!(list.headers()[3].full_name(), "Telephone Mobile");
}

#[test]
fn a_name_merged_down_over_both_header_rows_is_read_from_the_upper_row() {
    // As Excel exports A1:A2 "NHS number" merged, with "Telephone" over C:E
    // and "Consent" over F:G.
    let list = open(
        "NHS number,Date of birth,Telephone,,,Consent,\n\
         ,,Home,Mobile,Work,Data sharing,SMS\n\
         9434765919,31/01/1990,,07700 900123,,Yes,Yes\n",
    )
    .expect("opens");
    assert_eq!(list.header_row(), 2);
    assert_eq!(
        texts(&list),
        [
            "NHS number",
            "Date of birth",
            "Home",
            "Mobile",
            "Work",
            "Data sharing",
            "SMS"
        ]
    );
    let telephone = Some("Telephone");
    let consent = Some("Consent");
    assert_eq!(
        groups(&list),
        [
            None, None, telephone, telephone, telephone, consent, consent
        ]
    );
    let columns = list.columns();
    assert_eq!(
        (columns.nhs_number, columns.date_of_birth, columns.mobile),
        (0, 1, 3)
    );
}

#[test]
fn patient_and_next_of_kin_groups_are_recorded_on_every_column_they_span() {
    let headers = header_groups::grouped_headers(
        &["Patient", "", "", "Next of Kin", "", ""],
        &[
            "NHS number",
            "DOB",
            "Mobile",
            "Name",
            "Relationship",
            "Mobile",
        ],
        None,
    )
    .expect("a group row");
    let patient = Some("Patient");
    let kin = Some("Next of Kin");
    assert_eq!(
        headers
            .iter()
            .map(|h| h.group.as_deref())
            .collect::<Vec<_>>(),
        [patient, patient, patient, kin, kin, kin]
    );
    assert_eq!(headers[5].full_name(), "Next of Kin Mobile");
}

#[test]
fn a_title_above_the_header_is_not_a_group_row() {
    for title in [
        "Flu recall list – printed 01/12/2026,,,",
        "Flu recall list,,,",
        "\"Patients due a flu vaccine at the surgery this winter, by practice\",,,",
    ] {
        let list = open(format!(
            "{title}\nNHS number,Mobile,Date of birth,Name\n9434765919,07700 900123,31/01/1990,Zoë\n"
        ))
        .expect("opens");
        assert_eq!(list.header_row(), 2, "{title}");
        assert_eq!(groups(&list), [None; 4], "{title}");
    }
    // Nor is a row of the same shape as the header, nor one holding numbers.
    assert_eq!(
        header_groups::grouped_headers(&["A", "B", "C"], &["NHS number", "Mobile", "DOB"], None),
        None
    );
    assert_eq!(
        header_groups::grouped_headers(
            &["", "Clinic 2026", ""],
            &["NHS number", "Mobile", "DOB"],
            None
        ),
        None
    );
}

#[test]
fn xlsx_merged_cells_decide_which_columns_a_group_spans() {
    let bytes = workbook(|sheet| {
        let plain = Format::new();
        sheet
            .merge_range(0, 0, 1, 0, "NHS number", &plain)
            .expect("merge");
        sheet
            .merge_range(0, 1, 1, 1, "Date of birth", &plain)
            .expect("merge");
        sheet
            .merge_range(0, 2, 0, 4, "Telephone", &plain)
            .expect("merge");
        // F has no group over it: by the sparse-row rule alone it would
        // fall under "Telephone".
        write_row(sheet, 1, &["", "", "Home", "Mobile", "Work", "Notes"]);
        write_row(
            sheet,
            2,
            &["9434765919", "31/01/1990", "", "07700 900123", "", ""],
        );
    });
    let list = open(bytes).expect("opens");
    assert_eq!(list.header_row(), 2);
    assert_eq!(
        texts(&list),
        [
            "NHS number",
            "Date of birth",
            "Home",
            "Mobile",
            "Work",
            "Notes"
        ]
    );
    let telephone = Some("Telephone");
    assert_eq!(
        groups(&list),
        [None, None, telephone, telephone, telephone, None]
    );
}

/// Needs `ColumnMap::from_headers` to honour `group` (the columns engineer's
/// part of issue 10): with it, the patient's mobile is column C, never the
/// next of kin's in column F.
#[test]
fn a_two_row_header_with_next_of_kin_validates_with_the_patients_columns() {
    let csv = "Patient,,,Next of Kin,,\n\
               NHS number,Date of birth,Mobile,Name,Relationship,Mobile\n\
               9434765919,31/01/1990,07700 900123,Sam,Son,07700 900999\n";
    let xlsx = workbook(|sheet| {
        let plain = Format::new();
        sheet
            .merge_range(0, 0, 0, 2, "Patient", &plain)
            .expect("merge");
        sheet
            .merge_range(0, 3, 0, 5, "Next of Kin", &plain)
            .expect("merge");
        write_row(
            sheet,
            1,
            &[
                "NHS number",
                "Date of birth",
                "Mobile",
                "Name",
                "Relationship",
                "Mobile",
            ],
        );
        write_row(
            sheet,
            2,
            &[
                "9434765919",
                "31/01/1990",
                "07700 900123",
                "Sam",
                "Son",
                "07700 900999",
            ],
        );
    });
    for bytes in [csv.as_bytes().to_vec(), xlsx] {
        let list = open(bytes.clone()).expect("opens");
        assert_eq!(list.header_row(), 2);
        assert_eq!(list.columns().mobile, 2);
        let outcome = validate(bytes, None).expect("validates");
        let accepted: Vec<u64> = outcome.accepted.iter().map(|(row, _)| *row).collect();
        assert_eq!(accepted, [3]);
    }
}

// ------------------------------------------------------ hidden rows

const HEADER: [&str; 3] = ["NHS number", "Mobile", "Date of birth"];
const PATIENTS: [[&str; 3]; 3] = [
    ["9434765919", "07700 900123", "31/01/1990"],
    ["9990000026", "07700 900124", "01/02/1991"],
    ["9990000034", "07700 900125", "02/03/1992"],
];

fn patients_sheet(sheet: &mut Worksheet) {
    write_row(sheet, 0, &HEADER);
    for (i, patient) in PATIENTS.iter().enumerate() {
        write_row(sheet, i as u32 + 1, patient);
    }
}

#[test]
fn a_hidden_row_is_not_accepted_and_says_why() {
    let bytes = workbook(|sheet| {
        patients_sheet(sheet);
        sheet.set_row_hidden(2).expect("hide row 3");
    });
    let mut list = open(bytes.clone()).expect("opens");
    let mut record = ByteRecord::new();
    let mut hidden = Vec::new();
    while let Some(row) = list.read_row(&mut record).expect("reads") {
        hidden.push((row, list.row_hidden()));
    }
    assert_eq!(hidden, [(2, false), (3, true), (4, false)]);

    let outcome = validate(bytes, None).expect("validates");
    let accepted: Vec<u64> = outcome.accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(accepted, [2, 4]);
    assert_eq!(outcome.not_accepted, [(3, vec!["hidden_row"])]);
    assert_eq!(
        Reason::HiddenRow.to_string(),
        "Row is hidden in the spreadsheet: unhide it if this patient should be texted"
    );
}

#[test]
fn rows_filtered_out_by_an_autofilter_are_hidden_rows() {
    let bytes = workbook(|sheet| {
        patients_sheet(sheet);
        sheet.autofilter(0, 0, 3, 2).expect("filter");
        let only = FilterCondition::new().add_list_filter("07700 900124");
        sheet.filter_column(1, &only).expect("filter column");
    });
    let outcome = validate(bytes, None).expect("validates");
    let accepted: Vec<u64> = outcome.accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(accepted, [3]);
    assert_eq!(
        outcome.not_accepted,
        [(2, vec!["hidden_row"]), (4, vec!["hidden_row"])]
    );
}

/// The workbook with its first two sheets' files swapped: the first sheet
/// is then stored as sheet2.xml, as after sheets are reordered in Excel.
fn with_sheet_files_swapped(bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut rels = Vec::new();
    archive
        .by_name("xl/_rels/workbook.xml.rels")
        .expect("rels")
        .read_to_end(&mut rels)
        .expect("reads");
    let rels = String::from_utf8(rels).expect("UTF-8");
    assert!(rels.contains("worksheets/sheet1.xml") && rels.contains("worksheets/sheet2.xml"));
    // Each sheet's relationship points at its moved file.
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let name = match file.name().expect("name").as_ref() {
            "xl/worksheets/sheet1.xml" => "xl/worksheets/sheet2.xml".to_owned(),
            "xl/worksheets/sheet2.xml" => "xl/worksheets/sheet1.xml".to_owned(),
            other => other.to_owned(),
        };
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("reads");
        if name == "xl/_rels/workbook.xml.rels" {
            content = rels
                .replace("worksheets/sheet1.xml", "worksheets/sheetX.xml")
                .replace("worksheets/sheet2.xml", "worksheets/sheet1.xml")
                .replace("worksheets/sheetX.xml", "worksheets/sheet2.xml")
                .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("starts");
        out.write_all(&content).expect("writes");
    }
    out.finish().expect("finishes").into_inner()
}

#[test]
fn the_list_sheets_hidden_rows_are_read_wherever_its_file_is() {
    let mut workbook = Workbook::new();
    let first = workbook.add_worksheet();
    patients_sheet(first);
    first.set_row_hidden(1).expect("hide");
    // An empty second sheet (as Excel's default Sheet2), with a row of its own hidden.
    let second = workbook.add_worksheet();
    second.set_row_hidden(3).expect("hide");
    let bytes = workbook.save_to_buffer().expect("writes");
    let outcome = validate(bytes.clone(), None).expect("validates");
    assert_eq!(outcome.not_accepted, [(2, vec!["hidden_row"])]);

    // Stored as sheet2.xml, the list's sheet is still the one read, hidden row and all.
    let outcome = validate(with_sheet_files_swapped(&bytes), None).expect("validates");
    assert_eq!(outcome.not_accepted, [(2, vec!["hidden_row"])]);
}

// ------------------------------------------------------ hidden columns

#[test]
fn a_required_column_found_only_hidden_stops_the_run_naming_it() {
    let bytes = workbook(|sheet| {
        write_row(sheet, 0, &["NHS number", "Date of birth", "Name", "Mobile"]);
        write_row(
            sheet,
            1,
            &["9434765919", "31/01/1990", "Zoë", "07700 900123"],
        );
        sheet.set_column_hidden(3).expect("hide D");
    });
    let Err(error) = open(bytes) else {
        panic!("a hidden mobile column must stop the run");
    };
    assert!(matches!(&error, ListError::HiddenColumn { column } if column.index == 3));
    assert_eq!(
        error.to_string(),
        "Column D \"Mobile\" is hidden: unhide it or delete it, and upload again"
    );
}

#[test]
fn a_hidden_column_takes_no_role() {
    // An old mobile column kept but hidden: the visible one is the mobile.
    let bytes = workbook(|sheet| {
        write_row(
            sheet,
            0,
            &["NHS number", "Mobile", "Date of birth", "Mobile"],
        );
        write_row(
            sheet,
            1,
            &["9434765919", "07700 900999", "31/01/1990", "07700 900123"],
        );
        sheet.set_column_hidden(1).expect("hide B");
    });
    let list = open(bytes).expect("opens with the visible mobile");
    assert_eq!(list.columns().mobile, 3);
    assert!(list.column_hidden(1));
    assert!(!list.column_hidden(3));
}

#[test]
fn a_hidden_column_fills_no_placeholder() {
    let bytes = workbook(|sheet| {
        write_row(
            sheet,
            0,
            &["NHS number", "Mobile", "Date of birth", "Clinic"],
        );
        write_row(
            sheet,
            1,
            &["9434765919", "07700 900123", "31/01/1990", "Elm Road"],
        );
        sheet.set_column_hidden(3).expect("hide D");
    });
    let Err(error) = validate(bytes, Some("Your clinic is ((Clinic))")) else {
        panic!("a placeholder from a hidden column must stop the run");
    };
    assert_eq!(
        error.to_string(),
        "The message uses ((Clinic)) but column D \"Clinic\" is hidden: unhide it or delete \
         it, and upload again"
    );
}

#[test]
fn a_decline_in_a_hidden_consent_column_still_declines() {
    let bytes = workbook(|sheet| {
        write_row(
            sheet,
            0,
            &["NHS number", "Mobile", "Date of birth", "SMS consent"],
        );
        write_row(
            sheet,
            1,
            &["9434765919", "07700 900123", "31/01/1990", "No"],
        );
        write_row(
            sheet,
            2,
            &["9990000026", "07700 900124", "01/02/1991", "Yes"],
        );
        sheet.set_column_hidden(3).expect("hide D");
    });
    let list = open(bytes.clone()).expect("opens");
    assert_eq!(
        list.columns()
            .consent
            .iter()
            .map(|c| c.index)
            .collect::<Vec<_>>(),
        [3]
    );
    let outcome = validate(bytes, None).expect("validates");
    assert_eq!(outcome.not_accepted, [(2, vec!["declined_sms"])]);
    assert_eq!(outcome.accepted.len(), 1);
}

// ------------------------------------------------------ cells as shown

#[test]
fn dates_times_money_and_booleans_are_written_as_the_cell_shows_them() {
    let bytes = workbook(|sheet| {
        let headers = [
            "NHS number",
            "Mobile",
            "Date of birth",
            "Appointment",
            "Spelt",
            "Time",
            "At",
            "Fee",
            "Discount",
            "Fasting",
            "Excel date",
        ];
        write_row(sheet, 0, &headers);
        let format = |code: &str| Format::new().set_num_format(code);
        let day = ExcelDateTime::from_ymd(2026, 12, 1).expect("date");
        let time = ExcelDateTime::from_hms(10, 30, 0).expect("time");
        let at = ExcelDateTime::parse_from_str("2026-12-01T10:30:00").expect("date and time");
        sheet.write_number(1, 0, 9_434_765_919.0).expect("nhs");
        sheet
            .write_number_with_format(1, 1, 7_700_900_123.0, &format("00000000000"))
            .expect("mobile");
        let born = ExcelDateTime::from_ymd(1990, 1, 31).expect("dob");
        sheet
            .write_datetime_with_format(1, 2, &born, &format("d mmmm yyyy"))
            .expect("dob");
        sheet
            .write_datetime_with_format(1, 3, &day, &format("dd/mm/yyyy"))
            .expect("date");
        sheet
            .write_datetime_with_format(1, 4, &day, &format("d mmm yyyy"))
            .expect("date");
        sheet
            .write_datetime_with_format(1, 5, &time, &format("h:mm"))
            .expect("time");
        sheet
            .write_datetime_with_format(1, 6, &at, &format("dd/mm/yyyy hh:mm"))
            .expect("date and time");
        sheet
            .write_number_with_format(1, 7, 12.5, &format("[$£-809]#,##0.00"))
            .expect("money");
        sheet
            .write_number_with_format(1, 8, 0.05, &format("0%"))
            .expect("percent");
        sheet.write_boolean(1, 9, true).expect("boolean");
        sheet
            .write_datetime_with_format(1, 10, &day, &Format::new().set_num_format_index(14))
            .expect("built-in date");
    });
    let mut list = open(bytes.clone()).expect("opens");
    assert_eq!(
        rows_of(&mut list),
        [[
            "9434765919",
            "07700900123",
            "31 January 1990",
            "01/12/2026",
            "1 Dec 2026",
            "10:30",
            "01/12/2026 10:30",
            "£12.50",
            "5%",
            "TRUE",
            "01/12/2026",
        ]]
    );
    // The date of birth still parses, and the text carries what was shown.
    let outcome = validate(
        bytes,
        Some("((Appointment)) ((Spelt)) at ((Time)), ((At)), fee ((Fee)) less ((Discount))"),
    )
    .expect("validates");
    assert_eq!(outcome.not_accepted, []);
    assert_eq!(
        outcome.accepted,
        [(
            2,
            [
                "01/12/2026",
                "1 Dec 2026",
                "10:30",
                "01/12/2026 10:30",
                "£12.50",
                "5%"
            ]
            .map(String::from)
            .to_vec()
        )]
    );
}

// ------------------------------------------------------ OpenDocument

/// An .ods holding one table: `columns` and `rows` are the table's own XML.
fn ods(columns: &str, rows: &str) -> Vec<u8> {
    use std::io::Write;
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Patients">{columns}{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
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
            c if c.starts_with("<") => c.to_owned(),
            c => format!(
                r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#
            ),
        })
        .collect();
    format!("<table:table-row {attributes}>{cells}</table:table-row>")
}

#[test]
fn ods_hidden_and_filtered_rows_are_not_accepted_and_hidden_columns_take_no_role() {
    let mut rows = ods_row("", &["NHS number", "Mobile", "Date of birth", "Mobile"]);
    let visibility = [
        "",
        r#"table:visibility="collapse""#,
        r#"table:visibility="filter""#,
    ];
    for (patient, visibility) in PATIENTS.iter().zip(visibility) {
        let cells = [patient[0], "07700 900999", patient[2], patient[1]];
        rows += &ods_row(visibility, &cells);
    }
    let columns = r#"<table:table-column/><table:table-column table:visibility="collapse"/><table:table-column table:number-columns-repeated="2"/>"#;
    let bytes = ods(columns, &rows);
    let list = open(bytes.clone()).expect("opens");
    assert_eq!(list.format(), ListFormat::Spreadsheet);
    assert_eq!(list.columns().mobile, 3, "the visible mobile column");
    let outcome = validate(bytes, None).expect("validates");
    assert_eq!(
        outcome.not_accepted,
        [(3, vec!["hidden_row"]), (4, vec!["hidden_row"])]
    );
    let accepted: Vec<u64> = outcome.accepted.iter().map(|(row, _)| *row).collect();
    assert_eq!(accepted, [2]);
}

#[test]
fn ods_merged_cells_decide_which_columns_a_group_spans() {
    let spanned = r#"<table:table-cell table:number-columns-spanned="3" office:value-type="string"><text:p>Telephone</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="2"/>"#;
    let rows = ods_row("", &["", "", spanned, ""])
        + &ods_row(
            "",
            &[
                "NHS number",
                "Date of birth",
                "Home",
                "Mobile",
                "Work",
                "Notes",
            ],
        )
        + &ods_row(
            "",
            &["9434765919", "31/01/1990", "", "07700 900123", "", ""],
        );
    let list = open(ods("", &rows)).expect("opens");
    assert_eq!(list.header_row(), 2);
    let telephone = Some("Telephone");
    assert_eq!(
        groups(&list),
        [None, None, telephone, telephone, telephone, None]
    );
}

#[test]
fn a_sheet_starting_at_column_b_names_columns_by_their_own_letters() {
    let bytes = workbook(|sheet| {
        for (col, header) in ["NHS number", "Date of birth", "Name", "Mobile"]
            .into_iter()
            .enumerate()
        {
            sheet
                .write_string(0, col as u16 + 1, header)
                .expect("header");
        }
        sheet.write_string(1, 1, "9434765919").expect("nhs");
        sheet.set_column_hidden(4).expect("hide E");
    });
    let Err(error) = open(bytes) else {
        panic!("a hidden mobile column must stop the run");
    };
    assert_eq!(
        error.to_string(),
        "Column E \"Mobile\" is hidden: unhide it or delete it, and upload again"
    );
}

#[test]
fn a_yes_in_a_hidden_opt_out_column_still_declines() {
    let bytes = workbook(|sheet| {
        write_row(
            sheet,
            0,
            &["NHS number", "Mobile", "Date of birth", "SMS opt-out"],
        );
        write_row(
            sheet,
            1,
            &["9434765919", "07700 900123", "31/01/1990", "Yes"],
        );
        sheet.set_column_hidden(3).expect("hide D");
    });
    let outcome = validate(bytes, None).expect("validates");
    assert!(outcome.accepted.is_empty(), "{:?}", outcome.accepted);
    assert_eq!(outcome.not_accepted, [(2, vec!["declined_sms"])]);
}

#[test]
fn a_title_merged_across_the_whole_header_is_not_a_group() {
    let bytes = workbook(|sheet| {
        let plain = Format::new();
        sheet
            .merge_range(0, 0, 0, 3, "Flu recall list", &plain)
            .expect("merge");
        write_row(sheet, 1, &["NHS number", "Mobile", "Date of birth", "Name"]);
        write_row(
            sheet,
            2,
            &["9434765919", "07700 900123", "31/01/1990", "Zoë"],
        );
    });
    let list = open(bytes).expect("opens");
    assert_eq!(list.header_row(), 2);
    assert_eq!(groups(&list), [None; 4]);
}
