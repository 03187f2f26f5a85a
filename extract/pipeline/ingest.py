"""The ingest pipeline: files → pages (in worker processes) → forms → store.

Work is cut per page (`PageJob`): a page is read, alone, by a worker
process, so that a cluster engine can later take the same jobs.  The parse,
which needs the pages of a file in order, and the store run in the parent.
A bad file fails alone: the batch goes on and the result lists it.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from extract.checks.confidence import FLAT_PAGE_FACTOR, field_confidence
from extract.errors import BadInputFile, NoFormFound, SelfevalError
from extract.parse.flat_reader import has_grid, parse_flat_pages
from extract.parse.grid_reader import parse_document
from extract.model import Document, Page, ParsedForm
from extract.parse.tagger import optional_tagger
from extract.scan.ocr import ENGINES, get_engine
from extract.sources.pdf import has_text_layer, page_count, read_text_page
from extract.checks.repair import repair_missing_numbers
from extract.checks.routing import ReviewSettings, route
from extract.checks.second_opinion import review_deviations, review_forms
from extract.sources.raster import (DEFAULT_MAX_PAGE_PIXELS, IMAGE_SUFFIXES, image_page_count, load_image_page,
                            rasterise_pdf_page)
from extract.store import Claim, FailedPage, Store
from extract.checks.validate import unreadable_page_findings, validate

log = logging.getLogger("selfeval.ingest")

PDF_SUFFIXES = frozenset({".pdf"})
# Flat text: a text extraction with no table structure left (issue 4).
TEXT_SUFFIXES = frozenset({".txt"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | IMAGE_SUFFIXES | TEXT_SUFFIXES
OCR_MODES = ("auto", "always", "never")
# The engine the scanned-corpus benchmark found more accurate (README, Measured).
DEFAULT_OCR_ENGINE = "rapidocr"
# PDF pages are rasterised for OCR at this resolution (200–300 dpi read well).
DEFAULT_OCR_DPI = 200


@dataclass(frozen=True)
class OcrSettings:
    mode: str = "auto"                 # auto: OCR the pages without a usable text layer
    engine: str = DEFAULT_OCR_ENGINE
    dpi: int = DEFAULT_OCR_DPI
    max_page_pixels: int = DEFAULT_MAX_PAGE_PIXELS   # a page over this fails alone, before it is decoded

    def __post_init__(self) -> None:
        if self.mode not in OCR_MODES:
            raise ValueError(f"--ocr must be one of {', '.join(OCR_MODES)}, not {self.mode!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"--ocr-engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not 72 <= self.dpi <= 600:
            raise ValueError(f"the OCR resolution must be between 72 and 600 dpi, not {self.dpi}")
        if isinstance(self.max_page_pixels, bool) or not isinstance(self.max_page_pixels, int) \
                or self.max_page_pixels < 1_000_000:
            raise ValueError(f"the page pixel limit must be a whole number of at least 1,000,000, "
                             f"not {self.max_page_pixels!r}")


@dataclass(frozen=True)
class IngestSettings:
    workers: int = 1
    ocr: OcrSettings = OcrSettings()
    review: ReviewSettings = ReviewSettings()
    batch: str | None = None          # the files of one run: one review project

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a whole number of at least 1, not {self.workers!r}")


@dataclass(frozen=True)
class PageJob:
    """One page of one file: the unit of work a worker process takes."""

    path: str
    number: int
    is_image: bool
    ocr: OcrSettings


@dataclass
class PageOutcome:
    number: int
    page: Page | None
    error: str | None = None


def run_page_job(job: PageJob) -> PageOutcome:
    """Read one page; a page that fails, fails alone."""
    try:
        return PageOutcome(job.number, read_page(job))
    except SelfevalError as exc:
        return PageOutcome(job.number, None, getattr(exc, "cause", exc.message))
    except Exception as exc:  # noqa: BLE001 - one bad page must not end the file
        log.debug("page %d of %s failed", job.number, job.path, exc_info=True)
        return PageOutcome(job.number, None, f"{type(exc).__name__}: {exc}")


def read_page(job: PageJob) -> Page:
    if job.is_image:
        image = load_image_page(job.path, job.number, job.ocr.max_page_pixels)
    elif page_needs_ocr(job.path, job.number, job.ocr.mode):
        image = rasterise_pdf_page(job.path, job.number, job.ocr.dpi, job.ocr.max_page_pixels)
    else:
        return read_text_page(job.path, job.number)
    from extract.scan.page import read_scan_page  # OpenCV and the OCR models load only where needed

    return read_scan_page(image, job.number, get_engine(job.ocr.engine))


def page_needs_ocr(path: str, number: int, mode: str) -> bool:
    """Whether a PDF page is read by OCR: `always`, `never`, or (auto) when
    it has no usable text layer."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not has_text_layer(path, number)


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_readable_pdf(path: Path) -> None:
    """Fail early, with the cause, on what is plainly not a PDF."""
    size = path.stat().st_size
    if size == 0:
        raise BadInputFile(str(path), "the file is empty (0 bytes)")
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise BadInputFile(str(path), f"not a PDF (it starts with {head[:8]!r}); only PDF files are read")


def page_jobs(path: Path, settings: OcrSettings) -> list[PageJob]:
    is_image = path.suffix.lower() in IMAGE_SUFFIXES
    if is_image:
        count = image_page_count(str(path))
    else:
        check_readable_pdf(path)
        count = page_count(str(path))
    return [PageJob(str(path), n, is_image, settings) for n in range(1, count + 1)]


def read_document(path: Path, sha256: str, settings: OcrSettings, pool: Executor | None,
                  on_page: Callable[[], None] | None = None) -> tuple[Document, list[FailedPage]]:
    """Read every page; returns the document and the pages that failed."""
    jobs = page_jobs(path, settings)
    outcomes = pool.map(run_page_job, jobs) if pool is not None else map(run_page_job, jobs)
    document = Document(path=str(path), sha256=sha256)
    failed: list[FailedPage] = []
    for outcome in outcomes:
        if outcome.page is not None:
            document.pages.append(outcome.page)
        else:
            failed.append(FailedPage(outcome.number, outcome.error or "unreadable"))
        if on_page is not None:
            on_page()
    if not document.pages:
        raise BadInputFile(str(path), "no page could be read ("
                           + "; ".join(f"page {p.number}: {p.error}" for p in failed[:3]) + ")")
    return document, failed


def extract_forms(document: Document) -> list[ParsedForm]:
    """Parse, validate and score every form of a read document."""
    return finish_forms(parse_pages(document), document.path, f"its {len(document.pages)} pages")


def parse_pages(document: Document) -> list[ParsedForm]:
    """Every form of a read document, in page order.

    Runs of pages with a ruled grid go through the form parser.  Runs of
    pages on which none was found (a text layer without ruling lines, a scan
    whose grid was not found) are read as flat text, their lines in reading
    order, with the model's tags, as a `.txt` extraction is; their fields
    carry method ``flat:<how the page was read>`` and a confidence below a
    grid cell's.  A run that gives no form (a title alone at the foot of a
    page, say) is read with the grid pages after it."""
    forms: list[ParsedForm] = []
    carried: list[Page] = []
    for grid, pages in _page_runs(document.pages):
        if not grid:
            flat = parse_flat_pages(pages, document.file_name, document.sha256, optional_tagger(), FLAT_PAGE_FACTOR)
            forms += flat
            carried = [] if flat else pages
            continue
        forms += parse_document(Document(document.path, document.sha256, carried + pages))
        carried = []
    for position, form in enumerate(forms, start=1):
        form.record["form_id"] = f"{document.sha256[:12]}-{position}"
    return forms


def _page_runs(pages: list[Page]) -> Iterator[tuple[bool, list[Page]]]:
    """Runs of consecutive pages with a grid (True) or without one (False)."""
    run: list[Page] = []
    for page in pages:
        if run and has_grid(page) != has_grid(run[0]):
            yield has_grid(run[0]), run
            run = []
        run.append(page)
    if run:
        yield has_grid(run[0]), run


def read_flat_text_file(path: Path, sha256: str) -> list[ParsedForm]:
    """Forms from a plain-text extraction, tagged by the trained model where it helps."""
    from extract.parse.flat_reader import parse_flat_text

    raw = path.read_bytes()
    if not raw.strip():
        raise BadInputFile(str(path), "the file is empty")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadInputFile(str(path), "not UTF-8 or GB18030 text")
    forms = parse_flat_text(text, path.name, sha256, tagger=optional_tagger())
    return finish_forms(forms, str(path), "the text")


def finish_forms(forms: list[ParsedForm], path: str, where: str) -> list[ParsedForm]:
    """Repair, validate and score parsed forms; none at all is an error.

    The model gives its second opinion on every field of every form (one
    text per form, the file's forms tagged in one batch) and on every
    deviation split; where it disagrees the field's confidence drops."""
    if not forms:
        raise NoFormFound(path, f"no 财政项目支出绩效自评表 found in {where}")
    tagger = optional_tagger()
    for form in forms:
        repair_missing_numbers(form)
    opinions = review_forms(forms, tagger)
    for form, disputed in zip(forms, opinions):
        disputed |= review_deviations(form, tagger)
        form.findings.extend(validate(form.record))
        form.confidence = field_confidence(form, disputed)
    return forms


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
        if path.suffix.lower() in TEXT_SUFFIXES:
            forms, pages = read_flat_text_file(path, sha256), 0
        else:
            document, failed = read_document(path, sha256, settings.ocr, pool, on_page)
            forms, pages = extract_forms(document), len(document.pages)
            flag_unreadable_pages(forms, failed)
        for form in forms:
            form.status = route(form, settings.review)
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


def flag_unreadable_pages(forms: list[ParsedForm], failed: list[FailedPage]) -> None:
    """A form on or next to a page that could not be read gets a finding,
    which sends its fields to review."""
    if not failed:
        return
    found = unreadable_page_findings([f.record for f in forms], {p.number: p.error for p in failed})
    for form, findings in zip(forms, found):
        form.findings.extend(findings)


def _record_failure(store: Store, sha256: str, path: str, cause: str) -> None:
    try:
        store.save_failure(sha256, path, cause)
    except Exception:  # noqa: BLE001 - the store is what fails; the file is reported all the same
        log.debug("cannot record the failure of %s", path, exc_info=True)


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    settings: IngestSettings = IngestSettings(),
    on_file: Callable[[FileResult], None] | None = None,
    on_page: Callable[[], None] | None = None,
) -> BatchResult:
    """Ingest files and folders into the store; one bad file fails alone."""
    batch = BatchResult()
    pool = _worker_pool(settings.workers)
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
            _stop_pool(pool, wait=finished)
    return batch


def _worker_pool(workers: int) -> Executor | None:
    if workers == 1:
        return None  # no process start-up cost for a small batch
    # Workers are started clean (spawn), not forked from this process: a
    # forked worker would share the parent's open file handles.  They are the
    # parent's own children, so that they can be told to die with it.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))


def _stop_pool(pool: ProcessPoolExecutor, wait: bool) -> None:
    """Shut the workers down; on Ctrl-C or an error, at once."""
    if not wait:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
    pool.shutdown(wait=wait, cancel_futures=True)


def _start_worker(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the pool),
    and the worker dies with its parent, SIGKILL of the parent included."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="selfeval-parent-watch").start()
    if os.getppid() != parent:  # the parent died before we could ask
        os._exit(1)


def _die_with_parent() -> bool:
    """Linux's PR_SET_PDEATHSIG: the kernel sends SIGKILL when the parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
