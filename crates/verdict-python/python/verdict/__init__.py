"""verdict: score a model's structured (JSON) outputs against expected outputs.

The same engine as the ``verdict`` command (a Rust extension module, ``verdict._native``).
"""

from verdict._cli import cli
from verdict._native import VerdictError, __version__

__all__ = ["VerdictError", "__version__", "cli"]
