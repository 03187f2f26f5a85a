"""Routing fields to review: below the threshold or named by a finding → pending."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extract.checks.routing import ACCEPTED, DEFAULT_REVIEW_THRESHOLD, PENDING, ReviewSettings, pending_fields, route
from extract.checks.validate import SCORE_WITHOUT_DEVIATION, TOTAL_SCORE, fields_named_by_findings, validate
from extract.model import Finding, FormResult, empty_indicator, empty_record, iter_fields


def form_with(confidence: dict[str, float] | None = None, findings: list[Finding] | None = None) -> FormResult:
    """A one-indicator form, every field at confidence 1 unless `confidence` says otherwise."""
    record = empty_record()
    record.update(year=2023, project_name="示例项目", total_weight=Decimal(100), total_score=Decimal(95))
    indicator = empty_indicator()
    indicator.update(name="印数", weight=Decimal(10), score=Decimal(10))
    record["indicators"] = [indicator]
    scores = {path: 1.0 for path, _ in iter_fields(record)}
    scores.update(confidence or {})
    form = FormResult(record=record, findings=list(findings or []))
    for path, value in scores.items():
        form.state(path).confidence = value
    return form


def test_every_field_confident_and_unnamed_is_accepted():
    form = form_with()
    statuses = route(form, 0.9)
    assert list(statuses) == [path for path, _ in iter_fields(form.record)]
    assert set(statuses.values()) == {ACCEPTED}


def test_a_field_below_the_threshold_is_pending_and_the_rest_accepted():
    statuses = route(form_with({"project_name": 0.89, "indicators[0].score": 0.95}), 0.9)
    assert statuses["project_name"] == PENDING
    assert statuses["indicators[0].score"] == ACCEPTED
    assert [p for p, s in statuses.items() if s == PENDING] == ["project_name"]


def test_the_threshold_itself_is_accepted():
    assert route(form_with({"year": 0.9}), 0.9)["year"] == ACCEPTED
    assert route(form_with({"year": 0.8999}), 0.9)["year"] == PENDING


def test_a_field_named_by_a_finding_is_pending_even_at_confidence_1():
    finding = Finding(TOTAL_SCORE, ["total_score", "funding.total.score", "indicators[0].score"],
                      Decimal(96), Decimal(95))
    form = form_with(findings=[finding])
    assert form.confidence("total_score") == 1.0
    statuses = route(form, 0.5)
    assert {p for p, s in statuses.items() if s == PENDING} == set(finding.fields)
    assert statuses["project_name"] == ACCEPTED


def test_soft_findings_route_only_when_asked():
    soft = Finding(SCORE_WITHOUT_DEVIATION, ["indicators[0].deviation", "indicators[0].score",
                                             "indicators[0].weight"], "a deviation", None)
    assert fields_named_by_findings([soft], soft=False) == set()
    assert fields_named_by_findings([soft], soft=True) == set(soft.fields)
    form = form_with(findings=[soft])
    assert route(form, ReviewSettings(0.9, soft_findings=False))["indicators[0].deviation"] == ACCEPTED
    assert route(form, ReviewSettings(0.9, soft_findings=True))["indicators[0].deviation"] == PENDING


def test_findings_of_validate_route_their_fields():
    form = form_with()
    form.record["indicators"][0]["score"] = Decimal(12)   # above its weight of 10
    form.findings = validate(form.record)
    pending = pending_fields(form, 0.5)
    assert "indicators[0].score" in pending and "indicators[0].weight" in pending
    assert "project_name" not in pending


def test_a_field_with_no_confidence_is_pending():
    form = form_with()
    form.state("goal_expected").confidence = None
    assert route(form, 0.5)["goal_expected"] == PENDING


def test_default_threshold_and_settings():
    assert 0 < DEFAULT_REVIEW_THRESHOLD <= 1
    assert ReviewSettings().threshold == DEFAULT_REVIEW_THRESHOLD
    assert route(form_with()) == route(form_with(), DEFAULT_REVIEW_THRESHOLD)
    assert ReviewSettings(1).threshold == 1


@pytest.mark.parametrize("threshold", [0, 0.0, -0.1, 1.01, 2, float("nan"), True, "0.9", None])
def test_an_invalid_threshold_raises(threshold):
    with pytest.raises(ValueError, match="threshold"):
        ReviewSettings(threshold)
    with pytest.raises(ValueError, match="threshold"):
        route(form_with(), threshold)


def test_a_layout_doubt_caps_confidence_below_the_threshold_and_routes_the_field():
    from extract.checks.confidence import ConfidencePolicy, field_confidence
    from extract.checks.validate import LAYOUT_IN_DOUBT
    from extract.model import BBox, Provenance

    form = form_with(findings=[Finding(LAYOUT_IN_DOUBT, ["indicators[0].name", "indicators[0].weight"], None, None,
                                       "a piece that could be a row of its own")])
    for path in ("indicators[0].name", "indicators[0].weight", "indicators[0].score"):
        form.state(path).provenance = Provenance(1, BBox(0, 0, 1, 1), "pdf-text", 1.0)
    policy = ConfidencePolicy()
    confidence = field_confidence(form, policy)
    # The weight makes the total hold, yet a rule cannot confirm a value that may belong to another row.
    assert confidence["indicators[0].name"] == confidence["indicators[0].weight"] == policy.layout_doubt
    assert confidence["indicators[0].score"] == 1.0
    assert policy.layout_doubt < DEFAULT_REVIEW_THRESHOLD
    for path, value in confidence.items():
        form.state(path).confidence = value
    pending = set(pending_fields(form))
    assert {"indicators[0].name", "indicators[0].weight"} <= pending and "indicators[0].score" not in pending
    assert field_confidence(form, ConfidencePolicy(layout_doubt=0.2))["indicators[0].name"] == 0.2


def test_a_layout_doubt_on_a_cell_caps_its_parsed_leaves():
    from extract.checks.confidence import ConfidencePolicy, field_confidence
    from extract.checks.validate import LAYOUT_IN_DOUBT

    form = form_with(findings=[Finding(LAYOUT_IN_DOUBT, ["indicators[0].target"], None, None, "")])
    confidence = field_confidence(form)
    assert confidence["indicators[0].target_value"] <= ConfidencePolicy().layout_doubt


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.4", None])
def test_the_layout_doubt_weight_is_checked_like_the_others(bad):
    from extract.checks.confidence import ConfidencePolicy

    with pytest.raises(ValueError):
        ConfidencePolicy(layout_doubt=bad)


def test_an_ocr_read_comparison_sign_caps_the_printed_text_only():
    """OCR reads ⩾ and ≥ alike; the contract keeps the printed one, so the
    target's text goes to a person while its operator, value and unit do not."""
    from extract.checks.confidence import ConfidencePolicy, field_confidence
    from extract.model import BBox, Provenance

    form = form_with()
    form.record["indicators"][0].update(target="≥90.00(%)", target_op="≥", target_value=Decimal(90),
                                        target_unit="%", actual="95.00(%)")
    for path in ("indicators[0].target", "indicators[0].actual"):
        form.state(path).provenance = Provenance(1, BBox(0, 0, 1, 1), "ocr:rapidocr", 0.99)
    confidence = field_confidence(form)
    assert confidence["indicators[0].target"] == ConfidencePolicy().variant_sign < DEFAULT_REVIEW_THRESHOLD
    assert confidence["indicators[0].target_op"] == confidence["indicators[0].target_value"] == 0.99
    assert confidence["indicators[0].actual"] == 0.99
    form.state("indicators[0].target").provenance = Provenance(1, BBox(0, 0, 1, 1), "pdf-text", 1.0)
    assert field_confidence(form)["indicators[0].target"] == 1.0     # a text layer says which sign it is
