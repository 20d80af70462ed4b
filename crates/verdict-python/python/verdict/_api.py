"""``verdict.score``, ``compare``, ``curves`` and ``validate``: the command's runs, in-process.

In-memory rows are written to a scratch directory as JSONL, one row a line, and scored from
there by the same engine as files; messages name a row ("expected row 3"), never the scratch
file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from verdict import _native
from verdict._native import VerdictError
from verdict._report import Report

__all__ = ["score", "compare", "curves", "validate"]

#: The command's ``--max-line-bytes`` default (64 MiB).
DEFAULT_MAX_LINE_BYTES: int = _native.DEFAULT_MAX_LINE_BYTES

PathLike = Union[str, "os.PathLike[str]"]

# The columns a DataFrame of rows holds: one frame gives both sides.
_FRAME_COLUMNS = {
    "expected": ("id", "expected"),
    "predictions": ("id", "output"),
    "outputs": ("id", "output"),
}


def _error(message: str, file: Optional[str] = None, line: Optional[int] = None) -> VerdictError:
    error = VerdictError(message)
    error.file = file
    error.line = line
    error.exit_code = 2
    return error


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _is_frame(value: Any) -> bool:
    # pandas is optional: a DataFrame is recognised without importing it.
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")


def _is_row_text(value: Any) -> bool:
    # Every line shape verdict reads is a JSON object; a path never starts with "{".
    return isinstance(value, str) and value.lstrip().startswith("{")


def _is_path_arg(value: Any) -> bool:
    # A blank string names no file: in a list it is an empty row, refused as such by number.
    if isinstance(value, str) and not value.strip():
        return False
    return _is_path(value) and not _is_row_text(value)


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, as pandas hands them out, without importing numpy.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _cell(value: Any) -> Any:
    # A missing cell (None, NaN, pandas.NA) is JSON null.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _rows_file(role: str) -> str:
    # The name rows go by as a file in reports (run, worst_examples, examples.jsonl's lines)
    # and in errors: the scratch file's own name, never its directory.
    return f"{role}-rows.jsonl"


def _line(row: Any, role: str, number: int) -> str:
    where = _rows_file(role)
    if isinstance(row, str):
        if not row.strip():
            raise _error(f"{role} row {number}: is empty; expected a JSON object", where, number)
        # A raw line break in JSON text can only be whitespace (inside a string it must be
        # escaped), so a pretty-printed row becomes one line without changing its value.
        return row.replace("\r", " ").replace("\n", " ")
    if isinstance(row, dict):
        try:
            return json.dumps(row, ensure_ascii=False, allow_nan=False, default=_json_default)
        except (TypeError, ValueError) as e:
            raise _error(
                f"{role} row {number}: cannot be written as JSON: {e}", where, number
            ) from None
    raise _error(
        f"{role} row {number}: expected a dict or a JSON string, got {type(row).__name__}",
        where,
        number,
    )


def _frame_rows(frame: Any, role: str) -> List[dict]:
    wanted = _FRAME_COLUMNS[role]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise _error(
            f"{role}: the DataFrame has no {', '.join(repr(c) for c in missing)} column "
            f"(it has {', '.join(repr(str(c)) for c in frame.columns)}); expected "
            "'id', 'expected' and 'output' columns"
        )
    ids, values = frame[wanted[0]].tolist(), frame[wanted[1]].tolist()
    return [{wanted[0]: _cell(i), wanted[1]: _cell(v)} for i, v in zip(ids, values)]


class _Inputs:
    """The paths the engine reads: those given, and scratch files for rows given in memory."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.rows: List[Tuple[str, str]] = []

    def write(self, rows: Iterable[Any], role: str) -> str:
        path = self.scratch / _rows_file(role)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for number, row in enumerate(rows, start=1):
                f.write(_line(row, role, number))
                f.write("\n")
        self.rows.append((str(path), role))
        return str(path)

    def one(self, value: Any, role: str) -> str:
        """A path, or rows (a list of dicts or JSON strings, or a DataFrame)."""
        if _is_path(value) and not _is_row_text(value):
            return os.fspath(value)
        if _is_frame(value):
            return self.write(_frame_rows(value, role), role)
        if isinstance(value, (list, tuple)):
            if not value:
                raise _error(f"{role}: an empty list; expected at least one path or row")
            return self.write(value, role)
        raise _error(
            f"{role}: expected a path, a list of rows (dicts or JSON strings) or a pandas "
            f"DataFrame, got {type(value).__name__}"
        )

    def many(self, value: Any, role: str) -> List[str]:
        """As :meth:`one`, and also a list of paths, directories or globs."""
        if isinstance(value, (list, tuple)) and value and all(_is_path_arg(v) for v in value):
            return [os.fspath(v) for v in value]
        if isinstance(value, (list, tuple)) and any(_is_path_arg(v) for v in value):
            raise _error(
                f"{role}: a list is either paths or rows (dicts or JSON strings), not both"
            )
        return [self.one(value, role)]


def _strings(value: Union[str, Sequence[str]]) -> List[str]:
    # A single string is one value, not a sequence of characters.
    return [value] if isinstance(value, str) else list(value)


def _optional_path(value: Optional[PathLike]) -> Optional[str]:
    return None if value is None else os.fspath(value)


#: The largest ``--seed`` (a 64-bit unsigned number).
_MAX_SEED = 2**64 - 1


def _check_seed(seed: Optional[int]) -> None:
    # As --seed refuses it, by name, rather than as the extension's OverflowError.
    if isinstance(seed, int) and not 0 <= seed <= _MAX_SEED:
        raise _error(f"seed: {seed} is not in 0..={_MAX_SEED}")


def _warn(lines: Iterable[str]) -> None:
    for line in lines:
        warnings.warn(f"verdict: {line}", stacklevel=3)


def score(
    spec: Union[PathLike, dict],
    expected: Any,
    predictions: Any = None,
    *,
    out: Optional[PathLike] = None,
    gates: Union[str, Sequence[str]] = (),
    bootstrap: Optional[int] = None,
    seed: int = 0,
    threads: Optional[int] = None,
    join: str = "key",
    repair: bool = False,
    cluster_by: Optional[str] = None,
    baseline: Optional[PathLike] = None,
    max_drop: Union[str, Sequence[str]] = (),
    examples: str = "all",
    examples_gzip: bool = False,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Report:
    """Scores ``predictions`` against ``expected`` as ``verdict score`` does (docs/python.md)."""
    if predictions is None:
        if not _is_frame(expected):
            raise _error(
                "predictions: missing; only a pandas DataFrame with 'id', 'expected' and "
                "'output' columns gives both sides in one argument"
            )
        predictions = expected
    _check_seed(seed)
    with tempfile.TemporaryDirectory(prefix="verdict-rows-") as scratch:
        inputs = _Inputs(Path(scratch))
        run = _native.score(
            # As is: the extension takes a path or a dict, and names anything else.
            spec,
            inputs.one(expected, "expected"),
            inputs.many(predictions, "predictions"),
            out=_optional_path(out),
            gates=_strings(gates),
            bootstrap=bootstrap,
            seed=seed,
            threads=threads,
            join=join,
            repair=repair,
            cluster_by=cluster_by,
            baseline=_optional_path(baseline),
            max_drop=_strings(max_drop),
            examples=examples,
            examples_gzip=examples_gzip,
            max_line_bytes=max_line_bytes,
            rows=inputs.rows,
        )
    _warn(run.warnings)
    return Report(run)


def compare(
    *runs: PathLike,
    spec: Union[PathLike, dict, None] = None,
    expected: Optional[PathLike] = None,
    metric: Optional[str] = None,
    allow_different_expected: bool = False,
    bootstrap: Optional[int] = None,
    seed: Optional[int] = None,
    out: Optional[PathLike] = None,
    threads: Optional[int] = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> dict:
    """Compares runs as ``verdict compare`` does and returns compare.json's content.

    ``bootstrap`` and ``seed`` default to the runs' own (two runs pair replicate by replicate
    through their replicates.bin), or to 1,000 and 0 for a leaderboard of more runs.
    """
    if len(runs) == 1 and isinstance(runs[0], (list, tuple)):
        runs = tuple(runs[0])
    _check_seed(seed)
    text, notes = _native.compare(
        [os.fspath(r) for r in runs],
        spec=spec,
        expected=_optional_path(expected),
        metric=metric,
        allow_different_expected=allow_different_expected,
        bootstrap=bootstrap,
        seed=seed,
        out=_optional_path(out),
        threads=threads,
        max_line_bytes=max_line_bytes,
    )
    _warn(notes)
    return json.loads(text)


def curves(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    maps: Union[str, Sequence[str]] = (),
    patience: int = _native.CURVES_DEFAULT_PATIENCE,
    deployable_last: Optional[int] = None,
    scores: Union[str, Sequence[str]] = (),
    metric: str = _native.CURVES_DEFAULT_METRIC,
    gates: Union[str, Sequence[str]] = (),
    out: Optional[PathLike] = None,
) -> dict:
    """Diagnoses loss curves as ``verdict curves`` does and returns curves.json's content."""
    files = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    return json.loads(
        _native.curves(
            [os.fspath(f) for f in files],
            maps=_strings(maps),
            patience=patience,
            deployable_last=deployable_last,
            scores=_strings(scores),
            metric=metric,
            gates=_strings(gates),
            out=_optional_path(out),
        )
    )


def validate(
    outputs: Any,
    *,
    schema: Optional[PathLike] = None,
    repair: bool = False,
    gates: Union[str, Sequence[str]] = (),
    out: Optional[PathLike] = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> dict:
    """Checks outputs as ``verdict validate`` does and returns validation.json's content."""
    with tempfile.TemporaryDirectory(prefix="verdict-rows-") as scratch:
        inputs = _Inputs(Path(scratch))
        text = _native.validate(
            inputs.many(outputs, "outputs"),
            schema=_optional_path(schema),
            repair=repair,
            gates=_strings(gates),
            out=_optional_path(out),
            max_line_bytes=max_line_bytes,
            rows=inputs.rows,
        )
    return json.loads(text)
