//! Text similarity of two leaves: the Levenshtein distance of two normalised texts (a
//! bit-parallel algorithm for texts up to one machine word, the textbook recurrence beyond,
//! with working memory kept between comparisons in [`Distance`]) and the normalised
//! similarity ANLS* scores a leaf pair by, cut to 0 below [`THRESHOLD`], which lives here
//! as the lowest module that reads it.

/// Leaf similarities below this count as 0.
pub const THRESHOLD: f64 = 0.5;

/// Normalised Levenshtein similarity of two normalised texts, 0 below [`THRESHOLD`].
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
    let similarity = 1.0 - distance.levenshtein(a, b) as f64 / longest as f64;
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
}

impl Default for Distance {
    fn default() -> Self {
        Distance {
            row: Vec::new(),
            ascii: [0; 128],
            other: Vec::new(),
        }
    }
}

impl Distance {
    /// The Levenshtein distance of two texts (as `strsim::levenshtein`, on chars).
    fn levenshtein(&mut self, a: &[char], b: &[char]) -> usize {
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
            return a.len().max(b.len());
        }
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        if short.len() <= 64 {
            self.bit_parallel(short, long)
        } else {
            dynamic_programming(a, b, &mut self.row)
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
    }
}
