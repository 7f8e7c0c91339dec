//! Dates of birth, always read day first as UK exports write them.
//!
//! `31/01/1990`, `1/2/1990`, `31-01-1990`, `31.01.1990`, `1990-01-31`,
//! `31-Jan-1990`, `31 Jan 1990` and `31 January 1990`, with an optional
//! midnight time that spreadsheets add (`31/01/1990 00:00`).

use std::fmt;

use chrono::{Datelike, NaiveDate};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DateOfBirthError {
    #[error("Date of birth is missing")]
    Missing,
    #[error("Date of birth is not a date in a recognised format, such as 31/01/1990")]
    Unrecognised,
    #[error("Date of birth needs a 4-digit year, such as 31/01/1990")]
    TwoDigitYear,
    #[error("Date of birth is not a real date (dates are read day first, as in 31/01/1990)")]
    NotARealDate,
    #[error("Date of birth is in the future")]
    InFuture,
    #[error("Date of birth is more than 130 years ago")]
    TooOld,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateOfBirth(NaiveDate);

impl fmt::Debug for DateOfBirth {
    /// Redacted: a date of birth is patient data and must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DateOfBirth(<redacted>)")
    }
}

impl DateOfBirth {
    /// Parses `input` and checks it against `today` (the UK calendar date).
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, DateOfBirthError> {
        let date = parse_uk_date(input)?;
        if date > today {
            return Err(DateOfBirthError::InFuture);
        }
        let oldest = today
            .with_year(today.year() - 130)
            .or_else(|| today.pred_opt().and_then(|d| d.with_year(d.year() - 130)))
            .unwrap_or(NaiveDate::MIN);
        if date < oldest {
            return Err(DateOfBirthError::TooOld);
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// ISO 8601, `YYYY-MM-DD`.
    pub fn iso(&self) -> IsoDate {
        use crate::lexical::write_digits;
        let mut out = *b"0000-00-00";
        write_digits(&mut out[0..4], self.0.year() as u64);
        write_digits(&mut out[5..7], self.0.month().into());
        write_digits(&mut out[8..10], self.0.day().into());
        IsoDate(out)
    }
}

#[derive(Clone, Copy)]
pub struct IsoDate([u8; 10]);

impl IsoDate {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits and hyphens")
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_from_name(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let position = MONTHS.iter().position(|m| {
        *m == lower
            || (lower.len() == 3 && m.starts_with(lower.as_str()))
            || (lower == "sept" && *m == "september")
    })?;
    Some(position as u32 + 1)
}

fn number(part: &str, max_len: usize) -> Option<u32> {
    (!part.is_empty() && part.len() <= max_len && part.bytes().all(|b| b.is_ascii_digit()))
        .then(|| part.parse().ok())
        .flatten()
}

/// Drops a trailing midnight: ` 00:00`, ` 00:00:00`, `T00:00:00`.
fn without_midnight(s: &str) -> &str {
    for suffix in [" 00:00:00", "T00:00:00", " 00:00", "T00:00"] {
        if let Some(date) = s.strip_suffix(suffix) {
            return date.trim_end();
        }
    }
    s
}

fn parse_uk_date(input: &str) -> Result<NaiveDate, DateOfBirthError> {
    let text = without_midnight(crate::lexical::trim_spaces(input));
    if text.is_empty() {
        return Err(DateOfBirthError::Missing);
    }
    let mut parts = text
        .split(|c: char| matches!(c, '/' | '-' | '.') || crate::lexical::is_space(c))
        .filter(|p| !p.is_empty());
    let (Some(first), Some(second), Some(third), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateOfBirthError::Unrecognised);
    };

    let (year, month, day) = if first.len() == 4 {
        let year = number(first, 4).ok_or(DateOfBirthError::Unrecognised)?;
        let month = number(second, 2).ok_or(DateOfBirthError::Unrecognised)?;
        let day = number(third, 2).ok_or(DateOfBirthError::Unrecognised)?;
        (year, month, day)
    } else {
        let day = number(first, 2).ok_or(DateOfBirthError::Unrecognised)?;
        let month = number(second, 2)
            .or_else(|| month_from_name(second))
            .ok_or(DateOfBirthError::Unrecognised)?;
        let year = match third.len() {
            4 => number(third, 4).ok_or(DateOfBirthError::Unrecognised)?,
            2 if number(third, 2).is_some() => return Err(DateOfBirthError::TwoDigitYear),
            _ => return Err(DateOfBirthError::Unrecognised),
        };
        (year, month, day)
    };
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or(DateOfBirthError::NotARealDate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid")
    }

    fn iso(input: &str) -> Result<String, DateOfBirthError> {
        DateOfBirth::parse(input, today()).map(|d| d.iso().as_str().to_owned())
    }

    #[test]
    fn reads_every_uk_shape_day_first() {
        for input in [
            "05/03/1984",
            "5/3/1984",
            "05-03-1984",
            "05.03.1984",
            "1984-03-05",
            "05-Mar-1984",
            "5 Mar 1984",
            "05 March 1984",
            "5-MAR-1984",
            " 05/03/1984 00:00 ",
            "05/03/1984 00:00:00",
            "5\u{a0}Mar\u{a0}1984",
            "\u{200b}05/03/1984",
            "1984-03-05T00:00:00",
        ] {
            assert_eq!(iso(input), Ok("1984-03-05".to_owned()), "{input:?}");
        }
        assert_eq!(iso("5 Sept 1984"), Ok("1984-09-05".to_owned()));
    }

    #[test]
    fn gives_each_fault_its_reason() {
        use DateOfBirthError::*;
        let cases = [
            ("", Missing),
            ("  ", Missing),
            ("31/02/1990", NotARealDate),
            ("05/31/1984", NotARealDate),
            ("12/05/84", TwoDigitYear),
            ("1984", Unrecognised),
            ("yesterday", Unrecognised),
            ("05/Mxx/1984", Unrecognised),
            ("05/03/1984 14:30", Unrecognised),
            ("26/11/2026", InFuture),
            ("01/01/2099", InFuture),
            ("24/11/1896", TooOld),
        ];
        for (input, reason) in cases {
            assert_eq!(iso(input), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn today_and_exactly_130_years_ago_are_accepted() {
        assert_eq!(iso("25/11/2026"), Ok("2026-11-25".to_owned()));
        assert_eq!(iso("25/11/1896"), Ok("1896-11-25".to_owned()));
    }

    #[test]
    fn a_leap_day_birthday_is_a_real_date() {
        assert_eq!(iso("29/02/2000"), Ok("2000-02-29".to_owned()));
        assert_eq!(iso("29/02/2001"), Err(DateOfBirthError::NotARealDate));
    }

    proptest::proptest! {
        #[test]
        fn every_real_date_round_trips_through_each_format(days in 0i64..47_000) {
            let date = today() - chrono::Duration::days(days);
            let (d, m, y) = (date.day(), date.month(), date.year());
            let expected = date.format("%Y-%m-%d").to_string();
            for text in [
                format!("{d:02}/{m:02}/{y}"),
                format!("{d}/{m}/{y}"),
                format!("{d:02}.{m:02}.{y}"),
                format!("{y}-{m:02}-{d:02}"),
                date.format("%d-%b-%Y").to_string(),
                date.format("%-d %B %Y").to_string(),
            ] {
                proptest::prop_assert_eq!(iso(&text), Ok(expected.clone()), "{}", text);
            }
        }

        #[test]
        fn never_panics(input in "\\PC{0,24}") {
            let _ = iso(&input);
        }
    }
}
