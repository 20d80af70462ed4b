//! How sure a number is: bootstrap confidence intervals over examples (or clusters of them),
//! paired intervals of the difference between two runs, and McNemar's exact test.
//!
//! Every example contributes a small vector of integer counters (validity tier, schema
//! validity, exact match, events, pairs, |dt| sums, per-class support / predicted / tp); every
//! headline metric is a function of the counters' sums, computed exactly as in the report.
//! A run's own intervals come from [`crate::poisson`], which sums weighted counters while the
//! examples stream by; the multinomial bootstrap here serves `verdict compare` of runs read
//! back example by example. A bootstrap replicate draws the units (examples, or clusters such as all clips of one game)
//! with replacement, sums their counters and recomputes the metrics. Replicate r draws from its
//! own generator seeded by (seed, r), so the intervals do not depend on the thread count.
//!
//! The interval is the percentile interval: the 2.5th and 97.5th percentiles (linear
//! interpolation) of the replicate values. Replicates in which a metric is undefined (a zero
//! denominator, such as a class absent from the resample) are left out of that metric's
//! interval, and their number is reported.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use crate::example::ExampleScore;
use crate::fields::Outcome;
use crate::schema::Checked;
use crate::spec::{Comparator, Spec};
use crate::summary::{self, ClassSums, Sums, Task};
use crate::validity::Tier;

/// Default number of bootstrap replicates.
pub const DEFAULT_REPLICATES: usize = 1000;

/// The most bootstrap replicates a run may ask for: a 95% interval is stable to a few
/// thousandths long before this, and each replicate holds every metric's value, so an
/// unbounded count only fills memory (`--bootstrap 4294967296` ran into the OOM killer).
pub const MAX_REPLICATES: u32 = 100_000;

/// The most worker threads a run may ask for: far more than any machine's cores, and few
/// enough that starting them stays instant (5,000 threads took 94 s on 320 examples).
pub const MAX_THREADS: u16 = 256;

/// Confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// The percentiles that bound a 95% interval, written out (1 − 0.95 is not 0.05 in binary).
const LOWER_QUANTILE: f64 = 0.025;
const UPPER_QUANTILE: f64 = 0.975;

// Positions of the fixed counters; per-class counters follow, three per label.
const STRICT: usize = 0;
const EXTRACTED: usize = 1;
const REPAIRED: usize = 2;
const SCHEMA_VALID: usize = 3;
const EXACT: usize = 4;
const EXPECTED_EVENTS: usize = 5;
const PREDICTED_EVENTS: usize = 6;
const PAIRS: usize = 7;
const SAME_LABEL_PAIRS: usize = 8;
const ABS_DT_US: usize = 9;
const PLAYER_CORRECT: usize = 10;
const PLAYER_COMPARED: usize = 11;
pub(crate) const UNITS: usize = 12;
const ANLS_E12: usize = 13;
const ANLS_SCORED: usize = 14;
pub(crate) const OUT_OF_SET: usize = 15;
pub(crate) const OUT_OF_SET_EXPECTED: usize = 16;
const SCHEMA_UNDECIDED: usize = 17;
pub(crate) const FIXED: usize = 18;

/// What the counters mean for one run: its labels and which metrics apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Class labels in report order.
    pub labels: Vec<String>,
    index: HashMap<String, usize>,
    has_player: bool,
    has_schema: bool,
    events: bool,
    single_label: bool,
    /// The labels are the spec's declared set: predictions of other labels count as
    /// out-of-set, and undefined per-class rates are left out of the averages.
    declared: bool,
}

/// What kind of run a layout describes, beyond its labels.
#[derive(Debug, Clone, Copy)]
struct Kind {
    has_player: bool,
    has_schema: bool,
    events: bool,
    single_label: bool,
    declared: bool,
}

impl Layout {
    fn build(labels: Vec<String>, kind: Kind) -> Layout {
        let Kind {
            has_player,
            has_schema,
            events,
            single_label,
            declared,
        } = kind;
        let index = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i))
            .collect();
        Layout {
            labels,
            index,
            has_player,
            has_schema,
            events,
            single_label,
            declared,
        }
    }

    /// The layout of a run with `spec`, a schema or not, and the class labels of its report.
    pub fn new(spec: &Spec, has_schema: bool, labels: Vec<String>) -> Layout {
        let has_player = spec
            .fields
            .values()
            .any(|f| f.compare == Comparator::PlayerId);
        Layout::build(
            labels,
            Kind {
                has_player,
                has_schema,
                events: spec.events.is_some(),
                single_label: spec.label.is_some(),
                declared: !spec.labels.is_empty(),
            },
        )
    }

    /// Which headline metrics the run has.
    pub fn task(&self) -> Task {
        Task {
            has_schema: self.has_schema,
            events: self.events,
            single_label: self.single_label,
            has_player: self.has_player,
            has_positive: false,
        }
    }

    /// The layout of a run from its report.json.
    pub fn from_report(report: &serde_json::Value) -> Layout {
        let labels = report
            .get("classes")
            .and_then(serde_json::Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.get("label")?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let present = |pointer: &str| report.pointer(pointer).is_some_and(|v| !v.is_null());
        let has_player = report
            .get("fields")
            .and_then(serde_json::Value::as_object)
            .is_some_and(|f| {
                f.values().any(|v| {
                    v.get("compare").and_then(serde_json::Value::as_str) == Some("player_id")
                })
            });
        Layout::build(
            labels,
            Kind {
                has_player,
                has_schema: present("/schema/file"),
                events: present("/run/events"),
                single_label: present("/summary/label_accuracy"),
                declared: present("/out_of_set"),
            },
        )
    }

    /// A layout covering both runs' labels (this one's first), for comparing them.
    pub fn union(&self, other: &Layout) -> Layout {
        let mut labels = self.labels.clone();
        labels.extend(
            other
                .labels
                .iter()
                .filter(|l| !self.index.contains_key(*l))
                .cloned(),
        );
        Layout::build(
            labels,
            Kind {
                has_player: self.has_player || other.has_player,
                has_schema: self.has_schema && other.has_schema,
                events: self.events,
                single_label: self.single_label,
                declared: self.declared && other.declared,
            },
        )
    }

    /// Whether two runs scored the same kind of output (events, single labels or neither).
    pub fn same_task(&self, other: &Layout) -> bool {
        // Runs with declared label sets average over their sets: two different sets, or one
        // set against every label seen, give class metrics that mean different things.
        self.events == other.events
            && self.single_label == other.single_label
            && self.declared == other.declared
            && (!self.declared || self.labels == other.labels)
    }

    pub(crate) fn width(&self) -> usize {
        FIXED + 3 * self.labels.len()
    }

    /// A layout of no labels and no declared set: [`NamedCounts::counters`] under it gives
    /// the fixed counters alone.
    pub(crate) fn fixed_only() -> Layout {
        Layout::build(
            Vec::new(),
            Kind {
                has_player: false,
                has_schema: false,
                events: false,
                single_label: false,
                declared: false,
            },
        )
    }

    /// An event task's layout of `labels`, for tests.
    #[cfg(test)]
    pub(crate) fn for_events(labels: &[&str]) -> Layout {
        Layout::build(
            labels.iter().map(|l| (*l).to_owned()).collect(),
            Kind {
                has_player: false,
                has_schema: false,
                events: true,
                single_label: false,
                declared: false,
            },
        )
    }

    /// Where `label`'s counters are, if the layout has it.
    pub(crate) fn position(&self, label: &str) -> Option<usize> {
        self.index.get(label).copied()
    }

    /// Whether the labels are the spec's declared set.
    pub(crate) fn declared(&self) -> bool {
        self.declared
    }
}

/// One example's counters, sparse: (counter, value) with value ≠ 0.
pub type Counters = Vec<(u32, i64)>;

/// One example's counters by name, as `examples.jsonl` stores them (`counts`), so a later run
/// can be compared with this one example by example.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct NamedCounts {
    /// 1 if the output was strict JSON.
    pub strict: i64,
    /// 1 if extracted.
    pub extracted: i64,
    /// 1 if repaired.
    pub repaired: i64,
    /// 1 if valid against the schema.
    pub schema_valid: i64,
    /// 1 if the example counts for exact match.
    pub exact: i64,
    /// Expected events.
    pub expected_events: i64,
    /// Predicted events.
    pub predicted_events: i64,
    /// Pairs.
    pub pairs: i64,
    /// Same-label pairs.
    pub same_label_pairs: i64,
    /// Sum of |dt| over pairs, microseconds.
    pub abs_dt_us: i64,
    /// Correct `player_id` comparisons.
    pub player_correct: i64,
    /// `player_id` comparisons.
    pub player_compared: i64,
    /// Per label: [support, predicted, tp].
    pub classes: BTreeMap<String, [i64; 3]>,
    /// ANLS* in units of 1e-12 (integers keep sums exact and order-free).
    pub anls_e12: i64,
    /// 1 if ANLS* was computed for the example.
    pub anls_scored: i64,
    /// 1 if the schema check could not decide the output (a pattern hit the regex engine's
    /// backtracking limit): left out of `schema_valid`'s denominator.
    pub schema_undecided: i64,
}

/// Written by hand for one reason: `schema_undecided`, rare, is left out of `examples.jsonl`
/// when 0 (lines keep their shape and size), but every field is written in a binary format
/// such as a record's postcard, which reads fields by position.
impl Serialize for NamedCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let undecided = !serializer.is_human_readable() || self.schema_undecided != 0;
        let mut out = serializer.serialize_struct("NamedCounts", 15 + usize::from(undecided))?;
        out.serialize_field("strict", &self.strict)?;
        out.serialize_field("extracted", &self.extracted)?;
        out.serialize_field("repaired", &self.repaired)?;
        out.serialize_field("schema_valid", &self.schema_valid)?;
        out.serialize_field("exact", &self.exact)?;
        out.serialize_field("expected_events", &self.expected_events)?;
        out.serialize_field("predicted_events", &self.predicted_events)?;
        out.serialize_field("pairs", &self.pairs)?;
        out.serialize_field("same_label_pairs", &self.same_label_pairs)?;
        out.serialize_field("abs_dt_us", &self.abs_dt_us)?;
        out.serialize_field("player_correct", &self.player_correct)?;
        out.serialize_field("player_compared", &self.player_compared)?;
        out.serialize_field("classes", &self.classes)?;
        out.serialize_field("anls_e12", &self.anls_e12)?;
        out.serialize_field("anls_scored", &self.anls_scored)?;
        if undecided {
            out.serialize_field("schema_undecided", &self.schema_undecided)?;
        } else {
            out.skip_field("schema_undecided")?;
        }
        out.end()
    }
}

pub use crate::summary::ANLS_UNIT;

impl NamedCounts {
    /// The counts of one scored example; `player_fields[i]` says whether spec field i (in name
    /// order) is a `player_id` field.
    pub fn of(score: &ExampleScore, player_fields: &[bool]) -> NamedCounts {
        let mut c = NamedCounts::default();
        match score.tier {
            Tier::Strict => c.strict = 1,
            Tier::Extracted => c.extracted = 1,
            Tier::Repaired => c.repaired = 1,
            _ => {}
        }
        c.schema_valid = i64::from(score.schema.as_ref().is_some_and(Checked::is_valid));
        c.schema_undecided = i64::from(
            score
                .schema
                .as_ref()
                .is_some_and(|checked| checked.undecided().is_some()),
        );
        if let Some(anls) = score.anls {
            c.anls_e12 = (anls * ANLS_UNIT).round() as i64;
            c.anls_scored = 1;
        }
        if let Some(events) = &score.events {
            for pair in &events.pairs {
                bump(&mut c.classes, &pair.expected_label, 0);
                bump(&mut c.classes, &pair.predicted_label, 1);
                if pair.same_label() {
                    bump(&mut c.classes, &pair.expected_label, 2);
                }
            }
            for m in &events.missed {
                bump(&mut c.classes, &m.label, 0);
            }
            for s in &events.spurious {
                bump(&mut c.classes, &s.label, 1);
            }
            c.expected_events = events.support() as i64;
            c.predicted_events = events.predicted() as i64;
            c.pairs = events.pairs.len() as i64;
            c.same_label_pairs = events.tp() as i64;
            for pair in &events.pairs {
                c.abs_dt_us += pair.dt_us.abs();
                for (result, is_player) in pair.fields.iter().zip(player_fields) {
                    if let (Some(result), true) = (result, is_player) {
                        c.player_compared += 1;
                        c.player_correct += i64::from(*result == Outcome::Correct);
                    }
                }
            }
        }
        if let Some(label) = &score.label {
            if let Some(l) = &label.expected {
                bump(&mut c.classes, l, 0);
            }
            if let Some(l) = &label.predicted {
                bump(&mut c.classes, l, 1);
            }
            if label.correct()
                && let Some(l) = &label.expected
            {
                bump(&mut c.classes, l, 2);
            }
        }
        c.exact = i64::from(score.exact());
        c
    }

    /// The counters under `layout`. Predictions of a label outside a declared set count as
    /// out-of-set; other labels the layout does not know are left out.
    pub fn counters(&self, layout: &Layout) -> Counters {
        let mut out: Vec<(u32, i64)> = [
            (STRICT, self.strict),
            (EXTRACTED, self.extracted),
            (REPAIRED, self.repaired),
            (SCHEMA_VALID, self.schema_valid),
            (EXACT, self.exact),
            (EXPECTED_EVENTS, self.expected_events),
            (PREDICTED_EVENTS, self.predicted_events),
            (PAIRS, self.pairs),
            (SAME_LABEL_PAIRS, self.same_label_pairs),
            (ABS_DT_US, self.abs_dt_us),
            (PLAYER_CORRECT, self.player_correct),
            (PLAYER_COMPARED, self.player_compared),
            (UNITS, 1),
            (ANLS_E12, self.anls_e12),
            (ANLS_SCORED, self.anls_scored),
            (SCHEMA_UNDECIDED, self.schema_undecided),
        ]
        .into_iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| (k as u32, v))
        .collect();
        let (mut out_of_set, mut out_of_set_expected) = (0, 0);
        for (label, counts) in &self.classes {
            if let Some(&i) = layout.index.get(label) {
                for (slot, &v) in counts.iter().enumerate() {
                    if v != 0 {
                        out.push(((FIXED + 3 * i + slot) as u32, v));
                    }
                }
            } else if layout.declared {
                out_of_set += counts[1];
                out_of_set_expected += counts[0];
            }
        }
        if out_of_set != 0 {
            out.push((OUT_OF_SET as u32, out_of_set));
        }
        if out_of_set_expected != 0 {
            out.push((OUT_OF_SET_EXPECTED as u32, out_of_set_expected));
        }
        out.sort_unstable();
        out
    }
}

fn bump(classes: &mut BTreeMap<String, [i64; 3]>, label: &str, slot: usize) {
    classes.entry(label.to_owned()).or_default()[slot] += 1;
}

/// Which spec fields (in name order) are `player_id` fields.
pub fn player_fields(spec: &Spec) -> Vec<bool> {
    spec.fields
        .values()
        .map(|f| f.compare == Comparator::PlayerId)
        .collect()
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The metrics of a set of summed counters, by report path (`event_f1`,
/// `classes.FG_MAKE.recall`), computed with the same formulas as the report. `strict_classes`
/// follows the report's convention (0 where a denominator is 0, unless the labels are
/// declared); otherwise such a per-class value is undefined (`None`), as bootstrap replicates
/// need.
pub fn metrics(sum: &[i64], layout: &Layout, strict_classes: bool) -> Vec<(String, Option<f64>)> {
    metric_names(layout)
        .into_iter()
        .zip(metric_values(sum, layout, strict_classes))
        .collect()
}

/// The report paths of the values [`metric_values`] gives, in its order. Named once per run,
/// not once per replicate: a path holds its label, and a label may be long (up to
/// [`crate::bounded::MAX_LABEL_BYTES`] and a marker), so naming them in every replicate
/// copied every label byte a thousand times.
pub fn metric_names(layout: &Layout) -> Vec<String> {
    let mut names: Vec<String> = summary::resampled_names(&layout.task())
        .map(str::to_owned)
        .collect();
    if layout.events || layout.single_label {
        for label in &layout.labels {
            for rate in ["precision", "recall", "f1"] {
                names.push(format!("classes.{label}.{rate}"));
            }
        }
    }
    names
}

/// The metrics of a set of summed counters in the order of [`metric_names`]; see [`metrics`].
pub fn metric_values(sum: &[i64], layout: &Layout, strict_classes: bool) -> Vec<Option<f64>> {
    let classes: Vec<(i64, i64, i64)> = (0..layout.labels.len())
        .map(|i| {
            (
                sum[FIXED + 3 * i],
                sum[FIXED + 3 * i + 1],
                sum[FIXED + 3 * i + 2],
            )
        })
        .collect();
    let sums = Sums {
        examples: sum[UNITS],
        strict: sum[STRICT],
        extracted: sum[EXTRACTED],
        repaired: sum[REPAIRED],
        schema_valid: sum[SCHEMA_VALID],
        schema_undecided: sum[SCHEMA_UNDECIDED],
        classes: classes
            .iter()
            .map(|&(support, predicted, tp)| ClassSums {
                support,
                predicted,
                tp,
            })
            .collect(),
        pairs: sum[PAIRS],
        same_label_pairs: sum[SAME_LABEL_PAIRS],
        timed_pairs: sum[PAIRS],
        abs_dt_us: i128::from(sum[ABS_DT_US]),
        player_correct: sum[PLAYER_CORRECT],
        player_compared: sum[PLAYER_COMPARED],
        exact: sum[EXACT],
        // As in the report: each right single label is its class's true positive.
        label_correct: if layout.single_label {
            classes.iter().map(|&(_, _, tp)| tp).sum()
        } else {
            0
        },
        anls_scored: sum[ANLS_SCORED],
        anls_e12: sum[ANLS_E12],
        out_of_set_predicted: sum[OUT_OF_SET],
        out_of_set_expected: sum[OUT_OF_SET_EXPECTED],
        declared: layout.declared,
        ..Sums::default()
    };
    let mut out: Vec<Option<f64>> = summary::values(&layout.task(), &sums, true)
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    if layout.events || layout.single_label {
        for &(s, p, t) in &classes {
            let per_class = |num: i64, den: i64| {
                if strict_classes && !layout.declared {
                    Some(ratio(num, den).unwrap_or(0.0))
                } else {
                    ratio(num, den)
                }
            };
            out.push(per_class(t, p));
            out.push(per_class(t, s));
            out.push(per_class(2 * t, p + s));
        }
    }
    out
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The metric on the whole data.
    pub value: Option<f64>,
    /// Lower end of the 95% interval.
    pub low: Option<f64>,
    /// Upper end of the 95% interval.
    pub high: Option<f64>,
    /// Replicates in which the metric was undefined and so left out.
    #[serde(skip_serializing_if = "is_zero")]
    pub undefined: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The units resampled: each a cluster of examples, with its summed counters, stored one
/// after another (unit `i` is `entries[offsets[i]..offsets[i + 1]]`) so a replicate reads them
/// in one sequential pass.
#[derive(Debug, Clone)]
pub struct Units {
    offsets: Vec<usize>,
    entries: Vec<(u32, i64)>,
    width: usize,
}

impl Units {
    /// Groups per-example counters into units: `cluster_of[i]` names example i's cluster
    /// (`None` = the example alone). Units are ordered by first appearance, so the grouping is
    /// deterministic.
    pub fn new(examples: &[Counters], cluster_of: &[Option<String>], layout: &Layout) -> Units {
        let mut position: HashMap<&str, usize> = HashMap::new();
        let mut units: Vec<Counters> = Vec::new();
        for (i, counters) in examples.iter().enumerate() {
            match cluster_of.get(i).and_then(Option::as_deref) {
                Some(name) => {
                    let unit = *position.entry(name).or_insert_with(|| {
                        units.push(Vec::new());
                        units.len() - 1
                    });
                    units[unit].extend_from_slice(counters);
                }
                None => units.push(counters.clone()),
            }
        }
        let mut offsets = Vec::with_capacity(units.len() + 1);
        let mut entries = Vec::new();
        offsets.push(0);
        for mut unit in units {
            // Sum the counters a cluster's examples share.
            unit.sort_unstable_by_key(|&(k, _)| k);
            let start = entries.len();
            for (k, v) in unit {
                let len = entries.len();
                match entries.last_mut() {
                    Some((last, total)) if len > start && *last == k => *total += v,
                    _ => entries.push((k, v)),
                }
            }
            offsets.push(entries.len());
        }
        Units {
            offsets,
            entries,
            width: layout.width(),
        }
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no units.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn total(&self) -> Vec<i64> {
        let mut sum = vec![0; self.width];
        for &(k, v) in &self.entries {
            sum[k as usize] += v;
        }
        sum
    }

    /// The counters summed over a replicate, given how many times it drew each unit. Integer
    /// sums do not depend on the order of the draws, so counting them first gives the same
    /// sums as adding unit by unit, with one sequential pass instead of a random read a draw.
    fn replicate(&self, times: &[u32]) -> Vec<i64> {
        let mut sum = vec![0; self.width];
        for (unit, &t) in times.iter().enumerate() {
            if t == 0 {
                continue;
            }
            for &(k, v) in &self.entries[self.offsets[unit]..self.offsets[unit + 1]] {
                sum[k as usize] += v * i64::from(t);
            }
        }
        sum
    }
}

/// The bootstrap's generator ([`crate::rng`]), with unbiased draws below a bound.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        crate::rng::splitmix64(&mut self.0)
    }

    /// Uniform in 0..n (n > 0), without modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }
}

/// How many times replicate `replicate` draws each of `units` units: `units` draws with
/// replacement from the replicate's own stream.
fn draws(units: usize, seed: u64, replicate: usize) -> Vec<u32> {
    let mut rng = SplitMix64(seed ^ (replicate as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut times = vec![0u32; units];
    for _ in 0..units {
        times[rng.below(units)] += 1;
    }
    times
}

pub(crate) fn percentile_interval(
    value: Option<f64>,
    mut values: Vec<f64>,
    replicates: usize,
) -> Interval {
    values.sort_by(f64::total_cmp);
    Interval {
        value,
        low: quantile(&values, LOWER_QUANTILE),
        high: quantile(&values, UPPER_QUANTILE),
        undefined: replicates - values.len(),
    }
}

/// Linear interpolation between order statistics of sorted values.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q * last as f64;
    let lo = position.floor() as usize;
    let hi = (lo + 1).min(last);
    Some(sorted[lo] + (position - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Every metric on all units, by report path (the report's own values).
pub fn point_metrics(units: &Units, layout: &Layout) -> BTreeMap<String, Option<f64>> {
    metrics(&units.total(), layout, true).into_iter().collect()
}

/// The headline metrics of one example's counters (a run of that example alone), in
/// [`summary::resampled_names`]'s order: what a per-example score reports, by the formulas
/// the report and the bootstrap use.
pub fn example_summary(counters: &Counters, layout: &Layout) -> Vec<(&'static str, Option<f64>)> {
    let mut sum = vec![0; layout.width()];
    for &(k, v) in counters {
        sum[k as usize] += v;
    }
    summary::resampled_names(&layout.task())
        .zip(metric_values(&sum, layout, true))
        .collect()
}

/// Percentile bootstrap intervals of every metric, by report path.
pub fn bootstrap(
    units: &Units,
    layout: &Layout,
    replicates: usize,
    seed: u64,
) -> BTreeMap<String, Interval> {
    let point = metrics(&units.total(), layout, true);
    let samples: Vec<Vec<Option<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            metric_values(
                &units.replicate(&draws(units.len(), seed, r)),
                layout,
                false,
            )
        })
        .collect();
    point
        .into_iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let values: Vec<f64> = samples.iter().filter_map(|s| s[i]).collect();
            let interval = percentile_interval(value, values, replicates);
            (name, interval)
        })
        .collect()
}

/// Paired bootstrap of B − A on the same units: both runs are recomputed on each replicate's
/// draws. `a` and `b` must hold the same units in the same order, with the same layout.
pub fn paired_delta(
    a: &Units,
    b: &Units,
    layout: &Layout,
    replicates: usize,
    seed: u64,
) -> BTreeMap<String, Interval> {
    let delta = |x: &[Option<f64>], y: &[Option<f64>]| -> Vec<Option<f64>> {
        x.iter().zip(y).map(|(p, q)| Some((*q)? - (*p)?)).collect()
    };
    let point = delta(
        &metric_values(&a.total(), layout, true),
        &metric_values(&b.total(), layout, true),
    );
    let samples: Vec<Vec<Option<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let d = draws(a.len(), seed, r);
            delta(
                &metric_values(&a.replicate(&d), layout, false),
                &metric_values(&b.replicate(&d), layout, false),
            )
        })
        .collect();
    metric_names(layout)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<f64> = samples.iter().filter_map(|s| s[i]).collect();
            (name, percentile_interval(point[i], values, replicates))
        })
        .collect()
}

/// McNemar's exact test: the two-sided binomial p-value of `b` examples right only in run A
/// and `c` right only in run B, under the hypothesis that both are equally likely.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // P(X ≤ k) for X ~ Binomial(n, 1/2), summed in log space so large n cannot underflow.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose = 0.0; // ln C(n, 0)
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcnemar_matches_scipy_binomtest() {
        // scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue
        for (b, c, p) in [
            (1, 6, 0.125),
            (10, 25, 0.016673847800120715),
            (0, 5, 0.0625),
            (7, 7, 1.0),
            (3, 0, 0.25),
            (40, 62, 0.037066767438560584),
        ] {
            assert!(
                (mcnemar_exact(b, c) - p).abs() < 1e-12,
                "b={b} c={c}: {} vs {p}",
                mcnemar_exact(b, c)
            );
        }
        assert!((mcnemar_exact(0, 0) - 1.0).abs() < f64::EPSILON);
        assert!(mcnemar_exact(5000, 5300) > 0.0);
    }

    #[test]
    fn named_counts_write_schema_undecided_to_json_only_when_set_and_always_to_records() {
        let plain = NamedCounts {
            strict: 1,
            ..NamedCounts::default()
        };
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("schema_undecided"), "{json}");
        assert!(
            json.ends_with("\"anls_e12\":0,\"anls_scored\":0}"),
            "{json}"
        );
        let undecided = NamedCounts {
            schema_undecided: 1,
            ..plain.clone()
        };
        let json = serde_json::to_string(&undecided).unwrap();
        assert!(json.ends_with(",\"schema_undecided\":1}"), "{json}");
        assert_eq!(
            serde_json::from_str::<NamedCounts>(&json).unwrap(),
            undecided
        );
        // postcard reads fields by position: both round-trip.
        for counts in [plain, undecided] {
            let bytes = postcard::to_allocvec(&counts).unwrap();
            assert_eq!(postcard::from_bytes::<NamedCounts>(&bytes).unwrap(), counts);
        }
    }

    #[test]
    fn draws_are_uniform_and_reproducible() {
        assert_eq!(draws(10, 7, 3), draws(10, 7, 3));
        assert_ne!(draws(10, 7, 3), draws(10, 7, 4));
        let mut counts = [0u32; 4];
        for r in 0..2000 {
            let times = draws(4, 1, r);
            assert_eq!(times.iter().sum::<u32>(), 4, "as many draws as units");
            for (total, t) in counts.iter_mut().zip(times) {
                *total += t;
            }
        }
        assert!(
            counts.iter().all(|&c| (1800..2200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn percentiles_interpolate() {
        let i = percentile_interval(Some(0.5), (0..=100).map(f64::from).collect(), 102);
        assert_eq!(i.low, Some(2.5));
        assert_eq!(i.high, Some(97.5));
        assert_eq!(i.undefined, 1);
    }
}

/// Which examples belong together (`--cluster-by`): `SOURCE` or `SOURCE~REGEX`, where SOURCE
/// is `id` (the example's join key), a top-level key of the expected line, or a JSON Pointer
/// into it; REGEX, when given, takes its first capture group (or the whole match) from that
/// value.
#[derive(Debug, Clone)]
pub struct ClusterBy {
    /// The option as written, for the report.
    pub text: String,
    source: ClusterSource,
    regex: Option<regex::Regex>,
}

#[derive(Debug, Clone, PartialEq)]
enum ClusterSource {
    Id,
    Key(String),
    Pointer(String),
}

impl std::str::FromStr for ClusterBy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (source, pattern) = match text.split_once('~') {
            Some((s, p)) => (s, Some(p)),
            None => (text, None),
        };
        let source = match source.trim() {
            "" => {
                return Err(format!(
                    "--cluster-by {text:?}: name `id`, a key of the expected line or a JSON Pointer"
                ));
            }
            "id" => ClusterSource::Id,
            p if p.starts_with('/') => ClusterSource::Pointer(p.to_owned()),
            k => ClusterSource::Key(k.to_owned()),
        };
        let regex = pattern
            .map(|p| {
                regex::Regex::new(p).map_err(|e| {
                    format!("--cluster-by {text:?}: not a valid regular expression: {e}")
                })
            })
            .transpose()?;
        Ok(ClusterBy {
            text: text.to_owned(),
            source,
            regex,
        })
    }
}

impl ClusterBy {
    /// Whether the cluster comes from the example's id (known only after shape detection).
    pub fn uses_id(&self) -> bool {
        self.source == ClusterSource::Id
    }

    /// The cluster of an example, from its expected line or its id. `Err` says what is missing.
    pub fn cluster(
        &self,
        line: Option<&serde_json::Value>,
        id: Option<&str>,
    ) -> Result<String, String> {
        let raw = match &self.source {
            ClusterSource::Id => id.map(str::to_owned).ok_or("the example has no id")?,
            ClusterSource::Key(key) => text_of(line.and_then(|l| l.get(key)))
                .ok_or_else(|| format!("the line has no {}", crate::quote::quoted(key)))?,
            ClusterSource::Pointer(pointer) => text_of(line.and_then(|l| l.pointer(pointer)))
                .ok_or_else(|| format!("nothing at {pointer}"))?,
        };
        match &self.regex {
            None => Ok(raw),
            Some(regex) => {
                let captures = regex.captures(&raw).ok_or_else(|| {
                    let raw = crate::quote::quoted(&raw);
                    format!("{raw} does not match {}", regex.as_str())
                })?;
                Ok(captures
                    .get(1)
                    .or_else(|| captures.get(0))
                    .map_or_else(String::new, |m| m.as_str().to_owned()))
            }
        }
    }
}

fn text_of(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod cluster_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clusters_from_keys_pointers_and_ids() {
        let line = json!({"game": "g7", "contents": [{"parts": [{"fileData": {"fileUri": "gs://b/clips/game-0042/clip-0007.mp4"}}]}]});
        let by: ClusterBy = "game".parse().unwrap();
        assert_eq!(by.cluster(Some(&line), None).unwrap(), "g7");
        let by: ClusterBy = r"/contents/0/parts/0/fileData/fileUri~/(game-\d+)/"
            .parse()
            .unwrap();
        assert_eq!(by.cluster(Some(&line), None).unwrap(), "game-0042");
        let by: ClusterBy = r"id~^[a-z]+".parse().unwrap();
        assert!(by.uses_id());
        assert_eq!(by.cluster(None, Some("clip42")).unwrap(), "clip");
        assert!(
            "game"
                .parse::<ClusterBy>()
                .unwrap()
                .cluster(Some(&json!({})), None)
                .is_err()
        );
        assert!("id~(".parse::<ClusterBy>().is_err());
    }

    #[test]
    fn clustered_units_sum_their_examples() {
        let layout = Layout::build(
            vec![],
            Kind {
                has_player: false,
                has_schema: false,
                events: false,
                single_label: false,
                declared: false,
            },
        );
        let examples: Vec<Counters> = vec![
            vec![(UNITS as u32, 1), (STRICT as u32, 1)],
            vec![(UNITS as u32, 1)],
            vec![(UNITS as u32, 1)],
        ];
        let units = Units::new(
            &examples,
            &[Some("a".into()), Some("b".into()), Some("a".into())],
            &layout,
        );
        assert_eq!(units.len(), 2);
        assert_eq!(
            units.entries[units.offsets[0]..units.offsets[1]],
            [(STRICT as u32, 1), (UNITS as u32, 2)]
        );
        let m = metrics(&units.total(), &layout, true);
        assert_eq!(m[0], ("json_valid_strict".to_owned(), Some(1.0 / 3.0)));
    }

    #[test]
    fn replicate_values_line_up_with_names_named_once() {
        let layout = Layout::build(
            vec!["A".into(), "B".into()],
            Kind {
                has_player: false,
                has_schema: false,
                events: true,
                single_label: false,
                declared: false,
            },
        );
        let mut sum = vec![0; layout.width()];
        sum[UNITS] = 2;
        sum[FIXED] = 2; // support of A
        sum[FIXED + 1] = 1; // predicted A
        sum[FIXED + 2] = 1; // tp A
        let names = metric_names(&layout);
        let values = metric_values(&sum, &layout, false);
        assert_eq!(names.len(), values.len());
        let at = |name: &str| values[names.iter().position(|n| n == name).unwrap()];
        assert_eq!(at("classes.A.precision"), Some(1.0));
        assert_eq!(at("classes.A.recall"), Some(0.5));
        assert_eq!(at("classes.B.recall"), None, "B has no support");
        assert_eq!(
            metrics(&sum, &layout, false),
            names.into_iter().zip(values).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_example_summary_is_the_point_metrics_of_a_run_of_that_example() {
        let layout = Layout::build(
            vec!["A".into(), "B".into()],
            Kind {
                has_player: true,
                has_schema: true,
                events: true,
                single_label: false,
                declared: true,
            },
        );
        // One example: 3 expected A, 2 predicted A of which 1 right, one B predicted.
        let counts = NamedCounts {
            strict: 1,
            schema_valid: 1,
            expected_events: 3,
            predicted_events: 3,
            pairs: 2,
            same_label_pairs: 1,
            abs_dt_us: 700_000,
            player_correct: 1,
            player_compared: 2,
            classes: [("A".to_owned(), [3, 2, 1]), ("B".to_owned(), [0, 1, 0])].into(),
            anls_e12: 500_000_000_000,
            anls_scored: 1,
            ..NamedCounts::default()
        };
        let counters = counts.counters(&layout);
        let summary = example_summary(&counters, &layout);
        let point = point_metrics(&Units::new(&[counters], &[None], &layout), &layout);
        assert!(!summary.is_empty());
        for (name, value) in &summary {
            assert_eq!(point[*name], *value, "{name}");
        }
        let at = |name: &str| summary.iter().find(|(n, _)| *n == name).unwrap().1;
        // tp 1 of 3 predicted and 3 expected: F1 = 2 / 6.
        assert_eq!(at("event_f1"), Some(2.0 / 6.0));
        assert_eq!(at("player_id_accuracy"), Some(0.5));
        assert_eq!(at("timestamp_mae"), Some(0.35));
        assert_eq!(at("anls_star"), Some(0.5));
    }
}
