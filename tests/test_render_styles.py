"""Typesetting styles of the renderer: each option shows in the PDF, and the
default typesetting keeps the original layout word for word."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections import Counter
from decimal import Decimal

import pdfplumber
import pytest

from corpus.build import load_gold
from corpus.render import (
    AS_GIVEN,
    FONTS,
    INDICATOR_COL_VARIANTS,
    MARGIN_X,
    PAGE_H,
    STYLES,
    TABLE_W,
    FormStyle,
    Typesetting,
    _fmt,
    render_forms,
)

# extract_words() positions of the 19 gold forms as the renderer prints them
# by default (word count, sha256 of the rounded positions): the layout
# typesettings were added to, changed once since, on purpose, when line
# breaking became Word's (no line starts with a closing bracket or a comma,
# a run of digits and Latin signs is one word)
# (2899 words, 3ea02397… before).
ORIGINAL_GOLD_WORDS = (2900, "b5f9502d428aa230fdf70201c9a1601afb7d600b0531f3fc17b8a9a473f9e30d")


@pytest.fixture(scope="module")
def gold():
    return load_gold()


def render(tmp_path, records, name="out", **options):
    """Render records typeset with `options`; return the open pdfplumber document."""
    style = FormStyle(typesetting=Typesetting(**options))
    result = render_forms(records, tmp_path / f"{name}.pdf", [style] * len(records))
    return result, pdfplumber.open(result.path)


def render_each(tmp_path, record, variants, name="each"):
    """One PDF holding `record` once per typesetting in `variants` (one font
    load for all); return the open document and each form's page."""
    styles = [FormStyle(typesetting=Typesetting(**options)) for options in variants]
    result = render_forms([record] * len(styles), tmp_path / f"{name}.pdf", styles)
    assert result.form_pages == [[n] for n in range(1, len(styles) + 1)]   # a page each
    pdf = pdfplumber.open(result.path)
    return pdf, pdf.pages


def page_texts(page, **kwargs):
    return [w["text"] for w in page.extract_words(**kwargs)]


def word_rows(pdf):
    return [[n, w["text"], round(w["x0"], 2), round(w["top"], 2), round(w["x1"], 2), round(w["bottom"], 2)]
            for n, page in enumerate(pdf.pages, 1) for w in page.extract_words()]


def texts(pdf, **kwargs):
    return [w["text"] for page in pdf.pages for w in page.extract_words(**kwargs)]


def long_form(gold):
    """A gold form whose indicator table runs over several pages, with
    deviation texts many lines long (so rows meet the page break)."""
    record = copy.deepcopy(gold[0])
    base = record["indicators"]
    record["indicators"] = []
    for n in range(24):
        indicator = copy.deepcopy(base[n % len(base)])
        indicator["name"] = f"指标{n:02d}"
        indicator["deviation"] = f"偏差说明{n:02d}：" + "按照项目计划完成既定任务，" * (4 + n % 5)
        record["indicators"].append(indicator)
    return record


# --- the default keeps the original layout -----------------------------------

def test_default_render_keeps_original_word_positions(tmp_path, gold):
    result = render_forms(gold, tmp_path / "default.pdf")
    with pdfplumber.open(result.path) as pdf:
        rows = word_rows(pdf)
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
    assert (len(rows), digest) == ORIGINAL_GOLD_WORDS


def test_reference_style_is_the_default(tmp_path, gold):
    assert STYLES["reference"] == Typesetting() == FormStyle().typesetting
    records = gold[:3]
    default = render_forms(records, tmp_path / "default.pdf")
    explicit = render_forms(records, tmp_path / "reference.pdf",
                            [FormStyle(typesetting=STYLES["reference"])] * len(records))
    assert default.form_pages == explicit.form_pages
    assert default.path.read_bytes() == explicit.path.read_bytes()


# --- validation ----------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"font": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"},
    {"font_size": 8}, {"font_size": 13},
    {"indicator_cols": (50.0,) * 8}, {"indicator_cols": "narrow"},
    {"align": "bottom"}, {"decimals": 3}, {"decimals": True},
    {"fullwidth_punct": "mixed"}, {"rule_width": 5}, {"rule_width": "hairline"},
    {"ge_glyph": ">="}, {"ge_char": ">="}, {"break_rows": "yes"},
])
def test_invalid_typesettings_are_refused(options):
    with pytest.raises(ValueError):
        Typesetting(**options)


def test_ge_glyph_refused_for_a_font_without_it():
    for font in ("wqy-zenhei", "uming"):
        for option in ("ge_glyph", "ge_char"):
            with pytest.raises(ValueError, match="no glyph"):
                Typesetting(font=font, **{option: "⩾"})
    Typesetting(font="droid", ge_glyph="⩾", ge_char="⩾")      # Droid's Latin fallback has it


def test_typesetting_is_frozen_and_named_styles_are_valid():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Typesetting().font_size = 10
    assert {"reference", "uming-11-top", "droid-12-wide", "word-breaks", "dense-9"} <= set(STYLES)
    assert all(isinstance(ts, Typesetting) for ts in STYLES.values())


# --- each option shows in the PDF ----------------------------------------------

@pytest.mark.parametrize("font, fontname", [
    ("wqy-zenhei", "WenQuanYiZenHei"), ("uming", "ARPLUMing"), ("droid", "DroidSansFallback"),
])
def test_font(tmp_path, gold, font, fontname):
    _, pdf = render(tmp_path, gold[:1], font=font)
    with pdf:
        fonts = Counter(c["fontname"].split("+")[-1] for page in pdf.pages for c in page.chars)
        words = texts(pdf)
    assert any(name.startswith(fontname) for name in fonts)
    # pdfplumber sees the characters, digits included (Droid's come from DejaVu).
    assert "2023年上海科技统计" in words and "99.34" in words and "财政项目支出绩效自评表" in words


def test_font_size_scales_text_and_rows(tmp_path, gold):
    _, small = render(tmp_path, gold[:1], "small")
    _, large = render(tmp_path, gold[:1], "large", font_size=12)
    with small, large:
        sizes = Counter(round(c["size"], 1) for c in large.pages[0].chars)
        assert sizes.most_common(1)[0][0] == 12.0 and 13.0 in sizes and 14.0 in sizes
        def row_of(pdf, text):
            word = next(w for w in pdf.pages[0].extract_words() if w["text"] == text)
            rect = min((r for r in pdf.pages[0].rects if r["x0"] <= word["x0"] and r["x1"] >= word["x1"]
                        and r["top"] <= word["top"] and r["bottom"] >= word["bottom"]),
                       key=lambda r: r["height"])
            return rect["height"]
        assert row_of(small, "上年结转资金") == pytest.approx(18.0, abs=0.01)
        assert row_of(large, "上年结转资金") == pytest.approx(24.0, abs=0.01)


def test_decimals(tmp_path, gold):
    variants = [{"decimals": d} for d in (0, 1, 2, AS_GIVEN)]
    pdf, pages = render_each(tmp_path, gold[0], variants)
    with pdf:
        seen = dict(zip((0, 1, 2, AS_GIVEN), (page_texts(page) for page in pages)))
    assert "10.00" in seen[2] and "100.00" in seen[2] and "0.00" in seen[2]
    assert "10.0" in seen[1] and "10.00" not in seen[1] and "99.34" in seen[1]
    assert "10" in seen[0] and "100" in seen[0] and "10.0" not in seen[0] and "9.99" in seen[0]
    assert "10" in seen[AS_GIVEN] and "0" in seen[AS_GIVEN] and "99.34" in seen[AS_GIVEN]
    assert _fmt(Decimal("9.50"), FormStyle(typesetting=Typesetting(decimals=0))) == "9.50"  # no digit lost
    assert _fmt(Decimal("9.50"), FormStyle(typesetting=Typesetting(decimals=AS_GIVEN))) == "9.5"
    assert _fmt(Decimal("1E+2"), FormStyle(typesetting=Typesetting(decimals=AS_GIVEN))) == "100"


def test_align_top(tmp_path, gold):
    record = copy.deepcopy(gold[0])
    record["indicators"][0]["deviation"] = "按照项目计划完成既定任务，" * 3
    pdf, pages = render_each(tmp_path, record, [{"align": "centre"}, {"align": "top"}])
    tops = []
    with pdf:
        for page in pages:
            words = page.extract_words()
            first_line = next(w for w in words if w["text"].startswith("按照项目计划完成") and w["x0"] > 440)
            weight = next(w for w in words if w["text"] == "10.00" and abs(w["top"] - first_line["top"]) < 40)
            tops.append(weight["top"] - first_line["top"])
    assert tops[0] > 5                  # centred: the one-line cell's text sits lower
    assert tops[1] == pytest.approx(0, abs=0.5)


def test_cjk_digit_gap(tmp_path, gold):
    pdf, (plain, gap) = render_each(tmp_path, gold[0], [{}, {"cjk_digit_gap": True}])
    with pdf:
        assert "（2023年度）" in page_texts(plain, x_tolerance=1)
        spaced = page_texts(gap, x_tolerance=1)
        assert "（2023" in spaced and "年度）" in spaced
        assert "2023 年上海科技统计" in gap.extract_text(x_tolerance=1)
    from pdfminer.high_level import extract_text
    assert "2023年" in extract_text(str(tmp_path / "each.pdf"), page_numbers=[0])
    assert "（2023 年度）" in extract_text(str(tmp_path / "each.pdf"), page_numbers=[1])


def test_fullwidth_punct(tmp_path, gold):
    pdf, (full, half) = render_each(tmp_path, gold[0], [{"fullwidth_punct": "full"}, {"fullwidth_punct": "half"}])
    with pdf:
        full_text, half_text = full.extract_text(), half.extract_text()
    assert "执行率（%）" in full_text and "年度资金总额：" in full_text and "(" not in full_text
    assert "≥90.00（%）" in full_text                     # values too
    assert "执行率(%)" in half_text and "年度资金总额:" in half_text and "（" not in half_text
    assert "(2023年度)" in half_text and "其中:当年财政拨款" in half_text and "：" not in half_text


def test_repeat_header(tmp_path, gold):
    record = long_form(gold)
    _, plain = render(tmp_path, [record], "plain")
    result, repeated = render(tmp_path, [record], "repeated", repeat_header=True)
    assert result.pages >= 3
    header = {"一级", "二级", "三级指标", "年度指标值", "实际完成值"}
    with plain, repeated:
        for n, page in enumerate(repeated.pages[1:], start=2):
            assert header <= {w["text"] for w in page.extract_words() if w["top"] < 70}, n
        assert not header & {w["text"] for w in plain.pages[1].extract_words() if w["top"] < 70}


def test_break_rows(tmp_path, gold):
    record = long_form(gold)
    _, whole = render(tmp_path, [record], "whole")
    _, broken = render(tmp_path, [record], "broken", break_rows=True, repeat_header=True)
    cols = INDICATOR_COL_VARIANTS["reference"]
    dev_x0 = MARGIN_X + TABLE_W - cols[-1]
    name_x0 = MARGIN_X + sum(cols[:2])
    with whole, broken:
        page1, page2 = broken.pages[0], broken.pages[1]
        bottom = PAGE_H - 50.0
        # The table runs to the foot of page 1: the cut row's first piece ends at the margin.
        assert max(r["bottom"] for r in page1.rects) == pytest.approx(bottom, abs=0.05)
        assert max(r["bottom"] for r in whole.pages[0].rects) < bottom - 1
        last_on_1 = max((w for w in page1.extract_words() if w["x0"] >= dev_x0), key=lambda w: w["top"])
        cut = next(ind for ind in record["indicators"] if last_on_1["text"] in ind["deviation"])
        # Page 2: the repeated header, then the continuation piece of the cut row.
        words2 = page2.extract_words()
        header = next(w for w in words2 if w["text"] == "三级指标")
        header_rect = next(r for r in page2.rects if r["x0"] <= header["x0"] <= r["x1"]
                           and r["top"] <= header["top"] and r["bottom"] >= header["bottom"])
        assert header_rect["top"] == pytest.approx(50.0, abs=0.05)
        piece = [r for r in page2.rects if abs(r["top"] - header_rect["bottom"]) < 0.05]
        assert len(piece) >= 6            # its cells are all drawn
        piece_bottom = min(r["bottom"] for r in piece)
        inside = [w for w in words2 if header_rect["bottom"] < w["top"] < piece_bottom]
        # Only the deviation cell continues: name, target, actual, weight and score are empty.
        assert inside and all(w["x0"] >= dev_x0 or w["x1"] <= name_x0 for w in inside)
        continued = [w for w in inside if w["x0"] >= dev_x0]
        assert continued and last_on_1["text"] + continued[0]["text"] in cut["deviation"]


def test_rule_width(tmp_path, gold):
    widths = (("thin", 0.3), ("thick", 1.2), (1.0, 1.0), (Typesetting.rule_width, 0.6))
    pdf, pages = render_each(tmp_path, gold[0], [{"rule_width": name} for name, _ in widths])
    with pdf:
        for page, (_, width) in zip(pages, widths):
            assert {round(r["linewidth"], 2) for r in page.rects} == {width}


def test_ge_char_and_ge_glyph(tmp_path, gold):
    """`ge_char` writes U+2A7E (text and image); `ge_glyph` draws ≥ as that
    same slanted glyph while the text stays ≥: the page looks like the
    first's, pixel for pixel, and reads like the plain one."""
    import pypdfium2

    variants = [{"font": "droid"}, {"font": "droid", "ge_char": "⩾"}, {"font": "droid", "ge_glyph": "⩾"}]
    pdf, (plain, char, glyph) = render_each(tmp_path, gold[0], variants)
    with pdf:
        assert "≥90.00(%)" in page_texts(plain) and "⩾" not in plain.extract_text()
        assert "⩾90.00(%)" in page_texts(char) and "≥" not in char.extract_text()
        assert page_texts(glyph) == page_texts(plain)
    images = [page.render(scale=2).to_pil().tobytes() for page in pypdfium2.PdfDocument(str(tmp_path / "each.pdf"))]
    assert images[2] == images[1] and images[0] != images[1]


def test_indicator_column_widths(tmp_path, gold):
    custom = (40.0, 40.0, 91.28, 70.0, 70.0, 40.0, 40.0, 124.0)
    cases = (("wide-deviation", INDICATOR_COL_VARIANTS["wide-deviation"]), (custom, custom))
    pdf, pages = render_each(tmp_path, gold[0], [{"indicator_cols": name} for name, _ in cases])
    with pdf:
        for page, (_, cols) in zip(pages, cases):
            header = next(w for w in page.extract_words() if w["text"] == "三级指标")
            lefts = sorted({round(r["x0"], 2) for r in page.rects if abs(r["top"] - header["top"]) < 12})
            edges = [MARGIN_X]
            for width in cols[:-1]:
                edges.append(edges[-1] + width)
            assert lefts == [round(x, 2) for x in edges]


@pytest.mark.parametrize("name", sorted(STYLES))
def test_named_styles_render_readable_forms(tmp_path, gold, name):
    result = render_forms(gold[:2], tmp_path / f"{name}.pdf", [FormStyle(typesetting=STYLES[name])] * 2)
    with pdfplumber.open(result.path) as pdf:
        text = "".join(page.extract_text() for page in pdf.pages).replace(" ", "")
    for record in gold[:2]:
        assert record["project_name"] in text
    assert FONTS[STYLES[name].font_key] == STYLES[name].font_path


def test_line_breaking_is_words_breaking():
    """No line starts with a closing bracket or a comma, none ends with an
    opening bracket, a run of digits and Latin signs is one word (a lone `)`
    or `%)` on a scanned line is what OCR drops)."""
    from corpus.render import _wrap
    from extract.layout.flat_format import wrap

    assert _wrap("=350(本)", 6, len) == ["=350", "(本)"]
    assert _wrap("甲乙≥90.00(%)", 9, len) == ["甲乙", "≥90.00(%)"]
    assert _wrap("≥90.00(%)", 6, len) == ["≥90.00", "(%)"]
    assert _wrap("甲乙，丙", 2, len) == ["甲", "乙，", "丙"]
    assert _wrap("甲乙丙", 2, len) == ["甲乙", "丙"]
    assert wrap("甲乙）丙", 2.0) == ["甲", "乙）", "丙"]
    assert wrap("甲乙丙", 2.0) == ["甲乙", "丙"]
