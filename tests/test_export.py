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
    assert set(tables) == {"forms", "funding", "indicators"}
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
        "total_weight", "total_score", "grade",
    )


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
    assert sorted(p.name for p in folder.iterdir()) == ["forms.csv", "funding.csv", "indicators.csv"]
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
    assert list(sheets) == ["forms", "funding", "indicators"]
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
