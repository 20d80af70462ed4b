"""part API: verdict.score / Report / compare / curves / validate against the real CLI.

The CLI's files are the reference: every number the API gives must be the one
``verdict score`` writes for the same inputs. Two CLI runs on the same inputs write
byte-identical report sets (checked in ``test_cli_runs_are_reproducible``), so reports are
compared whole; in-memory rows differ from files only in the names ``run`` records.
"""

from __future__ import annotations

import filecmp
import html.parser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import verdict

# The samples hold failed requests, which verdict.score reports as warnings: expected here,
# and checked by test_warnings_are_the_clis.
pytestmark = pytest.mark.filterwarnings("ignore:verdict.*:UserWarning")

REPO = Path(__file__).resolve().parents[3]
SAMPLES = ("basketball", "tickets")


def cli_path() -> Path:
    return Path(os.environ.get("VERDICT_BIN", REPO / "target" / "debug" / "verdict"))


def cli(*args, check_codes=(0,)) -> subprocess.CompletedProcess:
    """Runs the real verdict binary from the repository root."""
    binary = cli_path()
    if not binary.exists():
        pytest.skip(f"no verdict binary at {binary}: run `cargo build` or set VERDICT_BIN")
    done = subprocess.run(
        [str(binary), *map(str, args)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode in check_codes, done.stderr
    return done


def sample(name: str):
    d = Path("datasets") / name
    return d / "eval.toml", d / "expected.jsonl", d / "predictions.jsonl"


def cli_report(tmp_path: Path, name: str, *extra) -> dict:
    spec, expected, predictions = sample(name)
    out = tmp_path / f"cli-{name}"
    cli("score", "--spec", spec, "--expected", expected, "--predictions", predictions,
        "--out", out, "--quiet", *extra)
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def at_repo(monkeypatch):
    # Relative paths, as report.json records them, mean the same to the CLI and the API.
    monkeypatch.chdir(REPO)


def lines(path: Path):
    return (REPO / path).read_text(encoding="utf-8").splitlines()


def test_cli_runs_are_reproducible(tmp_path):
    spec, expected, predictions = sample("tickets")
    for run in ("a", "b"):
        cli("score", "--spec", spec, "--expected", expected, "--predictions", predictions,
            "--out", tmp_path / run, "--quiet")
    compared = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert compared.left_only == compared.right_only == compared.diff_files == []


# Numbers equal the CLI's


@pytest.mark.parametrize("name", SAMPLES)
def test_score_paths_equals_cli_report(tmp_path, name):
    expected_report = cli_report(tmp_path, name)
    report = verdict.score(*sample(name))
    assert report.to_dict() == expected_report
    assert report.summary == expected_report["summary"]
    assert report.passed is expected_report["passed"] is True
    assert report.gates == expected_report["gates"] == []


@pytest.mark.parametrize("name", SAMPLES)
def test_score_rows_equals_cli_report(tmp_path, name):
    expected_report = cli_report(tmp_path, name)
    spec, expected, predictions = sample(name)
    # Expected rows as dicts, predictions as the files' own lines (JSON strings).
    report = verdict.score(spec, [json.loads(l) for l in lines(expected)], lines(predictions))
    got = report.to_dict()
    assert got["run"]["expected"] == "expected-rows.jsonl"
    assert got["run"]["predictions"] == ["predictions-rows.jsonl"]
    for key in ("expected", "predictions", "expected_sha256"):
        del got["run"][key], expected_report["run"][key]
    # Lines are named in the rows' file as in the CLI's.
    shown = {str(expected): "expected-rows.jsonl", str(predictions): "predictions-rows.jsonl"}
    for worst in expected_report["worst_examples"]:
        for key in ("expected_line", "prediction_line"):
            if worst.get(key):
                path, line = worst[key].rsplit(":", 1)
                worst[key] = f"{shown[path]}:{line}"
    assert got == expected_report

    # The files' own lines are the same bytes: even the expected file's digest is the CLI's.
    both_strings = verdict.score(spec, lines(expected), lines(predictions)).to_dict()
    assert both_strings["run"]["expected_sha256"] == cli_report(tmp_path, name)["run"][
        "expected_sha256"
    ]


def test_rows_keep_their_numbers_when_pretty_printed():
    spec, expected, predictions = sample("tickets")
    pretty = [json.dumps(json.loads(l), indent=2) for l in lines(expected)]
    assert "\n" in pretty[0]
    a = verdict.score(spec, pretty, lines(predictions)).summary
    b = verdict.score(spec, expected, predictions).summary
    assert a == b


def test_a_dataframe_gives_both_sides(tmp_path):
    pandas = pytest.importorskip("pandas")
    # Known answers, worked out by hand: 4 examples, 3 labels right (0.75); the 4th output
    # is not JSON (invalid), so it has no label.
    frame = pandas.DataFrame({
        "id": ["a", "b", "c", "d"],
        "expected": [{"intent": "refund"}, {"intent": "refund"}, {"intent": "billing"},
                     {"intent": "billing"}],
        "output": ['{"intent": "refund"}', {"intent": "refund"}, '{"intent": "billing"}',
                   "not json"],
    })
    spec = {"name": "frame", "label": "/intent", "labels": ["refund", "billing"]}
    report = verdict.score(spec, frame)
    summary = report.summary
    assert summary["examples"] == 4
    assert summary["label_accuracy"] == 0.75
    assert summary["json_valid_strict"] == 0.75
    assert summary["exact_match"] == 0.75
    billing = report.classes.set_index("label").loc["billing"]
    assert (billing["tp"], billing["fn"], billing["recall"]) == (1, 1, 0.5)
    # Or one frame a side.
    apart = verdict.score(spec, frame[["id", "expected"]], frame[["id", "output"]])
    assert apart.to_dict() == report.to_dict()

    # The same rows as files, through the CLI.
    (tmp_path / "eval.toml").write_text(
        'name = "frame"\nlabel = "/intent"\nlabels = ["refund", "billing"]\n'
    )
    with open(tmp_path / "expected.jsonl", "w") as f:
        for i, e in zip(frame["id"], frame["expected"]):
            f.write(json.dumps({"id": i, "expected": e}) + "\n")
    with open(tmp_path / "predictions.jsonl", "w") as f:
        for i, o in zip(frame["id"], frame["output"]):
            f.write(json.dumps({"id": i, "output": o}) + "\n")
    cli("score", tmp_path, "--out", tmp_path / "out", "--quiet")
    from_cli = json.loads((tmp_path / "out" / "report.json").read_text())
    got = report.to_dict()
    for key in ("spec", "expected", "predictions", "expected_sha256"):
        del got["run"][key], from_cli["run"][key]
    assert got == from_cli


def test_a_dataframe_without_its_columns_is_refused():
    pandas = pytest.importorskip("pandas")
    with pytest.raises(verdict.VerdictError, match="has no 'output' column"):
        verdict.score({"label": "/intent"}, pandas.DataFrame({"id": [1], "expected": [{}]}))


# DataFrames

CLASS_COLUMNS = ["label", "support", "predicted", "tp", "fp", "fn", "precision", "recall", "f1"]
EXAMPLE_ORDER = ["id", "expected_line", "prediction_line", "tier", "finish_reason", "failure",
                 "reasoning", "schema_errors", "schema_undecided", "tp", "fp", "fn", "exact",
                 "missed", "spurious", "confused", "expected_label", "predicted_label",
                 "cluster", "counts"]
EXAMPLE_COLUMNS = ["id", "expected_line", "prediction_line", "tier", "finish_reason", "failure",
                   "schema_errors"]


@pytest.mark.parametrize("name", SAMPLES)
def test_dataframes_have_the_documented_columns(tmp_path, name):
    pytest.importorskip("pandas")
    report = verdict.score(*sample(name))
    data = report.to_dict()

    classes = report.classes
    assert list(classes.columns) == CLASS_COLUMNS
    assert classes.to_dict("records") == data["classes"]

    labels = data["confusion"]["labels"]
    confusion = report.confusion
    assert list(confusion.columns) == ["expected", *labels]
    assert confusion["expected"].tolist() == labels
    assert confusion[labels].values.tolist() == data["confusion"]["matrix"]

    fields = report.fields
    assert list(fields.columns)[:5] == ["field", "compare", "compared", "correct", "accuracy"]
    assert fields["field"].tolist() == list(data["fields"])

    examples = report.examples
    spec, expected, predictions = sample(name)
    out = tmp_path / "cli"
    cli("score", "--spec", spec, "--expected", expected, "--predictions", predictions,
        "--out", out, "--quiet")
    cli_lines = [json.loads(l) for l in (out / "examples.jsonl").read_text().splitlines()]
    assert len(examples) == len(cli_lines) == data["summary"]["examples"]
    # Every key any line has (a line leaves out "missed", "confused", … when it has none).
    keys = {k for l in cli_lines for k in l}
    assert set(examples.columns) == keys
    assert list(examples.columns) == [k for k in EXAMPLE_ORDER if k in keys]
    if "confused" in keys:
        without = [i for i, l in enumerate(cli_lines) if "confused" not in l]
        assert without and all(examples["confused"][i] == [] for i in without)
    assert list(examples.columns)[:7] == EXAMPLE_COLUMNS
    task = ["tp", "fp", "fn", "exact", "missed", "spurious"] if name == "basketball" else [
        "exact", "expected_label", "predicted_label"]
    assert all(c in examples.columns for c in [*task, "counts"])
    assert examples["id"].tolist() == [l["id"] for l in cli_lines]


@pytest.mark.parametrize("name", SAMPLES)
def test_polars_tables_match_pandas(name):
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    report = verdict.score(*sample(name))
    for table in ("classes", "confusion", "fields", "examples"):
        frame = report.to_polars(table)
        assert frame.columns == list(report.to_pandas(table).columns), table
        assert frame.height == len(report.to_pandas(table)), table
    assert report.to_polars("classes").to_dicts() == report.to_dict()["classes"]


def test_a_missing_dataframe_library_names_the_extra(monkeypatch):
    report = verdict.score(*sample("tickets"))
    for module in ("pandas", "polars"):
        monkeypatch.setitem(sys.modules, module, None)
        with pytest.raises(ImportError, match=rf"pip install verdict-score\[{module}\]"):
            report.to_pandas("classes") if module == "pandas" else report.to_polars("classes")


# Errors carry their place


def test_a_bad_prediction_row_is_named_by_its_number():
    spec, expected, predictions = sample("tickets")
    rows = lines(predictions)
    rows[6] = '{"custom_id": "x", "response": '
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score(spec, expected, rows)
    e = caught.value
    assert str(e).startswith("predictions row 7: not valid JSON")
    assert (e.file, e.line, e.exit_code) == ("predictions-rows.jsonl", 7, 2)
    assert "verdict-rows-" not in str(e)


def test_a_duplicate_expected_row_names_both_rows():
    spec, expected, predictions = sample("tickets")
    rows = [json.loads(l) for l in lines(expected)]
    rows[2]["id"] = rows[0]["id"]
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score(spec, rows, predictions)
    e = caught.value
    assert str(e) == f'expected row 3: duplicate key "{rows[0]["id"]}" (first seen at expected row 1)'
    assert (e.file, e.line) == ("expected-rows.jsonl", 3)


def test_a_bad_file_line_is_named_as_the_cli_names_it(tmp_path):
    spec, _, predictions = sample("tickets")
    bad = tmp_path / "expected.jsonl"
    bad.write_text('{"id": "a", "expected": {}}\nnot json\n')
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score(spec, bad, predictions)
    e = caught.value
    assert (e.file, e.line, e.exit_code) == (str(bad), 2, 2)
    from_cli = cli("score", "--spec", spec, "--expected", bad, "--predictions", predictions,
                   "--out", tmp_path / "out", "--quiet", check_codes=(2,))
    assert from_cli.stderr.strip() == f"verdict: error: {e}"


def test_a_dict_spec_error_names_no_generated_line():
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score({"name": "x", "label": 3}, *sample("tickets")[1:])
    e = caught.value
    assert (e.file, e.line) == ("<spec dict>", None)
    assert str(e).startswith("<spec dict>: ")


def test_a_row_that_is_not_json_is_refused_before_scoring():
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score(sample("tickets")[0], [{"id": "a", "expected": float("nan")}], [])
    assert (caught.value.file, caught.value.line) == ("expected-rows.jsonl", 1)


def test_paths_and_rows_do_not_mix():
    spec, expected, predictions = sample("tickets")
    with pytest.raises(verdict.VerdictError, match="either paths or rows"):
        verdict.score(spec, expected, [str(predictions), {"id": "a", "output": "{}"}])


# Gates


def test_a_failed_gate_is_not_an_exception(tmp_path):
    spec, expected, predictions = sample("tickets")
    done = cli("score", "--spec", spec, "--expected", expected, "--predictions", predictions,
               "--gate", "macro_f1>=0.99", "--gate", "exact_match>=0.5",
               "--out", tmp_path / "cli", "--quiet", check_codes=(1,))
    assert "gate failed" in done.stderr
    from_cli = json.loads((tmp_path / "cli" / "report.json").read_text())
    report = verdict.score(spec, expected, predictions,
                           gates=["macro_f1>=0.99", "exact_match>=0.5"])
    assert report.passed is False
    assert report.gates == from_cli["gates"]
    assert [(g["metric"], g["op"], g["threshold"], g["passed"]) for g in report.gates] == [
        ("macro_f1", ">=", 0.99, False), ("exact_match", ">=", 0.5, True)]
    assert report.to_dict() == from_cli


def test_a_gate_that_does_not_parse_is_a_usage_error():
    with pytest.raises(verdict.VerdictError, match=r"^gates\[0\]: ") as caught:
        verdict.score(*sample("tickets"), gates="macro_f1")
    assert caught.value.exit_code == 2


# Files


@pytest.mark.parametrize("name", SAMPLES)
def test_write_and_out_give_the_cli_files(tmp_path, name):
    spec, expected, predictions = sample(name)
    cli("score", "--spec", spec, "--expected", expected, "--predictions", predictions,
        "--out", tmp_path / "cli", "--quiet")
    report = verdict.score(spec, expected, predictions, out=tmp_path / "out")
    assert report.write(tmp_path / "written") == tmp_path / "written" / "report.json"
    names = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert ".verdict-inputs" in names and "report.json" in names
    for other in ("out", "written"):
        assert sorted(p.name for p in (tmp_path / other).iterdir()) == names
        _, mismatch, errors = filecmp.cmpfiles(tmp_path / "cli", tmp_path / other, names,
                                               shallow=False)
        assert (mismatch, errors) == ([], []), other


def test_write_refuses_the_baseline_directory(tmp_path):
    spec, expected, predictions = sample("tickets")
    verdict.score(spec, expected, predictions, out=tmp_path / "base")
    report = verdict.score(spec, expected, predictions, baseline=tmp_path / "base")
    with pytest.raises(verdict.VerdictError) as caught:
        report.write(tmp_path / "base")
    assert caught.value.exit_code == 2


# HTML


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.opened, self.closed, self.iframes = [], [], []

    def handle_starttag(self, tag, attrs):
        self.opened.append(tag)
        if tag == "iframe":
            self.iframes.append(dict(attrs))

    def handle_endtag(self, tag):
        self.closed.append(tag)


def test_repr_html_isolates_the_report_in_an_iframe():
    report = verdict.score(*sample("tickets"))
    shown = report._repr_html_()
    tags = _Tags()
    tags.feed(shown)
    tags.close()
    # One element, closed, and nothing of the report leaks out of its attribute.
    assert (tags.opened, tags.closed) == (["iframe"], ["iframe"])
    srcdoc = tags.iframes[0]["srcdoc"]
    assert srcdoc == report.html()
    assert srcdoc.lstrip().lower().startswith("<!doctype html")
    summary = report.summary
    assert f"{summary['macro_f1']:.3f}" in srcdoc
    assert str(summary["examples"]) in srcdoc
    assert "sandbox" in tags.iframes[0]


def test_repr_html_escapes_the_data():
    # A label that closes the attribute and the frame if left unescaped.
    hostile = 'x"></iframe><script>alert(1)</script>'
    report = verdict.score(
        {"name": "hostile", "label": "/intent"},
        [{"id": "a", "expected": {"intent": hostile}}],
        [{"id": "a", "output": {"intent": hostile}}],
    )
    tags = _Tags()
    tags.feed(report._repr_html_())
    tags.close()
    assert tags.opened == ["iframe"]
    assert tags.iframes[0]["srcdoc"] == report.html()


# compare, curves, validate


def test_compare_returns_compare_json(tmp_path):
    d = Path("tests/fixtures/compare")
    runs = []
    for model in ("model-a", "model-b"):
        out = tmp_path / model
        cli("score", "--spec", d / "eval.toml", "--expected", d / "expected.jsonl",
            "--predictions", d / f"{model}.jsonl", "--out", out, "--quiet")
        runs.append(out)
    cli("compare", *runs, "--out", tmp_path / "cmp", "--quiet")
    from_cli = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert verdict.compare(*runs) == from_cli
    assert verdict.compare(runs, out=tmp_path / "api") == from_cli
    assert filecmp.cmp(tmp_path / "cmp" / "compare.json", tmp_path / "api" / "compare.json",
                       shallow=False)


def test_compare_a_leaderboard_of_predictions(tmp_path):
    d = Path("tests/fixtures/compare")
    models = [d / f"model-{m}.jsonl" for m in "abc"]
    cli("compare", *models, "--spec", d / "eval.toml", "--expected", d / "expected.jsonl",
        "--out", tmp_path / "cmp", "--quiet")
    from_cli = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    got = verdict.compare(*models, spec=d / "eval.toml", expected=d / "expected.jsonl")
    assert got == from_cli
    assert got["kind"] == "leaderboard"


def test_compare_needs_two_runs():
    with pytest.raises(verdict.VerdictError, match="at least two runs"):
        verdict.compare("reports/x")


def test_curves_returns_curves_json(tmp_path):
    trainer = Path("tests/fixtures/curves/trainer")
    cli("curves", trainer, "--out", tmp_path / "cli", "--quiet")
    from_cli = json.loads((tmp_path / "cli" / "curves.json").read_text())
    got = verdict.curves(trainer)
    assert got == from_cli
    assert got["runs"][0]["format"] == "hf-trainer-state"
    assert verdict.curves([trainer], out=tmp_path / "api") == from_cli
    assert sorted(p.name for p in (tmp_path / "api").iterdir()) == sorted(
        p.name for p in (tmp_path / "cli").iterdir())


def test_curves_of_a_missing_file_names_it():
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.curves("tests/fixtures/curves/nope.csv")
    assert caught.value.file == "tests/fixtures/curves/nope.csv"


@pytest.mark.parametrize("keyword, message", [
    ({"patience": -1}, "patience: -1 is not a count (0 or more)"),
    ({"deployable_last": -2}, "deployable_last: -2 is not a count (0 or more)"),
])
def test_curves_refuses_a_negative_count_by_its_name(keyword, message):
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.curves("tests/fixtures/curves/trainer", **keyword)
    assert str(caught.value) == message


def test_validate_returns_validation_json(tmp_path):
    _, _, predictions = sample("tickets")
    schema = Path("schemas/tickets.schema.json")
    cli("validate", predictions, "--schema", schema, "--out", tmp_path / "cli", "--quiet")
    from_cli = json.loads((tmp_path / "cli" / "validation.json").read_text())
    assert verdict.validate(predictions, schema=schema) == from_cli
    from_rows = verdict.validate(lines(predictions), schema=schema)
    assert from_rows["run"]["files"] == ["outputs-rows.jsonl"]
    del from_rows["run"]["files"], from_cli["run"]["files"]
    assert from_rows == from_cli


def test_validate_names_a_bad_row():
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.validate(['{"id": "a", "output": "{}"}', '{"id": '])
    assert str(caught.value).startswith("outputs row 2: ")
    assert (caught.value.file, caught.value.line) == ("outputs-rows.jsonl", 2)


def test_a_dict_spec_scores_as_its_file(tmp_path):
    # datasets/tickets/eval.toml as a dict; its schema path is read from the working directory.
    spec = {
        "name": "tickets",
        "schema": "schemas/tickets.schema.json",
        "label": "/intent",
        "labels": ["refund", "shipping", "billing", "account", "other"],
        "paths": {
            "/priority": {"compare": "exact"},
            "/customer/name": {"compare": "text"},
            "/customer/email": {"compare": "exact"},
        },
        "lists": {"entities": {"pointer": "/entities"}},
    }
    _, expected, predictions = sample("tickets")
    got = verdict.score(spec, expected, predictions).to_dict()
    from_cli = cli_report(tmp_path, "tickets")
    assert got["run"]["spec"] == "<spec dict>"
    assert got["schema"]["file"] == "schemas/tickets.schema.json"
    # The file's schema path is datasets/tickets/../../schemas/…: the same file, named from
    # the spec's directory.
    del got["run"]["spec"], from_cli["run"]["spec"], got["schema"]["file"], from_cli["schema"]["file"]
    assert got == from_cli


def test_the_walk_through_frame():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({
        "id": ["a", "b"],
        "expected": [{"intent": "refund"}, {"intent": "billing"}],
        "output": ['{"intent": "refund"}', "Sorry, I cannot help with that."],
    })
    report = verdict.score(
        {"name": "demo", "label": "/intent", "labels": ["refund", "billing"]}, frame
    )
    assert report.summary["label_accuracy"] == 0.5
    assert report.examples.set_index("id").loc["b", "tier"] == "invalid"
    assert list(report.fields.columns) == [
        "field", "compare", "compared", "correct", "accuracy", "one_sided"]


@pytest.mark.parametrize("row, message", [
    ("", "expected row 2: is empty; expected a JSON object"),
    (7, "expected row 2: expected a dict or a JSON string, got int"),
])
def test_a_row_of_the_wrong_kind_is_named(row, message):
    rows = [{"id": "a", "expected": {}}, row]
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score({"label": "/intent"}, rows, [{"id": "a", "output": "{}"}])
    assert str(caught.value) == message
    assert (caught.value.file, caught.value.line) == ("expected-rows.jsonl", 2)


@pytest.mark.parametrize("keyword, message", [
    ({"threads": 0}, "threads: 0 is not in 1..=256"),
    ({"join": "rows"}, 'join: "rows": expected "key" or "line"'),
    ({"examples": "some"}, 'examples: "some": expected "all", "errors" or "none"'),
    ({"max_drop": "0.1"}, "max_drop: needs baseline"),
    # A negative number is refused by its name too, not as an OverflowError.
    ({"threads": -1}, "threads: -1 is not in 1..=256"),
    ({"bootstrap": -1}, "bootstrap: -1 is not in 0..=100000"),
    ({"max_line_bytes": -1}, "max_line_bytes: -1 is not in 1024..=4294967295"),
    ({"seed": -1}, "seed: -1 is not in 0..=18446744073709551615"),
])
def test_a_keyword_the_flag_would_refuse_is_named(keyword, message):
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score(*sample("tickets"), **keyword)
    assert str(caught.value) == message


@pytest.mark.parametrize("call", [
    lambda spec: verdict.score(spec, *sample("tickets")[1:]),
    lambda spec: verdict.compare("a", "b", spec=spec, expected=sample("tickets")[1]),
], ids=["score", "compare"])
def test_a_spec_of_the_wrong_type_is_named(call):
    # errors.md's message, as verdict.Scorer gives it: a VerdictError, not os.fspath's TypeError.
    with pytest.raises(verdict.VerdictError) as caught:
        call(7)
    assert str(caught.value) == "spec: expected a path to an eval.toml or a dict of its keys, got int"
    assert (caught.value.file, caught.value.line, caught.value.exit_code) == (None, None, 2)


def test_a_dict_spec_that_cannot_be_read_carries_its_place():
    # A None value has no TOML form: refused before the spec rules, named as a dict's errors are.
    for call in (lambda: verdict.score({"name": None}, *sample("tickets")[1:]),
                 lambda: verdict.Scorer({"name": None})):
        with pytest.raises(verdict.VerdictError) as caught:
            call()
        assert str(caught.value).startswith("<spec dict>: ")
        assert (caught.value.file, caught.value.line, caught.value.exit_code) == ("<spec dict>", None, 2)
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.Scorer(7)
    assert caught.value.exit_code == 2


def test_a_blank_prediction_row_is_named_not_taken_for_a_path():
    # A blank string is a row (an empty one), as in expected rows: not a path mixed with rows.
    rows = ['{"id": "a", "output": "{}"}', "", '{"id": "b", "output": "{}"}']
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score({"label": "/intent"}, [{"id": "a", "expected": {"intent": "x"}}], rows)
    assert str(caught.value) == "predictions row 2: is empty; expected a JSON object"
    assert (caught.value.file, caught.value.line) == ("predictions-rows.jsonl", 2)


@pytest.mark.parametrize("role", ["expected", "predictions"])
def test_an_empty_list_is_named_by_its_argument(role):
    arguments = {"expected": [{"id": "a", "expected": {"intent": "x"}}],
                 "predictions": [{"id": "a", "output": "{}"}], role: []}
    with pytest.raises(verdict.VerdictError) as caught:
        verdict.score({"label": "/intent"}, **arguments)
    assert str(caught.value) == f"{role}: an empty list; expected at least one path or row"
    assert (caught.value.file, caught.value.line, caught.value.exit_code) == (None, None, 2)


def test_warnings_are_the_clis(tmp_path):
    spec, expected, predictions = sample("basketball")
    done = cli("score", "--spec", spec, "--expected", expected, "--predictions", predictions,
               "--out", tmp_path / "cli", "--quiet")
    printed = [l.removeprefix("verdict: warning: ") for l in done.stderr.splitlines()]
    with pytest.warns(UserWarning) as caught:
        report = verdict.score(spec, expected, predictions)
    assert report.warnings == printed
    assert [str(w.message) for w in caught] == [f"verdict: {l}" for l in printed]
    with pytest.warns(UserWarning):
        rows = verdict.score(spec, lines(expected), lines(predictions))
    assert rows.warnings[0].startswith("2 prediction line(s) answer no expected example")
    assert rows.warnings[0].endswith("(first: predictions row 61)")


def test_rows_leave_no_scratch_file(tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spec, expected, predictions = sample("tickets")
    report = verdict.score(spec, lines(expected), lines(predictions))
    assert list(tmp_path.iterdir()) == []
    assert len(report.examples) == 240


def test_predictions_as_a_glob_and_a_list_as_the_cli_takes_them(tmp_path):
    spec, expected, _ = sample("tickets")
    glob = "datasets/tickets/predict*.jsonl"
    cli("score", "--spec", spec, "--expected", expected, "--predictions", glob,
        "--out", tmp_path / "cli", "--quiet")
    from_cli = json.loads((tmp_path / "cli" / "report.json").read_text())
    assert from_cli["run"]["predictions"] == [glob]
    assert verdict.score(spec, expected, glob).to_dict() == from_cli
    assert verdict.score(spec, expected, [Path(glob)]).to_dict() == from_cli
