"""What a reviewer sees and what comes back: Label Studio's labeling config,
a form's uncertain fields as one task with predictions, and an annotation
turned back into field changes.  Pure functions: no server, no store.

One task per form.  Each uncertain *cell* is one item of the task, repeated
by the config's `<Repeater>`: the Chinese label as printed on the form (with
the row's 三级指标), the crop of the page with the cell outlined, the text
read, the model's NER spans over a deviation text, a prefilled text field to
correct, and a decision (accepted / corrected / unreadable).

A cell's item covers the leaves parsed out of it: correcting 年度指标值
re-derives target_op, target_value and target_unit.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping

from extract.layout.flat_format import DEVIATION_CAUSE, IMPROVEMENT
from extract.layout.labels import FIELD_NAMES_ZH, FUNDING_ROW_LABELS
from extract.model import FieldPath, get_field, set_field
from extract.parse.assembly import cell_values
from extract.parse.values import clean_cell_text
from extract.store import StoredField
from review.reasons import review_reasons
from review.store import FieldChange

DECISIONS = {"accepted": "无误", "corrected": "已更正", "unreadable": "无法辨认"}
NER_LABELS = {DEVIATION_CAUSE: FIELD_NAMES_ZH["deviation_cause"], IMPROVEMENT: FIELD_NAMES_ZH["improvement"]}
# Cells whose parsed leaves are reviewed with them (correcting 年度指标值
# re-derives its op, value and unit); a deviation's cause and improvement
# are reviewed as items of their own, over the whole cell's text.
_MEASURE_CELLS = ("target", "actual")


def label_config() -> str:
    """The labeling config of every review project (names checked by
    `check_prediction` below: the server accepts any from_name silently)."""
    decisions = "".join(f'<Choice value="{label}" alias="{key}"/>' for key, label in DECISIONS.items())
    ner = "".join(f'<Label value="{label}" alias="{key}"/>' for key, label in NER_LABELS.items())
    return (
        '<View>'
        '<Header value="$title" size="4"/>'
        '<Repeater on="$fields" indexFlag="{{idx}}">'
        '<View style="border-top: 2px solid #ddd; margin-top: 12px; padding-top: 8px">'
        '<Header value="$fields[{{idx}}].label" size="5"/>'
        '<Header value="$fields[{{idx}}].why" size="6"/>'
        '<Image name="image_{{idx}}" value="$fields[{{idx}}].image" zoomControl="true"/>'
        '<Text name="read_{{idx}}" value="$fields[{{idx}}].read"/>'
        f'<Labels name="ner_{{{{idx}}}}" toName="read_{{{{idx}}}}" showInline="true">{ner}</Labels>'
        '<TextArea name="value_{{idx}}" toName="read_{{idx}}" editable="true" maxSubmissions="1" rows="2"'
        ' placeholder="正确的值（空白表示无）"/>'
        f'<Choices name="decision_{{{{idx}}}}" toName="read_{{{{idx}}}}" choice="single-radio" showInline="true"'
        f' required="true">{decisions}</Choices>'
        '</View>'
        '</Repeater>'
        '</View>'
    )


@dataclass(frozen=True)
class ReviewItem:
    """One uncertain cell of a form, as the reviewer sees it."""

    path: str                 # the cell's field path (indicators[2].target)
    leaves: tuple[str, ...]   # the pending field paths it covers
    label: str                # as printed on the form, with the row's 三级指标
    text: str                 # the value read, as the reviewer edits it
    read: str                 # the text shown above the field (a deviation cell: the whole cell)
    page: int | None
    bbox: tuple[float, float, float, float] | None
    # Further pieces of a cell a page break cut: (page, bbox), shown below the first.
    continued: tuple[tuple[int, tuple[float, float, float, float] | None], ...] = ()
    reasons: tuple[str, ...] = ()   # why it was sent (review.reasons), in the form's words


def review_items(record: Mapping[str, Any], pending: Iterable[StoredField],
                 findings: Iterable[Mapping[str, Any]] = ()) -> list[ReviewItem]:
    """Group a form's pending fields by the cell they were read from, each
    with the reasons it was sent (the form's `findings` and the fields' own)."""
    findings = list(findings)
    by_cell: dict[FieldPath, list[StoredField]] = {}
    for field in pending:
        if not FieldPath.of(field.path).is_read_from_form:
            continue  # not read from the form: nothing to review
        by_cell.setdefault(cell_of(field.path), []).append(field)
    items = []
    for cell, fields in by_cell.items():
        located = next((f for f in fields if f.page is not None), None)
        text = value_as_text(get_field(record, cell))
        read = text
        if cell.key in ("deviation_cause", "improvement"):
            read = get_field(record, cell.sibling("deviation")) or ""
        items.append(ReviewItem(
            path=cell, leaves=tuple(sorted(_leaves_of(cell))),
            label=field_label(record, cell, next((f.label for f in fields if f.label), None)),
            text=text, read=read or "（空白）",
            page=located.page if located else None,
            bbox=tuple(located.bbox) if located and located.bbox else None,
            continued=tuple((page, tuple(bbox) if bbox else None) for page, bbox in located.continued)
            if located else (),
            reasons=review_reasons({f.path for f in fields} | _leaves_of(cell), fields, findings, record),
        ))
    return items


def cell_of(path: str) -> FieldPath:
    """The item a pending field is reviewed in: a measure's cell for its parsed leaves, else itself."""
    path = FieldPath.of(path)
    return path.cell if path.cell.key in _MEASURE_CELLS else path


def _leaves_of(cell: FieldPath) -> set[FieldPath]:
    return {cell, *cell.parsed} if cell.key in _MEASURE_CELLS else {cell}


def field_label(record: Mapping[str, Any], path: str, printed: str | None = None) -> str:
    """The field's name as the form prints it: 实际完成值（三级指标：图书出版数量）;
    `printed`, the label the reader found on the form (权重, 全年实际值), where known."""
    path = FieldPath.of(path)
    section, row, key = path.parts
    if section == "indicators":
        name = (record["indicators"][row].get("name") if row < len(record["indicators"]) else None) or f"第{row + 1}行"
        return f"{printed or FIELD_NAMES_ZH.get(key, key)}（三级指标：{name}）"
    if section == "funding":
        return f"项目资金·{printed or FUNDING_ROW_LABELS.get(row, (row,))[0] + '·' + FIELD_NAMES_ZH.get(key, key)}"
    return printed or FIELD_NAMES_ZH.get(key, key)


def value_as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def task_title(record: Mapping[str, Any]) -> str:
    year = f"（{record['year']}年度）" if record.get("year") else ""
    return f"{record.get('project_name') or '（项目名称未读出）'}{year} · {record['form_id']}"


def task_data(record: Mapping[str, Any], items: list[ReviewItem], image_urls: list[str | None]) -> dict[str, Any]:
    return {
        "title": task_title(record),
        "form_id": record["form_id"],
        "fields": [
            {"path": item.path, "leaves": list(item.leaves), "label": item.label, "read": item.read,
             "text": item.text, "image": url or "", "why": "送审原因：" + "；".join(item.reasons)}
            for item, url in zip(items, image_urls)
        ],
    }


def prediction(items: list[ReviewItem], ner_spans: Mapping[int, list[tuple[int, int, str]]],
               confidences: Mapping[str, float]) -> dict[str, Any]:
    """Prefilled text fields and NER spans; `score` is the lowest confidence."""
    result: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        result.append({"id": f"value_{index}", "from_name": f"value_{index}", "to_name": f"read_{index}",
                       "type": "textarea", "value": {"text": [item.text]}})
        for number, (start, end, label) in enumerate(ner_spans.get(index, [])):
            if label in NER_LABELS:
                result.append({"id": f"ner_{index}_{number}", "from_name": f"ner_{index}", "to_name": f"read_{index}",
                                "type": "labels", "value": {"start": start, "end": end,
                                                            "text": item.read[start:end],
                                                            "labels": [NER_LABELS[label]]}})
    scores = [confidences[leaf] for item in items for leaf in item.leaves if leaf in confidences]
    return {"result": result, "score": round(min(scores), 4) if scores else None}


def check_prediction(config: str, task: Mapping[str, Any], result: list[dict[str, Any]]) -> list[str]:
    """Problems of a prediction against the config, after the Repeater's
    expansion for this task: names, types and choice/label values."""
    root = ElementTree.fromstring(config)
    repeater = root.find(".//Repeater")
    count = len(task["fields"])
    tags: dict[str, ElementTree.Element] = {}
    for element in root.iter():
        name = element.get("name")
        if name is None:
            continue
        inside = repeater is not None and any(element is e for e in repeater.iter())
        for index in (range(count) if inside else [None]):
            key = name.replace("{{idx}}", str(index)) if index is not None else name
            tags[key] = element
    kinds = {"TextArea": "textarea", "Labels": "labels", "Choices": "choices"}
    problems = []
    for item in result:
        control = tags.get(item.get("from_name", ""))
        target = tags.get(item.get("to_name", ""))
        if control is None or control.tag not in kinds:
            problems.append(f"from_name {item.get('from_name')!r} is no control of the config")
            continue
        if target is None or control.get("toName").replace("{{idx}}", "") not in item["to_name"]:
            problems.append(f"to_name {item.get('to_name')!r} is not what {item['from_name']} labels")
        if item.get("type") != kinds[control.tag]:
            problems.append(f"{item['from_name']}: type {item.get('type')!r}, the config has {kinds[control.tag]!r}")
        allowed = {child.get("value") for child in control}
        chosen = item.get("value", {}).get("labels") or item.get("value", {}).get("choices") or []
        problems += [f"{item['from_name']}: {value!r} is not one of {sorted(allowed)}"
                     for value in chosen if value not in allowed]
    return problems


class CorrectionError(ValueError):
    """A reviewer's value that does not fit its field (a number field that
    does not read as a number)."""


@dataclass(frozen=True)
class ItemAnswer:
    decision: str          # a key of DECISIONS
    text: str | None       # the text field as submitted


def read_annotation(result: list[dict[str, Any]], count: int) -> dict[int, ItemAnswer]:
    """The reviewer's decision and text per item index of a task's annotation."""
    decisions: dict[int, str] = {}
    texts: dict[int, str] = {}
    aliases = {label: key for key, label in DECISIONS.items()}
    for entry in result:
        name = entry.get("from_name", "")
        kind, _, index_text = name.rpartition("_")
        if not index_text.isdigit() or int(index_text) >= count:
            continue
        value = entry.get("value", {})
        if kind == "decision" and value.get("choices"):
            choice = value["choices"][0]
            decisions[int(index_text)] = aliases.get(choice, choice)
        elif kind == "value" and value.get("text") is not None:
            texts[int(index_text)] = "\n".join(value["text"])
    return {index: ItemAnswer(decisions.get(index, "corrected" if index in texts else "accepted"), texts.get(index))
            for index in set(decisions) | set(texts)}


def apply_answer(record: dict[str, Any], item: Mapping[str, Any], answer: ItemAnswer) -> list[FieldChange]:
    """Apply one item's answer to the record; a change per leaf it covers.

    The text the reviewer left wins over "accepted" when it differs from the
    prefilled one; "unreadable" empties the cell.
    """
    cell, leaves, prefilled = item["path"], list(item["leaves"]), item.get("text", "")
    decision = answer.decision if answer.decision in DECISIONS else "corrected"
    text = answer.text if answer.text is not None else prefilled
    if decision == "accepted" and clean_cell_text(text) != clean_cell_text(prefilled):
        decision = "corrected"
    old = {leaf: get_field(record, leaf) for leaf in leaves}
    if decision == "corrected":
        new = _parsed(cell, text)
    elif decision == "unreadable":
        new = {leaf: None for leaf in old}
    else:
        new = dict(old)
    for leaf in leaves:
        if leaf in new:
            set_field(record, leaf, new[leaf])
    return [FieldChange(leaf, old[leaf], new.get(leaf, old[leaf]), decision) for leaf in leaves]


def _parsed(cell: str, text: str) -> dict[str, Any]:
    """A corrected cell's value, and the leaves parsed out of it, as ingest reads a printed cell."""
    cell = FieldPath.of(cell)
    cleaned = clean_cell_text(text) or None
    try:
        values = cell_values(cell, cleaned)
    except ValueError:
        raise CorrectionError(f"{cell}: {text!r} is not a number") from None
    if cell.is_number and cleaned is not None and values[cell] is None:
        raise CorrectionError(f"{cell}: {text!r} is not a number")   # a dash is no correction of a number
    return values
