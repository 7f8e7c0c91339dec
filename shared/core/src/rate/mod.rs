//! The sending rate: the [`RateLimiter`](crate::ports::RateLimiter) port's
//! implementations, one for each way batchmsg runs, with one margin and one
//! way of counting a text.
//!
//! - [`SlidingWindowLimiter`]: one process holds every sender (the embedded
//!   default), so it can keep a log of its grants and let bursts through up
//!   to the limit.
//! - [`EvenlySpacedLimiter`]: many Lambda instances share the stack's rate
//!   with no shared state, so each paces its share evenly.
//! - [`Unlimited`], and [`Limiter`] to choose at run time.
//!
//! *Why in core and not an adapter crate*: the limiters are pure timing
//! logic over tokio's clock (no AWS, no SQLite, no files), and tokio is
//! already core's dependency. Here both strategies share [`WINDOW`] and
//! [`RateUnit::units`], their tests run on tokio's paused clock, and the send
//! function's crate, an entry point, no longer exports a library for test
//! binaries. Reading the rate from the environment stays at the edge.

mod evenly_spaced;
mod sliding_window;
mod within;

use std::time::Duration;

pub use evenly_spaced::{EvenlySpacedLimiter, MAX_INTERVAL};
pub use sliding_window::{Limiter, SlidingWindowLimiter, Unlimited};
pub use within::Within;

/// A second as the limiters count it: 1 % longer than a real one. With
/// units granted exactly a second apart, a timer wake-up a few milliseconds
/// late, or texts' `sent_at` stamped a few µs after the grant, cut to
/// milliseconds, from a wall clock NTP may slew, show limit + 1 within some
/// second (measured by `bash bench/rate-accuracy.sh` and
/// `bash bench/aws-rate.sh`). Costs 1 % of the rate.
pub const WINDOW: Duration = Duration::from_millis(1_010);

/// What the rate limit counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RateUnit {
    #[default]
    Texts,
    /// SMS fragments: a 3-fragment text takes three.
    Fragments,
}

impl RateUnit {
    /// The units one text of `fragments` fragments takes (at least one).
    pub fn units(self, fragments: u32) -> u32 {
        match self {
            RateUnit::Texts => 1,
            RateUnit::Fragments => fragments.max(1),
        }
    }
}

#[cfg(test)]
mod fragments_tests;
#[cfg(test)]
mod tests;
