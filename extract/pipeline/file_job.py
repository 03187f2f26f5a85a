"""A file's work as one job that a worker process, or a Dask worker, takes
whole: its pages read, parsed into forms and checked.  Only storing is
left to the process that ingests.

A big file is cut further: its pages go out as page jobs
(`extract.pipeline.jobs`) and the read document comes back as a
`FormsJob`.  Neither job raises: a file that fails comes back as a failed
outcome with the cause, so that it fails alone wherever it ran.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from extract.errors import SelfevalError
from extract.model import Document, FailedPage, FormResult
from extract.pipeline.document import extract_forms, read_document, read_flat_text_file
from extract.pipeline.settings import IngestSettings
from extract.sources.files import kind_of
from extract.store import FormRows, form_rows


@dataclass(frozen=True)
class FileJob:
    """One file, read, parsed and checked in whatever process runs the job."""

    path: str
    sha256: str
    settings: IngestSettings


@dataclass(frozen=True)
class FormsJob:
    """A document whose pages were read by page jobs: its forms parsed and checked."""

    document: Document
    settings: IngestSettings


@dataclass
class FileOutcome:
    forms: list[FormRows] = field(default_factory=list)     # as the store writes them, made here
    pages: int = 0                                     # pages read (0 for a flat text)
    failed: list[FailedPage] = field(default_factory=list)
    error: str | None = None                           # the file failed: the cause, for the store
    message: str = ""                                  # and what the user is told
    trace: str = ""                                    # the traceback, for -v


def run_file_job(job: FileJob) -> FileOutcome:
    """Read, parse and check one file; whatever fails, fails this file alone."""
    try:
        path = Path(job.path)
        if kind_of(path) == "text":
            return FileOutcome(_rows(read_flat_text_file(path, job.sha256, job.settings)))
        document = read_document(path, job.sha256, job.settings.ocr, None)
        return FileOutcome(_rows(extract_forms(document, job.settings)), len(document.pages), document.failed)
    except Exception as exc:  # noqa: BLE001 - any stage's bug or a library's surprise fails this file alone
        return failed_outcome(exc)


def run_forms_job(job: FormsJob) -> FileOutcome:
    """Parse and check a document read page by page elsewhere."""
    try:
        return FileOutcome(_rows(extract_forms(job.document, job.settings)), len(job.document.pages),
                           job.document.failed)
    except Exception as exc:  # noqa: BLE001 - as run_file_job
        return failed_outcome(exc)


def _rows(forms: list[FormResult]) -> list[FormRows]:
    return [form_rows(form) for form in forms]


def failed_outcome(exc: Exception) -> FileOutcome:
    trace = traceback.format_exc()
    if isinstance(exc, SelfevalError):
        return FileOutcome(error=exc.message, message=getattr(exc, "cause", exc.message), trace=trace)
    cause = f"{type(exc).__name__}: {exc}"
    return FileOutcome(error=cause, message=f"{cause} (run with -v for the traceback)", trace=trace)
