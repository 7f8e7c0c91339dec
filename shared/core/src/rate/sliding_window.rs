//! The embedded default's rate, shared by every sending task of the process.
//!
//! [`SlidingWindowLimiter`] keeps a log of the grants of the last
//! [`WINDOW`] and grants only while their units stay within the limit, so no
//! window ever holds more than the limit, and a late timer wake-up costs only
//! that wake-up's delay, never a slot (a token bucket with a burst of one
//! loses every late wake-up; with a larger burst it lets limit + 1 through).

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::{Instant, sleep_until};

use super::WINDOW;
use crate::ports::{PortResult, RateLimiter};

/// At most `limit` units (texts or fragments) in any [`WINDOW`].
///
/// Waiters are served first come, first served (the one holding the lock
/// sleeps until its units fit).
#[derive(Debug)]
pub struct SlidingWindowLimiter {
    limit: u32,
    window: Duration,
    grants: Mutex<Grants>,
}

/// The grants still within the window, oldest first, and their units.
#[derive(Debug, Default)]
struct Grants {
    log: VecDeque<(Instant, u32)>,
    units: u64,
}

impl Grants {
    fn forget_older_than(&mut self, window: Duration, now: Instant) {
        while let Some(&(at, units)) = self.log.front() {
            if at + window > now {
                break;
            }
            self.log.pop_front();
            self.units -= u64::from(units);
        }
    }

    /// When enough grants will have left the window for `units` more to fit
    /// (`None` if the window is empty already).
    fn room_at(&self, window: Duration, limit: u32, units: u32) -> Option<Instant> {
        let mut left = self.units;
        for &(at, granted) in &self.log {
            left -= u64::from(granted);
            // An empty window takes any number of units.
            if left + u64::from(units) <= u64::from(limit) || left == 0 {
                return Some(at + window);
            }
        }
        None
    }
}

impl SlidingWindowLimiter {
    /// At most `limit` units a second (kept over [`WINDOW`]).
    pub fn per_second(limit: NonZeroU32) -> Self {
        Self {
            limit: limit.get(),
            window: WINDOW,
            grants: Mutex::new(Grants::default()),
        }
    }
}

impl SlidingWindowLimiter {
    /// As [`SlidingWindowLimiter::per_second`], counting grants made before
    /// it existed (by a process that stopped), each `ago` before now, so a
    /// restart cannot double the rate for a second.
    pub fn per_second_after(limit: NonZeroU32, earlier: &[(Duration, u32)]) -> Self {
        let now = Instant::now();
        let mut earlier: Vec<(Instant, u32)> = earlier
            .iter()
            .filter(|(ago, _)| *ago < WINDOW)
            .filter_map(|&(ago, units)| Some((now.checked_sub(ago)?, units)))
            .collect();
        earlier.sort_by_key(|(at, _)| *at);
        let grants = Grants {
            units: earlier.iter().map(|(_, units)| u64::from(*units)).sum(),
            log: earlier.into(),
        };
        Self {
            limit: limit.get(),
            window: WINDOW,
            grants: Mutex::new(grants),
        }
    }
}

impl RateLimiter for SlidingWindowLimiter {
    /// Waits until `units` fit in the window. More units than the limit are
    /// granted once the window is empty, so a long text cannot wait forever.
    async fn acquire(&self, units: u32) -> PortResult<()> {
        if units == 0 {
            return Ok(());
        }
        let mut grants = self.grants.lock().await;
        loop {
            let now = Instant::now();
            grants.forget_older_than(self.window, now);
            let fits = grants.units + u64::from(units) <= u64::from(self.limit);
            if fits || grants.log.is_empty() {
                grants.log.push_back((now, units));
                grants.units += u64::from(units);
                return Ok(());
            }
            // Some grant is in the window, so the last one leaving makes room.
            let wake = grants
                .room_at(self.window, self.limit, units)
                .unwrap_or(now + self.window);
            sleep_until(wake).await;
        }
    }
}

impl SlidingWindowLimiter {
    /// When `units` might fit, if they do not now (`grants` is this
    /// limiter's, locked).
    fn wait(&self, grants: &mut Grants, now: Instant, units: u32) -> Option<Instant> {
        grants.forget_older_than(self.window, now);
        let fits = grants.units + u64::from(units) <= u64::from(self.limit);
        if units == 0 || fits || grants.log.is_empty() {
            return None;
        }
        Some(
            grants
                .room_at(self.window, self.limit, units)
                .unwrap_or(now + self.window),
        )
    }

    /// Waits until `a` units fit in `first` and `b` in `second` at the same
    /// moment, and grants both then: a text that waited on one limit must
    /// not be counted by the other at an earlier time than it went.
    /// `first` is locked before `second`, so callers must always pass them
    /// in the same order (a sender's own limiter, then the shared one).
    pub async fn acquire_both(first: &Self, a: u32, second: &Self, b: u32) -> PortResult<()> {
        loop {
            let wake = {
                let mut one = first.grants.lock().await;
                let mut two = second.grants.lock().await;
                let now = Instant::now();
                match (first.wait(&mut one, now, a), second.wait(&mut two, now, b)) {
                    (None, None) => {
                        for (grants, units) in [(&mut one, a), (&mut two, b)] {
                            if units > 0 {
                                grants.log.push_back((now, units));
                                grants.units += u64::from(units);
                            }
                        }
                        return Ok(());
                    }
                    (x, y) => x.max(y).unwrap_or(now),
                }
            };
            sleep_until(wake).await;
        }
    }
}

/// No limit: every acquire returns at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

impl RateLimiter for Unlimited {
    async fn acquire(&self, _units: u32) -> PortResult<()> {
        Ok(())
    }
}

/// The limiter for a run: a rate, or none.
#[derive(Debug)]
pub enum Limiter {
    Unlimited(Unlimited),
    SlidingWindow(SlidingWindowLimiter),
}

impl Limiter {
    /// `None` sends as fast as the provider takes them.
    pub fn per_second(limit: Option<NonZeroU32>) -> Self {
        Self::per_second_after(limit, &[])
    }

    /// As [`Limiter::per_second`], counting `earlier` grants (see
    /// [`SlidingWindowLimiter::per_second_after`]).
    pub fn per_second_after(limit: Option<NonZeroU32>, earlier: &[(Duration, u32)]) -> Self {
        match limit {
            Some(limit) => {
                Self::SlidingWindow(SlidingWindowLimiter::per_second_after(limit, earlier))
            }
            None => Self::Unlimited(Unlimited),
        }
    }
}

impl RateLimiter for Limiter {
    async fn acquire(&self, units: u32) -> PortResult<()> {
        match self {
            Limiter::Unlimited(unlimited) => unlimited.acquire(units).await,
            Limiter::SlidingWindow(limiter) => limiter.acquire(units).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn limiter(limit: u32) -> Arc<SlidingWindowLimiter> {
        Arc::new(SlidingWindowLimiter::per_second(
            NonZeroU32::new(limit).unwrap(),
        ))
    }

    /// Runs `tasks` acquirers of `units` each until `run` has passed, each
    /// "publishing" for `publish` after a grant; the grants, in order.
    async fn grants(
        limiter: Arc<SlidingWindowLimiter>,
        tasks: usize,
        units: u32,
        publish: Duration,
        run: Duration,
    ) -> Vec<(Duration, u32)> {
        let start = Instant::now();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (limiter, log) = (limiter.clone(), log.clone());
                tokio::spawn(async move {
                    loop {
                        limiter.acquire(units).await.unwrap();
                        let at = start.elapsed();
                        if at >= run {
                            break;
                        }
                        log.lock().unwrap().push((at, units));
                        tokio::time::sleep(publish).await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        let mut log = log.lock().unwrap().clone();
        log.sort();
        log
    }

    /// The most units granted within any second.
    fn busiest_second(grants: &[(Duration, u32)]) -> u32 {
        (0..grants.len())
            .map(|first| {
                grants[first..]
                    .iter()
                    .take_while(|(at, _)| *at < grants[first].0 + Duration::from_secs(1))
                    .map(|(_, units)| units)
                    .sum()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_limit_across_concurrent_senders() {
        for publish in [
            Duration::ZERO,
            Duration::from_millis(3),
            Duration::from_millis(70),
        ] {
            let log = grants(limiter(50), 12, 1, publish, Duration::from_secs(10)).await;
            assert_eq!(busiest_second(&log), 50, "publishing for {publish:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throughput_stays_within_one_percent_of_the_limit() {
        let run = Duration::from_secs(20);
        let log = grants(limiter(50), 8, 1, Duration::from_millis(3), run).await;
        // Each slot of the window comes round again after this long.
        let periods: Vec<f64> = log
            .windows(51)
            .map(|w| (w[50].0 - w[0].0).as_secs_f64())
            .collect();
        let rate = 50.0 * periods.len() as f64 / periods.iter().sum::<f64>();
        assert!(rate >= 0.99 * 50.0, "{rate} a second");
        assert!(log.len() as f64 >= 0.99 * 50.0 * run.as_secs_f64());
    }

    #[tokio::test(start_paused = true)]
    async fn fragments_count_as_units() {
        let log = grants(limiter(10), 4, 3, Duration::ZERO, Duration::from_secs(5)).await;
        assert_eq!(busiest_second(&log), 9);
        assert!(log.len() >= 15, "{} texts of 3 fragments in 5 s", log.len());
    }

    #[tokio::test(start_paused = true)]
    async fn more_units_than_the_limit_wait_for_an_empty_window_not_forever() {
        let limiter = limiter(10);
        let start = Instant::now();
        limiter.acquire(4).await.unwrap();
        limiter.acquire(25).await.unwrap();
        assert_eq!(start.elapsed(), WINDOW);
        limiter.acquire(1).await.unwrap();
        assert_eq!(start.elapsed(), 2 * WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let limiter = Limiter::per_second(None);
        let start = Instant::now();
        for _ in 0..10_000 {
            limiter.acquire(6).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn grants_made_before_a_restart_still_count() {
        let limit = NonZeroU32::new(10).unwrap();
        // Ten texts 300 ms ago: none may go until they leave the window.
        let earlier = vec![(Duration::from_millis(300), 1); 10];
        let limiter = SlidingWindowLimiter::per_second_after(limit, &earlier);
        let start = Instant::now();
        limiter.acquire(1).await.unwrap();
        assert!(start.elapsed() >= WINDOW - Duration::from_millis(300));
        // Grants from longer ago than the window are forgotten at once.
        let old = vec![(Duration::from_secs(5), 1); 10];
        let limiter = SlidingWindowLimiter::per_second_after(limit, &old);
        let start = Instant::now();
        limiter.acquire(10).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
