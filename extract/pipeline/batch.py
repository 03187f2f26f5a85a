"""A batch of files into the store, each file behind its own error boundary.

Whatever fails while one file is read, parsed, checked or stored fails that
file alone: it gets a result with the cause, a failed source row so that the
next run retries it, and the batch goes on.  A file is claimed in the store
before it is read, so that two ingests on one store never both read it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from extract.errors import SelfevalError
from extract.model import FailedPage
from extract.pipeline.document import extract_forms, read_document, read_flat_text_file
from extract.pipeline.jobs import stop_pool, worker_pool
from extract.pipeline.settings import IngestSettings
from extract.sources.files import SUPPORTED_SUFFIXES, kind_of, sha256_of
from extract.store import Claim, Store

log = logging.getLogger("selfeval.pipeline")


@dataclass
class FileResult:
    path: str
    status: str                      # "ok", "failed" or "skipped"
    message: str = ""
    pages: int = 0
    forms: int = 0
    findings: int = 0
    page_errors: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def forms(self) -> int:
        return sum(f.forms for f in self.files)

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files)

    @property
    def page_errors(self) -> int:
        return sum(len(f.page_errors) for f in self.files)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0 and self.page_errors == 0

    def summary(self) -> str:
        return (f"{len(self.files)} files: {self.count('ok')} ok, {self.count('failed')} failed, "
                f"{self.count('skipped')} skipped; {self.forms} forms from {self.pages} pages"
                + (f"; {self.page_errors} pages failed" if self.page_errors else ""))


def discover(paths: Iterable[str | Path]) -> Iterator[Path | FileResult]:
    """Files to ingest, folders walked recursively in name order.

    A named file is taken whatever its suffix (so a mislabelled file gets a
    clear error); inside folders only supported suffixes are taken.  A path
    that does not exist yields a failed result.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
        elif path.is_file():
            yield path
        else:
            yield FileResult(str(path), "failed", "no such file or folder")


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    settings: IngestSettings = IngestSettings(),
    on_file: Callable[[FileResult], None] | None = None,
    on_page: Callable[[], None] | None = None,
) -> BatchResult:
    """Ingest files and folders into the store; one bad file fails alone."""
    batch = BatchResult()
    pool = worker_pool(settings.workers)
    finished = False
    try:
        for item in discover(paths):
            result = item if isinstance(item, FileResult) else ingest_file(item, store, settings, pool, on_page)
            batch.files.append(result)
            if on_file is not None:
                on_file(result)
        finished = True
    finally:
        if pool is not None:
            stop_pool(pool, wait=finished)
    return batch


def ingest_file(path: Path, store: Store, settings: IngestSettings, pool: Executor | None,
                on_page: Callable[[], None] | None = None) -> FileResult:
    """Ingest one file; whatever fails, fails this file alone.

    The file is claimed in the store first, so that two ingests on one store
    never read it both; the claim is released however this ends."""
    try:
        sha256 = sha256_of(path)
    except OSError as exc:
        return FileResult(str(path), "failed", f"cannot read the file ({exc.strerror or exc})")
    claim = store.claim(sha256, os.path.abspath(path))
    if claim.state == "done":
        return FileResult(str(path), "skipped", _already_stored(path, claim))
    if claim.state == "busy":
        return FileResult(str(path), "skipped", f"being ingested by another process ({claim.holder}); "
                                                "run again once it has finished to check it")
    try:
        result = _ingest_claimed(path, sha256, store, settings, pool, on_page)
    finally:
        try:
            store.release(sha256)
        except sqlite3.Error:  # the store itself is failing: the file's result says why
            log.debug("cannot release the claim on %s", path, exc_info=True)
    previous = claim.previous
    if previous is not None:
        before = f"{len(previous.failed_pages)} pages failed before" if previous.status == "partial" \
            else f"it failed before: {previous.error}"
        result.message = f"retried ({before})" + (f"; {result.message}" if result.message else "")
    return result


def _already_stored(path: Path, claim: Claim) -> str:
    known = claim.previous
    same = "" if known is None or known.file == path.name else f" (same content as {known.file})"
    if claim.reason:
        return f"ingested before with pages that could not be read{same}; {claim.reason}"
    return f"already ingested{same}"


def _ingest_claimed(path: Path, sha256: str, store: Store, settings: IngestSettings, pool: Executor | None,
                    on_page: Callable[[], None] | None) -> FileResult:
    where = os.path.abspath(path)
    failed: list[FailedPage] = []
    try:
        if kind_of(path) == "text":
            forms, pages = read_flat_text_file(path, sha256, settings), 0
        else:
            document = read_document(path, sha256, settings.ocr, pool, on_page)
            forms, pages, failed = extract_forms(document, settings), len(document.pages), document.failed
        stored = store.save_source(sha256, where, pages + len(failed), forms, batch=settings.batch,
                                   failed_pages=failed)
    except SelfevalError as exc:
        log.debug("%s failed", path, exc_info=True)
        _record_failure(store, sha256, where, exc.message)
        return FileResult(str(path), "failed", getattr(exc, "cause", exc.message))
    except Exception as exc:  # noqa: BLE001 - any stage's bug or a library's surprise fails this file alone
        log.debug("%s failed", path, exc_info=True)
        cause = f"{type(exc).__name__}: {exc}"
        _record_failure(store, sha256, where, cause)
        return FileResult(str(path), "failed", f"{cause} (run with -v for the traceback)")
    if not stored:
        return FileResult(str(path), "skipped", "already ingested (by another process meanwhile)")
    findings = sum(len(f.findings) for f in forms)
    message = (f"{len(failed)} pages failed: " + "; ".join(f"page {p.number}: {p.error}" for p in failed)
               + "; the forms next to them go to review") if failed else ""
    return FileResult(str(path), "ok", message, pages, len(forms), findings,
                      [f"page {p.number}: {p.error}" for p in failed])


def _record_failure(store: Store, sha256: str, path: str, cause: str) -> None:
    try:
        store.save_failure(sha256, path, cause)
    except Exception:  # noqa: BLE001 - the store is what fails; the file is reported all the same
        log.debug("cannot record the failure of %s", path, exc_info=True)
