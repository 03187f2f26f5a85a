"""The settings of an ingest, validated objects all: how pages are read, how
fields are checked and routed, and how many workers do it.

A settings file (TOML) can set any of them; `selfeval settings` prints the
defaults in that form.  Sections and their objects:

    [ocr]         OcrSettings          (mode, engine, dpi, max_page_pixels)
    [grid]        GridSettings         (extract.scan.grid: ruling lines and deskew)
    [strips]      StripSettings        (extract.scan.strips: cells cut into text lines)
    [tesseract]   TesseractSettings    (extract.scan.tesseract: program, stacking, timeout)
    [scan]        ScanSettings         (extract.scan.page: text outside tables, levelling)
    [review]      ReviewSettings       (extract.checks.routing: threshold, soft_findings)
    [confidence]  ConfidencePolicy     (extract.checks.confidence)
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from extract.checks.confidence import ConfidencePolicy
from extract.checks.routing import ReviewSettings
from extract.errors import UsageError
from extract.scan.engines import ENGINES
from extract.scan.grid import GridSettings
from extract.scan.page import ScanSettings
from extract.scan.reread import RereadSettings
from extract.scan.strips import StripSettings
from extract.scan.tesseract import TesseractSettings
from extract.settings import Settings
from extract.sources.raster import DEFAULT_MAX_PAGE_PIXELS

OCR_MODES = ("auto", "always", "never")
# The engine the scanned-corpus benchmark found more accurate (README, Measured).
DEFAULT_OCR_ENGINE = "rapidocr"
# PDF pages are rasterised for OCR at this resolution (200–300 dpi read well).
DEFAULT_OCR_DPI = 200


@dataclass(frozen=True)
class OcrSettings(Settings):
    """How a page is read: by its text layer or by OCR, and with what."""

    mode: str = "auto"                 # auto: OCR the pages without a usable text layer; always; never
    engine: str = DEFAULT_OCR_ENGINE   # rapidocr or tesseract
    dpi: int = DEFAULT_OCR_DPI         # PDF pages are rasterised at this resolution for OCR
    max_page_pixels: int = DEFAULT_MAX_PAGE_PIXELS   # a page over this fails alone, before it is decoded
    grid: GridSettings = GridSettings()          # how ruling lines are found on a scan
    strips: StripSettings = StripSettings()      # how a cell is cut into text lines
    tesseract: TesseractSettings = TesseractSettings()   # the tesseract program, its options and timeout
    scan: ScanSettings = ScanSettings()          # text outside tables, levelling pages without rulings
    reread: RereadSettings = RereadSettings()    # RapidOCR's second look at the lines it is unsure of

    def __post_init__(self) -> None:
        if self.mode not in OCR_MODES:
            raise ValueError(f"--ocr must be one of {', '.join(OCR_MODES)}, not {self.mode!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"--ocr-engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, int) or not 72 <= self.dpi <= 600:
            raise ValueError(f"the OCR resolution must be a whole number between 72 and 600 dpi, not {self.dpi!r}")
        if isinstance(self.max_page_pixels, bool) or not isinstance(self.max_page_pixels, int) \
                or self.max_page_pixels < 1_000_000:
            raise ValueError(f"the page pixel limit must be a whole number of at least 1,000,000, "
                             f"not {self.max_page_pixels!r}")


@dataclass(frozen=True)
class IngestSettings:
    workers: int = 1
    ocr: OcrSettings = OcrSettings()
    review: ReviewSettings = ReviewSettings()
    confidence: ConfidencePolicy = ConfidencePolicy()
    batch: str | None = None          # the files of one run: one review project
    scheduler: str | None = None      # a Dask scheduler's address: the jobs run on its cluster

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a whole number of at least 1, not {self.workers!r}")
        if self.scheduler is not None and not re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", self.scheduler):
            raise ValueError(f"--scheduler must be a Dask scheduler's address such as tcp://HOST:8786, "
                             f"not {self.scheduler!r}")


# ---------------------------------------------------------------- settings files

# Section → (where it sits in IngestSettings).
_SECTIONS = {
    "ocr": ("ocr",), "grid": ("ocr", "grid"), "strips": ("ocr", "strips"), "tesseract": ("ocr", "tesseract"),
    "scan": ("ocr", "scan"), "reread": ("ocr", "reread"), "review": ("review",), "confidence": ("confidence",),
}


def _nested(value: Any) -> set[str]:
    """The fields of a settings object that are settings objects of their own."""
    return {item.name for item in fields(value) if dataclasses.is_dataclass(getattr(value, item.name))}


def _get(settings: IngestSettings, where: tuple[str, ...]) -> Any:
    value: Any = settings
    for name in where:
        value = getattr(value, name)
    return value


def _set(settings: Any, where: tuple[str, ...], value: Any) -> Any:
    if len(where) == 1:
        return dataclasses.replace(settings, **{where[0]: value})
    inner = getattr(settings, where[0])
    return dataclasses.replace(settings, **{where[0]: _set(inner, where[1:], value)})


def load_settings(path: str | Path, base: IngestSettings = IngestSettings()) -> IngestSettings:
    """`base` with what a settings file sets; a wrong section, key or value
    is refused with its name."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the settings file ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not a TOML settings file ({exc})") from exc
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise UsageError(f"{path}: unknown sections {', '.join(unknown)} (known: {', '.join(_SECTIONS)})")
    settings = base
    for section, values in data.items():
        where = _SECTIONS[section]
        current = _get(settings, where)
        nested = sorted(set(values) & _nested(current))
        if nested:
            raise UsageError(f"{path}: [{section}] {', '.join(nested)}: give these a section of their own")
        try:
            settings = _set(settings, where, type(current).from_mapping(values, base=current))
        except ValueError as exc:
            raise UsageError(f"{path}: [{section}] {exc}") from exc
    return settings


def settings_toml(settings: IngestSettings = IngestSettings()) -> str:
    """The settings as a file `load_settings` reads (the defaults, by default)."""
    out: list[str] = []
    for section, where in _SECTIONS.items():
        value = _get(settings, where)
        out.append(f"[{section}]")
        for item in fields(value):
            if item.name in _nested(value):
                continue
            shown = getattr(value, item.name)
            if isinstance(shown, bool):
                text = "true" if shown else "false"
            elif isinstance(shown, str):
                text = json.dumps(shown, ensure_ascii=False)
            else:
                text = repr(shown)
            out.append(f"{item.name} = {text}")
        out.append("")
    return "\n".join(out)
