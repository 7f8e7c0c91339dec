//! Rows joined by a stray quote that carry no number in the joined cell,
//! told from honest addresses and notes over several lines.

use super::joined_rows::holds_a_row;

#[test]
fn a_line_starting_with_the_delimiter_is_the_next_rows_empty_first_cell() {
    // The reviewer's row: 'Smith, Alice' never closed; the next row starts
    // with an empty NHS number cell.
    assert!(holds_a_row(b"Smith, Alice\n,Bob", b',', 5));
    assert!(holds_a_row(b"Smith\r\n,Bob", b',', 5));
    assert!(holds_a_row(b"Smith\r ;Bob", b';', 5));
    assert!(holds_a_row(b"Smith\n\t\tBob", b'\t', 5));
}

#[test]
fn a_line_with_nearly_a_rows_delimiters_is_part_of_a_row() {
    // Twelve columns: a line with nine commas or more is most of a row.
    assert!(holds_a_row(b"Smith\n,,,,,,,,,Bob", b',', 12));
    assert!(holds_a_row(b"Ann\nSmith,Bob,x,y,z,v,w,u,t,Jones", b',', 12));
    // Five columns: two delimiters on one line.
    assert!(holds_a_row(b"Smith, Alice, Bob\nJones", b',', 5));
}

#[test]
fn an_address_or_note_over_several_lines_is_not_a_row() {
    for (cell, columns) in [
        (&b"1 High St,\nLeeds"[..], 5),
        (b"1 High St,\r\nLeeds,\r\nLS1 1AA", 5),
        (b"Flat 2, 1 High St\nLeeds, LS1 1AA", 5),
        (
            b"Flat 2, Block B, 1 High St,\nLeeds, West Yorkshire, LS1 1AA",
            8,
        ),
        (b"Prefers mornings,\n\nnot Mondays", 5),
    ] {
        assert!(
            !holds_a_row(cell, b',', columns),
            "{}",
            String::from_utf8_lossy(cell)
        );
    }
    assert!(!holds_a_row(b"Lives with daughter;\nkey safe", b';', 4));
}
