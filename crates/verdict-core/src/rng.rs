//! SplitMix64, the one pseudo-random generator of verdict (bootstrap draws, sample data).
//!
//! Hand-written rather than taken from the `rand` crate: a seed must give the same draws on
//! every platform and after every dependency upgrade, because committed sample data and
//! reproducible intervals depend on it.

/// Advances `state` and returns the next 64 random bits.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_sequence() {
        // The published SplitMix64 test vector for seed 1234567.
        let mut state = 1_234_567;
        let first: Vec<u64> = (0..3).map(|_| super::splitmix64(&mut state)).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }
}
