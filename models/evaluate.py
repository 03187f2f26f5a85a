"""Scores of the form-field tagger: per label precision, recall and F1 of
exact spans (start, end and label all equal).

    python -m models.evaluate [--pipeline DIR] [--count 1000] [--output FILE]
    selfeval models evaluate [--pipeline …] [--count …] [--output …]

the fourth step of the models/ project.  It scores the pipeline in DIR:
by default the build's models/build/training/model-best, where there is
one, else the shipped models/pipeline (`--pipeline models/pipeline` to
score the shipped one in any case).  It prints, and with `--output` also
writes to FILE, (a) eval-split deviation cells of the held-out phrasings only (never
seen in training or model selection), (b) all eval-split deviation cells,
(c) eval-split flat-text forms where `corpus.flat` exists, in the text of every
extractor (`corpus.extractors.FLAT_EXTRACTORS`): all together, the tuning
styles, each held-out style (`corpus.render.HELD_OUT_STYLES`, never rendered
for training or model selection) and each extractor apart, and a table of
micro F1 per style group and extractor, (d) the 19 seed forms in flat text.  For (a) and (b) it also scores the split into
`deviation_cause` / `improvement` the way the extractor makes it: by the
rules alone (`extract.parse.deviation.split_deviation`) and with the model
(`extract.parse.tagger.split_deviation_with_model`), the parts compared as the
contract compares text, so that one sees what the model adds.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from models.examples import (
    DEVIATION_CAUSE, FLAT_AVAILABLE, IMPROVEMENT, Example, ExampleSet, deviation_examples, flat_examples,
    held_out_style_examples, _extractor_list,
)
from models.layout import BEST_DIR, PIPELINE_DIR, logger, start_step

log = logger("evaluate")
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


def predict(pipeline_dir: Path | str, examples: Sequence[Example]) -> list[list[tuple[int, int, str]]]:
    """The spans the pipeline in `pipeline_dir` tags in each example's text."""
    from extract.parse.tagger import load_tagger

    nlp = load_tagger(pipeline_dir).nlp
    predicted = []
    for doc in nlp.pipe((text for text, _ in examples), batch_size=64):
        predicted.append([(e.start_char, e.end_char, e.label_) for e in doc.ents])
    return predicted


def evaluate(pipeline_dir: Path | str, examples: Sequence[Example]) -> Scores:
    """Tag `examples` with the pipeline in `pipeline_dir` and score it."""
    return score_spans((entities for _, entities in examples), predict(pipeline_dir, examples))


def format_scores(scores: Scores, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"| {'label':<16} | {'P':>6} | {'R':>6} | {'F1':>6} | {'n':>5} |")
    lines.append(f"| {'-' * 16} | {'-' * 5}: | {'-' * 5}: | {'-' * 5}: | {'-' * 4}: |")
    for label in sorted(scores, key=lambda label: (label == ALL, label)):
        s = scores[label]
        lines.append(f"| {label:<16} | {s['p']:6.4f} | {s['r']:6.4f} | {s['f']:6.4f} | {int(s.get('n', 0)):>5} |")
    return "\n".join(lines)


Splitter = Callable[[str], tuple[Optional[str], Optional[str]]]


def split_scores(examples: Sequence[Example], splitter: Splitter) -> Scores:
    """Per label P/R/F1 of the (deviation_cause, improvement) that `splitter`
    gives each cell, one part per label and cell, compared with the gold part
    as the contract compares text (`extract.checks.compare.fields_equal`: NFKC, no
    white space, no trailing `。；，`).  A wrong part is a false positive and a
    false negative; n is the gold count."""
    from extract.checks.compare import fields_equal

    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for text, entities in examples:
        gold = _gold_parts(text, entities)
        for label, got in zip((DEVIATION_CAUSE, IMPROVEMENT), splitter(text)):
            want = gold.get(label)
            if want is not None and got is not None and fields_equal(want, got):
                tp[label] += 1
                continue
            fp[label] += got is not None
            fn[label] += want is not None
    scores = {label: _prf(tp[label], fp[label], fn[label]) for label in (DEVIATION_CAUSE, IMPROVEMENT)}
    scores[ALL] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores


def _gold_parts(text: str, entities: Iterable[tuple[int, int, str]]) -> dict[str, str]:
    return {label: text[s:e] for s, e, label in entities if label in (DEVIATION_CAUSE, IMPROVEMENT)}


def splitters(pipeline_dir: Path | str) -> dict[str, Splitter]:
    """"rules alone" and "model" (as the extractor uses it) splitters."""
    from extract.parse.deviation import split_deviation
    from extract.parse.tagger import load_tagger, split_deviation_with_model

    tagger = load_tagger(pipeline_dir)
    return {"rules alone": split_deviation, "model": lambda text: split_deviation_with_model(text, tagger)}


def compare_splits(pipeline_dir: Path | str, examples: Sequence[Example]) -> dict[str, Scores]:
    """{"rules alone": scores, "model": scores} of `split_scores`."""
    return {name: split_scores(examples, splitter) for name, splitter in splitters(pipeline_dir).items()}


def format_split_comparison(comparison: dict[str, Scores], title: str = "") -> str:
    names = list(comparison)
    lines = [title] if title else []
    lines.append("| label            | " + " | ".join(f"{n} P | {n} R | {n} F1" for n in names) + " |     n |")
    lines.append("| ---------------- | " + " | ".join(" | ".join("-" * (len(f"{n} {m}") - 1) + ":" for m in ("P", "R", "F1"))
                                                     for n in names) + " | ----: |")
    for label in (DEVIATION_CAUSE, IMPROVEMENT, ALL):
        cells = " | ".join(" | ".join(f"{comparison[n][label][k]:>{len(f'{n} {m}')}.4f}"
                                      for k, m in (("p", "P"), ("r", "R"), ("f", "F1"))) for n in names)
        lines.append(f"| {label:<16} | {cells} | {int(comparison[names[0]][label]['n']):>5} |")
    return "\n".join(lines)


def per_phrasing(pipeline_dir: Path | str, examples: ExampleSet) -> str:
    """Cells split exactly right (both parts, as the contract compares them),
    per phrasing, by the rules alone and with the model."""
    from extract.checks.compare import fields_equal

    split = splitters(pipeline_dir)
    rows: dict[str, Counter[str]] = {}
    for (text, entities), phrasing in zip(examples.examples, examples.phrasings):
        gold = _gold_parts(text, entities)
        want = (gold.get(DEVIATION_CAUSE), gold.get(IMPROVEMENT))
        row = rows.setdefault(phrasing, Counter())
        row["cells"] += 1
        for name, splitter in split.items():
            row[name] += all(fields_equal(w, g) for w, g in zip(want, splitter(text)))
    lines = ["| phrasing | cells | " + " | ".join(f"{name}: cells right" for name in split) + " |",
             "| --- | ---: | " + " | ".join("---:" for _ in split) + " |"]
    for phrasing in sorted(rows):
        row = rows[phrasing]
        lines.append(f"| {phrasing} | {row['cells']} | "
                     + " | ".join(f"{row[name] / row['cells']:.1%}" for name in split) + " |")
    return "\n".join(lines)


def report(pipeline_dir: Path | str = PIPELINE_DIR, count: int = 1000, flat_count: int = 30,
           extractors: Sequence[str] | None = None) -> str:
    held_out = deviation_examples("eval", count, held_out_only=True)
    every = deviation_examples("eval", count)
    parts = [
        format_scores(evaluate(pipeline_dir, held_out.examples),
                      f"(a) eval split, held-out phrasings only ({len(held_out)} cells, {held_out.skipped} skipped): "
                      "NER spans"),
        format_split_comparison(compare_splits(pipeline_dir, held_out.examples),
                                "(a) the same cells split into deviation_cause / improvement, "
                                "rules alone against the model"),
        per_phrasing(pipeline_dir, held_out),
        format_scores(evaluate(pipeline_dir, every.examples),
                      f"(b) eval split, all phrasings ({len(every)} cells, {every.skipped} skipped): NER spans"),
        format_split_comparison(compare_splits(pipeline_dir, every.examples),
                                "(b) the same cells split into deviation_cause / improvement, "
                                "rules alone against the model"),
        per_phrasing(pipeline_dir, every),
    ]
    if FLAT_AVAILABLE:
        parts.extend(flat_report(pipeline_dir, flat_count, extractors))
    else:
        parts.append("(c) flat-text forms: corpus.flat not available")
    parts.append(seed_flat_text_report(pipeline_dir))
    return "\n\n".join(parts)


TUNING = "tuning styles"


def flat_report(pipeline_dir: Path | str, flat_count: int = 30,
                extractors: Sequence[str] | None = None) -> list[str]:
    """(c) eval-split flat-text forms: `flat_count` forms in the tuning styles
    and `flat_count` in each held-out style, each form in the text of every
    extractor; per label P/R/F1 for all of them, the tuning styles, each
    held-out style, each extractor, and micro F1 per style group × extractor."""
    groups: dict[str, ExampleSet] = {TUNING: flat_examples("eval", flat_count, extractors)}
    groups.update(held_out_style_examples(flat_count, extractors))
    if not any(len(group) for group in groups.values()):
        return ["(c) flat-text forms: none produced (see the warnings above)"]
    rows: list[tuple[str, str, Example, list[tuple[int, int, str]]]] = []   # group, extractor, example, predicted
    for name, group in groups.items():
        predicted = predict(pipeline_dir, group.examples)
        for example, meta, got in zip(group.examples, group.metadata(), predicted):
            rows.append((name, meta.get("extractor", ""), example, got))

    def scores(keep: Callable[[str, str], bool]) -> Scores:
        chosen = [(example[1], got) for group, extractor, example, got in rows if keep(group, extractor)]
        return score_spans((gold for gold, _ in chosen), (got for _, got in chosen))

    def misses(names: Iterable[str]) -> str:
        counts: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for name in names:
            for extractor, c in groups[name].alignment.items():
                counts[extractor] += c.get("missed", 0)
                totals[extractor] += c.get("aligned", 0) + c.get("missed", 0)
        return "; ".join(f"{e} {counts[e]}/{totals[e]}" for e in totals) or "none"

    held = [name for name in groups if name != TUNING]
    extractors_seen = list(dict.fromkeys(extractor for _, extractor, _, _ in rows))
    n_ex = len(extractors_seen)
    parts = [
        format_scores(scores(lambda g, e: True),
                      f"(c) eval split, flat-text forms, all styles and extractors ({flat_count} forms per style "
                      f"group × {n_ex} extractors, {len(rows)} examples; values left out as not contiguous "
                      f"in the text: {misses(groups)})"),
        format_scores(scores(lambda g, e: g == TUNING),
                      f"(c) flat text, tuning styles ({flat_count} forms, one of {', '.join(_tuning_names())} "
                      f"per file; all extractors)"),
    ]
    for name in held:
        parts.append(format_scores(scores(lambda g, e, name=name: g == name),
                                   f"(c) flat text, held-out style {name} ({flat_count} forms; all extractors; "
                                   f"left out: {misses([name])})"))
    parts.append(format_scores(scores(lambda g, e: g != TUNING),
                               f"(c) flat text, all held-out styles ({', '.join(held)}; all extractors)"))
    for extractor in extractors_seen:
        parts.append(format_scores(scores(lambda g, e, x=extractor: e == x),
                                   f"(c) flat text, extractor {extractor} (tuning and held-out styles)"))
    parts.append(style_extractor_table(rows, [TUNING] + held, extractors_seen, scores))
    return parts


def _tuning_names() -> tuple[str, ...]:
    from corpus.render import TUNING_STYLES
    return TUNING_STYLES


def style_extractor_table(rows: Sequence[tuple], groups: Sequence[str], extractors: Sequence[str],
                          scores: Callable[[Callable[[str, str], bool]], Scores]) -> str:
    """Micro F1 (and gold span count) per style group and extractor."""
    lines = ["(c) flat text, micro F1 (gold spans) per style group and extractor", "",
             "| styles | " + " | ".join(extractors) + " | all |",
             "| --- | " + " | ".join("---:" for _ in extractors) + " | ---: |"]
    for group in groups:
        cells = []
        for extractor in list(extractors) + [None]:
            s = scores(lambda g, e, group=group, x=extractor: g == group and (x is None or e == x))[ALL]
            cells.append(f"{s['f']:.4f} ({int(s['n'])})")
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seed_flat_text_report(pipeline_dir: Path | str = PIPELINE_DIR) -> str:
    """(d) The 19 real seed forms as flat text: field accuracy of the records
    assembled from it, by rules alone and with the model's tags."""
    from corpus.build import SEED_TEXT, load_gold, with_identity_of
    from extract.checks.compare import compare_records
    from extract.parse.flat_reader import parse_flat_text
    from extract.parse.tagger import load_tagger

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


def default_pipeline() -> Path:
    """The build's model-best where there is one, else the shipped pipeline."""
    return BEST_DIR if (BEST_DIR / "meta.json").is_file() else PIPELINE_DIR


def describe(pipeline_dir: Path | str) -> str:
    """`folder (name version)`, from its meta.json."""
    try:
        meta = json.loads((Path(pipeline_dir) / "meta.json").read_text(encoding="utf-8"))
        return f"{pipeline_dir} ({meta.get('name')} {meta.get('version')})"
    except (OSError, ValueError, AttributeError):
        return str(pipeline_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.evaluate",
        description="Score the form-field tagger on the eval split (step 4 of models/project.yml).")
    parser.add_argument("--pipeline", type=Path, default=None,
                        help="the pipeline to score (default: models/build/training/model-best where it "
                             "exists, else the shipped models/pipeline)")
    parser.add_argument("--count", type=int, default=1000, help="deviation cells per table")
    parser.add_argument("--flat-count", type=int, default=30,
                        help="eval-split flat-text forms per style group (the tuning styles; each held-out "
                             "style), each in the text of every extractor (default 30)")
    parser.add_argument("--extractors", type=_extractor_list, default=None, metavar="NAME[,NAME…]",
                        help="flat-text extractors to score (default all of corpus.extractors.FLAT_EXTRACTORS)")
    parser.add_argument("--output", type=Path, default=None, help="also write the tables to this file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = start_step(parser, argv)
    pipeline = args.pipeline
    if pipeline is None:
        pipeline = default_pipeline()
        if pipeline == PIPELINE_DIR:
            log.info("no trained pipeline at %s: scoring the shipped %s", BEST_DIR, PIPELINE_DIR)
    if not (Path(pipeline) / "meta.json").is_file():
        parser.exit(1, f"{parser.prog}: {pipeline}: no spaCy pipeline there (run the train step first)\n")
    log.info("scoring %s …", describe(pipeline))
    text = f"Pipeline: {describe(pipeline)}\n\n" + report(pipeline, args.count, args.flat_count, args.extractors)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
        log.info("scores written to %s", args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
