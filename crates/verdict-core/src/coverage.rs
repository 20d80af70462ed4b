//! Whether the spec's values name anything in the expected outputs.
//!
//! A key of the spec is checked when the spec is read; a value (`[events] label =
//! "clasification"`, `[fields.playr_a]`, `[paths."/custmer/name"]`) can only be checked against
//! the data, and a wrong one does not fail: every event becomes "(unlabelled)", a field compares
//! nothing, and the report looks fine. So each value that names a pointer or a member is a
//! [`Probe`], and every expected output is observed against every probe while it is scored,
//! into a [`Presence`] of counts that merges like the other sums (shards included). At the end
//! of the run a value that had the chance to occur and never did is an input error with the
//! closest name present ([`Coverage::check`]); one that occurs in some outputs only is reported
//! ([`SpecCoverage`], `spec_coverage` in report.json).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::spec::{Spec, closest};

/// How many names a [`Presence`] keeps for suggestions: the smallest in string order, so the
/// set kept does not depend on the order the outputs were seen in.
pub const MAX_NAMES: usize = 64;

/// How many names a message lists when none is close enough to suggest.
const LISTED: usize = 8;

/// What a probe counts: whole outputs, the events of each, or the elements of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// One expected output each.
    Outputs,
    /// One expected event each (the items of the `[events]` array).
    Events,
    /// One element each of the expected `[lists]` list.
    ListElements,
}

impl Unit {
    fn noun(self) -> &'static str {
        match self {
            Unit::Outputs => "expected outputs",
            Unit::Events => "expected events",
            Unit::ListElements => "elements of the expected lists",
        }
    }
}

/// A pointer segment: a name (unescaped) or, in `[paths]` patterns only, `*`.
#[derive(Debug, Clone)]
enum Segment {
    Any,
    Name(String),
}

#[derive(Debug, Clone)]
enum Target {
    /// A value at a pointer of each output; `array`: it must be an array to count.
    Pointer { segments: Vec<Segment>, array: bool },
    /// A member of each event.
    EventMember(String),
    /// A member of each element of the list at `list` (a plain pointer).
    ElementMember { list: String, key: String },
}

/// One spec value that must name something in the expected outputs.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The spec key, as written in the spec (`[events] time`, `[fields.player_a]`).
    pub spec: String,
    /// The value: a member name or a JSON Pointer (pattern).
    pub value: String,
    /// What is counted.
    pub unit: Unit,
    target: Target,
}

/// The probes of a spec, and where its events are.
#[derive(Debug, Clone)]
pub struct Coverage {
    probes: Vec<Probe>,
    events: Option<String>,
}

/// How often one probe's value was present, summed over expected outputs. Counts only, plus
/// a bounded set of names seen where it was missing, for the suggestion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Outputs (or events, or list elements) that could have had the value.
    pub checked: usize,
    /// Of those, how many did not.
    pub lacking: usize,
    /// Outputs with at least one lacking item (equal to `lacking` for outputs).
    pub outputs_lacking: usize,
    /// For pointers, the deepest segment at which a lacking output's walk stopped.
    pub depth: usize,
    /// Names present where the value was missing (at `depth`, for pointers); at most
    /// [`MAX_NAMES`].
    pub names: BTreeSet<String>,
}

impl Presence {
    /// Adds the presence of another, disjoint set of outputs.
    pub fn merge(&mut self, other: &Presence) {
        self.checked += other.checked;
        self.lacking += other.lacking;
        self.outputs_lacking += other.outputs_lacking;
        self.note_names(other.depth, other.names.iter().map(String::as_str));
    }

    fn note_names<'a>(&mut self, depth: usize, names: impl Iterator<Item = &'a str>) {
        if depth < self.depth {
            return;
        }
        if depth > self.depth {
            self.depth = depth;
            self.names.clear();
        }
        for name in names {
            if self.names.contains(name) {
                continue;
            }
            if self.names.len() >= MAX_NAMES {
                if self.names.last().is_some_and(|last| name >= last.as_str()) {
                    continue;
                }
                self.names.pop_last();
            }
            self.names.insert(name.to_owned());
        }
    }
}

/// Adds `other` into `total`, entry by entry; either may still be empty (nothing observed).
pub fn merge_all(total: &mut Vec<Presence>, other: &[Presence]) {
    if total.len() < other.len() {
        total.resize(other.len(), Presence::default());
    }
    for (t, o) in total.iter_mut().zip(other) {
        t.merge(o);
    }
}

fn parse_pointer(pointer: &str, wildcards: bool) -> Vec<Segment> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .split('/')
        .skip(1)
        .map(|s| match s {
            "*" if wildcards => Segment::Any,
            _ => Segment::Name(s.replace("~1", "/").replace("~0", "~")),
        })
        .collect()
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// A TOML table name part: bare when TOML allows it, else quoted.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

impl Coverage {
    /// The probes of `spec`, in spec order: `[events]` pointer, time and label, `[fields]`,
    /// `label`, `[paths]`, `[lists]` pointer and key.
    pub fn new(spec: &Spec) -> Coverage {
        let mut probes = Vec::new();
        let mut probe = |spec: String, value: &str, unit: Unit, target: Target| {
            probes.push(Probe {
                spec,
                value: value.to_owned(),
                unit,
                target,
            });
        };
        if let Some(events) = &spec.events {
            let segments = parse_pointer(&events.pointer, false);
            let array = true;
            let target = Target::Pointer { segments, array };
            probe(
                "[events] pointer".into(),
                &events.pointer,
                Unit::Outputs,
                target,
            );
            for (key, name) in [("time", &events.time), ("label", &events.label)] {
                let target = Target::EventMember(name.clone());
                probe(format!("[events] {key}"), name, Unit::Events, target);
            }
            for name in spec.fields.keys() {
                let target = Target::EventMember(name.clone());
                let key = format!("[fields.{}]", toml_key(name));
                probe(key, name, Unit::Events, target);
            }
        }
        if let Some(pointer) = &spec.label {
            let segments = parse_pointer(pointer, false);
            let array = false;
            let target = Target::Pointer { segments, array };
            probe("label".into(), pointer, Unit::Outputs, target);
        }
        for pattern in spec.paths.keys() {
            let segments = parse_pointer(pattern, true);
            let array = false;
            let target = Target::Pointer { segments, array };
            probe(
                format!("[paths.{pattern:?}]"),
                pattern,
                Unit::Outputs,
                target,
            );
        }
        for (name, list) in &spec.lists {
            let segments = parse_pointer(&list.pointer, false);
            let table = format!("[lists.{}]", toml_key(name));
            let target = Target::Pointer {
                segments,
                array: true,
            };
            probe(
                format!("{table} pointer"),
                &list.pointer,
                Unit::Outputs,
                target,
            );
            if let Some(key) = &list.key {
                let target = Target::ElementMember {
                    list: list.pointer.clone(),
                    key: key.clone(),
                };
                probe(format!("{table} key"), key, Unit::ListElements, target);
            }
        }
        Coverage {
            probes,
            events: spec.events.as_ref().map(|e| e.pointer.clone()),
        }
    }

    /// The probes, in the order of their [`Presence`]s.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// Counts which probes' values the expected output `expected` has, into `presence` (one
    /// per probe; an empty vector is sized first).
    pub fn observe(&self, expected: &Value, presence: &mut Vec<Presence>) {
        if presence.len() < self.probes.len() {
            presence.resize(self.probes.len(), Presence::default());
        }
        let events = self
            .events
            .as_deref()
            .and_then(|p| expected.pointer(p))
            .and_then(Value::as_array);
        for (probe, into) in self.probes.iter().zip(presence.iter_mut()) {
            match &probe.target {
                Target::Pointer { segments, array } => {
                    observe_pointer(expected, segments, *array, into);
                }
                Target::EventMember(name) => {
                    observe_members(events.map_or(&[][..], Vec::as_slice), name, into);
                }
                Target::ElementMember { list, key } => {
                    let items = expected.pointer(list).and_then(Value::as_array);
                    observe_members(items.map_or(&[][..], Vec::as_slice), key, into);
                }
            }
        }
    }

    /// The rows of `spec_coverage.values`, from the summed presence of a run.
    pub fn rows(&self, presence: &[Presence]) -> Vec<CoverageRow> {
        self.probes
            .iter()
            .enumerate()
            .map(|(i, probe)| {
                let p = presence.get(i).cloned().unwrap_or_default();
                CoverageRow {
                    spec: probe.spec.clone(),
                    value: probe.value.clone(),
                    unit: probe.unit,
                    checked: p.checked,
                    lacking: p.lacking,
                    outputs_lacking: p.outputs_lacking,
                }
            })
            .collect()
    }

    /// One message per probe whose value had the chance to occur and never did, naming the
    /// closest name present; empty when every value occurs somewhere (or could not).
    pub fn check(&self, presence: &[Presence]) -> Vec<String> {
        self.probes
            .iter()
            .zip(presence)
            .filter(|(_, p)| p.checked > 0 && p.lacking == p.checked)
            .map(|(probe, p)| probe.matches_nothing(p))
            .collect()
    }
}

/// The deepest place a pointer's walk stopped in one output.
struct Miss<'a> {
    depth: usize,
    at: &'a Value,
}

fn observe_pointer(expected: &Value, segments: &[Segment], array: bool, into: &mut Presence) {
    let mut miss = None;
    if walk(expected, segments, 0, array, &mut miss) {
        into.checked += 1;
        return;
    }
    // No miss: every branch ended under a `*` over an empty container, where the value had
    // no chance to be.
    let Some(Miss { depth, at }) = miss else {
        return;
    };
    into.checked += 1;
    into.lacking += 1;
    into.outputs_lacking += 1;
    if let Value::Object(map) = at {
        if depth < segments.len() {
            into.note_names(depth, map.keys().map(String::as_str));
        } else {
            // The pointer reached an object where an array was wanted: the arrays in it.
            let arrays = map.iter().filter(|(_, v)| v.is_array());
            into.note_names(depth, arrays.map(|(k, _)| k.as_str()));
        }
    } else {
        into.note_names(depth, std::iter::empty());
    }
}

/// Whether `value` has something at `segments[depth..]` (an array, if `array`); records the
/// deepest place a branch stopped.
fn walk<'a>(
    value: &'a Value,
    segments: &[Segment],
    depth: usize,
    array: bool,
    miss: &mut Option<Miss<'a>>,
) -> bool {
    let mut stop = |at: &'a Value| {
        if miss.as_ref().is_none_or(|m| depth > m.depth) {
            *miss = Some(Miss { depth, at });
        }
        false
    };
    let Some(segment) = segments.get(depth) else {
        return !array || value.is_array() || stop(value);
    };
    let next = depth + 1;
    match (value, segment) {
        (Value::Array(items), Segment::Any) => {
            items.iter().any(|v| walk(v, segments, next, array, miss))
        }
        (Value::Object(map), Segment::Any) => {
            map.values().any(|v| walk(v, segments, next, array, miss))
        }
        (Value::Object(map), Segment::Name(name)) => match map.get(name) {
            Some(v) => walk(v, segments, next, array, miss),
            None => stop(value),
        },
        (Value::Array(items), Segment::Name(name)) => {
            match name.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => walk(v, segments, next, array, miss),
                None => stop(value),
            }
        }
        _ => stop(value),
    }
}

fn observe_members(items: &[Value], name: &str, into: &mut Presence) {
    let mut lacking = 0;
    for item in items {
        match item.as_object() {
            Some(map) if map.contains_key(name) => {}
            Some(map) => {
                lacking += 1;
                into.note_names(0, map.keys().map(String::as_str));
            }
            None => lacking += 1,
        }
    }
    into.checked += items.len();
    into.lacking += lacking;
    into.outputs_lacking += usize::from(lacking > 0);
}

/// `(did you mean `x`?)`, or the names present, or nothing.
fn hint(suggestion: Option<String>, present: &[String], more: bool) -> String {
    if let Some(s) = suggestion {
        return format!(" (did you mean `{}`?)", crate::quote::plain(&s));
    }
    if present.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = present
        .iter()
        .take(LISTED)
        .map(|n| format!("`{}`", crate::quote::plain(n)))
        .collect();
    let etc = if more || present.len() > LISTED {
        ", …"
    } else {
        ""
    };
    format!(" (present instead: {}{etc})", listed.join(", "))
}

impl Probe {
    /// How the value is named in messages: the table for `[fields]` and `[paths]`, whose
    /// name is the value, else `key = "value"`.
    fn label(&self) -> String {
        label(&self.spec, &self.value)
    }

    fn matches_nothing(&self, p: &Presence) -> String {
        let more = p.names.len() >= MAX_NAMES;
        let (what, hint) = match &self.target {
            Target::EventMember(name) | Target::ElementMember { key: name, .. } => {
                let present: Vec<String> = p.names.iter().cloned().collect();
                let suggestion = closest(name, p.names.iter().map(String::as_str));
                (
                    format!("a member {}", crate::quote::quoted(name)),
                    hint(suggestion.map(str::to_owned), &present, more),
                )
            }
            Target::Pointer { segments, array } => {
                let raw: Vec<String> = self.value.split('/').skip(1).map(str::to_owned).collect();
                let with = |depth: usize, name: &str| -> String {
                    let mut parts = raw[..depth.min(raw.len())].to_vec();
                    parts.push(escape(name));
                    format!("/{}", parts.join("/"))
                };
                let (suggestion, present): (Option<String>, Vec<String>) =
                    match segments.get(p.depth) {
                        Some(Segment::Name(wanted)) => (
                            closest(wanted, p.names.iter().map(String::as_str))
                                .map(|n| with(p.depth, n)),
                            p.names.iter().map(|n| with(p.depth, n)).collect(),
                        ),
                        Some(Segment::Any) => (None, Vec::new()),
                        // Reached, but not an array: an array one level down is the likely
                        // intent when there is only one.
                        None => {
                            let present: Vec<String> =
                                p.names.iter().map(|n| with(p.depth, n)).collect();
                            let only = (present.len() == 1).then(|| present[0].clone());
                            (only, present)
                        }
                    };
                let kind = if *array { "an array" } else { "a value" };
                (
                    format!("{kind} at {}", crate::quote::quoted(&self.value)),
                    hint(suggestion, &present, more),
                )
            }
        };
        format!(
            "{} matches nothing in the expected outputs: none of the {} {} has {what}{hint}",
            self.label(),
            p.checked,
            self.unit.noun()
        )
    }
}

fn label(spec: &str, value: &str) -> String {
    if spec.starts_with("[fields.") || spec.starts_with("[paths.") {
        spec.to_owned()
    } else {
        format!("{spec} = {}", crate::quote::quoted(value))
    }
}

/// One row of `spec_coverage.values` in report.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageRow {
    /// The spec key (`[events] time`, `[fields.player_a]`, `label`, `[paths."/x"]`,
    /// `[lists.items] pointer`, `[lists.items] key`).
    pub spec: String,
    /// Its value: a member name or a JSON Pointer (pattern).
    pub value: String,
    /// What was counted.
    #[serde(rename = "in")]
    pub unit: Unit,
    /// How many outputs, events or list elements could have had the value.
    pub checked: usize,
    /// How many of them did not.
    pub lacking: usize,
    /// How many expected outputs lacked it (in at least one of their events or elements).
    pub outputs_lacking: usize,
}

impl CoverageRow {
    /// The warning for a value some outputs have and others lack.
    pub fn warning(&self) -> Option<String> {
        if self.lacking == 0 || self.lacking >= self.checked {
            return None;
        }
        let label = label(&self.spec, &self.value);
        let (lacking, checked, noun) = (self.lacking, self.checked, self.unit.noun());
        let outputs = match self.unit {
            Unit::Outputs => String::new(),
            _ => format!(" (in {} expected outputs)", self.outputs_lacking),
        };
        Some(format!(
            "{label} is missing from {lacking} of {checked} {noun}{outputs}; there it scores as absent"
        ))
    }
}

/// A declared label no expected output has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnseenLabel {
    /// The label, as declared in `labels`.
    pub label: String,
    /// The closest label the expected outputs have, if one is close.
    pub did_you_mean: Option<String>,
}

impl UnseenLabel {
    /// The warning.
    pub fn warning(&self) -> String {
        let hint = self
            .did_you_mean
            .as_ref()
            .map(|s| format!(" (did you mean `{}`?)", crate::quote::plain(s)))
            .unwrap_or_default();
        format!(
            "labels: {} never occurs in the expected outputs{hint}",
            crate::quote::quoted(&self.label)
        )
    }
}

/// The declared labels that no expected output has, each with the closest that some has.
/// `expected` lists each label with how often the expected outputs have it; when they have
/// none at all, no label had the chance to occur and none is reported.
pub fn unseen_labels(declared: &[String], expected: &[(&str, usize)]) -> Vec<UnseenLabel> {
    let present: Vec<&str> = expected
        .iter()
        .filter(|(l, n)| *n > 0 && *l != crate::events::UNLABELLED)
        .map(|(l, _)| *l)
        .collect();
    if present.is_empty() {
        return Vec::new();
    }
    declared
        .iter()
        .filter(|l| !present.contains(&l.as_str()))
        .map(|l| UnseenLabel {
            label: l.clone(),
            did_you_mean: closest(l, present.iter().copied()).map(str::to_owned),
        })
        .collect()
}

/// `spec_coverage` in report.json: how often each spec value occurs in the expected outputs,
/// and the declared labels that never do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpecCoverage {
    /// One row per value naming a pointer or a member, in spec order.
    pub values: Vec<CoverageRow>,
    /// Declared labels the expected outputs never have.
    pub labels_never_expected: Vec<UnseenLabel>,
}

impl SpecCoverage {
    /// The warnings: values some outputs lack, then labels none has.
    pub fn warnings(&self) -> Vec<String> {
        self.values
            .iter()
            .filter_map(CoverageRow::warning)
            .chain(self.labels_never_expected.iter().map(UnseenLabel::warning))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn spec(text: &str) -> Spec {
        crate::spec::parse(Path::new("eval.toml"), text).unwrap()
    }

    fn run(spec_text: &str, outputs: &[Value]) -> (Coverage, Vec<Presence>) {
        let coverage = Coverage::new(&spec(spec_text));
        let mut presence = Vec::new();
        for output in outputs {
            coverage.observe(output, &mut presence);
        }
        (coverage, presence)
    }

    const EVENTS: &str = "[events]\ntime = \"timestamp\"\nlabel = \"classification\"\n";

    #[test]
    fn a_member_no_event_has_is_named_with_the_closest_present() {
        let outputs = [
            json!([{"timestamp_seconds": 1, "classification": "A", "player_a": "x"}]),
            json!([]),
            json!([{"timestamp_seconds": 2, "classification": "B"}]),
        ];
        let (coverage, presence) = run(
            &format!("{EVENTS}[fields.playr_a]\ncompare = \"exact\"\n"),
            &outputs,
        );
        let messages = coverage.check(&presence);
        assert_eq!(
            messages,
            [
                "[events] time = \"timestamp\" matches nothing in the expected outputs: none of the 2 expected events has a member \"timestamp\" (did you mean `timestamp_seconds`?)",
                "[fields.playr_a] matches nothing in the expected outputs: none of the 2 expected events has a member \"playr_a\" (did you mean `player_a`?)",
            ]
        );
        let rows = coverage.rows(&presence);
        assert_eq!(rows[2].spec, "[events] label");
        assert_eq!((rows[2].checked, rows[2].lacking), (2, 0));
        // The empty output had no event to check: no output counts as lacking for it.
        assert_eq!(
            (rows[1].checked, rows[1].lacking, rows[1].outputs_lacking),
            (2, 2, 2)
        );
    }

    #[test]
    fn a_value_some_outputs_lack_is_counted_and_warned_about() {
        let outputs = [
            json!([{"t": 1, "c": "A"}, {"t": 2}, {"t": 3}]),
            json!([{"t": 1, "c": "A"}]),
            json!([{"t": 1}]),
        ];
        let (coverage, presence) = run("[events]\ntime = \"t\"\nlabel = \"c\"\n", &outputs);
        assert!(coverage.check(&presence).is_empty());
        let row = &coverage.rows(&presence)[2];
        assert_eq!((row.checked, row.lacking, row.outputs_lacking), (5, 3, 2));
        assert_eq!(
            row.warning().unwrap(),
            "[events] label = \"c\" is missing from 3 of 5 expected events (in 2 expected outputs); there it scores as absent"
        );
        assert_eq!(coverage.rows(&presence)[1].warning(), None);
    }

    #[test]
    fn pointers_and_patterns() {
        let outputs = [
            json!({"intent": "a", "customer": {"name": "N", "email": "e"}, "items": [{"sku": 1}]}),
            json!({"intent": "b", "customer": {"name": "M"}, "items": []}),
        ];
        let (coverage, presence) = run(
            "label = \"/intnt\"\n[paths.\"/customer/nmae\"]\ncompare = \"text\"\n[paths.\"/customer/email\"]\ncompare = \"exact\"\n[paths.\"/items/*/sku\"]\ncompare = \"exact\"\n[lists.items]\npointer = \"/itms\"\n",
            &outputs,
        );
        assert_eq!(
            coverage.check(&presence),
            [
                "label = \"/intnt\" matches nothing in the expected outputs: none of the 2 expected outputs has a value at \"/intnt\" (did you mean `/intent`?)",
                "[paths.\"/customer/nmae\"] matches nothing in the expected outputs: none of the 2 expected outputs has a value at \"/customer/nmae\" (did you mean `/customer/name`?)",
                "[lists.items] pointer = \"/itms\" matches nothing in the expected outputs: none of the 2 expected outputs has an array at \"/itms\" (did you mean `/items`?)",
            ]
        );
        let rows = coverage.rows(&presence);
        let email = rows.iter().find(|r| r.value == "/customer/email").unwrap();
        assert_eq!((email.checked, email.lacking), (2, 1));
        // An empty array under `*` gives the pattern no chance: one output checked, none lacking.
        let sku = rows.iter().find(|r| r.value == "/items/*/sku").unwrap();
        assert_eq!((sku.checked, sku.lacking), (1, 0));
    }

    #[test]
    fn an_events_pointer_at_an_object_suggests_its_array() {
        let outputs = [json!({"events": [], "game": "g"}), json!({"events": []})];
        let (coverage, presence) = run("[events]\ntime = \"t\"\nlabel = \"c\"\n", &outputs);
        assert_eq!(
            coverage.check(&presence),
            [
                "[events] pointer = \"\" matches nothing in the expected outputs: none of the 2 expected outputs has an array at \"\" (did you mean `/events`?)"
            ]
        );
    }

    #[test]
    fn far_names_are_listed_not_suggested() {
        let (coverage, presence) = run(
            "[events]\ntime = \"zzz\"\nlabel = \"c\"\n",
            &[json!([{"c": "A", "when": 1}])],
        );
        assert_eq!(
            coverage.check(&presence),
            [
                "[events] time = \"zzz\" matches nothing in the expected outputs: none of the 1 expected events has a member \"zzz\" (present instead: `c`, `when`)"
            ]
        );
    }

    #[test]
    fn presence_merges_in_any_grouping() {
        let outputs: Vec<Value> = (0..40)
            .map(|i| {
                let mut event = serde_json::Map::new();
                event.insert(format!("k{i:02}"), json!(1));
                if i % 3 == 0 {
                    event.insert("c".into(), json!("A"));
                }
                json!([event])
            })
            .collect();
        let text = "[events]\ntime = \"t\"\nlabel = \"c\"\n";
        let (_, whole) = run(text, &outputs);
        let (_, a) = run(text, &outputs[..17]);
        let (_, b) = run(text, &outputs[17..]);
        let mut merged = Vec::new();
        merge_all(&mut merged, &b);
        merge_all(&mut merged, &a);
        assert_eq!(merged, whole);
    }

    #[test]
    fn names_are_capped_to_the_smallest() {
        let mut p = Presence::default();
        let names: Vec<String> = (0..100).rev().map(|i| format!("n{i:03}")).collect();
        p.note_names(0, names.iter().map(String::as_str));
        assert_eq!(p.names.len(), MAX_NAMES);
        assert_eq!(p.names.first().unwrap(), "n000");
        assert_eq!(p.names.last().unwrap(), "n063");
    }

    #[test]
    fn declared_labels_never_expected() {
        let declared = vec!["FG_MAKE".to_owned(), "FG_MIS".to_owned(), "DUNK".to_owned()];
        let unseen = unseen_labels(&declared, &[("FG_MAKE", 3), ("FG_MIS", 0), ("FG_MISS", 2)]);
        assert_eq!(
            unseen.iter().map(UnseenLabel::warning).collect::<Vec<_>>(),
            [
                "labels: \"FG_MIS\" never occurs in the expected outputs (did you mean `FG_MISS`?)",
                "labels: \"DUNK\" never occurs in the expected outputs",
            ]
        );
        assert!(unseen_labels(&declared, &[("FG_MAKE", 0)]).is_empty());
    }
}
