"""Why a field was sent to review, as the reviewer reads it (review.reasons)."""

from decimal import Decimal

from extract.checks.validate import validate
from extract.model import empty_record
from extract.store import StoredField
from review.reasons import review_reasons
from review.tasks import review_items, task_data


def _record():
    record = empty_record()
    record.update(form_id="abc-1", project_name="图书出版", year=2023)
    record["funding"]["total"].update(annual_budget=Decimal("657.30"), executed=Decimal("631.04"),
                                      weight=Decimal("10"), execution_rate=Decimal("93.26"), score=Decimal("9.32"))
    return record


def _field(path, method="pdf-text", confidence=0.4, doubts=(), page=1, value=Decimal("1")):
    return StoredField("abc-1", path, value, value, page, [10, 20, 60, 30] if page else None, method, confidence,
                       "pending", None, None, (), tuple(doubts))


def _findings(record):
    return [{"rule": f.rule, "fields": [str(p) for p in f.fields], "expected": f.expected, "found": f.found,
             "message": f.message} for f in validate(record)]


def test_a_broken_rule_says_the_formula_the_values_what_they_give_and_what_is_printed():
    record = _record()
    reasons = review_reasons(["funding.total.execution_rate"], [_field("funding.total.execution_rate")],
                             _findings(record), record)
    assert "年度资金总额：执行率 = 全年执行数 / 全年预算数：631.04 / 657.30 → 96.00，表上为 93.26" in reasons


def test_the_fields_own_doubts_are_said_and_a_field_nothing_names_gets_the_threshold():
    record = empty_record()
    ocr = _field("project_name", method="ocr:rapidocr", confidence=0.81)
    assert review_reasons(["project_name"], [ocr], [], record) == ("识别（OCR）置信度低：0.81",)
    disputed = _field("project_name", confidence=0.6, doubts=("disputed",))
    assert review_reasons(["project_name"], [disputed], [], record) == ("模型对此栏的读法与版面不同",)
    derived = _field("total_score", doubts=("derived",))
    assert review_reasons(["total_score"], [derived], [], record) == ("此数由算式推出，不是从表上读出的",)
    assert review_reasons(["grade"], [_field("grade")], [], record) == ("置信度低于送审阈值",)
    lost = _field("grade", page=None, value=None)
    assert review_reasons(["grade"], [lost], [], record) == ("表上未找到此栏",)


def test_a_task_shows_each_items_reasons():
    record = _record()
    items = review_items(record, [_field("funding.total.execution_rate"), _field("project_name", "ocr:rapidocr", 0.5)],
                         _findings(record))
    data = task_data(record, items, [None, None])
    why = {f["path"]: f["why"] for f in data["fields"]}
    assert why["funding.total.execution_rate"].startswith("送审原因：年度资金总额：执行率")
    assert why["project_name"] == "送审原因：识别（OCR）置信度低：0.50"
