"""Per-page work that a worker process takes whole.

A `PageJob` names one page of one file and how to read it; `run_page_job`
reads it in whatever process runs it and never raises: a page that fails
comes back as a failed outcome, so that it fails alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from extract.errors import SelfevalError
from extract.model import Page
from extract.pipeline.settings import OcrSettings
from extract.sources.files import check_readable_pdf, kind_of
from extract.sources.pdf import has_text_layer, page_count, read_text_page
from extract.sources.raster import image_page_count, load_image_page, rasterise_pdf_page

log = logging.getLogger("selfeval.pipeline")


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


def page_jobs(path: Path, settings: OcrSettings, count: int | None = None) -> list[PageJob]:
    """A job per page of a PDF or image file (its `count` of pages, where
    known); a file that cannot be opened is an error."""
    is_image = kind_of(path) == "image"
    if count is None and is_image:
        count = image_page_count(str(path))
    elif count is None:
        check_readable_pdf(path)
        count = page_count(str(path))
    return [PageJob(str(path), n, is_image, settings) for n in range(1, count + 1)]


def run_page_job(job: PageJob) -> PageOutcome:
    """Read one page; a page that fails, fails alone."""
    try:
        return PageOutcome(job.number, read_page(job))
    except SelfevalError as exc:
        log.debug("page %d of %s failed", job.number, job.path, exc_info=True)
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
    # OpenCV and the OCR models load only where a page needs them
    from extract.scan.engines import get_engine
    from extract.scan.page import read_scan_page
    from extract.scan.tesseract import TesseractSettings

    engine = get_engine(job.ocr.engine, strips=job.ocr.strips,
                        tesseract=TesseractSettings.from_environment(base=job.ocr.tesseract), reread=job.ocr.reread)
    return read_scan_page(image, job.number, engine, settings=job.ocr.scan, grid_settings=job.ocr.grid)


def page_needs_ocr(path: str, number: int, mode: str) -> bool:
    """Whether a PDF page is read by OCR: `always`, `never`, or (auto) when
    it has no usable text layer."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not has_text_layer(path, number)
