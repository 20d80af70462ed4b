//! Text similarity of two leaves: the Levenshtein distance of two normalised texts (a
//! bit-parallel algorithm for texts up to one machine word, the textbook recurrence beyond,
//! a band of it beyond [`MAX_CELLS`], with working memory kept between comparisons in
//! [`Distance`]) and the normalised similarity ANLS* scores a leaf pair by, cut to 0 below
//! [`THRESHOLD`], which lives here as the lowest module that reads it.

/// Leaf similarities below this count as 0.
pub const THRESHOLD: f64 = 0.5;

/// The most cells of the distance matrix one comparison computes: 2²⁴, two texts of 4,096
/// characters each (after their common prefix and suffix), some hundredths of a second. The
/// full matrix is quadratic: two texts of 300,000 characters would take minutes.
///
/// Beyond it the distance is bounded instead:
/// - when the texts' character counts differ by so much that the distance is at least half
///   the longer text (the multiset bound), the similarity is 0, exactly;
/// - otherwise the matrix is computed in a band of diagonals around the one the path must
///   end on, as wide as [`MAX_CELLS`] allows: a path leaving the band costs at least
///   `d + 2w + 2` (`d` the difference in length, `w` the band's margin), so a band distance
///   up to `d + 2w + 1` is exact;
/// - else, or when even a band of margin 0 is over the budget, the distance used is an upper
///   bound (the band's, or that of aligning the texts character by character): the
///   similarity is then a lower bound, never above the true one, and the comparison counts as
///   approximated (`anls.approximated` in report.json).
pub const MAX_CELLS: usize = 1 << 24;

/// Normalised Levenshtein similarity of two normalised texts, 0 below [`THRESHOLD`]; a lower
/// bound of it, counted in [`Distance::approximated`], where the texts are beyond
/// [`MAX_CELLS`].
pub(super) fn similarity(a: &[char], b: &[char], distance: &mut Distance) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    // The distance is at least the difference in length; when even that puts the pair under
    // the threshold, the distance cannot lift it back.
    if 1.0 - a.len().abs_diff(b.len()) as f64 / (longest as f64) < THRESHOLD {
        return 0.0;
    }
    let (d, exact) = distance.bounded(a, b);
    distance.approximated += usize::from(!exact);
    let similarity = 1.0 - d as f64 / longest as f64;
    if similarity < THRESHOLD {
        0.0
    } else {
        similarity
    }
}

/// Working memory for Levenshtein distances, kept between comparisons.
pub(super) struct Distance {
    /// The dynamic-programming row, for texts too long for one machine word.
    row: Vec<usize>,
    /// Per ASCII character, the positions in the shorter text where it occurs (one bit each);
    /// all zero between comparisons.
    ascii: [u64; 128],
    /// The same for other characters.
    other: Vec<(char, u64)>,
    /// The band's previous row, for texts beyond [`MAX_CELLS`].
    band: Vec<usize>,
    /// Comparisons whose distance was an upper bound, not the distance ([`MAX_CELLS`]).
    pub(super) approximated: usize,
}

impl Default for Distance {
    fn default() -> Self {
        Distance {
            row: Vec::new(),
            ascii: [0; 128],
            other: Vec::new(),
            band: Vec::new(),
            approximated: 0,
        }
    }
}

impl Distance {
    /// The Levenshtein distance of two texts (as `strsim::levenshtein`, on chars), however
    /// long they are.
    #[cfg(test)]
    fn levenshtein(&mut self, a: &[char], b: &[char]) -> usize {
        self.within(a, b, usize::MAX).0
    }

    /// The Levenshtein distance of two texts, or a bound of it where they are beyond
    /// [`MAX_CELLS`]; `true` when the similarity it gives is exact ([`Distance::within`]).
    fn bounded(&mut self, a: &[char], b: &[char]) -> (usize, bool) {
        self.within(a, b, MAX_CELLS)
    }

    /// The distance computed over at most `cells` cells of the matrix, as [`MAX_CELLS`]
    /// describes, and whether the similarity it gives is exact: it is the distance, or a
    /// lower bound that already puts the pair under [`THRESHOLD`].
    fn within(&mut self, a: &[char], b: &[char], cells: usize) -> (usize, bool) {
        let longest = a.len().max(b.len());
        // A common prefix or suffix does not change the distance.
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[prefix..], &b[prefix..]);
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
        if a.is_empty() || b.is_empty() {
            return (a.len().max(b.len()), true);
        }
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        if short.len() <= 64 {
            return (self.bit_parallel(short, long), true);
        }
        if short.len().saturating_mul(long.len()) <= cells {
            return (dynamic_programming(a, b, &mut self.row), true);
        }
        let (m, n) = (short.len(), long.len());
        let lower = multiset_bound(short, long);
        if lower as f64 / longest as f64 > 1.0 - THRESHOLD {
            // Under the threshold whatever the distance: the similarity is 0, exactly.
            return (lower, true);
        }
        let d = n - m;
        match (cells / m).checked_sub(d + 1) {
            Some(spare) => {
                let margin = spare / 2;
                let distance = banded(short, long, margin, &mut self.row, &mut self.band);
                (distance, distance <= d + 2 * margin + 1)
            }
            None => {
                let mismatches = short.iter().zip(long).filter(|(x, y)| x != y).count();
                (mismatches + d, false)
            }
        }
    }

    /// Myers' bit-vector algorithm (in Hyyrö's form for edit distance): one column of the
    /// distance matrix per character of `long`, the cells of `short` (at most 64) as bits.
    fn bit_parallel(&mut self, short: &[char], long: &[char]) -> usize {
        for (i, &c) in short.iter().enumerate() {
            let bit = 1u64 << i;
            match self.ascii.get_mut(c as usize) {
                Some(mask) => *mask |= bit,
                None => match self.other.iter_mut().find(|(o, _)| *o == c) {
                    Some((_, mask)) => *mask |= bit,
                    None => self.other.push((c, bit)),
                },
            }
        }
        let last = 1u64 << (short.len() - 1);
        let (mut vp, mut vn) = (u64::MAX, 0u64);
        let mut distance = short.len();
        for &c in long {
            let eq = match self.ascii.get(c as usize) {
                Some(&mask) => mask,
                None => self
                    .other
                    .iter()
                    .find(|(o, _)| *o == c)
                    .map_or(0, |&(_, mask)| mask),
            };
            let x = eq | vn;
            let d0 = ((x & vp).wrapping_add(vp) ^ vp) | x;
            let hp = vn | !(d0 | vp);
            let hn = vp & d0;
            if hp & last != 0 {
                distance += 1;
            }
            if hn & last != 0 {
                distance -= 1;
            }
            let x = (hp << 1) | 1;
            vn = x & d0;
            vp = (hn << 1) | !(x | d0);
        }
        for &c in short {
            if let Some(mask) = self.ascii.get_mut(c as usize) {
                *mask = 0;
            }
        }
        self.other.clear();
        distance
    }
}

/// The Levenshtein distance by the textbook recurrence, in one reused row.
fn dynamic_programming(a: &[char], b: &[char], row: &mut Vec<usize>) -> usize {
    // row[j] is the distance between the part of `a` done so far and b[..=j].
    row.clear();
    row.extend(1..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (cell, cb) in row.iter_mut().zip(b) {
            let up = *cell;
            // Neighbouring cells differ by at most 1, so a match never loses to an edit.
            left = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(up).min(left)
            };
            diagonal = up;
            *cell = left;
        }
    }
    row[b.len() - 1]
}

/// A lower bound of the distance: each character one text has more often than the other
/// needs an edit of its own (a deletion or the substitution that replaces it).
fn multiset_bound(a: &[char], b: &[char]) -> usize {
    let mut surplus: std::collections::HashMap<char, isize> = std::collections::HashMap::new();
    for &c in a {
        *surplus.entry(c).or_default() += 1;
    }
    for &c in b {
        *surplus.entry(c).or_default() -= 1;
    }
    let (more_in_a, more_in_b) = surplus.values().fold((0, 0), |(x, y), &v| {
        (x + v.max(0).unsigned_abs(), y + (-v).max(0).unsigned_abs())
    });
    more_in_a.max(more_in_b)
}

/// The Levenshtein distance of `short` and `long` over the paths that keep within `margin`
/// diagonals of both the start's (0) and the end's (`long.len() − short.len()`): exact when
/// the true path keeps there, an upper bound otherwise. Cell (i, j) of the matrix is at
/// `j − i + margin` of row i.
fn banded(
    short: &[char],
    long: &[char],
    margin: usize,
    row: &mut Vec<usize>,
    previous: &mut Vec<usize>,
) -> usize {
    const FAR: usize = usize::MAX / 2;
    let (m, n) = (short.len(), long.len());
    let width = n - m + 2 * margin + 1;
    // One cell past the band on the right, always FAR, so that "up" never reads outside.
    previous.clear();
    previous.resize(width + 1, FAR);
    for (t, cell) in previous.iter_mut().enumerate().take(width).skip(margin) {
        *cell = t - margin;
    }
    row.clear();
    row.resize(width + 1, FAR);
    for i in 1..=m {
        row.fill(FAR);
        // j = i + t − margin within 0..=n.
        let first = margin.saturating_sub(i);
        let last = (n + margin - i).min(width - 1);
        for t in first..=last {
            let j = i + t - margin;
            row[t] = if j == 0 {
                i
            } else {
                let diagonal = previous[t] + usize::from(short[i - 1] != long[j - 1]);
                let up = previous[t + 1] + 1;
                let left = if t > 0 { row[t - 1] + 1 } else { FAR };
                diagonal.min(up).min(left)
            };
        }
        std::mem::swap(row, previous);
    }
    previous[n - m + margin]
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn levenshtein_agrees_with_strsim(a in "[abc é]{0,12}", b in "[abc é]{0,12}") {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            proptest::prop_assert_eq!(
                Distance::default().levenshtein(&chars(&a), &chars(&b)),
                strsim::levenshtein(&a, &b)
            );
        }

        /// Texts around the 64 characters one machine word holds, with memory reused from
        /// one comparison to the next as scoring reuses it.
        #[test]
        fn bit_parallel_distances_agree_with_the_recurrence(
            pairs in proptest::collection::vec(("[ab éΣ#]{0,70}", "[ab éΣ#]{0,70}"), 1..6)
        ) {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            let mut distance = Distance::default();
            for (a, b) in &pairs {
                let (a, b) = (chars(a), chars(b));
                let expected = if b.is_empty() { a.len() } else {
                    dynamic_programming(&a, &b, &mut Vec::new())
                };
                proptest::prop_assert_eq!(distance.levenshtein(&a, &b), expected);
                proptest::prop_assert!(distance.ascii.iter().all(|&m| m == 0));
            }
        }

        /// The band's distance is never below the distance, and is the distance whenever
        /// it is within the band's certificate.
        #[test]
        fn banded_distances_bound_and_certify(
            a in "[ab]{1,40}", b in "[ab]{1,40}", margin in 0usize..6
        ) {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            let (a, b) = (chars(&a), chars(&b));
            let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
            let exact = dynamic_programming(short, long, &mut Vec::new());
            let band = banded(short, long, margin, &mut Vec::new(), &mut Vec::new());
            proptest::prop_assert!(band >= exact);
            if band <= long.len() - short.len() + 2 * margin + 1 {
                proptest::prop_assert_eq!(band, exact);
            }
            proptest::prop_assert!(multiset_bound(short, long) <= exact);
        }

        /// Over any budget, a comparison said to be exact gives the similarity the full
        /// matrix gives, and any other gives one no higher.
        #[test]
        fn budgets_give_the_similarity_or_a_lower_bound(
            a in "[abc]{65,120}", b in "[abc]{65,120}", cells in 0usize..20_000
        ) {
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            let (a, b) = (chars(&a), chars(&b));
            let longest = a.len().max(b.len()) as f64;
            let cut = |d: usize| {
                let s = 1.0 - d as f64 / longest;
                if s < THRESHOLD { 0.0 } else { s }
            };
            let exact = cut(Distance::default().levenshtein(&a, &b));
            let (d, is_exact) = Distance::default().within(&a, &b, cells);
            if is_exact {
                proptest::prop_assert_eq!(cut(d).to_bits(), exact.to_bits());
            } else {
                proptest::prop_assert!(cut(d) <= exact);
            }
        }
    }

    /// Letters from a fixed stream: a text without the repeats that make a rotation cheap.
    fn scrambled(len: usize) -> Vec<char> {
        let mut state = 7;
        (0..len)
            .map(|_| char::from(b'a' + (crate::rng::splitmix64(&mut state) % 10) as u8))
            .collect()
    }

    #[test]
    fn long_texts_are_compared_in_a_band_within_the_budget() {
        // The same code as at MAX_CELLS, on a budget a debug build runs quickly: 30,000
        // characters against 2²⁰ cells is 34 per row, a band of margin 16.
        const CELLS: usize = 1 << 20;
        let a = scrambled(30_000);
        let mut b = a.clone();
        for k in 0..10 {
            b[1_000 + k * 2_900] = 'Z';
        }
        let mut distance = Distance::default();
        assert_eq!(distance.within(&a, &b, CELLS), (10, true));
        // Half of one text moved to its end: the band's distance is an upper bound it
        // cannot certify, as is the character alignment once even a bare band is over
        // budget (10,000 characters longer: 20,000 × 10,001 cells).
        let rotated: Vec<char> = a[15_000..].iter().chain(&a[..15_000]).copied().collect();
        let (band, exact) = distance.within(&a, &rotated, CELLS);
        assert!(!exact && band <= 30_000, "{band}");
        let (aligned, exact) = distance.within(&a[10_000..], &rotated, CELLS);
        assert!(!exact && aligned <= 30_000, "{aligned}");
        // Texts whose letters differ too much for the threshold: 0, exactly, at once.
        let other: Vec<char> = a.iter().map(|c| c.to_ascii_uppercase()).collect();
        assert_eq!(distance.within(&a, &other, CELLS), (30_000, true));
    }

    #[test]
    fn at_the_budget_the_distance_is_computed_in_full() {
        // 4,096 × 4,096 cells is the budget: computed in full, exactly.
        let a = scrambled(4_096);
        let b: Vec<char> = a[1..].iter().chain(&a[..1]).copied().collect();
        let mut distance = Distance::default();
        // A rotation by one: delete the first character, append it.
        assert_eq!(distance.bounded(&a, &b), (2, true));
        // One character more and the full matrix is over budget, but the band certifies.
        let longer: Vec<char> = b.iter().chain(['x'].iter()).copied().collect();
        assert_eq!(distance.bounded(&a, &longer), (3, true));
    }
}
