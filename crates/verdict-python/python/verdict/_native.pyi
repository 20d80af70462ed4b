"""Type stubs of the extension module. The public API is re-exported by ``verdict``."""

from os import PathLike
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union, final

__version__: str

class VerdictError(Exception):
    file: str | None
    line: int | None
    exit_code: int

# verdict.score / compare / curves / validate and Report (verdict/_api.py, _report.py).

DEFAULT_MAX_LINE_BYTES: int
CURVES_DEFAULT_PATIENCE: int
CURVES_DEFAULT_METRIC: str

@final
class Run:
    """A scored run; ``verdict.Report`` wraps it."""

    @property
    def passed(self) -> bool: ...
    @property
    def warnings(self) -> list[str]: ...
    def report_json(self) -> str: ...
    def report_html(self) -> str: ...
    def examples_jsonl(self) -> bytes: ...
    def write(self, dir: str) -> str: ...

def score(
    spec: str | dict,
    expected: str,
    predictions: Sequence[str],
    *,
    out: str | None,
    gates: Sequence[str],
    bootstrap: int | None,
    seed: int,
    threads: int | None,
    join: str,
    repair: bool,
    cluster_by: str | None,
    baseline: str | None,
    max_drop: Sequence[str],
    examples: str,
    examples_gzip: bool,
    max_line_bytes: int,
    rows: Sequence[tuple[str, str]],
) -> Run: ...
def compare(
    runs: Sequence[str],
    *,
    spec: str | dict | None,
    expected: str | None,
    metric: str | None,
    allow_different_expected: bool,
    bootstrap: int | None,
    seed: int | None,
    out: str | None,
    threads: int | None,
    max_line_bytes: int,
) -> tuple[str, list[str]]: ...
def curves(
    files: Sequence[str],
    *,
    maps: Sequence[str],
    patience: int,
    deployable_last: int | None,
    scores: Sequence[str],
    metric: str,
    gates: Sequence[str],
    out: str | None,
) -> str: ...
def validate(
    files: Sequence[str],
    *,
    schema: str | None,
    repair: bool,
    gates: Sequence[str],
    out: str | None,
    max_line_bytes: int,
    rows: Sequence[tuple[str, str]],
) -> str: ...
# The per-example scorer (python/verdict/_scorer.py subclasses it).

_S = TypeVar("_S", bound="Scorer")

class Scorer:
    def __new__(
        cls: Type[_S], spec: Union[str, "PathLike[str]", Mapping[str, Any]], *, repair: bool = False
    ) -> _S: ...
    @property
    def metrics(self) -> list[str]: ...
    def score_one(self, expected: Any, output: Optional[str]) -> dict[str, Any]: ...
    def score_many(
        self,
        expected: Iterable[Any],
        outputs: Iterable[Optional[str]],
        *,
        threads: Optional[int] = None,
    ) -> list[dict[str, Any]]: ...
    def _check_metric(self, metric: str) -> None: ...
    def _rewards(
        self,
        expected: Sequence[Any],
        outputs: Sequence[Optional[str]],
        metric: str,
        fallbacks: Tuple[Optional[float], Optional[float], bool],
        threads: Optional[int] = None,
    ) -> list[Optional[float]]: ...
# The command line, in-process (verdict._cli).

def run_cli(args: list[str]) -> int:
    """Run ``verdict ARGS...`` (the arguments after the program name) in this process with the
    GIL released; returns its exit code. Installs no signal handler."""

def handle_interrupts() -> None:
    """Install the ``verdict`` binary's process-wide SIGINT/SIGTERM/SIGHUP handler (clean up,
    exit 130). For the console script only, which owns its process."""
