//! Wave planning: each rule of the module documentation, across the clock
//! changes of 2026 (29 March, 25 October) and 2027 (28 March, 31 October),
//! and properties of every plan.

use chrono::{TimeZone, Timelike, Weekday};
use proptest::prelude::*;

use super::*;

// ---------------------------------------------------------------- helpers

fn wall(text: &str) -> NaiveDateTime {
    parse_uk_time(text).expect("test time")
}

/// The instant of an unambiguous UK wall-clock time.
fn instant(text: &str) -> DateTime<Utc> {
    UK.from_local_datetime(&wall(text))
        .single()
        .expect("an unambiguous UK time")
        .with_timezone(&Utc)
}

fn utc(text: &str) -> DateTime<Utc> {
    wall(text).and_utc()
}

/// A `now` well before every time used in these tests.
fn early() -> DateTime<Utc> {
    utc("2026-01-01 00:00")
}

fn days(n: u32) -> Interval {
    Interval::Days(NonZeroU32::new(n).expect("non-zero"))
}

fn hours(n: i64) -> Interval {
    Interval::Elapsed(TimeDelta::hours(n))
}

fn stagger(per_wave: u64, every: Interval, start: &str) -> Schedule {
    Schedule::Stagger {
        per_wave: NonZeroU64::new(per_wave).expect("non-zero"),
        every,
        start: Some(wall(start)),
    }
}

fn window(spec: &str) -> Window {
    parse_window(spec).expect("test window")
}

fn planned(recipients: u64, schedule: Schedule, window: Option<&Window>) -> WavePlan {
    plan_waves(recipients, &schedule, window, early()).expect("a plan")
}

/// Each wave as `2026-03-29 02:30 BST`.
fn local(plan: &WavePlan) -> Vec<String> {
    plan.waves
        .iter()
        .map(|w| w.due_local.format("%Y-%m-%d %H:%M %Z").to_string())
        .collect()
}

fn sizes(plan: &WavePlan) -> Vec<(u32, u64, u64)> {
    plan.waves
        .iter()
        .map(|w| (w.number, w.first, w.size))
        .collect()
}

fn notes(plan: &WavePlan) -> Vec<Vec<String>> {
    plan.waves
        .iter()
        .map(|w| w.notes.iter().map(ToString::to_string).collect())
        .collect()
}

fn at_uk(text: &str) -> DateTime<Tz> {
    instant(text).with_timezone(&UK)
}

// ---------------------------------------------------------------- now and at

#[test]
fn now_is_one_wave_of_everyone_due_now() {
    let now = utc("2026-06-10 13:45:12");
    let plan = plan_waves(1234, &Schedule::Now, None, now).unwrap();
    assert_eq!(sizes(&plan), [(1, 0, 1234)]);
    assert_eq!(plan.waves[0].due, now);
    assert_eq!(plan.waves[0].due_local, now.with_timezone(&UK));
    assert!(plan.waves[0].notes.is_empty());
}

#[test]
fn at_is_one_wave_at_that_uk_time_in_winter_and_summer() {
    let winter = planned(10, Schedule::At(wall("2026-12-01 09:00")), None);
    assert_eq!(sizes(&winter), [(1, 0, 10)]);
    assert_eq!(winter.waves[0].due, utc("2026-12-01 09:00"));
    let summer = planned(10, Schedule::At(wall("2026-07-01 09:00")), None);
    assert_eq!(summer.waves[0].due, utc("2026-07-01 08:00"));
    assert_eq!(local(&summer), ["2026-07-01 09:00 BST"]);
}

#[test]
fn nobody_to_send_to_is_an_empty_plan_for_every_schedule() {
    for schedule in [
        Schedule::Now,
        Schedule::At(wall("2026-12-01 09:00")),
        stagger(500, days(1), "2026-12-01 09:00"),
    ] {
        assert_eq!(planned(0, schedule, None).waves, []);
    }
}

// ---------------------------------------------------------------- remainders

#[test]
fn the_last_wave_holds_the_remainder() {
    let plan = planned(1250, stagger(500, days(1), "2026-12-01 09:00"), None);
    assert_eq!(sizes(&plan), [(1, 0, 500), (2, 500, 500), (3, 1000, 250)]);
}

#[test]
fn an_exact_multiple_has_no_short_wave() {
    let plan = planned(1000, stagger(500, days(1), "2026-12-01 09:00"), None);
    assert_eq!(sizes(&plan), [(1, 0, 500), (2, 500, 500)]);
}

#[test]
fn waves_bigger_than_the_list_make_one_wave() {
    let plan = planned(7, stagger(500, days(1), "2026-12-01 09:00"), None);
    assert_eq!(sizes(&plan), [(1, 0, 7)]);
}

#[test]
fn one_a_wave() {
    let plan = planned(3, stagger(1, hours(1), "2026-12-01 09:00"), None);
    assert_eq!(sizes(&plan), [(1, 0, 1), (2, 1, 1), (3, 2, 1)]);
    assert_eq!(
        local(&plan),
        [
            "2026-12-01 09:00 GMT",
            "2026-12-01 10:00 GMT",
            "2026-12-01 11:00 GMT"
        ]
    );
}

#[test]
fn ten_thousand_waves_are_allowed_and_one_more_is_not() {
    let schedule = stagger(
        1,
        Interval::Elapsed(TimeDelta::minutes(1)),
        "2026-12-01 09:00",
    );
    assert_eq!(planned(10_000, schedule, None).waves.len(), 10_000);
    let error = plan_waves(10_001, &schedule, None, early()).unwrap_err();
    assert_eq!(error, PlanError::TooManyWaves { waves: 10_001 });
    assert!(error.to_string().contains("more patients per wave"));
    assert!(error.to_string().contains("longer interval"));
}

// ---------------------------------------------------------------- daily waves and the clocks

/// The four clock changes: the Friday before, and the change day.
const CHANGES: [(&str, &str); 4] = [
    ("2026-03-27", "2026-03-29"),
    ("2026-10-23", "2026-10-25"),
    ("2027-03-26", "2027-03-28"),
    ("2027-10-29", "2027-10-31"),
];

#[test]
fn a_daily_wave_at_nine_stays_at_nine_across_every_clock_change() {
    for (friday, _) in CHANGES {
        let plan = planned(4, stagger(1, days(1), &format!("{friday} 09:00")), None);
        let times: Vec<_> = plan.waves.iter().map(|w| w.due_local.time()).collect();
        assert_eq!(
            times,
            [NaiveTime::from_hms_opt(9, 0, 0).unwrap(); 4],
            "{friday}"
        );
        assert!(plan.waves.iter().all(|w| w.notes.is_empty()), "{friday}");
        // Real time between the Saturday and Sunday waves is 23 or 25 hours.
        let gap = plan.waves[2].due - plan.waves[1].due;
        let expected = if friday.contains("-03-") { 23 } else { 25 };
        assert_eq!(gap, TimeDelta::hours(expected), "{friday}");
    }
}

#[test]
fn spring_forward_2026_daily() {
    let plan = planned(4, stagger(1, days(1), "2026-03-27 09:00"), None);
    assert_eq!(
        local(&plan),
        [
            "2026-03-27 09:00 GMT",
            "2026-03-28 09:00 GMT",
            "2026-03-29 09:00 BST",
            "2026-03-30 09:00 BST"
        ]
    );
    assert_eq!(plan.waves[2].due, utc("2026-03-29 08:00"));
}

#[test]
fn fall_back_2026_daily() {
    let plan = planned(3, stagger(1, days(1), "2026-10-24 09:00"), None);
    assert_eq!(
        local(&plan),
        [
            "2026-10-24 09:00 BST",
            "2026-10-25 09:00 GMT",
            "2026-10-26 09:00 GMT"
        ]
    );
}

#[test]
fn weekly_and_every_other_day_keep_the_clock_time() {
    let weekly = planned(3, stagger(1, days(7), "2026-03-22 09:00"), None);
    assert_eq!(
        local(&weekly),
        [
            "2026-03-22 09:00 GMT",
            "2026-03-29 09:00 BST",
            "2026-04-05 09:00 BST"
        ]
    );
    let other = planned(3, stagger(1, days(2), "2027-10-30 18:30"), None);
    assert_eq!(
        local(&other),
        [
            "2027-10-30 18:30 BST",
            "2027-11-01 18:30 GMT",
            "2027-11-03 18:30 GMT"
        ]
    );
}

// ---------------------------------------------------------------- times that do not exist or happen twice

#[test]
fn a_time_the_clocks_skip_is_moved_on_by_the_gap() {
    for (_, sunday) in CHANGES.iter().step_by(2) {
        let asked = wall(&format!("{sunday} 01:30"));
        let plan = planned(5, Schedule::At(asked), None);
        let used = wall(&format!("{sunday} 02:30"));
        assert_eq!(plan.waves[0].due_local.naive_local(), used);
        assert_eq!(plan.waves[0].due, utc(&format!("{sunday} 01:30")));
        assert_eq!(
            plan.waves[0].notes,
            [PlanNote::DoesNotExist { asked, used }]
        );
    }
    // The edges of the gap.
    let plan = planned(1, Schedule::At(wall("2026-03-29 01:00")), None);
    assert_eq!(local(&plan), ["2026-03-29 02:00 BST"]);
    let plan_before =
        plan_waves(1, &Schedule::At(wall("2026-03-29 00:59")), None, early()).unwrap();
    assert_eq!(local(&plan_before), ["2026-03-29 00:59 GMT"]);
    assert!(plan_before.waves[0].notes.is_empty());
    let plan_after = plan_waves(1, &Schedule::At(wall("2026-03-29 02:00")), None, early()).unwrap();
    assert_eq!(local(&plan_after), ["2026-03-29 02:00 BST"]);
    assert!(plan_after.waves[0].notes.is_empty());
}

#[test]
fn a_time_that_happens_twice_is_taken_the_first_time() {
    for (_, sunday) in CHANGES.iter().skip(1).step_by(2) {
        let asked = wall(&format!("{sunday} 01:30"));
        let plan = planned(5, Schedule::At(asked), None);
        assert_eq!(local(&plan), [format!("{sunday} 01:30 BST")]);
        assert_eq!(plan.waves[0].due, utc(&format!("{sunday} 00:30")));
        assert_eq!(plan.waves[0].notes, [PlanNote::HappensTwice { asked }]);
    }
    // 02:00 is after the change: it happens once, in GMT.
    let plan = planned(1, Schedule::At(wall("2026-10-25 02:00")), None);
    assert_eq!(local(&plan), ["2026-10-25 02:00 GMT"]);
    assert!(plan.waves[0].notes.is_empty());
}

#[test]
fn a_daily_wave_moved_by_the_gap_goes_back_to_the_time_asked_next_day() {
    for (_, sunday) in CHANGES.iter().step_by(2) {
        let saturday = wall(&format!("{sunday} 01:30")) - TimeDelta::days(1);
        let schedule = Schedule::Stagger {
            per_wave: NonZeroU64::new(1).unwrap(),
            every: days(1),
            start: Some(saturday),
        };
        let plan = plan_waves(3, &schedule, None, early()).unwrap();
        let times: Vec<_> = plan
            .waves
            .iter()
            .map(|w| w.due_local.format("%H:%M %Z").to_string())
            .collect();
        assert_eq!(times, ["01:30 GMT", "02:30 BST", "01:30 BST"], "{sunday}");
        let sunday_asked = wall(&format!("{sunday} 01:30"));
        assert_eq!(
            plan.waves[1].notes,
            [PlanNote::DoesNotExist {
                asked: sunday_asked,
                used: sunday_asked + TimeDelta::hours(1)
            }]
        );
        assert!(plan.waves[0].notes.is_empty() && plan.waves[2].notes.is_empty());
    }
}

#[test]
fn a_daily_wave_in_the_repeated_hour_takes_the_first_each_time() {
    for (_, sunday) in CHANGES.iter().skip(1).step_by(2) {
        let saturday = wall(&format!("{sunday} 01:30")) - TimeDelta::days(1);
        let schedule = Schedule::Stagger {
            per_wave: NonZeroU64::new(1).unwrap(),
            every: days(1),
            start: Some(saturday),
        };
        let plan = plan_waves(3, &schedule, None, early()).unwrap();
        let times: Vec<_> = plan
            .waves
            .iter()
            .map(|w| w.due_local.format("%H:%M %Z").to_string())
            .collect();
        assert_eq!(times, ["01:30 BST", "01:30 BST", "01:30 GMT"], "{sunday}");
        assert_eq!(
            plan.waves[1].notes,
            [PlanNote::HappensTwice {
                asked: wall(&format!("{sunday} 01:30"))
            }]
        );
    }
}

#[test]
fn a_start_that_does_not_exist_is_moved_and_noted_on_wave_one() {
    let plan = planned(2, stagger(1, hours(1), "2027-03-28 01:15"), None);
    assert_eq!(
        local(&plan),
        ["2027-03-28 02:15 BST", "2027-03-28 03:15 BST"]
    );
    assert_eq!(
        notes(&plan)[0],
        [
            "01:15 on Sunday 28 March 2027 does not exist in the UK because the clocks go \
          forward an hour, so 02:15 is used"
        ]
    );
}

// ---------------------------------------------------------------- real-time intervals

#[test]
fn every_12_hours_shifts_an_hour_when_the_clocks_go_forward() {
    let plan = planned(4, stagger(1, hours(12), "2026-03-28 09:00"), None);
    assert_eq!(
        local(&plan),
        [
            "2026-03-28 09:00 GMT",
            "2026-03-28 21:00 GMT",
            "2026-03-29 10:00 BST",
            "2026-03-29 22:00 BST"
        ]
    );
    assert!(plan.waves.iter().all(|w| w.notes.is_empty()));
}

#[test]
fn every_12_hours_shifts_an_hour_when_the_clocks_go_back() {
    let plan = planned(4, stagger(1, hours(12), "2027-10-30 09:00"), None);
    assert_eq!(
        local(&plan),
        [
            "2027-10-30 09:00 BST",
            "2027-10-30 21:00 BST",
            "2027-10-31 08:00 GMT",
            "2027-10-31 20:00 GMT"
        ]
    );
}

#[test]
fn every_hour_through_the_repeated_hour_shows_it_twice() {
    let plan = planned(4, stagger(1, hours(1), "2026-10-25 00:30"), None);
    assert_eq!(
        local(&plan),
        [
            "2026-10-25 00:30 BST",
            "2026-10-25 01:30 BST",
            "2026-10-25 01:30 GMT",
            "2026-10-25 02:30 GMT"
        ]
    );
    for pair in plan.waves.windows(2) {
        assert_eq!(pair[1].due - pair[0].due, TimeDelta::hours(1));
    }
}

#[test]
fn every_hour_through_the_skipped_hour_jumps_it() {
    let plan = planned(3, stagger(1, hours(1), "2027-03-28 00:00"), None);
    assert_eq!(
        local(&plan),
        [
            "2027-03-28 00:00 GMT",
            "2027-03-28 02:00 BST",
            "2027-03-28 03:00 BST"
        ]
    );
}

#[test]
fn a_mixed_interval_is_real_time() {
    let every = parse_interval("1d12h").unwrap();
    assert_eq!(every, hours(36));
    let plan = planned(2, stagger(1, every, "2026-03-28 09:00"), None);
    assert_eq!(
        local(&plan),
        ["2026-03-28 09:00 GMT", "2026-03-29 22:00 BST"]
    );
}

// ---------------------------------------------------------------- windows

#[test]
fn daily_at_nine_from_a_friday_on_weekdays_skips_the_weekend_without_drifting() {
    let weekdays = window("weekdays 08:00-18:00");
    let plan = planned(3, stagger(1, days(1), "2026-12-04 09:00"), Some(&weekdays));
    assert_eq!(
        local(&plan),
        [
            "2026-12-04 09:00 GMT",
            "2026-12-07 09:00 GMT",
            "2026-12-08 09:00 GMT"
        ]
    );
    assert_eq!(plan.waves[0].due_local.weekday(), Weekday::Fri);
    assert_eq!(
        plan.waves[1].notes,
        [PlanNote::MovedIntoWindow {
            from: at_uk("2026-12-05 09:00"),
            to: at_uk("2026-12-07 09:00"),
        }]
    );
    assert_eq!(
        notes(&plan)[1],
        [
            "Moved from 09:00 on Saturday 5 December 2026 to 09:00 on Monday 7 December 2026 \
          to fit the sending window"
        ]
    );
    assert!(plan.waves[2].notes.is_empty());
}

#[test]
fn every_two_hours_in_office_hours_starts_again_at_opening_next_day() {
    let hours_8_18 = window("daily 08:00-18:00");
    let plan = planned(
        8,
        stagger(1, hours(2), "2026-12-01 08:00"),
        Some(&hours_8_18),
    );
    assert_eq!(
        local(&plan),
        [
            "2026-12-01 08:00 GMT",
            "2026-12-01 10:00 GMT",
            "2026-12-01 12:00 GMT",
            "2026-12-01 14:00 GMT",
            "2026-12-01 16:00 GMT",
            "2026-12-02 08:00 GMT",
            "2026-12-02 10:00 GMT",
            "2026-12-02 12:00 GMT"
        ]
    );
    assert_eq!(
        plan.waves[5].notes,
        [PlanNote::MovedIntoWindow {
            from: at_uk("2026-12-01 18:00"),
            to: at_uk("2026-12-02 08:00"),
        }]
    );
}

#[test]
fn the_closing_time_is_outside_and_the_opening_time_inside() {
    let w = window("daily 08:00-18:00");
    assert!(w.contains(at_uk("2026-12-01 08:00")));
    assert!(w.contains(at_uk("2026-12-01 17:59:59")));
    assert!(!w.contains(at_uk("2026-12-01 18:00")));
    assert!(!w.contains(at_uk("2026-12-01 07:59:59")));
}

#[test]
fn a_daily_time_before_opening_goes_at_opening_each_day() {
    let w = window("daily 08:00-18:00");
    let plan = planned(3, stagger(1, days(1), "2026-12-01 07:00"), Some(&w));
    assert_eq!(
        local(&plan),
        [
            "2026-12-01 08:00 GMT",
            "2026-12-02 08:00 GMT",
            "2026-12-03 08:00 GMT"
        ]
    );
    assert!(plan.waves.iter().all(|w| w.notes.len() == 1));
}

#[test]
fn a_daily_time_after_closing_goes_at_opening_the_next_open_day() {
    let w = window("weekdays 08:00-18:00");
    let plan = planned(2, stagger(1, days(1), "2026-12-03 19:00"), Some(&w));
    // Thursday 19:00 -> Friday 08:00; then Saturday 19:00 -> Monday 08:00.
    assert_eq!(
        local(&plan),
        ["2026-12-04 08:00 GMT", "2026-12-07 08:00 GMT"]
    );
}

#[test]
fn a_weekly_wave_on_a_closed_day_moves_and_the_next_counts_from_the_move() {
    let w = window("mon,wed,fri 10:00-16:00");
    // Tuesday 11:00 -> Wednesday 11:00; then Wednesday + 7 = Wednesday 11:00.
    let plan = planned(2, stagger(1, days(7), "2026-12-01 11:00"), Some(&w));
    assert_eq!(
        local(&plan),
        ["2026-12-02 11:00 GMT", "2026-12-09 11:00 GMT"]
    );
}

#[test]
fn a_send_at_a_closed_time_goes_when_the_window_next_opens() {
    let w = window("weekdays 08:00-18:00");
    let cases = [
        ("2026-12-05 10:00", "2026-12-07 08:00 GMT"), // Saturday -> Monday opening
        ("2026-12-07 06:00", "2026-12-07 08:00 GMT"), // Monday early -> same day
        ("2026-12-07 19:00", "2026-12-08 08:00 GMT"), // Monday late -> Tuesday
        ("2026-12-04 18:00", "2026-12-07 08:00 GMT"), // Friday at closing -> Monday
        ("2026-12-07 12:00", "2026-12-07 12:00 GMT"), // open: unchanged
    ];
    for (asked, expected) in cases {
        let plan = planned(1, Schedule::At(wall(asked)), Some(&w));
        assert_eq!(local(&plan), [expected], "{asked}");
        assert_eq!(plan.waves[0].notes.is_empty(), asked == "2026-12-07 12:00");
    }
}

#[test]
fn send_now_outside_the_window_waits_for_it() {
    let w = window("weekdays 08:00-18:00");
    let sunday_night = instant("2026-12-06 22:15");
    let plan = plan_waves(9, &Schedule::Now, Some(&w), sunday_night).unwrap();
    assert_eq!(local(&plan), ["2026-12-07 08:00 GMT"]);
    let inside = instant("2026-12-07 09:15");
    let plan = plan_waves(9, &Schedule::Now, Some(&w), inside).unwrap();
    assert_eq!(plan.waves[0].due, inside);
}

#[test]
fn every_90_minutes_in_a_weekend_window() {
    let w = window("sat-sun 10:00-12:00");
    let every = parse_interval("90m").unwrap();
    let plan = planned(4, stagger(1, every, "2026-12-04 09:00"), Some(&w));
    assert_eq!(
        local(&plan),
        [
            "2026-12-05 10:00 GMT",
            "2026-12-05 11:30 GMT",
            "2026-12-06 10:00 GMT",
            "2026-12-06 11:30 GMT"
        ]
    );
}

#[test]
fn a_window_over_the_clock_changes_keeps_its_clock_hours() {
    let w = window("daily 08:00-18:00");
    let plan = planned(4, stagger(1, hours(5), "2026-03-28 08:00"), Some(&w));
    assert_eq!(
        local(&plan),
        [
            "2026-03-28 08:00 GMT",
            "2026-03-28 13:00 GMT",
            "2026-03-29 08:00 BST",
            "2026-03-29 13:00 BST"
        ]
    );
    let plan = plan_waves(
        4,
        &stagger(1, hours(5), "2027-10-30 08:00"),
        Some(&w),
        early(),
    )
    .unwrap();
    assert_eq!(
        local(&plan),
        [
            "2027-10-30 08:00 BST",
            "2027-10-30 13:00 BST",
            "2027-10-31 08:00 GMT",
            "2027-10-31 13:00 GMT"
        ]
    );
}

#[test]
fn a_window_opening_in_the_skipped_hour_opens_when_the_clocks_allow() {
    let w = window("daily 01:00-03:00");
    let plan = planned(1, Schedule::At(wall("2026-03-29 00:30")), Some(&w));
    assert_eq!(local(&plan), ["2026-03-29 02:00 BST"]);
    // Hours wholly inside the skipped hour do not happen that day.
    let w = window("daily 01:00-01:45");
    let plan = planned(1, Schedule::At(wall("2026-03-29 00:30")), Some(&w));
    assert_eq!(local(&plan), ["2026-03-30 01:00 BST"]);
}

#[test]
fn a_daily_time_in_the_skipped_hour_inside_the_window_is_noted_twice_when_moved() {
    let w = window("sun 01:00-03:00");
    // Saturday 01:30 is closed -> Sunday, when 01:30 does not exist -> 02:30.
    let plan = planned(1, stagger(1, days(1), "2026-03-28 01:30"), Some(&w));
    assert_eq!(local(&plan), ["2026-03-29 02:30 BST"]);
    assert_eq!(
        plan.waves[0].notes,
        [
            PlanNote::MovedIntoWindow {
                from: at_uk("2026-03-28 01:30"),
                to: at_uk("2026-03-29 02:30"),
            },
            PlanNote::DoesNotExist {
                asked: wall("2026-03-29 01:30"),
                used: wall("2026-03-29 02:30"),
            },
        ]
    );
}

#[test]
fn moving_within_the_repeated_hour_names_the_clock() {
    let note = PlanNote::MovedIntoWindow {
        from: utc("2026-10-25 00:30").with_timezone(&UK),
        to: at_uk("2026-10-26 08:00"),
    };
    assert_eq!(
        note.to_string(),
        "Moved from 01:30 (BST) on Sunday 25 October 2026 to 08:00 on Monday 26 October 2026 \
         to fit the sending window"
    );
}

#[test]
fn notes_read_as_plain_sentences() {
    let happens_twice = PlanNote::HappensTwice {
        asked: wall("2026-10-25 01:30"),
    };
    assert_eq!(
        happens_twice.to_string(),
        "01:30 on Sunday 25 October 2026 happens twice in the UK because the clocks go back \
         an hour; the first one (British Summer Time) is used"
    );
    let does_not_exist = PlanNote::DoesNotExist {
        asked: wall("2026-03-29 01:30"),
        used: wall("2026-03-29 02:30"),
    };
    assert_eq!(
        does_not_exist.to_string(),
        "01:30 on Sunday 29 March 2026 does not exist in the UK because the clocks go forward \
         an hour, so 02:30 is used"
    );
}

// ---------------------------------------------------------------- start: now and the past

#[test]
fn a_stagger_without_start_starts_now_and_keeps_nows_clock_time_daily() {
    let now = instant("2026-03-28 14:20:05");
    let schedule = Schedule::Stagger {
        per_wave: NonZeroU64::new(10).unwrap(),
        every: days(1),
        start: None,
    };
    let plan = plan_waves(30, &schedule, None, now).unwrap();
    assert_eq!(plan.waves[0].due, now);
    let times: Vec<_> = plan.waves.iter().map(|w| w.due_local.time()).collect();
    assert_eq!(times, [NaiveTime::from_hms_opt(14, 20, 5).unwrap(); 3]);
}

#[test]
fn a_time_in_the_past_is_refused_but_up_to_a_minute_ago_counts_as_now() {
    let now = instant("2026-12-01 09:00:30");
    let at = |text: &str| plan_waves(5, &Schedule::At(wall(text)), None, now);
    // 30 s ago: accepted, due as asked (a wave whose time has come goes at once).
    assert_eq!(
        at("2026-12-01 09:00").unwrap().waves[0].due,
        utc("2026-12-01 09:00")
    );
    // Exactly 60 s ago: accepted.
    assert!(at("2026-12-01 08:59:30").is_ok());
    // 61 s ago: refused.
    let error = at("2026-12-01 08:59:29").unwrap_err();
    assert_eq!(
        error,
        PlanError::InThePast {
            asked: wall("2026-12-01 08:59:29"),
            now: wall("2026-12-01 09:00:30"),
        }
    );
    assert_eq!(
        error.to_string(),
        "08:59:29 on Tuesday 1 December 2026 (UK time) is in the past; it is now 09:00:30 on \
         Tuesday 1 December 2026. Choose a later time, or send now"
    );
    let stagger_error = plan_waves(5, &stagger(1, days(1), "2026-11-30 09:00"), None, now);
    assert!(matches!(stagger_error, Err(PlanError::InThePast { .. })));
}

#[test]
fn a_past_time_that_did_not_exist_is_reported_as_asked() {
    let now = instant("2026-04-01 12:00");
    let error = plan_waves(1, &Schedule::At(wall("2026-03-29 01:30")), None, now).unwrap_err();
    assert_eq!(
        error,
        PlanError::InThePast {
            asked: wall("2026-03-29 01:30"),
            now: wall("2026-04-01 12:00"),
        }
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn a_zero_or_negative_interval_is_refused() {
    for elapsed in [TimeDelta::zero(), TimeDelta::seconds(-5)] {
        let schedule = stagger(1, Interval::Elapsed(elapsed), "2026-12-01 09:00");
        assert_eq!(
            plan_waves(5, &schedule, None, early()),
            Err(PlanError::IntervalNotPositive)
        );
    }
}

#[test]
fn a_whole_number_of_days_in_real_time_is_refused_in_favour_of_days() {
    let schedule = stagger(1, hours(48), "2026-12-01 09:00");
    let error = plan_waves(5, &schedule, None, early()).unwrap_err();
    assert_eq!(error, PlanError::ElapsedWholeDays { days: 2 });
    assert!(error.to_string().contains("(2d)"));
    // Not whole days: fine.
    assert!(plan_waves(5, &stagger(1, hours(25), "2026-12-01 09:00"), None, early()).is_ok());
    let almost = Interval::Elapsed(TimeDelta::days(1) + TimeDelta::nanoseconds(1));
    assert!(plan_waves(5, &stagger(1, almost, "2026-12-01 09:00"), None, early()).is_ok());
}

#[test]
fn a_window_that_never_opens_is_refused() {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
    let cases = [
        (
            Window {
                days: [false; 7],
                opens: nine,
                closes: five,
                bank_holidays: None,
            },
            WindowProblem::NoOpenDay,
        ),
        (
            Window {
                days: [true; 7],
                opens: nine,
                closes: nine,
                bank_holidays: None,
            },
            WindowProblem::OpensNotBeforeCloses {
                opens: nine,
                closes: nine,
            },
        ),
        (
            Window {
                days: [true; 7],
                opens: five,
                closes: nine,
                bank_holidays: None,
            },
            WindowProblem::OpensNotBeforeCloses {
                opens: five,
                closes: nine,
            },
        ),
    ];
    for (window, problem) in cases {
        for schedule in [
            Schedule::Now,
            Schedule::At(wall("2026-12-01 09:00")),
            stagger(1, days(1), "2026-12-01 09:00"),
        ] {
            assert_eq!(
                plan_waves(5, &schedule, Some(&window), early()),
                Err(PlanError::WindowNeverOpens(problem))
            );
        }
    }
    assert_eq!(
        PlanError::WindowNeverOpens(WindowProblem::OpensNotBeforeCloses {
            opens: five,
            closes: nine
        })
        .to_string(),
        "The sending window opens at 17:00 but closes at 09:00: the opening time must come \
         before the closing time (windows over midnight are not supported)"
    );
}

#[test]
fn hours_that_never_happen_make_a_window_that_never_opens() {
    // Open only on one Sunday's skipped hour cannot be expressed (windows are
    // weekly), so the search limit is reached only by a window that the
    // clocks remove every week, which Europe/London never does. Check the
    // search still ends with the error rather than looping, using a window
    // whose hours are inside the skipped hour and a start the day before.
    let w = window("sun 01:00-01:30");
    let plan = planned(1, Schedule::At(wall("2026-03-28 12:00")), Some(&w));
    // Sunday 29 March has no 01:00-01:30; the next Sunday does.
    assert_eq!(local(&plan), ["2026-04-05 01:00 BST"]);
}

#[test]
fn a_plan_beyond_the_calendar_is_refused() {
    let schedule = stagger(1, days(u32::MAX), "2026-12-01 09:00");
    assert_eq!(
        plan_waves(3, &schedule, None, early()),
        Err(PlanError::OutOfRange)
    );
}

#[test]
fn error_messages_say_what_to_do() {
    let messages = [
        PlanError::IntervalNotPositive.to_string(),
        PlanError::ElapsedWholeDays { days: 1 }.to_string(),
        PlanError::WindowNeverOpens(WindowProblem::NoOpenDay).to_string(),
        PlanError::WindowNeverOpens(WindowProblem::NeverHappens).to_string(),
        PlanError::TooManyWaves { waves: 20_000 }.to_string(),
        PlanError::OutOfRange.to_string(),
    ];
    assert_eq!(
        messages[0],
        "The time between waves must be longer than zero"
    );
    assert_eq!(
        messages[1],
        "An interval of a whole number of days must be given in days (1d), so that each wave \
         goes at the same UK time when the clocks change"
    );
    assert_eq!(
        messages[4],
        "This plan would need 20000 waves, and the most is 10,000: send more patients per wave \
         or use a longer interval"
    );
    for message in messages {
        assert!(!message.is_empty() && !message.ends_with('.'), "{message}");
    }
}

// ---------------------------------------------------------------- parsers

#[test]
fn reads_intervals() {
    let cases = [
        ("1d", days(1)),
        ("2d", days(2)),
        ("1w", days(7)),
        ("2 weeks", days(14)),
        ("1w2d", days(9)),
        (" 3 Days ", days(3)),
        ("12h", hours(12)),
        ("30m", Interval::Elapsed(TimeDelta::minutes(30))),
        ("90s", Interval::Elapsed(TimeDelta::seconds(90))),
        ("1h30m", Interval::Elapsed(TimeDelta::minutes(90))),
        ("1h 30m", Interval::Elapsed(TimeDelta::minutes(90))),
        (
            "1 hour 30 minutes",
            Interval::Elapsed(TimeDelta::minutes(90)),
        ),
        ("36h", hours(36)),
        ("1d1s", Interval::Elapsed(TimeDelta::seconds(86_401))),
        ("500ms", Interval::Elapsed(TimeDelta::milliseconds(500))),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_interval(text), Ok(expected), "{text:?}");
    }
}

#[test]
fn refuses_intervals_with_a_reason() {
    let cases = [
        ("", IntervalError::Empty),
        ("   ", IntervalError::Empty),
        ("d", IntervalError::Unrecognised("d".into())),
        ("1", IntervalError::Unrecognised("1".into())),
        ("1x", IntervalError::Unrecognised("1x".into())),
        ("30m1h", IntervalError::Unrecognised("30m1h".into())),
        ("1h1h", IntervalError::Unrecognised("1h1h".into())),
        ("-1d", IntervalError::Unrecognised("-1d".into())),
        ("1.5h", IntervalError::Unrecognised("1.5h".into())),
        ("1mo", IntervalError::Months),
        ("2 months", IntervalError::Months),
        ("0d", IntervalError::Zero),
        ("0h0m", IntervalError::Zero),
        ("5000000000d", IntervalError::TooLong("5000000000d".into())),
        (
            "24h",
            IntervalError::WholeDays {
                given: "24h".into(),
                days: 1,
            },
        ),
        (
            "2880m",
            IntervalError::WholeDays {
                given: "2880m".into(),
                days: 2,
            },
        ),
        (
            "1d24h",
            IntervalError::WholeDays {
                given: "1d24h".into(),
                days: 2,
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_interval(text), Err(expected), "{text:?}");
    }
    assert_eq!(
        parse_interval("24h").unwrap_err().to_string(),
        "\"24h\" is a whole number of days: write 1d, so that each wave goes at the same UK time \
         when the clocks change"
    );
}

#[test]
fn reads_windows() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let weekdays = [true, true, true, true, true, false, false];
    let cases = [
        ("weekdays 08:00-18:00", weekdays, t(8, 0), t(18, 0)),
        ("mon-fri 08:00-18:00", weekdays, t(8, 0), t(18, 0)),
        ("Mon-Fri 8:00 - 18:00", weekdays, t(8, 0), t(18, 0)),
        ("monday-friday 08:00 to 18:00", weekdays, t(8, 0), t(18, 0)),
        ("daily 09:00-17:00", [true; 7], t(9, 0), t(17, 0)),
        (
            "mon,wed,fri 10:00-16:00",
            [true, false, true, false, true, false, false],
            t(10, 0),
            t(16, 0),
        ),
        (
            "mon, wed, fri 10:00\u{2013}16:00",
            [true, false, true, false, true, false, false],
            t(10, 0),
            t(16, 0),
        ),
        (
            "sat-sun 10:00-12:00",
            [false, false, false, false, false, true, true],
            t(10, 0),
            t(12, 0),
        ),
        (
            "weekends 10:00-12:00",
            [false, false, false, false, false, true, true],
            t(10, 0),
            t(12, 0),
        ),
        (
            "fri-mon 10:00-12:00",
            [true, false, false, false, true, true, true],
            t(10, 0),
            t(12, 0),
        ),
        (
            "mon-wed,fri 10:00-12:00",
            [true, true, true, false, true, false, false],
            t(10, 0),
            t(12, 0),
        ),
        (
            "tue 10:00-12:00",
            [false, true, false, false, false, false, false],
            t(10, 0),
            t(12, 0),
        ),
    ];
    for (text, days, opens, closes) in cases {
        assert_eq!(
            parse_window(text),
            Ok(Window {
                days,
                opens,
                closes,
                bank_holidays: None,
            }),
            "{text:?}"
        );
    }
}

#[test]
fn refuses_windows_with_a_reason() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let cases = [
        ("", WindowError::Empty),
        ("08:00-18:00", WindowError::MissingDays),
        ("weekdays", WindowError::MissingHours),
        ("weekdays 08:00", WindowError::MissingHours),
        (
            "workdays 08:00-18:00",
            WindowError::UnknownDay("workdays".into()),
        ),
        ("mon-fry 08:00-18:00", WindowError::UnknownDay("fry".into())),
        ("mon,,fri 08:00-18:00", WindowError::UnknownDay("".into())),
        ("weekdays 8-18", WindowError::BadTime("8".into())),
        ("weekdays 08:00-24:00", WindowError::BadTime("24:00".into())),
        ("weekdays 08:60-18:00", WindowError::BadTime("08:60".into())),
        ("weekdays 8am-6pm", WindowError::BadTime("8am".into())),
        (
            "weekdays 18:00-08:00",
            WindowError::OpensNotBeforeCloses {
                opens: t(18, 0),
                closes: t(8, 0),
            },
        ),
        (
            "daily 09:00-09:00",
            WindowError::OpensNotBeforeCloses {
                opens: t(9, 0),
                closes: t(9, 0),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_window(text), Err(expected), "{text:?}");
    }
}

#[test]
fn writes_windows_as_they_are_read() {
    for text in [
        "weekdays 08:00-18:00",
        "daily 09:00-17:00",
        "weekends 10:00-12:00",
        "mon,wed,fri 10:00-16:00",
        "mon-wed,fri-sat 10:00-16:00:30",
        "tue 07:30-08:00",
    ] {
        assert_eq!(window(text).to_string(), text);
    }
    assert_eq!(
        window("sat-sun 10:00-12:00").to_string(),
        "weekends 10:00-12:00"
    );
    assert_eq!(
        window("fri-mon 10:00-12:00").to_string(),
        "mon,fri-sun 10:00-12:00"
    );
}

#[test]
fn writes_intervals_as_they_are_read() {
    for text in [
        "1d", "3d", "1w", "2w", "12h", "30m", "90s", "1h30m", "1d12h", "1h0m1s",
    ] {
        let interval = parse_interval(text).unwrap();
        assert_eq!(
            parse_interval(&interval.to_string()),
            Ok(interval),
            "{text}"
        );
    }
    assert_eq!(parse_interval("90s").unwrap().to_string(), "1m30s");
    assert_eq!(parse_interval("14d").unwrap().to_string(), "2w");
}

#[test]
fn reads_uk_times() {
    let expected = NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    for text in [
        "2026-12-01 09:00",
        "2026-12-01T09:00",
        "01/12/2026 09:00",
        "1/12/2026 9:00",
        " 01/12/2026   09:00 ",
        "01-12-2026 09:00",
        "2026-12-01 09:00:00",
    ] {
        assert_eq!(parse_uk_time(text), Ok(expected), "{text:?}");
    }
    assert_eq!(parse_uk_time("2026-12-01 09:00:30").unwrap().second(), 30);
}

#[test]
fn refuses_uk_times_with_a_reason() {
    let cases = [
        ("", UkTimeError::Empty),
        ("tomorrow", UkTimeError::Unrecognised("tomorrow".into())),
        (
            "01/12/26 09:00",
            UkTimeError::Unrecognised("01/12/26 09:00".into()),
        ),
        (
            "2026-12-01 9am",
            UkTimeError::Unrecognised("2026-12-01 9am".into()),
        ),
        ("2026-12-01", UkTimeError::MissingTime("2026-12-01".into())),
        (
            "31/02/2026 09:00",
            UkTimeError::NotARealDate("31/02/2026".into()),
        ),
        (
            "12/31/2026 09:00",
            UkTimeError::NotARealDate("12/31/2026".into()),
        ),
        (
            "2026-12-01 25:00",
            UkTimeError::NotARealTime("2026-12-01 25:00".into()),
        ),
        (
            "2026-12-01 09:00 extra",
            UkTimeError::Unrecognised("2026-12-01 09:00 extra".into()),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_uk_time(text), Err(expected), "{text:?}");
    }
    assert_eq!(
        parse_uk_time("12/31/2026 09:00").unwrap_err().to_string(),
        "\"12/31/2026\" is not a real date (dates are read day first: 01/12/2026 is 1 December \
         2026)"
    );
}

// ---------------------------------------------------------------- properties

fn any_window() -> impl Strategy<Value = Window> {
    (
        proptest::array::uniform7(any::<bool>()),
        0u32..96,
        1u32..=96,
    )
        .prop_filter_map("an open day, opening before closing", |(days, a, b)| {
            let (opens, closes) = (a.min(b), a.max(b));
            let quarter = |q: u32| {
                if q == 96 {
                    NaiveTime::from_hms_opt(23, 59, 0)
                } else {
                    NaiveTime::from_hms_opt(q / 4, q % 4 * 15, 0)
                }
            };
            let window = Window {
                days,
                opens: quarter(opens)?,
                closes: quarter(closes)?,
                bank_holidays: None,
            };
            window.check().is_ok().then_some(window)
        })
}

fn any_interval() -> impl Strategy<Value = Interval> {
    prop_oneof![
        (1u32..15).prop_map(days),
        (1i64..5 * 24 * 60)
            .prop_filter("not whole days", |m| m % (24 * 60) != 0)
            .prop_map(|m| Interval::Elapsed(TimeDelta::minutes(m))),
        (1i64..3600).prop_map(|s| Interval::Elapsed(TimeDelta::seconds(s))),
    ]
}

/// A UK start time near one of the four clock changes, or anywhere in
/// 2026-2027, to the minute.
fn any_start() -> impl Strategy<Value = NaiveDateTime> {
    let near_change = (0usize..4, -4 * 24 * 60i64..4 * 24 * 60).prop_map(|(change, minutes)| {
        wall(&format!("{} 01:00", CHANGES[change].1)) + TimeDelta::minutes(minutes)
    });
    let anywhere = (0i64..2 * 365 * 24 * 60)
        .prop_map(|minutes| wall("2026-01-02 00:00") + TimeDelta::minutes(minutes));
    prop_oneof![near_change, anywhere]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_plan_covers_everyone_in_order_at_increasing_times(
        recipients in 0u64..100_000,
        // Small waves too, so that plans of thousands of waves are common.
        per_wave in prop_oneof![1u64..5000, 1u64..50],
        every in any_interval(),
        start in proptest::option::of(any_start()),
        window in proptest::option::of(any_window()),
        now_minutes in 0i64..2 * 365 * 24 * 60,
    ) {
        let now = match start {
            Some(_) => early(),
            None => early() + TimeDelta::minutes(now_minutes) + TimeDelta::milliseconds(1234),
        };
        let schedule = Schedule::Stagger {
            per_wave: NonZeroU64::new(per_wave).unwrap(),
            every,
            start,
        };
        let expected_waves = recipients.div_ceil(per_wave);
        let result = plan_waves(recipients, &schedule, window.as_ref(), now);
        if expected_waves > MAX_WAVES {
            prop_assert_eq!(result, Err(PlanError::TooManyWaves { waves: expected_waves }));
            return Ok(());
        }
        let plan = result.unwrap();
        prop_assert_eq!(plan.waves.len() as u64, expected_waves);

        // Sizes add up; firsts are contiguous; only the last may be short.
        let mut next_first = 0;
        for (index, wave) in plan.waves.iter().enumerate() {
            prop_assert_eq!(wave.number as usize, index + 1);
            prop_assert_eq!(wave.first, next_first);
            prop_assert!(wave.size >= 1 && wave.size <= per_wave);
            if index + 1 < plan.waves.len() {
                prop_assert_eq!(wave.size, per_wave);
            }
            next_first += wave.size;
            prop_assert_eq!(wave.due_local.with_timezone(&Utc), wave.due);
        }
        prop_assert_eq!(next_first, recipients);

        // Times strictly increase and never start before now.
        if let Some(first) = plan.waves.first() {
            prop_assert!(first.due >= now - PAST_TOLERANCE);
        }
        for pair in plan.waves.windows(2) {
            prop_assert!(pair[1].due > pair[0].due);
        }

        // Inside the window, and a move is always noted.
        for wave in &plan.waves {
            if let Some(window) = &window {
                prop_assert!(window.contains(wave.due_local), "{} outside {}", wave.due_local, window);
            }
            let moved = wave.notes.iter().any(|n| matches!(n, PlanNote::MovedIntoWindow { to, .. } if *to == wave.due_local));
            prop_assert_eq!(moved, wave.notes.iter().any(|n| matches!(n, PlanNote::MovedIntoWindow { .. })));
        }

        match every {
            Interval::Days(n) => {
                let asked = start.unwrap_or_else(|| now.with_timezone(&UK).naive_local()).time();
                for (index, wave) in plan.waves.iter().enumerate() {
                    // Unless a note says otherwise, the clock time asked for.
                    if wave.notes.is_empty() {
                        prop_assert_eq!(wave.due_local.time(), asked);
                    }
                    if let [PlanNote::DoesNotExist { asked: a, used }] = wave.notes[..] {
                        prop_assert_eq!(a.time(), asked);
                        prop_assert_eq!(wave.due_local.naive_local(), used);
                    }
                    if let [PlanNote::HappensTwice { asked: a }] = wave.notes[..] {
                        prop_assert_eq!(wave.due_local.naive_local(), a);
                    }
                    // Without a window, exactly n calendar days apart.
                    if window.is_none() && index > 0 {
                        let previous = plan.waves[index - 1].due_local.date_naive();
                        prop_assert_eq!(
                            wave.due_local.date_naive() - previous,
                            TimeDelta::days(n.get().into())
                        );
                    }
                }
            }
            Interval::Elapsed(elapsed) => {
                for pair in plan.waves.windows(2) {
                    let gap = pair[1].due - pair[0].due;
                    prop_assert!(gap >= elapsed);
                    if window.is_none() {
                        prop_assert_eq!(gap, elapsed);
                    }
                }
                if window.is_none() {
                    prop_assert!(plan.waves.iter().skip(1).all(|w| w.notes.is_empty()));
                }
            }
        }
    }

    #[test]
    fn a_single_send_is_one_wave_inside_any_window(
        recipients in 1u64..100_000,
        at in any_start(),
        window in proptest::option::of(any_window()),
    ) {
        let plan = plan_waves(recipients, &Schedule::At(at), window.as_ref(), early()).unwrap();
        prop_assert_eq!(sizes(&plan), vec![(1, 0, recipients)]);
        let due = plan.waves[0].due_local;
        match &window {
            Some(window) => prop_assert!(window.contains(due)),
            None => prop_assert!(due.naive_local() == at || !plan.waves[0].notes.is_empty()),
        }
        prop_assert!(due.naive_local() >= at);
    }

    #[test]
    fn windows_round_trip_through_text(window in any_window()) {
        prop_assert_eq!(parse_window(&window.to_string()), Ok(window));
    }

    #[test]
    fn intervals_round_trip_through_text(every in any_interval()) {
        prop_assert_eq!(parse_interval(&every.to_string()), Ok(every));
    }

    #[test]
    fn uk_times_round_trip_through_each_format(minutes in 0i64..20 * 365 * 24 * 60) {
        let time = wall("2020-01-01 00:00") + TimeDelta::minutes(minutes);
        for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%-d/%-m/%Y %-H:%M"] {
            let text = time.format(format).to_string();
            prop_assert_eq!(parse_uk_time(&text), Ok(time), "{}", text);
        }
    }

    #[test]
    fn parsers_never_panic(input in "\\PC{0,24}") {
        let _ = parse_interval(&input);
        let _ = parse_window(&input);
        let _ = parse_uk_time(&input);
    }
}
