"""The document model every stage fills, and the form record it ends in.

One coordinate convention for the whole product: a bbox is
``(x0, top, x1, bottom)`` in PDF points (1/72 inch), origin at the top-left
corner of the page, y growing downwards -- pdfplumber's convention.  Raster
stages convert pixels to points with the page's dpi before filling the model.

This module imports nothing of ours, so that every stage can import it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Iterator

SCHEMA_VERSION = "1.1"
# The money unit where the funding table states none (FORM_RECORD.md).
DEFAULT_MONEY_UNIT = "万元"

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
    "total_weight", "total_score", "grade", "title", "money_unit", "extra",
)
# Keys of the record that hold no field: `extra` keeps, as printed, what the
# form labels and no other key holds; it is not compared, read or routed.
UNCOMPARED_KEYS = ("extra",)
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


@dataclass(frozen=True)
class FailedPage:
    """A page of a document that could not be read, and why."""

    number: int
    error: str


@dataclass
class Document:
    path: str
    sha256: str
    pages: list[Page] = field(default_factory=list)
    failed: list[FailedPage] = field(default_factory=list)    # pages that could not be read

    @property
    def file_name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass
class Provenance:
    """Where a field's value came from.

    `page` and `bbox` are where the cell is printed, or for a cell a page
    break cut (Word's broken rows, a merged 一级/二级 cell), where its first
    piece is; `continued` holds where each further piece is, in reading
    order (page, bbox, method, that piece's own confidence).  `confidence`
    is the whole cell's: the lowest of its pieces'."""

    page: int
    bbox: BBox | None
    method: str                      # "pdf-text", "ocr:<engine>", "rule", "ner", "review"
    confidence: float = 1.0
    continued: list["Provenance"] = field(default_factory=list)

    @property
    def parts(self) -> list[tuple[int, BBox | None]]:
        """(page, bbox) of every piece of the cell, the first piece first."""
        return [(self.page, self.bbox)] + [(part.page, part.bbox) for part in self.continued]

    def with_continuation(self, more: "Provenance") -> "Provenance":
        """This provenance with one more piece (and that piece's own
        further pieces) after it; the confidence is the lowest of all."""
        pieces = [*self.continued, replace(more, continued=[]), *more.continued]
        return replace(self, continued=pieces, confidence=min([self.confidence] + [p.confidence for p in pieces]))

    def to_dict(self) -> dict[str, Any]:
        shown = {
            "page": self.page,
            "bbox": self.bbox.as_list() if self.bbox else None,
            "method": self.method,
            "confidence": round(self.confidence, 4),
        }
        if self.continued:
            shown["continued"] = [part.to_dict() for part in self.continued]
        return shown


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


# ---------------------------------------------------------------- field paths

# Leaves parsed out of one printed cell: the cell they come from.
PARSED_FROM = {
    "target_op": "target", "target_value": "target", "target_unit": "target",
    "actual_value": "actual", "actual_unit": "actual",
    "deviation_cause": "deviation", "improvement": "deviation",
}
# The number leaves of the contract (every other leaf is text, or a list).
NUMBER_LEAVES = frozenset({"year", "total_weight", "total_score", *FUNDING_ROW_KEYS,
                           "target_value", "actual_value", "weight", "score"})
_PATH = re.compile(r"^(?:(?P<top>[a-z_0-9]+)|source\.(?P<source>[a-z_0-9]+)|funding\.(?P<row>[a-z_]+)\.(?P<fkey>[a-z_]+)"
                   r"|indicators\[(?P<index>\d+)\]\.(?P<ikey>[a-z_0-9]+))$")
_LEAF_RECORD_KEYS = tuple(k for k in RECORD_KEYS if k not in ("source", "funding", "indicators") + UNCOMPARED_KEYS)


class FieldPath(str):
    """The path of one leaf of a record, the one name every stage, the store,
    review and export use: ``year``, ``source.pages``,
    ``funding.total.executed``, ``indicators[2].target_value``.

    Made only through the constructors below, which check the names against
    the contract, so that a renamed field fails where a path is made."""

    __slots__ = ()

    @classmethod
    def of(cls, text: str) -> "FieldPath":
        """Parse a path written as text (from the store, a task, a finding)."""
        if isinstance(text, FieldPath):
            return text
        match = _PATH.match(text)
        if match is None:
            raise ValueError(f"not a field path of the record: {text!r}")
        top, source, row, fkey, index, ikey = match.group("top", "source", "row", "fkey", "index", "ikey")
        if top is not None:
            return cls.top(top)
        if source is not None:
            return cls.source(source)
        if row is not None:
            return cls.funding(row, fkey)
        return cls.indicator(int(index), ikey)

    @classmethod
    def top(cls, key: str) -> "FieldPath":
        if key not in _LEAF_RECORD_KEYS:
            raise ValueError(f"no record leaf {key!r}")
        return str.__new__(cls, key)

    @classmethod
    def source(cls, key: str) -> "FieldPath":
        if key not in SOURCE_KEYS:
            raise ValueError(f"no source key {key!r}")
        return str.__new__(cls, f"source.{key}")

    @classmethod
    def funding(cls, row: str, key: str) -> "FieldPath":
        if row not in FUNDING_KEYS or key not in FUNDING_ROW_KEYS:
            raise ValueError(f"no funding leaf {row!r}.{key!r}")
        return str.__new__(cls, f"funding.{row}.{key}")

    @classmethod
    def indicator(cls, index: int, key: str) -> "FieldPath":
        if key not in INDICATOR_KEYS or index < 0:
            raise ValueError(f"no indicator leaf [{index}].{key!r}")
        return str.__new__(cls, f"indicators[{index}].{key}")

    # ------------------------------------------------------------ parts

    @property
    def parts(self) -> tuple[str, Any, str]:
        """(section, row, key): ("record", None, "year"), ("source", None, "pages"),
        ("funding", "total", "executed"), ("indicators", 2, "target_value")."""
        return _parts(str(self))

    @property
    def section(self) -> str:
        return self.parts[0]

    @property
    def key(self) -> str:
        return self.parts[2]

    @property
    def index(self) -> int | None:
        """The indicator's position, for an indicator leaf."""
        section, row, _ = self.parts
        return row if section == "indicators" else None

    def sibling(self, key: str) -> "FieldPath":
        """The leaf `key` of the same row (funding row or indicator)."""
        section, row, _ = self.parts
        if section == "funding":
            return FieldPath.funding(row, key)
        if section == "indicators":
            return FieldPath.indicator(row, key)
        return FieldPath.top(key)

    @property
    def cell(self) -> "FieldPath":
        """The printed cell this leaf is read from: itself, or for a parsed
        leaf (target_value, improvement, …) the cell it is parsed out of."""
        section, row, key = self.parts
        return FieldPath.indicator(row, PARSED_FROM[key]) if section == "indicators" and key in PARSED_FROM else self

    @property
    def parsed(self) -> tuple["FieldPath", ...]:
        """The leaves parsed out of this printed cell (none for most)."""
        section, row, key = self.parts
        if section != "indicators":
            return ()
        return tuple(FieldPath.indicator(row, leaf) for leaf, cell in PARSED_FROM.items() if cell == key)

    @property
    def is_number(self) -> bool:
        return self.key in NUMBER_LEAVES

    @property
    def is_read_from_form(self) -> bool:
        """False for what the product writes itself (schema, form id, source)."""
        return self.section != "source" and self not in ("schema_version", "form_id")

    def __repr__(self) -> str:
        return f"FieldPath({str(self)!r})"


@lru_cache(maxsize=65536)
def _parts(text: str) -> tuple[str, Any, str]:
    match = _PATH.match(text)
    if match is None:  # pragma: no cover - constructors admit only valid paths
        raise ValueError(text)
    if match.group("top"):
        return "record", None, match.group("top")
    if match.group("source"):
        return "source", None, match.group("source")
    if match.group("row"):
        return "funding", match.group("row"), match.group("fkey")
    return "indicators", int(match.group("index")), match.group("ikey")


def form_id(sha256: str, position: int) -> str:
    """The contract's stable id: 12 hex of the file's SHA-256, `-`, the 1-based position."""
    return f"{sha256[:12]}-{position}"


def source_of(file_name: str, sha256: str, pages: Iterable[int], kinds: Iterable[str]) -> dict[str, Any]:
    """The record's `source`: the file's name and hash, its pages, and
    ``scan`` if any of them was read by OCR."""
    return {"file": file_name, "sha256": sha256, "pages": sorted(set(pages)),
            "kind": "scan" if "scan" in set(kinds) else "text"}


# ---------------------------------------------------------------- field state

FIELD_STATUSES = ("accepted", "pending", "in_review", "reviewed")


@dataclass
class FieldState:
    """What the product knows of one field besides its value: where it was
    read, how sure the checks are of it, and whether a person must look."""

    provenance: Provenance | None = None   # page, bbox, method and reading confidence
    confidence: float | None = None        # set by the confidence check, in [0, 1]
    status: str | None = None              # one of FIELD_STATUSES, set by routing
    doubts: set[str] = field(default_factory=set)   # what the checks doubt: see extract.checks.confidence
    label: str | None = None               # the form's own label of its column or row (权重 where it prints 权重)


@dataclass
class FormResult:
    """One form: its record, the state of each field, and what the checks found."""

    record: dict[str, Any]
    fields: dict[FieldPath, FieldState] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # the known template families whose title and headers the form prints
    # (extract.layout.templates); None where the reader does not tell
    families: tuple[str, ...] | None = None

    def state(self, path: str) -> FieldState:
        """The state of the field at `path`, made empty the first time it is asked for."""
        state = self.fields.get(path)  # a known path needs no parsing (the readers ask 1000 times a form)
        if state is None:
            state = self.fields.setdefault(FieldPath.of(path), FieldState())
        return state

    def provenance(self, path: str) -> Provenance | None:
        state = self.fields.get(FieldPath.of(path))
        return state.provenance if state is not None else None

    def confidence(self, path: str) -> float | None:
        state = self.fields.get(FieldPath.of(path))
        return state.confidence if state is not None else None

    def status(self, path: str) -> str | None:
        state = self.fields.get(FieldPath.of(path))
        return state.status if state is not None else None

    def leaves(self) -> Iterator[tuple[FieldPath, Any, FieldState]]:
        """Every leaf of the record in contract order, with its state."""
        for path, value in iter_fields(self.record):
            yield path, value, self.state(path)


def empty_funding_row() -> dict[str, Any]:
    return {key: None for key in FUNDING_ROW_KEYS}


def empty_indicator() -> dict[str, Any]:
    return {key: None for key in INDICATOR_KEYS}


def empty_record() -> dict[str, Any]:
    record: dict[str, Any] = {key: None for key in RECORD_KEYS}
    record["schema_version"] = SCHEMA_VERSION
    record["funding"] = {key: empty_funding_row() for key in FUNDING_KEYS}
    record["indicators"] = []
    record["extra"] = {}
    return record


def upgraded_record(record: dict[str, Any], title: str) -> dict[str, Any]:
    """A record of schema 1 as 1.1 (a copy; a 1.1 record as it is): 1.1 is 1
    with `title`, `money_unit` and `extra` more.  Schema 1 was read from the
    reference template only, so its forms printed `title` and stated
    万元 or no unit."""
    if record.get("schema_version") != "1":
        return record
    return {**record, "schema_version": SCHEMA_VERSION, "title": title,
            "money_unit": DEFAULT_MONEY_UNIT, "extra": {}}


def iter_fields(record: dict[str, Any]) -> Iterator[tuple[FieldPath, Any]]:
    """Yield (path, value) for every leaf of a record, in contract order.

    Paths read like ``source.pages``, ``funding.total.executed`` and
    ``indicators[2].target_value``; `source.pages` is one leaf (a list).
    """
    for key in RECORD_KEYS:
        value = record.get(key)
        if key == "source":
            source = value or {}
            for skey in SOURCE_KEYS:
                yield FieldPath.source(skey), source.get(skey)
        elif key == "funding":
            funding = value or {}
            for fkey in FUNDING_KEYS:
                row = funding.get(fkey) or {}
                for rkey in FUNDING_ROW_KEYS:
                    yield FieldPath.funding(fkey, rkey), row.get(rkey)
        elif key == "indicators":
            for i, indicator in enumerate(value or []):
                for ikey in INDICATOR_KEYS:
                    yield FieldPath.indicator(i, ikey), indicator.get(ikey)
        elif key in UNCOMPARED_KEYS:
            continue
        else:
            yield FieldPath.top(key), value


def get_field(record: dict[str, Any], path: str) -> Any:
    section, row, key = FieldPath.of(path).parts
    if section == "record":
        return record.get(key)
    if section == "source":
        return (record.get("source") or {}).get(key)
    if section == "funding":
        return ((record.get("funding") or {}).get(row) or {}).get(key)
    indicators = record.get("indicators") or []
    return indicators[row].get(key) if row < len(indicators) else None


def set_field(record: dict[str, Any], path: str, value: Any) -> None:
    section, row, key = FieldPath.of(path).parts
    if section == "record":
        record[key] = value
    elif section == "source":
        record["source"][key] = value
    elif section == "funding":
        record["funding"][row][key] = value
    else:
        record["indicators"][row][key] = value


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
