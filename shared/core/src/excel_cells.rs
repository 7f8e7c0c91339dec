//! What every file written for people to open in Excel shares: the
//! byte-order mark that makes Excel read UTF-8, and cells that cannot run as
//! formulas. Both the validation reports and the sending report use it, and
//! validation reads the guard back off a corrected list, so it sits below
//! both rather than in either.

/// Written first in a CSV file for people: without it Excel reads UTF-8 as
/// Windows-1252 and garbles every accented name.
pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// A cell a spreadsheet would run as a formula gets a leading apostrophe,
/// which makes Excel show it as text (and hides the apostrophe).
pub fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The inverse of [`formula_safe`] for the values we parse: a corrected
/// `not-accepted.csv` uploaded again may still carry the apostrophe.
pub fn without_formula_guard(cell: &str) -> &str {
    let trimmed = cell.trim_start();
    trimmed.strip_prefix('\'').unwrap_or(trimmed)
}

#[cfg(test)]
mod tests {
    use super::{formula_safe, without_formula_guard};

    #[test]
    fn formula_starts_are_neutralised() {
        for cell in ["=1+1", "+447700900123", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(formula_safe(cell), format!("'{cell}"));
        }
        for cell in ["07700 900123", "Joe", "", "'quoted"] {
            assert_eq!(formula_safe(cell), cell);
        }
    }

    #[test]
    fn the_guard_comes_off_again() {
        for cell in ["=1+1", "+447700900123", "Joe"] {
            assert_eq!(without_formula_guard(&formula_safe(cell)), cell);
        }
    }
}
