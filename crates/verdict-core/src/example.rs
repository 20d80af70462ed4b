//! One example judged: the per-example scorer and its result. Pure: the same expected value
//! and output always give the same score, whatever thread or run computes it.

use serde_json::Value;

use crate::outcome::{EventOutcome, LabelOutcome, label_at, score_events, seconds_to_us};
use crate::repair::Repairs;
use crate::schema::{Checked, Schema};
use crate::spec::{FieldSpec, Spec};
use crate::validity::{Output, Tier, classify};

/// What a prediction line answered for one example, as the scorer needs it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// What the model produced.
    pub output: &'a Output,
    /// The provider's finish reason, if the line gave one.
    pub finish_reason: Option<&'a str>,
    /// Whether the answer came with reasoning (removed before the output was classified).
    pub reasoning: bool,
}

/// How many of the worst examples the report shows side by side.
pub const WORST_EXAMPLES: usize = 10;

/// The result of scoring one example.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleScore {
    /// Validity tier of the output.
    pub tier: Tier,
    /// Repairs the output needed.
    pub repairs: Repairs,
    /// Whether a prediction line answered the example.
    pub has_prediction: bool,
    /// The provider's finish reason, if a prediction gave one.
    pub finish_reason: Option<String>,
    /// Whether the prediction's answer came with reasoning (`reasoning.outputs` counts them).
    pub reasoning: bool,
    /// What the schema check found in the scored output; `None` when there was no schema or
    /// no parsed output to check.
    pub schema: Option<Checked>,
    /// The event outcome, when the spec has `[events]`.
    pub events: Option<EventOutcome>,
    /// The label outcome, when the spec has `label`.
    pub label: Option<LabelOutcome>,
    /// ANLS* of the scored output (null when it was not parsed) against the expected output;
    /// `None` when the pair is too large to score (see [`crate::anls::MAX_LEAVES`]).
    pub anls: Option<f64>,
    /// The typed ANLS* variant and its leaf scores by pattern.
    pub anls_typed: Option<(f64, crate::anls::LeafScores)>,
    /// Whether the ANLS* scores rest on a text comparison bounded rather than computed
    /// ([`crate::anls::MAX_CELLS`]): they are then lower bounds.
    pub anls_approximated: bool,
    /// Per `[paths]` pattern (spec name order): the comparisons.
    pub paths: Vec<crate::objects::PathCounts>,
    /// Per `[lists]` list (spec name order): the alignment.
    pub lists: Vec<crate::objects::ListCounts>,
    /// Whether the scored output equals the expected output (JSON equality, numbers by
    /// value); `None` when the spec scores parts of the output (events, a label, paths or
    /// lists), which then decide exact match instead.
    pub equal: Option<bool>,
}

impl ExampleScore {
    /// Whether the output counts as valid JSON for exact match (strict or extracted).
    pub fn valid_json(&self) -> bool {
        matches!(self.tier, Tier::Strict | Tier::Extracted)
    }

    /// Whether the example is exactly right: the one rule behind `summary.exact_match`, its
    /// bootstrap counter and the `exact` of `examples.jsonl`, the same in every mode. The
    /// output must be valid JSON (strict or extracted) and everything the spec scores right:
    /// every event ([`EventOutcome::exact`], fields included), the label, every `[paths]`
    /// comparison and every `[lists]` element. A spec that scores none of these judges the
    /// whole output, which must equal the expected one. The schema is not part of it: a
    /// right answer in a wrong shape shows in `schema_valid`.
    pub fn exact(&self) -> bool {
        self.valid_json()
            && self.events.as_ref().is_none_or(|e| e.exact(true))
            && self.label.as_ref().is_none_or(LabelOutcome::correct)
            && self.paths.iter().all(crate::objects::PathCounts::all_right)
            && self.lists.iter().all(crate::objects::ListCounts::all_right)
            && self.equal.unwrap_or(true)
    }
}

/// Everything per-example scoring needs, borrowed from the loaded inputs.
pub struct Scorer<'a> {
    schema: Option<&'a Schema>,
    spec: &'a Spec,
    fields: Vec<(&'a String, &'a FieldSpec)>,
    sweep_us: Vec<i64>,
    use_repaired: bool,
}

impl<'a> Scorer<'a> {
    /// A scorer for `spec` and `schema`.
    pub fn new(spec: &'a Spec, schema: Option<&'a Schema>, use_repaired: bool) -> Self {
        let sweep_us = spec
            .events
            .as_ref()
            .map(|e| e.sweep.iter().map(|&t| seconds_to_us(t)).collect())
            .unwrap_or_default();
        Scorer {
            schema,
            spec,
            fields: spec.fields.iter().collect(),
            sweep_us,
            use_repaired,
        }
    }

    /// Scores one example. Pure: the same expected value and answer always give the same score.
    pub fn score(&self, expected: &Value, answer: Option<Answer<'_>>) -> ExampleScore {
        self.score_with(expected, answer, &mut crate::anls::Patterns::default())
    }

    /// [`Scorer::score`], with the ANLS* patterns met in the examples this scorer scored
    /// before with the same `patterns` (one per thread).
    pub fn score_with(
        &self,
        expected: &Value,
        answer: Option<Answer<'_>>,
        patterns: &mut crate::anls::Patterns<'a>,
    ) -> ExampleScore {
        let output = answer.map(|a| a.output);
        let parsed = classify(output, self.spec.tool_calls);
        let value = parsed.scored_value(self.use_repaired);
        let checked = self
            .schema
            .zip(value)
            .map(|(schema, value)| schema.check(value));
        let events = self
            .spec
            .events
            .as_ref()
            .map(|spec| score_events(expected, value, spec, &self.fields, &self.sweep_us, 0));
        let label = self.spec.label.as_deref().map(|pointer| LabelOutcome {
            expected: label_at(Some(expected), pointer),
            predicted: label_at(value, pointer),
        });
        let scores_parts = self.spec.events.is_some()
            || self.spec.label.is_some()
            || !self.spec.paths.is_empty()
            || !self.spec.lists.is_empty();
        let equal =
            (!scores_parts).then(|| value.is_some_and(|v| crate::fields::json_equal(expected, v)));
        let anls_scores = crate::anls::anls_scores_with(
            expected,
            value.unwrap_or(&Value::Null),
            &|pattern| self.typed_leaf(pattern),
            patterns,
        );
        ExampleScore {
            tier: parsed.tier,
            repairs: parsed.repairs,
            has_prediction: answer.is_some(),
            finish_reason: answer.and_then(|a| a.finish_reason.map(str::to_owned)),
            reasoning: answer.is_some_and(|a| a.reasoning),
            schema: checked,
            events,
            label,
            anls: anls_scores.plain,
            anls_typed: anls_scores.typed,
            anls_approximated: anls_scores.approximated > 0,
            paths: self
                .spec
                .paths
                .iter()
                .map(|(pattern, field)| {
                    crate::objects::compare_path(pattern, field, expected, value)
                })
                .collect(),
            lists: self
                .spec
                .lists
                .values()
                .map(|list| crate::objects::align_list(list, expected, value))
                .collect(),
            equal,
        }
    }

    /// How the typed ANLS* compares two leaves at `pattern`: with the spec's comparator where
    /// one applies (a `[paths]` pattern; an event's time within the tolerance, its label
    /// exactly, its `[fields]` by their comparators), else by ANLS* text similarity.
    fn typed_leaf(&self, pattern: &str) -> crate::anls::LeafRule<'a> {
        use crate::anls::LeafRule;
        if let Some(field) = self.spec.paths.get(pattern) {
            return LeafRule::Field(field);
        }
        if let Some(events) = &self.spec.events
            && let Some(key) = pattern.strip_prefix(&format!("{}/*/", events.pointer))
        {
            if key == events.time {
                return LeafRule::Time {
                    tolerance_us: seconds_to_us(events.tolerance),
                };
            }
            if key == events.label {
                return LeafRule::Equal;
            }
            if let Some((_, field)) = self.fields.iter().find(|(name, _)| name.as_str() == key) {
                return LeafRule::Field(field);
            }
        }
        LeafRule::Similarity
    }
}

impl ExampleScore {
    /// The first expected label of this example outside `declared` (the spec's `labels`),
    /// if it declares any: the label set is the task's, so such a label is an input error,
    /// not a class.
    pub fn undeclared_expected_label(&self, declared: &[String]) -> Option<&str> {
        if declared.is_empty() {
            return None;
        }
        let events = self.events.iter().flat_map(|e| {
            let paired = e.pairs.iter().map(|p| p.expected_label.as_str());
            paired.chain(e.missed.iter().map(|m| m.label.as_str()))
        });
        let single = self.label.iter().filter_map(|l| l.expected.as_deref());
        // An event without a label is the spec-coverage check's to report (the label member
        // may be misspelt), not a label outside the set.
        events
            .chain(single)
            .filter(|label| *label != crate::events::UNLABELLED)
            .find(|label| !declared.iter().any(|d| d == label))
    }
}

/// The input error's message for an expected `label` outside the spec's `declared` labels:
/// the label, the set, and the closest declared label when one is close.
pub fn undeclared_label_message(label: &str, declared: &[String]) -> String {
    let closest = declared
        .iter()
        .map(|d| {
            (
                strsim::jaro_winkler(&label.to_lowercase(), &d.to_lowercase()),
                d,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, d)| format!(" (close to the declared `{d}`: is one of them misspelt?)"))
        .unwrap_or_default();
    format!(
        "expected label `{}` is not in the spec's `labels` [{}]{closest}: declare it in `labels`, or correct the expected output",
        crate::quote::plain(label),
        crate::quote::list(declared.iter().map(|d| crate::quote::plain(d)))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::LabelOutcome;
    use crate::validity::Tier;
    use serde_json::json;
    use std::path::Path;

    fn exact(spec: &str, expected: Value, output: Value) -> bool {
        let spec = crate::spec::parse(Path::new("eval.toml"), spec).unwrap();
        let output = Output::Value(output);
        Scorer::new(&spec, None, false)
            .score(
                &expected,
                Some(Answer {
                    output: &output,
                    finish_reason: None,
                    reasoning: false,
                }),
            )
            .exact()
    }

    #[test]
    fn with_nothing_specified_the_whole_output_must_equal_the_expected_one() {
        assert!(!exact("", json!({"a": 1}), json!({"a": 2})));
        assert!(exact(
            "",
            json!({"a": 1, "b": [1]}),
            json!({"b": [1.0], "a": 1})
        ));
        assert!(!exact("", json!({"a": 1}), json!({"a": 1, "extra": null})));
    }

    #[test]
    fn a_single_label_task_needs_every_scored_part_right_not_just_the_label() {
        let spec = "label = \"/intent\"\n[paths.\"/priority\"]\ncompare = \"exact\"\n[lists.entities]\npointer = \"/entities\"\n";
        let expected =
            json!({"intent": "refund", "priority": "high", "entities": ["A1"], "note": "x"});
        let right =
            json!({"intent": "refund", "priority": "high", "entities": ["A1"], "note": "y"});
        assert!(
            exact(spec, expected.clone(), right),
            "unscored keys do not count"
        );
        let wrong_priority = json!({"intent": "refund", "priority": "low", "entities": ["A1"]});
        assert!(!exact(spec, expected.clone(), wrong_priority));
        let missing_entity = json!({"intent": "refund", "priority": "high", "entities": []});
        assert!(!exact(spec, expected.clone(), missing_entity));
        let extra_entity =
            json!({"intent": "refund", "priority": "high", "entities": ["A1", "B2"]});
        assert!(!exact(spec, expected.clone(), extra_entity));
        let wrong_label = json!({"intent": "other", "priority": "high", "entities": ["A1"]});
        assert!(!exact(spec, expected, wrong_label));
    }

    #[test]
    fn a_missing_output_is_never_exact() {
        let spec = crate::spec::parse(Path::new("eval.toml"), "").unwrap();
        assert!(
            !Scorer::new(&spec, None, false)
                .score(&json!({}), None)
                .exact()
        );
    }

    fn single(expected: &str) -> ExampleScore {
        ExampleScore {
            tier: Tier::Strict,
            repairs: Repairs::default(),
            has_prediction: true,
            finish_reason: None,
            reasoning: false,
            schema: None,
            events: None,
            label: Some(LabelOutcome {
                expected: Some(expected.into()),
                predicted: Some("DUNK".into()),
            }),
            anls: None,
            anls_typed: None,
            anls_approximated: false,
            paths: Vec::new(),
            lists: Vec::new(),
            equal: None,
        }
    }

    #[test]
    fn only_expected_labels_must_be_declared() {
        let declared = ["FG_MAKE".to_owned(), "FG_MISS".to_owned()];
        // A predicted label outside the set is out-of-set, not an error.
        assert_eq!(single("FG_MAKE").undeclared_expected_label(&declared), None);
        assert_eq!(
            single("fg_make").undeclared_expected_label(&declared),
            Some("fg_make")
        );
        assert_eq!(single("fg_make").undeclared_expected_label(&[]), None);
        assert_eq!(
            undeclared_label_message("fg_make", &declared),
            "expected label `fg_make` is not in the spec's `labels` [FG_MAKE, FG_MISS] (close to the declared `FG_MAKE`: is one of them misspelt?): declare it in `labels`, or correct the expected output"
        );
    }
}
