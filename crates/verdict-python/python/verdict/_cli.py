"""The ``verdict`` command of the wheel: the same command line as the Rust binary, in-process.

Two ways in, which differ only in signal handling:

- ``main()`` is the console script (``[project.scripts]``). It owns its process, so it installs
  the binary's handler of Ctrl-C, SIGTERM and SIGHUP: half-written report files and scratch
  directories are removed and the process exits 130, as ``verdict`` does.
- ``cli(args)`` is for a program that goes on running afterwards (a notebook, a script). It
  installs no handler: an interrupt is left to Python's own handler, and a handler that ended
  the process would end the notebook's kernel with it.
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, NoReturn, Union

from verdict import _native

Arg = Union[str, "os.PathLike[str]"]


def _flush_python_streams() -> None:
    # The command line writes to the process's stdout and stderr directly: what Python has
    # buffered must come out first, or it would follow the command's output.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def cli(args: Iterable[Arg]) -> int:
    """Run ``verdict ARGS...`` in this process and return its exit code.

    ``args`` are the arguments after the program name, e.g.
    ``verdict.cli(["score", "datasets/basketball", "--gate", "macro_f1>=0.8"])``. The exit code
    is the command's: 0 ok, 1 a gate failed, 2 a usage or input error. The text goes to the
    process's stdout and stderr (in Jupyter, the kernel's log rather than the cell), exactly as
    the ``verdict`` binary prints it. The GIL is released while it runs.

    No signal handler is installed: an interrupt during the run is raised as
    ``KeyboardInterrupt`` once the run has returned.
    """
    if isinstance(args, (str, bytes)):
        raise TypeError(
            f"verdict.cli takes a list of arguments, not one string: got {args!r}; "
            f"expected e.g. {args.split()!r}"
        )
    argv = []
    for arg in args:
        text = os.fspath(arg) if isinstance(arg, (str, os.PathLike)) else None
        if not isinstance(text, str):
            raise TypeError(
                f"verdict.cli takes arguments as str or os.PathLike: got {arg!r} "
                f"({type(arg).__name__}); expected e.g. {str(arg)!r}"
            )
        argv.append(text)
    _flush_python_streams()
    return _native.run_cli(argv)


def main() -> NoReturn:
    """The ``verdict`` console script: ``verdict`` with ``sys.argv``, then exit with its code."""
    # This process is verdict's alone, as the binary's is: an interrupt cleans up, exits 130.
    _native.handle_interrupts()
    sys.exit(cli(sys.argv[1:]))
