"""The store keeps what was ingested through a crash, and keeps it once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import exported_records, run
from extract.checks.compare import compare_records

REPO = Path(__file__).resolve().parents[1]


def stored_sources(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute("SELECT COUNT(*) FROM sources WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # the schema is not written yet


def test_a_killed_ingest_then_a_rerun_yields_every_form_exactly_once(synthetic_eval, tmp_path):
    folder, truth = synthetic_eval
    files = len(list(folder.glob("*.pdf")))
    db = tmp_path / "store.db"
    command = [sys.executable, "-m", "review.cli", "--db", str(db), "ingest", "--workers", "1", str(folder)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 120
    while stored_sources(db) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before_rerun = stored_sources(db)
    assert 3 <= done_before_rerun < files, "the kill did not land mid-batch"

    assert run("--db", db, "ingest", "--workers", "1", folder) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert len(records) == len(truth)
    assert len({r["form_id"] for r in records}) == len(truth)
    assert compare_records(truth, records).accuracy >= 0.999
