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

A disputed field's confidence drops (`extract.checks.confidence.DISPUTED_FACTOR`),
so a reviewer sees it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from extract.checks.compare import fields_equal
from extract.parse.deviation import split_deviation
from extract.layout.labels import (
    FORM_TITLE, GOAL_BLOCK_LABELS, GOAL_COLUMN_LABELS, GRADE_LABELS, HEAD_LABELS, INDICATOR_COLUMN_LABELS,
    TOTAL_LABELS,
)
from extract.model import ParsedForm, Provenance
from extract.parse.tagger import FieldTagger, Span, split_deviation_with_model

# The model's label for each field it can give an opinion on.
RECORD_LABELS = {
    "project_name": ("PROJECT_NAME",),
    "department": ("DEPARTMENT",),
    "implementing_unit": ("IMPLEMENTING_UNIT",),
    "goal_expected": ("GOAL_EXPECTED",),
    "goal_actual": ("GOAL_ACTUAL",),
    "total_weight": ("TOTAL_WEIGHT",),
    "total_score": ("TOTAL_SCORE",),
    "grade": ("GRADE",),
}
INDICATOR_LABELS = {
    "level1": ("LEVEL1",),
    "level2": ("LEVEL2",),
    "name": ("INDICATOR_NAME",),
    "target": ("TARGET",),
    "actual": ("ACTUAL",),
    "weight": ("WEIGHT",),
    "score": ("SCORE",),
    "deviation": ("DEVIATION_CAUSE", "IMPROVEMENT"),
}
# Leaves read out of a disputed cell are disputed with it.
DERIVED_LEAVES = {
    "target": ("target_op", "target_value", "target_unit"),
    "actual": ("actual_value", "actual_unit"),
    "deviation": ("deviation_cause", "improvement"),
}
# Characters that say nothing about where a value starts or ends.
_NEUTRAL = frozenset("。；;，,、：:！!？?" + " \t\r\n\u3000")
CELL_BREAK = "\n\n"


@dataclass(frozen=True)
class FieldRange:
    """Where a field's value (or a merged 一级/二级 label shared by several
    indicators) sits in a form's flat text."""

    paths: tuple[str, ...]
    start: int
    end: int
    labels: tuple[str, ...]


# Cell widths in em (9 pt text, 3 pt padding each side) of the forms the
# model was trained on (`corpus/render.py`): a value is wrapped to its
# column's width, as a form prints it, so that the model reads a text like
# the ones it learned from.
WIDTH_LEVEL = 2.8
WIDTH_NAME = 10.5
WIDTH_MEASURE = 8.2
WIDTH_NUMBER = 4.0
WIDTH_DEVIATION = 11.1
WIDTH_GOAL = 24.4
WIDTH_HEAD = {"project_name": 39.3, "department": 19.3, "implementing_unit": 12.7}
WIDTH_LABEL = 6.4


@dataclass
class _Cell:
    """A cell of one printed row: its wrapped lines, and the field it holds."""

    lines: list[str]
    paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass
class FormText:
    """A form written out as flat text, with the ranges of its fields."""

    text: str = ""
    fields: list[FieldRange] = field(default_factory=list)

    def row(self, cells: Sequence[_Cell]) -> None:
        """Print one table row as `corpus.flat` reads a rendered one: cell
        after cell, each line after a blank line, or after a space where it
        sits at the height of the line printed before it (every cell is
        centred vertically in the row)."""
        cells = [c for c in cells if c.lines]
        height = max((len(c.lines) for c in cells), default=0)
        previous_y: float | None = None
        for cell in cells:
            first = (height - len(cell.lines)) / 2
            start = None
            for i, line in enumerate(cell.lines):
                y = first + i
                if self.text:
                    self.text += " " if previous_y is not None and y == previous_y else CELL_BREAK
                if start is None:
                    start = len(self.text)
                self.text += line
                previous_y = y
            if cell.paths and cell.labels and start is not None:
                self.fields.append(FieldRange(cell.paths, start, len(self.text), cell.labels))


def _lines(value: Any, width: float) -> list[str]:
    """A value wrapped to a column `width` em wide (CJK characters 1 em, others ½)."""
    text = _printed(value)
    lines: list[str] = []
    line, used = "", 0.0
    for char in text:
        w = 0.0 if char.isspace() else (1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5)
        if line and used + w > width:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += w
    if line.strip():
        lines.append(line)
    return [l.strip() for l in lines if l.strip()]


def _printed(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value.as_tuple().exponent > -2:           # forms print two decimals: 10.00
            value = value.quantize(Decimal("0.01"))
        return f"{value:f}"
    return str(value).strip()


def _value(value: Any, width: float, paths: Sequence[str], labels: Sequence[str]) -> _Cell:
    return _Cell(_lines(value, width), tuple(paths), tuple(labels))


def _label(text: str, width: float = WIDTH_LABEL) -> _Cell:
    return _Cell(_lines(text, width))


def form_text(record: dict[str, Any]) -> FormText:
    """The flat text of a parsed form as the training forms print it: title,
    head, goals, then per indicator row its merged 一级/二级 labels (where they
    change, in narrow pieces), name, target, actual, 分值, 得分 and deviation,
    then 总分 and the grade.  The funding table is left out: the model tags
    nothing in it."""
    out = FormText()
    out.row([_Cell([FORM_TITLE])])
    if record.get("year"):
        out.row([_Cell([f"（{record['year']}年度）"])])
    head = {key: _value(record.get(key), WIDTH_HEAD[key], (key,), RECORD_LABELS[key]) for key in HEAD_LABELS}
    out.row([_label(HEAD_LABELS["project_name"][0]), head["project_name"]])
    out.row([_label(HEAD_LABELS["department"][0]), head["department"],
             _label(HEAD_LABELS["implementing_unit"][0]), head["implementing_unit"]])
    out.row([_label(GOAL_BLOCK_LABELS[0]), _label(GOAL_COLUMN_LABELS["goal_expected"][0], WIDTH_GOAL),
             _label(GOAL_COLUMN_LABELS["goal_actual"][0], WIDTH_GOAL)])
    out.row([_value(record.get(key), WIDTH_GOAL, (key,), RECORD_LABELS[key]) for key in ("goal_expected", "goal_actual")])
    header = [_label(labels[0], WIDTH_LEVEL) for labels in list(INDICATOR_COLUMN_LABELS.values())[:2]]
    out.row(header)
    out.row([_label(labels[0], 20.0) for labels in list(INDICATOR_COLUMN_LABELS.values())[2:]])
    indicators = record.get("indicators") or []
    groups = {level: _level_groups(indicators, level) for level in ("level1", "level2")}
    widths = {"name": WIDTH_NAME, "target": WIDTH_MEASURE, "actual": WIDTH_MEASURE,
              "weight": WIDTH_NUMBER, "score": WIDTH_NUMBER, "deviation": WIDTH_DEVIATION}
    for index, indicator in enumerate(indicators):
        for level in ("level1", "level2"):
            members = groups[level].get(index)
            if members is not None:
                out.row([_value(indicator.get(level), WIDTH_LEVEL, [f"indicators[{i}].{level}" for i in members],
                                INDICATOR_LABELS[level])])
        out.row([_value(indicator.get(key), width, (f"indicators[{index}].{key}",), INDICATOR_LABELS[key])
                 for key, width in widths.items()])
    out.row([_label(TOTAL_LABELS[0]),
             _value(record.get("total_weight"), WIDTH_NUMBER, ("total_weight",), RECORD_LABELS["total_weight"]),
             _value(record.get("total_score"), WIDTH_NUMBER, ("total_score",), RECORD_LABELS["total_score"])])
    out.row([_label(GRADE_LABELS[0]), _value(record.get("grade"), WIDTH_HEAD["project_name"], ("grade",),
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


def disputed_paths(form_text: FormText, spans: Sequence[Span]) -> set[str]:
    """Paths (with the leaves derived from them) where model and layout disagree."""
    disputed: set[str] = set()
    for place in form_text.fields:
        if disagrees(form_text.text, place, spans):
            for path in place.paths:
                disputed.add(path)
                head, _, leaf = path.rpartition(".")
                disputed.update(f"{head}.{derived}" for derived in DERIVED_LEAVES.get(leaf, ()))
    return disputed


def tag_texts(tagger: Any, texts: list[str]) -> list[list[Span]]:
    """One batch through the model (`nlp.pipe`), or `tag` per text for a
    tagger that has no batch call."""
    if hasattr(tagger, "tag_many"):
        return tagger.tag_many(texts)
    return [tagger.tag(text) for text in texts]


def review_forms(forms: Sequence[ParsedForm], tagger: Any | None) -> list[set[str]]:
    """The model's opinion on every field of every form: the disputed paths
    per form.  One text per form, all tagged in one batch (`nlp.pipe`)."""
    if tagger is None or not forms:
        return [set() for _ in forms]
    texts = [form_text(form.record) for form in forms]
    spans = tag_texts(tagger, [t.text for t in texts])
    return [disputed_paths(text, form_spans) for text, form_spans in zip(texts, spans)]


def review_deviations(form: ParsedForm, tagger: FieldTagger | None) -> set[str]:
    """Split every deviation cell with the model; returns the disputed paths."""
    disputed: set[str] = set()
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
        cell = form.provenance.get(f"indicators[{index}].deviation")
        for key in ("deviation_cause", "improvement"):
            path = f"indicators[{index}].{key}"
            disputed.add(path)
            if cell is not None:
                form.provenance[path] = Provenance(cell.page, cell.bbox, "ner", cell.confidence)
    return disputed
