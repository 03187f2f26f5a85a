"""The CLI as a user meets it: help texts, the bundled sample, every export format."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pytest

from conftest import exported_records, run
from corpus.build import GOLD_PATH, SAMPLE_DIR, load_records
from extract.checks.compare import compare_records
from extract.errors import StoreError, UsageError
from extract.store import DB_ENV, Store
from review.credentials import TOKEN_ENV


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
    assert run("--db", blocker / "store.db", "ingest", blocker) == StoreError.exit_code
    assert "cannot open the store" in capsys.readouterr().err


# ---------------------------------------------------------------- a store that is not there


@pytest.mark.parametrize("command", [
    ["export", "--format", "jsonl"],
    ["export", "--format", "csv", "--out", "tables"],
    ["review", "status"],
    ["review", "push", "--url", "http://127.0.0.1:9"],
    ["review", "pull", "--url", "http://127.0.0.1:9"],
])
def test_a_store_that_does_not_exist_is_an_error_and_none_is_made(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    db = tmp_path / "typo" / "stor.db"
    assert run("--db", db, *command) == StoreError.exit_code
    err = capsys.readouterr().err
    assert err.splitlines() == [f"selfeval: {db}: no such store; check --db (or ${DB_ENV}), or ingest files "
                                "into it first with `selfeval ingest`"]
    assert list(tmp_path.iterdir()) == []  # no store, no folder for it, no export


def test_the_default_store_must_exist_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DB_ENV, raising=False)
    assert run("review", "status") == StoreError.exit_code
    assert "selfeval.db: no such store" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- names printed escaped


FORGED = "x.pdf\nok      fake.pdf: 99 forms, 1 pages"


def test_a_file_name_cannot_forge_a_line(tmp_path, capsys):
    bad = tmp_path / FORGED
    bad.write_bytes(b"not a PDF at all")
    escape = tmp_path / "\x1b[2Kred\x1b[0m.pdf"
    escape.write_bytes(b"")
    code = run("--db", tmp_path / "store.db", "ingest", "--workers", "1", "--no-progress", bad, escape)
    assert code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not any(line.startswith("ok      fake.pdf") for line in err.splitlines()), err
    assert "\x1b" not in err
    assert "x.pdf\\nok      fake.pdf" in err  # the name shown, its newline escaped
    assert "\\x1b[2Kred" in err
    failed = [line for line in err.splitlines() if line.startswith("failed ")]
    assert len(failed) == 2 and all(str(tmp_path) in line for line in failed), err
    summary = [line for line in err.splitlines() if line.startswith("  failed: ")]
    assert len(summary) == 2 and "x.pdf\\nok      fake.pdf" in summary[0], err


def test_an_exported_path_is_printed_escaped(tmp_path, capsys):
    db = tmp_path / "store.db"
    Store(db).close()
    out = tmp_path / "a\rforms.jsonl"
    assert run("--db", db, "export", "--format", "jsonl", "--out", out) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "a\\rforms.jsonl" in err and out.is_file()


def test_an_error_message_is_printed_escaped(tmp_path, capsys):
    db = tmp_path / "no\nsuch.db"
    assert run("--db", db, "review", "status") == StoreError.exit_code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no\\nsuch.db: no such store" in err


# ---------------------------------------------------------------- the ingest report, whatever the status


def _fake_ingest(results, raises=None):
    from extract.pipeline.batch import BatchResult

    def ingest(paths, store, settings, on_file=None, on_pages=None):
        if raises is not None:
            raise raises
        batch = BatchResult()
        for result in results:
            batch.files.append(result)
            on_file(result)
        return batch

    return ingest


def test_the_report_shows_status_path_and_message_of_any_result(tmp_path, monkeypatch, capsys):
    import extract.pipeline.batch
    from extract.pipeline.batch import FileResult

    results = [
        FileResult("a.pdf", "ok", "retry of an earlier failed ingest", pages=2, forms=1, findings=3),
        FileResult("b\n.pdf", "skipped", "being ingested by another process (pid 4242); skipped"),
        FileResult("c.pdf", "skipped", "already ingested"),
        FileResult("d.pdf", "failed", "not a PDF (no %PDF header); check the file"),
        FileResult("e.pdf", "ok", pages=1, forms=1),
    ]
    monkeypatch.setattr(extract.pipeline.batch, "ingest", _fake_ingest(results))
    assert run("--db", tmp_path / "store.db", "ingest", "--no-progress", "whatever") == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[:5] == [
        "ok      a.pdf: 1 forms, 2 pages, 3 findings to check; retry of an earlier failed ingest",
        "skipped b\\n.pdf: being ingested by another process (pid 4242); skipped",
        "skipped c.pdf: already ingested",
        "failed  d.pdf: not a PDF (no %PDF header); check the file",
        "ok      e.pdf: 1 forms, 1 pages",
    ]
    assert lines[-1] == "  failed: d.pdf: not a PDF (no %PDF header); check the file"


def test_quiet_shows_only_the_failed_files(tmp_path, monkeypatch, capsys):
    import extract.pipeline.batch
    from extract.pipeline.batch import FileResult

    results = [FileResult("a.pdf", "ok", pages=1, forms=1), FileResult("b.pdf", "skipped", "already ingested"),
               FileResult("c.pdf", "failed", "empty file")]
    monkeypatch.setattr(extract.pipeline.batch, "ingest", _fake_ingest(results))
    assert run("--db", tmp_path / "store.db", "-q", "ingest", "--no-progress", "whatever") == 1
    assert capsys.readouterr().err.splitlines() == ["failed  c.pdf: empty file", "  failed: c.pdf: empty file"]


# ---------------------------------------------------------------- -v, and a bug of ours


def test_tracebacks_only_with_v(tmp_path, monkeypatch, capsys):
    import extract.pipeline.batch
    from extract.pipeline.batch import BatchResult

    def ingest(paths, store, settings, on_file=None, on_pages=None):
        log = logging.getLogger("selfeval.ingest")
        try:
            raise ZeroDivisionError("deep inside a page")
        except ZeroDivisionError:
            log.debug("page 1 of %s failed", "a\n.pdf", exc_info=True)
            log.warning("a warning about %s", "b.pdf", exc_info=True)
        return BatchResult()

    monkeypatch.setattr(extract.pipeline.batch, "ingest", ingest)
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--no-progress", "x") == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "page 1 of" not in err
    assert "selfeval.ingest: a warning about b.pdf" in err.splitlines()
    for flag in ("-v", "--debug"):
        assert run(flag, "--db", db, "ingest", "--no-progress", "x") == 0
        err = capsys.readouterr().err
        assert "selfeval.ingest: page 1 of a\\n.pdf failed" in err.splitlines()
        assert err.count("Traceback (most recent call last)") == 2 and "ZeroDivisionError: deep inside" in err
    assert logging.getLogger("selfeval").getEffectiveLevel() == logging.DEBUG
    assert run("--db", db, "ingest", "--no-progress", "x") == 0  # the next run without -v: quiet again
    assert logging.getLogger("selfeval").getEffectiveLevel() > logging.DEBUG
    assert "Traceback" not in capsys.readouterr().err


def test_an_internal_error_is_one_line_and_exit_70(tmp_path, monkeypatch, capsys):
    import extract.pipeline.batch

    monkeypatch.setattr(extract.pipeline.batch, "ingest", _fake_ingest([], raises=RuntimeError("a bug\nforged line")))
    db = tmp_path / "store.db"
    assert run("--db", db, "ingest", "--no-progress", "x") == 70
    assert capsys.readouterr().err.splitlines() == [
        "selfeval: internal error: RuntimeError: a bug\\nforged line (run with -v for the traceback)"]
    assert run("-v", "--db", db, "ingest", "--no-progress", "x") == 70
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last)") and "RuntimeError: a bug" in err
    assert err.splitlines()[-1] == "selfeval: internal error: RuntimeError: a bug\\nforged line"


def test_an_interrupt_is_still_exit_130(tmp_path, monkeypatch, capsys):
    import extract.pipeline.batch

    monkeypatch.setattr(extract.pipeline.batch, "ingest", _fake_ingest([], raises=KeyboardInterrupt()))
    assert run("--db", tmp_path / "store.db", "ingest", "--no-progress", "x") == 130
    assert "interrupted" in capsys.readouterr().err


# ---------------------------------------------------------------- review server and push: --images


def test_the_review_server_serves_the_images_folder(tmp_path, monkeypatch):
    import review.server

    seen = []

    def start(settings):
        seen.append(settings)
        return review.server.RunningServer(url="http://127.0.0.1:8080", port=8080, pid=1, home=settings.home,
                                           files_root=settings.files_root, reused=True)

    monkeypatch.setattr(review.server, "start", start)
    monkeypatch.chdir(tmp_path)
    real = Path(os.path.realpath(tmp_path))
    assert run("review", "server", "--home", tmp_path / "ls") == 0
    assert seen[-1].files_root == real / "review-images"
    assert run("review", "server", "--home", tmp_path / "ls", "--images", "shots") == 0
    assert seen[-1].files_root == real / "shots"
    assert run("review", "server", "--home", tmp_path / "ls", "--files-root", tmp_path / "old") == 0  # old name
    assert seen[-1].files_root == real / "old"


def test_the_review_server_help_names_images(capsys):
    with pytest.raises(SystemExit):
        run("review", "server", "--help")
    out = capsys.readouterr().out
    assert "--images DIR" in out and "--files-root" not in out and "review-images" in out
    with pytest.raises(SystemExit):
        run("review", "push", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "--images DIR" in out and "default: the --images folder itself" in out


def test_push_takes_the_images_folder_as_the_files_root_by_default(tmp_path, monkeypatch):
    import review.loop

    seen = []

    def push(store, client, settings, new_project=False):
        seen.append(settings)
        return review.loop.PushResult()

    monkeypatch.setattr(review.loop, "push", push)
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "store.db"
    Store(db).close()
    assert run("--db", db, "review", "push") == 0
    assert seen[-1].images == Path("review-images") and seen[-1].files_root == tmp_path.resolve() / "review-images"
    assert seen[-1].folder == tmp_path.resolve() / "review-images" / "tasks"  # no storage on the root itself
    assert run("--db", db, "review", "push", "--images", tmp_path / "a" / "b", "--files-root", tmp_path) == 0
    assert seen[-1].files_root == tmp_path.resolve() and seen[-1].folder == (tmp_path / "a" / "b").resolve()
    assert run("--db", db, "review", "push", "--images", tmp_path / "a",
               "--files-root", tmp_path / "b") == UsageError.exit_code
