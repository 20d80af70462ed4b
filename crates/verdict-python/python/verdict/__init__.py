"""verdict: score a model's structured (JSON) outputs against expected outputs.

The same engine as the ``verdict`` command (a Rust extension module, ``verdict._native``).
"""

from verdict._native import VerdictError, __version__
from verdict._scorer import Scorer

__all__ = ["VerdictError", "__version__", "Scorer"]
