//! A tiny deterministic PRNG (SplitMix64).
//!
//! Written here rather than taken from `rand` because a seed must give the
//! same list byte for byte on every platform and for ever: demos, fixtures and
//! benchmark baselines are keyed by seed. `rand::rngs::StdRng` explicitly does
//! not promise that across `rand` versions, and SplitMix64 is a dozen lines of
//! pure integer arithmetic with no platform dependence. It is not for secrets.

pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (multiply-shift; the bias is below 2^-32 for the
    /// small `n` used here, and the result is the same everywhere).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// A value in `low..=high`.
    pub(crate) fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below(high - low + 1)
    }

    /// True with probability `percent` / 100.
    pub(crate) fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }

    /// Picks from `(weight, item)` pairs in proportion to the weights.
    pub(crate) fn pick_weighted<T: Copy>(&mut self, table: &[(u32, T)]) -> T {
        let total: u32 = table.iter().map(|(weight, _)| weight).sum();
        let mut ticket = self.below(total);
        for &(weight, item) in table {
            if ticket < weight {
                return item;
            }
            ticket -= weight;
        }
        unreachable!("ticket is below the total weight")
    }
}
