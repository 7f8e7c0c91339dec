//! Bank holidays moved or added by royal proclamation since 2018, as GOV.UK
//! lists them. Each applied to the whole UK.

use chrono::NaiveDate;

use super::{BankHoliday, Nation};

/// A date as year, month, day.
type Ymd = (i32, u32, u32);

/// (the rule's date, the date it moved to)
const MOVED: [(Ymd, Ymd); 2] = [
    // Early May moved from Monday 4 May to Friday 8 May, the 75th
    // anniversary of VE Day.
    ((2020, 5, 4), (2020, 5, 8)),
    // Spring moved from Monday 30 May to Thursday 2 June, for the Platinum
    // Jubilee.
    ((2022, 5, 30), (2022, 6, 2)),
];

/// Days added, with the nations they apply to.
const ADDED: [(Ymd, &str, &[Nation]); 3] = [
    ((2022, 6, 3), "Platinum Jubilee bank holiday", &Nation::ALL),
    (
        (2022, 9, 19),
        "Bank Holiday for the State Funeral of Queen Elizabeth II",
        &Nation::ALL,
    ),
    (
        (2023, 5, 8),
        "Bank holiday for the coronation of King Charles III",
        &Nation::ALL,
    ),
];

fn ymd((year, month, day): Ymd) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a real date in the table")
}

/// Where a rule's day went, if it was moved.
pub(super) fn moved(date: NaiveDate) -> Option<NaiveDate> {
    MOVED
        .iter()
        .find(|(from, _)| ymd(*from) == date)
        .map(|(_, to)| ymd(*to))
}

/// The days added in `year` for `nation`.
pub(super) fn added(year: i32, nation: Nation) -> impl Iterator<Item = BankHoliday> {
    ADDED
        .iter()
        .filter(move |(date, _, nations)| date.0 == year && nations.contains(&nation))
        .map(|(date, name, _)| BankHoliday {
            date: ymd(*date),
            name,
            substitute: false,
        })
}
