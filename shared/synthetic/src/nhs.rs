//! NHS numbers from the test range `999 000 0000`–`999 999 9999` only, which
//! NHS England keeps out of issue; no real patient's number is ever produced.

use crate::rng::SplitMix64;
use crate::text::push_number;

/// The modulus 11 check digit for the first nine digits of an NHS number
/// (each `0..=9`), or `None` when the number can never be valid.
///
/// Weights 10 down to 2; check = 11 − (sum mod 11), where 11 becomes 0 and 10
/// means no number with these nine digits is issued.
pub fn nhs_check_digit(first9: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first9
        .iter()
        .zip((2..=10u32).rev())
        .map(|(&digit, weight)| u32::from(digit) * weight)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        check => Some(check as u8),
    }
}

/// The numbers after the `999` prefix and before the check digit: `000000`
/// to `999999`. About 10 in 11 of them have a valid check digit.
const STEMS: u32 = 1_000_000;
const RANGE_START: u64 = 999_000_000;
/// How many stems have a valid check digit.
pub(crate) const VALID_TEST_NUMBERS: u64 = 909_091;

/// A valid ten-digit NHS number from the 999 test range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TestNhsNumber(u64);

impl TestNhsNumber {
    /// `None` where the stem's check digit would be 10.
    fn from_stem(stem: u32) -> Option<Self> {
        let first_nine = RANGE_START + u64::from(stem);
        let check = nhs_check_digit(&digits_of(first_nine))?;
        Some(Self(first_nine * 10 + u64::from(check)))
    }

    pub(crate) fn value(self) -> u64 {
        self.0
    }
}

fn digits_of(first_nine: u64) -> [u8; 9] {
    let mut digits = [0u8; 9];
    let mut rest = first_nine;
    for digit in digits.iter_mut().rev() {
        *digit = (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

/// Hands out the valid numbers of the test range in an order shuffled by the
/// seed, each once, so that no two rows share a number by accident.
///
/// The range holds only [`VALID_TEST_NUMBERS`]; after that there are none.
pub(crate) struct UniqueNhsNumbers {
    round_keys: [u32; 4],
    position: u32,
}

impl UniqueNhsNumbers {
    pub(crate) fn new(rng: &mut SplitMix64) -> Self {
        let round_keys = [0; 4].map(|_: u32| rng.next_u64() as u32);
        Self {
            round_keys,
            position: 0,
        }
    }

    /// The next unused number, or `None` once the range is used up.
    pub(crate) fn next_number(&mut self) -> Option<TestNhsNumber> {
        while self.position < STEMS {
            let stem = self.shuffled(self.position);
            self.position += 1;
            if let Some(number) = TestNhsNumber::from_stem(stem) {
                return Some(number);
            }
        }
        None
    }

    /// A keyed permutation of `0..1_000_000`: a four-round Feistel network
    /// on the two halves `0..1000`, so every stem comes up exactly once.
    fn shuffled(&self, index: u32) -> u32 {
        let (mut left, mut right) = (index / 1000, index % 1000);
        for key in self.round_keys {
            let mixed = u64::from(right ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let round = ((mixed >> 32) % 1000) as u32;
            (left, right) = (right, (left + round) % 1000);
        }
        left * 1000 + right
    }
}

/// How a good NHS number is laid out.
#[derive(Clone, Copy)]
pub(crate) enum NhsShape {
    /// `9991234567`
    Plain,
    /// `999 123 4567`
    Spaced,
    /// `999-123-4567`
    Hyphenated,
}

impl NhsShape {
    pub(crate) fn random(rng: &mut SplitMix64) -> Self {
        rng.pick_weighted(&[(80, Self::Plain), (12, Self::Spaced), (8, Self::Hyphenated)])
    }
}

/// Appends a ten-digit number (valid or not) in `shape`.
pub(crate) fn push_nhs(buf: &mut Vec<u8>, ten_digits: u64, shape: NhsShape) {
    let separator = match shape {
        NhsShape::Plain => {
            push_number(buf, ten_digits, 10);
            return;
        }
        NhsShape::Spaced => b' ',
        NhsShape::Hyphenated => b'-',
    };
    push_number(buf, ten_digits / 10_000_000, 3);
    buf.push(separator);
    push_number(buf, ten_digits / 10_000 % 1000, 3);
    buf.push(separator);
    push_number(buf, ten_digits % 10_000, 4);
}

/// The number with any other check digit: right shape, fails the check.
pub(crate) fn push_wrong_check_digit(
    buf: &mut Vec<u8>,
    number: TestNhsNumber,
    rng: &mut SplitMix64,
) {
    let right = number.value() % 10;
    let wrong = (right + 1 + u64::from(rng.below(9))) % 10;
    push_nhs(buf, number.value() - right + wrong, NhsShape::random(rng));
}

/// What a spreadsheet shows after treating the number as a quantity:
/// `9991234567` becomes `9.99123E+09` and the last four digits are lost.
pub(crate) fn push_spreadsheet_scientific(buf: &mut Vec<u8>, number: TestNhsNumber) {
    let six_significant = (number.value() + 5_000) / 10_000;
    if six_significant == 1_000_000 {
        buf.extend_from_slice(b"1E+10");
        return;
    }
    let mut fraction = six_significant % 100_000;
    let mut fraction_digits = 5;
    while fraction_digits > 0 && fraction.is_multiple_of(10) {
        fraction /= 10;
        fraction_digits -= 1;
    }
    push_number(buf, six_significant / 100_000, 1);
    if fraction_digits > 0 {
        buf.push(b'.');
        push_number(buf, fraction, fraction_digits);
    }
    buf.extend_from_slice(b"E+09");
}

/// Nine digits: the check digit was cut off.
pub(crate) fn push_too_short(buf: &mut Vec<u8>, number: TestNhsNumber) {
    push_number(buf, number.value() / 10, 9);
}

/// One digit after the `999` typed as a look-alike or stray letter.
pub(crate) fn push_with_letter(buf: &mut Vec<u8>, number: TestNhsNumber, rng: &mut SplitMix64) {
    let start = buf.len();
    push_number(buf, number.value(), 10);
    let at = start + 3 + rng.below(7) as usize;
    buf[at] = match buf[at] {
        b'0' => b'O',
        b'1' => b'I',
        b'5' => b'S',
        b'8' => b'B',
        _ => rng.pick(b"ACEKNRTXY"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_known_numbers() {
        // 943 476 5919 is the NHS Data Dictionary's worked example.
        assert_eq!(nhs_check_digit(&[9, 4, 3, 4, 7, 6, 5, 9, 1]), Some(9));
        // Remainder 0: 11 - 0 = 11, written as 0.
        assert_eq!(nhs_check_digit(&[0; 9]), Some(0));
        // Sum 12, remainder 1: 11 - 1 = 10, never valid.
        assert_eq!(nhs_check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 6]), None);
    }

    #[test]
    fn the_shuffle_visits_every_stem_once() {
        let numbers = UniqueNhsNumbers::new(&mut SplitMix64::new(3));
        let mut seen = vec![false; STEMS as usize];
        for index in 0..STEMS {
            let stem = numbers.shuffled(index) as usize;
            assert!(!seen[stem], "stem {stem} came up twice");
            seen[stem] = true;
        }
    }

    #[test]
    fn every_valid_test_number_is_handed_out_once_then_none() {
        let mut numbers = UniqueNhsNumbers::new(&mut SplitMix64::new(11));
        let mut handed_out = 0;
        while let Some(number) = numbers.next_number() {
            assert_eq!(number.value() / 10_000_000, 999);
            handed_out += 1;
        }
        assert_eq!(handed_out, VALID_TEST_NUMBERS);
        assert_eq!(numbers.next_number(), None);
    }

    #[test]
    fn spreadsheet_damage_keeps_six_significant_figures() {
        let shown = |value| {
            let mut buf = Vec::new();
            push_spreadsheet_scientific(&mut buf, TestNhsNumber(value));
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(shown(9_991_234_567), "9.99123E+09");
        assert_eq!(shown(9_991_235_000), "9.99124E+09");
        assert_eq!(shown(9_990_000_011), "9.99E+09");
        assert_eq!(shown(9_999_999_999), "1E+10");
    }

    #[test]
    fn shapes_group_three_three_four() {
        let mut buf = Vec::new();
        push_nhs(&mut buf, 9_990_012_340, NhsShape::Spaced);
        buf.push(b'|');
        push_nhs(&mut buf, 9_990_012_340, NhsShape::Hyphenated);
        assert_eq!(buf, b"999 001 2340|999-001-2340");
    }
}
