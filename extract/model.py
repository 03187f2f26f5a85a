"""The document model every stage fills, and the form record it ends in.

One coordinate convention for the whole product: a bbox is
``(x0, top, x1, bottom)`` in PDF points (1/72 inch), origin at the top-left
corner of the page, y growing downwards -- pdfplumber's convention.  Raster
stages convert pixels to points with the page's dpi before filling the model.

This module imports nothing of ours, so that every stage can import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

SCHEMA_VERSION = "1"

FUNDING_KEYS = ("total", "current_appropriation", "carryover", "other")
FUNDING_ROW_KEYS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
INDICATOR_KEYS = (
    "level1", "level2", "name",
    "target", "target_op", "target_value", "target_unit",
    "actual", "actual_value", "actual_unit",
    "weight", "score",
    "deviation", "deviation_cause", "improvement",
)
RECORD_KEYS = (
    "schema_version", "form_id", "source", "year", "project_name", "department",
    "implementing_unit", "funding", "goal_expected", "goal_actual", "indicators",
    "total_weight", "total_score", "grade",
)
SOURCE_KEYS = ("file", "sha256", "pages", "kind")


@dataclass(frozen=True)
class BBox:
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.top + self.bottom) / 2)

    def contains_point(self, x: float, y: float, tol: float = 0.0) -> bool:
        return self.x0 - tol <= x <= self.x1 + tol and self.top - tol <= y <= self.bottom + tol

    def x_overlap(self, other: "BBox") -> float:
        return max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))

    def as_list(self) -> list[float]:
        return [round(self.x0, 2), round(self.top, 2), round(self.x1, 2), round(self.bottom, 2)]


@dataclass
class Word:
    """A run of characters on one line, as the text layer or OCR gives it."""

    text: str
    bbox: BBox
    confidence: float = 1.0


@dataclass
class Cell:
    """One ruled cell of a table, with the grid slots it spans."""

    bbox: BBox
    text: str
    row: int = 0          # first grid row the cell occupies
    col: int = 0          # first grid column
    row_span: int = 1
    col_span: int = 1
    confidence: float = 1.0
    words: list[Word] = field(default_factory=list)   # the cell's text lines, top to bottom

    @property
    def last_row(self) -> int:
        return self.row + self.row_span - 1


@dataclass
class Table:
    """A ruled table found on a page; `rows`/`cols` count its grid slots."""

    bbox: BBox
    cells: list[Cell]
    rows: int
    cols: int


@dataclass
class TextLine:
    """A line of text outside any table (titles such as 财政项目支出绩效自评表;
    on a page with no grid, all the page holds)."""

    text: str
    bbox: BBox
    confidence: float = 1.0      # the OCR engine's lowest score over the line; 1.0 for a text layer


@dataclass
class Page:
    number: int                      # 1-based within its document
    width: float
    height: float
    kind: str = "text"               # "text" (text layer) or "scan" (OCR)
    method: str = "pdf-text"         # how cell text was read: "pdf-text" or "ocr:<engine>"
    tables: list[Table] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)


@dataclass
class Document:
    path: str
    sha256: str
    pages: list[Page] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass
class Provenance:
    """Where a field's value came from."""

    page: int
    bbox: BBox | None
    method: str                      # "pdf-text", "ocr:<engine>", "rule", "ner", "review"
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "bbox": self.bbox.as_list() if self.bbox else None,
            "method": self.method,
            "confidence": round(self.confidence, 4),
        }


@dataclass
class Finding:
    """A rule of the contract's arithmetic that a record breaks."""

    rule: str
    fields: list[str]
    expected: Any
    found: Any
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "fields": list(self.fields),
            "expected": _jsonable(self.expected),
            "found": _jsonable(self.found),
            "message": self.message,
        }


@dataclass
class ParsedForm:
    """A form record as the parser built it, with where each field came from."""

    record: dict[str, Any]
    provenance: dict[str, Provenance] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)   # per field path, in [0, 1]
    status: dict[str, str] = field(default_factory=dict)        # per field path: pending or accepted


def empty_funding_row() -> dict[str, Any]:
    return {key: None for key in FUNDING_ROW_KEYS}


def empty_indicator() -> dict[str, Any]:
    return {key: None for key in INDICATOR_KEYS}


def empty_record() -> dict[str, Any]:
    record: dict[str, Any] = {key: None for key in RECORD_KEYS}
    record["schema_version"] = SCHEMA_VERSION
    record["funding"] = {key: empty_funding_row() for key in FUNDING_KEYS}
    record["indicators"] = []
    return record


def iter_fields(record: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield (path, value) for every leaf of a record, in contract order.

    Paths read like ``source.pages``, ``funding.total.executed`` and
    ``indicators[2].target_value``; `source.pages` is one leaf (a list).
    """
    for key in RECORD_KEYS:
        value = record.get(key)
        if key == "source":
            source = value or {}
            for skey in SOURCE_KEYS:
                yield f"source.{skey}", source.get(skey)
        elif key == "funding":
            funding = value or {}
            for fkey in FUNDING_KEYS:
                row = funding.get(fkey) or {}
                for rkey in FUNDING_ROW_KEYS:
                    yield f"funding.{fkey}.{rkey}", row.get(rkey)
        elif key == "indicators":
            for i, indicator in enumerate(value or []):
                for ikey in INDICATOR_KEYS:
                    yield f"indicators[{i}].{ikey}", indicator.get(ikey)
        else:
            yield key, value


def get_field(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for part in _split_path(path):
        node = node[part] if node is not None else None
    return node


def set_field(record: dict[str, Any], path: str, value: Any) -> None:
    parts = _split_path(path)
    node: Any = record
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def _split_path(path: str) -> list[Any]:
    parts: list[Any] = []
    for piece in path.split("."):
        if "[" in piece:
            name, index = piece[:-1].split("[")
            parts.extend([name, int(index)])
        else:
            parts.append(piece)
    return parts


def dumps_record(record: dict[str, Any]) -> str:
    """JSON of a record, one line.  Decimals become JSON numbers: a float's
    shortest repr gives back the same digits for the 15 or fewer significant
    digits these forms print, so nothing is lost."""
    return json.dumps(_jsonable(record), ensure_ascii=False, separators=(",", ":"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def dumps_value(value: Any) -> str:
    """JSON of one field's value, numbers as in `dumps_record`."""
    return json.dumps(_jsonable(value), ensure_ascii=False)


def loads_value(text: str | None) -> Any:
    return None if text is None else json.loads(text, parse_float=Decimal)


def loads_record(text: str) -> dict[str, Any]:
    """Parse a record's JSON, numbers as Decimal so that arithmetic stays exact."""
    return json.loads(text, parse_float=Decimal)
