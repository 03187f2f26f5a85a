"""Build the corpus: rendered gold forms and synthetic forms, each PDF with the
records it must yield (`*.truth.jsonl`, `source`/`form_id` filled for it).

`selfeval corpus --out corpus/generated` writes the large generated set (out
of git); `build_sample()` writes the small committed sample that the demo and
tests use.
"""

from __future__ import annotations

import copy
import random
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from corpus.render import STYLES, TUNING_STYLES, FormStyle, printed_text, render_forms
from extract.model import dumps_record, loads_record
from extract.sources.files import sha256_of

CORPUS_DIR = Path(__file__).resolve().parent
GOLD_PATH = CORPUS_DIR / "gold" / "seed_forms.jsonl"
SAMPLE_DIR = CORPUS_DIR / "sample"
GOLD_PDF_NAME = "seed_forms.pdf"
# The real text extraction the gold was transcribed from (a copy, unchanged,
# of the seed the product was given: the repository needs nothing beside it).
SEED_TEXT = CORPUS_DIR / "seed" / "000_2507e6a8b7bdafe5.txt"
FORMS_PER_SYNTHETIC_FILE = 10


def load_records(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [loads_record(line) for line in handle if line.strip()]


def write_records(records: Iterable[dict[str, Any]], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps_record(record) + "\n")


def load_gold() -> list[dict[str, Any]]:
    return load_records(GOLD_PATH)


def with_identity_of(gold: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of gold records carrying the `form_id` and `source` that a
    reader set, for comparing fields read from another file of the same forms
    (the seed's `.txt` rather than the rendered PDF)."""
    out = []
    for expected, record in zip(gold, got):
        expected = copy.deepcopy(expected)
        expected["form_id"], expected["source"] = record["form_id"], dict(record["source"])
        out.append(expected)
    return out


def render_with_truth(records: list[dict[str, Any]], path: str | Path,
                      styles: list[FormStyle] | None = None) -> list[dict[str, Any]]:
    """Render records into one PDF and return them as ingest must yield them:
    `form_id` and `source` filled from the file's bytes and the pages each
    form was drawn on."""
    result = render_forms(records, path, styles)
    sha256 = sha256_of(Path(path))
    truth = []
    styles = list(styles) if styles is not None else [FormStyle()] * len(records)
    for position, (record, pages, style) in enumerate(zip(records, result.form_pages, styles), start=1):
        expected = as_printed(record, style)
        expected["form_id"] = f"{sha256[:12]}-{position}"
        expected["source"] = {"file": Path(path).name, "sha256": sha256, "pages": pages, "kind": "text"}
        truth.append(expected)
    return truth


def as_printed(record: dict[str, Any], style: FormStyle) -> dict[str, Any]:
    """A copy of the record with its targets and actuals as the style prints
    them (`⩾` for `≥` where `ge_char` says so, full- or half-width parentheses): the contract keeps
    them as printed, and the comparison's NFKC does not make `⩾` a `≥`."""
    expected = copy.deepcopy(record)
    for indicator in expected.get("indicators") or []:
        for key in ("target", "actual"):
            if isinstance(indicator.get(key), str):
                indicator[key] = printed_text(indicator[key], style.typesetting)
    return expected


def synthetic_styles(seeds: Iterable[int], style_names: Sequence[str] | None = None) -> list[FormStyle]:
    """Label and number styles per form; with `style_names`, one typesetting
    of those for all of them (drawn by the first seed: a file is typeset one
    way, as an office prints it)."""
    seeds = list(seeds)
    styles = [FormStyle.varied(seed) for seed in seeds]
    if style_names and seeds:
        typesetting = STYLES[random.Random(seeds[0]).choice(list(style_names))]
        styles = [replace(style, typesetting=typesetting) for style in styles]
    return styles


def render_synthetic(split: str, count: int, folder: Path,
                     style_names: Sequence[str] | None = TUNING_STYLES) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """Synthetic forms of a split, FORMS_PER_SYNTHETIC_FILE to a PDF, each
    file typeset in one of `style_names` (the tuning styles unless told;
    None: the reference typesetting)."""
    from corpus.synth import SPLIT_SEEDS, generate_forms

    records = generate_forms(split, count)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, FORMS_PER_SYNTHETIC_FILE):
        chunk = records[start:start + FORMS_PER_SYNTHETIC_FILE]
        seeds = range(SPLIT_SEEDS[split] + start, SPLIT_SEEDS[split] + start + len(chunk))
        path = folder / f"synthetic_{split}_{start // FORMS_PER_SYNTHETIC_FILE + 1:04d}.pdf"
        yield path, render_with_truth(chunk, path, synthetic_styles(seeds, style_names))


def build_corpus(out: Path, synthetic_per_split: int = 200, scanned_synthetic: int = 100) -> Iterator[str]:
    """Render the gold forms and the synthetic splits under `out`, then scan
    the gold and `scanned_synthetic` evaluation forms at every dpi and level."""
    from corpus.degrade import build_scans

    gold_dir = out / "gold"
    gold_dir.mkdir(parents=True, exist_ok=True)
    truth = render_with_truth(load_gold(), gold_dir / GOLD_PDF_NAME)
    write_records(truth, gold_dir / "seed_forms.truth.jsonl")
    yield f"corpus: {gold_dir / GOLD_PDF_NAME}: {len(truth)} gold forms"
    for split in ("train", "eval"):
        folder = out / "synthetic" / split
        all_truth: list[dict[str, Any]] = []
        files = 0
        for path, file_truth in render_synthetic(split, synthetic_per_split, folder):
            write_records(file_truth, path.with_suffix(".truth.jsonl"))
            all_truth.extend(file_truth)
            files += 1
        yield f"corpus: {folder}: {len(all_truth)} synthetic {split} forms in {files} PDFs"
    to_scan = [gold_dir / GOLD_PDF_NAME]
    to_scan += sorted((out / "synthetic" / "eval").glob("*.pdf"))[:-(-scanned_synthetic // FORMS_PER_SYNTHETIC_FILE)]
    scans = build_scans(to_scan, out / "scans")
    yield f"corpus: {out / 'scans'}: {len(scans)} scanned files (150/200/300 dpi, clean/light/heavy, PDF and TIFF)"


def build_sample() -> None:
    """Render the committed sample and refresh the gold's `source`/`form_id`
    to match it (run by hand after changing the renderer or the gold)."""
    SAMPLE_DIR.mkdir(exist_ok=True)
    gold = load_gold()
    truth = render_with_truth(gold, SAMPLE_DIR / GOLD_PDF_NAME)
    write_records(truth, GOLD_PATH)
    for path, file_truth in render_synthetic("dev", 6, SAMPLE_DIR):
        write_records(file_truth, path.with_suffix(".truth.jsonl"))
    # A small scan, so that the demo shows OCR too.
    from corpus.degrade import write_scan, write_scan_truth

    with tempfile.TemporaryDirectory() as tmp:
        text_pdf, truth = next(render_synthetic("dev", 2, Path(tmp)))
        write_records(truth, text_pdf.with_suffix(".truth.jsonl"))
        scan = write_scan(text_pdf, SAMPLE_DIR / "scanned_dev_forms.tiff", 200, "light", seed=0, fmt="tiff")[0]
        write_scan_truth(text_pdf, scan)

if __name__ == "__main__":
    build_sample()


def family_forms(family: str, count: int, typesetting_name: str = "reference",
                 split: str = "eval") -> tuple[list[dict[str, Any]], list[FormStyle]]:
    """`count` synthetic forms of a split as the family `family` prints them
    (`corpus.templates`), with the styles that print them."""
    from corpus.synth import generate_forms, split_seeds
    from corpus.templates import TEMPLATES, family_record

    template = TEMPLATES[family]
    records, styles = [], []
    for seed, record in zip(split_seeds(split, count), generate_forms(split, count)):
        family_form, printing = family_record(record, template, seed)
        records.append(family_form)
        styles.append(replace(FormStyle.varied(seed), typesetting=STYLES[typesetting_name], family=printing))
    return records, styles
