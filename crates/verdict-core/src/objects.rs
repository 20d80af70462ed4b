//! Scoring any JSON output from the spec alone: fields addressed by JSON Pointer patterns
//! (`[paths."/customer/name"]`, `[paths."/items/*/sku"]`) and lists without timestamps aligned
//! element by element (`[lists.items]`).
//!
//! A pattern's `*` matches every array index and every object key at that level, on both
//! sides; each concrete path found on either side is one comparison, made with the path's
//! comparator (the same set as event fields). A path only the expected output has is
//! *missing*, one only the prediction has is *extra*. Arrays under a `*` are aligned by index;
//! lists whose order carries no meaning belong in `[lists]`.
//!
//! A `[lists.NAME]` list is aligned by its `key` field where it has one (elements with equal
//! keys pair; duplicate keys pair in order), otherwise by the assignment that maximises the
//! total ANLS* similarity of the pairs. A pair whose similarity reaches `threshold` (default
//! 0.5) is a match; the other elements are missed or spurious. Precision, recall and F1 are over
//! elements, micro-averaged over the dataset.

use std::collections::{BTreeMap, BTreeSet};

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::Serialize;
use serde_json::Value;

use crate::anls::anls_star;
use crate::fields::{self, Outcome};
use crate::spec::{DEFAULT_LIST_THRESHOLD, FieldSpec, ListSpec};

/// Expands a pointer pattern with `*` segments into the concrete pointers present in `value`.
pub fn expand(pattern: &str, value: &Value) -> Vec<String> {
    let segments: Vec<&str> = if pattern.is_empty() {
        Vec::new()
    } else {
        pattern.split('/').skip(1).collect()
    };
    let mut found = Vec::new();
    walk(value, &segments, String::new(), &mut found);
    found
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn walk(value: &Value, segments: &[&str], at: String, found: &mut Vec<String>) {
    let Some((first, rest)) = segments.split_first() else {
        found.push(at);
        return;
    };
    match (value, *first) {
        (Value::Array(items), "*") => {
            for (i, item) in items.iter().enumerate() {
                walk(item, rest, format!("{at}/{i}"), found);
            }
        }
        (Value::Object(map), "*") => {
            for (key, item) in map {
                walk(item, rest, format!("{at}/{}", escape(key)), found);
            }
        }
        (Value::Object(map), segment) => {
            if let Some(item) = map.get(&unescape(segment)) {
                walk(item, rest, format!("{at}/{segment}"), found);
            }
        }
        (Value::Array(items), segment) => {
            if let Some(item) = segment.parse::<usize>().ok().and_then(|i| items.get(i)) {
                walk(item, rest, format!("{at}/{segment}"), found);
            }
        }
        _ => {}
    }
}

/// Counts for one `[paths]` pattern (per example, or summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PathCounts {
    /// Concrete paths present on either side.
    pub compared: usize,
    /// Present on both sides and equal under the comparator.
    pub correct: usize,
    /// Present in the expected output only.
    pub missing: usize,
    /// Present in the prediction only.
    pub extra: usize,
}

impl PathCounts {
    /// Every comparison right: nothing wrong, missing or extra (what exact match asks of a
    /// pattern).
    pub fn all_right(&self) -> bool {
        self.correct == self.compared
    }
}

impl std::ops::AddAssign for PathCounts {
    fn add_assign(&mut self, other: Self) {
        self.compared += other.compared;
        self.correct += other.correct;
        self.missing += other.missing;
        self.extra += other.extra;
    }
}

/// Compares one pattern's values in an expected output and a prediction (`None` = nothing
/// parsed). Null values count as absent, as for event fields.
pub fn compare_path(
    pattern: &str,
    spec: &FieldSpec,
    expected: &Value,
    predicted: Option<&Value>,
) -> PathCounts {
    let present = |v: &Value, p: &str| v.pointer(p).filter(|x| !x.is_null()).is_some();
    let mut paths: BTreeSet<String> = expand(pattern, expected)
        .into_iter()
        .filter(|p| present(expected, p))
        .collect();
    if let Some(pred) = predicted {
        paths.extend(
            expand(pattern, pred)
                .into_iter()
                .filter(|p| present(pred, p)),
        );
    }
    let mut counts = PathCounts::default();
    for path in paths {
        let e = expected.pointer(&path);
        let p = predicted.and_then(|v| v.pointer(&path));
        match fields::compare(spec, e, p) {
            None => continue,
            Some(Outcome::Correct) => counts.correct += 1,
            Some(Outcome::OneSided) if e.is_some_and(|v| !v.is_null()) => counts.missing += 1,
            Some(Outcome::OneSided) => counts.extra += 1,
            Some(Outcome::Wrong(_)) => {}
        }
        counts.compared += 1;
    }
    counts
}

/// Counts for one `[lists]` list (per example, or summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ListCounts {
    /// Expected elements.
    pub expected: usize,
    /// Predicted elements.
    pub predicted: usize,
    /// Matched pairs.
    pub matched: usize,
    /// Sum of the matched pairs' ANLS* similarity.
    pub similarity_sum: f64,
}

impl ListCounts {
    /// Every expected element matched and nothing extra predicted, the list's F1 of 1 (what
    /// exact match asks of a list).
    pub fn all_right(&self) -> bool {
        self.matched == self.expected && self.matched == self.predicted
    }
}

/// Aligns one list of an expected output with the prediction's.
pub fn align_list(spec: &ListSpec, expected: &Value, predicted: Option<&Value>) -> ListCounts {
    let list = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(|v| v.pointer(&spec.pointer))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (exp, pred) = (list(Some(expected)), list(predicted));
    let threshold = spec.threshold.unwrap_or(DEFAULT_LIST_THRESHOLD);
    let mut counts = ListCounts {
        expected: exp.len(),
        predicted: pred.len(),
        ..ListCounts::default()
    };
    let mut record = |similarity: f64| {
        if similarity >= threshold {
            counts.matched += 1;
            counts.similarity_sum += similarity;
        }
    };
    if exp.is_empty() || pred.is_empty() {
        return counts;
    }
    match &spec.key {
        Some(key) => {
            let key_of = |v: &Value| {
                v.get(key)
                    .filter(|k| !k.is_null())
                    .map(|k| fields::fold(&k.as_str().map_or_else(|| k.to_string(), str::to_owned)))
            };
            let mut used = vec![false; pred.len()];
            for e in &exp {
                let Some(k) = key_of(e) else { continue };
                if let Some(j) =
                    (0..pred.len()).find(|&j| !used[j] && key_of(&pred[j]).as_ref() == Some(&k))
                {
                    used[j] = true;
                    record(anls_star(e, &pred[j]));
                }
            }
        }
        None => {
            let transpose = exp.len() > pred.len();
            let (rows, cols) = if transpose {
                (pred.len(), exp.len())
            } else {
                (exp.len(), pred.len())
            };
            let sims: Vec<Vec<f64>> = exp
                .iter()
                .map(|e| pred.iter().map(|p| anls_star(e, p)).collect())
                .collect();
            let weight = |i: usize, j: usize| (sims[i][j] * (1u64 << 40) as f64).round() as i64;
            let matrix = Matrix::from_fn(rows, cols, |(r, c)| {
                if transpose {
                    weight(c, r)
                } else {
                    weight(r, c)
                }
            });
            let (_, assignment) = kuhn_munkres(&matrix);
            for (r, &c) in assignment.iter().enumerate() {
                let (i, j) = if transpose { (c, r) } else { (r, c) };
                record(sims[i][j]);
            }
        }
    }
    counts
}

/// `paths` and `lists` in report.json, from the summed counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ObjectReport {
    /// Per `[paths]` pattern.
    pub paths: BTreeMap<String, PathRow>,
    /// Per `[lists]` list.
    pub lists: BTreeMap<String, ListRow>,
}

/// One `[paths]` pattern over the dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRow {
    /// The comparator.
    pub compare: crate::spec::Comparator,
    /// The counts.
    #[serde(flatten)]
    pub counts: PathCounts,
    /// correct / compared.
    pub accuracy: Option<f64>,
}

/// One `[lists]` list over the dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListRow {
    /// The counts.
    #[serde(flatten)]
    pub counts: ListCounts,
    /// matched / predicted.
    pub precision: Option<f64>,
    /// matched / expected.
    pub recall: Option<f64>,
    /// 2·matched / (expected + predicted).
    pub f1: Option<f64>,
    /// Mean ANLS* of the matched pairs.
    pub mean_similarity: Option<f64>,
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl PathRow {
    /// The row of a pattern's summed counts.
    pub fn new(compare: crate::spec::Comparator, counts: PathCounts) -> Self {
        PathRow {
            compare,
            accuracy: ratio(counts.correct, counts.compared),
            counts,
        }
    }
}

impl ListRow {
    /// The row of a list's summed counts.
    pub fn new(counts: ListCounts) -> Self {
        ListRow {
            precision: ratio(counts.matched, counts.predicted),
            recall: ratio(counts.matched, counts.expected),
            f1: ratio(2 * counts.matched, counts.expected + counts.predicted),
            mean_similarity: (counts.matched > 0)
                .then(|| counts.similarity_sum / counts.matched as f64),
            counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Comparator;
    use serde_json::json;

    fn field(compare: Comparator) -> FieldSpec {
        FieldSpec::new(compare)
    }

    #[test]
    fn patterns_expand_over_arrays_and_objects() {
        let v = json!({"customer": {"name": "Ann"}, "items": [{"sku": "a"}, {"sku": "b"}, {"qty": 1}], "a/b": 1});
        assert_eq!(expand("/customer/name", &v), ["/customer/name"]);
        assert_eq!(expand("/items/*/sku", &v), ["/items/0/sku", "/items/1/sku"]);
        assert_eq!(expand("/*", &v).len(), 3);
        assert_eq!(expand("/a~1b", &v), ["/a~1b"]);
        assert!(expand("/missing/x", &v).is_empty());
    }

    #[test]
    fn path_comparison_counts_missing_and_extra() {
        let exp = json!({"items": [{"sku": "A-1"}, {"sku": "B-2"}], "name": "Ann"});
        let pred = json!({"items": [{"sku": "a-1"}, {"sku": "C-3"}, {"sku": "D-4"}]});
        let counts = compare_path("/items/*/sku", &field(Comparator::Text), &exp, Some(&pred));
        assert_eq!(
            counts,
            PathCounts {
                compared: 3,
                correct: 1,
                missing: 0,
                extra: 1
            }
        );
        let counts = compare_path("/name", &field(Comparator::Exact), &exp, Some(&pred));
        assert_eq!(
            counts,
            PathCounts {
                compared: 1,
                correct: 0,
                missing: 1,
                extra: 0
            }
        );
        let counts = compare_path("/name", &field(Comparator::Exact), &exp, None);
        assert_eq!(counts.missing, 1);
    }

    #[test]
    fn lists_align_by_key_or_by_similarity() {
        let exp = json!({"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}, {"sku": "C", "qty": 3}]});
        let pred = json!({"items": [{"sku": "c", "qty": 3}, {"sku": "A", "qty": 1}, {"sku": "Z", "qty": 9}]});
        let by_key = ListSpec {
            pointer: "/items".into(),
            key: Some("sku".into()),
            threshold: None,
        };
        let c = align_list(&by_key, &exp, Some(&pred));
        assert_eq!((c.expected, c.predicted, c.matched), (3, 3, 2));
        let row = ListRow::new(c);
        assert_eq!(row.f1, Some(4.0 / 6.0));
        let by_similarity = ListSpec {
            pointer: "/items".into(),
            key: None,
            threshold: Some(0.9),
        };
        let c = align_list(&by_similarity, &exp, Some(&pred));
        // A↔A and C↔c are identical after case folding; B↔Z shares nothing.
        assert_eq!(c.matched, 2);
        assert!((c.similarity_sum - 2.0).abs() < 1e-12);
        let none = align_list(&by_key, &exp, None);
        assert_eq!((none.predicted, none.matched), (0, 0));
    }
}
