//! Waves found overdue keep their stagger; the window's next opening.

use chrono::{DateTime, TimeZone, Utc};

use super::{CaughtUp, UK, Window, catch_up, parse_window};
use crate::sending::SendUntil;

/// UK wall-clock time in December (GMT, so also UTC).
fn uk(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    UK.with_ymd_and_hms(2026, 12, d, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn window(spec: &str) -> Window {
    parse_window(spec).unwrap()
}

#[test]
fn overdue_waves_go_one_by_one_with_their_planned_gaps_from_now() {
    // Hourly waves from 09:00; batchmsg starts again at 12:30.
    let pending = [(1, uk(1, 9, 0)), (2, uk(1, 10, 0)), (3, uk(1, 11, 0))];
    let caught = catch_up(&pending, uk(1, 12, 30), None).unwrap();
    assert_eq!(
        caught,
        CaughtUp {
            wave: 1,
            due: uk(1, 9, 0),
            goes: uk(1, 12, 30),
            moves: vec![(1, uk(1, 12, 30)), (2, uk(1, 13, 30)), (3, uk(1, 14, 30))],
        }
    );
}

#[test]
fn waves_on_time_or_within_a_minute_are_left_alone() {
    let pending = [(1, uk(1, 9, 0)), (2, uk(1, 10, 0))];
    assert_eq!(catch_up(&pending, uk(1, 9, 0), None), None);
    assert_eq!(catch_up(&pending, uk(1, 9, 1), None), None);
    assert!(catch_up(&pending, uk(1, 9, 2), None).is_some());
    assert_eq!(catch_up(&[], uk(1, 9, 2), None), None);
}

#[test]
fn an_overdue_wave_after_the_close_waits_for_the_next_opening() {
    // Tuesday 1 December 2026: due 17:55, batchmsg starts again at 19:36.
    let weekdays = window("weekdays 08:00-18:00");
    let pending = [(4, uk(1, 17, 55)), (5, uk(2, 17, 55))];
    let caught = catch_up(&pending, uk(1, 19, 36), Some(&weekdays)).unwrap();
    assert_eq!(caught.goes, uk(2, 8, 0));
    // The next wave keeps its day's gap, and stays in the window.
    assert_eq!(caught.moves, vec![(4, uk(2, 8, 0)), (5, uk(3, 8, 0))]);
}

#[test]
fn a_moved_wave_that_falls_outside_the_window_goes_at_the_next_opening() {
    let day = window("daily 09:00-17:00");
    let pending = [(1, uk(1, 9, 0)), (2, uk(1, 10, 0)), (3, uk(1, 11, 0))];
    let caught = catch_up(&pending, uk(1, 16, 30), Some(&day)).unwrap();
    assert_eq!(
        caught.moves,
        vec![(1, uk(1, 16, 30)), (2, uk(2, 9, 0)), (3, uk(2, 10, 0))]
    );
}

#[test]
fn the_next_opening_is_now_while_open_else_the_next_open_day() {
    let weekdays = window("weekdays 08:00-18:00");
    // Friday 4 December 2026.
    assert_eq!(weekdays.next_opening(uk(4, 9, 0)), Some(uk(4, 9, 0)));
    assert_eq!(weekdays.next_opening(uk(4, 7, 0)), Some(uk(4, 8, 0)));
    assert_eq!(weekdays.next_opening(uk(4, 18, 0)), Some(uk(7, 8, 0)));
    assert!(weekdays.may_start(uk(4, 17, 59)));
    assert!(!weekdays.may_start(uk(4, 18, 0)));
}

#[test]
fn timing_notes_say_what_happened_in_plain_words() {
    use super::{LateBecause, TimingNote};
    let late = TimingNote::Late {
        wave: 4,
        due: uk(1, 17, 55),
        went: uk(2, 8, 0),
        because: LateBecause::NotRunning,
    };
    assert_eq!(
        late.to_string(),
        "Wave 4 was due at 17:55 on Tuesday 1 December 2026 but went at 08:00 on Wednesday 2 \
         December 2026: batchmsg was not running when it was due (it was stopped, or the \
         computer was off), and started again later. Later waves keep their planned gaps from \
         then"
    );
    let paused = TimingNote::Paused {
        at: uk(4, 18, 0),
        resumes: uk(7, 8, 0),
        texts: 31,
    };
    assert_eq!(
        paused.to_string(),
        "31 texts were held at 18:00 on Friday 4 December 2026 because the sending window was \
         closed; they go when it opens at 08:00 on Monday 7 December 2026"
    );
}
