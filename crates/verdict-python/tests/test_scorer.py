"""part Scorer: ``verdict.Scorer`` against the CLI's own per-example output.

Every example of both bundled samples is scored with ``score_one`` and ``score_many`` and
compared with the line ``verdict score`` writes for it in examples.jsonl. The CLI is taken
from ``VERDICT_BIN`` (default ``<repo>/target/debug/verdict``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import verdict

REPO = Path(__file__).resolve().parents[3]
VERDICT_BIN = Path(os.environ.get("VERDICT_BIN", REPO / "target" / "debug" / "verdict"))
SAMPLES = ["basketball", "tickets"]

needs_cli = pytest.mark.skipif(
    not VERDICT_BIN.is_file(),
    reason=f"the verdict CLI is not built at {VERDICT_BIN} (cargo build, or set VERDICT_BIN)",
)


def _line(location: str) -> dict:
    """The JSON line an examples.jsonl location (``path:line``, relative to the repo) names."""
    path, number = location.rsplit(":", 1)
    with open(REPO / path, encoding="utf-8") as f:
        for i, text in enumerate(f, 1):
            if i == int(number):
                return json.loads(text)
    raise AssertionError(f"{location}: no such line")


def _expected(line: dict):
    """The expected output of a sample's test-set line (Gemini tuning or OpenAI chat shape)."""
    if "contents" in line:
        turn = [t for t in line["contents"] if t.get("role") == "model"][-1]
        return json.loads("".join(p.get("text", "") for p in turn["parts"]))
    message = [m for m in line["messages"] if m["role"] == "assistant"][-1]
    return json.loads(message["content"])


def _output(line: dict):
    """The model's text in a sample's prediction line (Vertex AI or OpenAI Batch output)."""
    if "custom_id" in line:
        return line["response"]["body"]["choices"][0]["message"]["content"]
    candidate = line["response"]["candidates"][0]
    parts = candidate.get("content", {}).get("parts", [])
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


def _cli_examples(sample: str, tmp_path: Path) -> list:
    out = tmp_path / sample
    subprocess.run(
        # A relative dataset path, so that examples.jsonl names lines relative to the repo.
        [str(VERDICT_BIN), "score", f"datasets/{sample}", "--out", str(out), "--bootstrap", "0", "-q"],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    with open(out / "examples.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _case(example: dict):
    """An examples.jsonl line's expected value and output as a trainer would hand them over."""
    expected = _expected(_line(example["expected_line"]))
    if example["prediction_line"] is None or example["tier"] == "failed":
        # No prediction, or a failed request: no text at all.
        return expected, None
    return expected, _output(_line(example["prediction_line"]))


# The keys score_one shares with examples.jsonl, and their value where examples.jsonl leaves
# the key out.
SHARED = {
    "tier": None,
    "reasoning": False,
    "schema_errors": None,
    "schema_undecided": None,
    "tp": None,
    "fp": None,
    "fn": None,
    "missed": [],
    "spurious": [],
    "confused": [],
    "expected_label": None,
    "predicted_label": None,
    "exact": None,
    "counts": None,
}


def _assert_agrees(score: dict, example: dict) -> None:
    for key, absent in SHARED.items():
        if key not in score:
            assert key not in example, f"{example['id']}: examples.jsonl has {key}, score_one not"
            continue
        want = example.get(key, absent)
        got = score[key]
        if key == "tier" and want == "failed":
            # A failed request has no text: the scorer sees no output, which scores alike.
            want = "missing"
        assert got == want, f"{example['id']}: {key}: score_one {got!r}, examples.jsonl {want!r}"


@needs_cli
@pytest.mark.parametrize("sample", SAMPLES)
def test_scorer_score_one_and_score_many_agree_with_the_cli_on_every_example(sample, tmp_path):
    examples = _cli_examples(sample, tmp_path)
    scorer = verdict.Scorer(REPO / "datasets" / sample / "eval.toml")
    cases = [_case(e) for e in examples]
    for example, (expected, output) in zip(examples, cases):
        _assert_agrees(scorer.score_one(expected, output), example)
    many = scorer.score_many([e for e, _ in cases], [o for _, o in cases])
    assert len(many) == len(examples)
    for example, score in zip(examples, many):
        _assert_agrees(score, example)
    # The per-example metrics are each a run's metric over one example: their means are the
    # run's where the metric is a mean over examples.
    with open(tmp_path / sample / "report.json", encoding="utf-8") as f:
        summary = json.load(f)["summary"]
    for metric in ["json_valid_strict", "json_valid", "json_recoverable", "schema_valid", "exact_match", "anls_star"]:
        mean = sum(s[metric] for s in many) / len(many)
        assert mean == pytest.approx(summary[metric], abs=1e-12), metric
    if sample == "tickets":
        assert sum(s["label_accuracy"] for s in many) / len(many) == pytest.approx(summary["label_accuracy"])


@needs_cli
def test_scorer_per_example_event_f1_is_the_run_formula_on_the_example_counts(tmp_path):
    examples = _cli_examples("basketball", tmp_path)
    scorer = verdict.Scorer(REPO / "datasets" / "basketball" / "eval.toml")
    cases = [_case(e) for e in examples]
    for example, score in zip(examples, scorer.score_many([e for e, _ in cases], [o for _, o in cases])):
        tp, fp, fn = example["tp"], example["fp"], example["fn"]
        predicted, support = tp + fp, tp + fn
        want = None if predicted + support == 0 else 2 * tp / (predicted + support)
        assert score["event_f1"] == want, example["id"]
        assert score["event_precision"] == (None if predicted == 0 else tp / predicted)
        assert score["event_recall"] == (None if support == 0 else tp / support)


BASKETBALL = REPO / "datasets" / "basketball" / "eval.toml"
TICKETS = REPO / "datasets" / "tickets" / "eval.toml"
EXPECTED = [
    {"timestamp_seconds": 144.5, "classification": "FOUL", "player_a": "Player #44 (Navy)", "player_b": "Player #1 (Maroon)"},
    {"timestamp_seconds": 157.4, "classification": "FT_MAKE", "player_a": "Player #1 (Maroon)", "player_b": None},
]
# One event 0.4 s late with the right label, player_a written another way, player_b's number
# wrong; the FT_MAKE is missed.
HALF_RIGHT = json.dumps(
    [{"timestamp_seconds": 144.9, "classification": "FOUL", "player_a": "#44 navy", "player_b": "Player #2 (Maroon)"}]
)


def test_scorer_known_answer_by_hand():
    score = verdict.Scorer(BASKETBALL).score_one(EXPECTED, HALF_RIGHT)
    assert (score["tp"], score["fp"], score["fn"]) == (1, 0, 1)
    # precision 1/1, recall 1/2, F1 = 2·1 / (1 + 2).
    assert score["event_precision"] == 1.0
    assert score["event_recall"] == 0.5
    assert score["event_f1"] == pytest.approx(2 / 3, abs=1e-15)
    assert score["timestamp_mae"] == pytest.approx(0.4, abs=1e-12)
    assert score["fields"]["player_a"]["accuracy"] == 1.0
    assert score["fields"]["player_b"]["accuracy"] == 0.0
    assert score["player_id_accuracy"] == 0.5
    assert score["missed"] == [{"index": 1, "time": 157.4, "label": "FT_MAKE"}]
    assert score["exact"] is False and score["exact_match"] == 0.0
    assert score["tier"] == "strict" and score["schema_errors"] == []


def test_scorer_no_events_on_either_side_leaves_f1_undefined_and_is_exact():
    scorer = verdict.Scorer(BASKETBALL)
    score = scorer.score_one("[]", "[]")
    assert (score["tp"], score["fp"], score["fn"]) == (0, 0, 0)
    assert score["event_f1"] is None and score["event_precision"] is None and score["event_recall"] is None
    assert score["exact"] is True and score["exact_match"] == 1.0
    # A valid output of the wrong shape has no events either, but is not exactly right.
    wrong_shape = scorer.score_one("[]", "{}")
    assert wrong_shape["event_f1"] is None and wrong_shape["exact"] is False


def test_scorer_reads_the_output_as_the_cli_reads_a_plain_prediction():
    scorer = verdict.Scorer(BASKETBALL)
    assert scorer.score_one("[]", "<think>maybe [1]?</think>\n[]")["reasoning"] is True
    assert scorer.score_one("[]", "<think>cut off before the answer")["tier"] == "missing"
    assert scorer.score_one("[]", "Here:\n```json\n[]\n```")["tier"] == "extracted"
    assert scorer.score_one("[]", "[1,]")["tier"] == "repaired"
    assert scorer.score_one("[]", "   ")["tier"] == "missing"
    assert scorer.score_one("[]", None)["tier"] == "missing"
    assert scorer.score_one("[]", "no JSON here")["tier"] == "invalid"


def test_scorer_repair_scores_repaired_outputs_as_the_repair_flag_does():
    text = '[{"timestamp_seconds": 144.5, "classification": "FOUL",}]'
    expected = [{"timestamp_seconds": 144.5, "classification": "FOUL"}]
    plain = verdict.Scorer(BASKETBALL).score_one(expected, text)
    repaired = verdict.Scorer(BASKETBALL, repair=True).score_one(expected, text)
    assert plain["tier"] == repaired["tier"] == "repaired"
    assert plain["repairs"] == ["trailing_comma"]
    assert plain["tp"] == 0 and repaired["tp"] == 1


def test_scorer_expected_as_json_text_or_python_value_alike():
    scorer = verdict.Scorer(TICKETS)
    value = {"intent": "refund", "priority": "low", "customer": {"name": "A B", "email": "a@b.example"}, "entities": []}
    output = json.dumps(value)
    assert scorer.score_one(value, output) == scorer.score_one(json.dumps(value), output)
    assert scorer.score_one(value, output)["exact"] is True


def test_scorer_takes_a_spec_dict_and_refuses_what_the_cli_refuses(tmp_path):
    scorer = verdict.Scorer({"label": "/intent", "labels": ["refund", "other"]})
    assert scorer.score_one({"intent": "refund"}, '{"intent": "refund"}')["label_accuracy"] == 1.0
    with pytest.raises(verdict.VerdictError) as error:
        verdict.Scorer({"events": {"pointer": "", "time": "t", "label": "l", "tolerance": "wide"}})
    assert error.value.exit_code == 2
    with pytest.raises(verdict.VerdictError) as error:
        verdict.Scorer(tmp_path / "missing.toml")
    assert error.value.file is not None


def test_scorer_refuses_bad_expected_values_with_where_and_what():
    scorer = verdict.Scorer(BASKETBALL)
    with pytest.raises(verdict.VerdictError, match=r"expected\[1\]: a str is read as JSON text, and this one is not JSON"):
        scorer.score_many(["[]", "refund"], ["[]", "[]"])
    with pytest.raises(verdict.VerdictError, match=r"expected at /0/timestamp_seconds: the float NaN, which JSON cannot hold"):
        scorer.score_one([{"timestamp_seconds": float("nan")}], "[]")
    with pytest.raises(verdict.VerdictError, match=r"outputs\[0\]: expected the model's output text \(str\), or None"):
        scorer.score_many(["[]"], [[]])
    with pytest.raises(verdict.VerdictError, match="2 expected outputs but 1 outputs"):
        scorer.score_many(["[]", "[]"], ["[]"])
    with pytest.raises(verdict.VerdictError) as error:
        scorer.score_one([{"timestamp_seconds": 1, "classification": "fg_make"}], "[]")
    assert "expected label `fg_make` is not in the spec's `labels`" in str(error.value)
    assert "close to the declared `FG_MAKE`" in str(error.value)
    with pytest.raises(verdict.VerdictError, match="threads: expected 1 to 256, got 0"):
        scorer.score_many(["[]"], ["[]"], threads=0)


@needs_cli
def test_scorer_score_many_is_the_same_for_any_thread_count(tmp_path):
    examples = _cli_examples("basketball", tmp_path)
    scorer = verdict.Scorer(BASKETBALL)
    cases = [_case(e) for e in examples] * 4
    expected, outputs = [e for e, _ in cases], [o for _, o in cases]
    one = scorer.score_many(expected, outputs, threads=1)
    assert one == scorer.score_many(expected, outputs, threads=3)
    assert one == scorer.score_many(expected, outputs)
    assert one[:25] == [scorer.score_one(e, o) for e, o in cases[:25]]


# --- the reward callable, called the way TRL's GRPOTrainer calls it ---------------------

class _TrainerState:
    """Stands in for transformers.TrainerState, which the trainer passes as trainer_state."""

    global_step = 12


def _trl_call(reward_func, completions, expected, **columns):
    """As GRPOTrainer calls a reward function: prompts, completions, completion_ids, every
    dataset column but the prompt, and the trainer state, all as keyword arguments."""
    return reward_func(
        prompts=["List the play events." for _ in completions],
        completions=completions,
        completion_ids=[[1, 2, 3] for _ in completions],
        expected=expected,
        trainer_state=_TrainerState(),
        **columns,
    )


def test_scorer_reward_with_plain_completions():
    reward = verdict.Scorer(BASKETBALL).reward("event_f1")
    expected = [json.dumps(EXPECTED)] * 4
    completions = [json.dumps(EXPECTED), HALF_RIGHT, "I could not find any events.", '[{"timestamp_seconds": 1'][:4]
    rewards = _trl_call(reward, completions, expected, clip=["c1", "c2", "c3", "c4"])
    assert rewards[0] == 1.0
    assert rewards[1] == pytest.approx(2 / 3, abs=1e-15)
    # Invalid JSON and a truncated (repaired, unscored) output get the invalid reward.
    assert rewards[2] == 0.0 and rewards[3] == 0.0
    assert all(isinstance(r, float) for r in rewards)
    assert reward.__name__ == "verdict_event_f1"


def test_scorer_reward_with_conversational_completions():
    reward = verdict.Scorer(BASKETBALL).reward("event_f1", invalid=-1.0)
    completions = [
        [{"role": "assistant", "content": HALF_RIGHT}],
        [{"role": "assistant", "content": [{"type": "text", "text": HALF_RIGHT}]}],
        [
            {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "lookup"}}]},
            {"role": "tool", "content": "roster"},
            {"role": "assistant", "content": "```json\n" + HALF_RIGHT + "\n```"},
        ],
        [{"content": HALF_RIGHT}],
        [{"role": "assistant", "content": "not json"}],
        [{"role": "assistant", "content": None}],
    ]
    rewards = _trl_call(reward, completions, [EXPECTED] * len(completions))
    assert rewards[:4] == [pytest.approx(2 / 3, abs=1e-15)] * 4
    assert rewards[4:] == [-1.0, -1.0]


def test_scorer_reward_undefined_metric_value_and_none_pass_through():
    scorer = verdict.Scorer(BASKETBALL)
    # No events expected, none predicted: F1 has no denominator, and the example's exact_match
    # decides: 1.0 for the empty list, 0.0 for an object where the list belongs.
    assert _trl_call(scorer.reward(), ["[]", "{}"], ["[]", "[]"]) == [1.0, 0.0]
    # Nothing predicted where events were expected: precision and the players' accuracy have
    # no denominator, and the example is not exactly right.
    assert _trl_call(scorer.reward("event_precision"), ["[]"], [EXPECTED]) == [0.0]
    assert _trl_call(scorer.reward("player_id_accuracy"), ["[]"], [EXPECTED]) == [0.0]
    assert _trl_call(scorer.reward("event_recall"), ["[]"], [EXPECTED]) == [0.0]
    assert _trl_call(scorer.reward(undefined=0.5), ["[]", "{}"], ["[]", "[]"]) == [0.5, 0.5]
    # None is what TRL leaves out of the sum of rewards.
    assert _trl_call(scorer.reward(undefined=None, invalid=None), ["[]", "oops"], ["[]", "[]"]) == [None, None]


def test_scorer_reward_other_metrics_and_columns():
    tickets = verdict.Scorer(TICKETS)
    expected = {"intent": "refund", "priority": "low", "customer": {"name": "A B", "email": "a@b.example"}, "entities": []}
    wrong_priority = dict(expected, priority="high")
    completions = [json.dumps(expected), json.dumps(wrong_priority)]
    reward = tickets.reward("paths./priority.accuracy", expected_column="target", name="priority")
    assert reward.__name__ == "priority"
    assert reward(completions=completions, target=[expected, expected], prompts=["a", "b"]) == [1.0, 0.0]
    assert tickets.reward("exact_match")(completions, expected=[expected, expected]) == [1.0, 0.0]
    assert tickets.reward("label_accuracy")(completions, expected=[expected, expected]) == [1.0, 1.0]
    assert tickets.reward("schema_valid")(['{"intent": "refund"}'], expected=[expected]) == [0.0]
    assert tickets.reward("anls_star")(completions[:1], expected=[expected]) == [1.0]


def test_scorer_reward_refuses_an_unknown_metric_with_the_known_ones():
    scorer = verdict.Scorer(BASKETBALL)
    with pytest.raises(verdict.VerdictError) as error:
        scorer.reward("event_f")
    message = str(error.value)
    assert message.startswith("reward on unknown metric `event_f`: name one of json_valid_strict, json_valid")
    assert "fields.player_a.accuracy" in message
    assert message.endswith("did you mean `event_f1`?")
    assert error.value.exit_code == 2
    with pytest.raises(verdict.VerdictError, match=r"reward on `timestamp_mae`: it is an error \(lower is better\), not a reward"):
        scorer.reward("timestamp_mae")
    with pytest.raises(verdict.VerdictError, match=r"reward on `event_f1`: this spec has no such metric; it needs \[events\]"):
        verdict.Scorer(TICKETS).reward("event_f1")
    assert "timestamp_mae" not in scorer.metrics and "event_f1" in scorer.metrics


def test_scorer_reward_refuses_calls_it_cannot_read():
    reward = verdict.Scorer(BASKETBALL).reward()
    with pytest.raises(verdict.VerdictError, match=r"no `expected` keyword argument .* the call had: answer, prompts"):
        reward(completions=["[]"], prompts=["p"], answer=["[]"])
    with pytest.raises(verdict.VerdictError, match="2 completions but 1 values in `expected`"):
        reward(["[]", "[]"], expected=["[]"])
    with pytest.raises(verdict.VerdictError, match=r"completions\[0\]: no assistant message"):
        reward([[{"role": "user", "content": "[]"}]], expected=["[]"])
    with pytest.raises(verdict.VerdictError, match=r"completions\[0\]: expected a string \(standard format\)"):
        reward([7], expected=["[]"])


@needs_cli
def test_scorer_reward_refuses_an_answer_made_of_tool_calls(tmp_path):
    # verdict score takes an answer's tool calls as the answer (docs/input-formats.md, tool
    # calls): this one is exactly right there. The scorer reads text only, so it must not
    # reward the same answer as an empty output.
    expected = {"intent": "refund", "priority": "low", "customer": {"name": "A B", "email": "a@b.example"}, "entities": []}
    message = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "file_ticket", "arguments": json.dumps(expected)}}]}
    (tmp_path / "eval.toml").write_text('name = "calls"\nlabel = "/intent"\n', encoding="utf-8")
    (tmp_path / "expected.jsonl").write_text(json.dumps({"id": "a", "expected": expected}) + "\n", encoding="utf-8")
    batch_line = {"custom_id": "a", "response": {"status_code": 200, "body": {"choices": [
        {"index": 0, "message": message, "finish_reason": "tool_calls"}]}}}
    (tmp_path / "predictions.jsonl").write_text(json.dumps(batch_line) + "\n", encoding="utf-8")
    subprocess.run([str(VERDICT_BIN), "score", str(tmp_path), "--out", str(tmp_path / "out"), "--bootstrap", "0", "-q"],
                   check=True, capture_output=True)
    with open(tmp_path / "out" / "report.json", encoding="utf-8") as f:
        assert json.load(f)["summary"]["exact_match"] == 1.0
    reward = verdict.Scorer(tmp_path / "eval.toml").reward("exact_match")
    for answer in (message, dict(message, content="Filing the ticket.")):
        with pytest.raises(verdict.VerdictError, match=r"completions\[0\]: the answer is made of tool calls"):
            _trl_call(reward, [[answer]], [expected])
    # Calls in an earlier turn are not the answer: the last assistant message's text is.
    assert _trl_call(reward, [[message, {"role": "tool", "content": "ok"},
                               {"role": "assistant", "content": json.dumps(expected)}]], [expected]) == [1.0]


def test_scorer_reward_reads_content_parts_as_the_cli_reads_them():
    reward = verdict.Scorer(TICKETS).reward("exact_match")
    expected = {"intent": "refund", "priority": "low", "customer": {"name": "A B", "email": "a@b.example"}, "entities": []}
    text = json.dumps(expected)
    # Responses-style text parts are the answer's text; reasoning parts are not.
    parts = [{"type": "thinking", "thinking": "the customer wants money back"}, {"type": "output_text", "text": text}]
    assert _trl_call(reward, [[{"role": "assistant", "content": parts}]], [expected]) == [1.0]
    # A tool call given as a content part is an answer made of calls, as tool_calls is.
    calls = [{"type": "tool_use", "id": "t", "name": "file_ticket", "input": expected}]
    with pytest.raises(verdict.VerdictError, match=r"completions\[0\]: the answer is made of tool calls"):
        _trl_call(reward, [[{"role": "assistant", "content": calls}]], [expected])


def test_scorer_reward_refuses_arguments_of_the_wrong_type():
    scorer = verdict.Scorer(BASKETBALL)
    with pytest.raises(verdict.VerdictError, match=r"reward: metric: expected a metric's name \(str\), such as 'event_f1', got int"):
        scorer.reward(5)
    with pytest.raises(verdict.VerdictError, match=r"reward: invalid: expected a float or None, got str"):
        scorer.reward(invalid="zero")
    with pytest.raises(verdict.VerdictError, match=r"reward: undefined: expected 'exact_match', a float or None, got 'one'"):
        scorer.reward(undefined="one")
    with pytest.raises(verdict.VerdictError, match=r"reward: expected_column: expected a dataset column's name \(str\), got int"):
        scorer.reward(expected_column=1)
    with pytest.raises(verdict.VerdictError, match=r"expected: expected a list with one item per example, got a str"):
        scorer.score_many("[]", ["[]"])


def _one_example_run(tmp_path: Path, spec_text: str, expected, output) -> dict:
    """The summary of `verdict score` on a dataset of one plain example."""
    (tmp_path / "eval.toml").write_text(spec_text, encoding="utf-8")
    (tmp_path / "expected.jsonl").write_text(json.dumps({"id": "e", "expected": expected}) + "\n", encoding="utf-8")
    # An output of None is a plain line's `"output": null`: no output.
    (tmp_path / "predictions.jsonl").write_text(json.dumps({"id": "e", "output": output}) + "\n", encoding="utf-8")
    subprocess.run(
        [str(VERDICT_BIN), "score", str(tmp_path), "--out", str(tmp_path / "out"), "--bootstrap", "0", "-q"],
        check=True,
        capture_output=True,
    )
    with open(tmp_path / "out" / "report.json", encoding="utf-8") as f:
        return json.load(f)["summary"]


def _spec_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    for schema in ["basketball-events", "tickets"]:
        text = text.replace(f'"../../schemas/{schema}.schema.json"', json.dumps(str(REPO / "schemas" / f"{schema}.schema.json")))
    return text


UNDECLARED = """
[events]
pointer = "/events"
time = "t"
label = "kind"
tolerance = 0.5
"""

# (spec, expected, output): the cases where a per-example metric could part from the run's.
ONE_EXAMPLE_CASES = [
    ("basketball", EXPECTED, HALF_RIGHT),
    # A predicted label outside the declared set: a false positive of the micro figures only.
    ("basketball", EXPECTED, json.dumps([dict(EXPECTED[0], classification="DUNK"), EXPECTED[1]])),
    # An expected event without a label, and one predicted: never a true positive of the set
    # (a run refuses a spec whose label matches no expected event, so one event has it).
    ("basketball", [EXPECTED[0], {"timestamp_seconds": 3.0}], json.dumps([EXPECTED[0], {"timestamp_seconds": 3.0}])),
    ("basketball", [], "[]"),
    ("basketball", [], "{}"),
    ("basketball", EXPECTED, "<think>a [guess]</think>\n```json\n" + json.dumps(EXPECTED) + "\n```"),
    ("basketball", EXPECTED, json.dumps(EXPECTED)[:-40]),
    ("basketball", EXPECTED, '[{"timestamp_seconds": 144.5, "classification": "FOUL",}]'),
    ("tickets", {"intent": "refund", "priority": "low", "customer": {"name": "A B", "email": "a@b.example"}, "entities": [{"type": "order_id", "value": "A1"}]},
     '{"intent": "billing", "priority": "low", "customer": {"name": "a  b"}, "entities": [{"type": "order_id", "value": "A1"}, {"type": "product", "value": "case"}]}'),
    ("tickets", {"intent": "other", "priority": "high", "customer": {"name": "C", "email": "c@d"}, "entities": []}, "I cannot help with that."),
    (UNDECLARED, {"events": [{"t": 1, "kind": "a"}, {"t": 2, "kind": "b"}]}, '{"events": [{"t": 1.2, "kind": "a"}, {"t": 2.1, "kind": "c"}]}'),
    (UNDECLARED, {"events": []}, '{"events": [{"t": 1, "kind": "x"}]}'),
]


@needs_cli
@pytest.mark.parametrize("case", range(len(ONE_EXAMPLE_CASES)))
def test_scorer_headline_metrics_are_those_of_a_run_of_the_one_example(case, tmp_path):
    spec, expected, output = ONE_EXAMPLE_CASES[case]
    if spec in SAMPLES:
        path = REPO / "datasets" / spec / "eval.toml"
        scorer, spec_text = verdict.Scorer(path), _spec_text(path)
    else:
        (tmp_path / "spec.toml").write_text(spec, encoding="utf-8")
        scorer, spec_text = verdict.Scorer(tmp_path / "spec.toml"), spec
    summary = _one_example_run(tmp_path, spec_text, expected, output)
    score = scorer.score_one(expected, output)
    compared = [m for m in summary if m in score]
    assert "exact_match" in compared and "anls_star" in compared
    for metric in compared:
        want, got = summary[metric], score[metric]
        if want is None or got is None:
            assert got == want, f"{metric}: score_one {got!r}, the run {want!r}"
        else:
            assert got == pytest.approx(want, abs=1e-12), metric


def test_scorer_score_many_leaves_the_cycle_collector_as_it_found_it():
    import gc

    scorer = verdict.Scorer(BASKETBALL)
    scorer.score_many(["[]"], ["[]"])
    assert gc.isenabled()
    with pytest.raises(verdict.VerdictError):
        scorer.score_many(["[]"], [1])
    assert gc.isenabled()
    gc.disable()
    try:
        scorer.score_many(["[]"], ["[]"])
        assert not gc.isenabled()
    finally:
        gc.enable()
