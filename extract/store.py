"""The embedded SQLite store that ingest writes and export reads.

A source (file, by SHA-256) and all its forms, fields and findings are
written in one transaction: a crash or Ctrl-C mid-batch leaves every file
either wholly stored or not at all, and the next run picks up the rest.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from extract.errors import StoreError
from extract.model import ParsedForm, dumps_record, iter_fields, loads_record

DEFAULT_DB = "selfeval.db"
DB_ENV = "SELFEVAL_DB"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT NOT NULL UNIQUE,
    file        TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    pages       INTEGER,
    forms       INTEGER,
    error       TEXT,
    ingested_at TEXT NOT NULL
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


@dataclass(frozen=True)
class StoredSource:
    sha256: str
    file: str
    status: str
    error: str | None


def default_db_path() -> str:
    return os.environ.get(DB_ENV) or DEFAULT_DB


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        try:
            if Path(self.path).parent != Path("."):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc}); check the path is a writable SQLite file") from exc

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def source(self, sha256: str) -> StoredSource | None:
        row = self.db.execute(
            "SELECT sha256, file, status, error FROM sources WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return StoredSource(*row) if row else None

    def save_source(self, sha256: str, path: str, pages: int, forms: list[ParsedForm]) -> None:
        """Store a file's forms with their fields and findings, all or nothing."""
        with self._transaction():
            self.db.execute("DELETE FROM sources WHERE sha256 = ? AND status = 'failed'", (sha256,))
            self.db.execute(
                "INSERT INTO sources (sha256, file, path, status, pages, forms, ingested_at)"
                " VALUES (?, ?, ?, 'done', ?, ?, ?)",
                (sha256, Path(path).name, str(path), pages, len(forms), _now()),
            )
            for position, form in enumerate(forms, start=1):
                record = form.record
                self.db.execute(
                    "INSERT INTO forms (form_id, sha256, position, record) VALUES (?, ?, ?, ?)",
                    (record["form_id"], sha256, position, dumps_record(record)),
                )
                self.db.executemany(
                    "INSERT INTO fields (form_id, path, value, page, bbox, method, confidence)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [_field_row(record["form_id"], path, value, form) for path, value in iter_fields(record)],
                )
                self.db.executemany(
                    "INSERT INTO findings (form_id, rule, fields, expected, found, message)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (record["form_id"], f.rule, json.dumps(f.fields),
                         json.dumps(d["expected"], ensure_ascii=False), json.dumps(d["found"], ensure_ascii=False),
                         f.message)
                        for f in form.findings
                        for d in [f.to_dict()]
                    ],
                )

    def save_failure(self, sha256: str, path: str, error: str) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT INTO sources (sha256, file, path, status, error, ingested_at) VALUES (?, ?, ?, 'failed', ?, ?)"
                " ON CONFLICT(sha256) DO UPDATE SET error = excluded.error, path = excluded.path,"
                " ingested_at = excluded.ingested_at WHERE sources.status = 'failed'",
                (sha256, Path(path).name, str(path), error, _now()),
            )

    def records(self) -> Iterator[dict[str, Any]]:
        """Every stored form record, files in ingest order, forms in file order."""
        rows = self.db.execute(
            "SELECT f.record FROM forms f JOIN sources s ON s.sha256 = f.sha256 ORDER BY s.seq, f.position"
        )
        for (text,) in rows:
            yield loads_record(text)

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
            "forms": one("SELECT COUNT(*) FROM forms"),
            "fields": one("SELECT COUNT(*) FROM fields"),
            "findings": one("SELECT COUNT(*) FROM findings"),
        }

    def _transaction(self) -> "_Transaction":
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _field_row(form_id: str, path: str, value: Any, form: ParsedForm) -> tuple[Any, ...]:
    prov = form.provenance.get(path)
    return (
        form_id, path, json.dumps(value, ensure_ascii=False, default=str),
        prov.page if prov else None,
        json.dumps(prov.bbox.as_list()) if prov and prov.bbox else None,
        prov.method if prov else None,
        form.confidence.get(path, prov.confidence if prov else None),
    )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
