//! Windows closed on one nation's bank holidays: what `contains` says, how
//! waves move off those days with a note saying why, and how the window is
//! written.

use std::num::{NonZeroU32, NonZeroU64};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::bank_holidays::Nation;

fn wall(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a test time")
}

fn uk(text: &str) -> DateTime<Tz> {
    UK.from_local_datetime(&wall(text))
        .single()
        .expect("one UK time")
}

fn now() -> DateTime<Utc> {
    uk("2022-12-01 00:00").with_timezone(&Utc)
}

fn window(spec: &str) -> Window {
    parse_window(spec).expect("test window")
}

fn dues(plan: &WavePlan) -> Vec<String> {
    plan.waves
        .iter()
        .map(|w| w.due_local.format("%a %Y-%m-%d %H:%M").to_string())
        .collect()
}

#[test]
fn a_window_closed_on_bank_holidays_does_not_contain_them() {
    let england = window("weekdays 08:00-18:00 except bank holidays in England");
    let scotland = window("weekdays 08:00-18:00 except bank holidays in Scotland");
    let easter_monday = uk("2026-04-06 10:00");
    assert!(!england.contains(easter_monday));
    assert!(scotland.contains(easter_monday));
    assert!(!england.is_open_on(easter_monday.date_naive()));
    assert!(england.contains(uk("2026-04-07 10:00")));
    // St Andrew's Day is Scotland's alone.
    assert!(!scotland.contains(uk("2026-11-30 10:00")));
    assert!(england.contains(uk("2026-11-30 10:00")));
}

#[test]
fn a_wave_on_easter_monday_in_england_moves_to_the_next_opening() {
    let w = window("weekdays 08:00-18:00 except bank holidays in England and Wales");
    let plan =
        plan_waves(5, &Schedule::At(wall("2026-04-06 09:00")), Some(&w), now()).expect("a plan");
    assert_eq!(dues(&plan), ["Tue 2026-04-07 08:00"]);
    let notes = &plan.waves[0].notes;
    assert_eq!(
        notes[0],
        PlanNote::MovedIntoWindow {
            from: uk("2026-04-06 09:00"),
            to: uk("2026-04-07 08:00"),
        }
    );
    assert_eq!(notes.len(), 2);
    assert_eq!(
        notes[1].to_string(),
        "Monday 6 April 2026 is Easter Monday, a bank holiday in England and Wales: the \
         window is closed that day"
    );
}

#[test]
fn the_same_wave_in_scotland_is_not_moved() {
    let w = window("weekdays 08:00-18:00 except bank holidays in Scotland");
    let plan =
        plan_waves(5, &Schedule::At(wall("2026-04-06 09:00")), Some(&w), now()).expect("a plan");
    assert_eq!(dues(&plan), ["Mon 2026-04-06 09:00"]);
    assert!(plan.waves[0].notes.is_empty());
}

#[test]
fn daily_waves_over_easter_skip_each_nations_own_days() {
    let daily = Schedule::Stagger {
        per_wave: NonZeroU64::new(10).unwrap(),
        every: Interval::Days(NonZeroU32::new(1).unwrap()),
        start: Some(wall("2026-04-02 09:00")),
    };
    let plan = |nation: &str| {
        let w = window(&format!(
            "weekdays 08:00-18:00 except bank holidays in {nation}"
        ));
        plan_waves(40, &daily, Some(&w), now()).expect("a plan")
    };
    let england = plan("England");
    assert_eq!(
        dues(&england),
        [
            "Thu 2026-04-02 09:00",
            "Tue 2026-04-07 09:00",
            "Wed 2026-04-08 09:00",
            "Thu 2026-04-09 09:00"
        ]
    );
    let named: Vec<String> = england.waves[1]
        .notes
        .iter()
        .filter_map(|note| match note {
            PlanNote::BankHoliday { holiday, nation } => {
                assert_eq!(*nation, Nation::EnglandAndWales);
                Some(holiday.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(named, ["Good Friday", "Easter Monday"]);
    assert_eq!(
        dues(&plan("Scotland")),
        [
            "Thu 2026-04-02 09:00",
            "Mon 2026-04-06 09:00",
            "Tue 2026-04-07 09:00",
            "Wed 2026-04-08 09:00"
        ]
    );
    assert_eq!(
        dues(&plan("Northern Ireland"))[1],
        "Tue 2026-04-07 09:00",
        "Easter Monday is a bank holiday in Northern Ireland too"
    );
}

#[test]
fn a_mondays_only_window_over_christmas_looks_past_two_closed_mondays() {
    // Boxing Day 2022 and the New Year's Day substitute are both Mondays.
    let w = window("mon 09:00-17:00 except bank holidays in England");
    let plan =
        plan_waves(1, &Schedule::At(wall("2022-12-24 10:00")), Some(&w), now()).expect("a plan");
    assert_eq!(dues(&plan), ["Mon 2023-01-09 09:00"]);
    assert_eq!(plan.waves[0].notes.len(), 3);
}

#[test]
fn a_window_that_can_never_open_is_still_refused() {
    let mut never = window("weekdays 08:00-18:00 except bank holidays in Scotland");
    never.days = [false; 7];
    assert_eq!(
        plan_waves(1, &Schedule::Now, Some(&never), now()),
        Err(PlanError::WindowNeverOpens(WindowProblem::NoOpenDay))
    );
    assert_eq!(
        parse_window("weekdays 18:00-08:00 except bank holidays in Scotland"),
        Err(WindowError::OpensNotBeforeCloses {
            opens: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            closes: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        })
    );
}

#[test]
fn the_window_is_written_back_as_it_is_read() {
    for (text, nation) in [
        (
            "weekdays 08:00-18:00 except bank holidays in England",
            Nation::EnglandAndWales,
        ),
        (
            "Mon-Fri 09:00-17:00 except bank holidays in Wales",
            Nation::EnglandAndWales,
        ),
        (
            "daily 08:00-20:00 EXCEPT BANK HOLIDAYS IN SCOTLAND",
            Nation::Scotland,
        ),
        (
            "weekdays 08:00-18:00 except bank holidays Northern Ireland",
            Nation::NorthernIreland,
        ),
    ] {
        let w = window(text);
        assert_eq!(w.bank_holidays, Some(nation), "{text}");
        assert_eq!(parse_window(&w.to_string()), Ok(w));
    }
    assert_eq!(
        window("weekdays 08:00-18:00 except bank holidays in Scotland").to_string(),
        "weekdays 08:00-18:00 except bank holidays in Scotland"
    );
    assert_eq!(window("weekdays 08:00-18:00").bank_holidays, None);
}

#[test]
fn an_unclear_exception_is_a_clear_error() {
    let error = parse_window("weekdays 08:00-18:00 except bank holidays in France").unwrap_err();
    assert_eq!(
        error.to_string(),
        "\"france\" is not a part of the UK with its own bank holidays: write England and \
         Wales (or England, or Wales), Scotland or Northern Ireland"
    );
    assert_eq!(
        parse_window("weekdays 08:00-18:00 except bank holidays"),
        Err(WindowError::BankHolidaysWhere)
    );
    assert!(matches!(
        parse_window("weekdays 08:00-18:00 except christmas"),
        Err(WindowError::UnknownException(_))
    ));
}
