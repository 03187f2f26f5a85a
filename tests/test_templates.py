"""Template families as data (extract/layout/families/*.toml) and the title
that finds a form whatever family printed it."""

from decimal import Decimal

import pytest

from extract.layout.templates import (
    TemplateError, families, family_from_data, load_family, read_title, split_head_total,
)

# The eleven families of shared/spec/TEMPLATES.md, three of them held out
# of the readers (corpus/held_out_families: the benchmark's unknown families).
FAMILIES = {"shanghai", "anhui", "sichuan_department", "yunnan", "hebei", "linkage_funds", "hunan_county",
            "shanxi"}
HELD_OUT = {"ningxia", "hubei", "beijing"}
# Tuning families of traits that published forms show, no one office's
# (corpus.templates): a scoring-rule column, a second score column.
TRAIT_FAMILIES = {"scoring_rule_columns", "verified_scores", "stated_totals"}


def test_every_family_of_the_spec_has_a_data_file_that_loads():
    from pathlib import Path

    from corpus.templates import HELD_OUT_FAMILIES, TEMPLATES

    assert set(families()) == FAMILIES | TRAIT_FAMILIES and set(HELD_OUT_FAMILIES) == HELD_OUT
    held_out = Path(__file__).resolve().parents[1] / "corpus" / "held_out_families"
    assert {load_family(path).name for path in held_out.glob("*.toml")} == HELD_OUT
    assert {t.name for t in TEMPLATES.values()} >= HELD_OUT | TRAIT_FAMILIES | FAMILIES - {"shanghai"}
    for family in families().values():
        assert family.titles and family.indicator_columns["name"] == ("三级指标",)


def test_families_say_what_their_forms_print():
    known = families()
    assert not known["hunan_county"].prints_weights and not known["hunan_county"].prints_scores
    assert "initial_budget" not in known["linkage_funds"].funding_columns
    assert known["sichuan_department"].indicator_columns["target_parts"] == ("指标性质", "指标值", "度量单位")
    assert known["sichuan_department"].arithmetic.budget_execution_weight == 10
    assert known["hebei"].arithmetic.rate == "round-integer"
    assert known["shanghai"].arithmetic.rate == "truncate" and known["shanghai"].arithmetic.grade


@pytest.mark.parametrize("data, complaint", [
    ({"name": "x", "region": "y", "titles": ["表"], "funding_columns": {"budget": ["预算"]}}, "no record key"),
    ({"name": "x", "region": "y", "titles": []}, "list of labels"),
    ({"name": "x", "region": "y", "titles": ["表"], "arithmetic": {"rate": "ceil"}}, "arithmetic.rate"),
    ({"name": "x", "region": "y", "titles": ["表"], "money_units": ["美元"]}, "money_units"),
    ({"name": "x", "region": "y", "titles": ["表"], "indicator_columns": {"target": ["值"], "target_parts": ["a", "b", "c"]}},
     "one cell"),
    ({"region": "y", "titles": ["表"]}, "no 'name'"),
    ({"name": "x", "region": "y", "titles": ["表"], "colour": "red"}, "unknown keys"),
])
def test_a_family_file_that_is_wrong_is_refused_naming_the_file_and_the_fault(data, complaint):
    with pytest.raises(TemplateError) as caught:
        family_from_data(data, "families/x.toml")
    assert "families/x.toml" in caught.value.message and complaint in caught.value.message


def test_a_family_file_named_otherwise_than_its_family_is_refused(tmp_path):
    path = tmp_path / "other.toml"
    path.write_text('name = "x"\nregion = "y"\ntitles = ["表"]\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="file's name"):
        load_family(path)
    path.write_text("name = ", encoding="utf-8")
    with pytest.raises(TemplateError, match="TOML"):
        load_family(path)


@pytest.mark.parametrize("line, printed, year, family", [
    ("财政项目支出绩效自评表", "财政项目支出绩效自评表", None, ("shanghai",)),
    ("财政项目支出绩效自评表 （2022 年度）", "财政项目支出绩效自评表", 2022, ("shanghai",)),
    ("附件: 项目支出绩效自评表 (2022年度)", "项目支出绩效自评表", 2022, None),
    ("报表编号:510000_0013zp 部门预算项目支出绩效自评表(2023年度)", "部门预算项目支出绩效自评表", 2023,
     ("sichuan_department",)),
    ("2022年度项目支出绩效自评表 公开14表", "项目支出绩效自评表", 2022, None),
    ("2022年度項目支出績效自評表", "項目支出績效自評表", 2022, None),          # traditional, kept as printed
    ("附件1 项目支出绩效自评表 2019年度)", "项目支出绩效自评表", 2019, None),
    ("绩效目标自评表(2022年度)", "绩效目标自评表", 2022, ("linkage_funds",)),
    ("2020年度县级专项资金绩效目标自评表", "县级专项资金绩效目标自评表", 2020, ("hunan_county",)),
    ("银川市本级部门项目支出绩效自评表(2021年)", "银川市本级部门项目支出绩效自评表", 2021, None),
    ("2021年度财政项目绩效自评表", "财政项目绩效自评表", 2021, ()),        # a held-out family: unknown
    ("稷山县项目支出绩效自评表 (2021年度)", "稷山县项目支出绩效自评表", 2021, None),
    ("财政项目支出绩效自评表.", "财政项目支出绩效自评表", None, ("shanghai",)),   # a speck OCR read
    ("• 财政项目支出绩效自评表", "财政项目支出绩效自评表", None, ("shanghai",)),
])
def test_a_title_of_any_family_is_found_and_kept_as_printed(line, printed, year, family):
    title = read_title(line)
    assert title is not None and (title.printed, title.year) == (printed, year)
    assert title.families == family if family is not None else len(title.families) > 1


@pytest.mark.parametrize("line, rest, total", [
    ("(2023年度)自评得分97.84", "(2023年度)", Decimal("97.84")),      # on the line under the title
    ("(2023年度)自评得分 97.84", "(2023年度)", Decimal("97.84")),     # a text layer's space before the figure
    ("项目绩效目标自评表(2022年度)项目总得分99分", "项目绩效目标自评表(2022年度)", Decimal("99")),
    ("项目总得分 99 分", "", Decimal("99")),
    ("（2023年度）", "（2023年度）", None),
    ("自评得分说明", "自评得分说明", None),
])
def test_a_total_stated_in_the_head_is_split_off_its_line(line, rest, total):
    assert split_head_total(line) == (rest, total)


@pytest.mark.parametrize("line", [
    "根据要求填写项目支出绩效自评表。",                 # a sentence that names the form
    "（2023年度）",
    "项目支出绩效自评报告",
    "三级指标",
    "本表为" + "很长的说明文字" * 6 + "绩效自评表",
])
def test_what_is_not_a_title_is_not_taken_for_one(line):
    assert read_title(line) is None


def test_the_grid_reader_finds_a_form_by_a_traditional_title_with_the_year_first():
    from dataclasses import replace
    from pathlib import Path

    from extract.parse.grid_reader import parse_document
    from extract.pipeline.document import read_document
    from extract.pipeline.settings import OcrSettings
    from extract.sources.files import sha256_of

    sample = Path(__file__).resolve().parents[1] / "corpus" / "sample" / "seed_forms.pdf"
    document = read_document(sample, sha256_of(sample), OcrSettings(mode="never"), None)
    first = parse_document(document)
    assert {f.record["title"] for f in first} == {"财政项目支出绩效自评表"}
    for page in document.pages:
        page.lines = [replace(line, text="2022年度項目支出績效自評表") if read_title(line.text) else line
                      for line in page.lines if not (line.text.strip().startswith("（") and "年度" in line.text)]
    forms = parse_document(document)
    assert len(forms) == len(first) == 19
    assert {f.record["title"] for f in forms} == {"項目支出績效自評表"}
    assert {f.record["year"] for f in forms} == {2022}
    assert [f.record["indicators"] for f in forms] == [f.record["indicators"] for f in first]


@pytest.mark.parametrize("text, unit", [
    ("项目资金（万\n元）", "万元"), ("项目资金(元)", "元"), ("金额单位：元", "元"), ("单位: 万元", "万元"),
    ("全年预算数（元）", "元"), ("项目资金", None), ("元旦活动", None),
])
def test_the_money_unit_a_funding_table_states(text, unit):
    from extract.layout.templates import money_unit_in

    assert money_unit_in(text) == unit


def test_the_grid_reader_takes_the_money_unit_from_the_funding_header():
    from pathlib import Path

    from extract.parse.grid_reader import parse_document
    from extract.pipeline.document import read_document
    from extract.pipeline.settings import OcrSettings
    from extract.sources.files import sha256_of

    sample = Path(__file__).resolve().parents[1] / "corpus" / "sample" / "seed_forms.pdf"
    document = read_document(sample, sha256_of(sample), OcrSettings(mode="never"), None)
    assert {f.record["money_unit"] for f in parse_document(document)} == {"万元"}
    for page in document.pages:
        for table in page.tables:
            for cell in table.cells:
                if cell.text.startswith("项目资金"):
                    cell.text = "项目资金（元）"
    assert {f.record["money_unit"] for f in parse_document(document)} == {"元"}


def test_the_flat_reader_finds_forms_by_a_traditional_title_and_keeps_it(tmp_path):
    from pathlib import Path

    from extract.pipeline.document import read_flat_text_file
    from extract.sources.files import sha256_of

    seed = Path(__file__).resolve().parents[1] / "corpus" / "seed" / "000_2507e6a8b7bdafe5.txt"
    text = seed.read_text(encoding="utf-8")
    assert text.count("财政项目支出绩效自评表") == 19
    path = tmp_path / "traditional.txt"
    path.write_text(text.replace("财政项目支出绩效自评表", "項目支出績效自評表"), encoding="utf-8")
    forms = read_flat_text_file(path, sha256_of(path))
    same = read_flat_text_file(seed, sha256_of(seed))
    assert len(forms) == len(same) == 19
    assert {f.record["title"] for f in forms} == {"項目支出績效自評表"}
    assert {f.record["title"] for f in same} == {"财政项目支出绩效自评表"}
    assert [f.record["indicators"] for f in forms] == [f.record["indicators"] for f in same]


def test_a_form_of_an_unknown_family_is_read_flagged_and_routed_not_refused(tmp_path):
    from pathlib import Path

    from extract.checks.routing import ACCEPTED
    from extract.parse.assembly import TEMPLATE_UNKNOWN
    from extract.pipeline.document import read_flat_text_file
    from extract.sources.files import sha256_of
    from review.reasons import finding_reason

    seed = Path(__file__).resolve().parents[1] / "corpus" / "seed" / "000_2507e6a8b7bdafe5.txt"
    path = tmp_path / "unknown.txt"
    path.write_text(seed.read_text(encoding="utf-8").replace("财政项目支出绩效自评表", "某某项目绩效自评表"),
                    encoding="utf-8")
    forms = read_flat_text_file(path, sha256_of(path))
    assert len(forms) == 19 and {f.record["title"] for f in forms} == {"某某项目绩效自评表"}
    form = forms[0]
    [unknown] = [f for f in form.findings if f.rule == TEMPLATE_UNKNOWN]
    # the title goes to a person; what was read under a known label does not
    assert "title" in unknown.fields and form.status("title") != ACCEPTED
    assert form.record["project_name"] and "project_name" not in unknown.fields
    assert all(form.record[path] is None for path in unknown.fields if path in form.record and path != "title")
    assert unknown.found == "某某项目绩效自评表"
    assert "表式未识别" in finding_reason(unknown.to_dict(), form.record)
    known = read_flat_text_file(seed, sha256_of(seed))
    assert not any(f.rule == TEMPLATE_UNKNOWN for form in known for f in form.findings)


@pytest.mark.parametrize("line, printed, year, total", [
    ("原州区2022年自治区专项资金项目绩效目标自评表(2022年度)项目总得分99分", "原州区2022年自治区专项资金项目绩效目标自评表",
     2022, "99"),
    ("银川市本级部门项目支出绩效自评表(2021年) 自评得分98.5", "银川市本级部门项目支出绩效自评表", 2021, "98.5"),
    ("财政项目支出绩效自评表", "财政项目支出绩效自评表", None, None),
])
def test_a_total_stated_after_the_title_is_the_forms_total_score(line, printed, year, total):
    from decimal import Decimal

    title = read_title(line)
    assert (title.printed, title.year) == (printed, year)
    assert title.total_score == (Decimal(total) if total else None)


def test_a_web_tables_forms_are_found_by_a_traditional_title(tmp_path):
    from pathlib import Path

    from corpus.build import load_gold
    from corpus.extractors import flat_text
    from extract.pipeline.document import read_flat_text_file
    from extract.sources.files import sha256_of

    text = flat_text("web-table", records=load_gold()[:2])
    path = tmp_path / "web.txt"
    path.write_text(text.replace("财政项目支出绩效自评表", "項目支出績效自評表"), encoding="utf-8")
    forms = read_flat_text_file(path, sha256_of(path))
    assert [f.record["title"] for f in forms] == ["項目支出績效自評表"] * 2
    assert [f.record["project_name"] for f in forms] == [r["project_name"] for r in load_gold()[:2]]


def test_the_label_tables_know_every_known_familys_columns_no_key_holds():
    from extract.layout.templates import label_tables

    assert "原因" in label_tables().extra_columns            # Sichuan's funding column
    assert not set(label_tables().extra_columns) & {"复核分"}  # Hubei's: a held-out family, not known
