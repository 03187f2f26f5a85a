"""The model's second opinion: on deviation cells and on every field of every
form (fake taggers for the unit tests; the shipped model on the gold forms)."""

import copy
import unicodedata
from pathlib import Path

import pytest

from corpus.build import load_gold
from extract.checks.confidence import DISPUTED, ConfidencePolicy, field_confidence
from extract.model import FormResult, Provenance, empty_indicator, empty_record, iter_fields
from extract.parse.tagger import DEVIATION_CAUSE, IMPROVEMENT, Span
from extract.checks.second_opinion import form_text, review_deviations, review_forms

TEXT = "进度滞后。明年将加快推进。"
SAMPLE_PDF = Path(__file__).resolve().parents[1] / "corpus" / "sample" / "seed_forms.pdf"
# Measured with the shipped model when written: 64 of 3366 fields (1.9%) of
# the 19 gold forms disputed; asserted with room for a retrained model.
GOLD_MAX_DISPUTED_SHARE = 0.05
DISPUTED_FACTOR = ConfidencePolicy().disputed


def confidence_with(form, disputed):
    """The form's confidences once the disputed paths carry the doubt."""
    for path in disputed:
        form.state(path).doubts.add(DISPUTED)
    return field_confidence(form)


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
    form = FormResult(record=record)
    form.state("indicators[0].deviation").provenance = Provenance(1, None, "pdf-text", 1.0)
    return form


def test_where_model_and_rules_split_differently_both_parts_are_disputed():
    form = form_with(TEXT)
    tagger = FakeTagger([(0, 5, DEVIATION_CAUSE), (5, len(TEXT), IMPROVEMENT)])
    disputed = review_deviations(form, tagger)
    assert disputed == {"indicators[0].deviation_cause", "indicators[0].improvement"}
    indicator = form.record["indicators"][0]
    assert (indicator["deviation_cause"], indicator["improvement"]) == ("进度滞后。", "明年将加快推进。")
    confidence = confidence_with(form, disputed)
    assert confidence["indicators[0].improvement"] == DISPUTED_FACTOR
    assert confidence["indicators[0].deviation"] == 1.0


def test_where_they_agree_nothing_is_disputed():
    form = form_with(TEXT)
    assert review_deviations(form, FakeTagger([(0, len(TEXT), DEVIATION_CAUSE)])) == set()
    assert form.record["indicators"][0]["improvement"] is None


# ---------------------------------------------------------------- every form

class ReadingTagger:
    """Tags every field where the layout put it, as a model that agrees
    would; `change(path, start, end, label)` may read one field otherwise."""

    def __init__(self, record, change=None):
        self.layout = form_text(record)
        self.change = change or (lambda path, start, end, label: (start, end, label))
        self.calls = 0

    def tag(self, text):
        assert text == self.layout.text
        self.calls += 1
        spans = []
        for place in self.layout.fields:
            start, end, label = self.change(place.paths[0], place.start, place.end, place.labels[0])
            spans.append(Span(start, end, label, text[start:end]))
        return spans


def gold_form(index=0):
    return FormResult(record=copy.deepcopy(load_gold()[index]))


def confidence_drops(form, disputed):
    before = field_confidence(form)
    after = confidence_with(form, disputed)
    return {path for path in before if after[path] < before[path]}


TARGET = "indicators[2].target"
TARGET_LEAVES = {TARGET, "indicators[2].target_op", "indicators[2].target_value", "indicators[2].target_unit"}


def test_a_model_that_agrees_disputes_nothing():
    form = gold_form()
    tagger = ReadingTagger(form.record)
    assert review_forms([form], tagger) == [set()]
    assert tagger.calls == 1                      # one text per form, not one per field


def test_a_target_the_model_reads_as_another_field_is_disputed_and_only_it():
    form = gold_form()
    record = copy.deepcopy(form.record)
    tagger = ReadingTagger(form.record, lambda path, a, b, label: (a, b, "ACTUAL" if path == TARGET else label))
    [disputed] = review_forms([form], tagger)
    assert disputed == TARGET_LEAVES
    assert form.record == record                  # confidence only: values stay
    assert confidence_drops(form, disputed) == TARGET_LEAVES
    confidence = field_confidence(form)
    assert confidence[TARGET] == pytest.approx(DISPUTED_FACTOR)


@pytest.mark.parametrize("method, drops", [("pdf-text", False), ("box-text", False), ("ocr:rapidocr", True)])
def test_a_dispute_lowers_a_field_read_by_ocr_not_one_a_text_layer_gave(method, drops):
    # A text layer's characters are the ones the model reads: its dispute is
    # only about the field's place, which the layout's doubts and the arithmetic judge.
    form = gold_form()
    form.state(TARGET).provenance = Provenance(1, None, method, 1.0)
    tagger = ReadingTagger(form.record, lambda path, a, b, label: (a, b, "ACTUAL" if path == TARGET else label))
    [disputed] = review_forms([form], tagger)
    confidence = confidence_with(form, disputed)
    assert DISPUTED in form.state(TARGET).doubts           # a reviewer who opens it still sees the dispute
    assert (confidence[TARGET] < 0.97) is drops
    assert confidence[TARGET] == pytest.approx(DISPUTED_FACTOR if drops else 1.0)


def test_a_target_the_model_cuts_short_or_runs_on_is_disputed():
    form = gold_form()
    cut = ReadingTagger(form.record, lambda path, a, b, label: (a, b - 3 if path == TARGET else b, label))
    assert review_forms([form], cut) == [TARGET_LEAVES]
    # a TARGET span that runs on into the actual cell: both disagree
    run_on = ReadingTagger(form.record, lambda path, a, b, label: (
        (a, b + 4, label) if path == TARGET else (a, b, label)))
    [disputed] = review_forms([form], run_on)
    assert TARGET_LEAVES <= disputed
    assert disputed - TARGET_LEAVES <= {"indicators[2].actual", "indicators[2].actual_value",
                                        "indicators[2].actual_unit"}


def test_where_the_model_tags_nothing_it_abstains():
    form = gold_form()
    assert review_forms([form], FakeTagger([])) == [set()]
    assert review_forms([form], None) == [set()]


def test_a_merged_label_the_model_disputes_is_disputed_on_every_row_it_spans():
    form = gold_form()
    level2 = "indicators[0].level2"
    tagger = ReadingTagger(form.record, lambda path, a, b, label: (a, b, "INDICATOR_NAME" if path == level2 else label))
    [disputed] = review_forms([form], tagger)
    rows = [i for i, ind in enumerate(form.record["indicators"])
            if (ind["level1"], ind["level2"]) == (form.record["indicators"][0]["level1"],
                                                  form.record["indicators"][0]["level2"])]
    assert len(rows) > 1
    assert disputed == {f"indicators[{i}].level2" for i in rows}


def test_form_text_places_every_field_it_prints():
    record = load_gold()[0]
    text = form_text(record)
    for place in text.fields:
        printed = text.text[place.start:place.end].replace("\n", "")
        value = _get(record, place.paths[0])
        expected = f"{value:.2f}" if not isinstance(value, str) else value
        assert printed.replace(" ", "") == unicodedata.normalize("NFKC", expected).replace(" ", "")


def _get(record, path):
    return dict(iter_fields(record))[path]


# ------------------------------------------------------- the shipped model

@pytest.fixture(scope="module")
def gold_parsed():
    from extract.parse.tagger import optional_tagger
    from extract.pipeline.settings import OcrSettings
    from extract.pipeline.document import parse_pages, read_document
    from extract.sources.files import sha256_of

    tagger = optional_tagger()
    assert tagger is not None, "the trained pipeline is committed in models/pipeline"
    document = read_document(SAMPLE_PDF, sha256_of(SAMPLE_PDF), OcrSettings(), None)
    return parse_pages(document), tagger


def test_the_shipped_model_disputes_few_fields_of_the_clean_gold_forms(gold_parsed):
    forms, tagger = gold_parsed
    forms = copy.deepcopy(forms)
    records = copy.deepcopy([f.record for f in forms])
    opinions = review_forms(forms, tagger)
    fields = sum(1 for form in forms for _ in iter_fields(form.record))
    disputed = sum(len(d) for d in opinions)
    assert [f.record for f in forms] == records
    assert 0 < disputed <= GOLD_MAX_DISPUTED_SHARE * fields, (disputed, fields)


@pytest.mark.parametrize("key, printed, shown", [
    ("name", "指标1：设备交付及时性", "设备交付及时性"),      # a row's number (Hebei, Shanxi) is no name's words
    ("target", "定性当年完成", "当年完成"),                 # a split target's nature (Yunnan, Sichuan)
    ("name", "指标完成率", "指标完成率"),                   # a name that only starts so
    ("target", "≥90%", "≥90%"),
])
def test_the_model_is_shown_a_cell_without_what_its_family_prints_before_it(key, printed, shown):
    record = load_gold()[0]
    record["indicators"][0][key] = printed
    text = form_text(record)
    (place,) = [p for p in text.fields if p.paths[0] == f"indicators[0].{key}"]
    assert text.text[place.start:place.end].replace("\n", "") == shown
    assert record["indicators"][0][key] == printed            # the record keeps it as printed


def test_the_shipped_model_does_not_dispute_a_numbered_name(gold_parsed):
    forms, tagger = gold_parsed
    form = copy.deepcopy(forms[0])
    for k, indicator in enumerate(form.record["indicators"]):
        indicator["name"] = f"指标{k + 1}：{indicator['name']}"
    (disputed,) = review_forms([form], tagger)
    assert not any(path.endswith(".name") for path in disputed), sorted(disputed)


class CountingTagger(ReadingTagger):
    def tag_many(self, texts):
        return [self.tag(text) for text in texts]


@pytest.mark.parametrize("method, finding, tagged", [
    ("pdf-text", False, False),        # nobody opens it, and a dispute would lower nothing
    ("pdf-text", True, True),          # a reviewer may open it: the model's opinion is shown
    ("ocr:rapidocr", False, True),     # a dispute lowers what OCR read
])
def test_the_check_stage_tags_a_whole_form_where_its_opinion_can_matter(method, finding, tagged):
    from extract.checks import CheckContext
    from extract.checks.second_opinion import second_opinion
    from extract.model import Finding

    form = gold_form()
    for state in form.fields.values():
        state.provenance = None
    for path, _ in iter_fields(form.record):
        form.state(path).provenance = Provenance(1, None, method, 1.0)
    if finding:
        form.findings.append(Finding("layout_in_doubt", [TARGET], None, None, "a doubt"))
    tagger = CountingTagger(form.record)
    second_opinion([form], CheckContext(tagger=tagger))
    assert (tagger.calls == 1) is tagged


def test_a_files_deviation_cells_are_tagged_in_one_batch_then_found():
    from types import SimpleNamespace

    from extract.checks import CheckContext
    from extract.checks.second_opinion import second_opinion
    from extract.parse.tagger import FieldTagger

    class Pipeline:
        def __init__(self):
            self.batches, self.single = [], 0

        def pipe(self, texts, batch_size):
            self.batches.append(list(texts))
            return [SimpleNamespace(ents=()) for _ in self.batches[-1]]

        def __call__(self, text):
            self.single += 1
            return SimpleNamespace(ents=())

    nlp = Pipeline()
    deviations = [TEXT, "数据滞后。下年改进。", TEXT]
    second_opinion([form_with(text) for text in deviations], CheckContext(tagger=FieldTagger(nlp, Path("."))))
    assert nlp.batches[-1] == [TEXT, "数据滞后。下年改进。"]      # once each, in one batch
    assert nlp.single == 0                                      # then found, not tagged again
