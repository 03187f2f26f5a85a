"""Nothing lost: whatever fails in one file fails that file alone, on real
damaged files in a batch with good ones; two ingests side by side store
every form once; worker processes die with their parent."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from conftest import exported_records, run
from corpus.build import render_with_truth
from corpus.synth import generate_forms
from extract.pipeline import file_job
from extract.model import Finding
from extract.store import Store, process_identity
from extract.checks.validate import PAGE_UNREADABLE, unreadable_page_findings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "sample"
GOOD_PDF = SAMPLE / "synthetic_dev_0001.pdf"          # 6 forms on 5 text pages
SCAN = SAMPLE / "scanned_dev_forms.tiff"              # 2 frames: form 1 on page 1, form 2 on pages 1–2
SELFEVAL = [sys.executable, "-m", "review.cli"]


def tiff_directories(data: bytes) -> list[int]:
    """Offsets of a little-endian TIFF's frame directories, in order."""
    offsets, offset = [], struct.unpack("<I", data[4:8])[0]
    while offset:
        offsets.append(offset)
        entries = struct.unpack("<H", data[offset:offset + 2])[0]
        offset = struct.unpack("<I", data[offset + 2 + 12 * entries:offset + 6 + 12 * entries])[0]
    return offsets


def cut_tiff(out: Path) -> Path:
    """The two-page scan cut off inside its second frame (its directory lost)."""
    data = SCAN.read_bytes()
    first, second = tiff_directories(data)
    assert first < second
    out.write_bytes(data[:(first + second) // 2])
    return out


def tiff_with_damaged_second_frame(out: Path) -> Path:
    """The two-page scan whose second frame's strips point past the file's end."""
    data = bytearray(SCAN.read_bytes())
    second = tiff_directories(bytes(data))[1]
    entries = struct.unpack("<H", data[second:second + 2])[0]
    for i in range(entries):
        tag, _, count, value = struct.unpack("<HHII", data[second + 2 + 12 * i:second + 14 + 12 * i])
        if tag == 273:  # StripOffsets
            for k in range(count):
                struct.pack_into("<I", data, value + 4 * k, 10**8 + k)
    out.write_bytes(bytes(data))
    return out


@pytest.fixture(scope="module")
def damaged_batch(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("damaged")
    cut_tiff(folder / "a_cut.tiff")
    Image.new("1", (20000, 20000), 1).save(folder / "b_oversize.png")   # 400 MP, a few kB on disk
    huge = FPDF(format=(5000, 5000))                                    # a blank 5 m × 5 m page
    huge.add_page()
    huge.output(str(folder / "c_huge_page.pdf"))
    tiff_with_damaged_second_frame(folder / "d_damaged_frame.tiff")
    (folder / "z_good.pdf").write_bytes(GOOD_PDF.read_bytes())
    return folder


def sources(db: Path) -> dict[str, tuple[str, list[int]]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT file, status, failed_pages FROM sources").fetchall()
    return {file: (status, [p["page"] for p in json.loads(pages or "[]")]) for file, status, pages in rows}


def test_a_batch_of_damaged_files_keeps_every_good_page_and_says_what_failed(damaged_batch, tmp_path, capsys):
    db = tmp_path / "store.db"
    code = run("--db", db, "ingest", "--workers", "1", "--no-progress", damaged_batch)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "5 files: 3 ok, 2 failed, 0 skipped" in err and "2 pages failed" in err
    lines = {name: [line for line in err.splitlines() if name in line][0] for name in
             ("a_cut.tiff", "b_oversize.png", "c_huge_page.pdf", "d_damaged_frame.tiff", "z_good.pdf")}
    assert lines["a_cut.tiff"].startswith("ok") and "page 2: not a readable image" in lines["a_cut.tiff"]
    assert lines["d_damaged_frame.tiff"].startswith("ok") and "page 2:" in lines["d_damaged_frame.tiff"]
    assert lines["b_oversize.png"].startswith("failed")
    assert "20000×20000 px" in lines["b_oversize.png"] and "limit of 80 MP" in lines["b_oversize.png"]
    assert lines["c_huge_page.pdf"].startswith("failed")
    assert "at 200 dpi" in lines["c_huge_page.pdf"] and "limit of 80 MP" in lines["c_huge_page.pdf"]
    assert lines["z_good.pdf"].startswith("ok      ") and ": 6 forms, 5 pages" in lines["z_good.pdf"]

    stored = sources(db)
    assert stored["a_cut.tiff"] == ("partial", [2]) and stored["d_damaged_frame.tiff"] == ("partial", [2])
    assert stored["b_oversize.png"][0] == stored["c_huge_page.pdf"][0] == "failed"
    records = exported_records(db, tmp_path / "out.jsonl")
    by_file: dict[str, list[dict]] = {}
    for record in records:
        by_file.setdefault(record["source"]["file"], []).append(record)
    assert len(by_file["z_good.pdf"]) == 6
    # The cut file keeps both forms of its intact first frame; the one that
    # runs on to the lost page is flagged, and all its fields go to review.
    for name in ("a_cut.tiff", "d_damaged_frame.tiff"):
        first, second = by_file[name]
        assert first["project_name"] and not any(f["rule"] == PAGE_UNREADABLE for f in first["_meta"]["findings"])
        (finding,) = [f for f in second["_meta"]["findings"] if f["rule"] == PAGE_UNREADABLE]
        assert finding["found"] == 2 and "page 2 could not be read" in finding["message"]
        statuses = {path: meta["status"] for path, meta in second["_meta"]["fields"].items()
                    if not path.startswith("source.") and path not in ("schema_version", "form_id")}
        assert statuses and set(statuses.values()) == {"pending"}

    # A rerun retries what failed, says so, and stores nothing twice.
    code = run("--db", db, "ingest", "--workers", "1", "--no-progress", damaged_batch)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "5 files: 2 ok, 2 failed, 1 skipped" in err
    for name, before in (("a_cut.tiff", "1 pages failed before"), ("b_oversize.png", "it failed before: "),
                         ("d_damaged_frame.tiff", "1 pages failed before")):
        assert f"retried ({before}" in [line for line in err.splitlines() if name in line][0], name
    again = exported_records(db, tmp_path / "again.jsonl")
    assert sorted(r["form_id"] for r in again) == sorted(r["form_id"] for r in records)


def test_a_failure_in_any_later_stage_fails_that_file_alone(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("a_parse_bug.pdf", "b_store_bug.pdf", "c_good.pdf"):
        # distinct bytes, so that each is a file of its own to the store
        (folder / name).write_bytes(GOOD_PDF.read_bytes() + f"\n% {name}\n".encode())
    real_extract, real_save = file_job.extract_forms, Store.save_source

    def extract_forms(document, *args):
        if document.path.endswith("a_parse_bug.pdf"):
            raise KeyError("a stage's bug")
        return real_extract(document, *args)

    def save_source(self, sha256, path, *args, **kwargs):
        if path.endswith("b_store_bug.pdf"):
            raise sqlite3.OperationalError("disk I/O error")
        return real_save(self, sha256, path, *args, **kwargs)

    monkeypatch.setattr(file_job, "extract_forms", extract_forms)
    monkeypatch.setattr(Store, "save_source", save_source)
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", "--no-progress", folder) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "3 files: 1 ok, 2 failed, 0 skipped" in err
    assert "a_parse_bug.pdf: KeyError: \"a stage's bug\" (run with -v for the traceback)" in err
    assert "b_store_bug.pdf: OperationalError: disk I/O error" in err
    assert sources(db)["a_parse_bug.pdf"][0] == sources(db)["b_store_bug.pdf"][0] == "failed"
    assert len(exported_records(db, tmp_path / "out.jsonl")) == 6

    monkeypatch.setattr(file_job, "extract_forms", real_extract)
    monkeypatch.setattr(Store, "save_source", real_save)
    assert run("--db", db, "ingest", "--workers", "1", "--no-progress", folder) == 0
    err = capsys.readouterr().err
    assert "retried (it failed before: KeyError" in err and "3 files: 2 ok, 0 failed, 1 skipped" in err
    assert len(exported_records(db, tmp_path / "out.jsonl")) == 18


def test_unreadable_page_findings_name_the_forms_around_the_page():
    records = [{"source": {"pages": pages}, "project_name": "p", "indicators": []}
               for pages in ([1], [1, 2], [4], [4, 5], [5])]
    found = unreadable_page_findings(records, {3: "damaged"})
    assert [bool(f) for f in found] == [False, True, True, False, False]
    (finding,) = found[1]
    assert isinstance(finding, Finding) and finding.rule == PAGE_UNREADABLE and finding.found == 3
    assert "project_name" in finding.fields and not any(p.startswith("source.") for p in finding.fields)
    assert [bool(f) for f in unreadable_page_findings(records, {6: "cut"})] == [False, False, False, False, True]


# ------------------------------------------------------------------ side by side


def test_two_ingests_side_by_side_store_every_form_once(tmp_path):
    records = generate_forms("eval", 12)
    files = [tmp_path / f"two_forms_{i}.pdf" for i in range(6)]
    for i, path in enumerate(files):
        render_with_truth(records[2 * i:2 * i + 2], path)
    db = tmp_path / "store.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(SELFEVAL + ["--db", str(db), "ingest", "--workers", "1", "--no-progress",
                                         *map(str, files[:5])], stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    second = subprocess.Popen(SELFEVAL + ["--db", str(db), "ingest", "--workers", "1", "--no-progress",
                                          *map(str, reversed(files[1:]))], stderr=subprocess.PIPE, text=True,
                              env=env, cwd=ROOT)
    errors = [first.communicate(timeout=600)[1], second.communicate(timeout=600)[1]]
    assert (first.returncode, second.returncode) == (0, 0), errors
    assert not any("Traceback" in err for err in errors)
    skipped = [line for err in errors for line in err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 4, errors  # the four files both were given: each stored by one of them
    assert all("already ingested" in line or "being ingested by another process" in line for line in skipped)
    records = exported_records(db, tmp_path / "out.jsonl")
    ids = [r["form_id"] for r in records]
    assert len(ids) == len(set(ids)) == 12


CLAIMER = """
import sys, time
from extract.store import Store
store = Store(sys.argv[1])
print(store.claim("f" * 64, "/x.pdf").state, flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_claim_is_held_while_its_process_lives_and_taken_over_when_it_dies(tmp_path):
    db = tmp_path / "store.db"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", CLAIMER, str(db), "600"], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "claimed"
        with Store(db) as store:
            busy = store.claim("f" * 64, "/x.pdf")
            assert busy.state == "busy" and busy.holder.split(":")[1] == str(holder.pid)
            holder.send_signal(signal.SIGKILL)   # dies holding its claim
            holder.wait(timeout=30)
            taken = store.claim("f" * 64, "/x.pdf")
            assert taken.state == "claimed"
            row = store.db.execute("SELECT holder FROM claims").fetchone()
            assert row == (process_identity(),)
            store.release("f" * 64)
            assert store.db.execute("SELECT COUNT(*) FROM claims").fetchone() == (0,)
    finally:
        holder.kill()


def test_an_old_store_is_migrated_to_record_partial_files(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.executescript("""
            CREATE TABLE sources (seq INTEGER PRIMARY KEY AUTOINCREMENT, sha256 TEXT NOT NULL UNIQUE,
                file TEXT NOT NULL, path TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
                pages INTEGER, forms INTEGER, error TEXT, ingested_at TEXT NOT NULL);
            CREATE TABLE forms (form_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL REFERENCES sources(sha256),
                position INTEGER NOT NULL, record TEXT NOT NULL, UNIQUE (sha256, position));
            INSERT INTO sources (sha256, file, path, status, pages, forms, ingested_at)
                VALUES ('abc', 'a.pdf', '/a.pdf', 'done', 1, 1, '2025-01-01');
            INSERT INTO forms VALUES ('abc-1', 'abc', 1, '{}');
        """)
    with Store(db) as store:
        assert store.source("abc").status == "done"
        store.db.execute("INSERT INTO sources (sha256, file, path, status, ingested_at, failed_pages)"
                         " VALUES ('def', 'b.tiff', '/b.tiff', 'partial', '2025-01-02', '[{\"page\": 2, \"error\": \"x\"}]')")
        assert store.source("def").failed_pages == (2,)
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.db.execute("SELECT form_id FROM forms").fetchall() == [("abc-1",)]


# ------------------------------------------------------------------ workers


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with open(task / "children") as handle:
            found |= {int(p) for p in handle.read().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _start_scan_ingest(tmp_path: Path) -> tuple[subprocess.Popen, set[int]]:
    """`selfeval ingest --workers 2` on a scan, once its two workers are busy.

    Ctrl-C's default action is given back to the child: a shell that runs the
    suite in the background (`cmd &`) ignores SIGINT for it, the ignoring is
    inherited, and Python then installs no KeyboardInterrupt, so the ingest
    would run to its end (exit 0) under a test that sends Ctrl-C.

    Six copies of the scan, each with a byte of its own after the image (so a
    file of its own to the store): two pages at OCR speed end within the
    seconds the test waits for the workers, and a signal to a finished
    ingest tests nothing."""
    folder = tmp_path / "scans"
    folder.mkdir()
    for copy in range(6):
        (folder / f"scan_{copy}.tiff").write_bytes(SCAN.read_bytes() + bytes([copy]))
    process = subprocess.Popen(SELFEVAL + ["--db", str(tmp_path / "store.db"), "ingest", "--workers", "2",
                                           "--no-progress", str(folder)], stderr=subprocess.PIPE, text=True,
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = {pid for pid in _children(process.pid) if "spawn_main" in
                   Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")}
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(1)  # into their pages
    return process, workers


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    return {p for p in pids if _alive(p)}


def test_workers_die_when_their_parent_is_killed(tmp_path):
    process, workers = _start_scan_ingest(tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    left = _wait_gone(workers, 15)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "worker processes outlived their killed parent"


def test_ctrl_c_stops_the_workers_without_a_traceback(tmp_path):
    process, workers = _start_scan_ingest(tmp_path)
    os.killpg(process.pid, signal.SIGINT)   # what a terminal's Ctrl-C sends: the whole process group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "interrupted" in err
    assert not _wait_gone(workers, 15)
