//! What a person types on the command line for a schedule: intervals, sending
//! windows and UK times. The `Display` of [`Interval`] and [`Window`] writes
//! them back in the same form.

use std::fmt;
use std::num::NonZeroU32;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use super::london::ClockTime;
use super::{Interval, Window};
use crate::bank_holidays::{Nation, UnknownNation};

const INTERVAL_EXAMPLES: &str = "such as 1d, 2d, 1w, 12h, 30m, 90s or 1h30m";

/// Why a text is not an interval.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum IntervalError {
    #[error("No interval given: write one {INTERVAL_EXAMPLES}")]
    Empty,
    #[error(
        "\"{0}\" is not an interval: write a number and a unit (w, d, h, m or s), {INTERVAL_EXAMPLES}"
    )]
    Unrecognised(String),
    #[error("Months differ in length, so they cannot be an interval: use weeks (4w) or days (28d)")]
    Months,
    #[error("The interval must be longer than zero")]
    Zero,
    #[error("\"{0}\" is too long an interval")]
    TooLong(String),
    #[error(
        "\"{given}\" is a whole number of days: write {days}d, so that each wave goes at the \
         same UK time when the clocks change"
    )]
    WholeDays { given: String, days: u64 },
}

/// Why a text is not a sending window.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum WindowError {
    #[error("No sending window given: write one such as weekdays 08:00-18:00")]
    Empty,
    #[error(
        "Say which days the window is open, then the hours, such as weekdays 08:00-18:00 or \
         daily 09:00-17:00"
    )]
    MissingDays,
    #[error(
        "\"{0}\" is not a day: use mon, tue, wed, thu, fri, sat, sun (or ranges like mon-fri, \
         lists like mon,wed,fri), weekdays, weekends or daily"
    )]
    UnknownDay(String),
    #[error(
        "Give the hours after the days, opening and closing time, such as weekdays 08:00-18:00"
    )]
    MissingHours,
    #[error("\"{0}\" is not a time of day: use the 24-hour clock, such as 08:00 or 17:30")]
    BadTime(String),
    #[error(
        "The window opens at {} but closes at {}: the opening time must come before the closing \
         time (windows over midnight are not supported)",
        ClockTime(*.opens),
        ClockTime(*.closes)
    )]
    OpensNotBeforeCloses { opens: NaiveTime, closes: NaiveTime },
    #[error(
        "A window can leave out bank holidays only: write the days and hours, then except bank \
         holidays in England and Wales, Scotland or Northern Ireland (not \"{0}\")"
    )]
    UnknownException(String),
    #[error(
        "Say whose bank holidays the window leaves out, as they differ: except bank holidays in \
         England and Wales, in Scotland or in Northern Ireland"
    )]
    BankHolidaysWhere,
    #[error(transparent)]
    UnknownNation(#[from] UnknownNation),
}

const UK_TIME_EXAMPLES: &str = "01/12/2026 09:00 or 2026-12-01 09:00 (UK time, 24-hour clock)";

/// Why a text is not a UK date and time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum UkTimeError {
    #[error("No time given: write a date and time such as {UK_TIME_EXAMPLES}")]
    Empty,
    #[error(
        "\"{0}\" is not a date and time in a recognised format: write it as {UK_TIME_EXAMPLES}"
    )]
    Unrecognised(String),
    #[error("\"{0}\" has a date but no time: add the time, such as {UK_TIME_EXAMPLES}")]
    MissingTime(String),
    #[error("\"{0}\" is not a real date (dates are read day first: 01/12/2026 is 1 December 2026)")]
    NotARealDate(String),
    #[error("\"{0}\" is not a real time of day: use the 24-hour clock, such as 09:00 or 14:30")]
    NotARealTime(String),
}

// ---------------------------------------------------------------- intervals

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

impl Unit {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "w" | "wk" | "wks" | "week" | "weeks" => Self::Week,
            "d" | "day" | "days" => Self::Day,
            "h" | "hr" | "hrs" | "hour" | "hours" => Self::Hour,
            "m" | "min" | "mins" | "minute" | "minutes" => Self::Minute,
            "s" | "sec" | "secs" | "second" | "seconds" => Self::Second,
            "ms" => Self::Milli,
            _ => return None,
        })
    }

    fn millis(self) -> u128 {
        match self {
            Self::Week => 7 * 86_400_000,
            Self::Day => 86_400_000,
            Self::Hour => 3_600_000,
            Self::Minute => 60_000,
            Self::Second => 1_000,
            Self::Milli => 1,
        }
    }
}

/// Reads an interval: one or more parts, each a whole number and a unit,
/// largest unit first: `1d`, `2d`, `1w`, `12h`, `30m`, `90s`, `1h30m`,
/// `2 days`. Units: `w` (weeks), `d` (days), `h` (hours), `m` (minutes), `s`
/// (seconds), `ms`; case and spaces do not matter.
///
/// Weeks and days alone make calendar days ([`Interval::Days`]); anything with
/// hours, minutes or seconds is real time ([`Interval::Elapsed`]), where a day
/// counts as 24 hours. Real time that comes to a whole number of days (`24h`)
/// is refused in favour of days.
pub fn parse_interval(input: &str) -> Result<Interval, IntervalError> {
    let text = input.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err(IntervalError::Empty);
    }
    let unrecognised = || IntervalError::Unrecognised(input.trim().to_owned());
    let mut rest = text.as_str();
    let mut last: Option<Unit> = None;
    let mut days: u128 = 0;
    let mut millis: u128 = 0;
    let mut calendar = true;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(unrecognised());
        }
        let number: u128 = rest[..digits]
            .parse()
            .map_err(|_| IntervalError::TooLong(input.trim().to_owned()))?;
        rest = rest[digits..].trim_start();
        let letters = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let word = &rest[..letters];
        rest = rest[letters..].trim_start();
        if matches!(word, "mo" | "mon" | "month" | "months") {
            return Err(IntervalError::Months);
        }
        let unit = Unit::from_word(word).ok_or_else(unrecognised)?;
        if last.is_some_and(|last| unit <= last) {
            return Err(unrecognised());
        }
        last = Some(unit);
        let too_long = || IntervalError::TooLong(input.trim().to_owned());
        match unit {
            Unit::Week => {
                days = number
                    .checked_mul(7)
                    .and_then(|weeks| days.checked_add(weeks))
                    .ok_or_else(too_long)?
            }
            Unit::Day => days = days.checked_add(number).ok_or_else(too_long)?,
            _ => calendar = false,
        }
        millis = number
            .checked_mul(unit.millis())
            .and_then(|part| millis.checked_add(part))
            .ok_or_else(too_long)?;
    }
    if millis == 0 {
        return Err(IntervalError::Zero);
    }
    if calendar {
        return u32::try_from(days)
            .ok()
            .and_then(NonZeroU32::new)
            .map(Interval::Days)
            .ok_or_else(|| IntervalError::TooLong(input.trim().to_owned()));
    }
    if millis.is_multiple_of(Unit::Day.millis()) {
        return Err(IntervalError::WholeDays {
            given: input.trim().to_owned(),
            days: u64::try_from(millis / Unit::Day.millis()).unwrap_or(u64::MAX),
        });
    }
    i64::try_from(millis)
        .ok()
        .and_then(TimeDelta::try_milliseconds)
        .map(Interval::Elapsed)
        .ok_or_else(|| IntervalError::TooLong(input.trim().to_owned()))
}

/// Writes the interval as [`parse_interval`] reads it: `1w`, `3d`, `1h30m`.
/// Parts of a millisecond are left out.
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Days(days) if days.get() % 7 == 0 => write!(f, "{}w", days.get() / 7),
            Self::Days(days) => write!(f, "{days}d"),
            Self::Elapsed(elapsed) => {
                if elapsed <= TimeDelta::zero() {
                    return write!(f, "0s");
                }
                let mut rest = elapsed.num_milliseconds().unsigned_abs();
                let mut wrote = false;
                for (unit, size) in [
                    ("d", 86_400_000),
                    ("h", 3_600_000),
                    ("m", 60_000),
                    ("s", 1_000),
                    ("ms", 1),
                ] {
                    if rest >= size {
                        write!(f, "{}{unit}", rest / size)?;
                        rest %= size;
                        wrote = true;
                    }
                }
                if !wrote {
                    write!(f, "0s")?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------- windows

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(word: &str) -> Option<usize> {
    Some(match word {
        "mon" | "monday" => 0,
        "tue" | "tues" | "tuesday" => 1,
        "wed" | "weds" | "wednesday" => 2,
        "thu" | "thur" | "thurs" | "thursday" => 3,
        "fri" | "friday" => 4,
        "sat" | "saturday" => 5,
        "sun" | "sunday" => 6,
        _ => return None,
    })
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}')
}

/// Reads a sending window: the open days, then the hours.
///
/// Days: `daily`, `weekdays` (Monday to Friday), `weekends`, one day (`mon`,
/// `monday`), a range (`mon-fri`, `sat-sun`; `fri-mon` goes over the weekend)
/// or a list of those (`mon,wed,fri`, `mon-wed,fri`). Hours: opening and
/// closing time on the 24-hour clock, `08:00-18:00` (also `08:00 to 18:00`);
/// the window is open from the opening time up to, not including, the closing
/// time. Then, optionally, `except bank holidays in England and Wales`
/// (`England`, `Wales`, `Scotland`, `Northern Ireland`): closed on that
/// nation's bank holidays.
pub fn parse_window(input: &str) -> Result<Window, WindowError> {
    let text = input.trim().to_lowercase();
    if text.is_empty() {
        return Err(WindowError::Empty);
    }
    let (text, bank_holidays) = match text.split_once(" except ") {
        Some((window, except)) => (window.to_owned(), Some(parse_except(except)?)),
        None => (text, None),
    };
    let Some(hours_at) = text.find(|c: char| c.is_ascii_digit()) else {
        return Err(WindowError::MissingHours);
    };
    let (days_text, hours_text) = text.split_at(hours_at);
    let days = parse_days(days_text.trim())?;
    let (opens, closes) = match hours_text.split_once(is_dash) {
        Some(pair) => pair,
        None => hours_text
            .split_once(" to ")
            .ok_or(WindowError::MissingHours)?,
    };
    let opens =
        parse_clock(opens.trim()).ok_or_else(|| WindowError::BadTime(opens.trim().to_owned()))?;
    let closes =
        parse_clock(closes.trim()).ok_or_else(|| WindowError::BadTime(closes.trim().to_owned()))?;
    if opens >= closes {
        return Err(WindowError::OpensNotBeforeCloses { opens, closes });
    }
    Ok(Window {
        days,
        opens,
        closes,
        bank_holidays,
    })
}

/// `bank holidays in scotland`: the nation whose bank holidays close the
/// window.
fn parse_except(text: &str) -> Result<Nation, WindowError> {
    let text = text.trim();
    let Some(rest) = ["bank holidays", "bank holiday"]
        .iter()
        .find_map(|words| text.strip_prefix(words))
    else {
        return Err(WindowError::UnknownException(
            text.chars().take(60).collect(),
        ));
    };
    let rest = rest.trim();
    let nation = rest.strip_prefix("in ").unwrap_or(rest).trim();
    if nation.is_empty() {
        return Err(WindowError::BankHolidaysWhere);
    }
    Ok(nation.parse()?)
}

fn parse_days(text: &str) -> Result<[bool; 7], WindowError> {
    match text {
        "" => return Err(WindowError::MissingDays),
        "daily" | "every day" | "everyday" | "all week" => return Ok([true; 7]),
        "weekdays" | "weekday" => return Ok([true, true, true, true, true, false, false]),
        "weekends" | "weekend" => return Ok([false, false, false, false, false, true, true]),
        _ => {}
    }
    let mut days = [false; 7];
    for item in text.split(',') {
        let item = item.trim();
        let unknown = |word: &str| WindowError::UnknownDay(word.trim().to_owned());
        match item.split_once(is_dash) {
            Some((from, to)) => {
                let first = day_index(from.trim()).ok_or_else(|| unknown(from))?;
                let last = day_index(to.trim()).ok_or_else(|| unknown(to))?;
                let mut day = first;
                loop {
                    days[day] = true;
                    if day == last {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => days[day_index(item).ok_or_else(|| unknown(item))?] = true,
        }
    }
    Ok(days)
}

/// `8:00`, `08:00` or `08:00:30`.
fn parse_clock(text: &str) -> Option<NaiveTime> {
    let mut parts = text.split(':');
    let hour = two_digits(parts.next()?, 1)?;
    let minute = two_digits(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(second) => two_digits(second, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// One or two ASCII digits (at least `min`).
fn two_digits(text: &str, min: usize) -> Option<u32> {
    if !(min..=2).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Writes the window as [`parse_window`] reads it: `weekdays 08:00-18:00`.
impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.days {
            [true, true, true, true, true, true, true] => f.write_str("daily")?,
            [true, true, true, true, true, false, false] => f.write_str("weekdays")?,
            [false, false, false, false, false, true, true] => f.write_str("weekends")?,
            days if !days.contains(&true) => f.write_str("never")?,
            days => {
                let mut day = 0;
                let mut separator = "";
                while day < 7 {
                    if !days[day] {
                        day += 1;
                        continue;
                    }
                    let mut last = day;
                    while last + 1 < 7 && days[last + 1] {
                        last += 1;
                    }
                    f.write_str(separator)?;
                    f.write_str(DAY_NAMES[day])?;
                    if last > day {
                        write!(f, "-{}", DAY_NAMES[last])?;
                    }
                    separator = ",";
                    day = last + 1;
                }
            }
        }
        write!(f, " {}-{}", ClockTime(self.opens), ClockTime(self.closes))?;
        if let Some(nation) = self.bank_holidays {
            write!(f, " except bank holidays in {nation}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- UK times

/// Reads a UK date and time (Europe/London wall-clock time; whether it exists
/// is for [`super::plan_waves`] to say): `2026-12-01 09:00`,
/// `2026-12-01T09:00`, `01/12/2026 09:00` (day first), with optional seconds.
pub fn parse_uk_time(input: &str) -> Result<NaiveDateTime, UkTimeError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(UkTimeError::Empty);
    }
    let owned = || text.to_owned();
    let (date_text, time_text) = match text.split_once(|c: char| c == 'T' || c.is_whitespace()) {
        Some((date, time)) => (date, time.trim()),
        None => (text, ""),
    };
    let date = parse_date(date_text).ok_or_else(|| UkTimeError::Unrecognised(owned()))??;
    if time_text.is_empty() {
        return Err(UkTimeError::MissingTime(owned()));
    }
    let time = parse_time_shape(time_text).ok_or_else(|| UkTimeError::Unrecognised(owned()))?;
    let time = time.ok_or_else(|| UkTimeError::NotARealTime(owned()))?;
    Ok(date.and_time(time))
}

/// `None` when the shape is not a date; `Some(Err)` when it is one but not a
/// real date.
fn parse_date(text: &str) -> Option<Result<NaiveDate, UkTimeError>> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [a, b, c] = parts[..] else {
        return None;
    };
    let numeric = |part: &str, lengths: &[usize]| {
        (lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    let (year, month, day) = if a.len() == 4 {
        (
            numeric(a, &[4])?,
            numeric(b, &[1, 2])?,
            numeric(c, &[1, 2])?,
        )
    } else {
        (
            numeric(c, &[4])?,
            numeric(b, &[1, 2])?,
            numeric(a, &[1, 2])?,
        )
    };
    Some(
        NaiveDate::from_ymd_opt(year as i32, month, day)
            .ok_or_else(|| UkTimeError::NotARealDate(text.to_owned())),
    )
}

/// `None` when the shape is not a time; `Some(None)` when it is one but not
/// a real time of day.
fn parse_time_shape(text: &str) -> Option<Option<NaiveTime>> {
    let parts: Vec<&str> = text.split(':').collect();
    let numbers = match parts[..] {
        [h, m] => [two_digits(h, 1)?, two_digits(m, 2)?, 0],
        [h, m, s] => [two_digits(h, 1)?, two_digits(m, 2)?, two_digits(s, 2)?],
        _ => return None,
    };
    Some(NaiveTime::from_hms_opt(numbers[0], numbers[1], numbers[2]))
}
