//! What copy and paste and spreadsheets do to the values people upload, and
//! the fixed-width digits we write back.

/// A space of any kind: Unicode whitespace (the non-breaking space a copy
/// from a web page brings) and the zero-width characters that survive a paste.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{180E}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
}

/// Writes `value` into `slot` as zero-padded decimal digits, right-aligned.
/// The fixed-width forms we write (NHS number, E.164, ISO date) need no allocation.
pub(crate) fn write_digits(slot: &mut [u8], mut value: u64) {
    for b in slot.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `s` without spaces of any kind at either end.
pub(crate) fn trim_spaces(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `9.43477E+09`: what Excel shows, and saves to CSV, for a long number in a
/// General column. The digits are gone, so the only fix is a new export.
pub(crate) fn is_scientific_notation(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::is_scientific_notation;

    #[test]
    fn recognises_excel_scientific_notation_only() {
        for damaged in ["9.43477E+09", "7.7009e+09", "9E+9", "9.4E9"] {
            assert!(is_scientific_notation(damaged), "{damaged}");
        }
        for other in [
            "E+09",
            ".E+09",
            "9434765919",
            "Eve",
            "9.4E+",
            "07700 900123",
        ] {
            assert!(!is_scientific_notation(other), "{other}");
        }
    }
}
