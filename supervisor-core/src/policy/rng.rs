//! The jitter source: SplitMix64, seedable so tests are exact.
//!
//! Jitter needs a fast, well-spread source, not a cryptographic one; ten
//! lines of SplitMix64 beat a dependency.

/// A seedable pseudo-random source for backoff jitter.
#[derive(Clone, Debug)]
pub struct JitterRng {
    state: u64,
}

impl JitterRng {
    /// A source that yields the same sequence for the same seed.
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        JitterRng { state: seed }
    }

    /// A source seeded from the process's random hasher keys.
    #[must_use]
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, RandomState};
        JitterRng::seeded(RandomState::new().hash_one(0x5eed_u64))
    }

    /// The next value, uniform in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits make an exact f64 in [0, 1).
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_values_in_range() {
        let mut a = JitterRng::seeded(7);
        let mut b = JitterRng::seeded(7);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let x = a.next_unit();
            assert_eq!(x, b.next_unit());
            assert!((0.0..1.0).contains(&x));
            sum += x;
        }
        let mean = sum / 10_000.0;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
    }
}
