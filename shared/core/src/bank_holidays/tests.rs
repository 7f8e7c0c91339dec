//! Each nation's bank holidays against GOV.UK's published lists, 2018 to
//! 2027, and the rules' corners: substitutes, moved and added days.

use chrono::NaiveDate;

use super::*;

/// GOV.UK's lists (gov.uk/bank-holidays), as `MM-DD` per year.
const ENGLAND_AND_WALES: [(i32, &[&str]); 10] = [
    (
        2018,
        &[
            "01-01", "03-30", "04-02", "05-07", "05-28", "08-27", "12-25", "12-26",
        ],
    ),
    (
        2019,
        &[
            "01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26",
        ],
    ),
    (
        2020,
        &[
            "01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28",
        ],
    ),
    (
        2021,
        &[
            "01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28",
        ],
    ),
    (
        2022,
        &[
            "01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26",
            "12-27",
        ],
    ),
    (
        2023,
        &[
            "01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26",
        ],
    ),
    (
        2024,
        &[
            "01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26",
        ],
    ),
    (
        2025,
        &[
            "01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26",
        ],
    ),
    (
        2026,
        &[
            "01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28",
        ],
    ),
    (
        2027,
        &[
            "01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28",
        ],
    ),
];

const SCOTLAND: [(i32, &[&str]); 10] = [
    (
        2018,
        &[
            "01-01", "01-02", "03-30", "05-07", "05-28", "08-06", "11-30", "12-25", "12-26",
        ],
    ),
    (
        2019,
        &[
            "01-01", "01-02", "04-19", "05-06", "05-27", "08-05", "12-02", "12-25", "12-26",
        ],
    ),
    (
        2020,
        &[
            "01-01", "01-02", "04-10", "05-08", "05-25", "08-03", "11-30", "12-25", "12-28",
        ],
    ),
    (
        2021,
        &[
            "01-01", "01-04", "04-02", "05-03", "05-31", "08-02", "11-30", "12-27", "12-28",
        ],
    ),
    (
        2022,
        &[
            "01-03", "01-04", "04-15", "05-02", "06-02", "06-03", "08-01", "09-19", "11-30",
            "12-26", "12-27",
        ],
    ),
    (
        2023,
        &[
            "01-02", "01-03", "04-07", "05-01", "05-08", "05-29", "08-07", "11-30", "12-25",
            "12-26",
        ],
    ),
    (
        2024,
        &[
            "01-01", "01-02", "03-29", "05-06", "05-27", "08-05", "12-02", "12-25", "12-26",
        ],
    ),
    (
        2025,
        &[
            "01-01", "01-02", "04-18", "05-05", "05-26", "08-04", "12-01", "12-25", "12-26",
        ],
    ),
    (
        2026,
        &[
            "01-01", "01-02", "04-03", "05-04", "05-25", "08-03", "11-30", "12-25", "12-28",
        ],
    ),
    (
        2027,
        &[
            "01-01", "01-04", "03-26", "05-03", "05-31", "08-02", "11-30", "12-27", "12-28",
        ],
    ),
];

const NORTHERN_IRELAND: [(i32, &[&str]); 10] = [
    (
        2018,
        &[
            "01-01", "03-19", "03-30", "04-02", "05-07", "05-28", "07-12", "08-27", "12-25",
            "12-26",
        ],
    ),
    (
        2019,
        &[
            "01-01", "03-18", "04-19", "04-22", "05-06", "05-27", "07-12", "08-26", "12-25",
            "12-26",
        ],
    ),
    (
        2020,
        &[
            "01-01", "03-17", "04-10", "04-13", "05-08", "05-25", "07-13", "08-31", "12-25",
            "12-28",
        ],
    ),
    (
        2021,
        &[
            "01-01", "03-17", "04-02", "04-05", "05-03", "05-31", "07-12", "08-30", "12-27",
            "12-28",
        ],
    ),
    (
        2022,
        &[
            "01-03", "03-17", "04-15", "04-18", "05-02", "06-02", "06-03", "07-12", "08-29",
            "09-19", "12-26", "12-27",
        ],
    ),
    (
        2023,
        &[
            "01-02", "03-17", "04-07", "04-10", "05-01", "05-08", "05-29", "07-12", "08-28",
            "12-25", "12-26",
        ],
    ),
    (
        2024,
        &[
            "01-01", "03-18", "03-29", "04-01", "05-06", "05-27", "07-12", "08-26", "12-25",
            "12-26",
        ],
    ),
    (
        2025,
        &[
            "01-01", "03-17", "04-18", "04-21", "05-05", "05-26", "07-14", "08-25", "12-25",
            "12-26",
        ],
    ),
    (
        2026,
        &[
            "01-01", "03-17", "04-03", "04-06", "05-04", "05-25", "07-13", "08-31", "12-25",
            "12-28",
        ],
    ),
    (
        2027,
        &[
            "01-01", "03-17", "03-26", "03-29", "05-03", "05-31", "07-12", "08-30", "12-27",
            "12-28",
        ],
    ),
];

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a test date")
}

fn dates(nation: Nation, year: i32) -> Vec<String> {
    bank_holidays(nation, year)
        .iter()
        .map(|h| h.date.format("%m-%d").to_string())
        .collect()
}

fn check(nation: Nation, published: &[(i32, &[&str])]) {
    for (year, days) in published {
        assert_eq!(dates(nation, *year), *days, "{nation} {year}");
    }
}

#[test]
fn england_and_wales_matches_the_published_lists() {
    check(Nation::EnglandAndWales, &ENGLAND_AND_WALES);
}

#[test]
fn scotland_matches_the_published_lists() {
    check(Nation::Scotland, &SCOTLAND);
}

#[test]
fn northern_ireland_matches_the_published_lists() {
    check(Nation::NorthernIreland, &NORTHERN_IRELAND);
}

#[test]
fn a_day_on_a_weekend_gives_the_next_free_weekday() {
    // Christmas on a Sunday, Boxing Day on the Monday: the Tuesday.
    let christmas_2022 = bank_holiday(Nation::EnglandAndWales, date("2022-12-27")).unwrap();
    assert_eq!(christmas_2022.to_string(), "Christmas Day (substitute day)");
    assert_eq!(
        bank_holiday(Nation::EnglandAndWales, date("2022-12-25")),
        None
    );
    // Both on the weekend: Monday and Tuesday, in order.
    let boxing_2021 = bank_holiday(Nation::Scotland, date("2021-12-28")).unwrap();
    assert_eq!(boxing_2021.to_string(), "Boxing Day (substitute day)");
    // New Year's Day and 2 January on a weekend in Scotland.
    let second_2022 = bank_holiday(Nation::Scotland, date("2022-01-04")).unwrap();
    assert_eq!(second_2022.to_string(), "2nd January (substitute day)");
    // New Year's Day on Sunday, 2 January a Monday: the Tuesday.
    let new_year_2023 = bank_holiday(Nation::Scotland, date("2023-01-03")).unwrap();
    assert_eq!(new_year_2023.to_string(), "New Year's Day (substitute day)");
    // St Andrew's Day on a Sunday: the Monday.
    assert!(
        bank_holiday(Nation::Scotland, date("2025-12-01"))
            .unwrap()
            .substitute
    );
    // The Boyne on a Saturday: the Monday.
    assert!(
        bank_holiday(Nation::NorthernIreland, date("2025-07-14"))
            .unwrap()
            .substitute
    );
    // Days without a fixed date never move for a weekend.
    for nation in Nation::ALL {
        for year in 1990..2100 {
            for day in bank_holidays(nation, year) {
                assert!(!is_weekend(day.date), "{nation} {}", day.date);
            }
        }
    }
}

#[test]
fn the_one_off_days_are_in_every_nation() {
    for nation in Nation::ALL {
        for (day, name) in [
            ("2022-06-03", "Platinum Jubilee bank holiday"),
            (
                "2022-09-19",
                "Bank Holiday for the State Funeral of Queen Elizabeth II",
            ),
            (
                "2023-05-08",
                "Bank holiday for the coronation of King Charles III",
            ),
            ("2020-05-08", "Early May bank holiday"),
            ("2022-06-02", "Spring bank holiday"),
        ] {
            assert_eq!(bank_holiday(nation, date(day)).map(|h| h.name), Some(name));
        }
        // The rule's days they replaced are working days.
        assert_eq!(bank_holiday(nation, date("2020-05-04")), None);
        assert_eq!(bank_holiday(nation, date("2022-05-30")), None);
    }
}

#[test]
fn easter_monday_is_not_a_bank_holiday_in_scotland() {
    let monday = date("2026-04-06");
    assert_eq!(
        bank_holiday(Nation::EnglandAndWales, monday).map(|h| h.name),
        Some("Easter Monday")
    );
    assert_eq!(bank_holiday(Nation::Scotland, monday), None);
}

#[test]
fn nations_are_read_as_people_write_them() {
    for (text, nation) in [
        ("England and Wales", Nation::EnglandAndWales),
        ("england", Nation::EnglandAndWales),
        ("WALES", Nation::EnglandAndWales),
        ("England & Wales", Nation::EnglandAndWales),
        ("england-and-wales", Nation::EnglandAndWales),
        ("Scotland", Nation::Scotland),
        ("northern ireland", Nation::NorthernIreland),
        ("northern-ireland", Nation::NorthernIreland),
    ] {
        assert_eq!(text.parse::<Nation>(), Ok(nation), "{text}");
    }
    let error = "France".parse::<Nation>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "\"France\" is not a part of the UK with its own bank holidays: write England and \
         Wales (or England, or Wales), Scotland or Northern Ireland"
    );
    assert!("Ireland".parse::<Nation>().is_err());
    assert!("".parse::<Nation>().is_err());
}
