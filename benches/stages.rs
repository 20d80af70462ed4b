//! Stage benchmarks of `verdict score` (`cargo bench`), on 2,000 generated basketball clips:
//! reading and recognising input lines, parsing model outputs, schema validation, event
//! matching, ANLS* (plain and typed, with text similarity at every leaf), whole per-example
//! scoring, folding scores into sums, and rendering the reports. Each benchmark handles every
//! example once per iteration, so divan's throughput column reads as examples per second.
//! Whole runs are timed by `scripts/bench.sh`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use verdict_core::accumulate::Accumulator;
use verdict_core::error::Location;
use verdict_core::example::{ExampleScore, Scorer};
use verdict_core::schema::Schema;
use verdict_core::spec::Spec;
use verdict_core::tools::ToolCallForm;
use verdict_core::validity::classify;
use verdict_input::join::Case;
use verdict_input::synth::{SynthConfig, SynthDataset, generate};
use verdict_input::{Example, Prediction, expected, predicted};
use verdict_report::Report;

const CLIPS: usize = 2_000;

struct Fixture {
    data: SynthDataset,
    spec: Spec,
    schema: Schema,
    cases: Vec<Case>,
    scores: Vec<ExampleScore>,
    report: Report,
}

fn location(line: usize) -> Location {
    Location {
        path: "bench.jsonl".into(),
        line,
    }
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let data = generate(&SynthConfig {
        clips: CLIPS,
        seed: 1,
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = verdict_core::spec::load(&root.join("datasets/basketball/eval.toml")).unwrap();
    let schema = Schema::load(spec.schema.as_deref().unwrap()).unwrap();
    let mut by_request: HashMap<String, Prediction> = data
        .predictions
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let p = predicted::read(location(i + 1), line).unwrap();
            (p.keys.content.clone().unwrap(), p)
        })
        .collect();
    let cases: Vec<Case> = data
        .expected
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let example: Example = expected::read(location(i + 1), line).unwrap();
            let prediction = by_request.remove(example.keys.content.as_deref().unwrap());
            Case {
                example,
                prediction,
            }
        })
        .collect();
    let scorer = Scorer::new(&spec, Some(&schema), false);
    let scores = cases.iter().map(|c| score_case(&scorer, c)).collect();
    // A finished report of the same set, for the renderers.
    let dir = tempfile::tempdir().unwrap();
    for (name, lines) in [
        ("expected.jsonl", &data.expected),
        ("predictions.jsonl", &data.predictions),
    ] {
        std::fs::write(dir.path().join(name), lines.join("\n")).unwrap();
    }
    let request = verdict_engine::score::ScoreRequest {
        threads: Some(1),
        bootstrap: Some(0),
        ..verdict_engine::score::ScoreRequest::new(
            root.join("datasets/basketball/eval.toml"),
            dir.path().join("expected.jsonl"),
            vec![dir.path().join("predictions.jsonl")],
        )
    };
    let report = verdict_engine::score::score(&request, &()).unwrap().report;
    Fixture {
        data,
        spec,
        schema,
        cases,
        scores,
        report,
    }
});

fn main() {
    LazyLock::force(&FIXTURE);
    divan::main();
}

fn examples() -> ItemsCount {
    ItemsCount::new(CLIPS)
}

#[divan::bench]
fn read_expected_lines(bencher: Bencher<'_, '_>) {
    let lines = &FIXTURE.data.expected;
    bencher.counter(examples()).bench(|| {
        for (i, line) in lines.iter().enumerate() {
            black_box(expected::read(location(i), line).unwrap());
        }
    });
}

#[divan::bench]
fn read_prediction_lines(bencher: Bencher<'_, '_>) {
    let lines = &FIXTURE.data.predictions;
    bencher.counter(examples()).bench(|| {
        for (i, line) in lines.iter().enumerate() {
            black_box(predicted::read(location(i), line).unwrap());
        }
    });
}

#[divan::bench]
fn parse_outputs(bencher: Bencher<'_, '_>) {
    let cases = &FIXTURE.cases;
    bencher.counter(examples()).bench(|| {
        for case in cases {
            black_box(classify(
                case.prediction.as_ref().map(|p| &p.output),
                ToolCallForm::default(),
            ));
        }
    });
}

#[divan::bench]
fn schema_validate(bencher: Bencher<'_, '_>) {
    let values: Vec<serde_json::Value> = FIXTURE
        .cases
        .iter()
        .filter_map(|c| {
            classify(
                c.prediction.as_ref().map(|p| &p.output),
                ToolCallForm::default(),
            )
            .value
        })
        .collect();
    let schema = &FIXTURE.schema;
    bencher.counter(examples()).bench(|| {
        for value in &values {
            black_box(schema.check(value));
        }
    });
}

#[divan::bench]
fn match_events(bencher: Bencher<'_, '_>) {
    let spec = FIXTURE.spec.events.as_ref().unwrap();
    let fields: Vec<_> = FIXTURE.spec.fields.iter().collect();
    let sweep: Vec<i64> = spec
        .sweep
        .iter()
        .map(|&s| verdict_core::outcome::seconds_to_us(s))
        .collect();
    let pairs: Vec<(&serde_json::Value, Option<serde_json::Value>)> = FIXTURE
        .cases
        .iter()
        .map(|c| {
            let parsed = classify(
                c.prediction.as_ref().map(|p| &p.output),
                ToolCallForm::default(),
            );
            (&c.example.expected, parsed.value)
        })
        .collect();
    bencher.counter(examples()).bench(|| {
        for (expected, predicted) in &pairs {
            black_box(verdict_core::outcome::score_events(
                expected,
                predicted.as_ref(),
                spec,
                &fields,
                &sweep,
                0,
            ));
        }
    });
}

#[divan::bench]
fn anls_star(bencher: Bencher<'_, '_>) {
    let null = serde_json::Value::Null;
    let pairs: Vec<(&serde_json::Value, serde_json::Value)> = FIXTURE
        .cases
        .iter()
        .map(|c| {
            let parsed = classify(
                c.prediction.as_ref().map(|p| &p.output),
                ToolCallForm::default(),
            );
            (&c.example.expected, parsed.value.unwrap_or(null.clone()))
        })
        .collect();
    bencher.counter(examples()).bench(|| {
        for (expected, predicted) in &pairs {
            black_box(verdict_core::anls::anls_scores(
                expected,
                predicted,
                &|_| verdict_core::anls::LeafRule::Similarity,
            ));
        }
    });
}

#[divan::bench]
fn score_examples(bencher: Bencher<'_, '_>) {
    let scorer = Scorer::new(&FIXTURE.spec, Some(&FIXTURE.schema), false);
    bencher.counter(examples()).bench(|| {
        for case in &FIXTURE.cases {
            black_box(score_case(&scorer, case));
        }
    });
}

#[divan::bench]
fn accumulate(bencher: Bencher<'_, '_>) {
    let spec = &FIXTURE.spec;
    bencher.counter(examples()).bench(|| {
        let mut acc = Accumulator::new(spec.paths.len(), spec.lists.len());
        for (ordinal, score) in FIXTURE.scores.iter().enumerate() {
            acc.add(ordinal, score);
        }
        black_box(acc)
    });
}

#[divan::bench]
fn render_examples_jsonl(bencher: Bencher<'_, '_>) {
    let players = verdict_core::resample::player_fields(&FIXTURE.spec);
    bencher.counter(examples()).bench(|| {
        for (case, score) in FIXTURE.cases.iter().zip(&FIXTURE.scores) {
            let counts = verdict_core::resample::NamedCounts::of(score, &players);
            black_box(verdict_engine::examples::render_line(
                case, score, None, &counts,
            ));
        }
    });
}

#[divan::bench]
fn render_reports() -> usize {
    let report = &FIXTURE.report;
    verdict_report::markdown::render(report).len()
        + verdict_report::html::render(report).len()
        + verdict_report::junit::render(report).len()
        + verdict_report::csv::render(report).len()
        + report.to_json().len()
}

fn score_case(scorer: &Scorer<'_>, case: &Case) -> ExampleScore {
    scorer.score(
        &case.example.expected,
        case.prediction.as_ref().map(Prediction::answer),
    )
}
