//! `PatientList`: every encoding, shape and file-level error, built in memory.

use std::io::Cursor;

use super::*;
use crate::columns::Role;

const HEADER: &str = "NHS Number,Mobile Number,Date of Birth,Name";

fn open(bytes: impl Into<Vec<u8>>) -> Result<PatientList, ListError> {
    PatientList::open(Cursor::new(bytes.into()))
}

/// Every non-blank row after the header, with its row number, as text.
fn rows_of(list: &mut PatientList) -> Vec<(u64, Vec<String>)> {
    let mut record = ByteRecord::new();
    let mut rows = Vec::new();
    while let Some(row) = list.read_row(&mut record).expect("reads") {
        rows.push((
            row,
            record.iter().map(|c| cell_text(c).into_owned()).collect(),
        ));
    }
    rows
}

fn read(bytes: impl Into<Vec<u8>>) -> (PatientList, Vec<(u64, Vec<String>)>) {
    let mut list = open(bytes).expect("opens");
    let rows = rows_of(&mut list);
    (list, rows)
}

fn row(number: u64, cells: &[&str]) -> (u64, Vec<String>) {
    (number, cells.iter().map(|c| (*c).to_owned()).collect())
}

fn header_texts(list: &PatientList) -> Vec<&str> {
    list.headers().iter().map(|h| h.text.as_str()).collect()
}

fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some(0xfeff).into_iter().chain(text.encode_utf16());
    for unit in units {
        out.extend_from_slice(&if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

const CSV_UTF8: Format = Format::Csv(TextEncoding::Utf8OrWindows1252);

/// `ListFormat` without the delimiter, for the encoding tests.
#[derive(Debug, PartialEq)]
enum Format {
    Csv(TextEncoding),
}

fn format_of(list: &PatientList) -> Format {
    match list.format() {
        ListFormat::Csv { encoding, .. } => Format::Csv(encoding),
        ListFormat::Spreadsheet => panic!("not CSV"),
    }
}

// ------------------------------------------------------------- encodings

#[test]
fn utf8_without_a_bom() {
    let (list, rows) = read(format!("{HEADER}\n9434765919,07700900123,31/01/1990,Zoë\n"));
    assert_eq!(format_of(&list), CSV_UTF8);
    assert_eq!(
        list.format(),
        ListFormat::Csv {
            encoding: TextEncoding::Utf8OrWindows1252,
            delimiter: b','
        }
    );
    assert_eq!(
        header_texts(&list),
        ["NHS Number", "Mobile Number", "Date of Birth", "Name"]
    );
    assert_eq!(list.header_row(), 1);
    assert_eq!(
        rows,
        [row(2, &["9434765919", "07700900123", "31/01/1990", "Zoë"])]
    );
}

#[test]
fn utf8_with_a_bom_reads_the_first_header_without_it() {
    let bytes = [
        b"\xef\xbb\xbf".as_slice(),
        HEADER.as_bytes(),
        "\r\n9434765919,07700900123,31/01/1990,Zoë\r\n".as_bytes(),
    ]
    .concat();
    let (list, rows) = read(bytes);
    assert_eq!(format_of(&list), CSV_UTF8);
    assert_eq!(list.headers()[0].text, "NHS Number");
    assert_eq!(list.columns().nhs_number, 0);
    assert_eq!(
        rows,
        [row(2, &["9434765919", "07700900123", "31/01/1990", "Zoë"])]
    );
}

#[test]
fn windows_1252_cells_are_decoded() {
    // What Excel writes for "CSV (Comma delimited)": ë is 0xEB, £ is 0xA3,
    // ’ is 0x92, and the header may be 1252 too (é is 0xE9).
    let bytes = b"NHS Number,Mobile,DOB,Name,Pr\xe9nom\r\n\
9434765919,07700900123,31/01/1990,Zo\xeb,Ren\xe9e\r\n\
9990000026,07700900124,01/02/1991,O\x92Brien \xa35,x\r\n"
        .to_vec();
    let (list, rows) = read(bytes);
    assert_eq!(header_texts(&list)[4], "Prénom");
    assert_eq!(
        rows,
        [
            row(
                2,
                &["9434765919", "07700900123", "31/01/1990", "Zoë", "Renée"]
            ),
            row(
                3,
                &["9990000026", "07700900124", "01/02/1991", "O’Brien £5", "x"]
            ),
        ]
    );
}

#[test]
fn utf8_and_windows_1252_cells_may_share_a_row() {
    // Each cell is decoded on its own: a valid UTF-8 cell stays UTF-8, the
    // Windows-1252 cell beside it is decoded as that.
    let bytes = [
        HEADER.as_bytes(),
        b"\n9434765919,07700900123,31/01/1990,Zo\xeb,Zo",
        "ë\n".as_bytes(),
    ]
    .concat();
    let (_, rows) = read(bytes);
    assert_eq!(rows[0].1[3..], ["Zoë", "Zoë"]);
    assert_eq!(cell_text(b"Zo\xeb"), "Zoë");
    assert_eq!(cell_text("Zoë".as_bytes()), "Zoë");
    // Within one cell, any invalid byte makes the whole cell Windows-1252.
    assert_eq!(cell_text(b"\xa35 \xc3\xab"), "£5 Ã«");
}

#[test]
fn utf16_with_a_bom_either_way_round() {
    let text = format!(
        "{HEADER}\r\n9434765919,07700900123,31/01/1990,Zoë 😀\r\n\r\n9990000026,07700900124,01/02/1991,Łukasz\r\n"
    );
    for (little_endian, encoding) in [
        (true, TextEncoding::Utf16Le),
        (false, TextEncoding::Utf16Be),
    ] {
        let (list, rows) = read(utf16(&text, little_endian, true));
        assert_eq!(format_of(&list), Format::Csv(encoding));
        assert_eq!(header_texts(&list)[0], "NHS Number", "no BOM in the header");
        assert_eq!(
            rows,
            [
                row(2, &["9434765919", "07700900123", "31/01/1990", "Zoë 😀"]),
                row(4, &["9990000026", "07700900124", "01/02/1991", "Łukasz"]),
            ],
            "{encoding:?}"
        );
        assert_eq!(list.blank_rows(), 1);
    }
}

#[test]
fn utf16_without_a_bom_is_recognised_from_its_zero_bytes() {
    let text = format!("{HEADER}\r\n9434765919,07700900123,31/01/1990,Joe\r\n");
    for (little_endian, encoding) in [
        (true, TextEncoding::Utf16Le),
        (false, TextEncoding::Utf16Be),
    ] {
        let (list, rows) = read(utf16(&text, little_endian, false));
        assert_eq!(format_of(&list), Format::Csv(encoding));
        assert_eq!(
            rows,
            [row(2, &["9434765919", "07700900123", "31/01/1990", "Joe"])]
        );
    }
}

#[test]
fn utf16_semicolons_are_found_after_decoding() {
    let text = "NHS Number;Mobile;DOB\r\n9434765919;07700900123;31/01/1990\r\n";
    let (list, rows) = read(utf16(text, true, true));
    assert_eq!(
        list.format(),
        ListFormat::Csv {
            encoding: TextEncoding::Utf16Le,
            delimiter: b';'
        }
    );
    assert_eq!(rows, [row(2, &["9434765919", "07700900123", "31/01/1990"])]);
}

// ----------------------------------------------------- shapes and rows

#[test]
fn crlf_and_lf_read_alike() {
    let lf = format!("{HEADER}\na,b,c,d\n\ne,f,g,h\n");
    let crlf = lf.replace('\n', "\r\n");
    let (_, from_lf) = read(lf);
    let (_, from_crlf) = read(crlf);
    assert_eq!(
        from_lf,
        [row(2, &["a", "b", "c", "d"]), row(4, &["e", "f", "g", "h"])]
    );
    assert_eq!(from_lf, from_crlf);
}

#[test]
fn old_mac_cr_line_ends_keep_row_numbers() {
    let (_, rows) = read(format!("{HEADER}\ra,b,c,d\r\re,f,g,h\r"));
    assert_eq!(
        rows,
        [row(2, &["a", "b", "c", "d"]), row(4, &["e", "f", "g", "h"])]
    );
}

/// Quote and line-end state carried from one 32 KiB chunk of the blank-line
/// marker to the next: the chunk boundary is swept across a CRLF, a blank
/// line, an escaped quote, a quoted line break and a stray quote.
#[test]
fn quote_and_line_end_state_survives_a_chunk_boundary() {
    const CHUNK: usize = 32 * 1024;
    let tail = "1,\"a\"\"b\",c,d\r\n\r\n2,\"x\r\n\r\ny\",c,d\r\n3,b,c,5\"10\r\n\r\n4,b,c,d\r\n";
    let expected = [
        row(3, &["1", "a\"b", "c", "d"]),
        row(5, &["2", "x\r\n\r\ny", "c", "d"]),
        row(6, &["3", "b", "c", "5\"10"]),
        row(8, &["4", "b", "c", "d"]),
    ];
    let head = format!("{HEADER}\r\np,p,p,");
    // The boundary falls `shift - 2` bytes into the tail: from the CRLF
    // before it to its very end.
    for shift in 0..tail.len() + 3 {
        let filler = CHUNK - head.len() - shift;
        let text = format!("{head}{}\r\n{tail}", "z".repeat(filler));
        assert_eq!(text.len() - tail.len() + shift - 2, CHUNK);
        let (_, rows) = read(text);
        assert_eq!(rows.len(), 5, "shift {shift}");
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[1..], expected, "shift {shift}");
    }
}

#[test]
fn a_last_row_without_a_line_end_is_read() {
    let (_, rows) = read(format!("{HEADER}\r\na,b,c,d"));
    assert_eq!(rows, [row(2, &["a", "b", "c", "d"])]);
}

#[test]
fn quoted_fields_hold_commas_quotes_and_newlines() {
    let text = format!(
        "{HEADER}\r\n\
         1,2,3,\"Smith, Joe\"\r\n\
         4,5,6,\"Joe \"\"JJ\"\" Smith\"\r\n\
         7,8,9,\"Flat 2\r\n\r\n1 High St\"\r\n\
         10,11,12,\"\"\r\n\
         13,14,15,last\r\n"
    );
    let (_, rows) = read(text);
    assert_eq!(
        rows,
        [
            row(2, &["1", "2", "3", "Smith, Joe"]),
            row(3, &["4", "5", "6", "Joe \"JJ\" Smith"]),
            // One row in a spreadsheet, although it spans three lines of text,
            // one of them empty.
            row(4, &["7", "8", "9", "Flat 2\r\n\r\n1 High St"]),
            row(5, &["10", "11", "12", ""]),
            row(6, &["13", "14", "15", "last"]),
        ]
    );
}

#[test]
fn a_quoted_header_is_matched() {
    let (list, rows) =
        read("\"NHS Number\",\"Mobile Number\",\"DOB\",\"Notes, free text\"\n1,2,3,4\n");
    assert_eq!(
        header_texts(&list),
        ["NHS Number", "Mobile Number", "DOB", "Notes, free text"]
    );
    assert_eq!(list.columns().mobile, 1);
    assert_eq!(rows, [row(2, &["1", "2", "3", "4"])]);
}

#[test]
fn blank_lines_keep_their_row_numbers() {
    // Row 1 header, 2 data, 3 blank, 4 blank (spaces), 5 data, 6 blank
    // (commas only), 7 data, 8 and 9 blank at the end.
    let text = format!("{HEADER}\na,b,c,d\n\n   \ne,f,g,h\n,,,\ni,j,k,l\n\n\n");
    let (list, rows) = read(text);
    assert_eq!(
        rows,
        [
            row(2, &["a", "b", "c", "d"]),
            row(5, &["e", "f", "g", "h"]),
            row(7, &["i", "j", "k", "l"]),
        ]
    );
    assert_eq!(list.blank_rows(), 5);
}

#[test]
fn blank_lines_before_the_header_count_as_rows() {
    let (list, rows) = read(format!("\n\r\n{HEADER}\r\na,b,c,d\r\n"));
    assert_eq!(list.header_row(), 3);
    assert_eq!(rows, [row(4, &["a", "b", "c", "d"])]);
    assert_eq!(
        list.blank_rows(),
        0,
        "only blank rows after the header count"
    );
}

#[test]
fn a_stray_quote_inside_a_cell_does_not_shift_later_row_numbers() {
    // A quote in the middle of an unquoted cell is an ordinary character to
    // the CSV parser; the blank line after it is still a row.
    let text = format!("{HEADER}\na,b,c,5\"10\n\nd,e,f,O\"Brien\n\ng,h,i,j\n");
    let (_, rows) = read(text);
    assert_eq!(
        rows,
        [
            row(2, &["a", "b", "c", "5\"10"]),
            row(4, &["d", "e", "f", "O\"Brien"]),
            row(6, &["g", "h", "i", "j"]),
        ]
    );
}

#[test]
fn row_numbers_survive_buffer_boundaries() {
    // Well past the 64 KiB sniffed head and the 32 KiB chunks of the
    // blank-line marker, with blank lines and multi-line cells throughout.
    let mut text = format!("{HEADER}\r\n");
    let mut expected = Vec::new();
    let mut line = 2u64;
    for i in 0..12_000u64 {
        if i % 97 == 0 {
            text.push_str("\r\n");
            line += 1;
        }
        if i % 131 == 0 {
            text.push_str(&format!("{i},m,d,\"two\r\nlines\"\r\n"));
            expected.push(row(line, &[&i.to_string(), "m", "d", "two\r\nlines"]));
        } else {
            text.push_str(&format!("{i},m,d,name {i}\r\n"));
            expected.push(row(line, &[&i.to_string(), "m", "d", &format!("name {i}")]));
        }
        line += 1;
    }
    assert!(text.len() > 3 * SNIFF_LEN);
    let (list, rows) = read(text.clone());
    assert_eq!(rows.len(), expected.len());
    for (got, want) in rows.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert_eq!(list.blank_rows(), 12_000u64.div_ceil(97));

    // The same file in UTF-16 reads to the same rows.
    let (_, rows16) = read(utf16(&text, true, true));
    assert_eq!(rows16, rows);
}

#[test]
fn trailing_commas_give_empty_cells_and_are_not_columns() {
    let (list, rows) = read("NHS Number,Mobile,DOB,,\r\na,b,c,,\r\nd,e,f\r\n");
    assert_eq!(header_texts(&list), ["NHS Number", "Mobile", "DOB"]);
    assert_eq!(
        rows,
        [row(2, &["a", "b", "c", "", ""]), row(3, &["d", "e", "f"])]
    );
}

#[test]
fn a_title_line_does_not_decide_the_delimiter() {
    let (list, rows) = read("Flu recall list\r\nNHS Number;Mobile;DOB\r\na;b;c\r\n");
    assert_eq!(header_texts(&list), ["NHS Number", "Mobile", "DOB"]);
    assert_eq!(list.header_row(), 2);
    assert_eq!(rows, [row(3, &["a", "b", "c"])]);
}

#[test]
fn a_dated_title_row_is_skipped_not_taken_for_data() {
    let (list, _) = read("Printed 25/11/2026,Run 0930\r\nNHS Number,Mobile,DOB\r\n");
    assert_eq!(list.header_row(), 2);
}

#[test]
fn semicolon_and_tab_delimiters() {
    let (list, rows) = read("NHS Number;Mobile;DOB;Name\r\n1;2;3;\"Smith, Joe\"\r\n");
    assert_eq!(
        list.format(),
        ListFormat::Csv {
            encoding: TextEncoding::Utf8OrWindows1252,
            delimiter: b';'
        }
    );
    assert_eq!(rows, [row(2, &["1", "2", "3", "Smith, Joe"])]);

    let (list, rows) = read("NHS Number\tMobile\tDOB\tName\n1\t2\t3\tSmith, Joe\n");
    assert_eq!(
        list.format(),
        ListFormat::Csv {
            encoding: TextEncoding::Utf8OrWindows1252,
            delimiter: b'\t'
        }
    );
    assert_eq!(rows, [row(2, &["1", "2", "3", "Smith, Joe"])]);
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let (list, rows) = read(format!(
        "Flu clinic invitations\r\nPractice: Example Surgery\r\n\r\n{HEADER}\r\na,b,c,d\r\n"
    ));
    assert_eq!(list.header_row(), 4);
    assert_eq!(list.columns().mobile, 1);
    assert_eq!(rows, [row(5, &["a", "b", "c", "d"])]);
}

#[test]
fn up_to_ten_title_rows_are_allowed_and_no_more() {
    let titles = |n: usize| -> String { (1..=n).map(|i| format!("Report line {i}\n")).collect() };

    let (list, rows) = read(format!("{}{HEADER}\na,b,c,d\n", titles(10)));
    assert_eq!(list.header_row(), 11);
    assert_eq!(rows, [row(12, &["a", "b", "c", "d"])]);

    // Blank lines between titles do not use up the allowance.
    let spaced: String = titles(10).replace('\n', "\n\n");
    let (list, _) = read(format!("{spaced}{HEADER}\na,b,c,d\n"));
    assert_eq!(list.header_row(), 21);

    let too_many = open(format!("{}{HEADER}\na,b,c,d\n", titles(11)));
    // The rows looked at name no required column, so none is quoted back.
    assert!(
        matches!(too_many, Err(ListError::NoRequiredColumns)),
        "eleven title rows: the header is not looked for"
    );
}

#[test]
fn the_header_naming_most_required_columns_is_the_one_reported() {
    let result = open("Flu recall list\r\nNHS Number,Mobile,Name\r\n9434765919,07700900123,Jo\r\n");
    let Err(ListError::MissingColumns { missing, found }) = result else {
        panic!("the header row's problem is reported");
    };
    assert_eq!(missing, [Role::DateOfBirth]);
    assert_eq!(found.len(), 3);
}

#[test]
fn an_unclosed_quote_is_a_file_level_error_with_its_row() {
    let mut list = open(format!("{HEADER}\r\na,\"b,c,d\r\ne,f,g,h\r\n")).expect("opens");
    let mut record = csv::ByteRecord::new();
    let error = list
        .read_row(&mut record)
        .expect_err("the quote never closes");
    assert!(
        matches!(error, ListError::UnclosedQuote { row: 2 }),
        "{error}"
    );
}

#[test]
fn a_header_with_no_rows_opens_and_reads_nothing() {
    let (list, rows) = read(format!("{HEADER}\r\n\r\n"));
    assert!(rows.is_empty());
    assert_eq!(list.header_row(), 1);
    assert_eq!(list.blank_rows(), 1);
}

// ---------------------------------------------------- file-level errors

fn error_of(bytes: impl Into<Vec<u8>>) -> ListError {
    match open(bytes) {
        Ok(_) => panic!("expected a file-level error"),
        Err(e) => e,
    }
}

#[test]
fn empty_and_whitespace_only_files_are_empty() {
    for bytes in [
        b"".to_vec(),
        b"   ".to_vec(),
        b"\r\n\r\n\t \n".to_vec(),
        b"\xef\xbb\xbf".to_vec(),
        b"\xef\xbb\xbf\r\n\r\n".to_vec(),
        b"\xff\xfe".to_vec(),
        utf16("\r\n  \r\n", true, true),
        b",,,\r\n,,,\r\n".to_vec(),
    ] {
        let e = error_of(bytes.clone());
        assert!(matches!(e, ListError::Empty), "{bytes:?}: {e:?}");
    }
    assert_eq!(
        ListError::Empty.to_string(),
        "The file is empty: export the patient list again and upload the new file"
    );
}

#[test]
fn a_large_whitespace_only_file_is_empty() {
    let e = error_of(vec![b'\n'; 3 * SNIFF_LEN]);
    assert!(matches!(e, ListError::Empty), "{e:?}");
}

#[test]
fn other_kinds_of_file_say_what_they_look_like() {
    let e =
        error_of(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec());
    assert!(matches!(e, ListError::NotAList("a PDF document")), "{e:?}");
    assert!(
        e.to_string().contains("it looks like a PDF document"),
        "{e}"
    );

    for (bytes, what) in [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "a PNG image"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF".to_vec(), "a JPEG image"),
        (b"\x1f\x8b\x08\0\0\0\0\0".to_vec(), "a gzip archive"),
        (b"{\\rtf1\\ansi hello}".to_vec(), "an RTF document"),
        (b"MZ\x90\0\x03\0\0\0".to_vec(), "a Windows program"),
    ] {
        let e = error_of(bytes);
        assert!(
            matches!(e, ListError::NotAList(w) if w == what),
            "{what}: {e:?}"
        );
    }
}

#[test]
fn random_binary_is_not_a_list() {
    // Deterministic noise covering every byte value.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let e = error_of(bytes);
    assert!(
        matches!(e, ListError::NotAList("a binary file, not text")),
        "{e:?}"
    );
}

#[test]
fn a_broken_spreadsheet_is_reported_as_one() {
    let e = error_of(b"PK\x03\x04xl/workbook.xml, then not really a zip".to_vec());
    assert!(matches!(e, ListError::DamagedSpreadsheet), "{e:?}");
    let other = error_of(b"PK\x03\x04this is not really a zip".to_vec());
    assert!(
        matches!(other, ListError::NotAList("a zip archive")),
        "{other:?}"
    );
    assert!(
        e.to_string().contains("Save it again as .xlsx or CSV"),
        "{e}"
    );
}

#[test]
fn data_without_a_header_is_no_header() {
    for first_row in [
        "9434765919,07700900123,31/01/1990,Joe",
        "Joe,07700 900123",
        "Joe,+44 7700 900123",
        "943 476 5919",
    ] {
        let e = error_of(format!("{first_row}\n{first_row}\n"));
        assert!(matches!(e, ListError::NoHeader), "{first_row}: {e:?}");
    }
    assert!(ListError::NoHeader.to_string().contains("Add a header row"));
}

#[test]
fn missing_required_columns_are_named_with_the_headers_found() {
    let e = error_of("NHS Number,Name,Home Phone\r\n9434765919,Joe,01632 960123\r\n");
    let ListError::MissingColumns { missing, found } = &e else {
        panic!("expected MissingColumns, got {e:?}");
    };
    // "Home Phone" is not a mobile header name.
    assert_eq!(missing, &[Role::Mobile, Role::DateOfBirth]);
    assert_eq!(
        found.iter().map(|h| h.text.as_str()).collect::<Vec<_>>(),
        ["NHS Number", "Name", "Home Phone"]
    );
    assert_eq!(
        e.to_string(),
        "The file has no mobile number or date of birth column. Columns found: \
         \"NHS Number\" (column A), \"Name\" (column B), \"Home Phone\" (column C). \
         Name the columns \"NHS number\", \"Mobile number\" and \"Date of birth\" \
         (or as SystmOne or EMIS export them)"
    );

    let e = error_of("Mobile,DOB\r\n");
    assert!(
        e.to_string().starts_with("The file has no NHS number column. Columns found: \"Mobile\" (column A), \"DOB\" (column B)."),
        "{e}"
    );
}

#[test]
fn a_required_column_twice_is_column_twice() {
    let e = error_of(
        "NHS Number,Mobile,DOB,NHS No\r\n9434765919,07700900123,31/01/1990,9434765919\r\n",
    );
    let ListError::ColumnTwice { role, columns } = &e else {
        panic!("expected ColumnTwice, got {e:?}");
    };
    assert_eq!(*role, Role::NhsNumber);
    assert_eq!(
        columns
            .iter()
            .map(|h| (h.index, h.text.as_str()))
            .collect::<Vec<_>>(),
        [(0, "NHS Number"), (3, "NHS No")]
    );
    assert_eq!(
        e.to_string(),
        "The file has more than one NHS number column: \"NHS Number\" (column A), \
         \"NHS No\" (column D). Keep one and upload the file again"
    );

    let e = error_of("NHS Number,Mobile,DOB,Date of Birth\r\n");
    assert!(
        matches!(
            e,
            ListError::ColumnTwice {
                role: Role::DateOfBirth,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn read_errors_are_passed_on() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = PatientList::open(Failing).err().expect("fails");
    assert!(matches!(e, ListError::Read(_)), "{e:?}");
}

// ------------------------------------------------------------- xlsx

fn workbook(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    build(workbook.add_worksheet());
    workbook.save_to_buffer().expect("writes xlsx")
}

#[test]
fn xlsx_cells_read_back_as_the_digits_and_dates_people_typed() {
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let bytes = workbook(|sheet| {
        sheet.write_string(0, 0, "Flu clinic").expect("title");
        for (col, header) in ["NHS Number", "Mobile Number", "Date of Birth", "Name"]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(1, col as u16, header).expect("header");
        }
        // NHS number and mobile typed into General columns: stored as numbers,
        // the mobile's leading 0 dropped. The date is a real date cell.
        sheet.write_number(2, 0, 9_434_765_919.0).expect("nhs");
        sheet.write_number(2, 1, 7_700_900_123.0).expect("mobile");
        let dob = rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 1, 31).expect("date");
        sheet
            .write_datetime_with_format(2, 2, &dob, &date)
            .expect("dob");
        sheet.write_string(2, 3, "Zoë").expect("name");
        // Row 4 is left empty; row 5 has text cells.
        for (col, value) in ["999 000 0026", "07700 900124", "01/02/1991", "Joe"]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(4, col as u16, value).expect("cell");
        }
    });
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let (list, rows) = read(bytes);
    assert_eq!(list.format(), ListFormat::Spreadsheet);
    assert_eq!(list.header_row(), 2);
    assert_eq!(
        header_texts(&list),
        ["NHS Number", "Mobile Number", "Date of Birth", "Name"]
    );
    assert_eq!(
        rows,
        [
            row(3, &["9434765919", "7700900123", "31/01/1990", "Zoë"]),
            row(5, &["999 000 0026", "07700 900124", "01/02/1991", "Joe"]),
        ]
    );
    assert_eq!(list.blank_rows(), 1);
}

#[test]
fn xlsx_row_numbers_count_from_the_top_of_the_sheet() {
    // Nothing in rows 1 to 3: the used range starts at row 4.
    let bytes = workbook(|sheet| {
        for (col, header) in ["NHS Number", "Mobile", "DOB"].into_iter().enumerate() {
            sheet
                .write_string(3, col as u16 + 1, header)
                .expect("header");
        }
        sheet.write_number(4, 1, 9_434_765_919.0).expect("nhs");
        sheet.write_string(4, 2, "07700900123").expect("mobile");
        sheet
            .write_number(4, 3, 1.5)
            .expect("a fraction stays a fraction");
    });
    let (list, rows) = read(bytes);
    assert_eq!(list.header_row(), 4);
    // Column A is empty, so each cell keeps its column letter.
    assert_eq!(rows, [row(5, &["", "9434765919", "07700900123", "1.5"])]);
}

#[test]
fn an_empty_workbook_is_empty() {
    let bytes = workbook(|_| {});
    let e = error_of(bytes);
    assert!(matches!(e, ListError::Empty), "{e:?}");
}

#[test]
fn xlsx_header_problems_are_the_same_errors_as_csv() {
    let bytes = workbook(|sheet| {
        sheet.write_string(0, 0, "NHS Number").expect("header");
        sheet.write_string(0, 1, "Name").expect("header");
    });
    let e = error_of(bytes);
    assert!(
        matches!(&e, ListError::MissingColumns { missing, .. } if missing == &[Role::Mobile, Role::DateOfBirth]),
        "{e:?}"
    );
}
