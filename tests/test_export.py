import codecs
import json
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from extract.model import FUNDING_KEYS, RECORD_KEYS, empty_indicator, empty_record
from review.export import (
    COLUMN_LABELS,
    FORM_COLUMNS,
    FUNDING_COLUMNS,
    INDICATOR_COLUMNS,
    NUMBER_FIELDS,
    TABLE_COLUMNS,
    export,
    record_tables,
    write_csv,
    write_jsonl,
)

# keep the literal unit "null" a string, and leave text that looks numeric as text
KEEP_NULL_TEXT = {"keep_default_na": False, "na_values": [""]}


def _indicator(**values):
    indicator = empty_indicator()
    indicator.update(values)
    return indicator


def _form_with_indicators():
    record = empty_record()
    record.update(
        form_id="3fa9c01b22de-1",
        source={"file": "上海2023.pdf", "sha256": "3fa9c01b22de" + "0" * 52, "pages": [1, 2], "kind": "text"},
        year=2023,
        project_name="图书馆文献购置",
        department="上海市文化和旅游局",
        implementing_unit="上海图书馆",
        goal_expected="完成年度文献采购（纸本及数字资源）",
        goal_actual="已完成",
        total_weight=Decimal("100.00"),
        total_score=Decimal("98.99"),
        grade="优",
    )
    record["funding"]["total"].update(
        initial_budget=Decimal("215457.6"), annual_budget=Decimal("99.34"), executed=Decimal("99.32"),
        weight=Decimal("10"), execution_rate=Decimal("99.97"), score=Decimal("9.99"),
    )
    record["funding"]["current_appropriation"].update(
        initial_budget=Decimal("215457.6"), annual_budget=Decimal("99.34"), executed=Decimal("99.32"),
    )
    record["indicators"] = [
        _indicator(
            level1="产出指标", level2="数量指标", name="采购图书数量",
            target="=350.00(本)", target_op="=", target_value=Decimal("350.00"), target_unit="本",
            actual="350.00(本)", actual_value=Decimal("350.00"), actual_unit="本",
            weight=Decimal("45"), score=Decimal("45"),
        ),
        _indicator(
            level1="满意度指标", level2="服务对象满意度指标", name="读者满意度",
            target="95.00(null)", target_value=Decimal("95.00"), target_unit="null",
            actual="90%", actual_value=Decimal("90"), actual_unit="%",
            weight=Decimal("45"), score=Decimal("44.00"),
            deviation="原因：问卷样本偏少。改进措施：下一步将扩大调查范围。",
            deviation_cause="问卷样本偏少。", improvement="下一步将扩大调查范围。",
        ),
    ]
    return record


def _form_without_indicators():
    record = empty_record()
    record.update(
        form_id="3fa9c01b22de-2",
        source={"file": "上海2023.pdf", "sha256": "3fa9c01b22de" + "0" * 52, "pages": [3], "kind": "scan"},
        year=2023,
        project_name="设备维护",
        department="上海市文化和旅游局",
        total_weight=100,
        total_score=87.2,
        grade="良",
        title="部门预算项目支出绩效自评表",
        money_unit="元",
        extra={"评价结论": "项目完成较好。", "复核分": ["10", "9.5"]},
    )
    record["funding"]["total"].update(annual_budget=3.44, executed=3.0, weight=10, execution_rate=87.2, score=8.72)
    return record


@pytest.fixture
def records():
    return [_form_with_indicators(), _form_without_indicators()]


def _floats(value):
    """The record as JSON gives it back: Decimals as floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _rows(table):
    """A table's rows as dicts, any missing value as None, for comparing
    tables read back from files whatever dtypes the reader picked."""
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in table.to_dict("records")]


def _text_dtypes(table_name):
    return {c: str for c in TABLE_COLUMNS[table_name] if c not in NUMBER_FIELDS and c != "position"}


# ---------------------------------------------------------------- tables


def test_tables_have_contract_columns_and_one_row_per_item(records):
    tables = record_tables(records)
    assert set(tables) == {"forms", "funding", "indicators", "extra"}
    assert tuple(tables["forms"].columns) == FORM_COLUMNS
    assert tuple(tables["funding"].columns) == FUNDING_COLUMNS
    assert tuple(tables["indicators"].columns) == INDICATOR_COLUMNS
    assert len(tables["forms"]) == 2
    assert len(tables["funding"]) == 8
    assert len(tables["indicators"]) == 2
    assert list(tables["funding"]["funding_key"]) == list(FUNDING_KEYS) * 2


def test_form_columns_follow_contract_order():
    assert FORM_COLUMNS == (
        "form_id", "schema_version", "source_file", "source_sha256", "source_pages", "source_kind",
        "year", "project_name", "department", "implementing_unit", "goal_expected", "goal_actual",
        "total_weight", "total_score", "grade", "title", "money_unit",
    )


def test_extra_gets_a_table_of_its_own_a_row_per_cell(records):
    tables = record_tables(records)
    assert "extra" not in tables["forms"].columns
    assert list(tables["forms"]["money_unit"]) == [None, "元"]
    assert _rows(tables["extra"]) == [
        {"form_id": "3fa9c01b22de-2", "label": "评价结论", "value": "项目完成较好。"},
        {"form_id": "3fa9c01b22de-2", "label": "复核分", "value": "10"},
        {"form_id": "3fa9c01b22de-2", "label": "复核分", "value": "9.5"},
    ]


def test_table_dtypes_and_nulls(records):
    tables = record_tables(records)
    forms, funding, indicators = tables["forms"], tables["funding"], tables["indicators"]
    for table in tables.values():
        for column in table.columns:
            expected = "float64" if column in NUMBER_FIELDS else "int64" if column == "position" else "object"
            assert str(table[column].dtype) == expected, column
    assert list(forms["source_pages"]) == ["1,2", "3"]
    assert forms.loc[1, "implementing_unit"] is None
    assert forms.loc[0, "total_score"] == 98.99
    assert list(indicators["position"]) == [1, 2]
    assert indicators.loc[0, "deviation"] is None
    assert indicators.loc[1, "target_unit"] == "null"
    assert indicators.loc[1, "target_op"] is None
    carryover = funding[(funding.form_id == "3fa9c01b22de-1") & (funding.funding_key == "carryover")]
    assert carryover[list(FUNDING_COLUMNS[2:])].isna().all(axis=None)


def test_every_column_has_a_chinese_label():
    for columns in TABLE_COLUMNS.values():
        assert all(column in COLUMN_LABELS for column in columns)
    assert COLUMN_LABELS["project_name"] == "项目名称"
    assert COLUMN_LABELS["initial_budget"] == "年初预算数"


def test_no_records_give_empty_typed_tables():
    tables = record_tables([])
    assert all(len(table) == 0 for table in tables.values())
    assert str(tables["forms"]["total_score"].dtype) == "float64"


# ---------------------------------------------------------------- fields table


def _reviewed(record):
    record["_meta"] = {
        "fields": {
            "indicators[0].target_value": {"confidence": 0.6, "status": "corrected", "original": "35O"},
            "project_name": {"confidence": Decimal("0.93"), "status": "ok"},
        },
        "reviewer": "张三",
    }
    return record


def test_fields_table_only_when_meta_fields(records):
    records[0] = _reviewed(records[0])
    fields = record_tables(records)["fields"]
    assert list(fields.columns) == ["form_id", "path", "value", "confidence", "status", "original"]
    # contract order, not the mapping's
    assert list(fields["path"]) == ["project_name", "indicators[0].target_value"]
    assert list(fields["value"]) == ["图书馆文献购置", "350.0"]
    assert str(fields["confidence"].dtype) == "float64"
    assert list(fields["original"]) == [None, "35O"]
    assert "fields" not in record_tables([_form_without_indicators()])


def test_fields_table_written_and_stale_one_removed(records, tmp_path):
    write_csv([_reviewed(records[0]), records[1]], tmp_path)
    assert (tmp_path / "fields.csv").exists()
    write_csv([_form_without_indicators()], tmp_path)
    assert not (tmp_path / "fields.csv").exists()


# ---------------------------------------------------------------- JSONL


def test_jsonl_lines_parse_back_to_the_records(records, tmp_path):
    records[1] = _reviewed(records[1])
    path = export(records, "jsonl", tmp_path / "out" / "forms.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    for line, record in zip(lines, records):
        parsed = json.loads(line)
        assert parsed == _floats(record)
    assert list(json.loads(lines[0])) == list(RECORD_KEYS)
    assert list(json.loads(lines[1])) == list(RECORD_KEYS) + ["_meta"]
    assert "图书馆文献购置" in lines[0]  # not \\u escaped


def test_jsonl_puts_keys_in_contract_order(records, tmp_path):
    shuffled = dict(reversed(list(records[0].items())))
    shuffled["source"] = dict(reversed(list(shuffled["source"].items())))
    shuffled["indicators"] = [dict(reversed(list(i.items()))) for i in shuffled["indicators"]]
    path = write_jsonl([shuffled], tmp_path / "forms.jsonl")
    assert path.read_text(encoding="utf-8") == write_jsonl(records[:1], tmp_path / "b.jsonl").read_text(encoding="utf-8")


def test_jsonl_reads_with_pandas(records, tmp_path):
    table = pd.read_json(export(records, "jsonl", tmp_path / "forms.jsonl"), lines=True)
    assert list(table.columns) == list(RECORD_KEYS)
    assert list(table["project_name"]) == ["图书馆文献购置", "设备维护"]
    assert table.loc[0, "indicators"][1]["target_unit"] == "null"


# ---------------------------------------------------------------- CSV, Parquet, XLSX


def test_csv_round_trip(records, tmp_path):
    folder = export(records, "csv", tmp_path / "csv")
    assert sorted(p.name for p in folder.iterdir()) == ["extra.csv", "forms.csv", "funding.csv", "indicators.csv"]
    assert (folder / "forms.csv").read_bytes().startswith(codecs.BOM_UTF8)
    for name, expected in record_tables(records).items():
        table = pd.read_csv(folder / f"{name}.csv", dtype=_text_dtypes(name), **KEEP_NULL_TEXT)
        assert tuple(table.columns) == TABLE_COLUMNS[name]
        assert _rows(table) == _rows(expected), name


def test_parquet_round_trip_keeps_types(records, tmp_path):
    folder = export(records, "parquet", tmp_path / "pq")
    for name, expected in record_tables(records).items():
        table = pd.read_parquet(folder / f"{name}.parquet")
        assert tuple(table.columns) == TABLE_COLUMNS[name]
        assert _rows(table) == _rows(expected), name
        numeric = [c for c in table.columns if c in NUMBER_FIELDS]
        assert all(str(table[c].dtype) == "float64" for c in numeric)


def test_parquet_types_empty_tables(tmp_path):
    folder = export([_form_without_indicators()], "parquet", tmp_path)
    indicators = pd.read_parquet(folder / "indicators.parquet")
    assert len(indicators) == 0
    assert str(indicators["score"].dtype) == "float64"


def test_xlsx_reads_back_with_field_names(records, tmp_path):
    path = export(records, "xlsx", tmp_path / "forms.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, header=1)
    assert list(sheets) == ["forms", "funding", "indicators", "extra"]
    for name, expected in record_tables(records).items():
        assert tuple(sheets[name].columns) == TABLE_COLUMNS[name]
        assert len(sheets[name]) == len(expected)
        table = pd.read_excel(path, sheet_name=name, header=1, dtype=_text_dtypes(name), **KEEP_NULL_TEXT)
        assert _rows(table) == _rows(expected), name


def test_xlsx_layout(records, tmp_path):
    path = export(records, "xlsx", tmp_path / "forms.xlsx")
    sheet = load_workbook(path)["indicators"]
    labels = [cell.value for cell in sheet[1]]
    assert labels[:2] == ["表单编号", "序号"]
    assert "三级指标" in labels and "偏差原因分析及改进措施" in labels
    assert [cell.value for cell in sheet[2]] == list(INDICATOR_COLUMNS)
    assert sheet.freeze_panes == "A3"
    target = sheet.cell(row=3, column=INDICATOR_COLUMNS.index("target") + 1)
    assert (target.value, target.data_type) == ("=350.00(本)", "s")  # text, not a formula
    assert 8 <= sheet.column_dimensions["C"].width <= 60


# ---------------------------------------------------------------- dispatch and safety


def test_unknown_format_raises(records, tmp_path):
    with pytest.raises(ValueError, match="'docx'"):
        export(records, "docx", tmp_path / "out.docx")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_old_file_and_no_temp(records, tmp_path):
    path = write_jsonl(records, tmp_path / "forms.jsonl")
    before = path.read_text(encoding="utf-8")
    broken = _form_without_indicators()
    broken["notes"] = "outside the contract"
    with pytest.raises(ValueError, match="notes"):
        write_jsonl([records[0], broken], path)
    assert path.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["forms.jsonl"]


def test_failed_table_write_writes_nothing(tmp_path):
    broken = _form_without_indicators()
    broken["total_score"] = "not a number"
    with pytest.raises(ValueError):
        export([broken], "parquet", tmp_path / "pq")
    assert not (tmp_path / "pq").exists() or list((tmp_path / "pq").iterdir()) == []


# ---------------------------------------------------------------- targets, through the CLI
#
# Every refusal: exit 64, one line `selfeval: <path>: <cause and fix>` on
# stderr, no traceback, and nothing at the target changed (nor a temp left).

import errno  # noqa: E402
import os  # noqa: E402
import stat  # noqa: E402
from pathlib import Path  # noqa: E402

from conftest import run  # noqa: E402
from corpus.build import SAMPLE_DIR  # noqa: E402
from extract.errors import UsageError  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real store of six forms: one sample PDF ingested."""
    db = tmp_path_factory.mktemp("export_store") / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", "--no-progress", SAMPLE_DIR / "synthetic_dev_0001.pdf") == 0
    return db


def _snapshot(folder: Path, folder_times: bool = True) -> dict[str, tuple]:
    """What is in `folder`, never following a link nor opening a FIFO or device.
    `folder_times`: a folder's mtime too, which a temp file made and removed changes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            what = ("file", path.read_bytes(), info.st_ino, info.st_mtime_ns, stat.S_IMODE(info.st_mode))
        elif stat.S_ISLNK(info.st_mode):
            what = ("link", os.readlink(path), info.st_ino)
        elif stat.S_ISDIR(info.st_mode) and not folder_times:
            what = ("folder", info.st_ino)
        else:
            what = (stat.S_IFMT(info.st_mode), info.st_ino, info.st_mtime_ns)
        found[str(path.relative_to(folder))] = what
    return found


def _refused(code: int, err: str, path: Path | str, *words: str) -> str:
    assert code == UsageError.exit_code, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"selfeval: {path}: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _export(db, fmt, out):
    return run("--db", db, "export", "--format", fmt, "--out", out)


@pytest.mark.parametrize("fmt", ["jsonl", "xlsx"])
def test_a_folder_where_a_file_is_meant_is_refused(store, fmt, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, fmt, tmp_path / "out")
    _refused(code, capsys.readouterr().err, tmp_path / "out", "is a folder", "give --out a file name")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_file_where_a_folder_is_meant_is_refused(store, fmt, tmp_path, capsys):
    (tmp_path / "tables").write_bytes(b"an analyst's notes")
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, fmt, tmp_path / "tables")
    _refused(code, capsys.readouterr().err, tmp_path / "tables", "is a regular file", "give --out a folder")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("table", ["forms", "indicators", "fields"])
def test_a_table_file_that_is_a_folder_is_refused(store, fmt, table, tmp_path, capsys):
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "funding.csv").write_text("old")
    (folder / f"{table}.{fmt}").mkdir()
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, fmt, folder)
    _refused(code, capsys.readouterr().err, folder / f"{table}.{fmt}", "is a folder", "move it away")
    assert _snapshot(tmp_path) == before


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "named pipe (FIFO)"


def _link_to_a_file(path: Path) -> str:
    real = path.with_name("real-" + path.name)
    real.write_bytes(b"the real file")
    path.symlink_to(real)
    return "symbolic link"


def _link_to_dev_null(path: Path) -> str:
    path.symlink_to("/dev/null")
    return "symbolic link"


def _dangling_link(path: Path) -> str:
    path.symlink_to(path.with_name("nowhere"))
    return "symbolic link"


NOT_REGULAR = {"fifo": _fifo, "link to a file": _link_to_a_file, "link to /dev/null": _link_to_dev_null,
               "dangling link": _dangling_link}


@pytest.mark.parametrize("fmt", ["jsonl", "xlsx"])
@pytest.mark.parametrize("kind", list(NOT_REGULAR))
def test_a_file_target_that_is_not_a_regular_file_is_refused(store, fmt, kind, tmp_path, capsys):
    target = tmp_path / f"forms.{fmt}"
    word = NOT_REGULAR[kind](target)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, fmt, target)  # a FIFO would block here if it were opened
    _refused(code, capsys.readouterr().err, target, word)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("kind", list(NOT_REGULAR))
def test_a_table_file_that_is_not_a_regular_file_is_refused(store, fmt, kind, tmp_path, capsys):
    folder = tmp_path / "tables"
    folder.mkdir()
    target = folder / f"funding.{fmt}"
    word = NOT_REGULAR[kind](target)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, fmt, folder)
    _refused(code, capsys.readouterr().err, target, word)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_folder_target_that_is_a_link_is_refused(store, fmt, tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (real / f"forms.{fmt}").write_bytes(b"old forms")
    (tmp_path / "tables").symlink_to(real)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, fmt, tmp_path / "tables")
    _refused(code, capsys.readouterr().err, tmp_path / "tables", "symbolic link", "the real folder")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["jsonl", "xlsx"])
def test_dev_null_itself_is_refused_as_a_device(store, fmt, capsys):
    before = os.lstat("/dev/null")
    capsys.readouterr()
    code = _export(store, fmt, "/dev/null")
    line = _refused(code, capsys.readouterr().err, "/dev/null", "character device", "not a regular file")
    assert ("--out -" in line) == (fmt == "jsonl")  # the way to standard output
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_rdev, after.st_mode) == (before.st_rdev, before.st_mode)
    assert not list(Path("/dev").glob(".null.*.tmp"))


def test_a_path_below_a_file_is_refused(store, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    before = _snapshot(tmp_path)
    for fmt, out in (("jsonl", tmp_path / "file" / "forms.jsonl"), ("csv", tmp_path / "file" / "a" / "tables")):
        capsys.readouterr()
        code = _export(store, fmt, out)
        _refused(code, capsys.readouterr().err, out, "is a file, not a folder")
    assert _snapshot(tmp_path) == before


def test_missing_folders_above_the_target_are_created(store, tmp_path, capsys):
    assert _export(store, "jsonl", tmp_path / "a" / "b" / "forms.jsonl") == 0
    assert _export(store, "parquet", tmp_path / "c" / "d") == 0
    assert len((tmp_path / "a" / "b" / "forms.jsonl").read_text(encoding="utf-8").splitlines()) == 6
    assert (tmp_path / "c" / "d" / "forms.parquet").is_file()
    assert f"to {tmp_path / 'c' / 'd'}" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any folder")
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_folder_it_may_not_write_is_refused(store, fmt, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "forms.jsonl").write_text("old")
    locked.chmod(0o555)
    try:
        before = _snapshot(tmp_path)
        capsys.readouterr()
        out = locked / "forms.jsonl" if fmt == "jsonl" else locked
        code = _export(store, fmt, out)
        _refused(code, capsys.readouterr().err, out, "not writable")
        assert _snapshot(tmp_path) == before
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("read_only_fs", [False, True])
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_folder_it_may_not_write_is_refused_even_as_root(store, fmt, read_only_fs, tmp_path, monkeypatch,
                                                           capsys):
    """The same refusal with the kernel's answer stood in for: os.access says
    no for this one folder (and statvfs says read-only, for a read-only file
    system)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "forms.jsonl").write_text("old")
    real_access, real_statvfs = os.access, os.statvfs
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == locked
                        else real_access(path, mode, **kw))
    if read_only_fs:
        class ReadOnly:
            f_flag = os.ST_RDONLY

        monkeypatch.setattr(os, "statvfs", lambda path: ReadOnly() if Path(path) == locked else real_statvfs(path))
    before = _snapshot(tmp_path)
    capsys.readouterr()
    for out in ((locked / "forms.jsonl", locked / "new" / "forms.jsonl") if fmt == "jsonl"
                else (locked, locked / "new")):
        code = _export(store, fmt, out)
        _refused(code, capsys.readouterr().err, out, "cannot write it",
                 "read-only file system" if read_only_fs else "not writable (permission denied)")
    assert _snapshot(tmp_path) == before


def test_a_read_only_file_is_not_replaced(store, tmp_path, capsys):
    target = tmp_path / "forms.jsonl"
    target.write_text("protected")
    target.chmod(0o444)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = _export(store, "jsonl", target)
    _refused(code, capsys.readouterr().err, target, "read-only", "chmod u+w")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("error", [errno.EACCES, errno.EROFS, errno.ENOSPC])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_os_error_while_writing_is_named_and_the_old_file_kept(store, fmt, error, tmp_path, monkeypatch,
                                                                  capsys):
    """Permission denied or a read-only file system that the checks could not
    see beforehand (root passes os.access), or a full disk."""
    import review.export as export_module

    out = tmp_path / ("forms.jsonl" if fmt == "jsonl" else "tables")
    assert _export(store, fmt, out) == 0
    before = _snapshot(tmp_path)

    def failing_open(path, *args, **kwargs):
        raise OSError(error, os.strerror(error), str(path))

    if fmt == "jsonl":
        monkeypatch.setattr(export_module, "open", failing_open, raising=False)
    else:
        monkeypatch.setattr(export_module, "_table_to_csv", lambda table, path: failing_open(path))
    capsys.readouterr()
    code = _export(store, fmt, out)
    _refused(code, capsys.readouterr().err, out, "cannot write it", os.strerror(error), "nothing was replaced")
    assert _snapshot(tmp_path) == before


# A write that fails midway: part of the new data is written, then the writer
# fails.  The old file(s) must be byte-identical and no temp file left.

def _break_jsonl_at_the_second_record(monkeypatch):
    import review.export as export_module

    real = export_module.dumps_record
    calls = []

    def dumps(record):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("a record the writer rejects")
        return real(record)

    monkeypatch.setattr(export_module, "dumps_record", dumps)


def _break_the_second_table(monkeypatch, name):
    import review.export as export_module

    real = getattr(export_module, name)
    calls = []

    def write(table, path):
        calls.append(1)
        if len(calls) == 2:
            path.write_bytes(b"half a table")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(table, path)

    monkeypatch.setattr(export_module, name, write)


def _break_the_workbook(monkeypatch):
    import review.export as export_module

    def save(workbook, path):
        Path(path).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))

    monkeypatch.setattr(export_module.Workbook, "save", save)


MIDWAY = {
    "jsonl": ("forms.jsonl", _break_jsonl_at_the_second_record, 70, "internal error: ValueError"),
    "csv": ("tables", lambda mp: _break_the_second_table(mp, "_table_to_csv"), 64, "No space left"),
    "parquet": ("tables", lambda mp: _break_the_second_table(mp, "_table_to_parquet"), 64, "No space left"),
    "xlsx": ("forms.xlsx", _break_the_workbook, 64, "Input/output error"),
}


@pytest.mark.parametrize("fmt", list(MIDWAY))
def test_a_write_that_fails_midway_leaves_the_old_files_byte_identical(store, fmt, tmp_path, monkeypatch, capsys):
    name, breaking, exit_code, words = MIDWAY[fmt]
    out = tmp_path / name
    assert _export(store, fmt, out) == 0
    files = [out] if out.is_file() else sorted(out.iterdir())
    old = {path: path.read_bytes() for path in files}
    assert all(old.values())
    before = _snapshot(tmp_path, folder_times=False)
    breaking(monkeypatch)
    capsys.readouterr()
    code = _export(store, fmt, out)
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert "Traceback" not in err and len(err.splitlines()) == 1 and words in err, err
    assert {path: path.read_bytes() for path in files} == old
    assert _snapshot(tmp_path, folder_times=False) == before  # and no temp file left beside them


def test_an_existing_file_is_replaced_and_keeps_its_mode(store, tmp_path):
    target = tmp_path / "forms.jsonl"
    target.write_text("old")
    target.chmod(0o640)
    assert _export(store, "jsonl", target) == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 6
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["forms.jsonl"]


@pytest.mark.parametrize("out", [None, "-"])
def test_standard_output_replaces_nothing(store, out, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_text("a file named -")
    before = _snapshot(tmp_path)
    capsys.readouterr()
    assert run("--db", store, "export", "--format", "jsonl", *(["--out", out] if out else [])) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 6 and all(json.loads(line) for line in captured.out.splitlines())
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_tables_without_out_are_refused(store, fmt, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = run("--db", store, "export", "--format", fmt)
    err = capsys.readouterr().err
    assert code == UsageError.exit_code and len(err.splitlines()) == 1, err
    assert "cannot go to standard output" in err and ("a folder" if fmt != "xlsx" else "a file") in err
    assert list(tmp_path.iterdir()) == []


def test_check_target_refuses_before_any_work(tmp_path):
    """The library call too: export() checks before writing."""
    from review.export import check_target
    from review.targets import ExportTargetError

    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ExportTargetError, match="named pipe"):
        check_target("jsonl", tmp_path / "pipe")
    with pytest.raises(ExportTargetError, match="named pipe"):
        export([], "jsonl", tmp_path / "pipe")
    check_target("csv", tmp_path / "new" / "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]
