//! Wave planning: when each part of a batch goes out.
//!
//! A batch is sent in one of three ways:
//!
//! - **Now**: one wave with every accepted patient, due straight away.
//! - **At a time**: one wave with every accepted patient, at the UK time given.
//! - **Staggered**: waves of N patients, one wave every interval, from a start
//!   time (or from now). Patients go in list order: wave 1 holds the first N,
//!   wave 2 the next N, and so on; the last wave holds whatever is left, so
//!   1,250 patients at 500 a wave make waves of 500, 500 and 250. An empty list
//!   gives an empty plan.
//!
//! **All times are UK time** (Europe/London): GMT in winter, BST in summer.
//! The clocks go forward an hour at 01:00 on the last Sunday of March and back
//! an hour at 02:00 on the last Sunday of October, and on those two days some
//! times are odd:
//!
//! - A time that **does not exist** (01:30 on the last Sunday of March: the
//!   clock jumps from 00:59 to 02:00) is moved on by the hour the clocks skip,
//!   so 01:30 becomes 02:30. The plan says so on that wave.
//! - A time that **happens twice** (01:30 on the last Sunday of October: the
//!   clock shows 01:00 to 01:59 twice) is taken the first time round, while
//!   the clocks still show summer time. The plan says so on that wave.
//!
//! **Intervals** come in two kinds, and they behave differently when the
//! clocks change:
//!
//! - **Days and weeks** (`1d`, `2d`, `1w`) are calendar days: each wave goes at
//!   the same UK clock time as asked, n days after the day of the wave before.
//!   A daily wave at 09:00 stays at 09:00 across both clock changes. A wave that
//!   had to move (01:30 became 02:30 on the day the clocks went forward) goes
//!   back to the time asked for (01:30) on the next day.
//! - **Hours, minutes and seconds** (`12h`, `30m`, `90s`, `1h30m`) are real time
//!   passing: each wave is exactly that long after the wave before. So when the
//!   clocks change, the UK clock times of later waves shift by an hour: every
//!   12 hours from 09:00 on the Saturday before the clocks go forward gives
//!   09:00 and 21:00 on Saturday, then 10:00 and 22:00 BST from Sunday on.
//!   An interval of a whole number of days written in hours (`24h`, `48h`) is
//!   refused: write it in days, so the waves keep their clock time. A mixed
//!   interval such as `1d12h` is real time (36 hours).
//!
//! **Sending window** (optional, such as weekdays 08:00–18:00): the days of the
//! week and the hours in which texts may go out. The window opens at the first
//! time and closes at the second: a wave at 08:00 is inside, a wave at 18:00 is
//! not. A wave that would fall outside the window is moved to the next time the
//! window is open, and the plan says from when to when:
//!
//! - For daily or weekly waves, it goes on the next open day at the clock time
//!   asked for when that time is within the hours, or else when the window
//!   opens that day. Daily at 09:00 from a Friday, weekdays 08:00–18:00, gives
//!   Friday 09:00, Monday 09:00, Tuesday 09:00 (not 08:00).
//! - For one send at a time, for "now", and for waves every so many hours or
//!   minutes, it goes when the window next opens: later the same day if the
//!   day is open and the window has not opened yet, or else the opening time
//!   of the next open day. Every 2 hours from 08:00, daily 08:00–18:00, gives
//!   08:00, 10:00, 12:00, 14:00 and 16:00, then 08:00, 10:00 … the next day.
//!
//! A window can also be **closed on one nation's bank holidays** (`weekdays
//! 08:00-18:00 except bank holidays in England and Wales`; Scotland and
//! Northern Ireland have their own, see [`crate::bank_holidays`]). A wave
//! that would fall on one moves to the next open day as above, and the plan
//! names each bank holiday it was moved past.
//!
//! Each wave after the first is counted from the time the wave before it
//! actually goes (after any move into the window), so a wave never goes less
//! than the interval after the one before it.
//!
//! **Refused plans**, each with a message saying what to change:
//!
//! - a start time or send time in the past (a time up to a minute ago counts
//!   as now and is accepted; that wave goes straight away);
//! - an interval of zero, or a whole number of days written in hours;
//! - a window with no open day, or that opens at or after it closes (windows
//!   over midnight are not supported), or whose hours never happen;
//! - more than 10,000 waves: send more patients per wave or use a longer
//!   interval.
//!
//! Nothing here reads the clock or does I/O: the current time is given.

#[cfg(test)]
mod bank_holiday_tests;
mod london;
mod parse;
#[cfg(test)]
mod tests;
mod timing;
#[cfg(test)]
mod timing_tests;

use std::fmt;
use std::num::{NonZeroU32, NonZeroU64};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::bank_holidays::{BankHoliday, Nation, bank_holiday};
pub use london::Local as UkTime;
use london::Local;
use london::{ClockTime, Wall};

pub use parse::{
    IntervalError, UkTimeError, WindowError, parse_interval, parse_uk_time, parse_window,
};
pub use timing::{CaughtUp, LATE_AFTER, LateBecause, TimingNote, catch_up};

/// The time zone of every time in a plan: Europe/London.
pub const UK: Tz = chrono_tz::Europe::London;

/// The date on a UK calendar at `now`: what "today" means for a date of
/// birth in the future, whichever machine's clock or zone reads it.
pub fn uk_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&UK).date_naive()
}

/// The most waves one plan may have.
pub const MAX_WAVES: u64 = 10_000;

/// How far in the past a start or send time may be and still count as now.
pub const PAST_TOLERANCE: TimeDelta = TimeDelta::seconds(60);

/// How a batch is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Schedule {
    /// One wave of every recipient, due now.
    Now,
    /// One wave of every recipient at this UK local (Europe/London) time.
    At(NaiveDateTime),
    /// Waves of `per_wave` recipients, one every `every`, from `start` (UK
    /// local time; `None` means now).
    Stagger {
        per_wave: NonZeroU64,
        every: Interval,
        start: Option<NaiveDateTime>,
    },
}

/// The time between two waves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interval {
    /// Calendar days: the next wave is this many days later at the same UK
    /// clock time as asked for.
    Days(NonZeroU32),
    /// Real time passing: the next wave is exactly this long after the one
    /// before. Must be longer than zero and not a whole number of days (use
    /// [`Interval::Days`] for that).
    Elapsed(TimeDelta),
}

/// When texts may go out: the open days of the week and, on those days, the
/// UK clock times from `opens` (included) to `closes` (not included); never
/// on the bank holidays of `bank_holidays`' nation, when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Monday first, Sunday last.
    pub days: [bool; 7],
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    /// Closed on this nation's bank holidays.
    pub bank_holidays: Option<Nation>,
}

impl Window {
    /// Whether `at` falls on an open day, at or after the opening time and
    /// before the closing time (UK clock time).
    pub fn contains(&self, at: DateTime<Tz>) -> bool {
        let local = at.with_timezone(&UK);
        let time = local.time();
        self.is_open_on(local.date_naive()) && self.opens <= time && time < self.closes
    }

    /// Whether the window opens at all on this UK date: an open day of the
    /// week, and not a bank holiday it is closed on.
    pub fn is_open_on(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize]
            && self.bank_holiday_closing(date).is_none()
    }

    /// The bank holiday that keeps the window shut on `date`, if any.
    fn bank_holiday_closing(&self, date: NaiveDate) -> Option<BankHoliday> {
        bank_holiday(self.bank_holidays?, date)
    }

    /// Checks that the window has an open day and opens before it closes.
    pub fn check(&self) -> Result<(), WindowProblem> {
        if !self.days.contains(&true) {
            return Err(WindowProblem::NoOpenDay);
        }
        if self.opens >= self.closes {
            return Err(WindowProblem::OpensNotBeforeCloses {
                opens: self.opens,
                closes: self.closes,
            });
        }
        Ok(())
    }
}

/// The plan: every wave in order. Empty when there is nobody to send to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WavePlan {
    pub waves: Vec<PlannedWave>,
}

/// One wave: which recipients, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedWave {
    /// 1 for the first wave.
    pub number: u32,
    /// Offset of the wave's first recipient among the accepted recipients, in
    /// list order, from 0.
    pub first: u64,
    /// How many recipients the wave holds.
    pub size: u64,
    pub due: DateTime<Utc>,
    /// `due` in UK time.
    pub due_local: DateTime<Tz>,
    /// Why the wave is not exactly when asked, in the order things happened.
    pub notes: Vec<PlanNote>,
}

/// Something the plan did to a wave's time, to be shown to the person sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanNote {
    /// The time asked for does not exist: the clocks went forward past it.
    /// `used` is the time moved on by the hour the clocks skipped.
    DoesNotExist {
        asked: NaiveDateTime,
        used: NaiveDateTime,
    },
    /// The time asked for happens twice: the clocks went back over it. The
    /// first one (still British Summer Time) is used.
    HappensTwice { asked: NaiveDateTime },
    /// The wave would have fallen outside the sending window.
    MovedIntoWindow {
        from: DateTime<Tz>,
        to: DateTime<Tz>,
    },
    /// A day the wave was moved past (with [`PlanNote::MovedIntoWindow`])
    /// is a bank holiday the window is closed on.
    BankHoliday {
        holiday: BankHoliday,
        nation: Nation,
    },
}

impl fmt::Display for PlanNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DoesNotExist { asked, used } => write!(
                f,
                "{} does not exist in the UK because the clocks go forward an hour, \
                 so {} is used",
                Wall(*asked),
                ClockTime(used.time()),
            ),
            Self::HappensTwice { asked } => write!(
                f,
                "{} happens twice in the UK because the clocks go back an hour; \
                 the first one (British Summer Time) is used",
                Wall(*asked),
            ),
            Self::MovedIntoWindow { from, to } => write!(
                f,
                "Moved from {} to {} to fit the sending window",
                Local(*from),
                Local(*to),
            ),
            Self::BankHoliday { holiday, nation } => write!(
                f,
                "{} is {holiday}, a bank holiday in {nation}: the window is closed that day",
                holiday.date.format("%A %-d %B %Y"),
            ),
        }
    }
}

/// Why a sending window can never hold a wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum WindowProblem {
    #[error(
        "The sending window has no open day: choose at least one day, such as weekdays 08:00-18:00"
    )]
    NoOpenDay,
    #[error(
        "The sending window opens at {} but closes at {}: the opening time must come before \
         the closing time (windows over midnight are not supported)",
        ClockTime(*.opens),
        ClockTime(*.closes)
    )]
    OpensNotBeforeCloses { opens: NaiveTime, closes: NaiveTime },
    #[error(
        "The sending window's hours never happen in UK time on its open days: choose longer hours"
    )]
    NeverHappens,
}

/// Why no plan could be made. The messages say what to change; they never
/// hold patient data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{} (UK time) is in the past; it is now {}. Choose a later time, or send now",
        Wall(*.asked),
        Wall(*.now)
    )]
    InThePast {
        asked: NaiveDateTime,
        now: NaiveDateTime,
    },
    #[error("The time between waves must be longer than zero")]
    IntervalNotPositive,
    #[error(
        "An interval of a whole number of days must be given in days ({days}d), so that each \
         wave goes at the same UK time when the clocks change"
    )]
    ElapsedWholeDays { days: i64 },
    #[error("{0}")]
    WindowNeverOpens(WindowProblem),
    #[error(
        "This plan would need {waves} waves, and the most is 10,000: send more patients per wave \
         or use a longer interval"
    )]
    TooManyWaves { waves: u64 },
    #[error(
        "This plan goes beyond the dates that can be handled: use a shorter interval or bigger waves"
    )]
    OutOfRange,
}

/// Plans the waves for `recipients` accepted recipients. `now` is the current
/// time; nothing else is read. See the module documentation for the rules.
pub fn plan_waves(
    recipients: u64,
    schedule: &Schedule,
    window: Option<&Window>,
    now: DateTime<Utc>,
) -> Result<WavePlan, PlanError> {
    if let Some(window) = window {
        window.check().map_err(PlanError::WindowNeverOpens)?;
    }
    let now_uk = now.with_timezone(&UK);
    let (per_wave, step, start) = match *schedule {
        Schedule::Now => (recipients, Step::Once, Candidate::at(now_uk)),
        Schedule::At(asked) => (
            recipients,
            Step::Once,
            not_in_past(london::resolve(asked)?, now_uk)?,
        ),
        Schedule::Stagger {
            per_wave,
            every,
            start,
        } => {
            let step = match every {
                Interval::Days(days) => Step::Days {
                    days,
                    time: start.unwrap_or_else(|| now_uk.naive_local()).time(),
                },
                Interval::Elapsed(elapsed) => Step::Elapsed(check_elapsed(elapsed)?),
            };
            let start = match start {
                Some(asked) => not_in_past(london::resolve(asked)?, now_uk)?,
                None => Candidate::at(now_uk),
            };
            (per_wave.get(), step, start)
        }
    };
    let count = match recipients {
        0 => 0,
        _ => recipients.div_ceil(per_wave),
    };
    if count > MAX_WAVES {
        return Err(PlanError::TooManyWaves { waves: count });
    }

    let mut waves = Vec::with_capacity(count as usize);
    let mut candidate = start;
    for index in 0..count {
        let (due, notes) = match window {
            None => (candidate.at, candidate.notes),
            Some(window) => fit(window, candidate, &step)?,
        };
        let first = index * per_wave;
        waves.push(PlannedWave {
            number: index as u32 + 1,
            first,
            size: per_wave.min(recipients - first),
            due: due.with_timezone(&Utc),
            due_local: due,
            notes,
        });
        if index + 1 == count {
            break;
        }
        candidate = step.after(due)?;
    }
    Ok(WavePlan { waves })
}

/// A time a wave would go if the window allows it, with how it was resolved.
#[derive(Clone, Debug)]
struct Candidate {
    at: DateTime<Tz>,
    notes: Vec<PlanNote>,
}

impl Candidate {
    fn at(at: DateTime<Tz>) -> Self {
        Self {
            at,
            notes: Vec::new(),
        }
    }
}

/// How to get from one wave to the next.
enum Step {
    /// There is only one wave.
    Once,
    /// Calendar days later, at the clock time asked for.
    Days { days: NonZeroU32, time: NaiveTime },
    /// Real time later.
    Elapsed(TimeDelta),
}

impl Step {
    fn after(&self, previous: DateTime<Tz>) -> Result<Candidate, PlanError> {
        match *self {
            Self::Once => unreachable!("a plan sent once has one wave"),
            Self::Days { days, time } => previous
                .date_naive()
                .checked_add_days(Days::new(days.get().into()))
                .ok_or(PlanError::OutOfRange)
                .and_then(|date| london::resolve(date.and_time(time))),
            Self::Elapsed(elapsed) => previous
                .checked_add_signed(elapsed)
                .map(Candidate::at)
                .ok_or(PlanError::OutOfRange),
        }
    }
}

fn not_in_past(candidate: Candidate, now: DateTime<Tz>) -> Result<Candidate, PlanError> {
    if candidate.at < now - PAST_TOLERANCE {
        let asked = match candidate.notes.first() {
            Some(PlanNote::DoesNotExist { asked, .. } | PlanNote::HappensTwice { asked }) => *asked,
            _ => candidate.at.naive_local(),
        };
        return Err(PlanError::InThePast {
            asked,
            now: now.naive_local(),
        });
    }
    Ok(candidate)
}

fn check_elapsed(elapsed: TimeDelta) -> Result<TimeDelta, PlanError> {
    if elapsed <= TimeDelta::zero() {
        return Err(PlanError::IntervalNotPositive);
    }
    if elapsed.subsec_nanos() == 0 && elapsed.num_seconds() % 86_400 == 0 {
        return Err(PlanError::ElapsedWholeDays {
            days: elapsed.num_days(),
        });
    }
    Ok(elapsed)
}

/// How many days ahead to look for an opening. A valid window is open at
/// least one day a week; the extra weeks cover an opening that a clock change
/// removes on one day, and bank holidays on that weekday two weeks running
/// (Boxing Day and New Year's Day on Mondays).
const SEARCH_DAYS: u64 = 29;

/// The candidate if the window is open then; otherwise the next opening as
/// the module documentation describes, with a note.
fn fit(
    window: &Window,
    candidate: Candidate,
    step: &Step,
) -> Result<(DateTime<Tz>, Vec<PlanNote>), PlanError> {
    if window.contains(candidate.at) {
        return Ok((candidate.at, candidate.notes));
    }
    let from = candidate.at;
    let mut notes = candidate.notes;
    for offset in 0..SEARCH_DAYS {
        let date = from
            .date_naive()
            .checked_add_days(Days::new(offset))
            .ok_or(PlanError::OutOfRange)?;
        if !window.is_open_on(date) {
            continue;
        }
        if let Step::Days { time, .. } = *step
            && window.opens <= time
            && time < window.closes
        {
            let same_time = london::resolve(date.and_time(time))?;
            if same_time.at > from && window.contains(same_time.at) {
                notes.push(PlanNote::MovedIntoWindow {
                    from,
                    to: same_time.at,
                });
                notes.extend(same_time.notes);
                notes.extend(bank_holidays_passed(window, from, same_time.at));
                return Ok((same_time.at, notes));
            }
        }
        let opening = london::resolve(date.and_time(window.opens))?.at;
        if opening > from && window.contains(opening) {
            notes.push(PlanNote::MovedIntoWindow { from, to: opening });
            notes.extend(bank_holidays_passed(window, from, opening));
            return Ok((opening, notes));
        }
    }
    Err(PlanError::WindowNeverOpens(WindowProblem::NeverHappens))
}

/// A note for each bank holiday, on one of the window's days of the week,
/// from the day of `from` up to the day before `to`: why the wave did not go
/// on those days.
fn bank_holidays_passed(
    window: &Window,
    from: DateTime<Tz>,
    to: DateTime<Tz>,
) -> impl Iterator<Item = PlanNote> {
    let first = from.date_naive();
    let last = to.date_naive();
    let (nation, days) = (window.bank_holidays, window.days);
    first
        .iter_days()
        .take_while(move |date| *date < last)
        .filter(move |date| days[date.weekday().num_days_from_monday() as usize])
        .filter_map(move |date| {
            let nation = nation?;
            let holiday = bank_holiday(nation, date)?;
            Some(PlanNote::BankHoliday { holiday, nation })
        })
}
