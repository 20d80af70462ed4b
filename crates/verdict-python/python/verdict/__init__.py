"""verdict: score a model's structured (JSON) outputs against expected outputs.

The same engine as the ``verdict`` command (a Rust extension module, ``verdict._native``).
"""

from verdict._cli import cli
from verdict._native import VerdictError, __version__
from verdict._api import compare, curves, score, validate
from verdict._report import Report
from verdict._scorer import Scorer

__all__ = [
    "VerdictError",
    "__version__",
    "cli",
    "score",
    "compare",
    "curves",
    "validate",
    "Report",
    "Scorer",
]
