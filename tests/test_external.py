"""External programs: the runner on real programs (sh, cat, sleep), and the
Tesseract engine through it, against the real `tesseract` and against a
fake one that hangs when asked to read (a shell script on disk, run as the
real one is: no mocks of the runner)."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from corpus.build import load_gold, render_with_truth
from corpus.degrade import write_scan
from extract.errors import MissingDependency
from extract.external import ProgramFailed, ProgramMissing, ProgramTimedOut, run_program
from extract.scan.engines import get_engine
from extract.scan.grid import find_grid
from extract.scan.tesseract import TesseractEngine, TesseractSettings
from extract.sources.raster import load_image_page

TIMEOUT = 1.5
# How much longer than its timeout a hung call may take to be ended (a loaded machine).
SLACK = 3.0


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def gone(pids: list[int], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def recorded_pids(record: Path) -> list[int]:
    return [int(word) for line in record.read_text().splitlines() for word in line.split()[:2]]


# ------------------------------------------------------------------ the runner

def test_stdin_goes_in_and_stdout_comes_back():
    result = run_program(["cat"], timeout=10, stdin="表格 in\n".encode())
    assert result.stdout == "表格 in\n".encode() and result.returncode == 0
    assert os.path.isabs(result.argv[0]) and result.seconds < 10


def test_the_environment_overlay_is_the_childs_alone():
    assert "SELFEVAL_TEST_OVERLAY" not in os.environ
    result = run_program(["sh", "-c", 'printf %s "$SELFEVAL_TEST_OVERLAY"'], timeout=10,
                         env={"SELFEVAL_TEST_OVERLAY": "42"})
    assert result.stdout == b"42"
    assert "SELFEVAL_TEST_OVERLAY" not in os.environ


def test_the_command_line_is_logged_at_debug(caplog):
    with caplog.at_level(logging.DEBUG, logger="selfeval.external"):
        run_program(["sh", "-c", "exit 0"], timeout=10, env={"OMP_THREAD_LIMIT": "1"})
    logged = [r.getMessage() for r in caplog.records if r.name == "selfeval.external"]
    assert any("OMP_THREAD_LIMIT=1 sh -c 'exit 0'" in m and "timeout 10 s" in m for m in logged), logged


def test_a_missing_program_names_its_install_command():
    with pytest.raises(ProgramMissing) as caught:
        run_program(["selfeval-no-such-program", "--version"], timeout=10, install_hint="apt-get install it")
    assert isinstance(caught.value, MissingDependency) and caught.value.exit_code == 4
    assert "selfeval-no-such-program" in caught.value.message
    assert "apt-get install it" in caught.value.message


def test_a_failing_program_gives_its_exit_code_and_the_end_of_its_stderr():
    script = "for i in 1 2 3 4 5 6 7; do echo problem $i >&2; done; exit 3"
    with pytest.raises(ProgramFailed) as caught:
        run_program(["sh", "-c", script], timeout=10)
    assert caught.value.returncode == 3
    assert caught.value.message == "sh exited with code 3: problem 3 | problem 4 | problem 5 | problem 6 | problem 7"


def test_a_hung_program_and_its_children_are_killed_at_the_timeout(tmp_path):
    record = tmp_path / "pids"
    script = f'sleep 1000 & echo "$$ $!" > {record}; wait'
    start = time.monotonic()
    with pytest.raises(ProgramTimedOut) as caught:
        run_program(["sh", "-c", script], timeout=TIMEOUT, timeout_fix="give it more time")
    took = time.monotonic() - start
    assert TIMEOUT <= took < TIMEOUT + SLACK
    assert caught.value.message == f"sh did not finish within {TIMEOUT:g} s and was stopped; give it more time"
    pids = recorded_pids(record)
    assert len(pids) == 2 and gone(pids)            # the shell and the sleep it started


def test_a_program_dies_with_the_process_that_runs_it(tmp_path):
    """A worker killed mid-page (SIGKILL, no clean-up) leaves no program running."""
    import signal
    import subprocess
    import sys

    record = tmp_path / "pid"
    runner = subprocess.Popen([sys.executable, "-c", (
        "from extract.external import run_program\n"
        f"run_program(['sh', '-c', 'echo $$ > {record}; exec sleep 1000'], timeout=600)\n")])
    try:
        deadline = time.monotonic() + 30
        while not (record.exists() and record.read_text().strip()):
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.05)
        pid = int(record.read_text())
        assert alive(pid)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        assert gone([pid])
    finally:
        if runner.poll() is None:
            runner.kill()


def test_a_timeout_must_be_given_and_positive():
    for timeout in (0, -1, None, True):
        with pytest.raises(ValueError, match="timeout"):
            run_program(["true"], timeout=timeout)   # type: ignore[arg-type]


# --------------------------------------------------------- Tesseract, real and fake

@pytest.fixture(scope="module")
def png_page(tmp_path_factory):
    """A one-page form scanned lightly to a 200 dpi PNG, as a page image."""
    folder = tmp_path_factory.mktemp("external")
    text_pdf = folder / "one.pdf"
    render_with_truth([load_gold()[4]], text_pdf)
    png = write_scan(text_pdf, folder / "one.png", 200, "light", seed=2, fmt="png")[0]
    return Path(png), load_image_page(str(png), 1, 100_000_000)


@pytest.fixture(scope="module")
def grid(png_page):
    return find_grid(png_page[1].pixels)


def fake_tesseract(folder: Path, langs: str = "chi_sim eng osd") -> tuple[Path, Path]:
    """A `tesseract` that answers --version and --list-langs as the real one
    does and, asked to read an image, starts a child and sleeps forever.
    Returns the program and the file where each read records "pid child-pid
    OMP_THREAD_LIMIT"."""
    folder.mkdir(exist_ok=True)
    program, record = folder / "tesseract", folder / "reads"
    listed = "".join(f"echo {lang}; " for lang in langs.split())
    program.write_text(f"""#!/bin/sh
case "$1" in
  --version) echo "tesseract 5.3.0"; echo " leptonica-1.82.0"; exit 0 ;;
  --list-langs) echo 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):'; {listed}exit 0 ;;
esac
sleep 1000 &
echo "$$ $! $OMP_THREAD_LIMIT" >> {record}
wait
""")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, record


def test_a_hung_tesseract_is_ended_by_its_timeout(tmp_path, grid):
    program, record = fake_tesseract(tmp_path / "bin")
    omp_before = os.environ.get("OMP_THREAD_LIMIT")
    engine = TesseractEngine(TesseractSettings(command=str(program), timeout=TIMEOUT))
    boxes = [box for cells in grid.tables for box in cells]
    start = time.monotonic()
    with pytest.raises(ProgramTimedOut) as caught:
        engine.read_cells(grid.image, boxes)
    took = time.monotonic() - start
    assert caught.value.program == "tesseract" and caught.value.timeout == TIMEOUT
    assert f"tesseract did not finish within {TIMEOUT:g} s" in caught.value.message
    assert "TesseractSettings.timeout" in caught.value.message       # the fix
    assert TIMEOUT <= took < TIMEOUT + SLACK + 2.0                   # + cutting the cells into strips
    lines = record.read_text().splitlines()
    assert len(lines) == 1 and lines[0].split()[2] == "1"            # one call, on one OpenMP thread
    assert gone(recorded_pids(record))                               # no orphan left
    assert os.environ.get("OMP_THREAD_LIMIT") == omp_before          # ours is untouched


def test_a_hung_tesseract_fails_its_page_alone(tmp_path, png_page, monkeypatch):
    try:
        from extract.pipeline.jobs import PageJob, run_page_job
        from extract.pipeline.settings import OcrSettings
    except ImportError:  # before the pipeline was split up
        from extract.pipeline.ingest import OcrSettings, PageJob, run_page_job
    program, record = fake_tesseract(tmp_path / "bin")
    monkeypatch.setenv("SELFEVAL_TESSERACT", str(program))
    monkeypatch.setenv("SELFEVAL_TESSERACT_TIMEOUT", str(TIMEOUT))
    path, _ = png_page
    start = time.monotonic()
    outcome = run_page_job(PageJob(str(path), 1, True, OcrSettings(engine="tesseract")))
    assert outcome.page is None and outcome.number == 1
    assert f"tesseract did not finish within {TIMEOUT:g} s and was stopped" in outcome.error
    assert time.monotonic() - start < TIMEOUT + SLACK + 10.0        # the grid and strips, then the timeout
    assert gone(recorded_pids(record))


def test_tesseract_without_the_language_is_reported(tmp_path):
    program, _ = fake_tesseract(tmp_path / "bin", langs="eng osd")
    with pytest.raises(MissingDependency, match="no chi_sim language data.*tesseract-ocr-chi-sim"):
        TesseractEngine(TesseractSettings(command=str(program)))


def test_a_missing_tesseract_in_the_environment_is_reported(monkeypatch):
    monkeypatch.setenv("SELFEVAL_TESSERACT", "/nonexistent/tesseract")
    with pytest.raises(ProgramMissing, match="apt-get install tesseract-ocr tesseract-ocr-chi-sim"):
        get_engine("tesseract")


def test_a_bad_timeout_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("SELFEVAL_TESSERACT_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SELFEVAL_TESSERACT_TIMEOUT must be a number of seconds"):
        get_engine("tesseract")


def test_the_real_tesseract_reads_the_page_through_the_runner(grid, caplog):
    """The installed tesseract: one logged call per page, its thread limit in
    the command's environment, the page's text read well within the timeout."""
    engine = get_engine("tesseract")
    boxes = [box for cells in grid.tables for box in cells]
    with caplog.at_level(logging.DEBUG, logger="selfeval"):
        read = engine.read_cells(grid.image, boxes)
    runs = [r.getMessage() for r in caplog.records if r.name == "selfeval.external" and "run (" in r.getMessage()]
    assert len(runs) == 1
    assert "timeout 120 s): OMP_THREAD_LIMIT=1 " in runs[0] and " stdout -l chi_sim " in runs[0]
    assert any(r.name == "selfeval.ocr" and "line height" in r.getMessage() for r in caplog.records)
    text = "".join(line.text for lines in read for line in lines)
    assert "项目名称" in text and len(read) == len(boxes)
