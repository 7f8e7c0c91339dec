//! Whole-list checks: determinism, the test-range guarantees, and that each
//! kind of damage is present and visible in the written text.

use std::collections::{HashMap, HashSet};

use crate::damage::Damage;
use crate::row::RowGenerator;
use crate::{GeneratedCounts, ListOptions, nhs_check_digit, write_patient_list};

const HEADER_WITH_CONSENT: &str = "NHS Number,Mobile Number,Date of Birth,Patient Name,SMS Consent";
const HEADER_WITHOUT_CONSENT: &str = "NHS Number,Mobile Number,Date of Birth,Patient Name";

fn options(rows: u64, seed: u64, with_consent_column: bool) -> ListOptions {
    ListOptions {
        rows,
        seed,
        with_consent_column,
        practice_shapes: false,
    }
}

fn written(options: &ListOptions) -> (Vec<u8>, GeneratedCounts) {
    let mut csv = Vec::new();
    let counts = write_patient_list(&mut csv, options).unwrap();
    (csv, counts)
}

/// A data row as written, with the damage the generator meant it to have.
struct Row {
    cells: Vec<String>,
    damage: Option<Damage>,
}

impl Row {
    fn is_good(&self) -> bool {
        self.damage.is_none()
    }

    fn cell(&self, index: usize) -> &str {
        &self.cells[index]
    }
}

/// Generates the rows one at a time, and checks that together they are
/// exactly what `write_patient_list` writes.
fn rows(options: &ListOptions) -> Vec<Row> {
    let mut generator = RowGenerator::new(options);
    let mut joined = Vec::new();
    generator.push_header(&mut joined);
    let mut rows = Vec::new();
    for _ in 0..options.rows {
        let start = joined.len();
        let damage = generator.push_row(&mut joined).damage;
        let line = std::str::from_utf8(&joined[start..]).unwrap();
        let line = line.strip_suffix("\r\n").expect("rows end in CRLF");
        assert!(!line.contains(['\r', '\n']), "one line per row: {line:?}");
        rows.push(Row {
            cells: split_csv_line(line),
            damage,
        });
    }
    assert_eq!(
        joined,
        written(options).0,
        "rows one by one match the whole list"
    );
    rows
}

/// Splits one CSV line, honouring quotes and doubled quotes.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells.last_mut().unwrap();
        match (c, quoted) {
            ('"', false) => quoted = true,
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            (',', false) => cells.push(String::new()),
            (c, _) => cell.push(c),
        }
    }
    assert!(!quoted, "unterminated quote in {line:?}");
    cells
}

/// The digits of an NHS number cell written plain or in 3-3-4 groups.
fn nhs_digits(cell: &str) -> Option<String> {
    let digits: String = cell.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    digits.bytes().all(|b| b.is_ascii_digit()).then_some(digits)
}

fn is_valid_test_nhs_number(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if bytes.len() != 10 || !digits.starts_with("999") {
        return false;
    }
    let first9: [u8; 9] = std::array::from_fn(|i| bytes[i] - b'0');
    nhs_check_digit(&first9) == Some(bytes[9] - b'0')
}

/// A mobile cell reduced to national digits `07…`, undoing `+44`, `0044`,
/// `44`, `(0)` and a dropped leading zero; `None` if it has letters.
fn national_mobile(cell: &str) -> Option<String> {
    let cell = cell.replace("(0)", "");
    if cell
        .chars()
        .any(|c| !matches!(c, '0'..='9' | ' ' | '+' | '(' | ')' | '-'))
    {
        return None;
    }
    let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
    let national = digits
        .strip_prefix("0044")
        .or_else(|| digits.strip_prefix("44"))
        .unwrap_or(&digits);
    Some(if national.starts_with('7') {
        format!("0{national}")
    } else {
        national.to_owned()
    })
}

fn is_drama_mobile(national: &str) -> bool {
    national.len() == 11 && national.starts_with("07700900")
}

fn days_in_month(year: u32, month: u32) -> u32 {
    crate::date_of_birth::days_in_month(year, month)
}

/// Reads a date in any of the good shapes, day first.
fn good_date(cell: &str) -> Option<(u32, u32, u32)> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = cell.split(['/', '.', '-']).collect();
    let [a, b, c] = parts[..] else { return None };
    let (year, month, day) = if a.len() == 4 {
        (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?)
    } else {
        let month = match MONTHS.iter().position(|m| *m == b) {
            Some(index) => index as u32 + 1,
            None => b.parse().ok()?,
        };
        (c.parse().ok()?, month, a.parse().ok()?)
    };
    if c.len() != 4 && a.len() != 4 {
        return None;
    }
    ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
        .then_some((year, month, day))
}

#[test]
fn defaults_are_a_thousand_rows_seed_seven_with_consent() {
    assert_eq!(ListOptions::default(), options(1000, 7, true));
}

#[test]
fn header_is_exact() {
    for (with_consent_column, header) in
        [(true, HEADER_WITH_CONSENT), (false, HEADER_WITHOUT_CONSENT)]
    {
        let (csv, _) = written(&options(3, 1, with_consent_column));
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text.split("\r\n").next(), Some(header));
        assert!(text.starts_with(&format!("{header}\r\n")));
    }
}

#[test]
fn an_empty_list_is_just_the_header() {
    let (csv, counts) = written(&options(0, 7, true));
    assert_eq!(csv, format!("{HEADER_WITH_CONSENT}\r\n").into_bytes());
    assert_eq!(
        counts,
        GeneratedCounts {
            rows: 0,
            intended_bad: 0
        }
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let options = options(5_000, 42, true);
    assert_eq!(written(&options), written(&options));
}

#[test]
fn a_different_seed_gives_different_bytes() {
    assert_ne!(
        written(&options(1_000, 1, true)).0,
        written(&options(1_000, 2, true)).0
    );
    assert_ne!(
        written(&options(1_000, 7, true)).0,
        written(&options(1_000, 8, true)).0
    );
}

#[test]
fn counts_match_what_was_written() {
    for with_consent_column in [true, false] {
        let options = options(5_000, 7, with_consent_column);
        let (csv, counts) = written(&options);
        let text = String::from_utf8(csv).unwrap();
        assert!(text.ends_with("\r\n"));
        assert_eq!(text.matches("\r\n").count() as u64, options.rows + 1);
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "only CRLF"
        );
        assert_eq!(counts.rows, options.rows);

        let damaged = rows(&options).iter().filter(|row| !row.is_good()).count() as u64;
        assert_eq!(counts.intended_bad, damaged);
        assert!(
            (400..=600).contains(&damaged),
            "about 10% damaged, got {damaged}"
        );
    }
}

#[test]
fn every_kind_of_damage_appears_in_5000_rows() {
    let seen: HashSet<Damage> = rows(&options(5_000, 7, true))
        .iter()
        .filter_map(|r| r.damage)
        .collect();
    for kind in Damage::ALL {
        assert!(seen.contains(&kind), "{kind:?} never appears");
    }
}

#[test]
fn without_a_consent_column_rows_have_four_cells_and_no_consent_damage() {
    for row in rows(&options(5_000, 7, false)) {
        assert_ne!(row.damage, Some(Damage::ConsentWithheld));
        if row.damage != Some(Damage::TooFewCells) {
            assert_eq!(row.cells.len(), 4, "{:?}", row.cells);
        }
    }
}

#[test]
fn good_rows_use_only_test_range_numbers_and_real_dates() {
    for seed in [7, 1234] {
        for row in rows(&options(5_000, seed, true))
            .iter()
            .filter(|row| row.is_good())
        {
            assert_eq!(row.cells.len(), 5, "{:?}", row.cells);
            let nhs = nhs_digits(row.cell(0)).unwrap();
            assert!(
                is_valid_test_nhs_number(&nhs),
                "NHS number {:?}",
                row.cell(0)
            );
            let mobile = national_mobile(row.cell(1)).unwrap();
            assert!(is_drama_mobile(&mobile), "mobile {:?}", row.cell(1));
            let (year, _, _) =
                good_date(row.cell(2)).unwrap_or_else(|| panic!("date {:?}", row.cell(2)));
            assert!((1930..=2023).contains(&year), "date {:?}", row.cell(2));
            assert!(!row.cell(3).trim().is_empty());
            assert!(
                matches!(row.cell(4), "Yes" | ""),
                "consent {:?}",
                row.cell(4)
            );
        }
    }
}

#[test]
fn every_valid_looking_number_anywhere_is_in_the_test_ranges() {
    for row in rows(&options(5_000, 99, true)) {
        if let Some(nhs) = nhs_digits(row.cell(0)).filter(|digits| digits.len() == 10) {
            assert!(nhs.starts_with("999"), "NHS number {:?}", row.cell(0));
        }
        if let Some(mobile) = national_mobile(row.cell(1)).filter(|digits| digits.starts_with("07"))
        {
            assert!(mobile.starts_with("07700900"), "mobile {:?}", row.cell(1));
        }
    }
}

#[test]
fn each_damage_shows_in_the_text() {
    let mut earlier_nhs_numbers = HashSet::new();
    for row in rows(&options(5_000, 7, true)) {
        let [nhs, mobile] = [row.cell(0), row.cell(1)];
        let date = row.cells.get(2).map_or("", String::as_str);
        let consent = row.cells.get(4).map_or("", String::as_str);
        let what = format!("{:?} in {:?}", row.damage, row.cells);
        match row.damage {
            None => {}
            Some(Damage::NhsCheckDigitWrong) => {
                let digits = nhs_digits(nhs).unwrap();
                assert!(digits.len() == 10 && digits.starts_with("999"), "{what}");
                assert!(!is_valid_test_nhs_number(&digits), "{what}");
            }
            Some(Damage::NhsSpreadsheetScientific) => {
                assert!(nhs.starts_with("9.99") || nhs == "1E+10", "{what}");
                assert!(nhs.ends_with("E+09") || nhs == "1E+10", "{what}");
            }
            Some(Damage::NhsTooShort) => {
                assert_eq!(nhs_digits(nhs).map(|d| d.len()), Some(9), "{what}")
            }
            Some(Damage::NhsContainsLetter) => {
                assert_eq!(nhs.len(), 10, "{what}");
                assert_eq!(
                    nhs.chars().filter(char::is_ascii_uppercase).count(),
                    1,
                    "{what}"
                );
            }
            Some(Damage::NhsMissing) => assert_eq!(nhs, "", "{what}"),
            Some(Damage::MobileLandline) => assert!(mobile.starts_with("01632 960"), "{what}"),
            Some(Damage::MobileForeign) => {
                assert!(
                    mobile.starts_with("+33 6 39 98 ") || mobile.starts_with("+1 202 555 01"),
                    "{what}"
                )
            }
            Some(Damage::MobileTooShort) => {
                let national = national_mobile(mobile).unwrap();
                assert!(
                    national.len() < 11 && national.starts_with("07700900"),
                    "{what}"
                );
            }
            Some(Damage::MobileTooLong) => {
                let national = national_mobile(mobile).unwrap();
                assert!(
                    national.len() > 11 && national.starts_with("07700900"),
                    "{what}"
                );
            }
            Some(Damage::MobileContainsLetters) => {
                assert!(
                    national_mobile(mobile).is_none() && mobile.contains('O'),
                    "{what}"
                )
            }
            Some(Damage::MobileMissing) => assert_eq!(mobile, "", "{what}"),
            Some(Damage::DobImpossible) => {
                let parts: Vec<u32> = date.split('/').map(|p| p.parse().unwrap()).collect();
                assert!(parts[0] > days_in_month(parts[2], parts[1]), "{what}");
            }
            Some(Damage::DobInFuture) => {
                let (year, _, _) = good_date(date).unwrap();
                assert!(year >= 2090, "{what}");
            }
            Some(Damage::DobTwoDigitYear) => {
                let parts: Vec<&str> = date.split('/').collect();
                assert!(parts.len() == 3 && parts[2].len() == 2, "{what}");
            }
            Some(Damage::DobMonthFirst) => {
                let parts: Vec<u32> = date.split('/').map(|p| p.parse().unwrap()).collect();
                assert!(parts[0] <= 12 && parts[1] > 12, "{what}");
            }
            Some(Damage::DobMissing) => assert_eq!(date, "", "{what}"),
            Some(Damage::ConsentWithheld) => {
                assert!(matches!(consent, "Declined" | "Dissent" | "No"), "{what}")
            }
            Some(Damage::DuplicatePatient) => {
                let digits = nhs_digits(nhs).unwrap();
                assert!(earlier_nhs_numbers.contains(&digits), "{what}");
            }
            Some(Damage::TooFewCells) => assert!(row.cells.len() < 5, "{what}"),
        }
        if let Some(digits) = nhs_digits(nhs) {
            earlier_nhs_numbers.insert(digits);
        }
    }
}

#[test]
fn nhs_numbers_repeat_only_where_meant_to() {
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (index, row) in rows(&options(20_000, 5, true)).iter().enumerate() {
        let Some(digits) = nhs_digits(row.cell(0)).filter(|d| is_valid_test_nhs_number(d)) else {
            continue;
        };
        if let Some(first) = first_row_of.get(&digits) {
            assert_eq!(
                row.damage,
                Some(Damage::DuplicatePatient),
                "row {index} repeats row {first}"
            );
        } else {
            assert_ne!(
                row.damage,
                Some(Damage::DuplicatePatient),
                "row {index} repeats nothing"
            );
            first_row_of.insert(digits, index);
        }
    }
}

#[test]
fn names_with_commas_are_quoted() {
    let (csv, _) = written(&options(2_000, 7, true));
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.contains(",\""),
        "some names are written family name first, quoted"
    );
    for row in rows(&options(2_000, 7, true))
        .iter()
        .filter(|row| row.cells.len() == 5)
    {
        let name = row.cell(3);
        assert!(name.contains(' '), "{name:?}");
    }
    assert!(text.contains("Zoë") || text.contains("Łukasz") || text.contains("Siobhán"));
}
