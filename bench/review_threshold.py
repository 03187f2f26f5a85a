"""Benchmark: the review threshold, set from the scanned evaluation corpus.

    .venv/bin/python bench/review_threshold.py [--forms 30] [--level light|heavy|both]
                                               [--workers N] [--gold] [--cache DIR]
                                               [--save FILE | --load FILE]

Renders `--forms` synthetic evaluation forms (ten to a PDF; `--gold` adds the
19 gold forms), scans each PDF at 200 dpi (`corpus.degrade`, light and/or
heavy), reads the scans with the real pipeline (RapidOCR, the default
engine), pairs the forms read with the truth by (file, position) and decides
every field right or wrong with the contract's comparison
(`extract.checks.compare.fields_equal`).  A field the reader added (an extra
indicator or form) is wrong; a truth field the reader lost (a missing
indicator or form) is wrong too, and since nothing can send a field that
does not exist to review, it counts as accepted.  The text PDFs are read too
(text layer), to tell the parser's errors from OCR's.

Then, for thresholds 0.50 … 0.99 (and a few finer ones, apart), it prints
the share of fields sent to review (`extract.checks.routing.route`: below the
threshold, or named by a finding) and the accuracy of the fields accepted
without review, once with the hard findings only routing fields and once
with the soft ones too.  The recommended threshold is the lowest whose
accepted accuracy is ≥ 99.5%; then the lowest that reaches it on every
slice alone (each level, gold, synthetic); the figures at the default of
`extract.checks.routing`; the table with OCR's errors only; and the fields that are
wrong yet accepted, by kind and cause.

Text PDFs and scans are cached under `--cache` (git-ignored) and redone when
the generator's forms change; a second run only reads.  `--save` keeps every
field's outcome, `--load` prints the figures from such a file again.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus.build import (FORMS_PER_SYNTHETIC_FILE, load_gold, load_records,  # noqa: E402
                          render_with_truth, synthetic_styles, write_records)
from corpus.degrade import retarget_truth, scan_name, truth_path, write_scan  # noqa: E402
from extract.checks.compare import MISSING, fields_equal  # noqa: E402
from extract.model import FormResult, dumps_record, iter_fields, loads_record  # noqa: E402
from extract.pipeline.settings import OcrSettings  # noqa: E402
from extract.pipeline.workers import default_workers  # noqa: E402
from extract.pipeline.document import extract_forms, read_document  # noqa: E402
from extract.sources.files import sha256_of  # noqa: E402
from extract.checks.confidence import ALWAYS_REVIEWED  # noqa: E402
from extract.checks.routing import ACCEPTED, DEFAULT_REVIEW_THRESHOLD, ROUTE_SOFT_FINDINGS, route  # noqa: E402
from extract.checks.validate import fields_named_by_findings  # noqa: E402

DPI = 200
LEVELS = ("light", "heavy")
THRESHOLDS = tuple(x / 100 for x in range(50, 95, 5)) + (0.95, 0.96, 0.97, 0.98, 0.99)
# OCR scores crowd just under 1, so finer steps are printed too, apart.
FINER_THRESHOLDS = (0.995, 0.999, 0.9995, 0.9999)
TARGET_ACCURACY = 0.995
DEFAULT_CACHE = ROOT / "corpus" / "generated" / "review_threshold"
# Scans that `selfeval corpus --out corpus/generated` wrote, reused when present.
GENERATED_SCANS = ROOT / "corpus" / "generated" / "scans" / "pdf"


@dataclass(frozen=True)
class FieldOutcome:
    """One field of the comparison, as routing sees it."""

    level: str
    form: str                 # "file#position"
    path: str
    confidence: float | None  # None: the reader lost the field (nothing to route)
    named_hard: bool          # named by a finding of a hard rule
    named_soft: bool          # named by a finding of a soft rule
    correct: bool
    gold: Any
    got: Any
    wrong_in_text: bool = False   # wrong too when the text PDF the scan was made from is read
    always_reviewed: bool = False  # a doubt routing never lets pass (a number re-derived by arithmetic)

    @property
    def kind(self) -> str:
        return re.sub(r"\[\d+\]", "[]", self.path)


# ---------------------------------------------------------------- corpus

def synthetic_files(count: int, folder: Path) -> list[tuple[Path, list[dict]]]:
    """`count` synthetic eval forms, ten to a text PDF, with their truth."""
    from corpus.synth import SPLIT_SEEDS, generate_forms

    files = []
    for start in range(0, count, FORMS_PER_SYNTHETIC_FILE):
        size = min(FORMS_PER_SYNTHETIC_FILE, count - start)
        stem = f"synthetic_eval_{start // FORMS_PER_SYNTHETIC_FILE + 1:04d}"
        stem += "" if size == FORMS_PER_SYNTHETIC_FILE else f"_of{size}"   # a short last file is another file
        seed = SPLIT_SEEDS["eval"] + start
        path = folder / f"{stem}.pdf"
        files.append((path, cached_render(generate_forms("eval", size, start), path,
                                          synthetic_styles(range(seed, seed + size)))))
    return files


def gold_file(folder: Path) -> tuple[Path, list[dict]]:
    path = folder / "seed_forms.pdf"
    return path, cached_render(load_gold(), path, None)


def cached_render(records: list[dict], path: Path, styles: list | None) -> list[dict]:
    """Render records into `path` unless it already holds them (the
    generator or the gold may have changed since); returns the truth."""
    if path.exists() and truth_path(path).exists():
        truth = load_records(truth_path(path))
        if _contents(truth) == _contents(records):
            return truth
    path.parent.mkdir(parents=True, exist_ok=True)
    truth = render_with_truth(records, path, styles)
    write_records(truth, truth_path(path))
    return truth


def _contents(records: list[dict]) -> list[dict]:
    """Records without what names their file, numbers as Decimal, for comparing."""
    return [loads_record(dumps_record({k: v for k, v in r.items() if k not in ("form_id", "source", "_meta")}))
            for r in records]


def scanned(text_pdf: Path, truth: list[dict], level: str, folder: Path) -> tuple[Path, list[dict]]:
    """The 200-dpi scan of a text PDF at `level`, with its truth: cached, or
    taken from the generated corpus when it holds the same forms."""
    from corpus.degrade import _combination_seed   # the seed `selfeval corpus` gives the same scan

    name = scan_name(text_pdf, DPI, level, "pdf")
    for candidate in (GENERATED_SCANS / name, folder / name):
        if candidate.exists() and truth_path(candidate).exists():
            scan_truth = load_records(truth_path(candidate))
            fresh = candidate.parent != folder or candidate.stat().st_mtime >= text_pdf.stat().st_mtime
            if fresh and _contents(scan_truth) == _contents(truth):
                return candidate, scan_truth
    scan = write_scan(text_pdf, folder / name, DPI, level, _combination_seed(0, text_pdf.stem, DPI, level), "pdf")[0]
    scan_truth = retarget_truth(truth, scan)
    write_records(scan_truth, truth_path(scan))
    return scan, scan_truth


# ---------------------------------------------------------------- reading and comparing

def read_forms(path: Path, pool: Executor | None, ocr: OcrSettings = OcrSettings()) -> list[FormResult]:
    """The forms of a file, as `selfeval ingest` reads them (default: RapidOCR on pages without text)."""
    document = read_document(path, sha256_of(path), ocr, pool)
    if document.failed:
        print(f"  {path.name}: {len(document.failed)} pages failed: "
              f"{'; '.join(f'page {p.number}: {p.error}' for p in document.failed)}", file=sys.stderr)
    return extract_forms(document)


def wrong_from_text_layer(text_pdf: Path, truth: list[dict]) -> set[tuple[int, str]]:
    """(form position, path) of the fields that are wrong even when the text
    PDF the scan was made from is read: errors of the parser, not of OCR."""
    fields = outcomes("text", truth, read_forms(text_pdf, None, OcrSettings(mode="never")))
    return {(int(f.form.rsplit("#", 1)[1]), f.path) for f in fields if not f.correct}


def outcomes(level: str, truth: list[dict], forms: list[FormResult],
             wrong_in_text: set[tuple[int, str]] = frozenset()) -> list[FieldOutcome]:
    """Every field of the truth and of the forms read, paired by position in the file."""
    result: list[FieldOutcome] = []
    for position in range(max(len(truth), len(forms))):
        gold = dict(iter_fields(truth[position])) if position < len(truth) else {}
        form = forms[position] if position < len(forms) else None
        key = f"{(truth[position] if gold else form.record)['source']['file']}#{position + 1}"
        got = dict(iter_fields(form.record)) if form is not None else {}
        hard: set[str] = set()
        soft: set[str] = set()
        if form is not None:
            hard = fields_named_by_findings(form.findings, soft=False)
            soft = fields_named_by_findings(form.findings, soft=True) - hard
        for path in list(gold) + [p for p in got if p not in gold]:
            gold_value, got_value = gold.get(path, MISSING), got.get(path, MISSING)
            present = got_value is not MISSING
            result.append(FieldOutcome(
                level, key, path,
                (form.confidence(path) or 0.0) if present else None,
                path in hard, path in soft,
                present and gold_value is not MISSING and fields_equal(gold_value, got_value),
                gold_value, got_value, (position + 1, path) in wrong_in_text,
                present and bool(form.state(path).doubts & ALWAYS_REVIEWED)))
    return result


# ---------------------------------------------------------------- routing figures

@dataclass
class Row:
    threshold: float
    fields: int
    pending: int
    accepted: int
    accepted_wrong: int

    @property
    def review_share(self) -> float:
        return self.pending / self.fields if self.fields else 0.0

    @property
    def accepted_accuracy(self) -> float:
        return 1 - self.accepted_wrong / self.accepted if self.accepted else 1.0


def is_pending(outcome: FieldOutcome, threshold: float, soft: bool) -> bool:
    """`extract.checks.routing.route`'s rule on one field (checked against route() in `check_route`)."""
    if outcome.confidence is None:
        return False          # a lost field: no one is asked about it
    return (outcome.confidence < threshold or outcome.named_hard or (soft and outcome.named_soft)
            or outcome.always_reviewed)


def row_at(fields: Sequence[FieldOutcome], threshold: float, soft: bool) -> Row:
    pending = [is_pending(f, threshold, soft) for f in fields]
    accepted = [f for f, p in zip(fields, pending) if not p]
    return Row(threshold, len(fields), sum(pending), len(accepted), sum(1 for f in accepted if not f.correct))


def table(fields: Sequence[FieldOutcome], soft: bool,
          thresholds: Sequence[float] = THRESHOLDS) -> list[Row]:
    return [row_at(fields, threshold, soft) for threshold in thresholds]


def recommended(rows: Sequence[Row]) -> Row | None:
    """The lowest threshold whose accepted fields are ≥ 99.5% correct."""
    return next((row for row in rows if row.accepted_accuracy >= TARGET_ACCURACY), None)


def check_route(forms: Iterable[FormResult], fields: Sequence[FieldOutcome]) -> None:
    """The bench's per-field rule must be route()'s: compare on the forms read."""
    by_key = {(f.form, f.path): f for f in fields if f.confidence is not None}
    for form in forms:
        key_prefix = f"{form.record['source']['file']}#"
        position = form.record["form_id"].rsplit("-", 1)[1]
        for path, status in route(form, DEFAULT_REVIEW_THRESHOLD).items():
            outcome = by_key.get((key_prefix + position, path))
            if outcome is not None:
                assert (status != ACCEPTED) == is_pending(outcome, DEFAULT_REVIEW_THRESHOLD, ROUTE_SOFT_FINDINGS), path


def print_tables(fields: Sequence[FieldOutcome]) -> dict[bool, tuple[Row | None, Row | None]]:
    """The table; per policy (soft findings route or not), the recommended row
    in the asked range and, failing that, among the finer thresholds."""
    print(f"{'':>9} | {'hard findings route':^34} | {'hard and soft findings route':^34}")
    print(f"{'threshold':>9} | {'review':>8} {'accepted acc':>13} {'wrong in':>11} "
          f"| {'review':>8} {'accepted acc':>13} {'wrong in':>11}")
    print(f"{'':>9} | {'':>8} {'':>13} {'accepted':>11} | {'':>8} {'':>13} {'accepted':>11}")
    choice = {}
    for thresholds, note in ((THRESHOLDS, None), (FINER_THRESHOLDS, "finer than the asked range:")):
        hard_rows, soft_rows = table(fields, False, thresholds), table(fields, True, thresholds)
        if note:
            print(f"{note}")
        for hard, soft in zip(hard_rows, soft_rows):
            print(f"{_threshold(hard.threshold):>9} | {hard.review_share:>8.2%} {hard.accepted_accuracy:>13.3%} "
                  f"{hard.accepted_wrong:>11} | {soft.review_share:>8.2%} {soft.accepted_accuracy:>13.3%} "
                  f"{soft.accepted_wrong:>11}")
        for soft, rows in ((False, hard_rows), (True, soft_rows)):
            choice.setdefault(soft, []).append(recommended(rows))
    return {soft: (found[0], found[1]) for soft, found in choice.items()}


def print_recommendation(choice: dict[bool, tuple[Row | None, Row | None]]) -> None:
    for soft, name in ((False, "hard findings route"), (True, "hard and soft findings route")):
        row, finer = choice[soft]
        if row is None:
            print(f"{name}: NO threshold from 0.50 to 0.99 gives accepted accuracy ≥ {TARGET_ACCURACY:.1%}"
                  + (f"; the lowest finer one that does is {_threshold(finer.threshold)}: {_row_text(finer)}" if finer
                     else "; nor does any finer one"))
        else:
            print(f"{name}: recommended threshold {_threshold(row.threshold)}: {_row_text(row)}")


def _threshold(value: float) -> str:
    text = f"{value:.4f}".rstrip("0")
    return text if len(text.split(".")[1]) >= 2 else f"{value:.2f}"


def _row_text(row: Row) -> str:
    return (f"{row.review_share:.2%} of fields to review, accepted {row.accepted_accuracy:.3%} correct "
            f"({row.accepted_wrong} wrong of {row.accepted})")


def slices(fields: Sequence[FieldOutcome]) -> dict[str, list[FieldOutcome]]:
    """The fields by scan level and by corpus (gold, synthetic), where there is more than one."""
    groups: dict[str, list[FieldOutcome]] = defaultdict(list)
    for f in fields:
        groups[f.level].append(f)
        groups["gold" if f.form.startswith("seed_forms") else "synthetic"].append(f)
        if not f.form.startswith("seed_forms"):
            groups[f"synthetic {f.level}"].append(f)
    return {name: group for name, group in groups.items() if len(group) < len(fields)}


def print_every_slice(fields: Sequence[FieldOutcome]) -> None:
    """The lowest threshold that reaches the goal on each slice alone (each level, gold, synthetic)."""
    groups = slices(fields)
    if not groups:
        return
    lowest = {}
    for name, group in groups.items():
        row = recommended(table(group, ROUTE_SOFT_FINDINGS) + table(group, ROUTE_SOFT_FINDINGS, FINER_THRESHOLDS))
        lowest[name] = row.threshold if row else None
    print("lowest threshold reaching the goal on each slice alone: "
          + "; ".join(f"{name} {_threshold(t) if t else 'none'}" for name, t in lowest.items()))
    every = next((t for t in THRESHOLDS + FINER_THRESHOLDS
                  if all(row_at(group, t, ROUTE_SOFT_FINDINGS).accepted_accuracy >= TARGET_ACCURACY
                         for group in [list(fields), *groups.values()])), None)
    print("lowest threshold reaching it on every slice at once: " + (
        f"{_threshold(every)}: {_row_text(row_at(fields, every, ROUTE_SOFT_FINDINGS))}" if every else "none"))


def print_ocr_only(fields: Sequence[FieldOutcome]) -> None:
    """The table again, with the parser's own errors (wrong from the text layer too) counted as right."""
    parser_wrong = sum(1 for f in fields if f.wrong_in_text and not f.correct)
    if not parser_wrong:
        return
    ocr_only = [replace(f, correct=True) if f.wrong_in_text else f for f in fields]
    print(f"\nOCR's errors only: the {parser_wrong} wrong fields that reading the text PDF gets wrong too "
          f"counted as right (soft findings {'route' if ROUTE_SOFT_FINDINGS else 'do not route'}):")
    print(f"{'threshold':>9} | {'review':>8} {'accepted acc':>13} {'wrong in acc.':>13}")
    rows = table(ocr_only, ROUTE_SOFT_FINDINGS) + table(ocr_only, ROUTE_SOFT_FINDINGS, FINER_THRESHOLDS)
    for row in rows:
        print(f"{_threshold(row.threshold):>9} | {row.review_share:>8.2%} {row.accepted_accuracy:>13.3%} "
              f"{row.accepted_wrong:>13}")
    best = recommended(rows)
    print("OCR's errors only: " + (f"lowest threshold reaching {TARGET_ACCURACY:.1%}: {_threshold(best.threshold)}: "
                                   f"{_row_text(best)}" if best else f"no threshold reaches {TARGET_ACCURACY:.1%}"))


def print_wrong_accepted(fields: Sequence[FieldOutcome], threshold: float, soft: bool, top: int = 15) -> None:
    wrong = [f for f in fields if not f.correct and not is_pending(f, threshold, soft)]
    lost = sum(1 for f in wrong if f.confidence is None)
    print(f"\nwrong yet accepted at {_threshold(threshold)} ({'hard and soft' if soft else 'hard'} findings route): "
          f"{len(wrong)} fields, {lost} of them lost by the reader (no field to route)")
    if not wrong:
        return
    by_kind: dict[str, list[FieldOutcome]] = defaultdict(list)
    for f in wrong:
        by_kind[f.kind].append(f)
    print(f"{'field kind':<28} {'wrong':>5} {'conf (min–max)':>15}  example (gold → read)")
    for kind, items in sorted(by_kind.items(), key=lambda kv: -len(kv[1]))[:top]:
        confidences = [f.confidence for f in items if f.confidence is not None]
        span = f"{min(confidences):.4f}–{max(confidences):.4f}" if confidences else "lost"
        example = items[0]
        print(f"{kind:<28} {len(items):>5} {span:>15}  {_difference(example.gold, example.got)}"
              f"  [{example.level} {example.form}]")
    causes = Counter(_cause(f) for f in wrong)
    print("by cause: " + "; ".join(f"{cause} {count}" for cause, count in causes.most_common()))


PUNCTUATION = "、，,。.；;：:（）()《》“”\"' "


def _cause(f: FieldOutcome) -> str:
    if f.confidence is None:
        return "lost (missing form/indicator)"
    if f.gold is MISSING:
        return "extra (indicator/form the truth lacks)"
    if f.wrong_in_text:
        return "wrong from the text layer too (parser, not OCR)"
    if f.got is None:
        return "read as empty"
    if isinstance(f.gold, str) and isinstance(f.got, str):
        gold, got = (unicodedata.normalize("NFKC", v) for v in (f.gold, f.got))
        if _without(gold, PUNCTUATION) == _without(got, PUNCTUATION):
            return "punctuation lost or added (or a speck read as a dot)"
        if gold.replace("‰", "%") == got.replace("%o", "%"):
            return "‰ read as %"
    if f.confidence >= 1.0:
        return "other, at confidence 1.0"
    return "other misread"


def _without(text: str, characters: str) -> str:
    return "".join(c for c in text if c not in characters)


def _difference(gold: Any, got: Any, context: int = 8) -> str:
    """`gold → got`, cut to where they first differ when both are long text."""
    if not (isinstance(gold, str) and isinstance(got, str)):
        return f"{_short(gold)} → {_short(got)}"
    start = next((i for i, (a, b) in enumerate(zip(gold, got)) if a != b), min(len(gold), len(got)))
    begin = max(0, start - context)
    prefix = "…" if begin else ""
    return f"{prefix}{_short(gold[begin:])} → {prefix}{_short(got[begin:])}"


def _short(value: Any, width: int = 20) -> str:
    text = repr(value) if value is MISSING or value is None else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


# ---------------------------------------------------------------- saved outcomes

def save_outcomes(fields: Sequence[FieldOutcome], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for f in fields:
            handle.write(json.dumps({
                "level": f.level, "form": f.form, "path": f.path, "confidence": f.confidence,
                "named_hard": f.named_hard, "named_soft": f.named_soft, "correct": f.correct,
                "gold": None if f.gold is MISSING else json.loads(dumps_record(f.gold)), "gold_missing": f.gold is MISSING,
                "got": None if f.got is MISSING else json.loads(dumps_record(f.got)), "got_missing": f.got is MISSING,
                "wrong_in_text": f.wrong_in_text,
            }, ensure_ascii=False) + "\n")


def load_outcomes(path: Path) -> list[FieldOutcome]:
    fields = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = loads_record(line)
            confidence = row["confidence"]
            fields.append(FieldOutcome(
                row["level"], row["form"], row["path"], None if confidence is None else float(confidence),
                row["named_hard"], row["named_soft"], row["correct"],
                MISSING if row["gold_missing"] else row["gold"], MISSING if row["got_missing"] else row["got"],
                row.get("wrong_in_text", False)))
    return fields


# ---------------------------------------------------------------- main

def read_corpus(args: argparse.Namespace, levels: Sequence[str]) -> list[FieldOutcome]:
    sources = synthetic_files(args.forms, args.cache / "text") if args.forms else []
    if args.gold:
        sources.insert(0, gold_file(args.cache / "text"))
    forms_count = sum(len(t) for _, t in sources)
    print(f"{forms_count} forms in {len(sources)} files, scanned at {DPI} dpi ({', '.join(levels)}), "
          f"read with RapidOCR on {args.workers} workers", flush=True)
    fields: list[FieldOutcome] = []
    started = time.perf_counter()
    # Workers start clean (forkserver), as the pipeline's do.
    pool = (ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("forkserver"))
            if args.workers > 1 else None)
    text_wrong = {text_pdf: wrong_from_text_layer(text_pdf, truth) for text_pdf, truth in sources}
    try:
        for level in levels:
            for text_pdf, truth in sources:
                scan, scan_truth = scanned(text_pdf, truth, level, args.cache / "scans")
                forms = read_forms(scan, pool)
                file_fields = outcomes(level, scan_truth, forms, text_wrong[text_pdf])
                check_route(forms, file_fields)
                fields += file_fields
                wrong = sum(not f.correct for f in file_fields)
                print(f"  {level:<5} {scan.name}: {len(forms)}/{len(scan_truth)} forms, "
                      f"{wrong} of {len(file_fields)} fields wrong ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return fields


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=30, help="synthetic eval forms, ten to a file (30)")
    parser.add_argument("--level", choices=("light", "heavy", "both"), default="both")
    parser.add_argument("--workers", type=int, default=default_workers(), help="page-reading processes")
    parser.add_argument("--gold", action="store_true", help="add the 19 gold forms (real layouts)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where scans are kept (git-ignored)")
    parser.add_argument("--save", type=Path, help="also write every field's outcome to this JSONL file")
    parser.add_argument("--load", type=Path, help="print the figures from a --save file, reading nothing")
    args = parser.parse_args(argv)
    if args.forms < 0 or args.workers < 1 or (args.forms == 0 and not args.gold):
        parser.error("give at least one form (--forms N > 0 or --gold) and at least one worker")
    levels = LEVELS if args.level == "both" else (args.level,)

    if args.load:
        fields = load_outcomes(args.load)
        levels = tuple(dict.fromkeys(f.level for f in fields))
        print(f"{len(set(f.form for f in fields))} forms read from {args.load} ({', '.join(levels)})")
    else:
        fields = read_corpus(args, levels)
    if args.save:
        save_outcomes(fields, args.save)
    routable = sum(1 for f in fields if f.confidence is not None)
    wrong = sum(not f.correct for f in fields)
    print(f"{len(fields)} fields ({len(fields) - routable} lost by the reader), {wrong} wrong "
          f"({1 - wrong / len(fields):.2%} field accuracy before review)\n")
    choice = print_tables(fields)
    print()
    print_recommendation(choice)
    chosen = choice[ROUTE_SOFT_FINDINGS][0]
    print_every_slice(fields)
    print(f"\nthe default in extract/routing.py, DEFAULT_REVIEW_THRESHOLD = {_threshold(DEFAULT_REVIEW_THRESHOLD)}, "
          f"soft findings {'route' if ROUTE_SOFT_FINDINGS else 'do not route'}:")
    for name, group in list(slices(fields).items()) + [("all", list(fields))]:
        print(f"  {name:<15}: {_row_text(row_at(group, DEFAULT_REVIEW_THRESHOLD, ROUTE_SOFT_FINDINGS))}")
    print_ocr_only(fields)
    # What is wrong yet accepted: at the default, and at the recommended threshold if that differs.
    for threshold in sorted({DEFAULT_REVIEW_THRESHOLD} | ({chosen.threshold} if chosen else set())):
        print_wrong_accepted(fields, threshold, ROUTE_SOFT_FINDINGS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
