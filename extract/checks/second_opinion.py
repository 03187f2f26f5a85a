"""The trained model's second opinion on what the layout parser read.

Two checks, both confidence only (values stay as the parser read them,
except the deviation split below):

- **Every form.**  `review_forms` writes each form back out as the flat text
  the model was trained on (`corpus.flat`: cell after cell, row by row,
  values wrapped to the columns of the rendered forms, merged labels in
  narrow pieces; the funding table, which the model does not tag, left
  out), knowing where each field's value sits in it, and tags the texts of
  all forms of a file in one batch (`nlp.pipe`).  A field is
  disputed where the model reads it differently: a span with another label
  covers part of it, or the model's span of its label starts or ends
  elsewhere (it cuts part of the value off, or runs into the next cell).
  Where the model tags nothing on a field it abstains: no dispute.
- **Deviation cells.**  They are split by rule where a label marks the parts
  (`改进措施：`) and by the model where none does.  Where rule and model
  split a cell differently, both parts are disputed.

A disputed field gets the doubt `DISPUTED`: its confidence drops
(`extract.checks.confidence`), so a reviewer sees it.  `second_opinion` is
the check stage.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
import logging
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from extract.checks.compare import fields_equal
from extract.parse.deviation import split_deviation
from extract.layout.labels import (
    FORM_TITLE, GOAL_BLOCK_LABELS, GOAL_COLUMN_LABELS, GRADE_LABELS, HEAD_LABELS, INDICATOR_COLUMN_LABELS,
    MEASURE_OPERATOR_SYMBOLS, TOTAL_LABELS,
)
from extract.checks.confidence import DISPUTED, NER_METHOD, read_from_text_layer
from extract.layout.flat_format import (
    COLUMN_EM, DEVIATION_LABELS, INDICATOR_FIELD_LABELS, RECORD_FIELD_LABELS, FieldRange, FlatCell, FlatTextWriter,
    wrap,
)
from extract.model import FieldPath, FormResult
from extract.parse.tagger import FieldTagger, Span, model_splits, split_deviation_with_model

log = logging.getLogger("selfeval.checks")

# The model's labels of each field it can give an opinion on (a deviation
# cell holds two: its cause and its improvement).
RECORD_LABELS = {key: (label,) for key, label in RECORD_FIELD_LABELS.items()}
INDICATOR_LABELS = {key: (label,) for key, label in INDICATOR_FIELD_LABELS.items()
                    if key not in ("deviation_cause", "improvement")}
INDICATOR_LABELS["deviation"] = DEVIATION_LABELS
# Characters that say nothing about where a value starts or ends.
_ONE_GLYPH_PER_OPERATOR = str.maketrans({symbol: op for symbol, op in MEASURE_OPERATOR_SYMBOLS.items()
                                         if len(symbol) == 1 and op in "≥≤"})
_NEUTRAL = frozenset("。；;，,、：:！!？?" + " \t\r\n\u3000")
# A row's number before its name (指标1：…, as Hebei and Shanxi print them and
# the record keeps): the model, trained on names without one, reads `1：` as
# a figure; it is shown the name without it (the number is no name's words).
_NUMBERING = re.compile(r"^\s*指标\s*\d{1,2}\s*[:：]\s*(?=\S)")
# A target split over 指标性质 / 指标值 / 度量单位 and joined as printed starts
# with its nature (定性当年完成): no words of the target the model knows, it
# reads them as the end of the name; it is shown the target without them.
_TARGET_NATURE = re.compile(r"^\s*定[性量](?=\S)")


def _lines(value: Any, width: float) -> list[str]:
    """A value wrapped to a column `width` em wide, as the training forms print it."""
    return wrap(model_text(value), width)


def model_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value.as_tuple().exponent > -2:           # forms print two decimals: 10.00
            value = value.quantize(Decimal("0.01"))
        return f"{value:f}"
    # The model reads the forms' text as the contract compares it: full-width
    # （） and half-width () alike, and one glyph per operator (⩾ ≧ are ≥).
    return unicodedata.normalize("NFKC", str(value)).translate(_ONE_GLYPH_PER_OPERATOR).strip()


def _value(value: Any, width: float, paths: Sequence[FieldPath], labels: Sequence[str]) -> FlatCell:
    return FlatCell(_lines(value, width), tuple(paths), tuple(labels))


def _label(text: str, width: float = COLUMN_EM["label"]) -> FlatCell:
    return FlatCell(_lines(text, width))


def form_text(record: dict[str, Any]) -> FlatTextWriter:
    """The flat text of a parsed form as the training forms print it: title,
    head, goals, then per indicator row its merged 一级/二级 labels (where they
    change, in narrow pieces), name, target, actual, 分值, 得分 and deviation,
    then 总分 and the grade.  The funding table is left out: the model tags
    nothing in it."""
    out = FlatTextWriter()
    out.row([FlatCell([FORM_TITLE])])
    if record.get("year"):
        out.row([FlatCell([f"（{record['year']}年度）"])])
    head = {key: _value(record.get(key), COLUMN_EM[key], (FieldPath.top(key),), RECORD_LABELS[key]) for key in HEAD_LABELS}
    out.row([_label(HEAD_LABELS["project_name"][0]), head["project_name"]])
    out.row([_label(HEAD_LABELS["department"][0]), head["department"],
             _label(HEAD_LABELS["implementing_unit"][0]), head["implementing_unit"]])
    out.row([_label(GOAL_BLOCK_LABELS[0]), _label(GOAL_COLUMN_LABELS["goal_expected"][0], COLUMN_EM["goal"]),
             _label(GOAL_COLUMN_LABELS["goal_actual"][0], COLUMN_EM["goal"])])
    out.row([_value(record.get(key), COLUMN_EM["goal"], (FieldPath.top(key),), RECORD_LABELS[key])
             for key in ("goal_expected", "goal_actual")])
    header = [_label(labels[0], COLUMN_EM["level"]) for labels in list(INDICATOR_COLUMN_LABELS.values())[:2]]
    out.row(header)
    out.row([_label(labels[0], 20.0) for labels in list(INDICATOR_COLUMN_LABELS.values())[2:]])
    indicators = record.get("indicators") or []
    groups = {level: _level_groups(indicators, level) for level in ("level1", "level2")}
    widths = {"name": COLUMN_EM["name"], "target": COLUMN_EM["measure"], "actual": COLUMN_EM["measure"],
              "weight": COLUMN_EM["number"], "score": COLUMN_EM["number"], "deviation": COLUMN_EM["deviation"]}
    for index, indicator in enumerate(indicators):
        if isinstance(indicator.get("name"), str):
            indicator = {**indicator, "name": _NUMBERING.sub("", indicator["name"], count=1)}
        if isinstance(indicator.get("target"), str):
            indicator = {**indicator, "target": _TARGET_NATURE.sub("", indicator["target"], count=1)}
        for level in ("level1", "level2"):
            members = groups[level].get(index)
            if members is not None:
                out.row([_value(indicator.get(level), COLUMN_EM["level"], [FieldPath.indicator(i, level) for i in members],
                                INDICATOR_LABELS[level])])
        out.row([_value(indicator.get(key), width, (FieldPath.indicator(index, key),), INDICATOR_LABELS[key])
                 for key, width in widths.items()])
    out.row([_label(TOTAL_LABELS[0]),
             _value(record.get("total_weight"), COLUMN_EM["number"], (FieldPath.top("total_weight"),),
                    RECORD_LABELS["total_weight"]),
             _value(record.get("total_score"), COLUMN_EM["number"], (FieldPath.top("total_score"),),
                    RECORD_LABELS["total_score"])])
    out.row([_label(GRADE_LABELS[0]), _value(record.get("grade"), COLUMN_EM["project_name"], (FieldPath.top("grade"),),
                                             RECORD_LABELS["grade"])])
    return out


def _level_groups(indicators: list[dict[str, Any]], level: str) -> dict[int, list[int]]:
    """First indicator of each run sharing a merged 一级/二级 label → the run."""
    groups: dict[int, list[int]] = {}
    first = None
    previous: tuple[Any, Any] | None = None
    for index, indicator in enumerate(indicators):
        key = (indicator.get("level1"), indicator.get("level2") if level == "level2" else None)
        if key != previous or first is None:
            first = index
            groups[first] = []
        groups[first].append(index)
        previous = key
    return groups


def _has_content(text: str) -> bool:
    return any(ch not in _NEUTRAL for ch in text)


def disagrees(text: str, place: FieldRange, spans: Iterable[Span]) -> bool:
    """Whether the model's spans read the field at `place` differently."""
    start, end = place.start, place.end
    over = [s for s in spans if s.start < end and s.end > start
            and _has_content(text[max(s.start, start):min(s.end, end)])]
    if not over:
        return False                      # the model says nothing here
    if any(s.label not in place.labels for s in over):
        return True
    first, last = min(s.start for s in over), max(s.end for s in over)
    spills = _has_content(text[first:start]) or _has_content(text[end:last])
    leaves_out = _has_content(text[start:first]) or _has_content(text[last:end])
    return spills or leaves_out


def disputed_paths(form_text: FlatTextWriter, spans: Sequence[Span]) -> set[str]:
    """Paths (with the leaves derived from them) where model and layout disagree."""
    disputed: set[FieldPath] = set()
    for place in form_text.fields:
        if disagrees(form_text.text, place, spans):
            for path in place.paths:
                disputed.add(path)
                disputed.update(path.parsed)   # what is parsed out of a disputed cell is disputed with it
    return disputed


def tag_texts(tagger: Any, texts: list[str]) -> list[list[Span]]:
    """One batch through the model (`nlp.pipe`), or `tag` per text for a
    tagger that has no batch call."""
    if hasattr(tagger, "tag_many"):
        return tagger.tag_many(texts)
    return [tagger.tag(text) for text in texts]


def review_forms(forms: Sequence[FormResult], tagger: Any | None) -> list[set[str]]:
    """The model's opinion on every field of every form: the disputed paths
    per form.  One text per form, all tagged in one batch (`nlp.pipe`)."""
    if tagger is None or not forms:
        return [set() for _ in forms]
    texts = [form_text(form.record) for form in forms]
    spans = tag_texts(tagger, [t.text for t in texts])
    return [disputed_paths(text, form_spans) for text, form_spans in zip(texts, spans)]


def review_deviations(form: FormResult, tagger: FieldTagger | None) -> set[FieldPath]:
    """Split every deviation cell with the model; returns the disputed paths."""
    disputed: set[FieldPath] = set()
    if tagger is None:
        return disputed
    for index, indicator in enumerate(form.record.get("indicators") or []):
        text = indicator.get("deviation")
        if not text:
            continue
        by_rule = split_deviation(text)
        by_model = split_deviation_with_model(text, tagger)
        indicator["deviation_cause"], indicator["improvement"] = by_model
        if all(fields_equal(r, m) for r, m in zip(by_rule, by_model)):
            continue
        cell = form.provenance(FieldPath.indicator(index, "deviation"))
        log.debug("indicators[%d]: the model splits the deviation otherwise than the rules", index)
        for key in ("deviation_cause", "improvement"):
            path = FieldPath.indicator(index, key)
            disputed.add(path)
            if cell is not None:
                form.state(path).provenance = replace(cell, method=NER_METHOD)
    return disputed


def second_opinion(forms: list[FormResult], context: "CheckContext") -> None:
    """The check stage: the model's opinion on every field of the file's
    forms (one batch), and its split of every deviation cell; what it
    disputes gets the doubt DISPUTED."""
    if context.tagger is None:
        return
    # The model's reading of a whole form lowers no field a text layer gave
    # (ConfidencePolicy.disputed_text_layer 1.0), it is only shown to a
    # reviewer: a form read wholly from a text layer with no finding, which
    # nobody opens, is not tagged whole (a third of a text PDF's time).
    tagged = [form for form in forms
              if context.policy.disputed_text_layer < 1.0 or form.findings or not _from_text_layer_only(form)]
    disputes = {id(form): disputed for form, disputed in zip(tagged, review_forms(tagged, context.tagger))}
    if isinstance(context.tagger, FieldTagger):  # every deviation cell of the file in one batch
        deviations = (indicator.get("deviation") for form in forms for indicator in form.record.get("indicators") or [])
        context.tagger.prefetch(text for text in deviations if text and model_splits(text))
    for form in forms:
        for path in disputes.get(id(form), set()) | review_deviations(form, context.tagger):
            form.state(path).doubts.add(DISPUTED)


def _from_text_layer_only(form: FormResult) -> bool:
    """Whether every cell of the form was read from a text layer (no OCR)."""
    read = [state.provenance for state in form.fields.values() if state.provenance is not None]
    return bool(read) and all(read_from_text_layer(provenance) for provenance in read)


if TYPE_CHECKING:
    from extract.checks import CheckContext
