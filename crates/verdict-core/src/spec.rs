//! The spec file (`eval.toml`): what the outputs look like and how to score them.
//!
//! Loading is strict: an unknown key is an error with a "did you mean" hint, because a typo
//! that silently disables a comparator or a gate would make a report lie. Every key is
//! documented in `docs/spec.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::quote::{list, plain, quoted};
use crate::summary::Task;
use crate::tools::ToolCallForm;

/// A loaded and validated spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The spec file, as given.
    pub path: PathBuf,
    /// The dataset's name: the `name` key, else the name of the spec's directory.
    pub name: String,
    /// The output JSON Schema, resolved against the spec's directory.
    pub schema: Option<PathBuf>,
    /// Known labels, in the order given (more may be seen in the data).
    pub labels: Vec<String>,
    /// Where the events are in an output and how they pair.
    pub events: Option<EventsSpec>,
    /// For single-label tasks: JSON Pointer to the one label of an output.
    pub label: Option<String>,
    /// Per-field comparators, by field name.
    pub fields: BTreeMap<String, FieldSpec>,
    /// Object mode: comparators for JSON Pointer patterns (`*` matches any index or key).
    pub paths: BTreeMap<String, FieldSpec>,
    /// Lists aligned without timestamps.
    pub lists: BTreeMap<String, ListSpec>,
    /// Single-label tasks: the positive class of a binary task.
    pub positive: Option<String>,
    /// Release gates, by metric path.
    pub gates: Vec<GateSpec>,
    /// What of an answer made of tool calls is scored.
    pub tool_calls: ToolCallForm,
}

impl Spec {
    /// What the spec scores, which decides which headline metrics a run has.
    pub fn task(&self) -> Task {
        Task {
            has_schema: self.schema.is_some(),
            events: self.events.is_some(),
            single_label: self.label.is_some(),
            // `[fields]` needs `[events]`, so a player field means an events task.
            has_player: self
                .fields
                .values()
                .any(|f| f.compare == Comparator::PlayerId),
            has_positive: self.positive.is_some(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: Option<String>,
    schema: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    events: Option<EventsSpec>,
    label: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    paths: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    lists: BTreeMap<String, ListSpec>,
    positive: Option<String>,
    #[serde(default)]
    gates: BTreeMap<String, String>,
    #[serde(default)]
    tool_calls: ToolCallForm,
}

/// `[events]`: where the event array is and how a predicted event pairs with an expected one.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSpec {
    /// JSON Pointer to the event array in an output; `""` (the default) is the root.
    #[serde(default)]
    pub pointer: String,
    /// The key of an event's time, in seconds.
    pub time: String,
    /// The key of an event's label.
    pub label: String,
    /// Largest |t_pred − t_exp|, in seconds, at which two events may pair (inclusive).
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// Tolerances, in seconds, at which the tolerance sweep reports F1.
    #[serde(default = "default_sweep")]
    pub sweep: Vec<f64>,
}

fn default_sweep() -> Vec<f64> {
    DEFAULT_SWEEP.to_vec()
}

fn default_tolerance() -> f64 {
    1.0
}

/// How a field of paired events is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// JSON equality, numbers compared numerically.
    Exact,
    /// Strings equal after folding case and white space.
    Text,
    /// Numbers within an absolute `tolerance`.
    Number,
    /// String similarity (`measure`) at or above `threshold`.
    Fuzzy,
    /// Arrays equal as multisets.
    Set,
    /// Player identities (jersey number and team) equal.
    PlayerId,
}

/// The string-similarity measures `fuzzy` can use (all from strsim, in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FuzzyMeasure {
    /// 1 − Levenshtein distance / length of the longer string.
    Levenshtein,
    /// Jaro similarity.
    Jaro,
    /// Jaro–Winkler similarity.
    JaroWinkler,
    /// Sørensen–Dice coefficient over character bigrams.
    SorensenDice,
}

/// `[fields.NAME]`: the comparator for one field of an event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The comparator.
    pub compare: Comparator,
    /// `number` only: the absolute tolerance (default 0).
    pub tolerance: Option<f64>,
    /// `fuzzy` only: the similarity measure (default `jaro_winkler`).
    pub measure: Option<FuzzyMeasure>,
    /// `fuzzy` only: the lowest similarity that counts as equal (default 0.9).
    pub threshold: Option<f64>,
    /// `player_id` only: team aliases, alias → canonical team (`grey = "gray"`).
    #[serde(default)]
    pub team_aliases: BTreeMap<String, String>,
}

impl FieldSpec {
    /// A field compared with `compare` and every option at its default.
    pub fn new(compare: Comparator) -> Self {
        FieldSpec {
            compare,
            tolerance: None,
            measure: None,
            threshold: None,
            team_aliases: BTreeMap::new(),
        }
    }
}

/// A comparison operator of a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GateOp {
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `<`
    #[serde(rename = "<")]
    Lt,
}

impl GateOp {
    /// The operator as written in a gate expression.
    pub fn symbol(self) -> &'static str {
        match self {
            GateOp::Ge => ">=",
            GateOp::Gt => ">",
            GateOp::Le => "<=",
            GateOp::Lt => "<",
        }
    }
}

/// One `[gates]` entry: `metric = ">= 0.80"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateSpec {
    /// Path of the metric in report.json, dotted (`event_f1`, `classes.FG_MAKE.recall`).
    pub metric: String,
    /// The operator.
    pub op: GateOp,
    /// The threshold.
    pub threshold: f64,
}

/// The operators a gate may use, as written.
pub const GATE_OPERATORS: &str = ">=, >, <= or <";

/// Parses a gate expression such as `>= 0.80`. The message of an `Err` says what was wrong
/// with `expr` and, for an operator verdict does not have (`==`, `=`, `=>`), lists those it
/// has.
pub fn parse_gate_expr(expr: &str) -> std::result::Result<(GateOp, f64), String> {
    parse_gate_in(expr.trim(), expr.trim(), "\">= 0.80\"")
}

/// [`parse_gate_expr`] of `expr`, the operator and threshold of the gate `shown`, with messages
/// that name `shown` and give `example` as the way to write it.
pub(crate) fn parse_gate_in(
    expr: &str,
    shown: &str,
    example: &str,
) -> std::result::Result<(GateOp, f64), String> {
    let expr = expr.trim();
    let symbol_len = expr
        .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
        .unwrap_or(expr.len());
    let (symbol, rest) = expr.split_at(symbol_len);
    let op = match symbol {
        ">=" => GateOp::Ge,
        "<=" => GateOp::Le,
        ">" => GateOp::Gt,
        "<" => GateOp::Lt,
        "" => {
            return Err(format!(
                "gate {} must start with {GATE_OPERATORS}, as in {example}",
                quoted(shown)
            ));
        }
        other => {
            return Err(format!(
                "gate {}: `{}` is not a gate operator; use {GATE_OPERATORS}, as in {example}",
                quoted(shown),
                plain(other)
            ));
        }
    };
    let threshold: f64 = rest
        .trim()
        .parse()
        .ok()
        .filter(|t: &f64| t.is_finite())
        .ok_or_else(|| {
            let (shown, rest) = (quoted(shown), quoted(rest.trim()));
            format!("gate {shown}: {rest} is not a number")
        })?;
    Ok((op, threshold))
}

/// Reads and validates a spec file.
pub fn load(path: &Path) -> Result<Spec> {
    parse(path, &read_text(path)?)
}

/// The text of the spec file at `path`.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read spec", e))
}

/// Parses and validates spec text; `path` is used for messages and to resolve the schema.
pub fn parse(path: &Path, text: &str) -> Result<Spec> {
    let spec_error = |line: Option<usize>, message: String| Error::Spec {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw: RawSpec = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_of(text, span.start));
        // A JSON object is never valid TOML: say so rather than leave a TOML parser's puzzle.
        let json = if text.trim_start().starts_with('{') {
            "; the spec looks like JSON, but eval.toml is TOML (key = value lines and [tables], docs/spec.md)"
        } else {
            ""
        };
        spec_error(line, format!("{}{json}", describe_toml_error(&e)))
    })?;

    if let Some(name) = raw.name.as_deref().filter(|n| !is_plain_name(n)) {
        // The name becomes the default out dir `reports/<name>/`: a spec must not be able to
        // point verdict's writes anywhere else.
        return Err(spec_error(
            None,
            format!(
                "name {} must be a plain name, without /, \\, :, control characters, or . and .. on their own: it names the report directory reports/<name>/",
                quoted(name)
            ),
        ));
    }
    if let Some(events) = &raw.events {
        if !events.pointer.is_empty() && !events.pointer.starts_with('/') {
            return Err(spec_error(
                None,
                format!(
                    "[events] pointer {} is not a JSON Pointer: use \"\" for the root or start with \"/\", as in \"/events\"",
                    quoted(&events.pointer)
                ),
            ));
        }
        if !(events.tolerance.is_finite() && events.tolerance >= 0.0) {
            return Err(spec_error(
                None,
                format!(
                    "[events] tolerance must be a number of seconds >= 0, found {}",
                    events.tolerance
                ),
            ));
        }
        let ascending = events.sweep.windows(2).all(|w| w[0] < w[1]);
        if !ascending || events.sweep.iter().any(|t| !(t.is_finite() && *t >= 0.0)) {
            return Err(spec_error(
                None,
                format!(
                    "[events] sweep must list tolerances >= 0 in increasing order, found {:?}",
                    events.sweep
                ),
            ));
        }
    }
    if let Some(pointer) = &raw.label {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(spec_error(
                None,
                format!(
                    "label {} is not a JSON Pointer: start it with \"/\", as in \"/intent\"",
                    quoted(pointer)
                ),
            ));
        }
        if raw.events.is_some() {
            return Err(spec_error(
                None,
                "give either [events] (event outputs) or label (one label per output), not both"
                    .into(),
            ));
        }
    }
    if !raw.fields.is_empty() && raw.events.is_none() {
        return Err(spec_error(
            None,
            "[fields] compare fields of paired events: add an [events] table".into(),
        ));
    }
    for (pattern, field) in &raw.paths {
        if !pattern.is_empty() && !pattern.starts_with('/') {
            return Err(spec_error(
                None,
                format!(
                    "[paths] {} is not a JSON Pointer pattern: start it with \"/\", as in \"/customer/name\" or \"/items/*/sku\"",
                    quoted(pattern)
                ),
            ));
        }
        check_field(pattern, field).map_err(|m| spec_error(None, m))?;
    }
    for (name, list) in &raw.lists {
        if !list.pointer.is_empty() && !list.pointer.starts_with('/') {
            return Err(spec_error(
                None,
                format!(
                    "[lists.{}] pointer {} is not a JSON Pointer",
                    plain(name),
                    quoted(&list.pointer)
                ),
            ));
        }
        if let Some(t) = list.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            return Err(spec_error(
                None,
                format!("[lists.{name}] threshold must be between 0 and 1, found {t}"),
            ));
        }
    }
    if raw.positive.is_some() && raw.label.is_none() {
        return Err(spec_error(
            None,
            "positive names the positive class of a single-label task: add label = \"/pointer\""
                .into(),
        ));
    }
    // A positive class outside the declared set would leave every positive_* metric null
    // without a word.
    if let Some(positive) = &raw.positive
        && !raw.labels.is_empty()
        && !raw.labels.contains(positive)
    {
        let hint = raw
            .labels
            .iter()
            .map(String::as_str)
            .find(|l| l.eq_ignore_ascii_case(positive))
            .or_else(|| closest(positive, raw.labels.iter().map(String::as_str)))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        return Err(spec_error(
            None,
            format!(
                "positive = {} is not one of labels [{}]{hint}",
                quoted(positive),
                list(raw.labels.iter().map(|l| plain(l)))
            ),
        ));
    }
    for (name, field) in &raw.fields {
        check_field(name, field).map_err(|m| spec_error(None, m))?;
    }
    let mut gates = Vec::with_capacity(raw.gates.len());
    for (metric, expr) in &raw.gates {
        let (op, threshold) = parse_gate_expr(expr)
            .and_then(|(op, threshold)| {
                crate::summary::check_threshold(metric, op.symbol(), threshold)
                    .map(|()| (op, threshold))
            })
            .map_err(|m| spec_error(None, format!("[gates] {metric}: {m}")))?;
        gates.push(GateSpec {
            metric: metric.clone(),
            op,
            threshold,
        });
    }

    let base = path.parent().unwrap_or(Path::new(""));
    let name = raw.name.clone().unwrap_or_else(|| {
        let dir = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        std::fs::canonicalize(dir)
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "dataset".into())
    });
    Ok(Spec {
        path: path.to_path_buf(),
        name,
        schema: raw.schema.map(|s| base.join(s)),
        // Cut as the data's labels are, so a long declared label still names its class.
        labels: raw
            .labels
            .into_iter()
            .map(|l| crate::bounded::label(l.into()).into_owned())
            .collect(),
        events: raw.events,
        label: raw.label,
        fields: raw.fields,
        paths: raw.paths,
        lists: raw.lists,
        positive: raw
            .positive
            .map(|p| crate::bounded::label(p.into()).into_owned()),
        gates,
        tool_calls: raw.tool_calls,
    })
}

/// Whether `name` is one ordinary path component on every platform verdict runs on.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', ':'])
        && !name.chars().any(char::is_control)
}

fn check_field(name: &str, field: &FieldSpec) -> std::result::Result<(), String> {
    let misplaced = |key: &str, belongs: &str| {
        Err(format!(
            "[fields.{name}] {key} applies only to compare = \"{belongs}\", not {:?}",
            field.compare.name()
        ))
    };
    if field.tolerance.is_some() && field.compare != Comparator::Number {
        return misplaced("tolerance", "number");
    }
    if (field.measure.is_some() || field.threshold.is_some()) && field.compare != Comparator::Fuzzy
    {
        return misplaced(
            if field.measure.is_some() {
                "measure"
            } else {
                "threshold"
            },
            "fuzzy",
        );
    }
    if !field.team_aliases.is_empty() && field.compare != Comparator::PlayerId {
        return misplaced("team_aliases", "player_id");
    }
    if let Some(t) = field.tolerance.filter(|t| !(t.is_finite() && *t >= 0.0)) {
        return Err(format!("[fields.{name}] tolerance must be >= 0, found {t}"));
    }
    if let Some(t) = field.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
        return Err(format!(
            "[fields.{name}] threshold must be between 0 and 1, found {t}"
        ));
    }
    Ok(())
}

impl Comparator {
    /// The comparator's name as written in the spec.
    pub fn name(self) -> &'static str {
        match self {
            Comparator::Exact => "exact",
            Comparator::Text => "text",
            Comparator::Number => "number",
            Comparator::Fuzzy => "fuzzy",
            Comparator::Set => "set",
            Comparator::PlayerId => "player_id",
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The toml error's message, with a "did you mean" for an unknown key or value.
///
/// serde words these as "unknown field `x`, expected one of `a`, `b`" (or "unknown variant");
/// the backticked names are the key and the candidates.
fn describe_toml_error(error: &toml::de::Error) -> String {
    let message = error.message().trim().to_owned();
    let is_unknown = message.starts_with("unknown field") || message.starts_with("unknown variant");
    if !is_unknown {
        return message;
    }
    let names: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let Some((unknown, candidates)) = names.split_first() else {
        return message;
    };
    match closest(unknown, candidates.iter().copied()) {
        Some(suggestion) => format!("{message} (did you mean `{suggestion}`?)"),
        None => message,
    }
}

/// The candidate closest to `name` by Jaro–Winkler similarity, if one is close enough (0.8)
/// to be a likely intent: for unknown spec keys, and for spec values the data does not have
/// ([`crate::coverage`]). Of equally close candidates, the first in string order.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Spec {
        parse(Path::new("data/eval.toml"), text).unwrap()
    }

    fn parse_err(text: &str) -> String {
        parse(Path::new("data/eval.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn full_spec() {
        let spec = parse_ok(
            r#"
name = "hoops"
schema = "../schemas/events.json"
labels = ["FG_MAKE", "FG_MISS"]
[events]
time = "timestamp_seconds"
label = "classification"
tolerance = 0.5
[fields.player_a]
compare = "player_id"
team_aliases = { grey = "gray" }
[fields.note]
compare = "fuzzy"
measure = "levenshtein"
threshold = 0.8
[gates]
event_f1 = ">= 0.80"
"classes.FG_MAKE.recall" = "> 0.7"
"#,
        );
        assert_eq!(spec.name, "hoops");
        assert_eq!(
            spec.schema,
            Some(PathBuf::from("data/../schemas/events.json"))
        );
        let events = spec.events.unwrap();
        assert_eq!(events.pointer, "");
        assert!((events.tolerance - 0.5).abs() < f64::EPSILON);
        assert_eq!(spec.fields["player_a"].compare, Comparator::PlayerId);
        assert_eq!(spec.fields["note"].measure, Some(FuzzyMeasure::Levenshtein));
        assert_eq!(spec.gates.len(), 2);
        assert_eq!(spec.gates[1].metric, "event_f1");
        assert_eq!(spec.gates[1].op, GateOp::Ge);
    }

    #[test]
    fn unknown_keys_suggest_the_right_one_with_the_line() {
        let err = parse_err("[events]\ntime = \"t\"\nlabel = \"l\"\ntolerence = 0.5\n");
        assert!(
            err.starts_with("data/eval.toml:4: unknown field `tolerence`"),
            "{err}"
        );
        assert!(err.ends_with("(did you mean `tolerance`?)"), "{err}");
        let err = parse_err("shema = \"x.json\"\n");
        assert!(err.ends_with("(did you mean `schema`?)"), "{err}");
        let err = parse_err("[fields.p]\ncompare = \"player\"\n");
        assert!(err.contains("unknown variant `player`"), "{err}");
        assert!(err.ends_with("(did you mean `player_id`?)"), "{err}");
        let err = parse_err("zzz = 1\n");
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn invalid_values_are_explained() {
        assert!(
            parse_err("[events]\ntime=\"t\"\nlabel=\"l\"\ntolerance=-1\n")
                .contains("tolerance must be a number of seconds >= 0")
        );
        assert!(
            parse_err("[events]\npointer=\"events\"\ntime=\"t\"\nlabel=\"l\"\n")
                .contains("is not a JSON Pointer")
        );
        assert!(
            parse_err(
                "[events]\ntime=\"t\"\nlabel=\"l\"\n[fields.x]\ncompare=\"exact\"\ntolerance=1\n"
            )
            .contains("tolerance applies only to compare = \"number\"")
        );
        assert!(
            parse_err("[gates]\nevent_f1 = \"~ 0.8\"\n").contains("must start with >=, >, <= or <")
        );
        assert!(
            parse_err("[gates]\nevent_f1 = \">= high\"\n").contains("\"high\" is not a number")
        );
        assert!(parse_err("[events]\nlabel=\"l\"\n").contains("missing field `time`"));
        assert!(
            parse_err("[events]\ntime=\"t\"\nlabel=\"l\"\nsweep=[1, 0.5]\n")
                .contains("increasing order")
        );
        assert!(parse_err("label = \"intent\"\n").contains("is not a JSON Pointer"));
        assert!(
            parse_err("label = \"/intent\"\n[events]\ntime=\"t\"\nlabel=\"l\"\n")
                .contains("not both")
        );
        assert!(parse_err("[fields.x]\ncompare=\"exact\"\n").contains("add an [events] table"));
    }

    #[test]
    fn object_mode_keys() {
        let spec = parse_ok(
            "label = \"/intent\"\npositive = \"refund\"\n[paths.\"/items/*/sku\"]\ncompare = \"text\"\n[lists.items]\npointer = \"/items\"\nkey = \"sku\"\n",
        );
        assert_eq!(spec.paths["/items/*/sku"].compare, Comparator::Text);
        assert_eq!(spec.lists["items"].key.as_deref(), Some("sku"));
        assert_eq!(spec.positive.as_deref(), Some("refund"));
        assert!(
            parse_err("[paths.\"items\"]\ncompare = \"exact\"\n")
                .contains("is not a JSON Pointer pattern")
        );
        assert!(
            parse_err("[lists.x]\npointer = \"/x\"\nthreshold = 2\n")
                .contains("threshold must be between 0 and 1")
        );
        assert!(parse_err("positive = \"yes\"\n").contains("add label = \"/pointer\""));
        assert!(
            parse_err("label = \"/x\"\nlabels = [\"yes\", \"no\"]\npositive = \"Yes\"\n").contains(
                "positive = \"Yes\" is not one of labels [yes, no] (did you mean `yes`?)"
            )
        );
        assert!(parse_err("[lists.x]\npointr = \"/x\"\n").contains("did you mean `pointer`"));
    }

    #[test]
    fn name_defaults_to_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("hoops-v2");
        std::fs::create_dir(&sub).unwrap();
        let spec = parse(&sub.join("eval.toml"), "").unwrap();
        assert_eq!(spec.name, "hoops-v2");
    }

    #[test]
    fn a_name_cannot_point_the_reports_outside_reports() {
        // TOML values: literal strings keep the backslash, \u0000 is a NUL.
        for name in [
            "'../../etc'",
            "'/tmp/x'",
            "'a/b'",
            "'..'",
            "'.'",
            "''",
            "'c:x'",
            "'a\\b'",
            "\"x\\u0000\"",
        ] {
            let err = parse_err(&format!("name = {name}\n"));
            assert!(err.contains("must be a plain name"), "{name:?}: {err}");
        }
        assert_eq!(parse_ok("name = \"hoops v2.1\"\n").name, "hoops v2.1");
    }

    #[test]
    fn gate_expressions() {
        assert_eq!(parse_gate_expr(">=0.8"), Ok((GateOp::Ge, 0.8)));
        assert_eq!(parse_gate_expr(" < 2 "), Ok((GateOp::Lt, 2.0)));
        assert!(parse_gate_expr(">= NaN").is_err());
    }
}

/// `[lists.NAME]`: a list whose elements are aligned without timestamps.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    /// JSON Pointer to the list in an output.
    pub pointer: String,
    /// The element field that identifies an element (`"sku"`); without it, elements align by
    /// ANLS* similarity.
    pub key: Option<String>,
    /// Lowest ANLS* similarity at which two aligned elements count as a match (default 0.5).
    pub threshold: Option<f64>,
}

/// Default similarity a list pair needs to count as a match.
pub const DEFAULT_LIST_THRESHOLD: f64 = 0.5;

/// The default grid of the tolerance sweep, in seconds.
pub const DEFAULT_SWEEP: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0];
