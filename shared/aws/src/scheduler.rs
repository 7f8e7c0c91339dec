//! The wave scheduler on EventBridge Scheduler ([`WaveScheduler`]): one
//! one-time schedule per wave, which invokes the wave function with a
//! [`WaveDue`] at the wave's time.
//!
//! # Each schedule
//!
//! - **Name**: [`schedule_name`], `{batch}-w{wave:05}` (`20261125-170455-3f9a-w00001`),
//!   in the group `BATCHMSG_SCHEDULE_GROUP`. Names are at most 64 characters;
//!   for a batch id too long for that, the name keeps the start of the id and
//!   adds `_` and a hash of the whole id (`_` is not in a batch id, so such a
//!   name can never equal an ordinary one).
//! - **Time**: `at(yyyy-mm-ddThh:mm:ss)` with `ScheduleExpressionTimezone`
//!   `UTC`: the wave's `due`, rounded up to the whole second.
//!
//!   *Why UTC and not Europe/London*: the core has already turned the
//!   planner's UK local times into instants (`Wave.due`), resolving the clock
//!   changes (a local time in the hour the clocks go back happens twice, one
//!   in the hour they go forward never). Handing EventBridge a UK local time
//!   again would ask it to resolve them a second time, perhaps differently;
//!   the UTC instant means exactly one moment. This departs from the issue's
//!   suggestion of `Europe/London` on purpose.
//!
//!   A wave due now or in the past (a "send now" wave) is scheduled
//!   [`MIN_LEAD`] from now: AWS does not document what a one-time schedule
//!   whose time has passed does, and one that never fired would leave the
//!   wave unsent. EventBridge invokes within the minute of the `at()` time
//!   anyway (60-second precision).
//! - `FlexibleTimeWindow` `OFF`, `ActionAfterCompletion` `DELETE` (the
//!   schedule removes itself once it has fired), state `ENABLED`.
//! - **Target**: `BATCHMSG_WAVE_FUNCTION_ARN`, invoked with the role
//!   `BATCHMSG_SCHEDULER_ROLE_ARN`, input `{"batch": "<id>", "wave": N}`
//!   ([`WaveDue`]). **Retries**: if the function cannot be invoked,
//!   EventBridge tries again for up to [`MAX_EVENT_AGE`] (then the wave stays
//!   `pending`, which progress shows; a dead-letter queue is for the
//!   template).
//!
//! Creating a schedule that exists (`ConflictException`) counts as done, so
//! scheduling a batch again changes nothing; removing one that is gone
//! (`ResourceNotFoundException`: fired and deleted, or never made) too. A
//! schedule may fire more than once; the release it triggers is conditional.

use aws_config::SdkConfig;
use aws_sdk_scheduler::config::http::HttpResponse;
use aws_sdk_scheduler::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, ScheduleState,
    Target,
};
use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::ports::{PortError, PortResult, WaveScheduler};
use chrono::{DateTime, TimeDelta, Timelike, Utc};

use crate::config::{self, ConfigError};
use crate::sdk_error::describe;
pub use crate::wave_due::WaveDue;

pub const GROUP_VAR: &str = "BATCHMSG_SCHEDULE_GROUP";
pub const TARGET_VAR: &str = "BATCHMSG_WAVE_FUNCTION_ARN";
pub const ROLE_VAR: &str = "BATCHMSG_SCHEDULER_ROLE_ARN";

/// The time zone every `at()` expression is in (see the module doc).
pub const TIMEZONE: &str = "UTC";

/// EventBridge Scheduler's limit on a schedule's name.
pub const NAME_MAX: usize = 64;

/// How soon, at the earliest, a schedule is set to fire.
pub const MIN_LEAD: TimeDelta = TimeDelta::minutes(1);

/// How long EventBridge keeps trying to invoke the wave function.
pub const MAX_EVENT_AGE: TimeDelta = TimeDelta::hours(1);

/// Invocation attempts within [`MAX_EVENT_AGE`] (EventBridge's maximum).
pub const MAX_RETRY_ATTEMPTS: i32 = 185;

/// The name of wave `wave`'s schedule (see the module doc): unique for each
/// (batch, wave), at most [`NAME_MAX`] characters of `[0-9A-Za-z_-]`.
pub fn schedule_name(batch: &BatchId, wave: u32) -> String {
    let suffix = format!("-w{wave:05}");
    let id = batch.as_str();
    if id.len() + suffix.len() <= NAME_MAX {
        return format!("{id}{suffix}");
    }
    let hash = format!("_{:016x}", fnv1a64(id.as_bytes()));
    let keep = NAME_MAX - hash.len() - suffix.len();
    // Batch ids are ASCII, so any byte index is a character boundary.
    format!("{}{hash}{suffix}", &id[..keep])
}

/// FNV-1a, 64 bits: stable across versions and platforms, unlike std's
/// hasher, so a name computed today matches one computed at unschedule time.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The schedule expression for a wave due at `due`, set up at `now`:
/// `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the second, and no
/// sooner than [`MIN_LEAD`] after `now`.
pub fn at_expression(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let at = ceil_to_second(due.max(now + MIN_LEAD));
    format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"))
}

fn ceil_to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let whole = t.with_nanosecond(0).expect("0 ns is valid");
    if whole == t {
        t
    } else {
        whole + TimeDelta::seconds(1)
    }
}

/// The wave scheduler on EventBridge Scheduler.
#[derive(Clone, Debug)]
pub struct EventBridgeScheduler {
    client: aws_sdk_scheduler::Client,
    group: String,
    target_arn: String,
    role_arn: String,
}

impl EventBridgeScheduler {
    pub fn new(
        client: aws_sdk_scheduler::Client,
        group: impl Into<String>,
        target_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        Self {
            client,
            group: group.into(),
            target_arn: target_arn.into(),
            role_arn: role_arn.into(),
        }
    }

    /// From `BATCHMSG_SCHEDULE_GROUP`, `BATCHMSG_WAVE_FUNCTION_ARN` and
    /// `BATCHMSG_SCHEDULER_ROLE_ARN`.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let group = config::require(GROUP_VAR)?;
        let target = config::require(TARGET_VAR)?;
        let role = config::require(ROLE_VAR)?;
        Ok(Self::new(
            aws_sdk_scheduler::Client::new(sdk),
            group.trim(),
            target.trim(),
            role.trim(),
        ))
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    fn target(&self, event: &WaveDue) -> PortResult<Target> {
        Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(event.to_json())
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_event_age_in_seconds(MAX_EVENT_AGE.num_seconds() as i32)
                    .maximum_retry_attempts(MAX_RETRY_ATTEMPTS)
                    .build(),
            )
            .build()
            .map_err(PortError::new)
    }

    /// Creates the schedule for one wave; whether it was new.
    async fn create(&self, batch: &BatchId, wave: &Wave, now: DateTime<Utc>) -> PortResult<bool> {
        let name = schedule_name(batch, wave.number);
        let event = WaveDue {
            batch: batch.clone(),
            wave: wave.number,
        };
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(PortError::new)?;
        let result = self
            .client
            .create_schedule()
            .name(&name)
            .group_name(&self.group)
            .description(format!(
                "batchmsg: release wave {} of batch {batch}",
                wave.number
            ))
            .schedule_expression(at_expression(wave.due, now))
            .schedule_expression_timezone(TIMEZONE)
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .state(ScheduleState::Enabled)
            .target(self.target(&event)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(CreateScheduleError::ConflictException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(self.failed("create", name, &error)),
        }
    }

    fn failed<E: ProvideErrorMetadata>(
        &self,
        doing: &'static str,
        name: String,
        error: &SdkError<E, HttpResponse>,
    ) -> PortError {
        PortError::new(SchedulerError {
            doing,
            name,
            group: self.group.clone(),
            code: error.code().map(str::to_owned),
            detail: describe(error, true),
        })
    }

    /// Deletes one wave's schedule; whether there was one.
    async fn delete(&self, batch: &BatchId, wave: u32) -> PortResult<bool> {
        let name = schedule_name(batch, wave);
        let result = self
            .client
            .delete_schedule()
            .name(&name)
            .group_name(&self.group)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(DeleteScheduleError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(self.failed("delete", name, &error)),
        }
    }
}

impl WaveScheduler for EventBridgeScheduler {
    async fn schedule(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        let now = Utc::now();
        let mut created = 0;
        for wave in waves {
            if self.create(batch, wave, now).await? {
                created += 1;
            }
        }
        tracing::info!(
            batch = %batch,
            waves = waves.len(),
            created,
            already = waves.len() - created,
            "scheduled waves"
        );
        Ok(())
    }

    async fn unschedule(&self, batch: &BatchId, waves: &[u32]) -> PortResult<()> {
        let mut deleted = 0;
        for &wave in waves {
            if self.delete(batch, wave).await? {
                deleted += 1;
            }
        }
        tracing::info!(
            batch = %batch,
            waves = waves.len(),
            deleted,
            "removed wave schedules"
        );
        Ok(())
    }
}

/// A schedule could not be created or deleted.
#[derive(Debug, thiserror::Error)]
#[error("EventBridge Scheduler could not {doing} the schedule {name} in group {group}: {detail}")]
pub struct SchedulerError {
    doing: &'static str,
    name: String,
    group: String,
    code: Option<String>,
    detail: String,
}

impl SchedulerError {
    /// The service's error code, if it answered with one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn id(s: &str) -> BatchId {
        s.parse().unwrap()
    }

    fn valid_name(name: &str) -> bool {
        (1..=NAME_MAX).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    }

    #[test]
    fn names_are_the_batch_and_the_wave() {
        let batch = id("20261125-170455-3f9a");
        assert_eq!(schedule_name(&batch, 1), "20261125-170455-3f9a-w00001");
        assert_eq!(schedule_name(&batch, 12_345), "20261125-170455-3f9a-w12345");
        assert_eq!(
            schedule_name(&batch, u32::MAX),
            "20261125-170455-3f9a-w4294967295"
        );
    }

    #[test]
    fn long_batch_ids_are_shortened_with_a_hash_and_stay_distinct() {
        let longest = "a".repeat(64);
        let also_long = format!("{}b", "a".repeat(63));
        let just_fits = "c".repeat(NAME_MAX - "-w00001".len());
        let mut names = std::collections::HashSet::new();
        for batch in [&longest, &also_long, &just_fits] {
            for wave in [1, 99_999, 100_000, u32::MAX] {
                let name = schedule_name(&id(batch), wave);
                assert!(valid_name(&name), "{name}");
                assert!(name.ends_with(&format!("-w{wave:05}")), "{name}");
                assert!(names.insert(name.clone()), "{name} twice");
            }
        }
        assert_eq!(schedule_name(&id(&just_fits), 1).len(), NAME_MAX);
        assert!(!schedule_name(&id(&just_fits), 1).contains('_'));
        // One digit more and the id no longer fits: hashed.
        assert!(schedule_name(&id(&just_fits), 100_000).contains('_'));
        let hashed = schedule_name(&id(&longest), 1);
        assert_eq!(hashed.len(), NAME_MAX);
        assert_eq!(
            hashed,
            format!(
                "{}_{:016x}-w00001",
                "a".repeat(40),
                fnv1a64(longest.as_bytes())
            )
        );
    }

    #[test]
    fn the_hash_is_fnv1a_64() {
        // The published test vectors: a name must not change between builds.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn at_is_the_due_time_in_utc_rounded_up_to_the_second() {
        let now = Utc.with_ymd_and_hms(2026, 10, 20, 9, 0, 0).unwrap();
        // 01:30 on the night the clocks go back: the core chose which one.
        let due = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        assert_eq!(at_expression(due, now), "at(2026-10-25T00:30:00)");
        let due = Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap();
        assert_eq!(at_expression(due, now), "at(2026-10-25T01:30:00)");
        let ragged = due + TimeDelta::milliseconds(1);
        assert_eq!(at_expression(ragged, now), "at(2026-10-25T01:30:01)");
    }

    #[test]
    fn a_wave_due_now_or_past_is_set_a_minute_ahead() {
        let now =
            Utc.with_ymd_and_hms(2026, 11, 25, 17, 4, 55).unwrap() + TimeDelta::milliseconds(250);
        assert_eq!(at_expression(now, now), "at(2026-11-25T17:05:56)");
        assert_eq!(
            at_expression(now - TimeDelta::days(3), now),
            "at(2026-11-25T17:05:56)"
        );
        assert_eq!(
            at_expression(now + TimeDelta::minutes(2), now),
            "at(2026-11-25T17:06:56)"
        );
    }
}
