"""One file into checked forms: its pages read (by jobs, in workers or here),
the pages parsed into forms by the reader that fits them, the forms
numbered, and the checks run over them in their order.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from pathlib import Path
from typing import Callable, Iterable, Iterator

from extract.checks import CheckContext, run_checks
from extract.errors import BadInputFile, NoFormFound
from extract.sources.cells import has_grid
from extract.model import Document, FailedPage, FormResult, Page, form_id
from extract.parse.flat_reader import parse_flat_pages, parse_flat_text
from extract.parse.grid_reader import parse_document
from extract.parse.tagger import optional_tagger
from extract.pipeline.jobs import PageOutcome, page_jobs, run_page_job
from extract.pipeline.settings import IngestSettings, OcrSettings
from extract.sources.files import read_text_file

log = logging.getLogger("selfeval.pipeline")


def read_document(path: Path, sha256: str, settings: OcrSettings, pool: Executor | None = None,
                  on_page: Callable[[], None] | None = None) -> Document:
    """Read every page; the pages that failed are listed in `document.failed`."""
    jobs = page_jobs(path, settings)
    outcomes = pool.map(run_page_job, jobs) if pool is not None else map(run_page_job, jobs)
    return document_of(str(path), sha256, outcomes, on_page)


def document_of(path: str, sha256: str, outcomes: Iterable[PageOutcome],
                on_page: Callable[[], None] | None = None) -> Document:
    """The document of a file's page outcomes, in page order; a file whose
    every page failed is an error that names the first causes."""
    document = Document(path=path, sha256=sha256)
    for outcome in outcomes:
        if outcome.page is not None:
            document.pages.append(outcome.page)
        else:
            document.failed.append(FailedPage(outcome.number, outcome.error or "unreadable"))
        if on_page is not None:
            on_page()
    if not document.pages:
        raise BadInputFile(path, "no page could be read ("
                           + "; ".join(f"page {p.number}: {p.error}" for p in document.failed[:3]) + ")")
    return document


def extract_forms(document: Document, settings: IngestSettings = IngestSettings()) -> list[FormResult]:
    """Every form of a read document, parsed, numbered and checked."""
    forms = parse_pages(document)
    return check_forms(forms, document.path, f"its {len(document.pages)} pages", settings,
                       {page.number: page.error for page in document.failed})


def parse_pages(document: Document) -> list[FormResult]:
    """Every form of a read document, in page order, numbered.

    Runs of pages with a ruled grid go through the grid reader.  Runs of
    pages on which none was found (a text layer without ruling lines, a scan
    whose grid was not found) are read as flat text, their lines in reading
    order, with the model's tags, as a `.txt` extraction is; their fields
    carry method ``flat:<how the page was read>``.  A run that gives no form
    (a title alone at the foot of a page, say) is read with the grid pages
    after it."""
    forms: list[FormResult] = []
    carried: list[Page] = []
    for grid, pages in _page_runs(document.pages):
        if not grid:
            flat = parse_flat_pages(pages, document.file_name, document.sha256, optional_tagger())
            log.debug("pages %s: no grid; read as flat text, %d forms", [p.number for p in pages], len(flat))
            forms += flat
            carried = [] if flat else pages
            continue
        forms += parse_document(Document(document.path, document.sha256, carried + pages))
        carried = []
    return number_forms(forms, document.sha256)


def number_forms(forms: list[FormResult], sha256: str) -> list[FormResult]:
    """Each form's `form_id`, by its position in the file: given here, once."""
    for position, form in enumerate(forms, start=1):
        form.record["form_id"] = form_id(sha256, position)
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


def read_flat_text_file(path: Path, sha256: str, settings: IngestSettings = IngestSettings()) -> list[FormResult]:
    """Forms from a plain-text extraction, tagged by the trained model where it helps."""
    forms = parse_flat_text(read_text_file(path), path.name, sha256, tagger=optional_tagger())
    return check_forms(number_forms(forms, sha256), str(path), "the text", settings)


def check_forms(forms: list[FormResult], path: str, where: str, settings: IngestSettings,
                failed_pages: dict[int, str] | None = None) -> list[FormResult]:
    """The checks over a file's forms, in their order; no form at all is an error."""
    if not forms:
        raise NoFormFound(path, f"no 财政项目支出绩效自评表 found in {where}")
    context = CheckContext(tagger=optional_tagger(), review=settings.review, policy=settings.confidence,
                           failed_pages=failed_pages or {})
    return run_checks(forms, context)
