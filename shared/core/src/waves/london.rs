//! UK clock times: turning a wall-clock time into an instant across the clock
//! changes, and writing times in plain words.

use std::fmt;

use chrono::{DateTime, MappedLocalTime, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

use super::{Candidate, PlanError, PlanNote, UK};

/// The instant a UK wall-clock time stands for. A time the clocks skip is
/// moved on by the length of the skip; a time the clocks show twice is taken
/// the first time. Either way the candidate carries a note.
pub(super) fn resolve(asked: NaiveDateTime) -> Result<Candidate, PlanError> {
    match UK.from_local_datetime(&asked) {
        MappedLocalTime::Single(at) => Ok(Candidate::at(at)),
        MappedLocalTime::Ambiguous(first, second) => Ok(Candidate {
            at: first.min(second),
            notes: vec![PlanNote::HappensTwice { asked }],
        }),
        MappedLocalTime::None => {
            // Read the time with the offset in force before the skip: that
            // lands the same distance past the skip as the time was into it.
            let before = asked
                .checked_sub_signed(chrono::TimeDelta::days(1))
                .ok_or(PlanError::OutOfRange)?;
            let offset = UK.offset_from_utc_datetime(&before).fix();
            let at = asked
                .checked_sub_offset(offset)
                .ok_or(PlanError::OutOfRange)?
                .and_utc()
                .with_timezone(&UK);
            Ok(Candidate {
                at,
                notes: vec![PlanNote::DoesNotExist {
                    asked,
                    used: at.naive_local(),
                }],
            })
        }
    }
}

/// `09:00`, or `09:00:30` when there are seconds.
pub(super) struct ClockTime(pub NaiveTime);

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        if t.second() == 0 && t.nanosecond() == 0 {
            write!(f, "{:02}:{:02}", t.hour(), t.minute())
        } else {
            write!(f, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
        }
    }
}

/// A UK wall-clock time in words: `09:00 on Friday 4 December 2026`.
pub(super) struct Wall(pub NaiveDateTime);

impl fmt::Display for Wall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {}",
            ClockTime(self.0.time()),
            self.0.date().format("%A %-d %B %Y")
        )
    }
}

/// An instant in UK time in words, like [`Wall`], adding `(BST)` or `(GMT)`
/// when the clock shows that time twice that day.
pub struct Local(pub DateTime<Tz>);

impl fmt::Display for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.0.with_timezone(&UK);
        let wall = local.naive_local();
        write!(f, "{}", ClockTime(wall.time()))?;
        if let MappedLocalTime::Ambiguous(..) = UK.from_local_datetime(&wall) {
            write!(f, " ({})", local.format("%Z"))?;
        }
        write!(f, " on {}", wall.date().format("%A %-d %B %Y"))
    }
}
