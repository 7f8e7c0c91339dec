//! Dates of birth between 1930 and 2023, in the formats UK exports and
//! spreadsheets produce, and the ways they go wrong.

use crate::rng::SplitMix64;
use crate::text::push_number;

const FIRST_BIRTH_YEAR: u32 = 1930;
const LAST_BIRTH_YEAR: u32 = 2023;
const MONTH_ABBREVIATIONS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    pub(crate) fn random_birth(rng: &mut SplitMix64) -> Self {
        let year = rng.between(FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR);
        Self::random_in_year(rng, year)
    }

    fn random_in_year(rng: &mut SplitMix64, year: u32) -> Self {
        let month = rng.between(1, 12);
        let day = rng.between(1, days_in_month(year, month));
        Self {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }
}

pub(crate) fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

pub(crate) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// How a good date of birth is written; all are read day first.
#[derive(Clone, Copy)]
pub(crate) enum DateShape {
    /// `07/03/1984`
    DayMonthYear,
    /// `7/3/1984`
    Unpadded,
    /// `1984-03-07`
    Iso,
    /// `07-Mar-1984`
    MonthAbbreviation,
    /// `07.03.1984`
    Dotted,
}

impl DateShape {
    pub(crate) fn random(rng: &mut SplitMix64) -> Self {
        rng.pick_weighted(&[
            (70, Self::DayMonthYear),
            (8, Self::Unpadded),
            (10, Self::Iso),
            (7, Self::MonthAbbreviation),
            (5, Self::Dotted),
        ])
    }
}

pub(crate) fn push_date(buf: &mut Vec<u8>, date: Date, shape: DateShape) {
    let (day, month, year) = (
        u64::from(date.day),
        u64::from(date.month),
        u64::from(date.year),
    );
    match shape {
        DateShape::DayMonthYear => push_three_parts(buf, [day, month, year], b'/', 2),
        DateShape::Unpadded => push_three_parts(buf, [day, month, year], b'/', 1),
        DateShape::Dotted => push_three_parts(buf, [day, month, year], b'.', 2),
        DateShape::Iso => {
            push_number(buf, year, 4);
            buf.push(b'-');
            push_number(buf, month, 2);
            buf.push(b'-');
            push_number(buf, day, 2);
        }
        DateShape::MonthAbbreviation => {
            push_number(buf, day, 2);
            buf.push(b'-');
            buf.extend_from_slice(MONTH_ABBREVIATIONS[usize::from(date.month) - 1]);
            buf.push(b'-');
            push_number(buf, year, 4);
        }
    }
}

/// `first{separator}second{separator}year`, the first two padded to `width`.
fn push_three_parts(
    buf: &mut Vec<u8>,
    [first, second, year]: [u64; 3],
    separator: u8,
    width: usize,
) {
    push_number(buf, first, width);
    buf.push(separator);
    push_number(buf, second, width);
    buf.push(separator);
    push_number(buf, year, 4);
}

/// A day the month does not have: `31/02/1990`, `29/02/1991`, `31/04/1975`.
pub(crate) fn push_impossible(buf: &mut Vec<u8>, date: Date, rng: &mut SplitMix64) {
    let (day, month) = rng.pick(&[
        (30, 2),
        (31, 2),
        (29, 2),
        (31, 4),
        (31, 6),
        (31, 9),
        (31, 11),
    ]);
    let mut year = u32::from(date.year);
    if is_leap_year(year) {
        year -= 1;
    }
    push_three_parts(buf, [day, month, u64::from(year)], b'/', 2);
}

/// A real date, but in the 2090s.
pub(crate) fn push_in_future(buf: &mut Vec<u8>, rng: &mut SplitMix64) {
    let year = rng.between(2090, 2099);
    let date = Date::random_in_year(rng, year);
    push_date(buf, date, DateShape::random(rng));
}

/// `12/05/84`: the century is lost.
pub(crate) fn push_two_digit_year(buf: &mut Vec<u8>, date: Date) {
    let (day, month, year) = (
        u64::from(date.day),
        u64::from(date.month),
        u64::from(date.year),
    );
    push_number(buf, day, 2);
    buf.push(b'/');
    push_number(buf, month, 2);
    buf.push(b'/');
    push_number(buf, year % 100, 2);
}

/// Month first, as a US-configured spreadsheet writes it, with a day above
/// 12 so that it cannot be read day first: `05/31/1984`.
pub(crate) fn push_us_order(buf: &mut Vec<u8>, date: Date, rng: &mut SplitMix64) {
    let day = if date.day > 12 {
        u64::from(date.day)
    } else {
        u64::from(rng.between(13, 28))
    };
    push_three_parts(
        buf,
        [u64::from(date.month), day, u64::from(date.year)],
        b'/',
        2,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(date: Date, shape: DateShape) -> String {
        let mut buf = Vec::new();
        push_date(&mut buf, date, shape);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn shapes_match_the_usual_exports() {
        let date = Date {
            year: 1984,
            month: 3,
            day: 7,
        };
        assert_eq!(written(date, DateShape::DayMonthYear), "07/03/1984");
        assert_eq!(written(date, DateShape::Unpadded), "7/3/1984");
        assert_eq!(written(date, DateShape::Iso), "1984-03-07");
        assert_eq!(written(date, DateShape::MonthAbbreviation), "07-Mar-1984");
        assert_eq!(written(date, DateShape::Dotted), "07.03.1984");
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(1984));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(1990));
        assert_eq!(days_in_month(1984, 2), 29);
        assert_eq!(days_in_month(1990, 2), 28);
    }
}
