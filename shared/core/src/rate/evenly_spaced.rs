//! [`PerInstanceLimiter`]: this instance's share of the stack's SMS rate.
//!
//! The stack may send `BATCHMSG_SMS_RATE` texts a second in all. The SQS
//! event source's `MaximumConcurrency` (`BATCHMSG_SEND_CONCURRENCY`, which
//! the template must set to the same number) caps how many instances of the
//! send function run at once, so each takes `rate / concurrency` texts a
//! second and together they cannot go over the rate. Instances that are not
//! running leave their share unused: the price of needing no shared state.
//! A token bucket kept in DynamoDB (`RATE#{name}`) would let one busy instance
//! use the whole rate, at one conditional write a text; to be measured.
//!
//! Texts are paced evenly, one every `1.01 / share` seconds (no burst). A slot
//! is counted from the previous slot, not from when a waiter woke, so a late
//! timer wake-up does not cost the rate. The 1 % is the margin for timer
//! wake-ups: with slots exactly `1 / share` apart, a wake-up a few
//! milliseconds late lets `share + 1` texts into some second (measured by
//! `bash bench/aws-rate.sh`), as it did for the local limiter.

use std::sync::Mutex;
use std::time::Duration;

use batchmsg_aws::config::{self, ConfigError};
use batchmsg_core::ports::{PortResult, RateLimiter};
use tokio::time::{Instant, sleep_until};

/// Texts a second for the whole stack.
pub const RATE_VAR: &str = "BATCHMSG_SMS_RATE";

/// The send function's event source `MaximumConcurrency`.
pub const CONCURRENCY_VAR: &str = "BATCHMSG_SEND_CONCURRENCY";

/// Slots are this much further apart than the share alone would make them.
pub const MARGIN: f64 = 1.01;

/// The slowest share taken: one unit an hour.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3_600);

#[derive(Debug)]
pub struct PerInstanceLimiter {
    /// Time one unit takes.
    interval: Duration,
    /// When the next unit may go.
    next: Mutex<Option<Instant>>,
}

impl PerInstanceLimiter {
    /// `rate` units a second for the stack, shared by at most `instances`.
    /// `None` unless `rate` is a positive number, `instances` at least 1,
    /// and the share at least one unit in [`MAX_INTERVAL`].
    pub fn new(rate: f64, instances: u32) -> Option<Self> {
        if !(rate.is_finite() && rate > 0.0) || instances == 0 {
            return None;
        }
        let interval = Duration::try_from_secs_f64(f64::from(instances) * MARGIN / rate)
            .ok()
            .filter(|i| *i <= MAX_INTERVAL)?;
        Some(Self {
            interval,
            next: Mutex::new(None),
        })
    }

    /// From `BATCHMSG_SMS_RATE` and `BATCHMSG_SEND_CONCURRENCY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let rate: f64 = config::require_parsed(RATE_VAR)?;
        let instances: u32 = config::require_parsed(CONCURRENCY_VAR)?;
        if instances == 0 {
            return Err(ConfigError::Unusable {
                name: CONCURRENCY_VAR,
                why: "it must be at least 1".to_owned(),
            });
        }
        Self::new(rate, instances).ok_or(ConfigError::Unusable {
            name: RATE_VAR,
            why: format!(
                "it must be a positive number of texts a second, at least one an hour for \
                 each of the {instances} instances ({CONCURRENCY_VAR})"
            ),
        })
    }

    /// The time between two units.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl RateLimiter for PerInstanceLimiter {
    async fn acquire(&self, units: u32) -> PortResult<()> {
        if units == 0 {
            return Ok(());
        }
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval * units);
            at
        };
        sleep_until(at).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_the_rate_over_the_instances() {
        let limiter = PerInstanceLimiter::new(20.0, 4).unwrap();
        assert_eq!(limiter.interval(), Duration::from_millis(202));
        let slow = PerInstanceLimiter::new(1.0, 2).unwrap();
        assert_eq!(slow.interval(), Duration::from_millis(2_020));
        for (rate, instances) in [
            (0.0, 1),
            (-1.0, 1),
            (f64::NAN, 1),
            (f64::INFINITY, 1),
            (5.0, 0),
        ] {
            assert!(
                PerInstanceLimiter::new(rate, instances).is_none(),
                "{rate} {instances}"
            );
        }
        // Slower than one an hour.
        assert!(PerInstanceLimiter::new(f64::MIN_POSITIVE, 1).is_none());
        assert!(PerInstanceLimiter::new(1.0 / 3_600.0, 2).is_none());
        assert!(PerInstanceLimiter::new(1.0 / 1_700.0, 1).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn units_are_paced_evenly_from_the_first() {
        let limiter = PerInstanceLimiter::new(10.0, 2).unwrap(); // 5 a second, less 1 %
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..6 {
            limiter.acquire(1).await.unwrap();
            at.push(start.elapsed());
        }
        let expected: Vec<Duration> = (0..6).map(|i| Duration::from_millis(202 * i)).collect();
        assert_eq!(at, expected);
        // Three units take three slots.
        limiter.acquire(3).await.unwrap();
        limiter.acquire(1).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(202 * 9));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_does_not_save_up_a_burst() {
        let limiter = PerInstanceLimiter::new(5.0, 1).unwrap();
        limiter.acquire(1).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        limiter.acquire(1).await.unwrap();
        limiter.acquire(1).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(202));
    }
}
