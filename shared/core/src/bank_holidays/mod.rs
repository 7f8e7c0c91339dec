//! UK bank holidays, by nation, computed from the rules GOV.UK publishes
//! plus the days moved or added by proclamation, so a sending window can
//! stay shut when clinics' phone lines are.
//!
//! England and Wales, Scotland and Northern Ireland each have their own
//! list:
//!
//! | day | England and Wales | Scotland | Northern Ireland |
//! |---|---|---|---|
//! | New Year's Day, 1 January | yes | yes | yes |
//! | 2 January | | yes | |
//! | St Patrick's Day, 17 March | | | yes |
//! | Good Friday | yes | yes | yes |
//! | Easter Monday | yes | | yes |
//! | Early May, first Monday of May | yes | yes | yes |
//! | Spring, last Monday of May | yes | yes | yes |
//! | Battle of the Boyne, 12 July | | | yes |
//! | Summer | last Monday of August | first Monday of August | last Monday of August |
//! | St Andrew's Day, 30 November | | yes | |
//! | Christmas Day, Boxing Day | yes | yes | yes |
//!
//! A day with a fixed date that falls on a Saturday or Sunday gives a
//! **substitute day**: the next weekday that is not already a bank holiday
//! (Christmas on a Sunday with Boxing Day on the Monday gives the Tuesday).
//!
//! The **one-off changes** since 2018 (see [`one_offs`]) apply across the
//! UK. Years before 2018 are computed from the rules alone, without their
//! one-off days. A day announced in future (a proclamation comes months
//! ahead) must be added to [`one_offs`].

mod one_offs;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A part of the UK with its own bank holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nation {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Nation {
    pub const ALL: [Nation; 3] = [
        Nation::EnglandAndWales,
        Nation::Scotland,
        Nation::NorthernIreland,
    ];

    /// As GOV.UK names it: `England and Wales`.
    pub fn name(self) -> &'static str {
        match self {
            Self::EnglandAndWales => "England and Wales",
            Self::Scotland => "Scotland",
            Self::NorthernIreland => "Northern Ireland",
        }
    }
}

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the three lists.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error(
    "\"{0}\" is not a part of the UK with its own bank holidays: write England and Wales \
     (or England, or Wales), Scotland or Northern Ireland"
)]
pub struct UnknownNation(pub String);

/// Reads `England and Wales` (also `England`, `Wales`, `England & Wales`,
/// `england-and-wales`), `Scotland` or `Northern Ireland`, in any case.
impl FromStr for Nation {
    type Err = UnknownNation;
    fn from_str(s: &str) -> Result<Self, UnknownNation> {
        let words: Vec<String> = s
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words[..] {
            ["england", "and" | "&", "wales"] | ["england"] | ["wales"] => {
                Ok(Self::EnglandAndWales)
            }
            ["scotland"] => Ok(Self::Scotland),
            ["northern", "ireland"] => Ok(Self::NorthernIreland),
            _ => Err(UnknownNation(s.trim().chars().take(60).collect())),
        }
    }
}

/// One bank holiday: its date and GOV.UK's name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub name: &'static str,
    /// A substitute for a day that fell on a weekend.
    pub substitute: bool,
}

impl fmt::Display for BankHoliday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        if self.substitute {
            f.write_str(" (substitute day)")?;
        }
        Ok(())
    }
}

/// The bank holidays of `nation` in `year`, in date order. Empty for a year
/// whose Easter cannot be computed (before 1583 or far in the future).
pub fn bank_holidays(nation: Nation, year: i32) -> Vec<BankHoliday> {
    let Ok(easter) = computus::gregorian(year) else {
        return Vec::new();
    };
    let Some(easter) = NaiveDate::from_ymd_opt(easter.year, easter.month, easter.day) else {
        return Vec::new();
    };
    let scotland = nation == Nation::Scotland;
    let ni = nation == Nation::NorthernIreland;
    let date = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    // (name, date, whether a weekend gives a substitute day)
    let mut rules: Vec<(&'static str, Option<NaiveDate>, bool)> = vec![
        ("New Year's Day", date(1, 1), true),
        ("Good Friday", easter.checked_sub_days(Days::new(2)), false),
        (
            "Early May bank holiday",
            weekday_in(year, 5, Weekday::Mon, Nth::First),
            false,
        ),
        (
            "Spring bank holiday",
            weekday_in(year, 5, Weekday::Mon, Nth::Last),
            false,
        ),
        (
            "Summer bank holiday",
            if scotland {
                weekday_in(year, 8, Weekday::Mon, Nth::First)
            } else {
                weekday_in(year, 8, Weekday::Mon, Nth::Last)
            },
            false,
        ),
        ("Christmas Day", date(12, 25), true),
        ("Boxing Day", date(12, 26), true),
    ];
    if scotland {
        rules.push(("2nd January", date(1, 2), true));
        rules.push(("St Andrew's Day", date(11, 30), true));
    } else {
        rules.push((
            "Easter Monday",
            easter.checked_add_days(Days::new(1)),
            false,
        ));
    }
    if ni {
        rules.push(("St Patrick's Day", date(3, 17), true));
        rules.push(("Battle of the Boyne (Orangemen's Day)", date(7, 12), true));
    }

    let mut days: Vec<BankHoliday> = Vec::new();
    let mut weekend: Vec<(&'static str, NaiveDate)> = Vec::new();
    for (name, date, substituted) in rules {
        let Some(date) = date else { continue };
        let date = one_offs::moved(date).unwrap_or(date);
        if substituted && is_weekend(date) {
            weekend.push((name, date));
        } else {
            days.push(BankHoliday {
                date,
                name,
                substitute: false,
            });
        }
    }
    days.extend(one_offs::added(year, nation));
    // Substitutes go in date order, each on the next free weekday.
    weekend.sort_by_key(|(_, date)| *date);
    for (name, date) in weekend {
        let mut day = date;
        while is_weekend(day) || days.iter().any(|h| h.date == day) {
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        days.push(BankHoliday {
            date: day,
            name,
            substitute: true,
        });
    }
    days.sort_by_key(|h| h.date);
    days
}

/// The bank holiday of `nation` on `date`, if it is one.
pub fn bank_holiday(nation: Nation, date: NaiveDate) -> Option<BankHoliday> {
    bank_holidays(nation, date.year())
        .into_iter()
        .find(|h| h.date == date)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

enum Nth {
    First,
    Last,
}

fn weekday_in(year: i32, month: u32, weekday: Weekday, nth: Nth) -> Option<NaiveDate> {
    match nth {
        Nth::First => NaiveDate::from_weekday_of_month_opt(year, month, weekday, 1),
        Nth::Last => NaiveDate::from_weekday_of_month_opt(year, month, weekday, 5)
            .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, weekday, 4)),
    }
}
