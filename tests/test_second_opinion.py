"""The model's second opinion on deviation cells (a fake tagger: unit test)."""

from extract.confidence import DISPUTED_FACTOR, field_confidence
from extract.model import ParsedForm, Provenance, empty_indicator, empty_record
from extract.ner import DEVIATION_CAUSE, IMPROVEMENT, Span
from extract.second_opinion import review_deviations

TEXT = "进度滞后。明年将加快推进。"


class FakeTagger:
    def __init__(self, spans):
        self.spans = spans

    def tag(self, text):
        return [Span(start, end, label, text[start:end]) for start, end, label in self.spans]


def form_with(text):
    record = empty_record()
    indicator = empty_indicator()
    indicator["deviation"] = text
    record["indicators"].append(indicator)
    form = ParsedForm(record=record)
    form.provenance["indicators[0].deviation"] = Provenance(1, None, "pdf-text", 1.0)
    return form


def test_where_model_and_rules_split_differently_both_parts_are_disputed():
    form = form_with(TEXT)
    tagger = FakeTagger([(0, 5, DEVIATION_CAUSE), (5, len(TEXT), IMPROVEMENT)])
    disputed = review_deviations(form, tagger)
    assert disputed == {"indicators[0].deviation_cause", "indicators[0].improvement"}
    indicator = form.record["indicators"][0]
    assert (indicator["deviation_cause"], indicator["improvement"]) == ("进度滞后。", "明年将加快推进。")
    confidence = field_confidence(form, disputed)
    assert confidence["indicators[0].improvement"] == DISPUTED_FACTOR
    assert confidence["indicators[0].deviation"] == 1.0


def test_where_they_agree_nothing_is_disputed():
    form = form_with(TEXT)
    assert review_deviations(form, FakeTagger([(0, len(TEXT), DEVIATION_CAUSE)])) == set()
    assert form.record["indicators"][0]["improvement"] is None
