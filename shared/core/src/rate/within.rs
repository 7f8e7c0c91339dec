//! [`Within`]: one sender's own rate inside a limit it shares with others.
//!
//! On one machine each batch keeps the rate it was sent with (`send --rate`,
//! in texts or fragments) while `run --rate` caps the data folder as a
//! whole. A text must fit both: its batch's limiter, counted in the batch's
//! unit, and the shared one, counted in the shared unit. So it is handed
//! the text's fragments, not units: pace callers with
//! [`RateUnit::Fragments`]. It is granted when it fits both at the same
//! moment: waiting for one limit after the other was granted would count
//! the text in the first at a time it did not go, and let two texts of a
//! slow batch through less than a second apart.

use std::sync::Arc;

use crate::ports::{PortResult, RateLimiter};

use super::{Limiter, RateUnit, SlidingWindowLimiter};

/// A limiter of its own (`own`, counting `own_unit`) inside a shared one
/// (`shared`, counting `shared_unit`). `acquire` takes a text's fragments.
#[derive(Debug)]
pub struct Within {
    pub own: Limiter,
    pub own_unit: RateUnit,
    pub shared: Arc<Limiter>,
    pub shared_unit: RateUnit,
}

impl RateLimiter for Within {
    /// Waits until the text fits both limits at once, and counts it in both
    /// from then.
    async fn acquire(&self, fragments: u32) -> PortResult<()> {
        let own = self.own_unit.units(fragments);
        let shared = self.shared_unit.units(fragments);
        match (&self.own, &*self.shared) {
            (Limiter::Unlimited(_), Limiter::Unlimited(_)) => Ok(()),
            (Limiter::SlidingWindow(limiter), Limiter::Unlimited(_)) => limiter.acquire(own).await,
            (Limiter::Unlimited(_), Limiter::SlidingWindow(limiter)) => {
                limiter.acquire(shared).await
            }
            (Limiter::SlidingWindow(first), Limiter::SlidingWindow(second)) => {
                SlidingWindowLimiter::acquire_both(first, own, second, shared).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::rate::WINDOW;

    fn per_second(limit: u32) -> Limiter {
        Limiter::per_second(NonZeroU32::new(limit))
    }

    #[tokio::test(start_paused = true)]
    async fn each_sender_keeps_its_own_rate_within_the_shared_one() {
        let shared = Arc::new(per_second(10));
        let slow = Within {
            own: per_second(2),
            own_unit: RateUnit::Texts,
            shared: shared.clone(),
            shared_unit: RateUnit::Texts,
        };
        let fast = Within {
            own: per_second(6),
            own_unit: RateUnit::Fragments,
            shared: shared.clone(),
            shared_unit: RateUnit::Texts,
        };
        let start = Instant::now();
        // Two texts each take the slow sender's second; three 2-fragment
        // texts the fast one's, and the shared limit (5 texts) is not reached.
        for _ in 0..2 {
            slow.acquire(1).await.unwrap();
        }
        for _ in 0..3 {
            fast.acquire(2).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        fast.acquire(2).await.unwrap();
        assert_eq!(start.elapsed(), WINDOW);
    }
}
