//! `--rate-in fragments`: no second ever holds more fragments than the rate;
//! a text of more fragments than the rate goes alone, in a second of its own.

use std::num::NonZeroU32;
use std::time::Duration;

use tokio::time::Instant;

use super::{EvenlySpacedLimiter, SlidingWindowLimiter};
use crate::ports::RateLimiter;

/// Each text's grant, in order: when (from the start) and its fragments.
async fn grants(limiter: &impl RateLimiter, texts: &[u32]) -> Vec<(Duration, u32)> {
    let start = Instant::now();
    let mut log = Vec::new();
    for &fragments in texts {
        limiter.acquire(fragments).await.unwrap();
        log.push((start.elapsed(), fragments));
    }
    log
}

/// Every second (from any grant) that holds more than `limit` fragments
/// from more than one text.
fn overfull_seconds(log: &[(Duration, u32)], limit: u32) -> Vec<Vec<(Duration, u32)>> {
    let mut overfull = Vec::new();
    for (first, &(at, _)) in log.iter().enumerate() {
        let second: Vec<_> = log[first..]
            .iter()
            .take_while(|(t, _)| *t < at + Duration::from_secs(1))
            .copied()
            .collect();
        let fragments: u32 = second.iter().map(|(_, f)| f).sum();
        if fragments > limit && second.len() > 1 {
            overfull.push(second);
        }
    }
    overfull
}

const MIXES: &[&[u32]] = &[
    &[1, 3, 1, 1, 3, 3, 1],
    &[3, 1, 1, 3, 1],
    &[2, 3, 2, 1, 3, 1, 1, 2],
    &[1, 1, 1, 3, 1, 3],
];

#[tokio::test(start_paused = true)]
async fn the_sliding_window_never_lets_more_fragments_into_a_second_than_the_rate() {
    for texts in MIXES {
        let limiter = SlidingWindowLimiter::per_second(NonZeroU32::new(2).unwrap());
        let log = grants(&limiter, texts).await;
        assert_eq!(overfull_seconds(&log, 2), Vec::<Vec<_>>::new(), "{texts:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_evenly_spaced_share_never_lets_more_fragments_into_a_second_than_the_rate() {
    for texts in MIXES {
        for (rate, instances) in [(2.0, 1), (4.0, 2), (10.0, 1)] {
            let limiter = EvenlySpacedLimiter::new(rate, instances).unwrap();
            let share = (rate / f64::from(instances)) as u32;
            let log = grants(&limiter, texts).await;
            assert_eq!(
                overfull_seconds(&log, share),
                Vec::<Vec<_>>::new(),
                "{texts:?} at {share} a second"
            );
        }
    }
}
