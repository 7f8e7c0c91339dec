//! [`Within`]: one sender's own rate inside a limit it shares with others.
//!
//! On one machine each batch keeps the rate it was sent with (`send --rate`,
//! in texts or fragments) while `run --rate` caps the data folder as a
//! whole. A text must fit both: its batch's limiter, counted in the batch's
//! unit, and the shared one, counted in the shared unit. So it is handed
//! the text's fragments, not units: pace callers with
//! [`RateUnit::Fragments`].

use std::sync::Arc;

use crate::ports::{PortResult, RateLimiter};

use super::RateUnit;

/// A limiter of its own (`own`, counting `own_unit`) inside a shared one
/// (`shared`, counting `shared_unit`: an `Arc` or a reference to the one
/// all share). `acquire` takes a text's fragments.
#[derive(Debug)]
pub struct Within<Own, Shared> {
    pub own: Own,
    pub own_unit: RateUnit,
    pub shared: Shared,
    pub shared_unit: RateUnit,
}

/// One limiter shared by senders that each hold it.
impl<T: RateLimiter + Send + Sync> RateLimiter for Arc<T> {
    fn acquire(&self, units: u32) -> impl Future<Output = PortResult<()>> + Send {
        T::acquire(self, units)
    }
}

impl<Own, Shared> RateLimiter for Within<Own, Shared>
where
    Own: RateLimiter + Sync,
    Shared: RateLimiter + Sync,
{
    /// Waits for the text's own rate first, then for the shared one, so a
    /// text waiting on its own slow rate holds nothing others need.
    async fn acquire(&self, fragments: u32) -> PortResult<()> {
        self.own.acquire(self.own_unit.units(fragments)).await?;
        self.shared.acquire(self.shared_unit.units(fragments)).await
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::rate::{Limiter, WINDOW};

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
