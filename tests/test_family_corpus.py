"""The generator's regional families (corpus/templates.py): each form's
record obeys its family's arithmetic, and the PDF prints what the family
prints."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from corpus.build import family_forms, render_with_truth
from corpus.templates import HELD_OUT_FAMILIES, TEMPLATES, split_target


@pytest.mark.parametrize("family", sorted(TEMPLATES))
def test_a_familys_record_obeys_the_familys_arithmetic(family):
    template = TEMPLATES[family]
    records, styles = family_forms(family, 3)
    places = Decimal(1) if template.rate == "round-integer" else Decimal("0.01")
    rounding = ROUND_DOWN if template.rate == "truncate" else ROUND_HALF_UP
    for record, style in zip(records, styles):
        assert record["title"] == template.title or style.family.traditional
        assert record["money_unit"] == template.money_unit
        total = record["funding"]["total"]
        budget = total["annual_budget"] or total["initial_budget"]
        rate = (total["executed"] / budget * 100).quantize(places, rounding=rounding)
        assert total["execution_rate"] == rate
        if template.has_weights:
            assert total["weight"] == template.budget_execution_weight
            scores = [total["score"]] + [i["score"] for i in record["indicators"]]
            if template.total_label and not template.total_weights_only or template.head_total:
                assert record["total_score"] == sum(scores)
            assert all(i["score"] <= i["weight"] for i in record["indicators"])
        else:
            assert total["weight"] is None and record["total_score"] is None
            assert all(i["weight"] is None and i["score"] is None for i in record["indicators"])
        printed_rows = {key for key, _ in template.funding_rows}
        for key in ("carryover", "current_appropriation", "other"):
            if key not in printed_rows:
                assert set(record["funding"][key].values()) == {None}
        for label in template.closing_rows:
            assert record["extra"][label]
        if "target_parts" in dict(template.indicator_columns):
            for cells, indicator in zip(style.family.target_cells, record["indicators"]):
                assert "".join(cells) == (indicator["target"] or "")


def test_money_in_yuan_is_ten_thousand_times_the_wan_yuan_amount():
    from corpus.synth import generate_forms

    reference = generate_forms("eval", 2)
    records, _ = family_forms("shanghai_district", 2)
    for ref, record in zip(reference, records):
        assert record["funding"]["total"]["annual_budget"] == ref["funding"]["total"]["annual_budget"] * 10000
        assert record["funding"]["total"]["execution_rate"] == ref["funding"]["total"]["execution_rate"]


@pytest.mark.parametrize("target, cells", [
    ("≥95%", ("≥", "95", "%")), ("100(个)", ("=", "100", "个")), ("≤90万元", ("≤", "90", "万元")),
    ("达标", ("定性", "达标", "")), ("", ("", "", "")),
])
def test_a_target_split_over_three_cells(target, cells):
    assert split_target(target) == cells


def test_each_family_prints_its_title_labels_and_money_unit(tmp_path):
    import pdfplumber

    for family in ("sichuan_department", "hunan_county", "yunnan"):
        template = TEMPLATES[family]
        records, styles = family_forms(family, 1)
        path = tmp_path / f"{family}.pdf"
        truth = render_with_truth(records, path, styles)
        with pdfplumber.open(path) as pdf:     # the ruled cells' texts, and the lines above the table
            cells = {cell.replace("\n", "") for page in pdf.pages for table in page.extract_tables()
                     for row in table for cell in row if cell}
            text = "".join((page.extract_text() or "") for page in pdf.pages).replace(" ", "")
        assert truth[0]["title"] in text
        if not styles[0].family.traditional:
            for key, label in template.indicator_columns[2:]:
                assert label in cells or key == "target_parts"
            assert template.head_labels[0] in cells
            assert f"项目资金（{template.money_unit}）" in cells


def test_the_held_out_families_have_no_reader_data_file():
    from extract.layout.templates import families

    assert HELD_OUT_FAMILIES and not set(HELD_OUT_FAMILIES) & set(families())


def _read(records, styles, path):
    from extract.pipeline.document import extract_forms, read_document
    from extract.pipeline.settings import OcrSettings
    from extract.sources.files import sha256_of

    truth = render_with_truth(records, path, styles)
    return truth, extract_forms(read_document(path, sha256_of(path), OcrSettings(mode="never"), None))


def _accuracy(truth, forms):
    from extract.checks.compare import MISSING, fields_equal
    from extract.model import iter_fields

    right = total = 0
    for gold, form in zip(truth, forms):
        got = dict(iter_fields(form.record))
        for path, value in iter_fields(gold):
            total += 1
            right += got.get(path, MISSING) is not MISSING and fields_equal(value, got[path])
    return right / total


@pytest.mark.parametrize("family", [f for f in TEMPLATES if f not in HELD_OUT_FAMILIES])
def test_a_text_pdf_of_each_known_family_is_read_by_its_headers(family, tmp_path):
    records, styles = family_forms(family, 2)
    truth, forms = _read(records, styles, tmp_path / f"{family}.pdf")
    assert len(forms) == 2
    assert _accuracy(truth, forms) >= 0.995            # the bar for text PDFs
    assert [f.record["title"] for f in forms] == [t["title"] for t in truth]
    assert [len(f.record["indicators"]) for f in forms] == [len(t["indicators"]) for t in truth]
    for form, gold in zip(forms, truth):
        assert set(gold["extra"]) <= set(form.record["extra"])     # closing and extra rows, not indicators
        assert not any(f.rule == "template_unknown" for f in form.findings)


@pytest.mark.parametrize("family", ["linkage_funds", "stated_totals"])
def test_a_funding_row_the_table_does_not_print_is_null_and_not_sent_to_review(family, tmp_path):
    # (no 上年结转资金 row: the table's header and every row of it read, the row is all null, certain)
    from extract.checks.routing import ACCEPTED

    records, styles = family_forms(family, 1)
    truth, forms = _read(records, styles, tmp_path / f"{family}.pdf")
    (form,) = forms
    carryover = [f"funding.carryover.{key}" for key in ("annual_budget", "executed", "execution_rate", "score")]
    assert all(form.record["funding"]["carryover"][path.rsplit(".", 1)[1]] is None for path in carryover)
    assert [form.status(path) for path in carryover] == [ACCEPTED] * 4


def test_a_split_targets_nature_cell_that_is_no_comparison_nor_kind_goes_to_review(tmp_path):
    """A 指标性质 cell that reads as neither a comparison nor 定性 / 定量 (a
    scan's `≧` read as `三`) leaves a joined target that parses as no
    measure: the target is doubted, not accepted."""
    from dataclasses import replace

    from extract.checks.routing import ACCEPTED

    records, styles = family_forms("yunnan", 1)
    family = styles[0].family
    cells = list(family.target_cells)
    index = next(i for i, (nature, _, _) in enumerate(cells) if nature in ("≥", "≧", ">"))
    cells[index] = ("三",) + tuple(cells[index][1:])
    styles = [replace(styles[0], family=replace(family, target_cells=tuple(cells)))]
    _, (form,) = _read(records, styles, tmp_path / "yunnan.pdf")
    assert form.record["indicators"][index]["target"].startswith("三")
    assert form.status(f"indicators[{index}].target") != ACCEPTED
    others = [i for i in range(len(cells)) if i != index]
    assert all(form.status(f"indicators[{i}].target") == ACCEPTED for i in others)


@pytest.mark.parametrize("family", HELD_OUT_FAMILIES)
def test_a_form_of_an_unknown_family_is_read_in_part_flagged_and_routed(family, tmp_path):
    from extract.checks.compare import fields_equal
    from extract.checks.routing import ACCEPTED
    from extract.model import iter_fields

    records, styles = family_forms(family, 1)
    truth, forms = _read(records, styles, tmp_path / f"{family}.pdf")
    assert len(forms) == 1
    form = forms[0]
    assert form.record["title"] == truth[0]["title"]
    assert form.record["project_name"] == truth[0]["project_name"]
    assert _accuracy(truth, forms) >= 0.5                      # read by its headers as far as they go
    unknown = [f for f in form.findings if f.rule == "template_unknown"]
    assert unknown and "template not recognised" in unknown[0].message
    assert form.status("title") != ACCEPTED                    # the form goes to a person
    gold = dict(iter_fields(truth[0]))
    accepted = [(path, value) for path, value, state in form.leaves()
                if path.is_read_from_form and form.status(str(path)) == ACCEPTED]
    assert accepted and all(fields_equal(gold[path], value) for path, value in accepted)


def test_review_shows_a_field_with_the_label_its_own_form_prints(tmp_path):
    from extract.store import Store
    from review.tasks import field_label

    records, styles = family_forms("sichuan_department", 1)
    truth, forms = _read(records, styles, tmp_path / "sichuan.pdf")
    assert forms[0].state("indicators[0].weight").label == "权重"
    assert forms[0].state("funding.total.annual_budget").label == "总额·调整后预算数"
    with Store(tmp_path / "store.db") as store:
        store.save_source(truth[0]["source"]["sha256"], str(tmp_path / "sichuan.pdf"), 1, forms)
        stored = {f.path: f for f in store.fields(forms[0].record["form_id"])}
    weight = stored["indicators[0].weight"]
    assert weight.label == "权重"
    assert field_label(forms[0].record, weight.path, weight.label).startswith("权重（三级指标：")
    assert field_label(forms[0].record, weight.path).startswith("分值")      # what it says without the form's label


def test_a_scan_of_a_family_form_with_a_split_target_is_read_by_its_headers(tmp_path):
    """A 200-dpi scan of a 部门预算 form (target over three cells, 权重, 合计 with
    weights only, closing rows), read with RapidOCR."""
    from corpus.degrade import retarget_truth, write_scan
    from extract.pipeline.document import extract_forms, read_document
    from extract.pipeline.settings import OcrSettings
    from extract.sources.files import sha256_of

    records, styles = family_forms("sichuan_department", 1)
    pdf = tmp_path / "sichuan.pdf"
    truth = render_with_truth(records, pdf, styles)
    scan = write_scan(pdf, tmp_path / "sichuan.scan.pdf", 200, "light", seed=0, fmt="pdf")[0]
    truth = retarget_truth(truth, scan)
    forms = extract_forms(read_document(scan, sha256_of(scan), OcrSettings(mode="always"), None))
    assert len(forms) == 1
    assert _accuracy(truth, forms) >= 0.97
    assert len(forms[0].record["indicators"]) == len(truth[0]["indicators"])
    assert forms[0].record["indicators"][0]["target"] == truth[0]["indicators"][0]["target"]
    assert {"评价结论", "项目负责人"} <= set(forms[0].record["extra"])
