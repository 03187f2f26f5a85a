"""One bad file gets one clear line naming it and the cause; the batch goes on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fpdf import FPDF

from conftest import exported_records, run
from corpus.render import find_font


@pytest.fixture
def batch_folder(tmp_path, gold_pdf):
    """A folder with one good multi-form PDF and one file of each bad kind."""
    folder = tmp_path / "batch"
    folder.mkdir()
    good, _ = gold_pdf
    shutil.copy(good, folder / "a_good.pdf")
    data = good.read_bytes()
    (folder / "b_corrupt.pdf").write_bytes(data[: len(data) // 3])
    (folder / "c_empty.pdf").write_bytes(b"")
    (folder / "d_not_a_pdf.pdf").write_text("项目名称,主管部门\n", encoding="utf-8")
    encrypted = FPDF()
    encrypted.set_encryption(owner_password="owner", user_password="secret")
    encrypted.add_page()
    encrypted.add_font("cjk", fname=find_font())
    encrypted.set_font("cjk", size=12)
    encrypted.text(20, 20, "财政项目支出绩效自评表")
    encrypted.output(str(folder / "e_encrypted.pdf"))
    no_form = FPDF()
    no_form.add_page()
    no_form.add_font("cjk", fname=find_font())
    no_form.set_font("cjk", size=12)
    no_form.text(20, 20, "会议纪要：本文件不含绩效自评表，只有一段普通文字。")
    no_form.output(str(folder / "f_no_form.pdf"))
    return folder


EXPECTED_CAUSES = {
    "b_corrupt.pdf": "not a readable PDF",
    "c_empty.pdf": "the file is empty",
    "d_not_a_pdf.pdf": "not a PDF",
    "e_encrypted.pdf": "encrypted",
    "f_no_form.pdf": "no 财政项目支出绩效自评表 found",
}


def test_a_batch_goes_on_past_bad_files_and_names_each_cause(batch_folder, tmp_path, capsys):
    db = tmp_path / "store.db"
    code = run("--db", db, "ingest", "--workers", "1", batch_folder, tmp_path / "missing.pdf")
    err = capsys.readouterr().err
    assert code == 1
    for name, cause in EXPECTED_CAUSES.items():
        lines = [line for line in err.splitlines() if line.startswith("failed") and name in line]
        assert lines and cause in lines[0], (name, err)
    assert "missing.pdf: no such file or folder" in err
    assert "7 files: 1 ok, 6 failed, 0 skipped; 19 forms" in err
    # The good file's forms are all stored despite the bad ones around it.
    assert len(exported_records(db, tmp_path / "out.jsonl")) == 19


def test_a_clean_batch_exits_zero_and_reingest_changes_nothing(gold_pdf, tmp_path, capsys):
    path, _ = gold_pdf
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", path) == 0
    first = exported_records(db, tmp_path / "first.jsonl")
    copy = tmp_path / "renamed_copy.pdf"
    shutil.copy(path, copy)
    capsys.readouterr()
    assert run("--db", db, "ingest", path, copy) == 0
    err = capsys.readouterr().err
    assert "already ingested" in err and "same content as seed_forms.pdf" in err
    assert "2 files: 0 ok, 0 failed, 2 skipped" in err
    assert exported_records(db, tmp_path / "second.jsonl") == first


def test_two_files_of_one_content_in_one_batch_of_workers_are_read_once(tmp_path, capsys):
    """With two workers both would be out at once: the second waits for the
    first and is then skipped as the same content."""
    sample = Path(__file__).resolve().parent.parent / "corpus" / "sample" / "synthetic_dev_0001.pdf"
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(sample, folder / "a.pdf")
    shutil.copy(sample, folder / "b_copy.pdf")
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--workers", "2", "--no-progress", folder) == 0
    err = capsys.readouterr().err
    assert "2 files: 1 ok, 0 failed, 1 skipped; 6 forms" in err, err
    assert "b_copy.pdf: already ingested (same content as a.pdf)" in err
    assert len(exported_records(db, tmp_path / "out.jsonl")) == 6
