"""Why a field was sent to review, said to the reviewer in the form's words.

Each reason names what sent the field: a rule of the form's arithmetic it
breaks, with the values it was checked with, what they give and what the
form prints (`执行率 = 全年执行数 / 全年预算数：631.04 / 657.30 → 96.00，表上为 93.26`);
the reader's doubt about the table's structure; a low OCR score; the
model's different reading; a number derived rather than read; a page that
could not be read, a template no family describes.  Pure: the store gives the findings and fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, Mapping

from extract.checks.confidence import DERIVED, DISPUTED, OCR_METHOD_PREFIX
from extract.checks.routing import DEFAULT_REVIEW_THRESHOLD
from extract.checks.validate import (
    EXECUTION_RATE, FUNDING_SCORE, GRADE, LAYOUT_IN_DOUBT, PAGE_UNREADABLE, SCORE_ABOVE_WEIGHT,
    SCORE_WITHOUT_DEVIATION, TOTAL_SCORE, TOTAL_WEIGHT,
)
from extract.layout.labels import FUNDING_ROW_LABELS
from extract.model import FieldPath, get_field
from extract.parse.assembly import TEMPLATE_UNKNOWN, UNREADABLE_NUMBER
from extract.store import StoredField


def _shown(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, (Decimal, float, int)) and not isinstance(value, bool):
        return format(Decimal(str(value)), "f")
    return str(value)


def _row_label(path: FieldPath) -> str:
    section, row, _ = path.parts
    if section == "funding":
        return FUNDING_ROW_LABELS.get(row, (row,))[0]
    if section == "indicators":
        return f"第{row + 1}项指标"
    return ""


def finding_reason(finding: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    """One finding as the reviewer reads it."""
    rule, expected, found = finding.get("rule"), finding.get("expected"), finding.get("found")
    fields = [FieldPath.of(path) for path in finding.get("fields") or []]
    first = fields[0] if fields else None
    value = (lambda key: get_field(record, first.sibling(key))) if first is not None else (lambda key: None)
    printed = f"，表上为 {_shown(found)}"
    if rule == EXECUTION_RATE and first is not None:
        return (f"{_row_label(first)}：执行率 = 全年执行数 / 全年预算数：{_shown(value('executed'))} / "
                f"{_shown(value('annual_budget'))} → {_shown(expected)}{printed}")
    if rule == FUNDING_SCORE and first is not None:
        return (f"{_row_label(first)}：得分 = 分值 × 执行率：{_shown(value('weight'))} × "
                f"{_shown(value('execution_rate'))}% → {_shown(expected)}{printed}")
    if rule == SCORE_ABOVE_WEIGHT and first is not None:
        return f"{_row_label(first)}：得分 {_shown(found)} 高于分值 {_shown(expected)}"
    if rule == SCORE_WITHOUT_DEVIATION:
        return f"{_row_label(first) if first else ''}：得分低于分值，但未写偏差原因"
    if rule in (TOTAL_SCORE, TOTAL_WEIGHT):
        part = "得分" if rule == TOTAL_SCORE else "分值"
        return f"总分{part} = 项目资金{part} + 各项指标{part}之和 → {_shown(expected)}{printed}"
    if rule == GRADE:
        return f"评分等级：总分 {_shown(record.get('total_score'))} 应为 {_shown(expected)}{printed}"
    if rule == PAGE_UNREADABLE:
        return f"第 {_shown(found)} 页无法读取，此表可能不全"
    if rule == UNREADABLE_NUMBER:
        return f"此栏应为数字，读出的是 {_shown(found)}"
    if rule == TEMPLATE_UNKNOWN:
        return f"表式未识别：标题“{_shown(found)}”不属于已知的任何地区表式，各栏按表头读出，请逐项核对"
    if rule == LAYOUT_IN_DOUBT:
        return f"表格结构存疑（行或栏的归属靠推断）：{finding.get('message') or ''}"
    return str(finding.get("message") or rule)


def field_reasons(field: StoredField) -> list[str]:
    """What the field's own reading and checks say."""
    reasons = []
    if DERIVED in field.doubts:
        reasons.append("此数由算式推出，不是从表上读出的")
    if DISPUTED in field.doubts:
        reasons.append("模型对此栏的读法与版面不同")
    if field.method and OCR_METHOD_PREFIX in field.method and field.confidence is not None \
            and field.confidence < DEFAULT_REVIEW_THRESHOLD and DISPUTED not in field.doubts:
        reasons.append(f"识别（OCR）置信度低：{field.confidence:.2f}")
    if field.page is None and field.value is None:
        reasons.append("表上未找到此栏")
    return reasons


def review_reasons(leaves: Iterable[str], fields: Iterable[StoredField], findings: Iterable[Mapping[str, Any]],
                   record: Mapping[str, Any]) -> tuple[str, ...]:
    """Why the cell whose `leaves` these are was sent: each reason once, the
    findings naming any leaf first, then the fields' own."""
    leaves = set(leaves)
    reasons = [finding_reason(f, record) for f in findings if leaves & set(f.get("fields") or [])]
    for field in fields:
        if field.path in leaves:
            reasons += field_reasons(field)
    return tuple(dict.fromkeys(reasons)) or ("置信度低于送审阈值",)

