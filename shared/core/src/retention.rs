//! How long a finished batch's patient data is kept: the rule `batchmsg
//! purge` applies. On AWS the table's time to live does this (90 days); on
//! one machine nothing else would ever delete it.
//!
//! A batch is finished when the delivery state machine can move it no further
//! ([`BatchStatus::is_final`]: completed or cancelled) and none of its texts
//! is still queued or being sent. Its age is counted from its creation (no
//! finish time is stored), so a batch is kept at least the retention period
//! after it was created.
//!
//! On AWS the items of a finished batch are given their expiry by
//! [`stamp_finished`] (the sweep function calls it), and DynamoDB deletes
//! them once it passes.

mod stamp;

pub use stamp::{
    BATCHES_PER_LOOK, BadRetentionDays, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, RetentionDays,
    StampedRun, stamp_finished,
};

use chrono::{DateTime, TimeDelta, Utc};

use crate::batch::{Batch, StatusCounts};
use crate::delivery::BatchStatus;

/// The default retention, as on AWS.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

pub fn default_retention() -> TimeDelta {
    TimeDelta::days(DEFAULT_RETENTION_DAYS)
}

/// Why a batch is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Its status can still change (awaiting upload, validated, scheduled, sending).
    NotFinished(BatchStatus),
    /// Finished, but these texts are still queued or being sent.
    TextsInFlight(u64),
    /// Finished, but younger than the retention period until `until`.
    TooRecent { until: DateTime<Utc> },
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kept::NotFinished(status) => {
                write!(f, "it is {} (not finished)", status.as_str())
            }
            Kept::TextsInFlight(n) => write!(f, "{n} of its texts are still queued or sending"),
            Kept::TooRecent { until } => write!(
                f,
                "it is younger than the retention period (purgeable from {})",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
        }
    }
}

/// Whether `batch`, whose recipients are counted in `counts`, may be purged
/// at `now` when finished batches are kept for `retention`.
pub fn purgeable(
    batch: &Batch,
    counts: &StatusCounts,
    now: DateTime<Utc>,
    retention: TimeDelta,
) -> Result<(), Kept> {
    if !batch.status.is_final() {
        return Err(Kept::NotFinished(batch.status));
    }
    if counts.waiting() > 0 {
        return Err(Kept::TextsInFlight(counts.waiting()));
    }
    let until = batch.created_at + retention;
    if now < until {
        return Err(Kept::TooRecent { until });
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a retention period: write a whole number and a unit, such as 90d \
     (days), 12w (weeks), 36h (hours), 30min or 0s (months are not taken: \
     3 months is about 13w or 90d)"
)]
pub struct BadRetention(String);

/// Reads a retention period: a whole number and one unit, `w` (weeks), `d`
/// (days), `h`, `min` or `s`: `90d`, `12w`, `0s`. A bare `m` or `M` is
/// refused rather than guessed: minutes to one reader, months to another.
pub fn parse_retention(input: &str) -> Result<TimeDelta, BadRetention> {
    let text = input.trim();
    let bad = || BadRetention(text.chars().take(40).collect());
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let number: i64 = text[..split].parse().map_err(|_| bad())?;
    let unit = text[split..].trim();
    let per_unit = match unit {
        "w" | "week" | "weeks" => 7 * 86_400,
        "d" | "day" | "days" => 86_400,
        "h" | "hour" | "hours" => 3_600,
        "min" | "mins" | "minute" | "minutes" => 60,
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        _ => return Err(bad()),
    };
    number
        .checked_mul(per_unit)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(bad)
}

#[cfg(test)]
mod ambiguous_units_tests {
    use super::parse_retention;

    #[test]
    fn a_unit_that_could_mean_months_is_refused_not_read_as_minutes() {
        for ambiguous in ["3M", "3m", "3mo", "3 months", "90D", "12W"] {
            let error = parse_retention(ambiguous).unwrap_err().to_string();
            assert!(
                error.contains("months are not taken"),
                "{ambiguous}: {error}"
            );
        }
        assert_eq!(parse_retention("30min").unwrap().num_seconds(), 1_800);
        assert_eq!(parse_retention("90d").unwrap().num_days(), 90);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::delivery::{BatchEvent, RecipientStatus};

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 9, 0, 0).unwrap()
    }

    fn batch(status: BatchStatus) -> Batch {
        Batch {
            id: "20260101-090000-0001".parse().unwrap(),
            status,
            created_at: t(1),
            list_name: "clinic.csv".to_owned(),
            message: "Hello".to_owned(),
            rows: 2,
            accepted: 2,
            not_accepted: 0,
        }
    }

    fn counts(pairs: &[(RecipientStatus, u64)]) -> StatusCounts {
        StatusCounts {
            by_status: pairs.to_vec(),
            reasons: Vec::new(),
        }
    }

    #[test]
    fn only_completed_and_cancelled_are_final_as_the_state_machine_says() {
        let finals: Vec<BatchStatus> = BatchStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [BatchStatus::Completed, BatchStatus::Cancelled]);
        for &status in BatchStatus::ALL {
            let moves = [
                BatchEvent::Complete,
                BatchEvent::Cancel,
                BatchEvent::Validate,
            ]
            .iter()
            .any(|e| status.apply(*e).is_ok());
            assert!(!(status.is_final() && moves), "{status:?}");
        }
    }

    #[test]
    fn a_finished_batch_is_purgeable_once_the_period_has_passed() {
        let delivered = counts(&[(RecipientStatus::Delivered, 2)]);
        let days = TimeDelta::days;
        for status in [BatchStatus::Completed, BatchStatus::Cancelled] {
            let b = batch(status);
            assert_eq!(purgeable(&b, &delivered, t(31), days(30)), Ok(()));
            assert_eq!(purgeable(&b, &delivered, t(1), TimeDelta::zero()), Ok(()));
            assert_eq!(
                purgeable(&b, &delivered, t(30), days(30)),
                Err(Kept::TooRecent { until: t(31) })
            );
        }
    }

    #[test]
    fn an_unfinished_batch_or_one_with_texts_in_flight_is_kept_whatever_its_age() {
        let done = counts(&[(RecipientStatus::Sent, 2)]);
        for status in [
            BatchStatus::AwaitingUpload,
            BatchStatus::Validated,
            BatchStatus::Scheduled,
            BatchStatus::Sending,
        ] {
            assert_eq!(
                purgeable(&batch(status), &done, t(31), TimeDelta::zero()),
                Err(Kept::NotFinished(status))
            );
        }
        let in_flight = counts(&[
            (RecipientStatus::Cancelled, 1),
            (RecipientStatus::Sending, 1),
            (RecipientStatus::Queued, 1),
        ]);
        assert_eq!(
            purgeable(
                &batch(BatchStatus::Cancelled),
                &in_flight,
                t(31),
                TimeDelta::zero()
            ),
            Err(Kept::TextsInFlight(2))
        );
    }

    #[test]
    fn retention_periods_read_as_written() {
        for (text, seconds) in [
            ("90d", 90 * 86_400),
            ("12w", 12 * 7 * 86_400),
            ("36h", 36 * 3_600),
            ("30min", 1_800),
            ("0s", 0),
            (" 2 days ", 2 * 86_400),
        ] {
            assert_eq!(
                parse_retention(text),
                Ok(TimeDelta::seconds(seconds)),
                "{text}"
            );
        }
        for bad in [
            "",
            "d",
            "90",
            "-1d",
            "1.5d",
            "3mo",
            "1d2h",
            "99999999999999999w",
        ] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
        assert_eq!(default_retention(), TimeDelta::days(90));
    }
}
