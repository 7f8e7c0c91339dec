//! A spreadsheet cell as a person reads it: what goes into a text must be
//! what the practice saw in the cell, not the number Excel stores under it
//! ("1899-12-31 10:30:00" for a time, 12.5 for "£12.50").
//!
//! The cell's number format decides, written UK style: dates day first with
//! the year in full (a two-digit year is ambiguous in a text and is not a
//! date of birth), times on the 24-hour clock unless the format asks for
//! AM/PM. Numbers without a format (NHS numbers and mobiles typed into a
//! General column) stay their digits; thousands separators are written for
//! currency only, so a number column never gains commas a parser trips on.

use calamine::{Data, ExcelDateTime, ExcelDateTimeType};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// How a number format shows a value, reduced to what a text needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Shown {
    General,
    Date {
        month: Month,
        clock: Option<Clock>,
    },
    Time(Clock),
    Duration,
    Currency {
        symbol: String,
        decimals: usize,
    },
    Percent {
        decimals: usize,
    },
    Decimals(usize),
    /// Digit slots (`0`) with literal separators, as "00000000000" keeps a
    /// mobile's leading zero or "000 000 0000" groups an NHS number.
    Digits(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Month {
    Digits,
    Short,
    Long,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Clock {
    seconds: bool,
    twelve_hour: bool,
}

impl Shown {
    /// Reads an Excel number format code (its first, positive section).
    pub(super) fn from_format_code(code: &str) -> Self {
        let mut plain = String::new();
        let mut symbol: Option<String> = None;
        let mut duration = false;
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                ';' => break,
                '"' => {
                    let literal: String = chars.by_ref().take_while(|&c| c != '"').collect();
                    symbol = symbol.or_else(|| currency_in(&literal));
                }
                '\\' => {
                    if let Some(next) = chars.next() {
                        symbol = symbol.or_else(|| currency_in(&next.to_string()));
                    }
                }
                '_' | '*' => {
                    chars.next();
                }
                '[' => {
                    let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    if let Some(currency) = inner.strip_prefix('$') {
                        let text = currency.split('-').next().unwrap_or_default();
                        if !text.is_empty() {
                            symbol = Some(text.to_owned());
                        }
                    } else if inner
                        .chars()
                        .all(|c| matches!(c, 'h' | 'H' | 'm' | 'M' | 's' | 'S'))
                        && !inner.is_empty()
                    {
                        duration = true;
                    }
                }
                '£' | '$' | '€' => symbol = Some(c.to_string()),
                other => plain.extend(other.to_lowercase()),
            }
        }
        let plain = plain.trim();
        if duration {
            return Shown::Duration;
        }
        if plain.contains('%') {
            return Shown::Percent {
                decimals: decimals_of(plain),
            };
        }
        if let Some(symbol) = symbol {
            return Shown::Currency {
                symbol,
                decimals: decimals_of(plain),
            };
        }
        if plain.is_empty() || plain == "general" || plain == "@" {
            return Shown::General;
        }
        let twelve_hour = plain.contains("am/pm") || plain.contains("a/p");
        let letters = plain.replace("am/pm", "").replace("a/p", "");
        let is_date = letters.contains(['d', 'y']);
        let is_time = letters.contains(['h', 's']);
        let clock = Clock {
            seconds: letters.contains('s'),
            twelve_hour,
        };
        if is_date {
            let month = if letters.contains("mmmm") && !letters.contains("mmmmm") {
                Month::Long
            } else if letters.contains("mmm") {
                Month::Short
            } else {
                Month::Digits
            };
            return Shown::Date {
                month,
                clock: is_time.then_some(clock),
            };
        }
        if is_time {
            return Shown::Time(clock);
        }
        if !plain
            .chars()
            .all(|c| matches!(c, '0' | '#' | ',' | '.' | '?' | ' ' | '-'))
        {
            return Shown::General;
        }
        if plain.contains('.') {
            return Shown::Decimals(decimals_of(plain));
        }
        let slots: String = plain.chars().filter(|c| !matches!(c, '#' | ',')).collect();
        if slots.matches('0').count() > 1 && slots.starts_with('0') {
            Shown::Digits(slots)
        } else {
            Shown::General
        }
    }

    /// The cell as the format shows it; `None` when the format does not
    /// change how this value is written.
    pub(super) fn render(&self, cell: &Data) -> Option<String> {
        let number = match cell {
            Data::Float(f) => *f,
            Data::Int(i) => *i as f64,
            Data::DateTime(dt) => return Some(self.render_date_time(dt)),
            _ => return None,
        };
        match self {
            Shown::General => None,
            Shown::Date { .. } | Shown::Time(_) | Shown::Duration => {
                let dt = ExcelDateTime::new(number, ExcelDateTimeType::DateTime, false);
                Some(self.render_date_time(&dt))
            }
            Shown::Currency { symbol, decimals } => {
                let sign = if number < 0.0 { "-" } else { "" };
                let fixed = format!("{:.*}", decimals, number.abs());
                let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
                let point = if fraction.is_empty() { "" } else { "." };
                Some(format!(
                    "{sign}{symbol}{}{point}{fraction}",
                    thousands(whole)
                ))
            }
            Shown::Percent { decimals } => Some(format!("{:.*}%", decimals, number * 100.0)),
            Shown::Decimals(decimals) => Some(format!("{:.*}", decimals, number)),
            Shown::Digits(pattern) => {
                if number.fract() != 0.0 || !(0.0..1e15).contains(&number) {
                    return None;
                }
                Some(fill_digits(pattern, &format!("{number:.0}")))
            }
        }
    }

    fn render_date_time(&self, dt: &ExcelDateTime) -> String {
        if dt.is_duration() || *self == Shown::Duration {
            return dt
                .as_duration()
                .map_or_else(|| dt.as_f64().to_string(), duration_text);
        }
        let Some(at) = dt.as_datetime() else {
            return dt.as_f64().to_string();
        };
        match self {
            Shown::Date { month, clock } => {
                let date = date_text(at.date(), *month);
                match clock {
                    Some(clock) => format!("{date} {}", clock_text(at.time(), *clock)),
                    None => date,
                }
            }
            Shown::Time(clock) => clock_text(at.time(), *clock),
            _ => default_date_time(at, dt.as_f64()),
        }
    }
}

/// A date or time cell whose format is not known (ods, xls): the date day
/// first, the time if it has one, a time alone if there is no date.
pub(super) fn default_date_time(at: NaiveDateTime, serial: f64) -> String {
    if (0.0..1.0).contains(&serial) {
        clock_text(at.time(), default_clock(at))
    } else {
        date_and_time_text(at)
    }
}

/// The date day first, and the time unless it is midnight.
fn date_and_time_text(at: NaiveDateTime) -> String {
    let date = date_text(at.date(), Month::Digits);
    match at.time() == NaiveTime::MIN {
        true => date,
        false => format!("{date} {}", clock_text(at.time(), default_clock(at))),
    }
}

/// Seconds only when there are some, on the 24-hour clock.
fn default_clock(at: NaiveDateTime) -> Clock {
    Clock {
        seconds: at.second() != 0,
        twelve_hour: false,
    }
}

/// OpenDocument's ISO dates ("2026-12-01", "2026-12-01T10:30:00") and times
/// ("PT10H30M00S") as a UK reader writes them.
pub(super) fn iso_text(iso: &str) -> Option<String> {
    if let Ok(date) = NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        return Some(date_text(date, Month::Digits));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(date_and_time_text(at));
    }
    let rest = iso.strip_prefix("PT")?;
    let (hours, rest) = rest.split_once('H')?;
    let (minutes, rest) = rest.split_once('M')?;
    let seconds = rest.strip_suffix('S')?;
    let (hours, minutes): (u64, u64) = (hours.parse().ok()?, minutes.parse().ok()?);
    let seconds: f64 = seconds.parse().ok()?;
    let seconds = seconds.round() as u64;
    Some(if seconds == 0 {
        format!("{hours:02}:{minutes:02}")
    } else {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    })
}

fn currency_in(text: &str) -> Option<String> {
    text.chars()
        .find(|c| matches!(c, '£' | '$' | '€'))
        .map(String::from)
}

fn decimals_of(plain: &str) -> usize {
    plain.split_once('.').map_or(0, |(_, after)| {
        after.chars().take_while(|c| *c == '0').count()
    })
}

fn thousands(whole: &str) -> String {
    let mut out = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Digits into the pattern's `0` slots from the right; digits beyond the
/// slots go in front, as Excel shows them.
fn fill_digits(pattern: &str, digits: &str) -> String {
    let slots = pattern.matches('0').count();
    let padded = format!("{digits:0>slots$}");
    let (extra, fitted) = padded.split_at(padded.len() - slots);
    let mut fitted = fitted.chars();
    let mut out = String::from(extra);
    for c in pattern.chars() {
        if c == '0' {
            out.extend(fitted.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn date_text(date: NaiveDate, month: Month) -> String {
    let format = match month {
        Month::Digits => "%d/%m/%Y",
        Month::Short => "%-d %b %Y",
        Month::Long => "%-d %B %Y",
    };
    date.format(format).to_string()
}

fn clock_text(time: NaiveTime, clock: Clock) -> String {
    let format = match (clock.twelve_hour, clock.seconds) {
        (false, false) => "%H:%M",
        (false, true) => "%H:%M:%S",
        (true, false) => "%-I:%M%P",
        (true, true) => "%-I:%M:%S%P",
    };
    time.format(format).to_string()
}

fn duration_text(duration: chrono::Duration) -> String {
    let seconds = duration.num_seconds();
    let (sign, seconds) = if seconds < 0 {
        ("-", -seconds)
    } else {
        ("", seconds)
    };
    format!(
        "{sign}{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A fraction as Excel's General format shows it: at most ten significant
/// digits, so a sum stored as 0.30000000000000004 reads 0.3.
fn general_number(f: f64) -> String {
    if !f.is_finite() || f.abs() >= 1e15 || (f != 0.0 && f.abs() < 1e-9) {
        return f.to_string();
    }
    let whole_digits = (f.abs().log10().floor() as i32 + 1).max(1);
    let decimals = (10 - whole_digits).max(0) as usize;
    let fixed = format!("{f:.decimals$}");
    let trimmed = match fixed.contains('.') {
        true => fixed.trim_end_matches('0').trim_end_matches('.'),
        false => &fixed,
    };
    match trimmed {
        "-0" => "0".to_owned(),
        other => other.to_owned(),
    }
}

/// The text for a cell without a known number format.
pub(super) fn plain_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => iso_text(s).unwrap_or_else(|| s.clone()),
        Data::Int(i) => i.to_string(),
        // NHS and mobile numbers typed into a General column are stored as
        // exact floats; write them back as the digits the user typed.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => general_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => Shown::General.render_date_time(dt),
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: Clock = Clock {
        seconds: false,
        twelve_hour: false,
    };

    #[test]
    fn format_codes_are_read_as_excel_shows_them() {
        for (code, shown) in [
            ("General", Shown::General),
            ("@", Shown::General),
            (
                "mm-dd-yy",
                Shown::Date {
                    month: Month::Digits,
                    clock: None,
                },
            ),
            (
                "d mmm yyyy",
                Shown::Date {
                    month: Month::Short,
                    clock: None,
                },
            ),
            (
                "dddd, d mmmm yyyy",
                Shown::Date {
                    month: Month::Long,
                    clock: None,
                },
            ),
            (
                "dd/mm/yyyy hh:mm",
                Shown::Date {
                    month: Month::Digits,
                    clock: Some(CLOCK),
                },
            ),
            ("h:mm", Shown::Time(CLOCK)),
            (
                "h:mm AM/PM",
                Shown::Time(Clock {
                    seconds: false,
                    twelve_hour: true,
                }),
            ),
            ("[h]:mm:ss", Shown::Duration),
            (
                "[$£-809]#,##0.00",
                Shown::Currency {
                    symbol: "£".into(),
                    decimals: 2,
                },
            ),
            (
                "\"£\"#,##0.00;[Red]\\-\"£\"#,##0.00",
                Shown::Currency {
                    symbol: "£".into(),
                    decimals: 2,
                },
            ),
            (
                "£#,##0",
                Shown::Currency {
                    symbol: "£".into(),
                    decimals: 0,
                },
            ),
            ("0%", Shown::Percent { decimals: 0 }),
            ("0.00%", Shown::Percent { decimals: 2 }),
            ("0.00", Shown::Decimals(2)),
            ("#,##0", Shown::General),
            ("0", Shown::General),
            ("00000000000", Shown::Digits("00000000000".into())),
            ("000 000 0000", Shown::Digits("000 000 0000".into())),
        ] {
            assert_eq!(Shown::from_format_code(code), shown, "{code}");
        }
    }

    #[test]
    fn numbers_are_written_as_their_format_shows_them() {
        let show =
            |code: &str, value: f64| Shown::from_format_code(code).render(&Data::Float(value));
        assert_eq!(show("[$£-809]#,##0.00", 12.5).as_deref(), Some("£12.50"));
        assert_eq!(show("£#,##0.00", 1234.5).as_deref(), Some("£1,234.50"));
        assert_eq!(show("£#,##0.00", -3.0).as_deref(), Some("-£3.00"));
        assert_eq!(show("0%", 0.05).as_deref(), Some("5%"));
        assert_eq!(show("0.0%", 0.125).as_deref(), Some("12.5%"));
        assert_eq!(show("0.00", 2.5).as_deref(), Some("2.50"));
        assert_eq!(
            show("00000000000", 7700900123.0).as_deref(),
            Some("07700900123")
        );
        assert_eq!(
            show("000 000 0000", 9434765919.0).as_deref(),
            Some("943 476 5919")
        );
        assert_eq!(show("General", 9434765919.0), None);
        assert_eq!(show("#,##0", 9434765919.0), None);
    }

    #[test]
    fn general_fractions_are_written_as_excel_shows_them() {
        for (value, shown) in [
            (0.1 + 0.2, "0.3"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (1234.5678, "1234.5678"),
            (2.0 / 3.0, "0.666666667"),
        ] {
            assert_eq!(plain_text(&Data::Float(value)), shown, "{value}");
        }
    }

    #[test]
    fn opendocument_dates_and_times_are_written_uk_style() {
        assert_eq!(iso_text("2026-12-01").as_deref(), Some("01/12/2026"));
        assert_eq!(
            iso_text("2026-12-01T10:30:00").as_deref(),
            Some("01/12/2026 10:30")
        );
        assert_eq!(iso_text("PT10H30M00S").as_deref(), Some("10:30"));
        assert_eq!(iso_text("not a date"), None);
    }
}
