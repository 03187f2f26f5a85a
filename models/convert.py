"""Examples → spaCy `DocBin` files (models/build/train.spacy, dev.spacy).

Spans are placed with ``doc.char_span(start, end, label,
alignment_mode="strict")``: a span whose edges do not fall on token
boundaries is left out and reported in a warning (count and the first few),
as spaCy's project templates do.  With the character segmenter nearly every
span aligns; one that starts or ends on white space does not.  Overlapping
spans keep the longest (`spacy.util.filter_spans`), also with a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import spacy
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.util import filter_spans

from models.examples import Example

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent
CONFIG_PATH = MODELS_DIR / "config.cfg"
BUILD_DIR = MODELS_DIR / "build"
_SHOWN = 5


@dataclass
class ConvertStats:
    docs: int = 0
    spans: int = 0
    misaligned: int = 0
    overlapping: int = 0
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
        spans = []
        for start, end, label in entities:
            span = doc.char_span(start, end, label=label, alignment_mode="strict")
            if span is None:
                stats.misaligned += 1
                if len(stats.misaligned_samples) < _SHOWN:
                    stats.misaligned_samples.append(f"{label} [{start}:{end}] {text[start:end]!r} in {text[:60]!r}")
                continue
            spans.append(span)
        kept = filter_spans(spans)
        stats.overlapping += len(spans) - len(kept)
        doc.ents = kept
        stats.spans += len(kept)
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
