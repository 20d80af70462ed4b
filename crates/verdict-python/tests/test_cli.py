"""part CLI: the wheel's ``verdict`` console script against the ``verdict`` binary.

The console script runs the same command line in-process (verdict-cli through the extension
module); these tests run both on the bundled samples and compare what they write, print and
exit with. Two runs of the binary on the same inputs write byte-identical report sets (no
clock time, and the input paths as given), so nothing is masked before comparing.

The binary is ``$VERDICT_BIN``, by default ``<repo>/target/debug/verdict`` (``cargo build``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

import verdict

REPO = Path(__file__).resolve().parents[3]
SAMPLES = ["basketball", "tickets"]
BINARY = Path(os.environ.get("VERDICT_BIN", REPO / "target" / "debug" / "verdict"))
SCRIPT = Path(sysconfig.get_path("scripts")) / ("verdict.exe" if os.name == "nt" else "verdict")

needs_binary = pytest.mark.skipif(
    not BINARY.is_file(),
    reason=f"no verdict binary at {BINARY}: run `cargo build` or set VERDICT_BIN",
)


def environment() -> dict[str, str]:
    # A GitHub Actions runner sets GITHUB_STEP_SUMMARY, which both would append to.
    return {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}


def run(program: Path, args: list[str], **kwargs) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(program), *args],
        cwd=REPO,
        env=environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=600,
        **kwargs,
    )


def files(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def both(args: list[str], out: Path | None = None):
    """Runs the binary, then the console script, with the same arguments from the repository
    root; with ``out``, each into that directory afresh. Returns both results and, with
    ``out``, the files each left there."""
    return [run_into(program, args, out) for program in (BINARY, SCRIPT)]


def run_into(program: Path, args: list[str], out: Path | None):
    """One run of ``program`` into ``out`` afresh: its result and the files it left there."""
    if out is not None and out.exists():
        shutil.rmtree(out)
    done = run(program, args)
    return done, files(out) if out is not None and out.exists() else {}


def assert_same(binary, script):
    (b, b_files), (s, s_files) = binary, script
    assert s.returncode == b.returncode, (s.stderr, b.stderr)
    assert s.stdout.decode() == b.stdout.decode()
    assert s.stderr.decode() == b.stderr.decode()
    assert sorted(s_files) == sorted(b_files)
    for name in b_files:
        assert s_files[name] == b_files[name], name


def test_the_console_script_is_installed():
    assert SCRIPT.is_file(), f"pip install put no verdict script in {SCRIPT.parent}"


@needs_binary
def test_two_runs_of_the_binary_write_the_same_files(tmp_path):
    # What the comparisons below rest on: a report set holds no clock time and no path but the
    # inputs' as given, so nothing needs masking.
    out = tmp_path / "out"
    first, second = (run_into(BINARY, ["score", "datasets/basketball", "--out", str(out)], out)
                     for _ in range(2))
    assert_same(first, second)


@needs_binary
@pytest.mark.parametrize("sample", SAMPLES)
def test_a_score_writes_the_same_reports_and_prints_the_same_text(sample, tmp_path):
    out = tmp_path / "out"
    binary, script = both(["score", f"datasets/{sample}", "--out", str(out)], out)
    assert binary[0].returncode == 0, binary[0].stderr
    assert "report.json" in binary[1] and "examples.jsonl" in binary[1]
    assert_same(binary, script)


@needs_binary
@pytest.mark.parametrize("sample", SAMPLES)
def test_a_failed_gate_exits_1_with_the_same_failure_lines(sample, tmp_path):
    out = tmp_path / "out"
    args = ["score", f"datasets/{sample}", "--gate", "exact_match>=0.99", "--quiet"]
    binary, script = both([*args, "--out", str(out)], out)
    assert binary[0].returncode == 1
    assert b"verdict: gate failed: exact_match" in binary[0].stderr
    assert_same(binary, script)


@needs_binary
@pytest.mark.parametrize(
    "args",
    [
        # A spec file that is not there: an input error naming it.
        ["score", "--spec", "datasets/nowhere/eval.toml", "--expected",
         "datasets/tickets/expected.jsonl", "--predictions", "datasets/tickets/predictions.jsonl"],
        # A gate on a metric the spec cannot produce: refused before scoring.
        ["score", "datasets/tickets", "--gate", "event_f1>=0.8"],
        # A rate threshold given as a percentage.
        ["score", "datasets/basketball", "--gate", "macro_f1>=75"],
        # clap's own usage errors.
        ["score", "datasets/tickets", "--no-such-flag"],
        ["frobnicate"],
        [],
    ],
    ids=["missing-spec", "impossible-gate", "percent-gate", "unknown-flag", "unknown-command", "no-command"],
)
def test_a_bad_input_exits_2_with_the_same_message(args, tmp_path):
    out = tmp_path / "out"
    binary, script = both([*args, "--out", str(out)] if args and args[0] == "score" else args, out)
    assert binary[0].returncode == 2
    assert binary[0].stderr, "an input error says what was wrong"
    assert_same(binary, script)


@needs_binary
@pytest.mark.parametrize("args", [["--version"], ["-V"]])
def test_the_version_is_the_binarys_and_the_packages(args):
    binary, script = both(args)
    assert_same(binary, script)
    assert script[0].stdout.decode() == f"verdict {verdict.__version__}\n"


@needs_binary
@pytest.mark.parametrize(
    "args", [["--help"], ["score", "--help"], ["compare", "-h"], ["help", "validate"]]
)
def test_help_is_the_binarys(args):
    binary, script = both(args)
    assert binary[0].returncode == 0
    assert b"Usage: verdict" in binary[0].stdout
    assert_same(binary, script)


@needs_binary
def test_python_dash_m_verdict_is_the_console_script(tmp_path):
    out = tmp_path / "out"
    args = ["score", "datasets/tickets", "--gate", "exact_match>=0.99", "--out", str(out)]
    binary = run_into(BINARY, args, out)
    shutil.rmtree(out)
    module = subprocess.run([sys.executable, "-m", "verdict", *args], cwd=REPO, env=environment(),
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    assert binary[0].returncode == 1
    assert_same(binary, (module, files(out)))


def python(code: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def test_python_output_buffered_before_a_run_comes_out_before_it():
    # stdout is a pipe here, so Python buffers "before" until it is flushed.
    done = python(
        "import verdict\n"
        "print('before')\n"
        "code = verdict.cli(['--version'])\n"
        "print('after', code)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"before\nverdict {verdict.__version__}\nafter 0\n"


def test_the_function_installs_no_signal_handler():
    # From a notebook or a script, an interrupt after a run is Python's KeyboardInterrupt, not
    # the command line's exit 130, which would end a notebook's kernel.
    done = python(
        "import os, signal, time, verdict\n"
        "assert verdict.cli(['--version']) == 0\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt')\n"
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "KeyboardInterrupt"), done


def test_an_interrupt_during_an_in_process_run_is_a_keyboard_interrupt_after_it(tmp_path):
    # The run is not cut short (only the console script's handler could do that): it writes
    # its reports, and Python raises KeyboardInterrupt as soon as it returns.
    out = tmp_path / "out"
    done = python(
        "import os, pathlib, signal, threading, time, verdict\n"
        f"out = pathlib.Path({str(out)!r})\n"
        "state = {}\n"
        "def interrupt():\n"
        "    while not (out / '.verdict-lock').exists():\n"
        "        time.sleep(0.0005)\n"
        "    state['during'] = 'returned' not in state\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "threading.Thread(target=interrupt, daemon=True).start()\n"
        "try:\n"
        "    verdict.cli(['score', 'datasets/basketball', '--bootstrap', '20000', '--quiet',\n"
        "                 '--out', str(out)])\n"
        "    state['returned'] = True\n"
        "    time.sleep(30)\n"
        "    print('no interrupt')\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt', state, (out / 'report.json').is_file())\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "KeyboardInterrupt {'during': True} True", done


def test_the_console_scripts_handler_exits_130():
    # What main() installs: the binary's handler, which ends the process with 130.
    done = python(
        "import os, signal, time\n"
        "from verdict import _native\n"
        "_native.handle_interrupts()\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "time.sleep(5)\n"
        "print('still running')\n"
    )
    assert done.returncode == 130, done
    assert "still running" not in done.stdout


def test_a_run_releases_the_gil(tmp_path):
    import threading

    codes = []
    worker = threading.Thread(
        target=lambda: codes.append(
            verdict.cli(
                ["score", str(REPO / "datasets/basketball"), "--bootstrap", "20000",
                 "--quiet", "--out", str(tmp_path / "out")]
            )
        )
    )
    ticks = 0
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.005)
    worker.join()
    assert codes == [0]
    # Holding the GIL for the whole run would have kept this thread from ticking at all.
    assert ticks >= 3, ticks


def test_one_string_is_refused_with_the_list_it_meant():
    with pytest.raises(TypeError, match=r"\['score', 'datasets/tickets'\]"):
        verdict.cli("score datasets/tickets")


def test_an_argument_that_is_not_text_is_refused_naming_it():
    with pytest.raises(TypeError, match=r"got 2000 \(int\); expected e.g. '2000'"):
        verdict.cli(["score", "datasets/tickets", "--bootstrap", 2000])


def test_path_arguments_are_taken(tmp_path):
    out = tmp_path / "out"
    code = verdict.cli(["score", REPO / "datasets" / "tickets", "--quiet", "--out", out])
    assert code == 0
    assert (out / "report.json").is_file()


#: The file a run holds its output directory's lock on, from its start to its end.
LOCK_FILE = ".verdict-lock"


def wait_for(path: Path, child: subprocess.Popen | None = None, seconds: float = 120) -> bool:
    """Whether ``path`` appeared within ``seconds`` (and while ``child`` ran)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if child is not None and child.poll() is not None:
            return False
        time.sleep(0.001)
    return False


def synth() -> Path:
    return BINARY.with_name("verdict-synth" + BINARY.suffix)


@needs_binary
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_console_script_keeps_the_previous_report_and_exits_130(sig, tmp_path):
    if not synth().is_file():
        pytest.skip(f"no verdict-synth beside {BINARY}: run `cargo build`")
    data = tmp_path / "data"
    subprocess.run([str(synth()), "--clips", "20000", "--seed", "11", "--out", str(data)],
                   check=True, capture_output=True)
    out = tmp_path / "out"
    previous = run(SCRIPT, ["score", "datasets/basketball", "--bootstrap", "0", "--quiet",
                            "--out", str(out)])
    assert previous.returncode == 0, previous.stderr
    before = files(out)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # 100,000 replicates of 20,000 examples keep even a release build busy long after the
    # signal.
    child = subprocess.Popen(
        [str(SCRIPT), "score", "--spec", "datasets/basketball/eval.toml",
         "--expected", str(data / "expected.jsonl"), "--predictions", str(data / "predictions.jsonl"),
         "--bootstrap", "100000", "--quiet", "--out", str(out)],
        cwd=REPO,
        env={**environment(), "TMPDIR": str(scratch)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # The run holds the directory's lock from its start to its end: once it is there, the
    # signal comes well into reading and scoring.
    assert wait_for(out / LOCK_FILE, child), "the run never started"
    time.sleep(1.0)
    child.send_signal(sig)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    # stderr is a pipe and the run quiet: no bar, so no "interrupted" line either.
    assert stderr == b""
    assert files(out) == before, "the previous report is byte-identical"
    assert list(scratch.iterdir()) == [], "no scratch file is left behind"


@pytest.mark.skipif(shutil.which("script") is None, reason="no util-linux `script` for a terminal")
def test_on_a_terminal_the_console_script_draws_bars_and_says_what_an_interrupt_kept(tmp_path):
    if not synth().is_file():
        pytest.skip(f"no verdict-synth beside {BINARY}: run `cargo build`")
    data = tmp_path / "data"
    subprocess.run([str(synth()), "--clips", "20000", "--seed", "12", "--out", str(data)],
                   check=True, capture_output=True)
    out = tmp_path / "out"
    score = (
        f"{SCRIPT} score --spec datasets/basketball/eval.toml --expected {data}/expected.jsonl "
        f"--predictions {data}/predictions.jsonl --bootstrap 100000 --out {out}"
    )
    # The shell interrupts the run, as Ctrl-C would, a second after it took its directory.
    shell = (
        f"{score} & pid=$!; "
        f"while [ ! -e {out}/{LOCK_FILE} ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done; "
        "sleep 1; "
        "kill -INT $pid; wait $pid; echo exit=$?"
    )
    done = subprocess.run(["script", "-qec", shell, "/dev/null"], cwd=REPO, env=environment(),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    screen = done.stdout.decode(errors="replace")
    assert "exit=130" in screen, screen
    assert " ETA " in screen, screen
    assert "\x1b[2Kverdict: interrupted: previous reports kept" in screen, screen
    assert not (out / "report.json").exists()
