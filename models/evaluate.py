"""Scores of the form-field tagger: per label precision, recall and F1 of
exact spans (start, end and label all equal).

    python -m models.evaluate [--pipeline models/pipeline] [--count 1000]

prints three tables: (a) eval-split deviation cells of the held-out
phrasings only (never seen in training), (b) all eval-split deviation cells,
(c) eval-split flat-text forms where `corpus.flat` exists.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from models.examples import FLAT_AVAILABLE, Example, deviation_examples, flat_examples

PIPELINE_DIR = Path(__file__).resolve().parent / "pipeline"
ALL = "ALL"

Scores = dict[str, dict[str, float]]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f": f, "n": tp + fn}


def score_spans(gold: Iterable[Iterable[tuple[int, int, str]]],
                predicted: Iterable[Iterable[tuple[int, int, str]]]) -> Scores:
    """{label: {p, r, f, n}} with n the gold count, plus ALL (micro-average)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold_spans, predicted_spans in zip(gold, predicted):
        g, q = set(map(tuple, gold_spans)), set(map(tuple, predicted_spans))
        for _, _, label in g & q:
            tp[label] += 1
        for _, _, label in q - g:
            fp[label] += 1
        for _, _, label in g - q:
            fn[label] += 1
    labels = sorted(set(tp) | set(fp) | set(fn))
    scores = {label: _prf(tp[label], fp[label], fn[label]) for label in labels}
    scores[ALL] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores


def evaluate(pipeline_dir: Path | str, examples: Sequence[Example]) -> Scores:
    """Tag `examples` with the pipeline in `pipeline_dir` and score it."""
    import spacy

    nlp = spacy.load(pipeline_dir)
    predicted = []
    for doc in nlp.pipe((text for text, _ in examples), batch_size=64):
        predicted.append([(e.start_char, e.end_char, e.label_) for e in doc.ents])
    return score_spans((entities for _, entities in examples), predicted)


def format_scores(scores: Scores, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"| {'label':<16} | {'P':>6} | {'R':>6} | {'F1':>6} | {'n':>5} |")
    lines.append(f"| {'-' * 16} | {'-' * 5}: | {'-' * 5}: | {'-' * 5}: | {'-' * 4}: |")
    for label in sorted(scores, key=lambda label: (label == ALL, label)):
        s = scores[label]
        lines.append(f"| {label:<16} | {s['p']:6.4f} | {s['r']:6.4f} | {s['f']:6.4f} | {int(s.get('n', 0)):>5} |")
    return "\n".join(lines)


def report(pipeline_dir: Path | str = PIPELINE_DIR, count: int = 1000, flat_count: int = 100) -> str:
    held_out = deviation_examples("eval", count, held_out_only=True)
    every = deviation_examples("eval", count)
    parts = [
        format_scores(evaluate(pipeline_dir, held_out.examples),
                      f"(a) eval split, held-out phrasings only ({len(held_out)} cells, {held_out.skipped} skipped)"),
        format_scores(evaluate(pipeline_dir, every.examples),
                      f"(b) eval split, all phrasings ({len(every)} cells, {every.skipped} skipped)"),
    ]
    if FLAT_AVAILABLE:
        flat = flat_examples("eval", flat_count)
        if flat.examples:
            parts.append(format_scores(evaluate(pipeline_dir, flat.examples),
                                       f"(c) eval split, flat-text forms ({len(flat)} forms)"))
    else:
        parts.append("(c) flat-text forms: corpus.flat not available")
    parts.append(seed_flat_text_report(pipeline_dir))
    return "\n\n".join(parts)


def seed_flat_text_report(pipeline_dir: Path | str = PIPELINE_DIR) -> str:
    """(d) The 19 real seed forms as flat text: field accuracy of the records
    assembled from it, by rules alone and with the model's tags."""
    from corpus.build import SEED_TEXT, load_gold, with_identity_of
    from extract.compare import compare_records
    from extract.flat_text import parse_flat_text
    from extract.ner import load_tagger

    if not SEED_TEXT.exists():
        return f"(d) seed flat text: {SEED_TEXT} not found"
    text = SEED_TEXT.read_text(encoding="utf-8")
    lines = ["(d) the 19 seed forms in flat text, records against the gold", "",
             "| tags | forms | fields | field accuracy |", "| --- | ---: | ---: | ---: |"]
    for name, tagger in (("rules only", None), ("rules + model", load_tagger(pipeline_dir))):
        records = [f.record for f in parse_flat_text(text, SEED_TEXT.name, "0" * 64, tagger=tagger)]
        gold = with_identity_of(load_gold(), records)   # identity is the text file's
        comparison = compare_records(gold, records)
        lines.append(f"| {name} | {len(records)} | {comparison.fields_total} | {comparison.accuracy:.4%} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the form-field tagger on the eval split.")
    parser.add_argument("--pipeline", type=Path, default=PIPELINE_DIR)
    parser.add_argument("--count", type=int, default=1000, help="deviation cells per table")
    parser.add_argument("--flat-count", type=int, default=100)
    args = parser.parse_args(argv)
    print(report(args.pipeline, args.count, args.flat_count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
