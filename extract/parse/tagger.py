"""The trained form-field tagger, as the extractor uses it.

`load_tagger()` loads the shipped spaCy pipeline (models/pipeline: blank
Chinese, character segmenter, tok2vec + NER; nothing is downloaded) once per
process; `FieldTagger.tag(text)` gives its spans.  `split_deviation_with_model`
splits a 偏差原因分析及改进措施 cell: the rules of `extract.parse.deviation` where
the cell carries a label (`改进措施：`, `原因：`…), the model where it does
not, the rules again where the model finds nothing.

This module must not import training code (models.train & co).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from extract.parse.deviation import _CAUSE_LABEL, _IMPROVEMENT_LABEL, split_deviation
from extract.layout.flat_format import DEVIATION_CAUSE, IMPROVEMENT
from extract.layout.labels import IMPROVEMENT_LABELS

log = logging.getLogger("selfeval.parse")

DEFAULT_PIPELINE = Path(__file__).resolve().parents[2] / "models" / "pipeline"

_LEADING_IMPROVEMENT_LABEL = re.compile(
    "^(?:" + "|".join(re.escape(label.rstrip("：")) + "[：:]" for label in IMPROVEMENT_LABELS) + ")")
_EDGE_SEPARATORS = "：:；;，,、 \t\r\n"

_cache: dict[Path, "FieldTagger"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Span:
    start: int       # character offsets into the tagged text
    end: int
    label: str
    text: str


class FieldTagger:
    """A loaded pipeline; `tag` is safe to call from one thread at a time."""

    # Texts tagged lately and their spans: a file's deviation cells are
    # tagged in one batch first (`prefetch`), then asked of one by one.
    RECENT = 4096

    def __init__(self, nlp: Any, folder: Path):
        self.nlp = nlp
        self.folder = folder
        self._recent: dict[str, list[Span]] = {}

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.nlp.get_pipe("ner").labels) if "ner" in self.nlp.pipe_names else ()

    def tag(self, text: str) -> list[Span]:
        if not text:
            return []
        spans = self._recent.get(text)
        if spans is None:
            spans = self._remember(text, self._spans(self.nlp(text)))
        return list(spans)

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, label)`` triples: the `Tagger` that
        `extract.parse.flat_reader.parse_flat_text` takes."""
        return [(s.start, s.end, s.label) for s in self.tag(text)]

    def tag_many(self, texts: Iterable[str], batch_size: int = 64) -> list[list[Span]]:
        texts = list(texts)
        self.prefetch(texts, batch_size)
        return [self.tag(text) for text in texts]

    def prefetch(self, texts: Iterable[str], batch_size: int = 64) -> None:
        """Tag the texts not tagged lately in one batch, for `tag` to find."""
        fresh = list(dict.fromkeys(t for t in texts if t and t not in self._recent))
        for text, doc in zip(fresh, self.nlp.pipe(fresh, batch_size=batch_size)):
            self._remember(text, self._spans(doc))

    def _remember(self, text: str, spans: list[Span]) -> list[Span]:
        if len(self._recent) >= self.RECENT:
            self._recent.pop(next(iter(self._recent)))
        self._recent[text] = spans
        return spans

    @staticmethod
    def _spans(doc: Any) -> list[Span]:
        return [Span(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]


def load_tagger(folder: Path | str = DEFAULT_PIPELINE) -> FieldTagger:
    """The pipeline in `folder`, loaded once per process."""
    key = Path(folder).resolve()
    with _lock:
        tagger = _cache.get(key)
        if tagger is None:
            import spacy

            tagger = FieldTagger(spacy.load(key), key)
            _cache[key] = tagger
        return tagger


def optional_tagger(folder: Path | str = DEFAULT_PIPELINE) -> FieldTagger | None:
    """The shipped tagger (also callable as ``tagger(text) -> [(start, end,
    label)]``), or None where no pipeline is shipped: the parsers then work
    by rule alone."""
    try:
        return load_tagger(folder)
    except (OSError, ImportError, ValueError) as exc:
        log.warning("no form-field tagger loaded from %s (%s); flat text parsed by rule only", folder, exc)
        return None


def has_label_marker(text: str) -> bool:
    """Whether the rules see a label (`改进措施：`, `原因：`, …) in the cell."""
    return bool(_IMPROVEMENT_LABEL.search(text) or _CAUSE_LABEL.match(text.strip()))


def _clean(part: str, label: re.Pattern[str]) -> str | None:
    part = label.sub("", part.strip().lstrip(_EDGE_SEPARATORS)).strip()
    return part or None


_PUNCTUATION = set("。；;，,、：:！!？?" + " \t\r\n\u3000")


def _leaves_text_out(text: str, spans: list[Span]) -> bool:
    """Whether anything but punctuation and white space lies outside the spans."""
    covered = [False] * len(text)
    for span in spans:
        covered[span.start:span.end] = [True] * (span.end - span.start)
    return any(not c and ch not in _PUNCTUATION for ch, c in zip(text, covered))


def model_splits(text: str) -> bool:
    """Whether the model is asked to split a deviation cell: it holds text and
    no label the rules split by (`改进措施：`, `原因：`)."""
    return bool(text.strip()) and not has_label_marker(text)


def split_deviation_with_model(text: str | None, tagger: FieldTagger | None) -> tuple[str | None, str | None]:
    """(deviation_cause, improvement) of a deviation cell, per FORM_RECORD.md."""
    if not text or not text.strip():
        return None, None
    if tagger is None or not model_splits(text):
        return split_deviation(text)
    spans = [s for s in tagger.tag(text) if s.label in (DEVIATION_CAUSE, IMPROVEMENT)]
    causes = [s for s in spans if s.label == DEVIATION_CAUSE]
    improvements = [s for s in spans if s.label == IMPROVEMENT]
    if not causes and not improvements:
        return split_deviation(text)
    if _leaves_text_out(text, causes + improvements):
        # Text the model put in neither part would be lost: the rules keep it.
        return split_deviation(text)
    improvement = None
    if improvements:
        start = min(s.start for s in improvements)
        improvement = _clean(text[start:max(s.end for s in improvements)], _LEADING_IMPROVEMENT_LABEL)
    if causes:
        cause_text = text[min(s.start for s in causes):max(s.end for s in causes)]
    else:
        # Only a measure found: the cause is what comes before it.
        cause_text = text[:min(s.start for s in improvements)]
    cause = _clean(cause_text, _CAUSE_LABEL)
    return cause, improvement
