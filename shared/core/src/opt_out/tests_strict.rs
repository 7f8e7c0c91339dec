//! The opted-out list read strictly: every line end, every encoding a
//! practice saves in, and no line with a number skipped.

use super::*;

fn nhs(text: &str) -> NhsNumber {
    NhsNumber::parse(text).expect("valid NHS number")
}

fn mobile(text: &str) -> UkMobile {
    UkMobile::parse(text).expect("valid mobile")
}

fn blocks_both(list: &OptOutList) {
    assert!(
        list.contains_nhs_number(nhs("9434765919")),
        "NHS number blocked"
    );
    assert!(
        list.contains_mobile(mobile("07700900123")),
        "mobile blocked"
    );
}

#[test]
fn old_mac_line_ends_are_lines() {
    let list = OptOutList::read("NHS number or mobile\r9434765919\r07700900123\r".as_bytes())
        .expect("reads");
    blocks_both(&list);
    assert_eq!(list.len(), 2);
}

#[test]
fn mixed_line_ends_keep_line_numbers_right() {
    let err = OptOutList::read("Opted out\r\n9434765919\r07700900123\nnot 1 number\r\n".as_bytes())
        .expect_err("line 4 is not a number");
    assert!(matches!(err, OptOutError::Unreadable { line: 4 }), "{err}");
}

#[test]
fn utf16_with_and_without_a_bom_is_read() {
    let text = "NHS number\r\n9434765919\r\n07700900123\r\n";
    let mut with_bom = vec![0xff, 0xfe];
    with_bom.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    blocks_both(&OptOutList::read(&with_bom[..]).expect("reads UTF-16LE"));
    let big_endian: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    blocks_both(&OptOutList::read(&big_endian[..]).expect("reads UTF-16BE without a BOM"));
}

#[test]
fn windows_1252_text_is_read() {
    // "Numéro" as Excel saves it in Windows-1252: not valid UTF-8.
    let bytes = b"Num\xe9ro NHS\n9434765919\n07700900123\n";
    blocks_both(&OptOutList::read(&bytes[..]).expect("reads Windows-1252"));
}

#[test]
fn a_first_line_with_a_number_and_words_is_not_a_header() {
    let err = OptOutList::read("NHS number 943 476 5919\n07700900123\n".as_bytes())
        .expect_err("line 1 holds a number");
    assert!(matches!(err, OptOutError::Unreadable { line: 1 }), "{err}");
    let message = err.to_string();
    assert!(
        !message.contains("943"),
        "the value is not echoed: {message}"
    );
}

#[test]
fn lines_of_words_are_headers_only_above_the_first_number() {
    let list =
        OptOutList::read("Opted out\n\nNHS number or mobile\n9434765919\n07700900123\n".as_bytes())
            .expect("reads");
    blocks_both(&list);
    let err = OptOutList::read("Opted out 2026\n9434765919\n".as_bytes()).expect_err("a digit");
    assert!(matches!(err, OptOutError::Unreadable { line: 1 }), "{err}");
    let err = OptOutList::read("9434765919\nMobiles\n07700900123\n".as_bytes())
        .expect_err("words below a number may be a patient meant to be blocked");
    assert!(matches!(err, OptOutError::Unreadable { line: 2 }), "{err}");
}

#[test]
fn each_number_cell_of_a_line_is_blocked() {
    let list =
        OptOutList::read("NHS number,Mobile\n9434765919,07700900123\n".as_bytes()).expect("reads");
    blocks_both(&list);
    let list = OptOutList::read("9434765919;;\"07700 900123\"\n".as_bytes()).expect("reads");
    blocks_both(&list);
    // As CSV exports write one column: quotes and trailing commas.
    let list =
        OptOutList::read("\"NHS number\",\r\n\"9434765919\",\r\n07700900123,,\r\n".as_bytes())
            .expect("reads");
    blocks_both(&list);
}

#[test]
fn any_other_cell_on_a_line_stops_the_read_naming_line_and_column() {
    let err = OptOutList::read("NHS number,Name\n9434765919,John Smith\n".as_bytes())
        .expect_err("a name is not a number");
    assert!(
        matches!(err, OptOutError::UnreadableCell { line: 2, column: 1 }),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("column B"), "{message}");
    assert!(
        !message.contains("Smith") && !message.contains("9434"),
        "{message}"
    );
}
