//! Rows joined by a stray quote.
//!
//! A quote opened in a name or notes cell and not closed where it should be
//! runs on over the line ends, until some later quote happens to close it:
//! the rows between become one cell of one patient, who then carries the next
//! patient's mobile and date of birth, while those patients vanish. A quoted
//! cell over several lines is honest when it is an address or a note; one
//! holding what looks like a row of its own, or part of one, stops the run.
//! Part of a row: a line that starts with the delimiter (the next row's empty
//! first cell), or a line holding nearly as many delimiters as the header, which
//! no address line has.

use super::cell_text;
use crate::columns::has_long_number;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;

/// Line ends in `bytes`: LF, CRLF and CR alone each count once.
pub(super) fn line_ends(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&at| !(bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n')))
        .count() as u64
}

/// An address or note line has a comma or two; a line holding this many
/// delimiters fewer than the header's is part of a row, however wide the
/// header (but never fewer than [`MIN_ROW_DELIMITERS`]).
const DELIMITERS_SHORT_OF_A_ROW: usize = 2;
const MIN_ROW_DELIMITERS: usize = 2;

/// Whether a cell that spans lines holds what looks like a row, or part of
/// one, under a header of `header_columns` columns: the delimiter, with an
/// NHS number or UK mobile, or with two long numbers (numbers, dates
/// written without separators, phone numbers); or a line after the first
/// that starts with the delimiter; or a line with nearly as many delimiters
/// as the header has.
pub(super) fn holds_a_row(cell: &[u8], delimiter: u8, header_columns: usize) -> bool {
    if memchr::memchr(delimiter, cell).is_none() {
        return false;
    }
    let text = cell_text(cell);
    let delimiter = char::from(delimiter);
    let row_delimiters = header_columns
        .saturating_sub(1 + DELIMITERS_SHORT_OF_A_ROW)
        .max(MIN_ROW_DELIMITERS);
    for (n, line) in text.split(['\n', '\r']).enumerate() {
        let starts_a_row = n > 0
            && line
                .trim_start_matches(|c: char| c == ' ' && c != delimiter)
                .starts_with(delimiter);
        if starts_a_row || line.matches(delimiter).count() >= row_delimiters {
            return true;
        }
    }
    let mut long_numbers = 0;
    for piece in text
        .split([delimiter, '\n', '\r'])
        .map(|p| p.trim_matches(|c: char| c.is_whitespace() || c == '"'))
        .filter(|p| !p.is_empty())
    {
        if NhsNumber::parse(piece).is_ok() || UkMobile::parse(piece).is_ok() {
            return true;
        }
        if has_long_number(piece) {
            long_numbers += 1;
        }
    }
    long_numbers >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_of_line_end_once() {
        assert_eq!(line_ends(b"a\r\nb\rc\nd"), 3);
        assert_eq!(line_ends(b"\r\n\r\n"), 2);
        assert_eq!(line_ends(b"abc"), 0);
    }

    #[test]
    fn a_cell_holding_a_row_is_told_from_an_address() {
        assert!(holds_a_row(
            b"Smith\n9434765919,07700900123,01/01/1990,",
            b',',
            5
        ));
        assert!(holds_a_row(b"note\r\nx;01011990;20261125", b';', 5));
        assert!(!holds_a_row(b"1 High St\nTown", b',', 5));
        assert!(!holds_a_row(b"Flat 2, 1 High St\nTown, AB1 2CD", b',', 5));
        assert!(
            !holds_a_row(b"Call 07700900123\nafter 5", b',', 5),
            "no delimiter: a note"
        );
    }
}
