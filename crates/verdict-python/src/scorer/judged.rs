//! One example judged by the engine, and its per-example metrics: each the headline metric
//! report.json's `summary` would give a run of that one example, computed by the same
//! counters and formulas the bootstrap uses ([`verdict_core::resample`]), so a reward is
//! exactly what a later run gates on.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use verdict_core::anls::Patterns;
use verdict_core::example::{ExampleScore, Scorer as Judge};
use verdict_core::metrics::{FieldRow, Totals, event_metrics};
use verdict_core::objects::{ListRow, PathRow};
use verdict_core::outcome::seconds_to_us;
use verdict_core::resample::{Layout, NamedCounts, example_summary};
use verdict_core::schema::Schema;
use verdict_core::spec::Spec;
use verdict_core::summary::{ANLS_UNIT, SUMMARY_METRICS, Task};
use verdict_core::validity::Tier;
use verdict_engine::examples;

/// What a scorer holds beyond the spec: made once, read by every thread.
pub(crate) struct Setup {
    pub(crate) spec: Spec,
    pub(crate) schema: Option<Schema>,
    /// `--repair`: repaired outputs are scored (and so not invalid).
    pub(crate) repair: bool,
    /// Which `[fields]` (in name order) are `player_id` fields.
    players: Vec<bool>,
    /// The counters' layout when the spec declares its labels; otherwise each example's own
    /// labels make it, as a run's labels are those it saw.
    declared: Option<Layout>,
}

/// The metric an undeclared-label layout's task has, whatever its labels.
const TYPED: &str = "anls_star_typed";

impl Setup {
    pub(crate) fn new(spec: Spec, schema: Option<Schema>, repair: bool) -> Setup {
        let players = verdict_core::resample::player_fields(&spec);
        let declared = (!spec.labels.is_empty())
            .then(|| Layout::new(&spec, schema.is_some(), spec.labels.clone()));
        Setup {
            spec,
            schema,
            repair,
            players,
            declared,
        }
    }

    /// The engine's per-example scorer over this spec.
    pub(crate) fn judge(&self) -> Judge<'_> {
        Judge::new(&self.spec, self.schema.as_ref(), self.repair)
    }

    fn task(&self) -> Task {
        Layout::new(&self.spec, self.schema.is_some(), Vec::new()).task()
    }

    /// The metric names a reward can use on this spec, in report.json's order: the headline
    /// metrics a run of this spec has and the bootstrap resamples (the per-example counters
    /// hold them), `anls_star_typed`, then `fields.NAME.accuracy`, `paths.P.accuracy` and
    /// `lists.L.{precision,recall,f1,mean_similarity}`. Each with whether higher is better.
    pub(crate) fn metric_names(&self) -> Vec<(String, bool)> {
        let task = self.task();
        let mut names: Vec<(String, bool)> = SUMMARY_METRICS
            .iter()
            .filter(|m| (m.applies)(&task) && (m.resampled || m.name == TYPED))
            .map(|m| (m.name.to_owned(), m.higher_is_better))
            .collect();
        if self.spec.events.is_some() {
            names.extend(
                self.spec
                    .fields
                    .keys()
                    .map(|f| (format!("fields.{f}.accuracy"), true)),
            );
        }
        names.extend(
            self.spec
                .paths
                .keys()
                .map(|p| (format!("paths.{p}.accuracy"), true)),
        );
        for list in self.spec.lists.keys() {
            for rate in ["precision", "recall", "f1", "mean_similarity"] {
                names.push((format!("lists.{list}.{rate}"), true));
            }
        }
        names
    }

    /// Judges one example: `output` is the text of a plain prediction line (`None`: no
    /// prediction). Refuses, as a run does, an expected label outside the declared `labels`.
    pub(crate) fn example<'a>(
        &'a self,
        judge: &Judge<'a>,
        patterns: &mut Patterns<'a>,
        expected: &Value,
        output: Option<String>,
    ) -> Result<Judged, String> {
        let prediction = output
            .map(|text| {
                // The CLI's own reading of a plain prediction line `{"output": TEXT}`:
                // reasoning (`<think>` blocks) removed, blank text as no output.
                let line = serde_json::json!({ "output": text });
                let location = verdict_core::error::Location {
                    path: "output".into(),
                    line: 1,
                };
                verdict_input::predicted::detect(location, line).map_err(|e| e.to_string())
            })
            .transpose()?;
        let score = judge.score_with(
            expected,
            prediction.as_ref().map(verdict_input::Prediction::answer),
            patterns,
        );
        if let Some(label) = score.undeclared_expected_label(&self.spec.labels) {
            return Err(verdict_core::example::undeclared_label_message(
                label,
                &self.spec.labels,
            ));
        }
        let counts = NamedCounts::of(&score, &self.players);
        let own;
        let layout = match &self.declared {
            Some(layout) => layout,
            None => {
                own = Layout::new(
                    &self.spec,
                    self.schema.is_some(),
                    counts.classes.keys().cloned().collect(),
                );
                &own
            }
        };
        let mut summary = example_summary(&counts.counters(layout), layout);
        // The typed variant has no counter (the bootstrap leaves it out): its value is the
        // example's score in the units its run's mean is summed in.
        let typed = score
            .anls_typed
            .as_ref()
            .map(|(typed, _)| (typed * ANLS_UNIT).round() / ANLS_UNIT);
        let after = summary
            .iter()
            .position(|(name, _)| *name == "anls_star")
            .map_or(summary.len(), |i| i + 1);
        summary.insert(after, (TYPED, typed));
        let fields = match (&self.spec.events, &score.events) {
            (Some(spec), Some(events)) if !self.spec.fields.is_empty() => {
                let mut totals = Totals::default();
                totals.add_events(events);
                let specs: Vec<_> = self.spec.fields.iter().collect();
                event_metrics(&totals, &specs, &spec.sweep, seconds_to_us(spec.tolerance)).fields
            }
            _ => BTreeMap::new(),
        };
        let paths = self
            .spec
            .paths
            .iter()
            .zip(&score.paths)
            .map(|((pattern, field), counts)| {
                (pattern.clone(), PathRow::new(field.compare, *counts))
            })
            .collect();
        let lists = self
            .spec
            .lists
            .keys()
            .zip(&score.lists)
            .map(|(name, counts)| (name.clone(), ListRow::new(*counts)))
            .collect();
        let scored = match score.tier {
            Tier::Strict | Tier::Extracted => true,
            Tier::Repaired => self.repair,
            Tier::Invalid | Tier::Missing | Tier::Failed => false,
        };
        Ok(Judged {
            score,
            counts,
            summary,
            fields,
            paths,
            lists,
            scored,
        })
    }
}

/// One example as the engine judged it, with its per-example metrics.
pub(crate) struct Judged {
    score: ExampleScore,
    counts: NamedCounts,
    /// The headline metrics of a run of this one example, in report.json's order.
    summary: Vec<(&'static str, Option<f64>)>,
    fields: BTreeMap<String, FieldRow>,
    paths: Vec<(String, PathRow)>,
    lists: Vec<(String, ListRow)>,
    /// Whether the output had a value to score (strict, extracted, or repaired under
    /// `repair`); anything else scores as an empty output.
    scored: bool,
}

impl Judged {
    /// Whether the output was scored as an empty output: invalid, missing, or repaired
    /// without `repair`.
    pub(crate) fn invalid(&self) -> bool {
        !self.scored
    }

    /// The value of a metric [`Setup::metric_names`] lists: `None` where the example gives
    /// it no denominator (no events on either side, no field compared).
    pub(crate) fn metric(&self, name: &str) -> Option<f64> {
        if let Some((_, value)) = self.summary.iter().find(|(n, _)| *n == name) {
            return *value;
        }
        let (table, rest) = name.split_once('.')?;
        let (key, rate) = rest.rsplit_once('.')?;
        match table {
            "fields" => self.fields.get(key)?.accuracy,
            "paths" => self.paths.iter().find(|(p, _)| p == key)?.1.accuracy,
            "lists" => {
                let row = &self.lists.iter().find(|(l, _)| l == key)?.1;
                match rate {
                    "precision" => row.precision,
                    "recall" => row.recall,
                    "f1" => row.f1,
                    _ => row.mean_similarity,
                }
            }
            _ => None,
        }
    }

    /// The dict `score_one` returns, keys in their documented order.
    pub(crate) fn view<'a>(&'a self, setup: &'a Setup) -> View<'a> {
        View {
            judged: self,
            setup,
        }
    }
}

/// [`Judged`] as `score_one`'s dict (docs/python-rewards.md): `examples.jsonl`'s names for
/// what it has, report.json's for the metrics.
pub(crate) struct View<'a> {
    judged: &'a Judged,
    setup: &'a Setup,
}

fn repairs(score: &ExampleScore) -> Vec<&'static str> {
    let r = &score.repairs;
    [
        (r.trailing_comma, "trailing_comma"),
        (r.unquoted_key, "unquoted_key"),
        (r.single_quote, "single_quote"),
        (r.truncated, "truncated"),
    ]
    .into_iter()
    .filter_map(|(made, name)| made.then_some(name))
    .collect()
}

impl Serialize for View<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Judged {
            score,
            counts,
            summary,
            fields,
            paths,
            lists,
            ..
        } = self.judged;
        let spec = &self.setup.spec;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("tier", &score.tier)?;
        map.serialize_entry("repairs", &repairs(score))?;
        map.serialize_entry("reasoning", &score.reasoning)?;
        if self.setup.schema.is_some() {
            map.serialize_entry("schema_errors", &examples::schema_errors(score))?;
            map.serialize_entry(
                "schema_undecided",
                &score.schema.as_ref().and_then(|c| c.undecided()),
            )?;
        }
        if let Some(events) = &score.events {
            map.serialize_entry("tp", &events.tp())?;
            map.serialize_entry("fp", &events.fp())?;
            map.serialize_entry("fn", &events.fn_())?;
            map.serialize_entry("missed", &examples::lone(&events.missed))?;
            map.serialize_entry("spurious", &examples::lone(&events.spurious))?;
            map.serialize_entry("confused", &examples::confused(events))?;
            if !spec.fields.is_empty() {
                map.serialize_entry("fields", fields)?;
            }
        }
        if let Some(label) = &score.label {
            map.serialize_entry("expected_label", &label.expected)?;
            map.serialize_entry("predicted_label", &label.predicted)?;
        }
        if !spec.paths.is_empty() {
            let paths: BTreeMap<&str, &PathRow> =
                paths.iter().map(|(p, row)| (p.as_str(), row)).collect();
            map.serialize_entry("paths", &paths)?;
        }
        if !spec.lists.is_empty() {
            let lists: BTreeMap<&str, &ListRow> =
                lists.iter().map(|(l, row)| (l.as_str(), row)).collect();
            map.serialize_entry("lists", &lists)?;
        }
        map.serialize_entry("exact", &score.exact())?;
        for (name, value) in summary {
            map.serialize_entry(name, value)?;
        }
        // Through a JSON value, so that each class's counts are a list as in examples.jsonl
        // (a fixed-size array would become a tuple).
        let counts = serde_json::to_value(counts).map_err(serde::ser::Error::custom)?;
        map.serialize_entry("counts", &counts)?;
        map.end()
    }
}
