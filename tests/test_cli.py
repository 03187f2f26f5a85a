"""The CLI as a user meets it: help texts, the bundled sample, every export format."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import exported_records, run
from corpus.build import GOLD_PATH, SAMPLE_DIR, load_records
from extract.compare import compare_records


def test_help_says_what_each_command_does(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "财政项目支出绩效自评表" in out
    for command in ("ingest", "export", "corpus", "models"):
        with pytest.raises(SystemExit):
            run(command, "--help")
        text = capsys.readouterr().out
        description = text.split("\n\n")[1]  # after the usage block
        assert description.rstrip().endswith(".") and len(description) > 30, text


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """The bundled sample corpus, ingested as the demo does."""
    folder = tmp_path_factory.mktemp("sample")
    db = folder / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", SAMPLE_DIR) == 0
    return db, folder


def test_the_committed_sample_yields_the_committed_gold_to_the_letter(sample_store):
    db, folder = sample_store
    records = exported_records(db, folder / "all.jsonl")
    gold = load_records(GOLD_PATH)
    seed_records = [r for r in records if r["source"]["file"] == "seed_forms.pdf"]
    assert compare_records(gold, seed_records).accuracy == 1.0
    # Identity too: the gold's form_id/sha256 point at the committed PDF.
    assert [r["form_id"] for r in seed_records] == [g["form_id"] for g in gold]
    truth = [r for p in sorted(SAMPLE_DIR.glob("*.truth.jsonl")) for r in load_records(p)]
    for kind, bar in (("text", 1.0), ("scan", 0.97)):
        expected = [r for r in truth if r["source"]["kind"] == kind]
        got = [r for r in records if r["source"]["kind"] == kind and r["source"]["file"] != "seed_forms.pdf"]
        assert expected and compare_records(expected, got).accuracy >= bar, kind


def test_jsonl_to_stdout_is_the_contract(sample_store, capsys):
    db, _ = sample_store
    capsys.readouterr()
    assert run("--db", db, "export", "--format", "jsonl") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first = next(r for r in records if r["source"]["file"] == "seed_forms.pdf")
    assert list(first)[:4] == ["schema_version", "form_id", "source", "year"]
    assert first["project_name"] == "2023年上海科技统计"
    assert first["funding"]["total"]["execution_rate"] == 99.97


def test_every_table_format_reads_back_in_pandas_with_contract_names(sample_store):
    db, folder = sample_store
    assert run("--db", db, "export", "--format", "csv", "--out", folder / "csv") == 0
    assert run("--db", db, "export", "--format", "parquet", "--out", folder / "parquet") == 0
    assert run("--db", db, "export", "--format", "xlsx", "--out", folder / "forms.xlsx") == 0
    frames = {
        "csv": {name: pd.read_csv(folder / "csv" / f"{name}.csv") for name in ("forms", "funding", "indicators")},
        "parquet": {name: pd.read_parquet(folder / "parquet" / f"{name}.parquet")
                    for name in ("forms", "funding", "indicators")},
        "xlsx": pd.read_excel(folder / "forms.xlsx", sheet_name=None, header=1),
    }
    records = exported_records(db, folder / "check.jsonl")
    indicators = sum(len(r["indicators"]) for r in records)
    for fmt, tables in frames.items():
        assert len(tables["forms"]) == len(records), fmt
        assert len(tables["funding"]) == 4 * len(records), fmt
        assert len(tables["indicators"]) == indicators, fmt
        assert {"form_id", "project_name", "total_score", "grade"} <= set(tables["forms"].columns), fmt
        assert {"form_id", "name", "target_value", "deviation_cause"} <= set(tables["indicators"].columns), fmt
        seed_first = next(r for r in records if r["source"]["file"] == "seed_forms.pdf")
        first = tables["forms"].set_index("form_id").loc[seed_first["form_id"]]
        assert first["total_score"] == pytest.approx(98.99), fmt


def test_export_of_tables_to_stdout_is_refused_with_the_reason(sample_store, capsys):
    db, _ = sample_store
    assert run("--db", db, "export", "--format", "csv") == 64
    assert "give --out a folder" in capsys.readouterr().err


def test_an_unwritable_store_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run("--db", blocker / "store.db", "export", "--format", "jsonl") != 0
    assert "cannot open the store" in capsys.readouterr().err
