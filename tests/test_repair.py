import copy

from corpus.build import load_gold
from extract.model import ParsedForm, Provenance, iter_fields
from extract.checks.repair import DERIVED_CONFIDENCE, repair_missing_numbers


def ocr_form(record, method="ocr:rapidocr"):
    provenance = {path: Provenance(1, None, method, 0.9) for path, _ in iter_fields(record)}
    return ParsedForm(record=record, provenance=provenance)


def test_a_number_ocr_lost_is_derived_when_one_rule_gives_it():
    gold = load_gold()[0]
    for path, key in (("total_score", None), ("indicators[2].weight", 2), ("funding.total.execution_rate", None)):
        record = copy.deepcopy(gold)
        target = record["indicators"][key] if key is not None else record
        leaf = path.rsplit(".", 1)[-1]
        if path.startswith("funding"):
            target = record["funding"]["total"]
        target[leaf] = None
        form = ocr_form(record)
        assert repair_missing_numbers(form) == [path]
        assert float(target[leaf]) == float((gold["indicators"][key] if key is not None else
                                             gold["funding"]["total"] if path.startswith("funding") else gold)[leaf])
        assert form.provenance[path].method == "arithmetic"
        assert form.provenance[path].confidence == DERIVED_CONFIDENCE


def test_nothing_is_derived_from_a_text_layer_or_when_two_numbers_are_missing():
    record = copy.deepcopy(load_gold()[0])
    record["total_score"] = None
    assert repair_missing_numbers(ocr_form(record, method="pdf-text")) == []
    record["indicators"][0]["score"] = None
    assert repair_missing_numbers(ocr_form(record)) == []
    assert record["total_score"] is None
