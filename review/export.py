"""Export form records for analysts: JSONL (the contract itself, one record a
line) and four tidy tables -- ``forms``, ``funding``, ``indicators``, ``extra``,
joined on ``form_id`` -- as CSV, XLSX or Parquet.  When records carry per-field review
data under ``_meta["fields"]`` a fourth table, ``fields``, lists it, and
``_meta["findings"]`` (broken rules, pages that could not be read) a fifth,
``findings``.

Reading the tables back with pandas:

    pd.read_parquet(folder / "forms.parquet")        # types kept exactly
    pd.read_excel(path, sheet_name=None, header=1)   # row 1 holds Chinese labels,
                                                     # row 2 the contract's field names
    pd.read_csv(folder / "forms.csv")

Two traps of the CSV and Excel readers, not of the files:
- the contract allows the literal text ``null`` as a unit (``95.00(null)``),
  which both readers turn into NaN by default; pass
  ``keep_default_na=False, na_values=[""]`` to keep it;
- CSV has no types, so a text column whose values all look like numbers
  (``schema_version`` ``"1"``, a ``source_pages`` of ``"3"`` on every form)
  comes back numeric; pass ``dtype=str`` for the text columns.

CSV opened in Excel shows a target such as ``=350.00(本)`` as a broken formula;
the XLSX export stores it as text, so Excel users should take the XLSX.

Where it writes: jsonl and xlsx to a file, csv and parquet to a folder of
table files, refusing a target it must not write (`check_target`, with
`review.targets`) and replacing an existing file atomically.
"""

from __future__ import annotations

import errno
import json
import math
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from extract.layout.labels import FIELD_NAMES_ZH
from extract.model import (
    NUMBER_LEAVES,
    FUNDING_KEYS,
    FUNDING_ROW_KEYS,
    INDICATOR_KEYS,
    RECORD_KEYS,
    SOURCE_KEYS,
    dumps_record,
    iter_fields,
)
from review.targets import ExportTargetError, check_file_target, check_folder_target, replacing

Record = dict[str, Any]

# ---------------------------------------------------------------- columns


def _form_columns() -> tuple[str, ...]:
    """form_id first (the join key), then the record's scalar keys in contract
    order with `source` flattened to source_<key>; funding, indicators and
    extra get tables of their own."""
    columns = ["form_id"]
    for key in RECORD_KEYS:
        if key == "source":
            columns += [f"source_{skey}" for skey in SOURCE_KEYS]
        elif key not in ("form_id", "funding", "indicators", "extra"):
            columns.append(key)
    return tuple(columns)


FORM_COLUMNS = _form_columns()
FUNDING_COLUMNS = ("form_id", "funding_key") + FUNDING_ROW_KEYS
INDICATOR_COLUMNS = ("form_id", "position") + INDICATOR_KEYS
# `extra`: a row per labelled cell no key holds; a column's cells (a list)
# give a row each, in indicator order.
EXTRA_COLUMNS = ("form_id", "label", "value")
FIELD_COLUMNS = ("form_id", "path", "value")  # then the _meta keys found

TABLE_COLUMNS = {
    "forms": FORM_COLUMNS,
    "funding": FUNDING_COLUMNS,
    "indicators": INDICATOR_COLUMNS,
    "extra": EXTRA_COLUMNS,
}
FINDING_COLUMNS = ("form_id", "rule", "fields", "expected", "found", "message")
TABLE_NAMES = tuple(TABLE_COLUMNS) + ("fields", "findings")

# The contract's number fields (extract.model); every other contract field is
# text.  `weight` and `score` are numbers in a funding row and in an indicator.
NUMBER_FIELDS = NUMBER_LEAVES
# The export's own counters: never null, so plain integers.
INTEGER_COLUMNS = frozenset({"position"})

# Row 1 of each XLSX sheet: the label the form prints (extract.layout), or a
# plain description for what the form does not print.  Meta keys without a
# label show their name.
COLUMN_LABELS = {
    **FIELD_NAMES_ZH,
    "funding_key": "资金类别",
    "form_id": "表单编号",
    "schema_version": "格式版本",
    "source_file": "来源文件",
    "source_sha256": "来源文件SHA-256",
    "source_pages": "页码",
    "source_kind": "来源类型（text文本/scan扫描）",
    "position": "序号",
    "path": "字段路径",
    "label": "表中标签",
    "value": "字段值",
    "confidence": "置信度",
    "status": "审核状态",
    "reviewer": "审核人",
    "original": "更正前原值",
    "rule": "检查规则",
    "fields": "涉及字段",
    "expected": "应为",
    "found": "实为",
    "message": "说明",
    "page": "页码（读取位置）",
    "bbox": "位置（x0,top,x1,bottom，磅）",
    "method": "读取方式",
}

# ---------------------------------------------------------------- values


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _as_number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _as_text(value: Any) -> str | None:
    """Text as stored; a list (source.pages) as "1,2" so that CSV, XLSX and
    Parquet all hold the same string; anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join(_as_text(item) for item in value)
    return json.dumps(value, ensure_ascii=False, default=float)


def _series(values: list[Any], kind: str) -> pd.Series:
    if kind == "integer":
        return pd.Series(values, dtype="int64")
    if kind == "number":
        return pd.Series([_as_number(v) for v in values], dtype="float64")
    # object, not pandas' str dtype, so that a null stays None
    return pd.Series([_as_text(v) for v in values], dtype=object)


def _contract_kind(column: str) -> str:
    if column in INTEGER_COLUMNS:
        return "integer"
    return "number" if column in NUMBER_FIELDS else "text"


def _frame(rows: list[dict[str, Any]], kinds: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {column: _series([row.get(column) for row in rows], kind) for column, kind in kinds.items()}
    )


# ---------------------------------------------------------------- JSONL order


def _pick(mapping: dict[str, Any] | None, keys: tuple[str, ...], where: str) -> dict[str, Any]:
    """`mapping`'s values for `keys`, in that order; a missing key is null.
    A key outside the contract is an error: dropping it would lose data
    without a word."""
    mapping = mapping or {}
    extra = [key for key in mapping if key not in keys]
    if extra:
        raise ValueError(f"{where}: keys outside the contract: {extra}")
    return {key: mapping.get(key) for key in keys}


def _in_contract_order(record: Record) -> Record:
    """The record with every key in contract order and `_meta`, if any, last."""
    form = f"form {record.get('form_id')}"
    ordered = _pick({k: v for k, v in record.items() if k != "_meta"}, RECORD_KEYS, form)
    ordered["source"] = _pick(ordered["source"], SOURCE_KEYS, f"{form} source")
    funding = _pick(ordered["funding"], FUNDING_KEYS, f"{form} funding")
    ordered["funding"] = {
        key: _pick(row, FUNDING_ROW_KEYS, f"{form} funding.{key}") for key, row in funding.items()
    }
    ordered["indicators"] = [
        _pick(indicator, INDICATOR_KEYS, f"{form} indicators[{i}]")
        for i, indicator in enumerate(ordered["indicators"] or [])
    ]
    if "_meta" in record:
        ordered["_meta"] = record["_meta"]
    return ordered


# ---------------------------------------------------------------- tables


def _form_row(record: Record) -> dict[str, Any]:
    source = record.get("source") or {}
    return {**record, **{f"source_{skey}": source.get(skey) for skey in SOURCE_KEYS}}


def _funding_rows(record: Record) -> Iterator[dict[str, Any]]:
    funding = record.get("funding") or {}
    for key in FUNDING_KEYS:
        yield {**(funding.get(key) or {}), "form_id": record.get("form_id"), "funding_key": key}


def _indicator_rows(record: Record) -> Iterator[dict[str, Any]]:
    for position, indicator in enumerate(record.get("indicators") or [], start=1):
        yield {**indicator, "form_id": record.get("form_id"), "position": position}


def _extra_rows(record: Record) -> Iterator[dict[str, Any]]:
    for label, value in (record.get("extra") or {}).items():
        for item in value if isinstance(value, list) else [value]:
            yield {"form_id": record.get("form_id"), "label": label, "value": item}


def _meta_fields(record: Record) -> dict[str, Any] | None:
    meta = record.get("_meta")
    fields = meta.get("fields") if isinstance(meta, dict) else None
    return fields if isinstance(fields, dict) else None


def _field_rows(record: Record) -> Iterator[dict[str, Any]]:
    """One row per path under _meta["fields"], in contract order, then any
    path the record has no leaf for.  A meta key that clashes with the
    table's own columns becomes meta_<key>."""
    meta_fields = _meta_fields(record) or {}
    leaves = dict(iter_fields(record))
    paths = [p for p in leaves if p in meta_fields] + [p for p in meta_fields if p not in leaves]
    for path in paths:
        meta = {(f"meta_{k}" if k in FIELD_COLUMNS else k): v for k, v in meta_fields[path].items()}
        yield {**meta, "form_id": record.get("form_id"), "path": path, "value": leaves.get(path)}


def _inferred_kind(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    return "number" if present and all(_is_number(v) for v in present) else "text"


def _finding_rows(record: Record) -> Iterator[dict[str, Any]]:
    meta = record.get("_meta")
    for finding in (meta.get("findings") or []) if isinstance(meta, dict) else []:
        yield {**finding, "form_id": record.get("form_id"), "fields": ",".join(finding.get("fields") or [])}


def _fields_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    kinds = {column: "text" for column in FIELD_COLUMNS}
    meta_keys = dict.fromkeys(k for row in rows for k in row if k not in kinds)  # first-seen order
    kinds.update({k: _inferred_kind([row.get(k) for row in rows]) for k in meta_keys})
    return _frame(rows, kinds)


def _contract_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    return _frame(rows, {column: _contract_kind(column) for column in columns})


def record_tables(records: Iterable[Record]) -> dict[str, pd.DataFrame]:
    """The records as tidy tables keyed by form_id: `forms`, `funding`,
    `indicators`, `extra`, and `fields` when any record has _meta["fields"].
    Numbers are float64 (null → NaN), text is object (null → None)."""
    records = list(records)
    tables = {
        "forms": _contract_table([_form_row(r) for r in records], FORM_COLUMNS),
        "funding": _contract_table([row for r in records for row in _funding_rows(r)], FUNDING_COLUMNS),
        "indicators": _contract_table([row for r in records for row in _indicator_rows(r)], INDICATOR_COLUMNS),
        "extra": _frame([row for r in records for row in _extra_rows(r)], {column: "text" for column in EXTRA_COLUMNS}),
    }
    if any(_meta_fields(r) is not None for r in records):
        tables["fields"] = _fields_table([row for r in records for row in _field_rows(r)])
    if any(isinstance(r.get("_meta"), dict) and "findings" in r["_meta"] for r in records):
        tables["findings"] = _frame([row for r in records for row in _finding_rows(r)],
                                    {column: "text" for column in FINDING_COLUMNS})
    return tables


# ---------------------------------------------------------------- targets

FILE_FORMATS = ("jsonl", "xlsx")      # one file
FOLDER_FORMATS = ("csv", "parquet")   # a folder of table files


def check_target(fmt: str, out: Path | str) -> None:
    """Refuse, naming the path and the fix, an `out` that `export(records,
    fmt, out)` must not write; see `review.targets`.  Touches nothing."""
    out = Path(out)
    if fmt in FILE_FORMATS:
        check_file_target(out, fmt)
    elif fmt in FOLDER_FORMATS:
        check_folder_target(out, fmt, TABLE_NAMES, tuple(TABLE_COLUMNS))
    else:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")


def _write_tables(
    records: Iterable[Record], folder: Path | str, suffix: str,
    write_table: Callable[[pd.DataFrame, Path], None],
) -> Path:
    folder = Path(folder)
    tables = record_tables(records)
    targets = [folder / f"{name}.{suffix}" for name in tables]
    with replacing(targets) as temps:
        for table, temp in zip(tables.values(), temps):
            write_table(table, temp)
    # a fields table from an earlier export would no longer match the others
    for name in set(TABLE_NAMES) - set(tables):
        (folder / f"{name}.{suffix}").unlink(missing_ok=True)
    return folder


# ---------------------------------------------------------------- formats


def write_jsonl_stream(records: Iterable[Record], out: TextIO) -> None:
    """One record a line, keys in contract order, `_meta` last when present."""
    for record in records:
        out.write(dumps_record(_in_contract_order(record)) + "\n")


def write_jsonl(records: Iterable[Record], path: Path | str) -> Path:
    path = Path(path)
    with replacing([path]) as (temp,):
        with open(temp, "x", encoding="utf-8", newline="\n") as out:
            write_jsonl_stream(records, out)
    return path


def _table_to_csv(table: pd.DataFrame, path: Path) -> None:
    # utf-8-sig: Excel reads a CSV without a BOM in the system's code page
    # (GBK on Chinese Windows) and garbles the Chinese; pandas and most tools
    # skip the BOM.
    table.to_csv(path, index=False, encoding="utf-8-sig")


def write_csv(records: Iterable[Record], folder: Path | str) -> Path:
    """forms.csv, funding.csv, indicators.csv (and fields.csv) in `folder`."""
    return _write_tables(records, folder, "csv", _table_to_csv)


_ARROW_TYPES = {"float64": pa.float64(), "int64": pa.int64(), "object": pa.string()}


def _table_to_parquet(table: pd.DataFrame, path: Path) -> None:
    # an explicit schema, so that an all-null or empty column is still typed
    schema = pa.schema([(column, _ARROW_TYPES[str(dtype)]) for column, dtype in table.dtypes.items()])
    pq.write_table(pa.Table.from_pandas(table, schema=schema, preserve_index=False), path)


def write_parquet(records: Iterable[Record], folder: Path | str) -> Path:
    """forms.parquet, funding.parquet, indicators.parquet (and fields.parquet)."""
    return _write_tables(records, folder, "parquet", _table_to_parquet)


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell_value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _fill_sheet(sheet: Worksheet, table: pd.DataFrame) -> None:
    """Row 1 Chinese labels, row 2 field names, data from row 3."""
    columns = list(table.columns)
    header = [[COLUMN_LABELS.get(c, c) for c in columns], columns]
    rows = header + [[_cell_value(v) for v in row] for row in table.itertuples(index=False)]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a target such as "=350.00(本)" is text, not a formula
    for cell in sheet[1] + sheet[2]:
        cell.font = Font(bold=True)
    for c in range(1, len(columns) + 1):
        widest = max(_display_width(row[c - 1]) for row in rows)
        sheet.column_dimensions[get_column_letter(c)].width = min(max(widest + 2, 8), 60)
    sheet.freeze_panes = "A3"


def write_xlsx(records: Iterable[Record], path: Path | str) -> Path:
    """One workbook, a sheet per table.  `pandas.read_excel(path,
    sheet_name=None, header=1)` reads it back with the contract's field names."""
    path = Path(path)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in record_tables(records).items():
        _fill_sheet(workbook.create_sheet(name), table)
    with replacing([path]) as (temp,):
        workbook.save(temp)
    return path


EXPORT_FORMATS: dict[str, Callable[[Iterable[Record], Path | str], Path]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}


def export(records: Iterable[Record], fmt: str, out: Path | str) -> Path:
    """Write `records` as `fmt`: jsonl and xlsx to the file `out`, csv and
    parquet to the folder `out` (created if missing).  Returns `out`.

    Raises ExportTargetError, before writing anything, for an `out` that
    `check_target` refuses, and when writing fails (disk full, say); an
    existing file is then left as it was."""
    check_target(fmt, out)  # a ValueError for an unknown format
    try:
        return EXPORT_FORMATS[fmt](records, out)
    except OSError as exc:
        replaced = getattr(exc, "replaced", [])
        kept = ("already replaced: " + ", ".join(p.name for p in replaced) + "; the others are as they were"
                if replaced else "nothing was replaced")
        cause = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno == errno.ENOSPC:
            cause += "; free some space and export again"
        raise ExportTargetError(out, f"cannot write it ({cause}); {kept}") from exc
