//! The sweep's second job: giving finished batches' items their expiry
//! ([`stamp_finished`]), within what is left of the invocation. Its one
//! setting, `BATCHMSG_RETENTION_DAYS`, is required: how long patient data is
//! kept is a decision the stack's operator makes (the template's
//! `RetentionDays` parameter, default 90), never one the code makes by
//! itself when the variable is missing.

use batchmsg_core::retention::{MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, RetentionDays};
use chrono::{DateTime, TimeDelta, Utc};

/// Days a finished batch's data is kept, counted from when the sweep first
/// saw it finished.
pub const RETENTION_DAYS_VARIABLE: &str = "BATCHMSG_RETENTION_DAYS";

/// Stamping stops starting pages this long before the invocation's
/// deadline. A page is a few hundred requests (under a second at ~10 ms
/// a request); a page cut off by the deadline is stamped again by the
/// next run, which changes nothing (the same value).
pub const STOP_BEFORE_DEADLINE: TimeDelta = TimeDelta::seconds(15);

/// How long a batch has been finished before its items are stamped: longer
/// than the validate function's 15 minutes (its Lambda limit and the
/// template's timeout), the longest an import cut short by a cancel may
/// still be writing the batch's rows. A row written behind a stamping run's
/// place would never expire.
pub const SETTLE_BEFORE_STAMPING: TimeDelta = TimeDelta::minutes(16);

/// The longest one run stamps: less than the schedule's five minutes, so
/// two runs do not stamp the same pages at once.
pub const LONGEST_STAMPING: TimeDelta = TimeDelta::minutes(4);

/// `BATCHMSG_RETENTION_DAYS` missing or unusable. Quotes the value (a
/// number of days, never patient data). Its `Debug` is its message: `main`
/// returns it, and Rust prints a `main`'s error with `{:?}`, the one line
/// Lambda's log shows for a failed start-up.
#[derive(thiserror::Error)]
pub enum RetentionError {
    #[error(
        "{RETENTION_DAYS_VARIABLE} is not set: the template sets it from its RetentionDays \
         parameter (default 90), the days a finished batch's patient data is kept"
    )]
    Missing,
    #[error(
        "{RETENTION_DAYS_VARIABLE} is {value:?}: a whole number of days from \
         {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}"
    )]
    Bad { value: String },
}

impl std::fmt::Debug for RetentionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The retention from the environment as `lookup` reads it.
pub fn retention_from(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<RetentionDays, RetentionError> {
    let value = lookup(RETENTION_DAYS_VARIABLE).ok_or(RetentionError::Missing)?;
    value.parse().map_err(|_| RetentionError::Bad {
        value: value.chars().take(20).collect(),
    })
}

/// When a run that started at `now`, in an invocation that must end by
/// `invocation_deadline`, stops starting pages.
pub fn stamping_deadline(now: DateTime<Utc>, invocation_deadline: DateTime<Utc>) -> DateTime<Utc> {
    (invocation_deadline - STOP_BEFORE_DEADLINE).min(now + LONGEST_STAMPING)
}
