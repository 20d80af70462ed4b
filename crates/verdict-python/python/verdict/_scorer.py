"""``verdict.Scorer``: per-example scores, and rewards for TRL's ``GRPOTrainer``.

The scoring is the engine's (``verdict._native.Scorer``); this module only reads the
completions a trainer passes and hands the texts over. See docs/python-rewards.md.
"""

from __future__ import annotations

import gc
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

from verdict._native import Scorer as _NativeScorer
from verdict._native import VerdictError

__all__ = ["Scorer"]


def _error(message: str) -> VerdictError:
    error = VerdictError(message)
    error.file = None
    error.line = None
    error.exit_code = 2
    return error


# Content parts holding the answer's text (Chat Completions' "text", Responses' "output_text"),
# and parts that are tool calls (Anthropic's "tool_use", Responses' "function_call"), which
# verdict score takes as the answer. Other parts (reasoning, images) are not the answer.
_TEXT_PARTS = ("text", "output_text")
_CALL_PARTS = ("tool_use", "function_call", "tool_call")


def _made_of_calls(at: str) -> str:
    return (
        f"{at}: the answer is made of tool calls, which verdict score scores as the answer "
        "(docs/input-formats.md#tool-calls) and a Scorer cannot (it reads the model's text); "
        "expected the answer as the last assistant message's content, with no tool_calls"
    )


def _content_text(content: Any, at: str) -> Optional[str]:
    """A message's content as text: a string, or the text of its text parts."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for j, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                kind = part.get("type", "text")
                if kind in _CALL_PARTS:
                    raise _error(_made_of_calls(at))
                if kind in _TEXT_PARTS and isinstance(part.get("text"), str):
                    texts.append(part["text"])
            else:
                raise _error(
                    f"{at}: content part {j}: expected a dict such as "
                    f'{{"type": "text", "text": ...}}, got {type(part).__name__}'
                )
        return "".join(texts)
    raise _error(
        f"{at}: content: expected a string, a list of text parts or None, got {type(content).__name__}"
    )


def completion_text(completion: Any, at: str = "completion") -> Optional[str]:
    """The model's answer in one TRL completion.

    A standard-format completion is the text itself. A conversational one is a list of
    messages: the answer is the content of the last ``assistant`` message (or of the last
    message, when no message has a role). ``None`` means no answer (a message without content).
    An answer message with tool calls is refused: verdict scores its calls, not its text.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, (list, tuple)):
        if not all(isinstance(m, dict) for m in completion):
            kinds = sorted({type(m).__name__ for m in completion if not isinstance(m, dict)})
            raise _error(
                f"{at}: expected a list of message dicts (conversational format), found {', '.join(kinds)}"
            )
        answers = [m for m in completion if m.get("role") == "assistant"]
        if not answers and completion and all("role" not in m for m in completion):
            answers = [completion[-1]]
        if not answers:
            roles = [m.get("role") for m in completion]
            raise _error(
                f"{at}: no assistant message among the completion's messages (roles: {roles}); "
                'expected a list such as [{"role": "assistant", "content": ...}]'
            )
        answer = answers[-1]
        # verdict score takes an answer's calls as the answer, whatever text is beside them
        # (docs/input-formats.md#tool-calls); scoring the text instead would reward something
        # else than the run gates on.
        if answer.get("tool_calls") or answer.get("function_call"):
            raise _error(_made_of_calls(at))
        return _content_text(answer.get("content"), at)
    raise _error(
        f"{at}: expected a string (standard format) or a list of messages (conversational format), "
        f"got {type(completion).__name__}"
    )


class Scorer(_NativeScorer):
    """Scores a model's outputs example by example with a spec's judges.

    ``Scorer(spec, *, repair=False)``: ``spec`` is a path to an eval.toml or a dict of its keys;
    ``repair=True`` scores repaired outputs, as ``verdict score --repair`` does.
    ``score_one(expected, output)`` and ``score_many(expected, outputs, *, threads=None)`` give
    one dict per example (docs/python-rewards.md); ``reward(...)`` a reward function for TRL.
    """

    def score_many(
        self, expected: Iterable[Any], outputs: Iterable[Optional[str]], *, threads: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """One dict per example, as ``score_one`` gives, judged in parallel without the GIL."""
        # The results are thousands of new dicts and lists: each allocation count passed sets
        # off the cycle collector over every object alive, a fifth of the time
        # (docs/performance.md). None of them can be in a cycle; collection resumes after.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return super().score_many(expected, outputs, threads=threads)
        finally:
            if enabled:
                gc.enable()

    def reward(
        self,
        metric: str = "event_f1",
        *,
        expected_column: str = "expected",
        invalid: Optional[float] = 0.0,
        undefined: Union[float, None, str] = "exact_match",
        threads: Optional[int] = None,
        name: Optional[str] = None,
    ) -> Callable[..., List[Optional[float]]]:
        """A reward function with the signature TRL's ``GRPOTrainer`` calls.

        ``reward_func(completions, **kwargs)`` returns one float per completion: ``metric`` of
        the completion against the expected output in the dataset column ``expected_column``
        (a keyword argument of the call). An output verdict scores as empty (invalid JSON,
        no text, or repaired without ``repair=True``) gets ``invalid``. An example that gives
        the metric no denominator (no events on either side, nothing predicted, no field
        compared) gets its ``exact_match`` (1.0 when everything the spec scores is right, so
        nothing was found where nothing was expected) or, given a float, ``undefined``.
        ``None`` for either is passed on: TRL leaves a None reward out.
        """
        if not isinstance(metric, str):
            raise _error(f"reward: metric: expected a metric's name (str), such as 'event_f1', got {type(metric).__name__}")
        self._check_metric(metric)
        if not isinstance(expected_column, str):
            raise _error(
                f"reward: expected_column: expected a dataset column's name (str), got {type(expected_column).__name__}"
            )
        if invalid is not None and (isinstance(invalid, bool) or not isinstance(invalid, (int, float))):
            raise _error(f"reward: invalid: expected a float or None, got {type(invalid).__name__}")
        exact = undefined == "exact_match"
        if not exact and undefined is not None and (
            isinstance(undefined, bool) or not isinstance(undefined, (int, float))
        ):
            raise _error(
                f"reward: undefined: expected 'exact_match', a float or None, got {undefined!r}"
            )
        fallbacks = (
            None if invalid is None else float(invalid),
            None if exact or undefined is None else float(undefined),
            exact,
        )
        scorer = self

        def reward_func(completions: Sequence[Any], **kwargs: Any) -> List[Optional[float]]:
            if expected_column not in kwargs:
                given = ", ".join(sorted(kwargs)) or "none"
                raise _error(
                    f"reward: no `{expected_column}` keyword argument (the dataset column of expected "
                    f"outputs); the call had: {given}. Name the column with reward(expected_column=...)"
                )
            expected = list(kwargs[expected_column])
            completions = list(completions)
            if len(expected) != len(completions):
                raise _error(
                    f"reward: {len(completions)} completions but {len(expected)} values in "
                    f"`{expected_column}`; expected one per completion"
                )
            outputs = [completion_text(c, f"completions[{i}]") for i, c in enumerate(completions)]
            return scorer._rewards(expected, outputs, metric, fallbacks, threads)

        reward_func.__name__ = name if name is not None else "verdict_" + re.sub(r"\W+", "_", metric).strip("_")
        reward_func.__qualname__ = reward_func.__name__
        reward_func.__doc__ = f"verdict's `{metric}` of each completion against `{expected_column}`."
        return reward_func
