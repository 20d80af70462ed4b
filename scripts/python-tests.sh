#!/usr/bin/env bash
# The Python package's tests, as CI runs them after `cargo test` (and as anyone can run them
# alone): a virtualenv with the test tools, the package built and installed from
# crates/verdict-python the way a user's `pip install` builds it (a release build), with the
# dependencies Cargo.lock pins, the `verdict` binary the comparison tests run beside the
# package's console script, then pytest.
#
#   scripts/python-tests.sh [PYTEST ARGS...]
#
# PYTHON picks the interpreter (default python3); VERDICT_VENV the virtualenv (default
# target/python-venv, reused across runs); VERDICT_BIN the binary the package is compared with
# (default: the one this script builds).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
target=${CARGO_TARGET_DIR:-target}
venv=${VERDICT_VENV:-$target/python-venv}

"$python" -m venv "$venv"
venv=$(cd "$venv" && pwd)
# As an activated virtualenv: maturin's build backend runs the `maturin` it finds on PATH.
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check maturin pytest pandas polars

# The comparison tests run target/debug/verdict (VERDICT_BIN) and, for the interrupt test,
# target/debug/verdict-synth beside it.
cargo build --locked --bins
# The venv's maturin builds it (no isolated build environment to fetch another into), with
# `cargo --locked` as every cargo command of CI. Not `locked = true` in pyproject.toml: the
# source distribution's trimmed workspace does not match the lock file, and would not build.
MATURIN_PEP517_ARGS="--locked ${MATURIN_PEP517_ARGS:-}" \
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-build-isolation \
  --force-reinstall --no-deps ./crates/verdict-python

# pytest prints its own pass/fail line; no test collected (exit 5) fails the run.
VERDICT_BIN=${VERDICT_BIN:-$(cd "$target" && pwd)/debug/verdict} \
  "$venv/bin/python" -m pytest crates/verdict-python/tests "$@"
