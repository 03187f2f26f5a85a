"""Shared fixtures: real PDFs rendered from the gold and synthetic records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.build import load_gold, render_synthetic, render_with_truth
from review.cli import main

SYNTHETIC_EVAL_FORMS = 200

# The real Label Studio server of the review tests.
pytest_plugins = ["labelstudio_fixture"]


@pytest.fixture(scope="session")
def gold_pdf(tmp_path_factory):
    """The 19 gold forms rendered into one multi-form PDF, with the records it must yield."""
    path = tmp_path_factory.mktemp("gold") / "seed_forms.pdf"
    return path, render_with_truth(load_gold(), path)


@pytest.fixture(scope="session")
def synthetic_eval(tmp_path_factory):
    """200 synthetic evaluation forms in text PDFs, ten to a file."""
    folder = tmp_path_factory.mktemp("synthetic_eval")
    truth = []
    for _, file_truth in render_synthetic("eval", SYNTHETIC_EVAL_FORMS, folder):
        truth.extend(file_truth)
    return folder, truth


def run(*args: str) -> int:
    return main([str(a) for a in args])


def exported_records(db: Path, out: Path) -> list[dict]:
    """Export the store as JSONL through the CLI and read it back."""
    assert run("--db", db, "export", "--format", "jsonl", "--out", out) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
