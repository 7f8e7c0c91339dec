//! NHS numbers: ten digits, the last a modulus 11 check digit.
//!
//! Written as `9434765919`, or in 3-3-4 groups separated by spaces or hyphens
//! (`943 476 5919`, `943-476-5919`); any Unicode space counts as a space (a
//! non-breaking space survives copy and paste). Surrounding whitespace is ignored.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum NhsNumberError {
    #[error("NHS number is missing")]
    Missing,
    #[error(
        "NHS number was changed by the spreadsheet into a number like 9.43E+09: export the column as text"
    )]
    SpreadsheetDamage,
    #[error("NHS number can only include digits, spaces and hyphens")]
    UnknownCharacter,
    #[error("NHS number must have 10 digits")]
    WrongLength,
    #[error("NHS number must be written as 10 digits, or in groups of 3, 3 and 4")]
    WrongGrouping,
    #[error("NHS number is not valid: the check digit does not match")]
    CheckDigit,
    /// `0000000000`, `9999999999`: every repeated digit passes modulus 11,
    /// and exports use them for "unknown".
    #[error("NHS number is a placeholder (one digit repeated), not a patient's number")]
    Placeholder,
}

/// A valid NHS number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber(u64);

impl fmt::Debug for NhsNumber {
    /// Redacted: an NHS number is patient data and must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(<redacted>)")
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.digits()).expect("ASCII digits"))
    }
}

/// The check digit for nine digits, or `None` where the remainder makes the
/// number unusable (11 − remainder = 10).
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10).rev())
        .map(|(d, weight)| u32::from(*d) * weight)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        digit => Some(digit as u8),
    }
}

impl NhsNumber {
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let trimmed = crate::lexical::trim_spaces(input);
        if trimmed.is_empty() {
            return Err(NhsNumberError::Missing);
        }
        let mut digits = [0u8; 10];
        let mut count = 0;
        let mut separators_at = [0usize; 2];
        let mut separators = 0;
        for c in trimmed.chars() {
            match c {
                '0'..='9' => {
                    if count < 10 {
                        digits[count] = c as u8 - b'0';
                    }
                    count += 1;
                }
                c if c == '-' || crate::lexical::is_space(c) => {
                    if separators < 2 {
                        separators_at[separators] = count;
                    }
                    separators += 1;
                }
                _ => {
                    return Err(if crate::lexical::is_scientific_notation(trimmed) {
                        NhsNumberError::SpreadsheetDamage
                    } else {
                        NhsNumberError::UnknownCharacter
                    });
                }
            }
        }
        if count != 10 {
            return Err(NhsNumberError::WrongLength);
        }
        if separators != 0 && (separators != 2 || separators_at != [3, 6]) {
            return Err(NhsNumberError::WrongGrouping);
        }
        let first_nine: &[u8; 9] = digits[..9].try_into().expect("nine digits");
        if check_digit(first_nine) != Some(digits[9]) {
            return Err(NhsNumberError::CheckDigit);
        }
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(NhsNumberError::Placeholder);
        }
        Ok(Self(digits.iter().fold(0, |n, d| n * 10 + u64::from(*d))))
    }

    /// The NHS number whose first nine digits are `first_nine` (below
    /// 1,000,000,000), with its check digit appended; `None` where no check
    /// digit exists or the result is a placeholder. For making test data.
    pub fn from_first_nine(first_nine: u64) -> Option<Self> {
        if first_nine >= 1_000_000_000 {
            return None;
        }
        let mut digits = [0u8; 9];
        crate::lexical::write_digits(&mut digits, first_nine);
        let digits = digits.map(|d| d - b'0');
        let check = check_digit(&digits)?;
        Self::parse(&format!("{first_nine:09}{check}")).ok()
    }

    pub fn as_u64(&self) -> u64 {
        self.0
    }

    /// The ten digits, as written to files.
    pub fn digits(&self) -> [u8; 10] {
        let mut out = [0; 10];
        crate::lexical::write_digits(&mut out, self.0);
        out
    }
}

impl std::str::FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, NhsNumberError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_written_shapes() {
        for input in [
            "9434765919",
            "943 476 5919",
            "943-476-5919",
            "\u{200b}9434765919",
            " 9434765919 ",
            "943\u{a0}476\u{a0}5919",
        ] {
            assert_eq!(
                NhsNumber::parse(input).map(|n| n.to_string()),
                Ok("9434765919".into()),
                "{input}"
            );
        }
    }

    #[test]
    fn gives_each_fault_its_reason() {
        use NhsNumberError::*;
        let cases = [
            ("", Missing),
            ("   ", Missing),
            ("9.43477E+09", SpreadsheetDamage),
            ("9.43E+9", SpreadsheetDamage),
            ("943476591X", UnknownCharacter),
            ("943476591", WrongLength),
            ("94347659190", WrongLength),
            ("9434 76 5919", WrongGrouping),
            ("943 4765919", WrongGrouping),
            ("9434765918", CheckDigit),
            ("0000000000", Placeholder),
            ("999 999 9999", Placeholder),
        ];
        for (input, reason) in cases {
            assert_eq!(NhsNumber::parse(input), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn remainder_ten_is_never_valid() {
        // 9 9 9 0 0 0 0 0 1: sum = 9*10 + 9*9 + 9*8 + 1*2 = 245, 245 % 11 = 3, check 8.
        assert_eq!(check_digit(&[9, 9, 9, 0, 0, 0, 0, 0, 1]), Some(8));
        assert_eq!(
            NhsNumber::from_first_nine(943_476_591).map(|n| n.as_u64()),
            Some(9_434_765_919)
        );
        assert_eq!(NhsNumber::from_first_nine(0), None, "a placeholder");
        // 1 0 0 0 0 0 0 0 0: sum = 10, 11 - 10 = 1.
        assert_eq!(check_digit(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), Some(1));
        // 0 0 0 0 0 0 0 0 1: sum = 2 → 11 - 2 = 9; 000000006 → 12 → 11-1 = 10 → none.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 6]), None);
        for last in 0..=9u8 {
            assert!(NhsNumber::parse(&format!("000000006{last}")).is_err());
        }
    }

    #[test]
    fn debug_output_never_shows_the_number() {
        let n = NhsNumber::parse("9434765919").expect("valid");
        assert!(!format!("{n:?}").contains("943"));
    }

    proptest::proptest! {
        #[test]
        fn any_ten_digits_with_their_check_digit_are_accepted(first in proptest::array::uniform9(0u8..10)) {
            if let Some(check) = check_digit(&first) {
                let text: String = first.iter().chain([check].iter()).map(|d| char::from(b'0' + d)).collect();
                proptest::prop_assert_eq!(NhsNumber::parse(&text).map(|n| n.to_string()), Ok(text));
            }
        }

        #[test]
        fn any_other_last_digit_is_rejected(first in proptest::array::uniform9(0u8..10), other in 0u8..10) {
            proptest::prop_assume!(check_digit(&first) != Some(other));
            let text: String = first.iter().chain([other].iter()).map(|d| char::from(b'0' + d)).collect();
            proptest::prop_assert_eq!(NhsNumber::parse(&text), Err(NhsNumberError::CheckDigit));
        }

        #[test]
        fn never_panics(input in "\\PC{0,20}") {
            let _ = NhsNumber::parse(&input);
        }
    }
}
