//! [`EvenlySpacedLimiter`]: one send function instance's share of the
//! stack's SMS rate.
//!
//! The stack may send `rate` texts a second in all (`BATCHMSG_SMS_RATE`). The
//! SQS event source's `MaximumConcurrency` (`BATCHMSG_SEND_CONCURRENCY`, which
//! the template must set to the same number) caps how many instances of the
//! send function run at once, so each takes `rate / concurrency` texts a
//! second and together they cannot go over the rate. Instances that are not
//! running leave their share unused: the price of needing no shared state.
//! A token bucket kept in DynamoDB (`RATE#{name}`) would let one busy instance
//! use the whole rate, at one conditional write a text; to be measured.
//!
//! Texts are paced evenly, one every [`WINDOW`]` / share` (no burst): the
//! same 1 % margin as the sliding window, for timer wake-ups. A slot is
//! counted from the previous slot, not from when a waiter woke, so a late
//! timer wake-up does not cost the rate.
//!
//! Texts of several units (fragments) are also kept within a window: even
//! spacing alone lets a 3-unit text follow a 1-unit one half a second later
//! at a share of 2, four units in one second. So a text also waits until
//! the units granted in the [`WINDOW`] before it leave room for its own
//! (or, if it alone is over the share, until it is alone in its window).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use super::WINDOW;
use crate::ports::{PortResult, RateLimiter};

/// The slowest share taken: one unit an hour.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3_600);

#[derive(Debug)]
pub struct EvenlySpacedLimiter {
    /// Time one unit takes.
    interval: Duration,
    /// The most units in any [`WINDOW`]: the share, rounded down (at least 1).
    most: u64,
    /// When the next unit may go, and the grants of the last window.
    next: Mutex<Paced>,
}

#[derive(Debug, Default)]
struct Paced {
    next: Option<Instant>,
    /// Grants (possibly still to come) within a window of the latest, oldest
    /// first.
    log: VecDeque<(Instant, u32)>,
}

impl Paced {
    /// The earliest time from `at` at which `units` fit in the window.
    fn room_from(&mut self, mut at: Instant, units: u32, most: u64) -> Instant {
        loop {
            while self.log.front().is_some_and(|&(t, _)| t + WINDOW <= at) {
                self.log.pop_front();
            }
            let held: u64 = self.log.iter().map(|&(_, u)| u64::from(u)).sum();
            match self.log.front() {
                Some(&(oldest, _)) if held + u64::from(units) > most => at = oldest + WINDOW,
                _ => return at,
            }
        }
    }
}

impl EvenlySpacedLimiter {
    /// `rate` units a second for the stack, shared by at most `instances`.
    /// `None` unless `rate` is a positive number, `instances` at least 1,
    /// and the share at least one unit in [`MAX_INTERVAL`].
    pub fn new(rate: f64, instances: u32) -> Option<Self> {
        if !(rate.is_finite() && rate > 0.0) || instances == 0 {
            return None;
        }
        let interval =
            Duration::try_from_secs_f64(WINDOW.as_secs_f64() * f64::from(instances) / rate)
                .ok()
                .filter(|i| *i <= MAX_INTERVAL)?;
        let most = ((rate / f64::from(instances)).floor() as u64).max(1);
        Some(Self {
            interval,
            most,
            next: Mutex::new(Paced::default()),
        })
    }

    /// The time between two units.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl RateLimiter for EvenlySpacedLimiter {
    async fn acquire(&self, units: u32) -> PortResult<()> {
        if units == 0 {
            return Ok(());
        }
        let at = {
            let mut paced = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = paced.next.map_or(now, |n| n.max(now));
            let at = paced.room_from(at, units, self.most);
            paced.next = Some(at + self.interval * units);
            paced.log.push_back((at, units));
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
        let limiter = EvenlySpacedLimiter::new(20.0, 4).unwrap();
        assert_eq!(limiter.interval(), Duration::from_millis(202));
        let slow = EvenlySpacedLimiter::new(1.0, 2).unwrap();
        assert_eq!(slow.interval(), Duration::from_millis(2_020));
        for (rate, instances) in [
            (0.0, 1),
            (-1.0, 1),
            (f64::NAN, 1),
            (f64::INFINITY, 1),
            (5.0, 0),
        ] {
            assert!(
                EvenlySpacedLimiter::new(rate, instances).is_none(),
                "{rate} {instances}"
            );
        }
        // Slower than one an hour.
        assert!(EvenlySpacedLimiter::new(f64::MIN_POSITIVE, 1).is_none());
        assert!(EvenlySpacedLimiter::new(1.0 / 3_600.0, 2).is_none());
        assert!(EvenlySpacedLimiter::new(1.0 / 1_700.0, 1).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn units_are_paced_evenly_from_the_first() {
        let limiter = EvenlySpacedLimiter::new(10.0, 2).unwrap(); // 5 a second, less 1 %
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..6 {
            limiter.acquire(1).await.unwrap();
            at.push(start.elapsed());
        }
        let expected: Vec<Duration> = (0..6).map(|i| Duration::from_millis(202 * i)).collect();
        assert_eq!(at, expected);
        // Three units wait until the window before them holds two at most
        // (the grants at 404 and 606 ms leave it), then take three slots.
        limiter.acquire(3).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(606 + 1_010));
        limiter.acquire(1).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(606 + 1_010 + 202 * 3)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_does_not_save_up_a_burst() {
        let limiter = EvenlySpacedLimiter::new(5.0, 1).unwrap();
        limiter.acquire(1).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        limiter.acquire(1).await.unwrap();
        limiter.acquire(1).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(202));
    }
}
