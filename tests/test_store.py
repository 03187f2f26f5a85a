"""The store keeps what was ingested through a crash, and keeps it once; review keeps its
state in its own tables of the same file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import exported_records, run
from extract.checks.compare import compare_records
from extract.model import dumps_record, empty_record
from extract.store import Store
from review.store import AppliedReview, FieldChange, ReviewStore

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


# ---------------------------------------------------------------- review's tables, on the ingest store

SERVER = "http://127.0.0.1:8080"


def _partial_source_with_a_form(store: Store, sha256: str) -> str:
    """A file stored as partial (page 2 unreadable) with one form and one pending field."""
    record = empty_record()
    record.update(form_id=f"{sha256[:12]}-1", year=2023)
    store.db.execute("INSERT INTO sources (sha256, file, path, status, ingested_at, failed_pages)"
                     " VALUES (?, 'a.pdf', '/a.pdf', 'partial', '2024-01-01T00:00:00+00:00', ?)",
                     (sha256, json.dumps([{"page": 2, "error": "unreadable"}])))
    store.db.execute("INSERT INTO forms (form_id, sha256, position, record) VALUES (?, ?, 1, ?)",
                     (record["form_id"], sha256, dumps_record(record)))
    store.db.execute("INSERT INTO fields (form_id, path, value, original, status) VALUES (?, 'year', '2023', '2023',"
                     " 'pending')", (record["form_id"],))
    return record["form_id"]


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_review_adds_its_tables_to_an_ingest_store_and_finds_them_again(tmp_path):
    db = tmp_path / "store.db"
    Store(db).close()
    assert {"sources", "forms", "fields", "findings"} <= _tables(db)
    assert not {"review_projects", "review_tasks", "audit"} & _tables(db)  # ingest knows nothing of review
    with ReviewStore.open(db, must_exist=True) as reviews:
        assert reviews.path == str(db) and reviews.db is reviews.store.db
        reviews.save_review_project(SERVER, "batch 1", 3)
    assert {"review_projects", "review_tasks", "audit"} <= _tables(db)
    with Store(db) as store:  # a store already holding review's tables, as every store before the split did
        reviews = ReviewStore(store)
        assert reviews.review_projects(SERVER) == {"batch 1": 3}
        reviews.close()  # leaves the store it was given open
        assert store.counts()["forms"] == 0


def test_a_partial_file_whose_form_is_in_review_is_not_read_again(tmp_path):
    sha256 = "a" * 64
    with Store(tmp_path / "store.db") as store:
        form_id = _partial_source_with_a_form(store, sha256)
        assert store.claim(sha256, "/a.pdf").state == "claimed"  # nothing in review: read it again
        store.release(sha256)

        reviews = ReviewStore(store)
        reviews.save_review_project(SERVER, "", 1)
        reviews.save_task(SERVER, 1, 7, form_id, ["year"])
        assert [f.path for f in store.fields(form_id, "in_review")] == ["year"]
        claim = store.claim(sha256, "/a.pdf")
        assert (claim.state, claim.reason) == ("done", "its forms are in review, so it is not read again")

        assert reviews.forget_review_project(SERVER, "") == 1  # the project was deleted: back to pending
        assert store.claim(sha256, "/a.pdf").state == "claimed"
        store.release(sha256)

        reviews.save_task(SERVER, 2, 8, form_id, ["year"])
        (task,) = reviews.open_tasks(SERVER)
        record = reviews.form_record(form_id)
        record["year"] = 2024
        reviews.apply_review(SERVER, task, AppliedReview(
            record=record, changes=[FieldChange("year", 2023, 2024, "corrected")], reviewer="r@example.com",
            reviewed_at="2024-02-01T00:00:00+00:00", annotation_id=5, findings=[]))
        assert store.claim(sha256, "/a.pdf").state == "done"  # reviewed: kept as it is
        assert reviews.open_tasks(SERVER) == []
        (line,) = reviews.audit(form_id)
        assert (line["old_value"], line["new_value"], line["task_id"], line["reviewer"]) == (2023, 2024, 8,
                                                                                          "r@example.com")
        (field,) = store.fields(form_id)
        assert (field.value, field.original, field.status) == (2024, 2023, "reviewed")
        assert list(reviews.reviewed_forms()) == [(record, {"year"})]
        assert reviews.review_counts()["reviewed"] == {"fields": 1, "forms": 1}
        assert reviews.incomplete_forms() == []  # no page_unreadable finding stored for it


def _open_store_and_review_tables(path: str) -> str | None:
    try:
        ReviewStore.open(path).close()
        return None
    except Exception as exc:  # the failure itself is what the test reports
        return str(exc)


def test_processes_opening_a_new_store_at_once_all_get_it(tmp_path):
    """SQLite answers "database is locked" at once, without waiting, to a second
    process switching a new file to WAL or writing its schema alongside: CI saw
    the second of two ingests started together fail so (before the fix, 11 of
    480 opens, 8 at a time, failed)."""
    import multiprocessing

    failures = []
    with multiprocessing.get_context("fork").Pool(6) as pool:
        for attempt in range(15):
            path = str(tmp_path / f"store_{attempt}.db")
            failures += [error for error in pool.map(_open_store_and_review_tables, [path] * 6) if error]
    assert failures == []
    with Store(tmp_path / "store_0.db", must_exist=True) as store:
        tables = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sources", "claims", "forms", "fields", "findings"} <= tables


def test_a_record_stored_before_schema_1_1_reads_as_one_of_today():
    from extract.model import SCHEMA_VERSION, dumps_record, empty_record
    from extract.store import stored_record

    old = {k: v for k, v in empty_record().items() if k not in ("title", "money_unit", "extra")}
    old["schema_version"] = "1"
    record = stored_record(dumps_record(old))
    assert record["schema_version"] == SCHEMA_VERSION == "1.1"
    assert (record["title"], record["money_unit"], record["extra"]) == ("财政项目支出绩效自评表", "万元", {})
    today = dict(record, title="绩效目标自评表", money_unit="元")
    assert stored_record(dumps_record(today)) == today       # a 1.1 record stays as it is


def test_what_the_checks_doubted_of_a_field_is_kept_for_review(tmp_path):
    from extract.model import FormResult

    record = empty_record()
    record.update(form_id="abc123456789-1", project_name="图书出版")
    form = FormResult(record=record)
    form.state("project_name").doubts.update({"disputed", "derived"})
    with Store(tmp_path / "store.db") as store:
        store.save_source("abc123456789" + "0" * 52, "a.pdf", 1, [form])
        fields = {f.path: f for f in store.fields("abc123456789-1")}
    assert fields["project_name"].doubts == ("derived", "disputed")
    assert fields["grade"].doubts == ()
