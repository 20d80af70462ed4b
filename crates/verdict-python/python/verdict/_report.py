"""``verdict.Report``: a scored run, its report.json as Python values and DataFrames."""

from __future__ import annotations

import copy
import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Tuple, Union

from verdict import _native

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = ["Report"]

#: The tables a Report gives as DataFrames, for ``to_pandas(name)`` and ``to_polars(name)``.
TABLES = ("classes", "confusion", "fields", "examples")

# Columns of each table when the report has no rows for it, so an empty table still has the
# documented columns (docs/python.md). Rows carry their own keys otherwise.
_EMPTY_COLUMNS = {
    "classes": ["label", "support", "predicted", "tp", "fp", "fn", "precision", "recall", "f1"],
    "confusion": ["expected"],
    "fields": ["field", "compare", "compared", "correct", "accuracy", "one_sided"],
    "examples": ["id", "expected_line", "prediction_line", "tier", "finish_reason", "failure",
                 "schema_errors", "exact", "counts"],
}


# examples.jsonl's keys in the order its lines give them. A line leaves out a key that is empty
# for it (no missed events, no reasoning): the column is there when any line has the key, and
# such a line gets the empty value below.
_EXAMPLE_KEYS = ["id", "expected_line", "prediction_line", "tier", "finish_reason", "failure",
                 "reasoning", "schema_errors", "schema_undecided", "tp", "fp", "fn", "exact",
                 "missed", "spurious", "confused", "expected_label", "predicted_label",
                 "cluster", "counts"]
_EXAMPLE_EMPTY = {"reasoning": False, "missed": [], "spurious": [], "confused": []}


def _need(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"this needs {module}, which verdict does not install by itself: "
            f"pip install verdict-score[{module}]"
        ) from None


class Report:
    """The outcome of :func:`verdict.score`: report.json's content, the run's per-example
    lines, and the files ``verdict score --out`` writes. A failed gate is not an exception:
    :attr:`passed` is False."""

    def __init__(self, run: "_native.Run"):
        self._run = run
        self._report: Dict[str, Any] = json.loads(run.report_json())
        self._examples: Union[List[Dict[str, Any]], None] = None

    # report.json

    def to_dict(self) -> Dict[str, Any]:
        """report.json's content: exactly what ``verdict score`` writes for the same inputs."""
        return copy.deepcopy(self._report)

    def to_json(self) -> str:
        """report.json's text."""
        return self._run.report_json()

    @property
    def summary(self) -> Dict[str, Any]:
        """report.json's ``summary``: example counts and every headline metric (None where
        the task has none)."""
        return copy.deepcopy(self._report["summary"])

    @property
    def passed(self) -> bool:
        """Whether every gate passed (True when there are none)."""
        return bool(self._report["passed"])

    @property
    def gates(self) -> List[Dict[str, Any]]:
        """report.json's ``gates``: one dict per gate (metric, op, threshold, value, passed,
        and the other keys report.json gives it)."""
        return copy.deepcopy(self._report["gates"])

    @property
    def warnings(self) -> List[str]:
        """What ``verdict score`` prints as warnings (orphan lines, failed requests, …);
        :func:`verdict.score` also issues each as a Python warning."""
        return list(self._run.warnings)

    # Tables

    def _rows(self, table: str) -> List[Dict[str, Any]]:
        if table == "classes":
            return copy.deepcopy(self._report["classes"])
        if table == "confusion":
            confusion = self._report["confusion"]
            if not confusion:
                return []
            labels = confusion["labels"]
            return [
                {"expected": label, **dict(zip(labels, counts))}
                for label, counts in zip(labels, confusion["matrix"])
            ]
        if table == "fields":
            return [
                {"field": name, **copy.deepcopy(row)}
                for name, row in self._report["fields"].items()
            ]
        if table == "examples":
            if self._examples is None:
                text = self._run.examples_jsonl().decode("utf-8")
                self._examples = [json.loads(line) for line in text.splitlines() if line]
            return copy.deepcopy(self._examples)
        raise ValueError(f"{table!r}: expected one of {', '.join(TABLES)}")

    def _columns(self, table: str, rows: List[Dict[str, Any]]) -> List[str]:
        if table == "confusion" and self._report["confusion"]:
            return ["expected", *self._report["confusion"]["labels"]]
        if not rows:
            return list(_EMPTY_COLUMNS[table])
        seen: Dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        if table != "examples":
            return list(seen)
        # A key a later version adds goes last rather than being dropped.
        return [k for k in _EXAMPLE_KEYS if k in seen] + [k for k in seen if k not in _EXAMPLE_KEYS]

    def _records(self, table: str) -> Tuple[List[Dict[str, Any]], List[str]]:
        rows = self._rows(table)
        columns = self._columns(table, rows)
        records = [
            {c: row[c] if c in row else copy.deepcopy(_EXAMPLE_EMPTY.get(c)) for c in columns}
            for row in rows
        ]
        return records, columns

    def to_pandas(self, table: str) -> "pandas.DataFrame":
        """One of :data:`TABLES` as a pandas DataFrame (needs pandas)."""
        pandas = _need("pandas")
        records, columns = self._records(table)
        return pandas.DataFrame.from_records(records, columns=columns)

    def to_polars(self, table: str) -> "polars.DataFrame":
        """One of :data:`TABLES` as a polars DataFrame (needs polars). Nested values (an
        example's ``counts``, ``schema_errors``) become structs and lists."""
        polars = _need("polars")
        records, columns = self._records(table)
        if not records:
            return polars.DataFrame(schema={c: polars.Null for c in columns})
        return polars.DataFrame(records, infer_schema_length=None)

    @property
    def classes(self) -> "pandas.DataFrame":
        """Per-class counts and rates (report.json's ``classes``), one row per label."""
        return self.to_pandas("classes")

    @property
    def confusion(self) -> "pandas.DataFrame":
        """The confusion matrix: a row per expected label (column ``expected``), a column
        per predicted label, ``(other)`` and ``∅`` included as in report.json."""
        return self.to_pandas("confusion")

    @property
    def fields(self) -> "pandas.DataFrame":
        """Field accuracy per ``[fields.NAME]`` (report.json's ``fields``), one row each."""
        return self.to_pandas("fields")

    @property
    def examples(self) -> "pandas.DataFrame":
        """The lines of examples.jsonl, worst first, one row per example kept."""
        return self.to_pandas("examples")

    # Files and display

    def write(self, dir: Union[str, "os.PathLike[str]"]) -> Path:
        """Writes the files ``verdict score --out DIR`` writes, as one set (an earlier set
        there stays whole until this one is complete); returns report.json's path."""
        return Path(self._run.write(os.fspath(dir)))

    def html(self) -> str:
        """report.html's text."""
        return self._run.report_html()

    def _repr_html_(self) -> str:
        # The report is a whole HTML document with its own styles and scripts: an iframe keeps
        # them from touching the notebook's page, and srcdoc needs no file or server.
        return (
            '<iframe title="verdict report" sandbox="allow-scripts" '
            'style="width: 100%; height: 600px; border: 1px solid #ccc" '
            f'srcdoc="{html.escape(self.html(), quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        summary = self._report["summary"]
        shown = ", ".join(
            f"{k}={v:.4f}" for k, v in summary.items()
            if isinstance(v, float) and k in ("event_f1", "macro_f1", "exact_match")
        )
        state = "passed" if self.passed else "FAILED"
        return (
            f"<verdict.Report {self._report['run']['name']!r}: "
            f"{summary['examples']} examples, {shown or 'no headline metric'}, gates {state}>"
        )
