//! From what people type to the national significant number.
//!
//! Accepts spaces and any Unicode whitespace (including the zero-width ones
//! that survive copy and paste), `( ) - +`, and the prefixes `0`, `44`, `+44`,
//! `0044` and `+44 (0)`. A spreadsheet that dropped the leading 0 leaves `7…`,
//! which is already national. A stray 0 before the country code (`0+44…`,
//! `044…`, `0440…`) is dropped too, as Notify does: no UK number starts
//! `044`, so it can only be a +44 number. `00` before anything but `44`
//! stays an international call (`007…` is not read as `07…`).

use super::MobileError;

/// Enough for any real number; more digits than this is simply too long.
const MAX_DIGITS: usize = 20;

pub(super) struct NationalDigits {
    digits: [u8; MAX_DIGITS],
    start: usize,
    len: usize,
}

impl NationalDigits {
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[self.start..self.len]).expect("ASCII digits")
    }
}

pub(super) fn national_digits(input: &str) -> Result<NationalDigits, MobileError> {
    let mut digits = [0u8; MAX_DIGITS];
    let mut len = 0;
    let mut plus_before_digits = false;
    let mut seen_anything = false;

    for c in input.chars() {
        match c {
            '0'..='9' => {
                if len == MAX_DIGITS {
                    return Err(MobileError::TooLong);
                }
                digits[len] = c as u8;
                len += 1;
                seen_anything = true;
            }
            '+' => {
                plus_before_digits |= len == 0;
                seen_anything = true;
            }
            '(' | ')' | '-' => seen_anything = true,
            c if crate::lexical::is_space(c) => {}
            _ => {
                return Err(
                    if crate::lexical::is_scientific_notation(crate::lexical::trim_spaces(input)) {
                        MobileError::SpreadsheetDamage
                    } else {
                        MobileError::UnknownCharacter
                    },
                );
            }
        }
    }
    if !seen_anything {
        return Err(MobileError::Missing);
    }

    let all = &digits[..len];
    let start = if plus_before_digits {
        if all.starts_with(b"44") {
            2
        } else if all.starts_with(b"044") {
            3 // "+0447…": the stray 0 after the plus
        } else if all.first() == Some(&b'0') {
            0 // "+07700…": a plus typed before a national number
        } else {
            return Err(MobileError::NotUkMobile);
        }
    } else if let Some(rest) = all.strip_prefix(b"00") {
        if rest.starts_with(b"44") {
            4
        } else if rest.first().is_some_and(|d| *d != b'0') {
            return Err(MobileError::NotUkMobile);
        } else {
            0
        }
    } else if all.starts_with(b"44") && len > 10 {
        2 // "447…": the plus lost on the way, often by a spreadsheet
    } else if all.starts_with(b"044") {
        3 // "0+447…", "0447…": a trunk 0 typed before the country code
    } else {
        0
    };
    // Trunk zeros: "07…", "+44 (0)7…", and the stray extra zeros people type.
    let zeros = all[start..].iter().take_while(|d| **d == b'0').count();
    Ok(NationalDigits {
        digits,
        start: start + zeros,
        len,
    })
}
