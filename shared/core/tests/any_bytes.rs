//! Fuzz-style property: any bytes uploaded as a patient list give either a
//! file-level error or a summary in which every non-blank row was classified
//! exactly once, in order, and nothing panics.

use std::io::Cursor;

use batchmsg_core::message::Template;
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::{ListError, ListFormat, PatientList};
use batchmsg_core::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, SinkError, ValidationError, ValidationOptions,
    ValidationSink, validate_list,
};
use chrono::NaiveDate;
use csv::ByteRecord;
use proptest::prelude::*;

#[derive(Default)]
struct Rows {
    starts: usize,
    accepted: Vec<u64>,
    all: Vec<u64>,
}

impl ValidationSink for Rows {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        self.starts += 1;
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push(row.row);
        self.all.push(row.row);
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        assert!(
            !row.reasons.is_empty(),
            "row {} refused without a reason",
            row.row
        );
        self.all.push(row.row);
        Ok(())
    }
}

/// The rows the list itself yields, read independently of validation.
fn rows_in(bytes: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
    let mut list = PatientList::open(Cursor::new(bytes.to_vec())).expect("opened before");
    let mut record = ByteRecord::new();
    let mut rows = Vec::new();
    while let Some(row) = list.read_row(&mut record).expect("read before") {
        rows.push((row, record.iter().map(<[u8]>::to_vec).collect()));
    }
    rows
}

/// A reference reading of CSV text, written separately from the product
/// code: every record with the row number a spreadsheet gives it. A quote
/// opens a quoted field only at the start of a field, `""` inside one is a
/// quote, and CR, LF and CRLF each end a record, an empty line included.
fn reference_records(text: &[u8], delimiter: u8) -> Vec<(u64, Vec<Vec<u8>>)> {
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), Vec::new());
    let (mut in_quotes, mut at_field_start, mut started) = (false, true, false);
    let mut row = 1u64;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        i += 1;
        if in_quotes {
            if b == b'"' && text.get(i) == Some(&b'"') {
                field.push(b'"');
                i += 1;
            } else if b == b'"' {
                in_quotes = false;
            } else {
                field.push(b);
            }
            continue;
        }
        match b {
            b'"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
                started = true;
            }
            b'\r' | b'\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((row, std::mem::take(&mut fields)));
                row += 1;
                if b == b'\r' && text.get(i) == Some(&b'\n') {
                    i += 1;
                }
                at_field_start = true;
                started = false;
            }
            _ if b == delimiter => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
                started = true;
            }
            _ => {
                field.push(b);
                at_field_start = false;
                started = true;
            }
        }
    }
    if started || in_quotes {
        fields.push(field);
        records.push((row, fields));
    }
    records
}

fn is_blank(cells: &[Vec<u8>]) -> bool {
    cells.iter().flatten().all(u8::is_ascii_whitespace)
}

/// `text` is the list as UTF-8 (decoded from UTF-16 where it was that), for
/// the reference reading.
fn check(bytes: &[u8], text: Option<&[u8]>, with_message: bool) -> Result<(), TestCaseError> {
    let template = Template::parse("Hi, your date of birth is ((date of birth|unknown)).")
        .expect("message parses");
    let opted_out = OptOutList::read("07700900123\n9434765919\n".as_bytes()).expect("reads");
    let Ok(mut first) = PatientList::open(Cursor::new(bytes.to_vec())) else {
        return Ok(()); // a file-level error, with its message
    };
    let Ok(declines) = Declines::find(
        &mut first,
        &opted_out,
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid"),
    ) else {
        return Ok(()); // a file-level error met part way, with its message
    };
    let options = ValidationOptions {
        message: with_message.then_some(&template),
        opted_out: &opted_out,
        today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid"),
        declines: &declines,
    };
    let Ok(mut list) = PatientList::open(Cursor::new(bytes.to_vec())) else {
        return Ok(()); // a file-level error, with its message
    };
    let header_row = list.header_row();
    let mut sink = Rows::default();
    let summary = match validate_list(&mut list, &options, &mut sink) {
        Ok(summary) => summary,
        Err(ValidationError::Sink(e)) => {
            return Err(TestCaseError::fail(format!("the sink never fails: {e}")));
        }
        // In memory nothing fails to read; any other error is file-level.
        Err(_) => return Ok(()),
    };
    prop_assert_eq!(sink.starts, 1);
    prop_assert_eq!(summary.header_row, header_row);
    prop_assert!(header_row >= 1);
    prop_assert_eq!(summary.accepted + summary.not_accepted, summary.rows);
    prop_assert_eq!(sink.all.len() as u64, summary.rows);
    prop_assert_eq!(sink.accepted.len() as u64, summary.accepted);
    prop_assert!(
        sink.all.windows(2).all(|w| w[0] < w[1]),
        "rows ascending and unique: {:?}",
        sink.all
    );
    prop_assert!(sink.all.iter().all(|&r| r > header_row));
    // Every non-blank row the list holds reached the sink, and nothing else.
    let rows = rows_in(bytes);
    let numbers: Vec<u64> = rows.iter().map(|(row, _)| *row).collect();
    prop_assert_eq!(&sink.all, &numbers);
    // And those rows, numbers and cells, are what a spreadsheet shows.
    if let (Some(text), ListFormat::Csv { delimiter, .. }) = (text, list.format()) {
        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        let expected: Vec<_> = reference_records(text, delimiter)
            .into_iter()
            .filter(|(row, cells)| *row > header_row && !is_blank(cells))
            .collect();
        // Less only what the list skips and counts: a report footer, a
        // header met again (and a title above it).
        let mut rest = expected.iter();
        for row in &rows {
            prop_assert!(rest.any(|e| e == row), "{:?} is not in the file", row);
        }
        let skipped = (expected.len() - rows.len()) as u64;
        prop_assert!(
            skipped
                <= summary.footer_rows_skipped
                    + (summary.header_rows - 1)
                    + summary.rows_above_header,
            "{} rows missing, {:?}",
            skipped,
            summary
        );
    }
    let reason_rows: u64 = summary.reasons.iter().map(|r| r.rows).sum();
    prop_assert!(reason_rows >= summary.not_accepted);
    prop_assert_eq!(summary.texts.is_some(), with_message);
    Ok(())
}

/// Pieces of something that looks like a patient list: delimiters, quotes,
/// line ends, digits, letters and a few real values.
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::sample::select(b",;\"\r\n\t 0123456789aZ-+/.".to_vec()).prop_map(|b| vec![b]),
        1 => proptest::sample::select(vec![
            b"9434765919".to_vec(),
            b"943 476 5919".to_vec(),
            b"07700 900123".to_vec(),
            b"+447700900124".to_vec(),
            b"7.7009E+09".to_vec(),
            b"31/01/1990".to_vec(),
            b"12/05/84".to_vec(),
            b"Declined".to_vec(),
            b"Zo\xeb".to_vec(),
            "Łukasz".as_bytes().to_vec(),
            b"\"\"".to_vec(),
            b"\r\n\r\n".to_vec(),
            b"\xef\xbb\xbf".to_vec(),
            // Whole rows that can be accepted (or be duplicates of each other).
            b"\n9990000026,07700 900555,01/02/1991\n".to_vec(),
            b"\r\n9990000026;07700900555;1991-02-01;Ann;Yes\r\n".to_vec(),
            b"\n9990000026\t+44 7700 900555\t01/02/1991\n".to_vec(),
        ]),
    ]
}

fn csv_ish() -> impl Strategy<Value = Vec<u8>> {
    let header = proptest::sample::select(vec![
        "NHS Number,Mobile,DOB\n",
        "NHS Number,Mobile Number,Date of Birth,Name,SMS Consent\r\n",
        "\u{feff}nhs_number;mobile;dob;name\r\n",
        "NHS No\tTelecom Number\tDOB\n",
        "Flu list\n\n\"NHS Number\",\"Mobile\",\"DOB\"\n",
        "",
    ]);
    (header, proptest::collection::vec(token(), 0..300)).prop_map(|(header, body)| {
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend(body.concat());
        bytes
    })
}

fn utf16le(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn any_bytes_are_an_error_or_every_row_classified(
        bytes in proptest::collection::vec(any::<u8>(), 0..1_500),
        with_message in any::<bool>(),
    ) {
        check(&bytes, None, with_message)?;
    }

    #[test]
    fn csv_ish_bytes_are_an_error_or_every_row_classified(
        bytes in csv_ish(),
        with_message in any::<bool>(),
        as_utf16 in proptest::bool::weighted(0.2),
    ) {
        if as_utf16 {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            check(&utf16le(&bytes), Some(text.as_bytes()), with_message)?;
        } else {
            check(&bytes, Some(&bytes), with_message)?;
        }
    }
}

/// The generator does reach the interesting path: lists that open, hold
/// rows, and have some accepted.
#[test]
fn csv_ish_lists_often_open_and_hold_rows() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = csv_ish();
    let opted_out = OptOutList::default();
    let (mut opened, mut with_rows, mut with_accepted, mut unclosed) = (0, 0, 0, 0);
    for _ in 0..300 {
        let bytes = strategy.new_tree(&mut runner).expect("generates").current();
        let declines = PatientList::open(Cursor::new(bytes.clone()))
            .and_then(|mut list| {
                Declines::find(
                    &mut list,
                    &opted_out,
                    NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid"),
                )
            })
            .unwrap_or_default();
        let options = ValidationOptions {
            message: None,
            opted_out: &opted_out,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid"),
            declines: &declines,
        };
        if let Ok(mut list) = PatientList::open(Cursor::new(bytes)) {
            opened += 1;
            match validate_list(&mut list, &options, &mut Rows::default()) {
                Ok(summary) => {
                    with_rows += usize::from(summary.rows > 0);
                    with_accepted += usize::from(summary.accepted > 0);
                }
                // A quote opened and never closed is a file-level error.
                Err(ValidationError::List(
                    ListError::UnclosedQuote { .. } | ListError::JoinedRows { .. },
                )) => unclosed += 1,
                // Two lists pasted together under different headers.
                Err(ValidationError::List(
                    ListError::HeaderAgainDifferent { .. } | ListError::HeaderAgainUnmatched { .. },
                )) => {}
                // A row reading only "Declined" heads the rows under it.
                Err(ValidationError::List(ListError::DecliningSection { .. })) => {}
                Err(other) => panic!("validates: {other:?}"),
            }
        }
    }
    assert!(opened > 150, "{opened} of 300 opened");
    assert!(
        unclosed < opened / 2,
        "{unclosed} of {opened} had an unclosed quote"
    );
    assert!(with_rows > 100, "{with_rows} of 300 had rows");
    assert!(
        with_accepted > 10,
        "{with_accepted} of 300 had an accepted row"
    );
}
