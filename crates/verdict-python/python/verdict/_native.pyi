"""Type stubs of the extension module. The public API is re-exported by ``verdict``."""

__version__: str

class VerdictError(Exception):
    file: str | None
    line: int | None
    exit_code: int
