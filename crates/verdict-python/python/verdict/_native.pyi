"""Type stubs of the extension module. The public API is re-exported by ``verdict``."""

__version__: str

class VerdictError(Exception):
    file: str | None
    line: int | None
    exit_code: int

# part CLI: the command line, in-process (verdict._cli).

def run_cli(args: list[str]) -> int:
    """Run ``verdict ARGS...`` (the arguments after the program name) in this process with the
    GIL released; returns its exit code. Installs no signal handler."""

def handle_interrupts() -> None:
    """Install the ``verdict`` binary's process-wide SIGINT/SIGTERM/SIGHUP handler (clean up,
    exit 130). For the console script only, which owns its process."""
