"""The embedded SQLite store that ingest writes and export reads.

A source (file, by SHA-256) and all its forms, fields and findings are
written in one transaction: a crash or Ctrl-C mid-batch leaves every file
either wholly stored or not at all, and the next run picks up the rest.

Every field has a status, written at ingest -- ``accepted`` (trusted as
read) or ``pending`` (to be sent to a reviewer) -- and moved on by review to
``in_review`` (in a Label Studio task) and ``reviewed``.  Its value as read
at ingest is kept in ``fields.original``.  Review's own tables (projects,
tasks, audit) and the writes that move a field on are review's:
`review.store.ReviewStore`, on this store's connection.
"""

from __future__ import annotations

import functools
import json
import os
import random
import socket
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from extract.errors import StoreError
from extract.layout.labels import FORM_TITLE
from extract.model import (FailedPage, Finding, FormResult, dumps_record, dumps_value, iter_fields, loads_record,
                           loads_value, upgraded_record)

DEFAULT_DB = "selfeval.db"


def stored_record(text: str) -> dict[str, Any]:
    """A record as stored, in the schema of today: a store written before
    schema 1.1 holds records of the reference template only."""
    return upgraded_record(loads_record(text), FORM_TITLE)
DB_ENV = "SELFEVAL_DB"

_SOURCES_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT NOT NULL UNIQUE,
    file        TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('done', 'partial', 'failed')),
    pages       INTEGER,
    forms       INTEGER,
    error       TEXT,
    ingested_at TEXT NOT NULL,
    batch       TEXT,
    failed_pages TEXT
);
"""
# Ingest's tables.  `fields` holds each field's review state too (status,
# original, reviewer, reviewed_at): ingest writes the status and the original
# of every field, export reads all four, review only updates them.  The
# status is one of extract.model.FIELD_STATUSES: ingest writes accepted or
# pending, review in_review and reviewed.
_SCHEMA = _SOURCES_TABLE.format(name="sources") + """
CREATE TABLE IF NOT EXISTS claims (
    sha256     TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    path       TEXT NOT NULL,
    claimed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS forms (
    form_id   TEXT PRIMARY KEY,
    sha256    TEXT NOT NULL REFERENCES sources(sha256),
    position  INTEGER NOT NULL,
    record    TEXT NOT NULL,
    UNIQUE (sha256, position)
);
CREATE TABLE IF NOT EXISTS fields (
    form_id    TEXT NOT NULL REFERENCES forms(form_id),
    path       TEXT NOT NULL,
    value      TEXT,
    page       INTEGER,
    bbox       TEXT,
    method     TEXT,
    confidence REAL,
    status     TEXT NOT NULL DEFAULT 'accepted',
    original   TEXT,
    reviewer   TEXT,
    reviewed_at TEXT,
    continued  TEXT,
    doubts     TEXT,
    label      TEXT,
    PRIMARY KEY (form_id, path)
);
CREATE TABLE IF NOT EXISTS findings (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id  TEXT NOT NULL REFERENCES forms(form_id),
    rule     TEXT NOT NULL,
    fields   TEXT NOT NULL,
    expected TEXT,
    found    TEXT,
    message  TEXT
);
"""
# Columns added after the first release, for stores written before them.
_ADDED_COLUMNS = {
    "sources": ("batch TEXT", "failed_pages TEXT"),
    "fields": ("original TEXT", "reviewer TEXT", "reviewed_at TEXT", "continued TEXT", "doubts TEXT", "label TEXT"),
}

SOURCE_STATUSES = ("done", "partial", "failed")   # partial: some pages could not be read
# A claim on a file by a process of another host cannot be checked for
# life; after this long it is taken to be abandoned.
FOREIGN_CLAIM_HOURS = 24
# How long opening a store waits for another process setting it up.
_OPEN_TIMEOUT_S = 30


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


@dataclass(frozen=True)
class StoredSource:
    sha256: str
    file: str
    status: str
    error: str | None
    path: str = ""
    failed_pages: tuple[int, ...] = ()




@dataclass(frozen=True)
class Claim:
    """What `Store.claim` found: the file is ours to ingest (``claimed``),
    already stored (``done``), or being ingested by a live process (``busy``)."""

    state: str
    previous: StoredSource | None = None     # an earlier ingest: failed, partial or done
    holder: str | None = None                # busy: the process that holds it
    reason: str = ""                         # done although partial: why it is not read again


_FIELD_COLUMNS = ("form_id, path, value, original, page, bbox, method, confidence, status, reviewer, reviewed_at,"
                  " continued, doubts, label")


@dataclass(frozen=True)
class StoredField:
    form_id: str
    path: str
    value: Any
    original: Any            # as read at ingest, before any correction
    page: int | None
    bbox: list[float] | None  # points, origin top-left: x0, top, x1, bottom
    method: str | None
    confidence: float | None
    status: str
    reviewer: str | None
    reviewed_at: str | None
    # A cell a page break cut: where its further pieces are, after the one
    # `page` and `bbox` give: ((page, [x0, top, x1, bottom] or None), …).
    continued: tuple[tuple[int, list[float] | None], ...] = ()
    # What the checks doubted of it (extract.checks.confidence: disputed, derived).
    doubts: tuple[str, ...] = ()
    # Its column's or row's label as the form prints it, where the reader kept it.
    label: str | None = None

    @property
    def parts(self) -> list[tuple[int | None, list[float] | None]]:
        """(page, bbox) of every piece of the field's cell, the first first."""
        return [(self.page, self.bbox), *self.continued]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> "StoredField":
        form_id, path, value, original, page, bbox, method, confidence, status, reviewer, reviewed_at, continued, \
            doubts, label = row
        parts = tuple((part["page"], part["bbox"]) for part in json.loads(continued)) if continued else ()
        return cls(form_id, path, loads_value(value), loads_value(original), page,
                   json.loads(bbox) if bbox else None, method, confidence, status, reviewer, reviewed_at, parts,
                   tuple(json.loads(doubts)) if doubts else (), label)


def default_db_path() -> str:
    return os.environ.get(DB_ENV) or DEFAULT_DB


class Store:
    def __init__(self, path: str | Path, *, must_exist: bool = False):
        """Open (or, unless `must_exist`, create) the store at `path`.

        Every command but ingest reads a store that must be there already:
        a mistyped --db must not silently create an empty one."""
        self.path = str(path)
        if must_exist and not Path(self.path).is_file():
            raise StoreError(f"{self.path}: no such store; check --db (or ${DB_ENV}), "
                             "or ingest files into it first with `selfeval ingest`")
        try:
            if Path(self.path).parent != Path("."):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._connect_when_free()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc}); check the path is a writable SQLite file") from exc

    def _connect_when_free(self) -> None:
        """Connect (`self.db`) and set the store up, waiting out another process doing the same.

        SQLite's busy timeout does not cover everything set-up does: switching
        a new file to WAL, or a schema write racing another one, can answer
        "database is locked" at once (SQLite refuses to wait where waiting could
        deadlock).  Two ingests started together on a new store hit that, so
        the whole set-up is tried again, on a fresh connection, until the
        timeout."""
        deadline = time.monotonic() + _OPEN_TIMEOUT_S
        delay = 0.02
        while True:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=_OPEN_TIMEOUT_S)
            try:
                self._set_up()
                return
            except sqlite3.OperationalError as exc:
                self.db.close()
                if not _is_lock_error(exc) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
            except BaseException:
                self.db.close()
                raise

    def _set_up(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.create_tables(_SCHEMA)
        with self.transaction():  # two processes may upgrade one old store at once
            self._add_missing_columns()
        self._allow_partial_sources()

    def create_tables(self, schema: str) -> None:
        """Run `schema` (CREATE ... IF NOT EXISTS statements) in one write
        transaction: taken up front, so a second process waits for it instead
        of failing on a read that has to become a write."""
        try:
            self.db.executescript(f"BEGIN IMMEDIATE;\n{schema}\nCOMMIT;")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _add_missing_columns(self) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")

    def _allow_partial_sources(self) -> None:
        """Stores written before 'partial' existed have a CHECK that refuses it:
        rebuild their sources table (SQLite cannot alter a CHECK), the way
        SQLite's documentation says: foreign keys off, copy, drop, rename."""
        def current() -> str:
            return self.db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sources'").fetchone()[0]

        if "'partial'" in current():
            return
        self.db.execute("PRAGMA foreign_keys=OFF")
        try:
            with self.transaction():
                if "'partial'" in current():
                    return  # another process did it meanwhile
                columns = ", ".join(row[1] for row in self.db.execute("PRAGMA table_info(sources)"))
                self.db.execute(_SOURCES_TABLE.format(name="sources_rebuilt"))
                self.db.execute(f"INSERT INTO sources_rebuilt ({columns}) SELECT {columns} FROM sources")
                self.db.execute("DROP TABLE sources")
                self.db.execute("ALTER TABLE sources_rebuilt RENAME TO sources")
        finally:
            self.db.execute("PRAGMA foreign_keys=ON")

    def source(self, sha256: str) -> StoredSource | None:
        row = self.db.execute(
            "SELECT sha256, file, status, error, path, failed_pages FROM sources WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            return None
        pages = tuple(page["page"] for page in json.loads(row[5])) if row[5] else ()
        return StoredSource(*row[:5], failed_pages=pages)

    # ------------------------------------------------------------ claims

    def claim(self, sha256: str, path: str) -> Claim:
        """Claim a file for this process, atomically: two ingests on one store
        never both read it.  A claim whose process died is taken over."""
        me = process_identity()
        with self.transaction():
            known = self.source(sha256)
            if known is not None and known.status == "done":
                return Claim("done", known)
            if known is not None and known.status == "partial" and self._in_review(sha256):
                return Claim("done", known, reason="its forms are in review, so it is not read again")
            row = self.db.execute("SELECT holder, claimed_at FROM claims WHERE sha256 = ?", (sha256,)).fetchone()
            if row is not None and row[0] != me and _holder_alive(row[0], row[1]):
                return Claim("busy", known, holder=row[0])
            self.db.execute("INSERT OR REPLACE INTO claims (sha256, holder, path, claimed_at) VALUES (?, ?, ?, ?)",
                            (sha256, me, str(path), utc_now()))
            return Claim("claimed", known)

    def release(self, sha256: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM claims WHERE sha256 = ? AND holder = ?", (sha256, process_identity()))

    def _in_review(self, sha256: str) -> bool:
        """A form of the file has a field in a review task or reviewed: review's
        tasks and audit lines name its forms, which must then stay."""
        return self.db.execute(
            "SELECT 1 FROM forms f JOIN fields d ON d.form_id = f.form_id WHERE f.sha256 = ?"
            " AND d.status IN ('in_review', 'reviewed') LIMIT 1", (sha256,)).fetchone() is not None

    # ------------------------------------------------------------ ingest

    def save_source(self, sha256: str, path: str, pages: int, forms: Sequence[FormResult | FormRows],
                    batch: str | None = None,
                    failed_pages: list[FailedPage] = ()) -> bool:
        """Store a file's forms with their fields and findings, all or nothing.

        A file with pages that could not be read is stored as ``partial``,
        with those pages, so that the next run reads it again.  An earlier
        failed or partial ingest of the file is replaced.  Returns False,
        storing nothing, if the file is already stored whole."""
        with self.transaction():
            known = self.source(sha256)
            if known is not None and known.status == "done":
                return False
            if known is not None:
                self._delete_source(sha256)
            status = "partial" if failed_pages else "done"
            self.db.execute(
                "INSERT INTO sources (sha256, file, path, status, pages, forms, ingested_at, batch, failed_pages)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sha256, Path(path).name, str(path), status, pages, len(forms), utc_now(), batch,
                 json.dumps([{"page": p.number, "error": p.error} for p in failed_pages], ensure_ascii=False)
                 if failed_pages else None),
            )
            for position, form in enumerate(forms, start=1):
                rows = form if isinstance(form, FormRows) else form_rows(form)
                self.db.execute(
                    "INSERT INTO forms (form_id, sha256, position, record) VALUES (?, ?, ?, ?)",
                    (rows.form_id, sha256, position, rows.record),
                )
                self.db.executemany(
                    "INSERT INTO fields (form_id, path, value, original, page, bbox, method, confidence, status,"
                    " continued, doubts, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.fields)
                self.db.executemany(
                    "INSERT INTO findings (form_id, rule, fields, expected, found, message) VALUES (?, ?, ?, ?, ?, ?)",
                    rows.findings)
        return True

    def _delete_source(self, sha256: str) -> None:
        """An earlier failed or partial ingest, with its forms (none of them in review)."""
        forms = [form_id for (form_id,) in self.db.execute("SELECT form_id FROM forms WHERE sha256 = ?", (sha256,))]
        for table in ("fields", "findings"):
            self.db.executemany(f"DELETE FROM {table} WHERE form_id = ?", [(f,) for f in forms])
        self.db.execute("DELETE FROM forms WHERE sha256 = ?", (sha256,))
        self.db.execute("DELETE FROM sources WHERE sha256 = ?", (sha256,))

    def save_failure(self, sha256: str, path: str, error: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO sources (sha256, file, path, status, error, ingested_at) VALUES (?, ?, ?, 'failed', ?, ?)"
                " ON CONFLICT(sha256) DO UPDATE SET error = excluded.error, path = excluded.path,"
                " ingested_at = excluded.ingested_at WHERE sources.status = 'failed'",
                (sha256, Path(path).name, str(path), error, utc_now()),
            )

    def records(self, *, with_meta: bool = False, only_reviewed: bool = False) -> Iterator[dict[str, Any]]:
        """Every stored form record, files in ingest order, forms in file order.

        `with_meta` adds ``_meta["fields"]``: per field its confidence, review
        status, reviewer, value before correction, and where it was read (page,
        bbox in points from the page's top-left, method); and ``_meta["findings"]``,
        the broken rules and unreadable pages that concern the form.  A field
        whose cell a page break cut also has ``continued``: the page and bbox
        of each further piece.  `only_reviewed` keeps
        the forms with nothing left to review (no field pending or in review).
        """
        where = ("WHERE NOT EXISTS (SELECT 1 FROM fields d WHERE d.form_id = f.form_id"
                 " AND d.status IN ('pending', 'in_review'))") if only_reviewed else ""
        rows = self.db.execute(
            f"SELECT f.form_id, f.record FROM forms f JOIN sources s ON s.sha256 = f.sha256 {where}"
            " ORDER BY s.seq, f.position"
        )
        for form_id, text in rows:
            record = stored_record(text)
            if with_meta:
                record["_meta"] = {"fields": {
                    f.path: {"confidence": f.confidence, "status": f.status, "reviewer": f.reviewer,
                             "original": f.original, "page": f.page, "bbox": f.bbox, "method": f.method,
                             **({"continued": [{"page": p, "bbox": b} for p, b in f.continued]}
                                if f.continued else {})}
                    for f in self.fields(form_id)
                }, "findings": self.findings(form_id)}
            yield record

    # ------------------------------------------------------------ readers

    def fields(self, form_id: str, status: str | None = None) -> list[StoredField]:
        sql = f"SELECT {_FIELD_COLUMNS} FROM fields WHERE form_id = ?"
        args: tuple[Any, ...] = (form_id,)
        if status is not None:
            sql += " AND status = ?"
            args += (status,)
        return [StoredField.from_row(row) for row in self.db.execute(sql + " ORDER BY rowid", args)]

    def replace_findings(self, form_id: str, findings: list[Finding]) -> None:
        """The form's findings are now these (a re-validated record's); inside
        the caller's `transaction`."""
        self.db.execute("DELETE FROM findings WHERE form_id = ?", (form_id,))
        self._insert_findings(form_id, findings)

    def _insert_findings(self, form_id: str, findings: list[Finding]) -> None:
        self.db.executemany(
            "INSERT INTO findings (form_id, rule, fields, expected, found, message) VALUES (?, ?, ?, ?, ?, ?)",
            _finding_rows(form_id, findings))

    def findings(self, form_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT rule, fields, expected, found, message FROM findings WHERE form_id = ? ORDER BY id", (form_id,)
        )
        return [
            {"rule": r, "fields": json.loads(f), "expected": json.loads(e), "found": json.loads(o), "message": m}
            for r, f, e, o, m in rows
        ]

    def counts(self) -> dict[str, int]:
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "sources": one("SELECT COUNT(*) FROM sources WHERE status = 'done'"),
            "failed_sources": one("SELECT COUNT(*) FROM sources WHERE status = 'failed'"),
            "partial_sources": one("SELECT COUNT(*) FROM sources WHERE status = 'partial'"),
            "forms": one("SELECT COUNT(*) FROM forms"),
            "fields": one("SELECT COUNT(*) FROM fields"),
            "findings": one("SELECT COUNT(*) FROM findings"),
        }

    def transaction(self) -> "_Transaction":
        """``with store.transaction():`` -- the writes in it are all stored or none."""
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


@dataclass(frozen=True)
class FormRows:
    """A form as the store writes it: its record as JSON and the rows of its
    fields and findings.  Made where the form was read (a worker), so that the
    process that stores only inserts them."""

    form_id: str
    record: str
    fields: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]


def form_rows(form: FormResult) -> FormRows:
    record = form.record
    form_id = record["form_id"]
    return FormRows(form_id, dumps_record(record),
                    [_field_row(form_id, path, value, form) for path, value in iter_fields(record)],
                    _finding_rows(form_id, form.findings))


def _finding_rows(form_id: str, findings: list[Finding]) -> list[tuple[Any, ...]]:
    return [(form_id, f.rule, json.dumps(f.fields), json.dumps(d["expected"], ensure_ascii=False),
             json.dumps(d["found"], ensure_ascii=False), f.message)
            for f in findings for d in [f.to_dict()]]


def _field_row(form_id: str, path: str, value: Any, form: FormResult) -> tuple[Any, ...]:
    state = form.state(path)
    prov = state.provenance
    stored = dumps_value(value)
    return (
        form_id, path, stored, stored,
        prov.page if prov else None,
        json.dumps(prov.bbox.as_list()) if prov and prov.bbox else None,
        prov.method if prov else None,
        state.confidence if state.confidence is not None else (prov.confidence if prov else None),
        state.status or "accepted",
        json.dumps([{"page": part.page, "bbox": part.bbox.as_list() if part.bbox else None}
                    for part in prov.continued]) if prov and prov.continued else None,
        json.dumps(sorted(state.doubts)) if state.doubts else None,
        state.label,
    )


def process_identity() -> str:
    """host:pid:start-time of this process (the start time tells a reused pid apart)."""
    return _identity(os.getpid())


@functools.lru_cache(maxsize=4)
def _identity(pid: int) -> str:
    """Once per process (keyed by pid, so a forked child has its own): each
    claim and release asks, and /proc is slow to read."""
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def _start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the command name
    except (OSError, IndexError):
        return "?"


def _holder_alive(holder: str, claimed_at: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        age = datetime.now(timezone.utc) - datetime.fromisoformat(claimed_at)
        return age.total_seconds() < FOREIGN_CLAIM_HOURS * 3600
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass
    return started == "?" or _start_time(pid) == started


def utc_now() -> str:
    """Now, as the store writes times: ISO 8601 in UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
