//! End-to-end tests of `batchmsg validate`: the real binary on the fixtures in
//! `tests/fixtures/` (made by `tests/fixtures/make_fixtures.py`), checking the
//! three output files other tools read.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use common::{Run, assert_accepted_shapes, example, fixture, validate, validate_with};
use serde_json::{Value, json};

// Reasons as the person who uploaded the list reads them.
const CHECK_DIGIT: &str = "NHS number is not valid: the check digit does not match";
const NHS_SPREADSHEET: &str = "NHS number was changed by the spreadsheet into a number like 9.43E+09: export the column as text";
const NHS_MISSING: &str = "NHS number is missing";
const NHS_GROUPING: &str = "NHS number must be written as 10 digits, or in groups of 3, 3 and 4";
const NOT_UK_MOBILE: &str = "This does not look like a UK mobile number";
const MOBILE_MISSING: &str = "Mobile number is missing";
const MOBILE_CHARACTERS: &str = "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -";
const MOBILE_TOO_SHORT: &str = "Mobile number is too short";
const MOBILE_TOO_LONG: &str = "Mobile number is too long";
const DOB_MISSING: &str = "Date of birth is missing";
const DOB_FUTURE: &str = "Date of birth is in the future";
const DOB_TOO_OLD: &str = "Date of birth is more than 130 years ago";
const DOB_TWO_DIGIT_YEAR: &str = "Date of birth needs a 4-digit year, such as 31/01/1990";
const DOB_NOT_REAL: &str =
    "Date of birth is not a real date (dates are read day first, as in 31/01/1990)";
const OPTED_OUT: &str = "Patient is on the opted-out list";
const EMPTY_NAME: &str =
    "No value for ((name)): fill it in, or give the message a fallback such as ((name|there))";

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn records(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| strings(r)).collect()
}

/// `code → rows` from `summary.json`.
fn reason_counts(summary: &Value) -> BTreeMap<String, u64> {
    summary["reasons"]
        .as_array()
        .expect("reasons is a list")
        .iter()
        .map(|r| {
            assert!(
                r["reason"].as_str().is_some_and(|s| !s.is_empty()),
                "every counted reason has its words: {r}"
            );
            (
                r["code"].as_str().expect("code").to_owned(),
                r["rows"].as_u64().expect("rows"),
            )
        })
        .collect()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
}

/// Rows in both files are in input order, none twice, and together they are
/// exactly `expected`.
fn assert_every_row_once_in_order(run: &Run, expected: &[u64]) {
    let accepted = run.accepted_rows();
    let not_accepted = run.not_accepted_rows();
    assert!(accepted.is_sorted_by(|a, b| a < b), "{accepted:?}");
    assert!(not_accepted.is_sorted_by(|a, b| a < b), "{not_accepted:?}");
    let mut all: Vec<u64> = accepted.iter().chain(&not_accepted).copied().collect();
    all.sort_unstable();
    assert_eq!(all, expected);
}

// ---------------------------------------------------------------------------
// Exports from the clinical systems, in every encoding and shape.

#[test]
fn systmone_export_rows_reasons_and_summary() {
    let run = validate(&fixture("systmone.csv"), [] as [&str; 0]);
    run.assert_ok();
    assert!(
        run.stdout
            .starts_with("16 rows: 6 accepted, 10 not accepted"),
        "{}",
        run.stdout
    );

    let accepted = run.accepted();
    assert_accepted_shapes(&accepted);
    assert_eq!(
        accepted,
        records(&[
            &["row", "nhs_number", "mobile", "date_of_birth", "name"],
            // "999 010 1000", "05/03/1984", "07700 900001"
            &[
                "2",
                "9990101000",
                "+447700900001",
                "1984-03-05",
                "Joe Bloggs"
            ],
            // "+44 (0)7700 900002", "5/3/1984", a comma inside quotes
            &[
                "3",
                "9990102007",
                "+447700900002",
                "1984-03-05",
                "BLOGGS, Ann"
            ],
            // after a blank row 6; "999-010-5006", "7700900005" (0 dropped), "31-01-1990"
            &[
                "7",
                "9990105006",
                "+447700900005",
                "1990-01-31",
                "Tom Jones"
            ],
            // a name over two lines is one row in a spreadsheet, its line break a space
            &[
                "13",
                "9990108005",
                "+447700900013",
                "2000-02-29",
                "Line Break"
            ],
            // the same mobile as row 2 (a family) is fine
            &[
                "14",
                "9990109001",
                "+447700900001",
                "2010-10-10",
                "Mary Bloggs"
            ],
            // a trailing comma, "01 Jan 1960"
            &[
                "15",
                "9990110018",
                "+447700900015",
                "1960-01-01",
                "Trailing Comma"
            ],
        ])
    );

    let header = [
        "row",
        "NHS Number",
        "Patient Name",
        "Date of Birth",
        "Telecom Number",
        "reason",
    ];
    assert_eq!(
        run.not_accepted(),
        records(&[
            &header,
            &[
                "4",
                "9990103004",
                "Sam Patel",
                "12.11.1950",
                "07700900003",
                CHECK_DIGIT
            ],
            &[
                "5",
                "9990104018",
                "Priya Shah",
                "1990-01-31",
                "01632 960004",
                NOT_UK_MOBILE
            ],
            &[
                "8",
                "9.99E+09",
                "'=HYPERLINK(\"http://example.invalid\",\"x\")",
                "01/01/1970",
                "'+447700900006",
                NHS_SPREADSHEET,
            ],
            &[
                "9",
                "9990106002",
                "'@SUM(A1)",
                "01/01/2099",
                "'-7700900007",
                DOB_FUTURE
            ],
            &[
                "10",
                "9990101000",
                "Joe Bloggs",
                "05/03/1984",
                "07700 900001",
                "Same patient as row 2"
            ],
            &[
                "11",
                "",
                "No Number",
                "02/02/2002",
                "07700 9OO011",
                &format!("{NHS_MISSING}; {MOBILE_CHARACTERS}"),
            ],
            &[
                "12",
                "9990107009",
                "Short Row",
                "",
                "",
                &format!(
                    "Row has 2 cells but the header has 4: check for a missing or extra comma; \
                     {MOBILE_MISSING}; {DOB_MISSING}"
                ),
            ],
            &[
                "16",
                "9990111006",
                "Two Digit",
                "12/05/84",
                "07700 900016",
                DOB_TWO_DIGIT_YEAR
            ],
            &[
                "17",
                "9990112002",
                "Not Real",
                "31/02/1990",
                "07700 90001",
                &format!("{MOBILE_TOO_SHORT}; {DOB_NOT_REAL}"),
            ],
            // the cell beyond the header is kept, after the reason
            &[
                "18",
                "9990113009",
                "Extra Cell",
                "01/01/1980",
                "07700 900018",
                "Row has 5 cells but the header has 4: check for a missing or extra comma",
                "surplus",
            ],
        ])
    );

    let summary = run.summary();
    assert_eq!(summary["rows"], 16);
    assert_eq!(summary["accepted"], 6);
    assert_eq!(summary["not_accepted"], 10);
    assert_eq!(summary["header_row"], 1);
    assert_eq!(summary["blank_rows_skipped"], 3, "row 6 and two at the end");
    assert_eq!(
        summary["columns"],
        json!({
            "nhs_number": "NHS Number",
            "mobile": "Telecom Number",
            "date_of_birth": "Date of Birth",
            "name": "Patient Name",
        })
    );
    assert_eq!(
        reason_counts(&summary),
        counts(&[
            ("cell_count", 2),
            ("date_of_birth_in_future", 1),
            ("date_of_birth_missing", 1),
            ("date_of_birth_not_a_date", 1),
            ("date_of_birth_two_digit_year", 1),
            ("mobile_characters", 1),
            ("mobile_missing", 1),
            ("mobile_not_uk_mobile", 1),
            ("mobile_too_short", 1),
            ("nhs_number_check_digit", 1),
            ("nhs_number_missing", 1),
            ("nhs_number_spreadsheet_damage", 1),
            ("same_patient", 1),
        ])
    );
    assert_eq!(
        summary["reasons"][0]["code"], "cell_count",
        "most frequent reason first"
    );
    assert!(
        summary.get("texts").is_none(),
        "no message, no text summary"
    );
}

#[test]
fn not_accepted_csv_is_safe_to_open_in_a_spreadsheet() {
    let run = validate(&fixture("systmone.csv"), [] as [&str; 0]);
    run.assert_ok();
    let bytes = run.bytes("not-accepted.csv");
    assert!(bytes.starts_with(b"\xef\xbb\xbfrow,NHS Number,"));
    let text = String::from_utf8(bytes).expect("UTF-8");
    for record in &run.not_accepted()[1..] {
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} would run as a formula"
            );
        }
    }
    // Each neutralised cell keeps its text after one apostrophe.
    for neutralised in [
        "\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"x\"\")\"",
        ",'@SUM(A1),",
        ",'-7700900007,",
        ",'+447700900006,",
    ] {
        assert!(text.contains(neutralised), "{neutralised} in\n{text}");
    }
    // Cells that do not start with a formula character are left alone.
    assert!(text.contains(",07700 900001,"));
}

#[test]
fn emis_export_with_emis_number_and_month_name_dates() {
    let run = validate(&fixture("emis.csv"), [] as [&str; 0]);
    run.assert_ok();
    let accepted = run.accepted();
    assert_accepted_shapes(&accepted);
    assert_eq!(
        accepted,
        records(&[
            &[
                "row",
                "nhs_number",
                "mobile",
                "date_of_birth",
                "name",
                "emis_number"
            ],
            &[
                "2",
                "9990201005",
                "+447700900101",
                "1984-03-07",
                "Joe",
                "1001"
            ],
            &[
                "4",
                "9990203008",
                "+447700900103",
                "2000-01-01",
                "Zoë",
                "1003"
            ],
            &[
                "10",
                "9990209006",
                "+447700900109",
                "1999-09-20",
                "",
                "1009"
            ],
            &[
                "11",
                "9990210004",
                "+447700900110",
                "1984-03-07",
                "Aled",
                "1010"
            ],
        ])
    );
    assert_eq!(
        run.reasons(),
        vec![
            (3, MOBILE_MISSING.to_owned()),
            (5, DOB_NOT_REAL.to_owned()),
            (6, DOB_TWO_DIGIT_YEAR.to_owned()),
            (7, NOT_UK_MOBILE.to_owned()),
            (8, MOBILE_TOO_LONG.to_owned()),
            (9, MOBILE_TOO_SHORT.to_owned()),
            (12, DOB_TOO_OLD.to_owned()),
            (13, NHS_GROUPING.to_owned()),
        ]
    );
    let not_accepted = run.not_accepted();
    assert_eq!(
        not_accepted[0],
        strings(&[
            "row",
            "EMIS Number",
            "Forename",
            "Surname",
            "DOB",
            "NHS No",
            "Home Telephone",
            "Mobile Telephone",
            "reason",
        ])
    );
    // The home telephone is not used for the mobile, and is kept as written.
    assert_eq!(
        not_accepted[1][..8],
        strings(&[
            "3",
            "1002",
            "Ann",
            "Smith",
            "15-Aug-1952",
            "999 020 2001",
            "07700 900102",
            "",
        ])
    );
    assert_eq!(not_accepted[4][7], "'+33 6 39 98 12 34");

    let summary = run.summary();
    assert_eq!(
        (
            &summary["rows"],
            &summary["accepted"],
            &summary["not_accepted"]
        ),
        (&json!(12), &json!(4), &json!(8))
    );
    assert_eq!(
        summary["columns"],
        json!({
            "nhs_number": "NHS No",
            "mobile": "Mobile Telephone",
            "date_of_birth": "DOB",
            "name": "Forename",
            "emis_number": "EMIS Number",
        })
    );
}

#[test]
fn windows_1252_names_come_out_as_utf8() {
    let run = validate(&fixture("windows-1252.csv"), [] as [&str; 0]);
    run.assert_ok();
    assert_eq!(
        run.accepted(),
        records(&[
            &["row", "nhs_number", "mobile", "date_of_birth", "name"],
            &[
                "2",
                "9990301018",
                "+447700900201",
                "1970-02-01",
                "Zoë Brontë"
            ],
            &[
                "3",
                "9990302006",
                "+447700900202",
                "1975-04-03",
                "Renée Dubois"
            ],
        ])
    );
    assert_eq!(
        run.not_accepted(),
        records(&[
            &[
                "row",
                "NHS Number",
                "Mobile Number",
                "Date of Birth",
                "Patient Name",
                "Note",
                "reason"
            ],
            &[
                "4",
                "9990303002",
                "01632 960203",
                "05/06/1980",
                "Chloë Hervé",
                "Paid £10",
                NOT_UK_MOBILE
            ],
            &[
                "5",
                "9990304000",
                "07700 900204",
                "07/08/1985",
                "José Müller",
                "",
                CHECK_DIGIT
            ],
        ])
    );
}

#[test]
fn a_placeholder_column_is_carried_with_its_text_length() {
    let run = validate(
        &fixture("windows-1252.csv"),
        ["--message", "Dear ((name)), ((Note|no note))"],
    );
    run.assert_ok();
    // "Dear Zoë Brontë, no note": ë is not GSM-7, so the whole text is UCS-2.
    // "Dear Renée Dubois, Owes £5": é and £ are GSM-7.
    assert_eq!(
        run.accepted(),
        records(&[
            &[
                "row",
                "nhs_number",
                "mobile",
                "date_of_birth",
                "name",
                "Note",
                "characters",
                "fragments",
                "encoding",
            ],
            &[
                "2",
                "9990301018",
                "+447700900201",
                "1970-02-01",
                "Zoë Brontë",
                "",
                "24",
                "1",
                "UCS-2"
            ],
            &[
                "3",
                "9990302006",
                "+447700900202",
                "1975-04-03",
                "Renée Dubois",
                "Owes £5",
                "26",
                "1",
                "GSM-7"
            ],
        ])
    );
    assert_eq!(
        run.summary()["texts"],
        json!({"gsm7_texts": 1, "ucs2_texts": 1, "fragments": 2, "most_characters": 26})
    );
}

#[test]
fn utf16_tab_separated_as_excel_saves_unicode_text() {
    let run = validate(&fixture("utf16.csv"), [] as [&str; 0]);
    run.assert_ok();
    assert_eq!(
        run.accepted(),
        records(&[
            &["row", "nhs_number", "mobile", "date_of_birth", "name"],
            &[
                "2",
                "9990401004",
                "+447700900301",
                "1990-01-01",
                "Łukasz Nowak"
            ],
            &[
                "3",
                "9990402000",
                "+447700900302",
                "1992-02-02",
                "Zoë Smith"
            ],
        ])
    );
    assert_eq!(
        run.not_accepted(),
        records(&[
            &[
                "row",
                "NHS Number",
                "Mobile Number",
                "Date of Birth",
                "Patient Name",
                "reason"
            ],
            // Month first (US order) is never guessed.
            &[
                "4",
                "9990403007",
                "07700 900303",
                "03/13/1993",
                "Søren Berg",
                DOB_NOT_REAL
            ],
            &[
                "5",
                "9990404003",
                "01632 960304",
                "04/04/1994",
                "Ngozi Okafor",
                NOT_UK_MOBILE
            ],
        ])
    );
}

/// xlsx and ods hold the same rows: NHS numbers and mobiles as number cells
/// (the mobile's leading 0 gone), dates as date cells, one text date, one
/// blank row; the ods has a title and a blank row above its header.
fn assert_spreadsheet_fixture(run: &Run, header_row: u64, nhs: [&str; 6]) {
    run.assert_ok();
    let row = |offset: u64| (header_row + offset).to_string();
    let accepted = run.accepted();
    assert_accepted_shapes(&accepted);
    assert_eq!(
        accepted,
        vec![
            strings(&["row", "nhs_number", "mobile", "date_of_birth", "name"]),
            strings(&[&row(1), nhs[0], "+447700900401", "1984-03-05", "Joe Bloggs"]),
            strings(&[&row(2), nhs[1], "+447700900402", "1990-01-31", "Ann Smith"]),
            strings(&[&row(7), nhs[5], "+447700900407", "1984-03-05", "Text Date"]),
        ]
    );
    assert_eq!(
        run.not_accepted(),
        vec![
            strings(&[
                "row",
                "NHS Number",
                "Mobile Number",
                "Date of Birth",
                "Patient Name",
                "reason"
            ]),
            // Number cells read back as the digits typed, not 9.99E+09;
            // date cells as the sheet shows them, day first.
            strings(&[
                &row(4),
                nhs[2],
                "7700900404",
                "01/01/1970",
                "Bad Check",
                CHECK_DIGIT
            ]),
            strings(&[
                &row(5),
                nhs[3],
                "1632960405",
                "15/06/1960",
                "Land Line",
                NOT_UK_MOBILE
            ]),
            strings(&[
                &row(6),
                nhs[4],
                "7700900406",
                "01/01/2099",
                "Future Born",
                DOB_FUTURE
            ]),
        ]
    );
    let summary = run.summary();
    assert_eq!(summary["rows"], 6);
    assert_eq!(summary["accepted"], 3);
    assert_eq!(summary["not_accepted"], 3);
    assert_eq!(summary["header_row"], header_row);
    assert_eq!(summary["blank_rows_skipped"], 1);
}

#[test]
fn xlsx_with_number_and_date_cells() {
    let run = validate(&fixture("patients.xlsx"), [] as [&str; 0]);
    assert_spreadsheet_fixture(
        &run,
        1,
        [
            "9990501009",
            "9990502005",
            "9990503002",
            "9990504008",
            "9990505004",
            "9990506000",
        ],
    );
}

#[test]
fn ods_with_a_title_above_the_header() {
    let run = validate(&fixture("patients.ods"), [] as [&str; 0]);
    assert_spreadsheet_fixture(
        &run,
        3,
        [
            "9990601003",
            "9990602018",
            "9990603007",
            "9990604002",
            "9990605009",
            "9990606005",
        ],
    );
}

#[test]
fn every_row_is_classified_once_in_input_order() {
    for (name, rows) in [
        (
            "systmone.csv",
            vec![2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
        ),
        ("emis.csv", (2..=13).collect()),
        ("windows-1252.csv", (2..=5).collect()),
        ("utf16.csv", (2..=5).collect()),
        ("patients.xlsx", vec![2, 3, 5, 6, 7, 8]),
        ("patients.ods", vec![4, 5, 7, 8, 9, 10]),
    ] {
        let run = validate(&fixture(name), [] as [&str; 0]);
        run.assert_ok();
        assert_every_row_once_in_order(&run, &rows);
        let summary = run.summary();
        assert_eq!(summary["rows"], rows.len(), "{name}");
        assert_eq!(
            summary["accepted"].as_u64().expect("count")
                + summary["not_accepted"].as_u64().expect("count"),
            rows.len() as u64,
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------
// The message.

#[test]
fn message_placeholders_fill_from_columns_and_an_empty_one_is_a_row_reason() {
    let run = validate(
        &fixture("emis.csv"),
        ["--message", "Dear ((name)), from ((Surname))"],
    );
    run.assert_ok();
    assert_eq!(
        run.accepted(),
        records(&[
            &[
                "row",
                "nhs_number",
                "mobile",
                "date_of_birth",
                "name",
                "emis_number",
                "Surname",
                "characters",
                "fragments",
                "encoding",
            ],
            &[
                "2",
                "9990201005",
                "+447700900101",
                "1984-03-07",
                "Joe",
                "1001",
                "Bloggs",
                "21",
                "1",
                "GSM-7"
            ],
            &[
                "4",
                "9990203008",
                "+447700900103",
                "2000-01-01",
                "Zoë",
                "1003",
                "Brontë",
                "21",
                "1",
                "UCS-2"
            ],
            &[
                "11",
                "9990210004",
                "+447700900110",
                "1984-03-07",
                "Aled",
                "1010",
                "Jones",
                "21",
                "1",
                "GSM-7"
            ],
        ])
    );
    assert!(run.reasons().contains(&(10, EMPTY_NAME.to_owned())));
    let summary = run.summary();
    assert_eq!(reason_counts(&summary)["empty_placeholder"], 1);
    assert_eq!(
        summary["texts"],
        json!({"gsm7_texts": 2, "ucs2_texts": 1, "fragments": 3, "most_characters": 21})
    );
}

#[test]
fn a_fallback_fills_an_empty_placeholder() {
    let run = validate(
        &fixture("emis.csv"),
        ["--message", "Dear ((name|patient)), please call us."],
    );
    run.assert_ok();
    assert_eq!(run.accepted_rows(), [2, 4, 10, 11]);
    let accepted = run.accepted();
    // "Dear patient, please call us." is 29 characters.
    assert_eq!(
        accepted[3][..5],
        strings(&["10", "9990209006", "+447700900109", "1999-09-20", ""])
    );
    assert_eq!(accepted[3][6..], strings(&["29", "1", "GSM-7"]));
}

#[test]
fn a_text_over_918_characters_is_not_accepted() {
    // 915 + "Joe" = 918, the most allowed (6 GSM-7 fragments); + "Aled" = 919.
    let message = format!("{}((name))", "a".repeat(915));
    let run = validate(&fixture("emis.csv"), ["--message", message.as_str()]);
    run.assert_ok();
    let accepted = run.accepted();
    assert_eq!(run.accepted_rows(), [2, 4]);
    assert_eq!(accepted[1][6..], strings(&["918", "6", "GSM-7"]));
    assert_eq!(accepted[2][6..], strings(&["918", "14", "UCS-2"]));
    let reasons = run.reasons();
    assert!(
        reasons.contains(&(
            11,
            "Text is too long: 919 characters (the limit is 918)".to_owned()
        )),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&(
            8,
            format!("{MOBILE_TOO_LONG}; Text is too long: 919 characters (the limit is 918)")
        )),
        "every reason of a row is given: {reasons:?}"
    );
    // Aled (row 11), and Marie, Long and Short (rows 7 to 9) that fail anyway.
    assert_eq!(reason_counts(&run.summary())["text_too_long"], 4);
}

#[test]
fn a_placeholder_with_no_column_is_a_file_level_error_naming_it() {
    let run = validate(
        &fixture("emis.csv"),
        ["--message", "Dear ((name)), your ((appointment)) is due"],
    );
    let message = run.assert_file_level_error();
    assert!(message.contains("((appointment))"), "{message}");
    assert!(
        message.contains("\"Mobile Telephone\""),
        "lists the columns found: {message}"
    );
    assert!(
        !message.contains("((name))"),
        "((name)) has a column: {message}"
    );
}

#[test]
fn an_empty_placeholder_in_the_message_is_a_file_level_error() {
    let run = validate(
        &fixture("emis.csv"),
        ["--message", "Hello (()), see you soon"],
    );
    let message = run.assert_file_level_error();
    assert!(message.contains("(())"), "{message}");
}

#[test]
fn a_template_file_is_the_same_as_the_message_text() {
    let template = example("message.txt");
    let text = std::fs::read_to_string(&template).expect("reads the example message");
    let from_file = validate(&fixture("emis.csv"), [Path::new("--template"), &template]);
    from_file.assert_ok();
    let from_text = validate(&fixture("emis.csv"), ["--message", text.as_str()]);
    from_text.assert_ok();
    assert_eq!(
        from_file.bytes("accepted.csv"),
        from_text.bytes("accepted.csv")
    );
    assert_eq!(
        from_file.bytes("not-accepted.csv"),
        from_text.bytes("not-accepted.csv")
    );
    assert_eq!(from_file.summary(), from_text.summary());
    // ((name|patient)) in the example: the row without a forename is accepted.
    assert_eq!(from_file.accepted_rows(), [2, 4, 10, 11]);
    assert!(from_file.accepted()[0].contains(&"characters".to_owned()));
}

#[test]
fn message_and_template_together_are_refused() {
    let run = validate(
        &fixture("emis.csv"),
        [
            OsStr::new("--message"),
            OsStr::new("Hello"),
            OsStr::new("--template"),
            example("message.txt").as_os_str(),
        ],
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("--message"), "{}", run.stderr);
    assert!(!run.out.exists(), "nothing is written");
}

#[test]
fn an_unreadable_template_is_a_file_level_error_naming_it() {
    let missing = Path::new("no-such-folder/recall-message.txt");
    let run = validate(&fixture("emis.csv"), [Path::new("--template"), missing]);
    let message = run.assert_file_level_error();
    assert!(
        message.contains("no-such-folder/recall-message.txt"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// The opted-out list.

#[test]
fn opted_out_by_nhs_number_or_mobile_in_any_shape() {
    let temp = tempfile::tempdir().expect("temp");
    let list = temp.path().join("opted-out.txt");
    // Row 3's NHS number with spaces, row 7's mobile as +44; a header and a comment.
    std::fs::write(
        &list,
        "NHS number or mobile\r\n# asked on the phone\r\n999 010 2007\r\n+44 7700 900005\r\n",
    )
    .expect("writes");
    let run = validate(&fixture("systmone.csv"), [Path::new("--opted-out"), &list]);
    run.assert_ok();
    assert_eq!(run.accepted_rows(), [2, 13, 14, 15]);
    let reasons = run.reasons();
    assert!(reasons.contains(&(3, OPTED_OUT.to_owned())), "{reasons:?}");
    assert!(reasons.contains(&(7, OPTED_OUT.to_owned())), "{reasons:?}");
    assert_eq!(reason_counts(&run.summary())["opted_out"], 2);
}

#[test]
fn an_opted_out_mobile_covers_everyone_who_shares_it() {
    let temp = tempfile::tempdir().expect("temp");
    let list = temp.path().join("opted-out.txt");
    std::fs::write(&list, "07700900001\n").expect("writes");
    let run = validate(&fixture("systmone.csv"), [Path::new("--opted-out"), &list]);
    run.assert_ok();
    // Rows 2 and 14 are a family sharing 07700 900001; row 10 repeats row 2.
    assert_eq!(run.accepted_rows(), [3, 7, 13, 15]);
    let reasons = run.reasons();
    assert!(reasons.contains(&(2, OPTED_OUT.to_owned())), "{reasons:?}");
    assert!(reasons.contains(&(14, OPTED_OUT.to_owned())), "{reasons:?}");
    assert!(
        reasons.contains(&(10, format!("{OPTED_OUT}; Same patient as row 2"))),
        "{reasons:?}"
    );
}

#[test]
fn an_opted_out_list_with_a_bad_line_stops_before_validating() {
    let temp = tempfile::tempdir().expect("temp");
    let list = temp.path().join("opted-out.txt");
    std::fs::write(&list, "9990102007\nMrs Smith 07700\n").expect("writes");
    let run = validate(&fixture("systmone.csv"), [Path::new("--opted-out"), &list]);
    let message = run.assert_file_level_error();
    assert!(message.contains("line 2"), "{message}");
    assert!(
        !message.contains("Mrs Smith"),
        "the entry is not echoed: {message}"
    );
}

#[test]
fn an_unreadable_opted_out_list_is_a_file_level_error_naming_it() {
    let run = validate(
        &fixture("systmone.csv"),
        ["--opted-out", "no-such-folder/opted-out.txt"],
    );
    let message = run.assert_file_level_error();
    assert!(
        message.contains("no-such-folder/opted-out.txt"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// File-level problems: one message a person can act on, and no output.

#[test]
fn an_unreadable_path_is_named() {
    let run = validate(
        Path::new("no-such-folder/flu-recall-list.csv"),
        [] as [&str; 0],
    );
    let message = run.assert_file_level_error();
    assert!(
        message.contains("no-such-folder/flu-recall-list.csv"),
        "{message}"
    );
}

#[test]
fn a_folder_is_not_a_patient_list() {
    let folder = tempfile::tempdir().expect("temp");
    let run = validate(folder.path(), [] as [&str; 0]);
    let message = run.assert_file_level_error();
    assert!(message.contains("folder"), "{message}");
    assert!(
        message.contains(&*folder.path().to_string_lossy()),
        "{message}"
    );
}

#[test]
fn an_output_folder_that_cannot_be_made_is_reported() {
    let temp = tempfile::tempdir().expect("temp");
    let not_a_folder = temp.path().join("results");
    std::fs::write(&not_a_folder, "a file where the folder should go").expect("writes");
    let output = common::batchmsg()
        .arg("validate")
        .arg(fixture("systmone.csv"))
        .arg("--out")
        .arg(&not_a_folder)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&*not_a_folder.to_string_lossy()),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .expect("reads")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["results"], "nothing else was written");
}

#[test]
fn each_file_level_problem_has_its_own_message() {
    let cases: [(&str, &[&str]); 5] = [
        ("empty.csv", &["empty"]),
        ("no-header.csv", &["first row", "header row"]),
        (
            "missing-mobile.csv",
            &[
                "no mobile number column",
                "\"NHS Number\" (column A)",
                "\"Home Telephone\" (column D)",
            ],
        ),
        (
            "nhs-twice.csv",
            &[
                "more than one NHS number column",
                "\"NHS Number\" (column A)",
                "\"NHS No\" (column D)",
            ],
        ),
        ("not-a-list.pdf", &["not a CSV file", "PDF"]),
    ];
    for (name, expected) in cases {
        let run = validate(&fixture(name), [] as [&str; 0]);
        let message = run.assert_file_level_error();
        for words in expected {
            assert!(
                message.contains(words),
                "{name}: {words:?} not in {message:?}"
            );
        }
        assert!(
            run.stdout.is_empty(),
            "{name}: no summary for a file that was not read"
        );
    }
}

#[test]
fn missing_columns_error_names_the_missing_column_only() {
    let run = validate(&fixture("missing-mobile.csv"), [] as [&str; 0]);
    let message = run.assert_file_level_error();
    assert!(!message.contains("no NHS number"), "{message}");
    assert!(!message.contains("date of birth column"), "{message}");
}

// ---------------------------------------------------------------------------
// Patient data never reaches a log.

/// The NHS numbers and mobile numbers in a list's cells: the last ten digits
/// of every cell holding ten digits or more, whatever else is around them
/// (`999 010 1000` → `9990101000`, `+44 (0)7700 900002` → `7700900002`).
fn numbers_in_cells<'a>(cells: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut numbers: Vec<String> = cells
        .into_iter()
        .map(|cell| {
            cell.chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|digits| digits.len() >= 10)
        .map(|digits| digits[digits.len() - 10..].to_owned())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// Every number in the cells of a CSV list (but not in a `reason` column,
/// which quotes "0 1 2 3 4 5 6 7 8 9").
fn numbers_in_csv(bytes: &[u8]) -> Vec<String> {
    let records = common::parse_csv(bytes.strip_prefix(common::UTF8_BOM).unwrap_or(bytes));
    let reason = records[0].iter().position(|h| h == "reason");
    numbers_in_cells(records.iter().flat_map(|r| {
        r.iter()
            .enumerate()
            .filter(move |(i, _)| Some(*i) != reason)
            .map(|(_, c)| c)
    }))
}

/// What was printed, with the separators people put inside numbers taken
/// out, so a number shows whatever its shape.
fn printed_digits(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+' | '\u{a0}'))
        .collect()
}

fn assert_no_numbers_from(patient_numbers: &[String], run: &Run, case: &str) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let printed = printed_digits(text);
        for number in patient_numbers {
            assert!(
                !printed.contains(number.as_str()),
                "{case}: {stream} shows the patient number {number}:\n{text}"
            );
        }
    }
}

#[test]
fn no_nhs_number_or_mobile_reaches_stdout_or_stderr() {
    let temp = tempfile::tempdir().expect("temp");
    let opted_out = temp.path().join("opted-out.txt");
    std::fs::write(&opted_out, "999 010 2007\n07700 900005\n").expect("writes");
    let opt_args = [Path::new("--opted-out"), opted_out.as_path()];
    let with_message = ["--message", "Dear ((name|patient)), ((Surname|))"];

    let cases: [(&str, Vec<&OsStr>); 6] = [
        (
            "systmone.csv",
            opt_args.iter().map(|p| p.as_os_str()).collect(),
        ),
        ("emis.csv", with_message.iter().map(OsStr::new).collect()),
        ("windows-1252.csv", vec![]),
        ("utf16.csv", vec![]),
        ("patients.xlsx", vec![]),
        ("patients.ods", vec![]),
    ];
    for level in ["debug", "trace"] {
        for (name, args) in &cases {
            let run = validate_with(&fixture(name), args, |c| {
                c.env("RUST_LOG", level);
            });
            run.assert_ok();
            // The numbers of every row, from what the run wrote: accepted
            // rows normalised, not-accepted rows as in the input.
            let mut patient_numbers = numbers_in_csv(&run.bytes("accepted.csv"));
            patient_numbers.extend(numbers_in_csv(&run.bytes("not-accepted.csv")));
            assert!(
                patient_numbers.len() >= 6,
                "{name}: the check needs numbers to look for, found {patient_numbers:?}"
            );
            assert!(
                !run.stdout.is_empty(),
                "{name} at {level}: nothing printed, so nothing checked"
            );
            assert_no_numbers_from(&patient_numbers, &run, &format!("{name} at {level}"));
        }
    }

    // File-level errors read the header and maybe the first rows: their
    // messages name columns, never the values in them.
    for name in ["missing-mobile.csv", "nhs-twice.csv", "no-header.csv"] {
        let run = validate_with(&fixture(name), [] as [&str; 0], |c| {
            c.env("RUST_LOG", "trace");
        });
        run.assert_file_level_error();
        let numbers = numbers_in_csv(&std::fs::read(fixture(name)).expect("reads"));
        assert!(!numbers.is_empty(), "{name}");
        assert_no_numbers_from(&numbers, &run, name);
    }
}

#[test]
fn the_number_check_sees_numbers_in_every_shape() {
    // The check above is only as good as these two.
    let cells = strings(&[
        "999 010 1000",
        "+44 (0)7700 900002",
        "07700-900003",
        "+447700900004",
        "9.99E+09",
        "05/03/1984",
        "Joe",
    ]);
    let numbers = numbers_in_cells(&cells);
    assert_eq!(
        numbers,
        ["7700900002", "7700900003", "7700900004", "9990101000"]
    );
    for shown in [
        "row 2: 999-010-1000",
        "mobile +44 (0)7700 900002",
        "07700 900003",
        "+447700900004",
    ] {
        let printed = printed_digits(shown);
        assert!(
            numbers.iter().any(|n| printed.contains(n.as_str())),
            "{shown}"
        );
    }
    let summary = "16 rows: 6 accepted\n  1  Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9";
    assert!(
        !numbers
            .iter()
            .any(|n| printed_digits(summary).contains(n.as_str())),
        "counts and reasons are not patient numbers"
    );
}

// ---------------------------------------------------------------------------
// The sample in examples/, as README runs it.

#[test]
fn the_example_list_validates_with_the_example_message_and_opt_outs() {
    let run = validate(
        &example("patients.csv"),
        [
            Path::new("--template"),
            &example("message.txt"),
            Path::new("--opted-out"),
            &example("opted-out.txt"),
        ],
    );
    run.assert_ok();
    let summary = run.summary();
    assert_eq!(summary["rows"], 200);
    let accepted = summary["accepted"].as_u64().expect("count");
    let not_accepted = summary["not_accepted"].as_u64().expect("count");
    assert_eq!(accepted + not_accepted, 200);
    assert!(accepted >= 150, "most of the sample is good: {accepted}");
    assert_eq!(reason_counts(&summary)["opted_out"], 2);
    let accepted_csv = run.accepted();
    assert_accepted_shapes(&accepted_csv);
    assert_eq!(accepted_csv.len() as u64, accepted + 1);
    assert!(summary["texts"]["fragments"].as_u64().expect("count") >= accepted);
    assert_every_row_once_in_order(&run, &(2..=201).collect::<Vec<_>>());
}

#[test]
fn a_template_file_ending_in_a_newline_measures_like_the_text() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let template = temp.path().join("message.txt");
    std::fs::write(&template, "Hello ((name|there))\r\n").expect("writes the template");
    let from_file = validate(&fixture("emis.csv"), [Path::new("--template"), &template]);
    let from_text = validate(&fixture("emis.csv"), ["--message", "Hello ((name|there))"]);
    from_file.assert_ok();
    from_text.assert_ok();
    assert_eq!(
        from_file.bytes("accepted.csv"),
        from_text.bytes("accepted.csv")
    );
}

#[test]
fn a_failed_run_removes_the_results_of_an_earlier_run_in_the_same_folder() {
    let first = validate(&fixture("emis.csv"), [] as [&str; 0]);
    first.assert_ok();
    let again = common::batchmsg()
        .args(["validate"])
        .arg(fixture("emis.csv"))
        .args(["--message", "((no such column))", "--out"])
        .arg(&first.out)
        .output()
        .expect("runs batchmsg");
    assert!(!again.status.success());
    for name in ["accepted.csv", "not-accepted.csv", "summary.json"] {
        assert!(
            !first.out.join(name).exists(),
            "{name} from the earlier run is still there"
        );
    }
}

#[test]
fn a_headerless_list_is_never_quoted_back_in_the_error() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let list = temp.path().join("list.csv");
    // Invalid values throughout, so nothing on the row parses as a valid field.
    std::fs::write(&list, "9990101001,01632 960001,12/05/84,Joe Bloggs\r\n").expect("writes");
    let run = validate(&list, [] as [&str; 0]);
    let message = run.assert_file_level_error();
    assert!(message.contains("not column names"), "{message}");
    for leaked in ["9990101001", "01632", "Bloggs"] {
        assert!(!message.contains(leaked), "{message}");
    }
}
