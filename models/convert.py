"""Examples → spaCy `DocBin` files; the second step of the models/ project:

    python -m models.convert [--examples models/build/examples] [--out models/build/corpus]

reads train.jsonl and dev.jsonl of the `examples` step and writes
train.spacy, dev.spacy and stats.json (docs, spans, spans left out; with the
examples' stats) into the corpus folder.

Spans are placed with ``doc.char_span(start, end, label,
alignment_mode="strict")``: a span whose edges do not fall on token
boundaries is left out and reported in a warning (count and the first few),
as spaCy's project templates do.  With the character segmenter nearly every
span aligns; one that starts or ends on white space does not.  Overlapping
spans keep the longest (`spacy.util.filter_spans`), also with a warning.
A span labelled `corpus.flat.NOT_ANNOTATED` (an extra row's text) becomes
missing annotation (`Doc.set_ents(missing=...)`): training takes no loss
there, the scorer counts no prediction there.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.util import filter_spans

from corpus.flat import NOT_ANNOTATED
from models.examples import Example, read_jsonl
from models.layout import (
    CORPUS_DIR, DEV_JSONL, DEV_SPACY, EXAMPLES_DIR, STATS_JSON, TRAIN_JSONL, TRAIN_SPACY, logger, start_step, step_errors,
)

log = logger("convert")
_SHOWN = 5


@dataclass
class ConvertStats:
    docs: int = 0
    spans: int = 0
    misaligned: int = 0
    overlapping: int = 0
    unannotated: int = 0              # NOT_ANNOTATED spans, left missing
    misaligned_samples: list[str] = field(default_factory=list)


def blank_nlp() -> Language:
    """The tokenizer of the config (blank zh, character segmenter)."""
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})


def to_docbin(examples: Iterable[Example], nlp: Language | None = None) -> tuple[DocBin, ConvertStats]:
    nlp = nlp or blank_nlp()
    stats = ConvertStats()
    docbin = DocBin(store_user_data=False)
    for text, entities in examples:
        doc = nlp.make_doc(text)
        spans, unannotated = [], []
        for start, end, label in entities:
            if label == NOT_ANNOTATED:     # missing annotation: no loss either way
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is not None:
                    unannotated.append(span)
                continue
            span = doc.char_span(start, end, label=label, alignment_mode="strict")
            if span is None:
                stats.misaligned += 1
                if len(stats.misaligned_samples) < _SHOWN:
                    stats.misaligned_samples.append(f"{label} [{start}:{end}] {text[start:end]!r} in {text[:60]!r}")
                continue
            spans.append(span)
        kept = filter_spans(spans)
        stats.overlapping += len(spans) - len(kept)
        unannotated = [span for span in unannotated
                       if not any(span.start < ent.end and ent.start < span.end for ent in kept)]
        doc.set_ents(kept, missing=unannotated, default="outside")
        stats.spans += len(kept)
        stats.unannotated += len(unannotated)
        stats.docs += 1
        docbin.add(doc)
    if stats.misaligned:
        log.warning("Skipping %d span(s) that do not align to token boundaries; first %d: %s",
                    stats.misaligned, min(_SHOWN, stats.misaligned), "; ".join(stats.misaligned_samples))
    if stats.overlapping:
        log.warning("Dropped %d overlapping span(s) (kept the longest)", stats.overlapping)
    return docbin, stats


def write_docbin(examples: Iterable[Example], path: Path, nlp: Language | None = None) -> ConvertStats:
    docbin, stats = to_docbin(examples, nlp)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)
    log.info("%s: %d docs, %d spans", path, stats.docs, stats.spans)
    return stats


def convert(examples_dir: Path = EXAMPLES_DIR, out_dir: Path = CORPUS_DIR) -> dict[str, Any]:
    """`examples_dir`/{train,dev}.jsonl → `out_dir`/{train,dev}.spacy and
    stats.json; returns the stats."""
    examples_dir, out_dir = Path(examples_dir), Path(out_dir)
    missing = [str(examples_dir / name) for name in (TRAIN_JSONL, DEV_JSONL) if not (examples_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"no examples: {', '.join(missing)} missing (run the examples step first: "
                                "python -m models.examples)")
    nlp = blank_nlp()
    stats: dict[str, Any] = {}
    for split, source, target in (("train", TRAIN_JSONL, TRAIN_SPACY), ("dev", DEV_JSONL, DEV_SPACY)):
        converted = write_docbin(read_jsonl(examples_dir / source).examples, out_dir / target, nlp)
        stats[split] = {k: v for k, v in asdict(converted).items() if k != "misaligned_samples"}
    examples_stats = examples_dir / STATS_JSON
    if examples_stats.is_file():
        stats["examples"] = json.loads(examples_stats.read_text(encoding="utf-8"))
    (out_dir / STATS_JSON).write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return stats


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models.convert",
                                     description="Convert the examples to spaCy DocBin files "
                                                 "(step 2 of models/project.yml).")
    parser.add_argument("--examples", type=Path, default=EXAMPLES_DIR,
                        help="folder of train.jsonl and dev.jsonl (default models/build/examples)")
    parser.add_argument("--out", type=Path, default=CORPUS_DIR,
                        help="folder for train.spacy, dev.spacy, stats.json (default models/build/corpus)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = start_step(parser, argv)
    with step_errors(parser, OSError, ValueError):
        convert(args.examples, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
