//! The sweep function: an EventBridge Scheduler rate schedule calls it every
//! five minutes, whatever its input. It calls [`sweep`]: waves their schedule
//! never released are released; texts left `sending` for longer than the
//! send function's timeout and a margin (a send function that timed out or
//! died between Publish and recording the text) become `technical-failure`,
//! since SNS cannot say whether it took them; `queued` recipients no job can
//! still hold get a new one; batches with nothing left to send become
//! `completed`, and cancelled batches with nothing left to settle are
//! closed. It reads only the open batches and the unreleased waves.
//!
//! Then it gives finished batches' items their expiry (DynamoDB's time to
//! live deletes them once it passes): [`handle_with_retention`], within the
//! invocation's time ([`retention`]), `BATCHMSG_RETENTION_DAYS` days after
//! each batch was first seen finished.
//!
//! Its times come from the environment ([`times_from`]):
//! `BATCHMSG_SEND_TIMEOUT_SECONDS` (the send function's timeout, set by the
//! template from the same parameter) and `BATCHMSG_REQUEUE_AFTER_SECONDS`.
//!
//! A failure is an error, and the next run tries again; a sweep repeated or
//! run twice at once changes nothing more, because every move is conditional.
//! Logs carry counts only.

pub mod retention;

use batchmsg_core::ports::{
    BatchRepo, Clock, RecipientRepo, Retention, SendQueue, SmsSender, WaveRepo,
};
use batchmsg_core::retention::{RetentionDays, stamp_finished};
use batchmsg_core::sending::{SendingError, SweepTimes, sweep};
use chrono::{DateTime, TimeDelta, Utc};

use lambda_runtime::Diagnostic;
pub use retention::{
    RETENTION_DAYS_VARIABLE, RetentionError, SETTLE_BEFORE_STAMPING, retention_from,
    stamping_deadline,
};
use serde::Serialize;

/// What the function returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub batches_sending: u64,
    pub failed_as_maybe_sent: u64,
    pub completed: u64,
    /// Cancelled batches closed.
    pub closed: u64,
    /// Overdue waves released.
    pub waves_released: u64,
    /// Queued recipients whose job was lost, given a new one.
    pub requeued: u64,
    /// Finished batches whose every item now has its expiry.
    pub batches_expiring: u64,
    /// Items given their expiry in this run.
    pub items_stamped: u64,
    /// Stamping stopped at the run's deadline with work left (the next run
    /// goes on).
    pub stamping_left: bool,
}

/// The send function's timeout, in seconds: a text `sending` longer than it
/// and [`SweepTimes::STUCK_MARGIN`] is stuck. Default 900 (Lambda's most).
pub const SEND_TIMEOUT_VARIABLE: &str = "BATCHMSG_SEND_TIMEOUT_SECONDS";
/// How long, in seconds, a `queued` recipient of a released wave goes
/// without a job before the sweep gives it a new one: at least the send
/// queue's visibility timeout × its maxReceiveCount + 900 (SQS's longest
/// delay). Default 10,800 ([`SweepTimes::DEFAULT_REQUEUE_AFTER`]).
pub const REQUEUE_AFTER_VARIABLE: &str = "BATCHMSG_REQUEUE_AFTER_SECONDS";

/// Longer than this, a recipient whose job was lost would wait days to be
/// sent: a mistake in the setting, refused.
pub const REQUEUE_AFTER_MAX: TimeDelta = TimeDelta::days(7);

/// A setting the sweep cannot use. Names the variable, quotes its value
/// (a number of seconds, never patient data).
#[derive(Debug, thiserror::Error)]
#[error("{variable} is {value:?}: {expected}")]
pub struct TimesError {
    pub variable: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// The sweep's times from the environment as `lookup` reads it (unset:
/// the defaults of [`SweepTimes`]).
pub fn times_from(lookup: impl Fn(&str) -> Option<String>) -> Result<SweepTimes, TimesError> {
    let seconds = |variable: &'static str, max: i64, expected: &'static str| {
        lookup(variable)
            .map(|value| match value.trim().parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(TimeDelta::seconds(n)),
                _ => Err(TimesError {
                    variable,
                    value,
                    expected,
                }),
            })
            .transpose()
    };
    let send_timeout = seconds(
        SEND_TIMEOUT_VARIABLE,
        900,
        "a whole number of seconds from 1 to 900 (Lambda's longest timeout)",
    )?
    .unwrap_or(SweepTimes::DEFAULT_SEND_TIMEOUT);
    let requeue_after = seconds(
        REQUEUE_AFTER_VARIABLE,
        REQUEUE_AFTER_MAX.num_seconds(),
        "a whole number of seconds, from six send timeouts to 7 days",
    )?
    .unwrap_or(SweepTimes::DEFAULT_REQUEUE_AFTER);
    // A live job can be out of sight in the queue for its visibility
    // timeout, six send timeouts (docs/aws.md): shorter, and every live job
    // gets a duplicate each sweep.
    if requeue_after < send_timeout * 6 {
        return Err(TimesError {
            variable: REQUEUE_AFTER_VARIABLE,
            value: requeue_after.num_seconds().to_string(),
            expected: "at least six send timeouts (the queue's visibility timeout): a live \
                       job can be out of sight that long",
        });
    }
    Ok(SweepTimes::new(send_timeout, requeue_after))
}

#[derive(Debug, thiserror::Error)]
#[error("the sweep stopped part way, and the next run goes on: {0}")]
pub struct SweepError(#[from] pub SendingError);

impl From<SweepError> for Diagnostic {
    fn from(error: SweepError) -> Self {
        Diagnostic {
            error_type: "SweepFailed".to_owned(),
            error_message: error.to_string(),
        }
    }
}

pub async fn handle<R, S, Q, C>(
    repos: &R,
    sender: &S,
    queue: &Q,
    clock: &C,
    times: &SweepTimes,
) -> Result<SweepSummary, SweepError>
where
    R: BatchRepo + RecipientRepo + WaveRepo + Sync,
    S: SmsSender + Sync,
    Q: SendQueue + Sync,
    C: Clock + Sync,
{
    match sweep(repos, repos, repos, sender, queue, clock, times).await {
        Ok(swept) => {
            let summary = SweepSummary {
                batches_sending: swept.batches,
                failed_as_maybe_sent: swept.recovered.failed,
                completed: swept.completed,
                closed: swept.closed,
                waves_released: swept.released,
                requeued: swept.requeued,
                ..SweepSummary::default()
            };
            if summary.failed_as_maybe_sent > 0 {
                tracing::warn!(
                    batches = summary.batches_sending,
                    failed = summary.failed_as_maybe_sent,
                    completed = summary.completed,
                    "texts left sending too long are now technical failures (may have been sent)"
                );
            } else {
                tracing::info!(
                    batches = summary.batches_sending,
                    completed = summary.completed,
                    closed = summary.closed,
                    "swept"
                );
            }
            if summary.waves_released > 0 || summary.requeued > 0 {
                tracing::warn!(
                    waves_released = summary.waves_released,
                    requeued = summary.requeued,
                    "waves their schedule never released, or recipients whose job was lost, sent on"
                );
            }
            Ok(summary)
        }
        Err(error) => {
            tracing::error!(error = %error, "the sweep failed");
            Err(SweepError(error))
        }
    }
}

/// [`handle`], then the retention: each finished batch's items get
/// `expires_at` = when it was first seen finished + `retention`, once it
/// has been finished for `settle` ([`SETTLE_BEFORE_STAMPING`]), until
/// `deadline` ([`stamping_deadline`]). The retention runs even when the
/// sweep failed (a batch stuck in one does not keep others' data); the
/// sweep's error is returned first.
#[allow(clippy::too_many_arguments)]
pub async fn handle_with_retention<R, S, Q, C>(
    repos: &R,
    sender: &S,
    queue: &Q,
    clock: &C,
    times: &SweepTimes,
    retention: RetentionDays,
    settle: TimeDelta,
    deadline: DateTime<Utc>,
) -> Result<SweepSummary, SweepError>
where
    R: BatchRepo + RecipientRepo + WaveRepo + Retention + Sync,
    S: SmsSender + Sync,
    Q: SendQueue + Sync,
    C: Clock + Sync,
{
    let swept = handle(repos, sender, queue, clock, times).await;
    let stamped = stamp_finished(repos, clock, retention.period(), settle, deadline).await;
    let mut summary = swept?;
    match stamped {
        Ok(run) => {
            summary.batches_expiring = run.batches_done;
            summary.items_stamped = run.items;
            summary.stamping_left = run.out_of_time;
            if run.items > 0 || run.out_of_time {
                tracing::info!(
                    batches = run.batches_done,
                    items = run.items,
                    more_to_do = run.out_of_time,
                    retention_days = retention.days(),
                    "finished batches' items given their expiry"
                );
            }
            Ok(summary)
        }
        Err(error) => {
            tracing::error!(error = %error, "giving finished batches their expiry failed");
            Err(SweepError(SendingError::Port(error)))
        }
    }
}
