"""Type stubs of the extension module. The public API is re-exported by ``verdict``."""

__version__: str

class VerdictError(Exception):
    file: str | None
    line: int | None
    exit_code: int

# --- part Scorer: the per-example scorer (python/verdict/_scorer.py subclasses it) ----------

from os import PathLike
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

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
