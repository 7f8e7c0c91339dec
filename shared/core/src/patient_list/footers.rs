//! Report footers: "Total: 523 patients", "Report run by …", "End of report".
//!
//! A footer is not a patient and must not be listed as one who was not
//! accepted. But a patient's row with most cells missing is still a patient's
//! row, so a footer must look like one (words in one or two cells, nothing
//! that could be a patient's number or date of birth) and come at the end:
//! the list holds such rows back until it sees what follows them.

use csv::ByteRecord;

use super::cell_text;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;

/// No report has more footer lines than this; more such rows are patients'.
pub(super) const MAX_FOOTER_ROWS: usize = 10;

/// Whether the row looks like a footer line: one or two cells filled, words
/// in at least one, and no NHS number, mobile or date anywhere in it.
pub(super) fn looks_like_footer(record: &ByteRecord) -> bool {
    let mut filled = record
        .iter()
        .filter(|cell| !cell.iter().all(u8::is_ascii_whitespace));
    let (Some(first), second, None) = (filled.next(), filled.next(), filled.next()) else {
        return false;
    };
    let words = |cell: &[u8]| {
        let text = cell_text(cell);
        text.chars().any(char::is_alphabetic) && !holds_patient_number(&text)
    };
    // A count on its own beside the words ("Total", "523"), never a date
    // or a long number.
    let count = |cell: &[u8]| {
        let digits = cell.trim_ascii();
        !digits.is_empty() && digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit)
    };
    match second {
        None => words(first),
        Some(second) => {
            (words(first) && (words(second) || count(second))) || (count(first) && words(second))
        }
    }
}

/// Whether a run of number-like characters in `text` reads as an NHS number
/// or a UK mobile ("Ref 943 476 5919", "Mob: +44 7700 900123").
fn holds_patient_number(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-')))
        .map(str::trim)
        .filter(|run| run.bytes().filter(u8::is_ascii_digit).count() >= 9)
        .any(|run| NhsNumber::parse(run).is_ok() || UkMobile::parse(run).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer(cells: &[&str]) -> bool {
        looks_like_footer(&ByteRecord::from(cells.to_vec()))
    }

    #[test]
    fn words_in_one_or_two_cells_look_like_a_footer() {
        for cells in [
            &["Total: 523 patients", "", "", ""][..],
            &["Report run by Practice Manager on 25/11/2026 at 14:30"],
            &["End of report", "", ""],
            &["Printed on", "25 Nov 2026"],
            &["Count", "523"],
            &["523 records", ""],
            &["", "", "Page 3 of 3"],
        ] {
            assert!(footer(cells), "{cells:?}");
        }
    }

    #[test]
    fn anything_that_could_be_a_patients_detail_is_not_a_footer() {
        for cells in [
            &["9434765919", "", ""][..],
            &["Smith", "07700900123"],
            &["Mrs Smith, NHS 943 476 5919", ""],
            &["Mob: +44 7700 900123"],
            &["Smith", "01/01/1990"],
            &["Total", "523", "patients"],
            &["", "", ""],
            &["523", "1024"],
        ] {
            assert!(!footer(cells), "{cells:?}");
        }
    }
}
