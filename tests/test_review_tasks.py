"""Review tasks without a server: the config, items, predictions and answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extract.model import empty_indicator, empty_record
from extract.store import StoredField
from review.tasks import (
    CorrectionError,
    ItemAnswer,
    apply_answer,
    check_prediction,
    label_config,
    prediction,
    review_items,
    task_data,
)


def _record():
    record = empty_record()
    record.update(form_id="abc-1", project_name="图书出版", year=2023)
    indicator = empty_indicator()
    indicator.update(name="出版数量", target="=350.00(本)", target_op="=", target_value=Decimal("350"),
                     target_unit="本", actual="305.00(本)", actual_value=Decimal("305"), actual_unit="本",
                     weight=Decimal("10"), score=Decimal("9"),
                     deviation="原因：纸张涨价。改进措施：提前采购", deviation_cause="纸张涨价", improvement="提前采购")
    record["indicators"] = [indicator]
    record["funding"]["total"]["executed"] = Decimal("99.32")
    return record


def _pending(*paths):
    return [StoredField("abc-1", p, None, None, 1, [10, 20, 60, 30], "ocr:rapidocr", 0.4, "pending", None, None)
            for p in paths]


def test_parsed_leaves_are_reviewed_through_their_printed_cell():
    record = _record()
    items = review_items(record, _pending("indicators[0].actual_value", "indicators[0].actual_unit",
                                          "funding.total.executed", "source.pages"))
    assert [i.path for i in items] == ["indicators[0].actual", "funding.total.executed"]
    assert items[0].leaves == ("indicators[0].actual", "indicators[0].actual_unit", "indicators[0].actual_value")
    assert items[0].label == "实际完成值（三级指标：出版数量）"
    assert items[1].label == "项目资金·年度资金总额·全年执行数" and items[1].text == "99.32"


def test_predictions_fit_the_config_and_a_wrong_name_is_caught():
    record = _record()
    items = review_items(record, _pending("indicators[0].deviation_cause", "funding.total.executed"))
    data = task_data(record, items, ["/data/local-files/?d=a.png", None])
    predicted = prediction(items, {0: [(3, 7, "DEVIATION_CAUSE"), (0, 2, "NOT_A_LABEL")]},
                           {"indicators[0].deviation_cause": 0.4, "funding.total.executed": 0.7})
    assert check_prediction(label_config(), data, predicted["result"]) == []
    assert predicted["score"] == 0.4
    spans = [r for r in predicted["result"] if r["type"] == "labels"]
    assert [(s["value"]["text"], s["value"]["labels"]) for s in spans] == [("纸张涨价", ["偏差原因"])]

    wrong = [dict(predicted["result"][0], from_name="value_9"),
             dict(spans[0], value={**spans[0]["value"], "labels": ["Cause"]}),
             dict(predicted["result"][0], type="choices")]
    problems = check_prediction(label_config(), data, wrong)
    assert len(problems) == 3
    assert "value_9" in problems[0] and "'Cause'" in problems[1] and "type 'choices'" in problems[2]


def test_a_corrected_target_re_derives_op_value_and_unit():
    record = _record()
    (item,) = task_data(record, review_items(record, _pending("indicators[0].target_value")), [None])["fields"]
    changes = apply_answer(record, item, ItemAnswer("corrected", "≥360.00(册)"))
    assert record["indicators"][0]["target"] == "≥360.00(册)"
    assert (record["indicators"][0]["target_op"], record["indicators"][0]["target_value"],
            record["indicators"][0]["target_unit"]) == ("≥", Decimal("360.00"), "册")
    assert {c.path for c in changes} == {"indicators[0].target", "indicators[0].target_op",
                                         "indicators[0].target_value", "indicators[0].target_unit"}
    assert all(c.decision == "corrected" for c in changes)


def test_accepted_keeps_the_value_unless_the_text_was_edited_and_unreadable_empties():
    record = _record()
    (item,) = task_data(record, review_items(record, _pending("funding.total.executed")), [None])["fields"]
    (kept,) = apply_answer(record, item, ItemAnswer("accepted", None))
    assert (kept.old, kept.new, kept.decision) == (Decimal("99.32"), Decimal("99.32"), "accepted")
    (edited,) = apply_answer(record, item, ItemAnswer("accepted", "99.23"))
    assert (edited.new, edited.decision) == (Decimal("99.23"), "corrected")
    (emptied,) = apply_answer(record, item, ItemAnswer("unreadable", "99.23"))
    assert emptied.new is None and record["funding"]["total"]["executed"] is None


def test_a_number_field_that_is_not_a_number_is_refused():
    record = _record()
    (item,) = task_data(record, review_items(record, _pending("funding.total.executed")), [None])["fields"]
    with pytest.raises(CorrectionError, match="not a number"):
        apply_answer(record, item, ItemAnswer("corrected", "九十九"))
    assert record["funding"]["total"]["executed"] == Decimal("99.32")
