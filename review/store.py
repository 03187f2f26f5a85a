"""Review's state, in the store file ingest writes: which Label Studio
project holds each ingest batch, which task holds which of a form's fields,
and an audit line per reviewed field.

`ReviewStore` works on an ingest `Store`'s connection (one SQLite file, one
transaction for a pulled review) and creates its tables when missing, so a
store written before review existed, or before review's tables moved here,
opens as it is.  The fields' review columns (status, original, reviewer,
reviewed_at) are the `fields` table's, in `extract.store`: ingest writes a
status for every field; review moves it on -- ``pending`` → ``in_review``
when a task holds the field, → ``reviewed`` when its review is pulled -- and
a correction changes the field's value in the record and in `fields`,
keeping the value read at ingest in `fields.original`, all in one
transaction with the audit line (who, when, which task, old and new value).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from extract.errors import StoreError
from extract.model import FIELD_STATUSES, Finding, dumps_record, dumps_value, loads_value
from extract.store import Store, StoredField, stored_record, utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS review_projects (
    server     TEXT NOT NULL,
    batch      TEXT NOT NULL,
    project_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (server, batch)
);
CREATE TABLE IF NOT EXISTS review_tasks (
    server     TEXT NOT NULL,
    project_id INTEGER NOT NULL,
    task_id    INTEGER NOT NULL,
    form_id    TEXT NOT NULL REFERENCES forms(form_id),
    paths      TEXT NOT NULL,
    pushed_at  TEXT NOT NULL,
    pulled_at  TEXT,
    PRIMARY KEY (server, task_id)
);
CREATE TABLE IF NOT EXISTS audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id       TEXT NOT NULL REFERENCES forms(form_id),
    path          TEXT NOT NULL,
    old_value     TEXT,
    new_value     TEXT,
    decision      TEXT NOT NULL,
    reviewer      TEXT,
    reviewed_at   TEXT NOT NULL,
    server        TEXT NOT NULL,
    task_id       INTEGER NOT NULL,
    annotation_id INTEGER
);
"""
_AUDIT_KEYS = ("form_id", "path", "old_value", "new_value", "decision", "reviewer", "reviewed_at", "server",
               "task_id", "annotation_id")


@dataclass(frozen=True)
class FormToReview:
    form_id: str
    record: dict[str, Any]
    source_path: str
    batch: str
    pending: list[StoredField]
    findings: list[dict[str, Any]] = field(default_factory=list)   # the form's (extract.store.Store.findings)


@dataclass(frozen=True)
class OpenTask:
    project_id: int
    task_id: int
    form_id: str
    paths: list[str]


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any
    new: Any
    decision: str            # accepted, corrected or unreadable


@dataclass(frozen=True)
class AppliedReview:
    record: dict[str, Any]          # the record with the corrections in it
    changes: list[FieldChange]      # one per reviewed field, unchanged ones too
    reviewer: str
    reviewed_at: str
    annotation_id: int | None
    findings: list[Finding]         # of the re-validated record
    repending: set[str] = frozenset()  # accepted fields the new findings name


class ReviewStore:
    """Review's tables and writes on `store`'s connection.

    `ReviewStore(store)` leaves closing to whoever opened `store`;
    `ReviewStore.open(path)` opens one of its own and closes it with itself."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        self._owns_store = False
        try:
            store.create_tables(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{store.path}: cannot add review's tables to the store ({exc}); "
                             "check the path is a writable SQLite file") from exc

    @classmethod
    def open(cls, path: str | Path, *, must_exist: bool = False) -> "ReviewStore":
        """The store at `path` (see `Store`), with review's tables."""
        store = Store(path, must_exist=must_exist)
        try:
            reviews = cls(store)
        except BaseException:
            store.close()
            raise
        reviews._owns_store = True
        return reviews

    @property
    def path(self) -> str:
        return self.store.path

    def __enter__(self) -> "ReviewStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    # ------------------------------------------------------------ what to review

    def forms_to_review(self) -> list[FormToReview]:
        """Forms with pending fields, files in ingest order."""
        rows = self.db.execute(
            "SELECT f.form_id, f.record, s.path, s.batch FROM forms f JOIN sources s ON s.sha256 = f.sha256"
            " WHERE EXISTS (SELECT 1 FROM fields d WHERE d.form_id = f.form_id AND d.status = 'pending')"
            " ORDER BY s.seq, f.position"
        ).fetchall()
        return [FormToReview(form_id, stored_record(record), path, batch or "", self.store.fields(form_id, "pending"),
                             self.store.findings(form_id))
                for form_id, record, path, batch in rows]

    def form_record(self, form_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT record FROM forms WHERE form_id = ?", (form_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no form {form_id} in the store")
        return stored_record(row[0])

    # ------------------------------------------------------------ projects

    def review_project(self, server: str, batch: str) -> int | None:
        row = self.db.execute(
            "SELECT project_id FROM review_projects WHERE server = ? AND batch = ?", (server, batch)).fetchone()
        return row[0] if row else None

    def save_review_project(self, server: str, batch: str, project_id: int) -> None:
        with self.store.transaction():
            self.db.execute(
                "INSERT INTO review_projects (server, batch, project_id, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(server, batch) DO UPDATE SET project_id = excluded.project_id",
                (server, batch, project_id, utc_now()))

    def review_projects(self, server: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT batch, project_id FROM review_projects WHERE server = ?", (server,)))

    def forget_review_project(self, server: str, batch: str) -> int:
        """A project deleted on the server: its open tasks' fields go back to
        pending (reviews already pulled stay).  Returns how many fields."""
        with self.store.transaction():
            row = self.db.execute("SELECT project_id FROM review_projects WHERE server = ? AND batch = ?",
                                  (server, batch)).fetchone()
            if row is None:
                return 0
            reopened = 0
            open_tasks = self.db.execute(
                "SELECT task_id, form_id, paths FROM review_tasks WHERE server = ? AND project_id = ?"
                " AND pulled_at IS NULL", (server, row[0])).fetchall()
            for task_id, form_id, paths in open_tasks:
                reopened += self.db.executemany(
                    "UPDATE fields SET status = 'pending' WHERE form_id = ? AND path = ? AND status = 'in_review'",
                    [(form_id, path) for path in json.loads(paths)]).rowcount
                self.db.execute("DELETE FROM review_tasks WHERE server = ? AND task_id = ?", (server, task_id))
            self.db.execute("DELETE FROM review_projects WHERE server = ? AND batch = ?", (server, batch))
            return reopened

    # ------------------------------------------------------------ tasks

    def review_round(self, form_id: str) -> int:
        """1 for a form's first review task, 2 for the next, …"""
        return self.db.execute("SELECT COUNT(*) FROM review_tasks WHERE form_id = ?", (form_id,)).fetchone()[0] + 1

    def save_task(self, server: str, project_id: int, task_id: int, form_id: str, paths: list[str]) -> None:
        """A task now holds these pending fields: they are in review."""
        with self.store.transaction():
            self.db.execute(
                "INSERT INTO review_tasks (server, project_id, task_id, form_id, paths, pushed_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(server, task_id) DO NOTHING",
                (server, project_id, task_id, form_id, json.dumps(paths), utc_now()))
            self.db.executemany(
                "UPDATE fields SET status = 'in_review' WHERE form_id = ? AND path = ? AND status = 'pending'",
                [(form_id, path) for path in paths])

    def open_tasks(self, server: str) -> list[OpenTask]:
        """Tasks pushed to `server` whose review has not been pulled yet."""
        rows = self.db.execute(
            "SELECT project_id, task_id, form_id, paths FROM review_tasks"
            " WHERE server = ? AND pulled_at IS NULL ORDER BY project_id, task_id", (server,))
        return [OpenTask(project, task, form_id, json.loads(paths)) for project, task, form_id, paths in rows]

    def apply_review(self, server: str, task: OpenTask, review: AppliedReview) -> None:
        """Store a pulled review: the corrected record, the fields' new values
        and status, an audit line per reviewed field, the findings of the
        re-validated record, and fields it newly names sent back to pending."""
        form_id = task.form_id
        with self.store.transaction():
            self.db.execute("UPDATE forms SET record = ? WHERE form_id = ?", (dumps_record(review.record), form_id))
            for change in review.changes:
                self.db.execute(
                    "UPDATE fields SET value = ?, status = 'reviewed', reviewer = ?, reviewed_at = ?"
                    " WHERE form_id = ? AND path = ?",
                    (dumps_value(change.new), review.reviewer, review.reviewed_at, form_id, change.path))
                self.db.execute(
                    f"INSERT INTO audit ({', '.join(_AUDIT_KEYS)}) VALUES ({', '.join('?' * len(_AUDIT_KEYS))})",
                    (form_id, change.path, dumps_value(change.old), dumps_value(change.new), change.decision,
                     review.reviewer, review.reviewed_at, server, task.task_id, review.annotation_id))
            self.store.replace_findings(form_id, review.findings)
            self.db.executemany(
                "UPDATE fields SET status = 'pending' WHERE form_id = ? AND path = ? AND status = 'accepted'",
                [(form_id, path) for path in sorted(review.repending)])
            self.db.execute("UPDATE review_tasks SET pulled_at = ? WHERE server = ? AND task_id = ?",
                            (utc_now(), server, task.task_id))

    # ------------------------------------------------------------ what was reviewed

    def audit(self, form_id: str | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(_AUDIT_KEYS)} FROM audit"
        rows = self.db.execute(sql + (" WHERE form_id = ? ORDER BY id" if form_id else " ORDER BY id"),
                               (form_id,) if form_id else ())
        return [{**dict(zip(_AUDIT_KEYS, row)), "old_value": loads_value(row[2]), "new_value": loads_value(row[3])}
                for row in rows]

    def reviewed_forms(self) -> Iterator[tuple[dict[str, Any], set[str]]]:
        """(record, paths a person reviewed) for every form with a review: the
        corrections that `selfeval models train --with-reviews` learns from."""
        rows = self.db.execute(
            "SELECT f.form_id, f.record FROM forms f JOIN sources s ON s.sha256 = f.sha256"
            " WHERE EXISTS (SELECT 1 FROM fields d WHERE d.form_id = f.form_id AND d.status = 'reviewed')"
            " ORDER BY s.seq, f.position").fetchall()
        for form_id, record in rows:
            paths = {p for (p,) in self.db.execute(
                "SELECT path FROM fields WHERE form_id = ? AND status = 'reviewed'", (form_id,))}
            yield stored_record(record), paths

    def review_counts(self) -> dict[str, dict[str, int]]:
        """Fields and forms per review status; a form counts under the least
        advanced status of its fields (pending < in_review < reviewed < accepted)."""
        counts = {status: {"fields": 0, "forms": 0} for status in FIELD_STATUSES}
        for status, n in self.db.execute("SELECT status, COUNT(*) FROM fields GROUP BY status"):
            counts[status]["fields"] = n
        rank = "CASE status WHEN 'pending' THEN 0 WHEN 'in_review' THEN 1 WHEN 'reviewed' THEN 2 ELSE 3 END"
        forms = self.db.execute(f"SELECT MIN({rank}) FROM fields GROUP BY form_id").fetchall()
        order = ("pending", "in_review", "reviewed", "accepted")
        for (least,) in forms:
            counts[order[least]]["forms"] += 1
        return counts

    def incomplete_forms(self) -> list[tuple[str, str, list[int]]]:
        """(form_id, source path, failed pages) of every form next to a page that
        could not be read, files in ingest order."""
        rows = self.db.execute(
            "SELECT f.form_id, s.path, s.failed_pages FROM forms f JOIN sources s ON s.sha256 = f.sha256"
            " WHERE EXISTS (SELECT 1 FROM findings d WHERE d.form_id = f.form_id AND d.rule = 'page_unreadable')"
            " ORDER BY s.seq, f.position")
        return [(form_id, path, [p["page"] for p in json.loads(pages or "[]")]) for form_id, path, pages in rows]
