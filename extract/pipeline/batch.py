"""A batch of files into the store, each file behind its own error boundary.

Whatever fails while one file is read, parsed, checked or stored fails that
file alone: it gets a result with the cause, a failed source row so that the
next run retries it, and the batch goes on.  A file is claimed in the store
before it is read, so that two ingests on one store never both read it.

The unit of work is the file: a worker (a process here, or a Dask worker)
reads, parses and checks it whole (`extract.pipeline.file_job`), several
files are out at once, and this process only claims, stores and reports,
in the order the files finish.  A file of more than `SPREAD_PAGES` pages
has its pages spread over the workers, then its forms parsed by one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from extract.pipeline.document import document_of
from extract.pipeline.file_job import FileJob, FileOutcome, FormsJob, failed_outcome, run_file_job, run_forms_job
from extract.pipeline.jobs import PageJob, PageOutcome, page_jobs, run_page_job
from extract.pipeline.settings import IngestSettings
from extract.pipeline.workers import Runner, cluster_runner, local_runner
from extract.sources.files import SUPPORTED_SUFFIXES, kind_of, sha256_of
from extract.sources.raster import image_page_count, pdf_page_count
from extract.store import Claim, Store

log = logging.getLogger("selfeval.pipeline")

# A file of more pages than this has its pages read by several workers;
# below it, the cost of sending pages back and forth is more than the gain.
SPREAD_PAGES = 8
# Files out at once, per job the runner runs at once: a worker that
# finishes finds the next job waiting.
FILES_PER_SLOT = 2


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
    on_pages: Callable[[int], None] | None = None,
) -> BatchResult:
    """Ingest files and folders into the store; one bad file fails alone.

    The jobs run in `settings.workers` local processes, or on the Dask
    cluster at `settings.scheduler`; `on_pages` is told of pages as they
    are read, `on_file` of each file's result as it is stored."""
    batch = BatchResult()
    runner = cluster_runner(settings.scheduler) if settings.scheduler else local_runner(settings.workers)
    files = _FilesInFlight(store, settings, runner, on_pages or (lambda count: None))
    finished = False
    try:
        for result in files.run(discover(paths)):
            batch.files.append(result)
            if on_file is not None:
                on_file(result)
        finished = True
    finally:
        files.release_all()
        runner.stop(wait=finished)
    return batch


@dataclass
class _ClaimedFile:
    """A file claimed in the store whose jobs are out."""

    path: Path
    sha256: str
    claim: Claim
    spread: bool = False                                     # its pages went out as page jobs
    jobs_out: int = 0
    pages: list[PageOutcome] = field(default_factory=list)   # those read so far
    failure: FileOutcome | None = None                       # a job of it failed: the rest is ignored


class _FilesInFlight:
    """Claims files, sends their jobs to the runner, and stores each file's
    outcome as it comes; at most `FILES_PER_SLOT` files per slot are out."""

    def __init__(self, store: Store, settings: IngestSettings, runner: Runner, on_pages: Callable[[int], None]):
        self.store, self.settings, self.runner, self.on_pages = store, settings, runner, on_pages
        self.limit = 1 if runner.capacity == 1 else FILES_PER_SLOT * runner.capacity
        self.out: dict[Future, _ClaimedFile] = {}
        self.claimed: dict[str, _ClaimedFile] = {}
        self.again: list[tuple[Path, str]] = []   # held back: a file of the same content is out

    def run(self, items: Iterable[Path | FileResult]) -> Iterator[FileResult]:
        pending = iter(items)
        more = True
        while True:
            yield from self._start_again()
            while more and len(self.claimed) < self.limit:
                item = next(pending, None)
                if item is None:
                    more = False
                elif isinstance(item, FileResult):
                    yield item
                elif (refused := self._start(item)) is not None:
                    yield refused
            if not self.out:
                if not self.again:
                    return
                continue
            done, _ = wait(list(self.out), return_when=FIRST_COMPLETED)
            for future in done:
                result = self._advance(future)
                if result is not None:
                    yield result

    def _start_again(self) -> Iterator[FileResult]:
        """The files held back behind a file of the same content, once it is done:
        their claim then says whether it was stored."""
        for path, sha256 in [held for held in self.again if held[1] not in self.claimed]:
            self.again.remove((path, sha256))
            refused = self._start(path, sha256)
            if refused is not None:
                yield refused

    def release_all(self) -> None:
        """The claims of files still out (after Ctrl-C or an error): the next run takes them."""
        for claimed in list(self.claimed.values()):
            self._release(claimed)

    # ------------------------------------------------------------ a file's course

    def _start(self, path: Path, sha256: str | None = None) -> FileResult | None:
        """Claim the file and send its jobs out; a file not to read gets its result now."""
        if sha256 is None:
            try:
                sha256 = sha256_of(path)
            except OSError as exc:
                return FileResult(str(path), "failed", f"cannot read the file ({exc.strerror or exc})")
        if sha256 in self.claimed:
            self.again.append((path, sha256))
            return None
        claim = self.store.claim(sha256, os.path.abspath(path))
        if claim.state == "done":
            return FileResult(str(path), "skipped", _already_stored(path, claim))
        if claim.state == "busy":
            return FileResult(str(path), "skipped", f"being ingested by another process ({claim.holder}); "
                                                    "run again once it has finished to check it")
        claimed = self.claimed[sha256] = _ClaimedFile(path, sha256, claim)
        spread = self._spread_jobs(path)
        claimed.spread = bool(spread)
        for job in spread:
            self._submit(claimed, run_page_job, job)
        if not spread:
            self._submit(claimed, run_file_job, FileJob(str(path), sha256, self.settings))
        return None

    def _spread_jobs(self, path: Path) -> list[PageJob]:
        """A big file's page jobs; none for a file read whole by one worker
        (a file that cannot be opened too: its job says why)."""
        kind = kind_of(path)
        if self.runner.capacity == 1 or kind == "text":
            return []
        try:
            count = pdf_page_count(str(path)) if kind == "pdf" else image_page_count(str(path))
        except Exception:  # noqa: BLE001 - the file job reports the cause
            return []
        return page_jobs(path, self.settings.ocr, count) if count > SPREAD_PAGES else []

    def _submit(self, claimed: _ClaimedFile, function: Callable, job: object) -> None:
        try:
            future = self.runner.executor.submit(function, job)
        except Exception as exc:  # noqa: BLE001 - a broken pool fails the file, not the batch
            future = Future()
            future.set_exception(exc)
        self.out[future] = claimed
        claimed.jobs_out += 1

    def _advance(self, future: Future) -> FileResult | None:
        """One job of a file is back: the file's result once its last job is."""
        claimed = self.out.pop(future)
        claimed.jobs_out -= 1
        try:
            value = future.result()
        except Exception as exc:  # noqa: BLE001 - a worker died, or the cluster lost the job
            value = _lost_job(exc)
        if isinstance(value, PageOutcome):
            claimed.pages.append(value)
            self.on_pages(1)
        elif value.error is not None:
            claimed.failure = claimed.failure or value
        else:  # the file's forms: its last job
            if not claimed.spread:
                self.on_pages(value.pages + len(value.failed))
            return self._finish(claimed, value)
        if claimed.jobs_out:
            return None
        if claimed.failure is not None:
            return self._finish(claimed, claimed.failure)
        try:  # the last page of a spread file is in: its forms next
            document = document_of(str(claimed.path), claimed.sha256,
                                   sorted(claimed.pages, key=lambda outcome: outcome.number))
        except Exception as exc:  # noqa: BLE001 - no page could be read
            return self._finish(claimed, failed_outcome(exc))
        claimed.pages = []
        self._submit(claimed, run_forms_job, FormsJob(document, self.settings))
        return None

    def _finish(self, claimed: _ClaimedFile, outcome: FileOutcome) -> FileResult:
        """Store the file's outcome, release its claim, and say what came of it."""
        try:
            result = self._store(claimed, outcome)
        finally:
            self._release(claimed)
        previous = claimed.claim.previous
        if previous is not None:
            before = f"{len(previous.failed_pages)} pages failed before" if previous.status == "partial" \
                else f"it failed before: {previous.error}"
            result.message = f"retried ({before})" + (f"; {result.message}" if result.message else "")
        return result

    def _store(self, claimed: _ClaimedFile, outcome: FileOutcome) -> FileResult:
        path, where = claimed.path, os.path.abspath(claimed.path)
        if outcome.error is None:
            try:
                stored = self.store.save_source(claimed.sha256, where, outcome.pages + len(outcome.failed),
                                                outcome.forms, batch=self.settings.batch,
                                                failed_pages=outcome.failed)
            except Exception as exc:  # noqa: BLE001 - the store failing fails this file alone
                outcome = failed_outcome(exc)
        if outcome.error is not None:
            log.debug("%s failed:\n%s", path, outcome.trace)
            _record_failure(self.store, claimed.sha256, where, outcome.error)
            return FileResult(str(path), "failed", outcome.message)
        if not stored:
            return FileResult(str(path), "skipped", "already ingested (by another process meanwhile)")
        failed = outcome.failed
        findings = sum(len(f.findings) for f in outcome.forms)
        message = (f"{len(failed)} pages failed: " + "; ".join(f"page {p.number}: {p.error}" for p in failed)
                   + "; the forms next to them go to review") if failed else ""
        return FileResult(str(path), "ok", message, outcome.pages, len(outcome.forms), findings,
                          [f"page {p.number}: {p.error}" for p in failed])

    def _release(self, claimed: _ClaimedFile) -> None:
        self.claimed.pop(claimed.sha256, None)
        try:
            self.store.release(claimed.sha256)
        except sqlite3.Error:  # the store itself is failing: the file's result says why
            log.debug("cannot release the claim on %s", claimed.path, exc_info=True)


def _lost_job(exc: Exception) -> FileOutcome:
    """A job that came back as an error of the runner, not of the file."""
    cause = f"the worker running it was lost ({type(exc).__name__}: {exc})"
    return FileOutcome(error=cause, message=f"{cause}; run again to retry the file")


def _already_stored(path: Path, claim: Claim) -> str:
    known = claim.previous
    same = "" if known is None or known.file == path.name else f" (same content as {known.file})"
    if claim.reason:
        return f"ingested before with pages that could not be read{same}; {claim.reason}"
    return f"already ingested{same}"


def _record_failure(store: Store, sha256: str, path: str, cause: str) -> None:
    try:
        store.save_failure(sha256, path, cause)
    except Exception:  # noqa: BLE001 - the store is what fails; the file is reported all the same
        log.debug("cannot record the failure of %s", path, exc_info=True)
