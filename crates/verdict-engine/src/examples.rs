//! Renders `examples.jsonl`: one line per example saying what went wrong with it, worst first,
//! so a user can see *why* a number is low. Pure: it lays out what the per-example scores
//! hold.

use serde::Serialize;

use verdict_core::example::ExampleScore;
use verdict_core::outcome::{EventOutcome, LoneEvent};
use verdict_core::resample::NamedCounts;
use verdict_core::validity::Output;
use verdict_core::validity::Tier;
use verdict_input::join::Case;

#[derive(Serialize)]
struct Line<'a> {
    id: Option<&'a str>,
    expected_line: String,
    prediction_line: Option<String>,
    tier: Tier,
    finish_reason: Option<&'a str>,
    failure: Option<&'a str>,
    /// Left out unless the answer came with reasoning, so that runs without any keep their
    /// bytes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reasoning: bool,
    schema_errors: Vec<SchemaError<'a>>,
    /// The pattern whose unfinished match left the output's schema validity unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_undecided: Option<&'a verdict_core::schema::Undecided>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tp: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fp: Option<usize>,
    #[serde(rename = "fn", skip_serializing_if = "Option::is_none")]
    fn_: Option<usize>,
    exact: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missed: Vec<Lone<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    spurious: Vec<Lone<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    confused: Vec<Confused<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_label: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted_label: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    counts: NamedCounts,
}

/// One schema violation of an output, as `schema_errors` lists it.
#[derive(Serialize)]
pub struct SchemaError<'a> {
    path: &'a str,
    keyword: &'a str,
    message: &'a str,
}

/// A missed or spurious event, as `missed` and `spurious` list it.
#[derive(Serialize)]
pub struct Lone<'a> {
    index: usize,
    time: Option<f64>,
    label: &'a str,
}

/// A pair with different labels, as `confused` lists it.
#[derive(Serialize)]
pub struct Confused<'a> {
    expected_index: usize,
    predicted_index: usize,
    time: f64,
    dt: f64,
    expected: &'a str,
    predicted: &'a str,
}

fn seconds(us: i64) -> f64 {
    us as f64 / 1e6
}

/// The missed (or spurious) events of an example, in `examples.jsonl`'s form.
pub fn lone(events: &[LoneEvent]) -> Vec<Lone<'_>> {
    events
        .iter()
        .map(|e| Lone {
            index: e.index,
            time: e.time_us.map(seconds),
            label: &e.label,
        })
        .collect()
}

/// The schema violations of an example's output, in `examples.jsonl`'s form.
pub fn schema_errors(score: &ExampleScore) -> Vec<SchemaError<'_>> {
    score
        .schema
        .iter()
        .flat_map(|checked| checked.violations())
        .map(|v| SchemaError {
            path: &v.path,
            keyword: &v.keyword,
            message: &v.message,
        })
        .collect()
}

/// The pairs of an example whose labels differ, in `examples.jsonl`'s form.
pub fn confused(events: &EventOutcome) -> Vec<Confused<'_>> {
    events
        .pairs
        .iter()
        .filter(|p| !p.same_label())
        .map(|p| Confused {
            expected_index: p.expected_index,
            predicted_index: p.predicted_index,
            time: seconds(p.expected_time_us),
            dt: seconds(p.dt_us),
            expected: &p.expected_label,
            predicted: &p.predicted_label,
        })
        .collect()
}

fn line<'a>(
    case: &'a Case,
    score: &'a ExampleScore,
    cluster: Option<&'a str>,
    counts: &NamedCounts,
) -> Line<'a> {
    let keys = &case.example.keys;
    let prediction = case.prediction.as_ref();
    let events = score.events.as_ref();
    let exact = score.exact();
    Line {
        id: keys.explicit.as_deref().or(keys.content.as_deref()),
        expected_line: verdict_core::files::public_location(&case.example.location),
        prediction_line: prediction.map(|p| verdict_core::files::public_location(&p.location)),
        tier: score.tier,
        finish_reason: score.finish_reason.as_deref(),
        failure: prediction.and_then(|p| match &p.output {
            Output::Failed(reason) => Some(reason.as_str()),
            _ => None,
        }),
        reasoning: score.reasoning,
        schema_errors: schema_errors(score),
        schema_undecided: score.schema.as_ref().and_then(|c| c.undecided()),
        tp: events.map(|e| e.tp()),
        fp: events.map(|e| e.fp()),
        fn_: events.map(|e| e.fn_()),
        exact,
        missed: events.map(|e| lone(&e.missed)).unwrap_or_default(),
        spurious: events.map(|e| lone(&e.spurious)).unwrap_or_default(),
        confused: events.map(confused).unwrap_or_default(),
        expected_label: score.label.as_ref().map(|l| l.expected.as_deref()),
        predicted_label: score.label.as_ref().map(|l| l.predicted.as_deref()),
        cluster,
        counts: counts.clone(),
    }
}

pub use verdict_report::EXAMPLES_JSONL;

/// One example's line of `examples.jsonl` (with its newline), and what orders the file: its
/// event errors (fp + fn) and whether it is exactly right. The file lists examples worst first:
/// most event errors, then not exactly right before exactly right, then the expected file's
/// order. Each line carries the example's `counts` (and `cluster`), so a later run can be
/// compared with this one example by example (`verdict compare`, `--baseline DIR`).
pub fn render_line(
    case: &Case,
    score: &ExampleScore,
    cluster: Option<&str>,
    counts: &NamedCounts,
) -> (String, usize, bool) {
    let l = line(case, score, cluster, counts);
    let errors = l.fp.unwrap_or(0) + l.fn_.unwrap_or(0);
    let mut text = serde_json::to_string(&l).expect("a diagnostics line always serializes");
    text.push('\n');
    (text, errors, l.exact)
}
