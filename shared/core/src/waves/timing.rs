//! Keeping to the plan when sending does not go as planned: a stored
//! sending window governs every text (not only when a wave starts), and
//! waves found overdue (batchmsg was stopped, the computer slept, its clock
//! jumped) go one by one with their planned gaps, not in one burst.
//!
//! The window is used only through [`Window::contains`] and the opening
//! search here, which asks [`Window::contains`] too, so whatever decides
//! whether a day is open (such as bank holidays) governs both.

use std::fmt;

use chrono::{DateTime, Days, TimeDelta, Utc};

use super::london::{self, Local};
use super::{SEARCH_DAYS, UK, Window};
use crate::sending::SendUntil;

/// How late a wave may start and still count as on time: the runner looks
/// at the database every fraction of a second, so only a process that was
/// stopped or held up is later than this.
pub const LATE_AFTER: TimeDelta = TimeDelta::seconds(60);

impl Window {
    /// The first instant at or after `at` at which the window is open; `None`
    /// if it does not open within two weeks (a window [`Window::check`]
    /// accepts always does).
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.contains(at.with_timezone(&UK)) {
            return Some(at);
        }
        let from = at.with_timezone(&UK);
        (0..SEARCH_DAYS).find_map(|offset| {
            let date = from.date_naive().checked_add_days(Days::new(offset))?;
            let opening = london::resolve(date.and_time(self.opens)).ok()?.at;
            (opening > from && self.contains(opening)).then(|| opening.with_timezone(&Utc))
        })
    }
}

/// A text may start only while the window is open.
impl SendUntil for Window {
    fn may_start(&self, now: DateTime<Utc>) -> bool {
        self.contains(now.with_timezone(&UK))
    }
}

/// Why a wave went later than planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LateBecause {
    /// batchmsg was not running when it was due, and `run` started it later.
    NotRunning,
    /// batchmsg was running but held up: the computer was asleep, or its
    /// clock jumped.
    HeldUp,
    /// The plan waited to be confirmed past the wave's time.
    WaitedForConfirmation,
}

/// What `catch_up` decided: new times for the schedules still to fire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaughtUp {
    /// The overdue wave, when it was due, and when it now goes.
    pub wave: u32,
    pub due: DateTime<Utc>,
    pub goes: DateTime<Utc>,
    /// Every schedule whose time changes, the overdue wave's first.
    pub moves: Vec<(u32, DateTime<Utc>)>,
}

/// `pending`: the schedules still to fire, earliest first, as (wave, due).
/// If the first is more than [`LATE_AFTER`] overdue at `now`, it goes now
/// (or when `window` next opens) and every later one keeps its planned gap
/// from the one before it, moved into the window where it falls outside.
/// `None` when nothing is overdue.
pub fn catch_up(
    pending: &[(u32, DateTime<Utc>)],
    now: DateTime<Utc>,
    window: Option<&Window>,
) -> Option<CaughtUp> {
    let &(wave, due) = pending.first()?;
    if due >= now - LATE_AFTER {
        return None;
    }
    let open_from = |at: DateTime<Utc>| window.and_then(|w| w.next_opening(at)).unwrap_or(at);
    let goes = open_from(now);
    let mut moves = vec![(wave, goes)];
    let (mut planned, mut went) = (due, goes);
    for &(later, later_due) in &pending[1..] {
        let at = open_from(went + (later_due - planned)).max(later_due);
        if at != later_due {
            moves.push((later, at));
        }
        (planned, went) = (later_due, at);
    }
    Some(CaughtUp {
        wave,
        due,
        goes,
        moves,
    })
}

/// Something `status` says about a batch's timing, in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimingNote {
    /// A wave went later than planned.
    Late {
        wave: u32,
        due: DateTime<Utc>,
        went: DateTime<Utc>,
        because: LateBecause,
    },
    /// Texts held because the sending window was closed, until it opens.
    Paused {
        at: DateTime<Utc>,
        resumes: DateTime<Utc>,
        texts: u64,
    },
}

impl fmt::Display for TimingNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uk = |at: &DateTime<Utc>| Local(at.with_timezone(&UK));
        match self {
            Self::Late {
                wave,
                due,
                went,
                because,
            } => {
                write!(
                    f,
                    "Wave {wave} was due at {} but went at {}: ",
                    uk(due),
                    uk(went)
                )?;
                f.write_str(match because {
                    LateBecause::NotRunning => {
                        "batchmsg was not running when it was due (it was stopped, or the \
                         computer was off), and started again later. Later waves keep their \
                         planned gaps from then"
                    }
                    LateBecause::HeldUp => {
                        "batchmsg was held up when it was due (the computer was asleep, or its \
                         clock changed). Later waves keep their planned gaps from then"
                    }
                    LateBecause::WaitedForConfirmation => {
                        "the plan waited to be confirmed. Later waves keep their planned gaps \
                         from then"
                    }
                })
            }
            Self::Paused { at, resumes, texts } => {
                let (were, they) = if *texts == 1 {
                    ("text was", "it goes")
                } else {
                    ("texts were", "they go")
                };
                write!(
                    f,
                    "{texts} {were} held at {} because the sending window was closed; {they} \
                     when it opens at {}",
                    uk(at),
                    uk(resumes),
                )
            }
        }
    }
}
