"""Text PDFs in, the contract's records out: accuracy by the contract's comparison."""

from __future__ import annotations

from conftest import exported_records, run
from extract.checks.compare import compare_records


def test_gold_forms_round_trip_with_every_field_right(gold_pdf, tmp_path):
    path, truth = gold_pdf
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "1", path) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    assert len(records) == 19
    comparison = compare_records(truth, records)
    assert comparison.mismatches == []
    assert comparison.accuracy == 1.0
    # The multi-form file really has forms that share pages and cross page breaks.
    pages = [r["source"]["pages"] for r in records]
    assert any(len(p) > 1 for p in pages)
    assert any(a[-1] == b[0] for a, b in zip(pages, pages[1:]))


def test_synthetic_forms_in_text_pdfs(synthetic_eval, tmp_path):
    folder, truth = synthetic_eval
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "2", folder) == 0
    records = exported_records(db, tmp_path / "forms.jsonl")
    comparison = compare_records(truth, records)
    assert len(truth) >= 200
    assert comparison.fields_total > 200 * 50
    assert comparison.accuracy >= 0.999, comparison.mismatches[:20]
