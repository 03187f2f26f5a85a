"""`selfeval ingest --scheduler`: the file jobs on a real Dask cluster.

A scheduler and two worker processes, bound to 127.0.0.1 as an operator
starts them by hand (`dask scheduler`, `dask worker`); one worker is killed
with SIGKILL while it runs a job, and the scheduler runs its jobs again on
the other.  The store, written by the client alone, must then hold every
form once, as a local run reads them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import exported_records, run

distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install 'selfeval[cluster]'")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "sample"
DASK = Path(sys.executable).parent / "dask"
SELFEVAL = [sys.executable, "-m", "review.cli"]


def _batch(folder: Path) -> int:
    """Three scans and two text PDFs, each a file of its own (a byte after its
    end), and the 19-page seed PDF, whose pages are spread: 37 forms."""
    folder.mkdir()
    scan, text = (SAMPLE / "scanned_dev_forms.tiff").read_bytes(), (SAMPLE / "synthetic_dev_0001.pdf").read_bytes()
    for copy in range(3):
        (folder / f"scan_{copy}.tiff").write_bytes(scan + bytes([copy]))
    for copy in range(2):
        (folder / f"text_{copy}.pdf").write_bytes(text + f"\n% copy {copy}\n".encode())
    shutil.copy(SAMPLE / "seed_forms.pdf", folder / "seed_forms.pdf")
    return 3 * 2 + 2 * 6 + 19


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)


def _wait_for(what: str, test, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = test()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded worker processes on loopback (no nanny:
    a killed worker stays dead)."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = [_start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                         "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log")]
    try:
        _wait_for("the scheduler did not start", lambda: scheduler_file.exists() and scheduler_file.stat().st_size,
                  60)
        address = json.loads(scheduler_file.read_text())["address"]
        for name in ("a", "b"):
            processes.append(_start([str(DASK), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                     "--no-nanny", "--no-dashboard", "--name", name], tmp_path / f"worker_{name}.log"))
        client = distributed.Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=120)
        yield address, client
        client.close()
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _comparable(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda record: record["form_id"])


def test_a_batch_on_a_cluster_survives_a_killed_worker_and_stores_each_form_once(tmp_path, cluster):
    address, client = cluster
    folder = tmp_path / "batch"
    forms = _batch(folder)
    assert run("--db", tmp_path / "local.db", "ingest", "--workers", "1", "--no-progress", folder) == 0
    local = exported_records(tmp_path / "local.db", tmp_path / "local.jsonl")
    assert len(local) == forms

    pids = client.run(os.getpid)                      # worker address → its process
    ingest = subprocess.Popen(SELFEVAL + ["--db", str(tmp_path / "cluster.db"), "ingest", "--no-progress",
                                          "--scheduler", address, str(folder)],
                              stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        # mid-batch: a worker is running one of the file's jobs when it is killed
        victim = _wait_for("no worker took a job", lambda: next(
            (worker for worker, keys in client.processing().items() if keys), None), 120)
        os.kill(pids[victim], signal.SIGKILL)
        _, err = ingest.communicate(timeout=600)
    finally:
        if ingest.poll() is None:
            ingest.kill()
    assert ingest.returncode == 0, err
    assert f"6 files: 6 ok, 0 failed, 0 skipped; {forms} forms" in err, err
    _wait_for("the scheduler still counts the killed worker", lambda: len(client.scheduler_info()["workers"]) == 1, 30)

    stored = exported_records(tmp_path / "cluster.db", tmp_path / "cluster.jsonl")
    assert len({record["form_id"] for record in stored}) == len(stored) == forms
    assert _comparable(stored) == _comparable(local)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import extract.pipeline.workers

    monkeypatch.setattr(extract.pipeline.workers, "CLUSTER_CONNECT_SECONDS", 2)
    code = run("--db", tmp_path / "store.db", "ingest", "--scheduler", "tcp://127.0.0.1:9", SAMPLE / "seed_forms.pdf")
    err = capsys.readouterr().err
    assert code == 7, err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "Traceback" not in err
