//! The streaming Poisson bootstrap: every replicate's counter sums, accumulated while the
//! examples are folded, so intervals need no second pass over the examples.
//!
//! A replicate gives each unit (an example, or a `--cluster-by` cluster) an independent
//! Poisson(1) weight instead of drawing n units with replacement (Hanley & MacGibbon 2006;
//! Chamandy et al. 2012). The weight of unit u in replicate r comes from a counter-based
//! generator: `stream = SHA-256("verdict poisson bootstrap\0" ‖ seed ‖ key)` (first 8 bytes,
//! little-endian), and the r-th output of SplitMix64 started at `stream`, turned into a
//! Poisson(1) count by inversion against its distribution function (thresholds exact to 64
//! bits). So a unit has the same weights in every run that sees it: in another shard, with
//! another thread count, or for another model scored on the same test set with the same seed.
//!
//! Weights and counters are integers, so every sum is exact and does not depend on the order
//! the examples are added in. The sums are kept in blocks of [`BLOCK`] replicates, counter by
//! counter, so adding an example is a multiply-add over a block-sized array per counter.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::resample::{
    FIXED, Interval, Layout, NamedCounts, OUT_OF_SET, OUT_OF_SET_EXPECTED, UNITS, metric_names,
    metric_values, percentile_interval,
};

/// Replicates summed side by side: one block's counter row is this many `i64`s, long enough
/// to vectorise, short enough that a run of 1,000 replicates still splits over the threads.
pub const BLOCK: usize = 64;

/// SplitMix64's increment: output r of a stream is the mix of `stream + (r + 1) · GAMMA`.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// `floor(2^64 · P(K ≤ k))` for K ~ Poisson(1), k = 0..19, worked out with 80-digit decimals
/// (Python's `decimal`): a uniform 64-bit draw u gives the count of thresholds u reaches.
/// P(K ≥ 21) is below 2^-64, so 20 is the largest weight.
const POISSON_CDF: [u64; 20] = [
    0x5e2d_58d8_b3bc_df1a,
    0xbc5a_b1b1_6779_be35,
    0xeb71_5e1d_c158_2dc2,
    0xfb23_9797_34a2_52f1,
    0xff10_25f5_9174_dc3d,
    0xffd9_0f3b_a405_5e19,
    0xfffa_8b71_fc72_c913,
    0xffff_540c_0914_b3c9,
    0xffff_ed1f_4aa8_f120,
    0xffff_fe21_6e64_1462,
    0xffff_ffd4_d85d_3183,
    0xffff_fffc_6da2_62b4,
    0xffff_ffff_ba12_d178,
    0xffff_ffff_fb07_c64c,
    0xffff_ffff_ffab_8ea5,
    0xffff_ffff_fffa_be22,
    0xffff_ffff_ffff_b11a,
    0xffff_ffff_ffff_fba1,
    0xffff_ffff_ffff_ffc5,
    0xffff_ffff_ffff_fffd,
];

/// The generator stream of the unit named `key` under `seed`.
pub fn unit_stream(seed: u64, key: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"verdict poisson bootstrap\0");
    hasher.update(seed.to_le_bytes());
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The Poisson(1) weight of the unit with generator `stream` in replicate `replicate`.
pub fn weight(stream: u64, replicate: usize) -> i64 {
    let mut state = stream.wrapping_add((replicate as u64).wrapping_mul(GAMMA));
    poisson(crate::rng::splitmix64(&mut state))
}

/// Inversion, exact to the 64 bits: the top 16 bits of a draw settle its count by a table
/// lookup, except in the few slices of 2^48 draws that hold a threshold, where the thresholds
/// are compared. A loop over the thresholds alone mispredicts a branch on most draws, which
/// made the weights most of an interval's cost.
fn poisson(u: u64) -> i64 {
    match BY_TOP_BITS[(u >> 48) as usize] {
        SPLIT => POISSON_CDF.iter().take_while(|&&t| u >= t).count() as i64,
        k => i64::from(k),
    }
}

/// Marks a slice of [`BY_TOP_BITS`] that a threshold splits.
const SPLIT: u8 = u8::MAX;

/// Per value of a draw's top 16 bits: the count of every draw with those bits, or [`SPLIT`].
static BY_TOP_BITS: [u8; 1 << 16] = by_top_bits();

const fn by_top_bits() -> [u8; 1 << 16] {
    let mut table = [0u8; 1 << 16];
    // The thresholds are increasing: `k` counts those at or below the slice's first draw.
    let mut k = 0;
    let mut top = 0;
    while top < 1 << 16 {
        let first = (top as u64) << 48;
        while k < POISSON_CDF.len() && POISSON_CDF[k] <= first {
            k += 1;
        }
        let split = k < POISSON_CDF.len() && POISSON_CDF[k] <= first | ((1 << 48) - 1);
        table[top] = if split { SPLIT } else { k as u8 };
        top += 1;
    }
    table
}

/// Every replicate's weighted counter sums, and the unweighted sums (the run's own), for the
/// examples added so far. Class counters are kept per label in the order labels were first
/// seen, and put in a report's order when the intervals are computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub struct Replicates {
    replicates: usize,
    /// Examples added: the units, unless clustered.
    examples: u64,
    /// With `--cluster-by`: the streams of the clusters seen (a cluster's stream stands for its
    /// key), to count the units.
    clusters: Option<HashSet<u64>>,
    labels: Vec<String>,
    index: HashMap<String, usize>,
    /// Per counter (`FIXED` fixed ones, then three per label), its unweighted sum.
    total: Vec<i64>,
    /// Per block of [`BLOCK`] replicates (the last may be shorter): per counter, one sum per
    /// replicate of the block.
    blocks: Vec<Vec<i64>>,
}

/// [`Replicates`] as `partial.json` stores it: the label index is rebuilt, the clusters sorted.
#[derive(Serialize, Deserialize)]
struct Stored {
    replicates: usize,
    examples: u64,
    clusters: Option<Vec<u64>>,
    labels: Vec<String>,
    total: Vec<i64>,
    blocks: Vec<Vec<i64>>,
}

/// Read back only when its parts fit together: a damaged `replicates.bin` or `partial.json`
/// that still decodes would otherwise put one replicate's sums in another's place (a changed
/// replicate count shifts every later lane), and pair or merge the wrong numbers silently.
impl TryFrom<Stored> for Replicates {
    type Error = String;

    fn try_from(stored: Stored) -> Result<Replicates, String> {
        let width = FIXED + 3 * stored.labels.len();
        let index: HashMap<String, usize> = stored
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i))
            .collect();
        if stored.replicates == 0 {
            return Err("it holds no replicates".into());
        }
        if index.len() != stored.labels.len() {
            return Err("a label is named twice".into());
        }
        if stored.total.len() != width {
            return Err(format!(
                "{} counters for {} labels, where {width} were expected",
                stored.total.len(),
                stored.labels.len()
            ));
        }
        if stored.total[UNITS] != stored.examples as i64 {
            return Err(format!(
                "its examples' counter is {} where it holds {} examples",
                stored.total[UNITS], stored.examples
            ));
        }
        let blocks = stored.replicates.div_ceil(BLOCK);
        if stored.blocks.len() != blocks {
            return Err(format!(
                "{} blocks of sums for {} replicates, where {blocks} were expected",
                stored.blocks.len(),
                stored.replicates
            ));
        }
        for (b, block) in stored.blocks.iter().enumerate() {
            let expected = width * lanes(stored.replicates, b);
            if block.len() != expected {
                return Err(format!(
                    "block {b} holds {} sums, where {expected} were expected",
                    block.len()
                ));
            }
        }
        Ok(Replicates {
            replicates: stored.replicates,
            examples: stored.examples,
            clusters: stored.clusters.map(|c| c.into_iter().collect()),
            labels: stored.labels,
            index,
            total: stored.total,
            blocks: stored.blocks,
        })
    }
}

/// Stored canonically, labels sorted and clusters too: the same sums give the same bytes
/// whatever order the labels were met in, so a merged run's `replicates.bin` is a single
/// run's byte for byte.
impl From<Replicates> for Stored {
    fn from(r: Replicates) -> Stored {
        let clusters = r.clusters.map(|c| {
            let mut c: Vec<u64> = c.into_iter().collect();
            c.sort_unstable();
            c
        });
        let mut order: Vec<usize> = (0..r.labels.len()).collect();
        order.sort_by(|&x, &y| r.labels[x].cmp(&r.labels[y]));
        // Counter k of the stored layout is counter `source(k)` of this one.
        let source = |k: usize| match k.checked_sub(FIXED) {
            None => k,
            Some(at) => FIXED + 3 * order[at / 3] + at % 3,
        };
        let width = FIXED + 3 * r.labels.len();
        let total = (0..width)
            .map(|k| r.total.get(source(k)).copied().unwrap_or(0))
            .collect();
        let blocks = r
            .blocks
            .iter()
            .enumerate()
            .map(|(b, block)| {
                let lanes = lanes(r.replicates, b);
                let mut sorted = vec![0; width * lanes];
                for (k, row) in sorted.chunks_exact_mut(lanes).enumerate() {
                    if let Some(from) = block.get(source(k) * lanes..(source(k) + 1) * lanes) {
                        row.copy_from_slice(from);
                    }
                }
                sorted
            })
            .collect();
        Stored {
            replicates: r.replicates,
            examples: r.examples,
            clusters,
            labels: order.iter().map(|&i| r.labels[i].clone()).collect(),
            total,
            blocks,
        }
    }
}

impl Replicates {
    /// No examples yet, for `replicates` replicates (at least 1); `clustered` when units are
    /// clusters rather than examples.
    pub fn new(replicates: usize, clustered: bool) -> Replicates {
        let blocks = replicates.div_ceil(BLOCK);
        Replicates {
            replicates,
            examples: 0,
            clusters: clustered.then(HashSet::new),
            labels: Vec::new(),
            index: HashMap::new(),
            total: vec![0; FIXED],
            blocks: (0..blocks)
                .map(|b| vec![0; FIXED * lanes(replicates, b)])
                .collect(),
        }
    }

    /// How many replicates.
    pub fn replicates(&self) -> usize {
        self.replicates
    }

    /// How many examples were added.
    pub fn examples(&self) -> usize {
        self.examples as usize
    }

    /// How many units (examples, or clusters) were added.
    pub fn units(&self) -> usize {
        match &self.clusters {
            Some(clusters) => clusters.len(),
            None => self.examples as usize,
        }
    }

    fn width(&self) -> usize {
        FIXED + 3 * self.labels.len()
    }

    fn intern(&mut self, label: &str) -> usize {
        if let Some(&i) = self.index.get(label) {
            return i;
        }
        self.labels.push(label.to_owned());
        self.index.insert(label.to_owned(), self.labels.len() - 1);
        self.labels.len() - 1
    }

    /// Adds examples, each with its unit's stream ([`unit_stream`]) and its counts. The
    /// replicate blocks are filled on the current rayon pool.
    pub fn add(&mut self, examples: &[(u64, &NamedCounts)]) {
        let fixed = Layout::fixed_only();
        let mut draws: Vec<(u64, Vec<(u32, i64)>)> = Vec::with_capacity(examples.len());
        for &(stream, counts) in examples {
            let mut counters = counts.counters(&fixed);
            for (label, values) in &counts.classes {
                let at = FIXED + 3 * self.intern(label);
                for (slot, &v) in values.iter().enumerate() {
                    if v != 0 {
                        counters.push(((at + slot) as u32, v));
                    }
                }
            }
            if let Some(clusters) = &mut self.clusters {
                clusters.insert(stream);
            }
            self.examples += 1;
            draws.push((stream, counters));
        }
        let width = self.width();
        self.total.resize(width, 0);
        for (_, counters) in &draws {
            for &(k, v) in counters {
                self.total[k as usize] += v;
            }
        }
        let replicates = self.replicates;
        self.blocks
            .par_iter_mut()
            .enumerate()
            .for_each(|(b, block)| {
                let (first, lanes) = (b * BLOCK, lanes(replicates, b));
                block.resize(width * lanes, 0);
                let mut weights = [0i64; BLOCK];
                let weights = &mut weights[..lanes];
                for (stream, counters) in &draws {
                    for (j, w) in weights.iter_mut().enumerate() {
                        *w = weight(*stream, first + j);
                    }
                    for &(k, v) in counters {
                        let row = &mut block[k as usize * lanes..][..lanes];
                        // Most counters are 1 (a tier, a match): an add, which vectorises
                        // where a 64-bit multiply (without AVX-512) does not.
                        if v == 1 {
                            for (sum, &w) in row.iter_mut().zip(weights.iter()) {
                                *sum += w;
                            }
                        } else {
                            for (sum, &w) in row.iter_mut().zip(weights.iter()) {
                                *sum += w * v;
                            }
                        }
                    }
                }
            });
    }

    /// Adds another part's sums (a shard of the same run: same replicates, seed and units).
    pub fn merge(&mut self, other: &Replicates) {
        assert_eq!(self.replicates, other.replicates, "parts of one run");
        let map: Vec<usize> = other.labels.iter().map(|l| self.intern(l)).collect();
        let target = |k: usize| match k.checked_sub(FIXED) {
            None => k,
            Some(at) => FIXED + 3 * map[at / 3] + at % 3,
        };
        let width = self.width();
        self.total.resize(width, 0);
        for (k, &v) in other.total.iter().enumerate() {
            self.total[target(k)] += v;
        }
        for (b, (block, theirs)) in self.blocks.iter_mut().zip(&other.blocks).enumerate() {
            let lanes = lanes(self.replicates, b);
            block.resize(width * lanes, 0);
            for (k, row) in theirs.chunks_exact(lanes).enumerate() {
                let at = target(k) * lanes;
                for (sum, v) in block[at..at + lanes].iter_mut().zip(row) {
                    *sum += v;
                }
            }
        }
        self.examples += other.examples;
        if let (Some(mine), Some(theirs)) = (&mut self.clusters, &other.clusters) {
            mine.extend(theirs);
        }
    }

    /// The counters of a report's `layout` from per-counter values `value` (of this
    /// structure's counters): labels the layout lacks count as out-of-set when it declares
    /// its labels, and are left out otherwise, as [`NamedCounts::counters`] does.
    fn in_layout(&self, layout: &Layout, value: impl Fn(usize) -> i64) -> Vec<i64> {
        let mut sum = vec![0; layout.width()];
        for (k, s) in sum.iter_mut().enumerate().take(FIXED) {
            *s = value(k);
        }
        for (i, label) in self.labels.iter().enumerate() {
            let at = FIXED + 3 * i;
            match layout.position(label) {
                Some(p) => {
                    for slot in 0..3 {
                        sum[FIXED + 3 * p + slot] = value(at + slot);
                    }
                }
                None if layout.declared() => {
                    sum[OUT_OF_SET] += value(at + 1);
                    sum[OUT_OF_SET_EXPECTED] += value(at);
                }
                None => {}
            }
        }
        sum
    }

    /// The run's own counters under `layout` (every weight 1).
    pub fn total(&self, layout: &Layout) -> Vec<i64> {
        self.in_layout(layout, |k| self.total.get(k).copied().unwrap_or(0))
    }

    /// Replicate `r`'s counters under `layout`.
    pub fn replicate(&self, layout: &Layout, r: usize) -> Vec<i64> {
        let (block, lane) = (&self.blocks[r / BLOCK], r % BLOCK);
        let lanes = lanes(self.replicates, r / BLOCK);
        self.in_layout(layout, |k| {
            block.get(k * lanes + lane).copied().unwrap_or(0)
        })
    }

    /// Every metric on the run's own sums, by report path.
    pub fn point(&self, layout: &Layout) -> BTreeMap<String, Option<f64>> {
        metric_names(layout)
            .into_iter()
            .zip(metric_values(&self.total(layout), layout, true))
            .collect()
    }

    /// Percentile intervals of every metric, by report path, calling `replicated` once each
    /// replicate's metrics are computed (from worker threads).
    pub fn intervals(
        &self,
        layout: &Layout,
        replicated: &(dyn Fn() + Sync),
    ) -> BTreeMap<String, Interval> {
        let point = metric_values(&self.total(layout), layout, true);
        let samples: Vec<Vec<Option<f64>>> = (0..self.replicates)
            .into_par_iter()
            .map(|r| {
                let values = metric_values(&self.replicate(layout, r), layout, false);
                replicated();
                values
            })
            .collect();
        metric_names(layout)
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<f64> = samples.iter().filter_map(|s| s[i]).collect();
                (name, percentile_interval(point[i], values, self.replicates))
            })
            .collect()
    }
}

/// How many replicates block `b` of a run of `replicates` holds.
fn lanes(replicates: usize, b: usize) -> usize {
    BLOCK.min(replicates - b * BLOCK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_have_the_moments_and_frequencies_of_poisson_one() {
        let n = 400_000usize;
        let mut freq = [0u64; 8];
        let (mut sum, mut squares) = (0f64, 0f64);
        for i in 0..n {
            let w = weight(unit_stream(7, &format!("ex{}", i / 100)), i % 100);
            freq[(w as usize).min(7)] += 1;
            sum += w as f64;
            squares += (w * w) as f64;
        }
        let mean = sum / n as f64;
        let variance = squares / n as f64 - mean * mean;
        // Standard errors: 1/√n for the mean, about √(2/n) for the variance (0.0016, 0.0022).
        assert!((mean - 1.0).abs() < 0.008, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.012, "variance {variance}");
        // P(K = k) = e^-1 / k!, within 5 standard errors.
        let e = (-1f64).exp();
        let mut factorial = 1.0;
        for (k, &count) in freq.iter().enumerate().take(5) {
            if k > 0 {
                factorial *= k as f64;
            }
            let p = e / factorial;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            let seen = count as f64 / n as f64;
            assert!((seen - p).abs() < 5.0 * se, "P(K={k}): {seen} vs {p}");
        }
    }

    #[test]
    fn the_table_inverts_as_the_thresholds_do() {
        let by_thresholds = |u: u64| POISSON_CDF.iter().filter(|&&t| u >= t).count() as i64;
        let mut state = 11;
        for _ in 0..200_000 {
            let u = crate::rng::splitmix64(&mut state);
            assert_eq!(poisson(u), by_thresholds(u), "{u:#x}");
        }
        for &t in &POISSON_CDF {
            for u in [t - 1, t, t + 1, t & !((1 << 48) - 1), t | ((1 << 48) - 1)] {
                assert_eq!(poisson(u), by_thresholds(u), "{u:#x}");
            }
        }
        assert!(BY_TOP_BITS.iter().filter(|&&k| k == SPLIT).count() <= POISSON_CDF.len());
    }

    #[test]
    fn inversion_thresholds_give_the_counts_at_their_edges() {
        assert_eq!(poisson(0), 0);
        assert_eq!(poisson(POISSON_CDF[0] - 1), 0);
        assert_eq!(poisson(POISSON_CDF[0]), 1);
        assert_eq!(poisson(POISSON_CDF[1]), 2);
        assert_eq!(poisson(u64::MAX), 20);
        // e^-1 · 2^64 = 6.786…e18.
        assert!(
            (POISSON_CDF[0] as f64 / 2f64.powi(64) - (-1f64).exp()).abs() < 1e-15,
            "P(K = 0) is e^-1"
        );
    }

    #[test]
    fn weights_match_an_independent_implementation() {
        // Python's hashlib and integer arithmetic, following the module's description
        // (`scripts/poisson_weights.py 3 5 a b c`).
        let seed3: Vec<Vec<i64>> = (0..5)
            .map(|r| {
                ["a", "b", "c"]
                    .map(|k| weight(unit_stream(3, k), r))
                    .to_vec()
            })
            .collect();
        assert_eq!(
            seed3,
            [[2, 0, 3], [2, 2, 1], [0, 1, 1], [1, 1, 0], [0, 3, 0]]
        );
        let seed1: Vec<Vec<i64>> = (0..2)
            .map(|r| {
                ["a", "b", "c"]
                    .map(|k| weight(unit_stream(1, k), r))
                    .to_vec()
            })
            .collect();
        assert_eq!(seed1, [[0, 0, 1], [1, 1, 2]]);
    }

    #[test]
    fn a_unit_keeps_its_weights_and_units_differ() {
        let a = unit_stream(1, "clip-1");
        assert_eq!(a, unit_stream(1, "clip-1"));
        assert_ne!(a, unit_stream(2, "clip-1"));
        assert_ne!(a, unit_stream(1, "clip-2"));
        let ws: Vec<i64> = (0..50).map(|r| weight(a, r)).collect();
        assert_eq!(ws, (0..50).map(|r| weight(a, r)).collect::<Vec<_>>());
    }

    fn counts(strict: i64, label: Option<(&str, [i64; 3])>) -> NamedCounts {
        NamedCounts {
            strict,
            classes: label
                .map(|(l, c)| [(l.to_owned(), c)].into_iter().collect())
                .unwrap_or_default(),
            ..NamedCounts::default()
        }
    }

    #[test]
    fn replicate_sums_are_the_weighted_sums_of_each_unit() {
        let examples = [
            (unit_stream(3, "a"), counts(1, Some(("X", [1, 1, 1])))),
            (unit_stream(3, "b"), counts(0, Some(("Y", [1, 0, 0])))),
            (unit_stream(3, "c"), counts(1, None)),
        ];
        let mut reps = Replicates::new(70, false);
        let refs: Vec<(u64, &NamedCounts)> = examples.iter().map(|(s, c)| (*s, c)).collect();
        reps.add(&refs);
        let layout = Layout::fixed_only();
        for r in 0..70 {
            let w: Vec<i64> = examples.iter().map(|(s, _)| weight(*s, r)).collect();
            let sums = reps.replicate(&layout, r);
            assert_eq!(sums[0], w[0] + w[2], "strict, replicate {r}");
            assert_eq!(sums[12], w[0] + w[1] + w[2], "units, replicate {r}");
        }
        assert_eq!(reps.total(&layout)[12], 3);
        assert_eq!(reps.units(), 3);
    }

    #[test]
    fn replicates_that_weigh_every_unit_zero_are_counted_undefined() {
        // One example: every replicate that gives it weight 0 holds no example at all.
        let stream = unit_stream(4, "only");
        let one = counts(1, None);
        let mut reps = Replicates::new(200, false);
        reps.add(&[(stream, &one)]);
        let empty = (0..200).filter(|&r| weight(stream, r) == 0).count();
        assert!((40..110).contains(&empty), "about e^-1 of 200: {empty}");
        let intervals = reps.intervals(&Layout::fixed_only(), &|| {});
        let strict = intervals["json_valid_strict"];
        assert_eq!(strict.undefined, empty);
        assert_eq!(
            (strict.value, strict.low, strict.high),
            (Some(1.0), Some(1.0), Some(1.0))
        );
    }

    #[test]
    fn stored_sums_whose_parts_do_not_fit_are_refused() {
        let one = counts(1, Some(("X", [1, 1, 1])));
        let mut reps = Replicates::new(70, false);
        reps.add(&[(unit_stream(1, "a"), &one), (unit_stream(1, "b"), &one)]);
        let stored = serde_json::to_value(&reps).unwrap();
        let back: Replicates = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(back, reps);
        let damaged = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut value = stored.clone();
            change(&mut value);
            serde_json::from_value::<Replicates>(value)
                .unwrap_err()
                .to_string()
        };
        // One more replicate would read every lane of the last block one place off.
        assert!(
            damaged(&|v| v["replicates"] = 71.into()).contains("block 1 holds 126 sums, where 147"),
            "{}",
            damaged(&|v| v["replicates"] = 71.into())
        );
        assert!(damaged(&|v| v["replicates"] = 130.into()).contains("2 blocks of sums for 130"));
        assert!(damaged(&|v| v["replicates"] = 0.into()).contains("no replicates"));
        assert!(damaged(&|v| v["examples"] = 3.into()).contains("examples' counter is 2"));
        assert!(damaged(&|v| v["labels"] = serde_json::json!(["X", "Y"])).contains("21 counters"));
        assert!(
            damaged(&|v| {
                v["labels"] = serde_json::json!(["X", "X"]);
            })
            .contains("named twice")
        );
    }

    #[test]
    fn sums_do_not_depend_on_order_or_on_splitting_into_parts() {
        let examples: Vec<(u64, NamedCounts)> = (0..40)
            .map(|i| {
                let label = ["A", "B", "C"][i % 3];
                let stream = unit_stream(9, &format!("g{}", i / 4));
                (
                    stream,
                    counts((i % 2) as i64, Some((label, [1, 1, (i % 5 == 0) as i64]))),
                )
            })
            .collect();
        let refs: Vec<(u64, &NamedCounts)> = examples.iter().map(|(s, c)| (*s, c)).collect();
        let mut whole = Replicates::new(130, true);
        whole.add(&refs);
        let mut reversed = Replicates::new(130, true);
        let backwards: Vec<_> = refs.iter().rev().copied().collect();
        reversed.add(&backwards);
        let (mut first, mut second) = (Replicates::new(130, true), Replicates::new(130, true));
        second.add(&refs[25..]);
        first.add(&refs[..25]);
        first.merge(&second);
        let stored: Replicates =
            serde_json::from_str(&serde_json::to_string(&first).unwrap()).unwrap();
        // Labels met in another order are stored alike.
        assert_ne!(first.labels, reversed.labels);
        assert_eq!(
            serde_json::to_string(&reversed).unwrap(),
            serde_json::to_string(&whole).unwrap()
        );
        assert_eq!(whole.units(), 10, "clusters g0..g9");
        let layout = Layout::for_events(&["C", "A", "B"]);
        let classes = |reps: &Replicates| {
            let mut labels = reps.labels.clone();
            labels.sort();
            labels
        };
        for other in [&reversed, &first, &stored] {
            assert_eq!(other.units(), 10);
            assert_eq!(classes(other), classes(&whole));
            for r in 0..130 {
                assert_eq!(whole.replicate(&layout, r), other.replicate(&layout, r));
            }
            // Labels found in another order come out in the layout's order all the same.
            assert_eq!(
                whole.intervals(&layout, &|| {}),
                other.intervals(&layout, &|| {})
            );
        }
    }
}
