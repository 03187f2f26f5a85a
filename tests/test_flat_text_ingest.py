"""`selfeval ingest` of a flat text (the seed's own text extraction) with the shipped model."""

from __future__ import annotations

import shutil

from conftest import exported_records, run
from corpus.build import SEED_TEXT, load_gold, with_identity_of
from extract.checks.compare import compare_records



def test_the_seed_text_ingests_into_its_19_gold_forms(tmp_path):
    text = tmp_path / SEED_TEXT.name
    shutil.copy(SEED_TEXT, text)
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", text) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert len(records) == 19
    gold = with_identity_of(load_gold(), records)   # identity is the text file's, not the rendered PDF's
    comparison = compare_records(gold, records)
    assert comparison.accuracy >= 0.995, comparison.mismatches[:10]
    assert comparison.numeric_accuracy == 1.0
    assert {r["source"]["file"] for r in records} == {SEED_TEXT.name}


def test_a_text_file_that_is_no_form_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("会议纪要：本周无事。", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    assert run("--db", tmp_path / "store.db", "ingest", tmp_path) == 1
    err = capsys.readouterr().err
    assert "notes.txt: no 财政项目支出绩效自评表 found in the text" in err
    assert "binary.txt:" in err
