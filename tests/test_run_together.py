"""Figures of neighbouring cells run together (`194.9194.9100%`): cut where
the row's arithmetic and how figures print allow one reading only."""

import pytest

from corpus.build import family_forms
from corpus.extractors import copied_text
from extract.parse.run_together import is_run_together, row_holds, split_run_together

REFERENCE = ["initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score"]


@pytest.mark.parametrize("token, run", [
    ("194.9194.9100%", True), ("000", True), ("99.38%9.93", True), ("0.000.00", True),
    ("1,234.5", False), ("10", False), ("2023", False), ("0.5", False), ("总额", False), ("-", False),
])
def test_which_tokens_are_figures_run_together(token, run):
    assert is_run_together(token) is run


@pytest.mark.parametrize("values, columns, figures", [
    (["194.9194.9100%"], ["annual_budget", "executed", "execution_rate"], ["194.9", "194.9", "100%"]),
    (["99.3499.3499.321099.979.99"], REFERENCE, ["99.34", "99.34", "99.32", "10", "99.97", "9.99"]),
    (["3,719,900.003,719,900.003,697,200.0010.0099.389.93"], REFERENCE,
     ["3,719,900.00", "3,719,900.00", "3,697,200.00", "10.00", "99.38", "9.93"]),
    (["371.99371.99369.72109910"], REFERENCE, ["371.99", "371.99", "369.72", "10", "99", "10"]),  # Hebei rounds
    (["000", "-", "-", "-"], REFERENCE, ["0", "0", "0", "-", "-", "-"]),
    (["99.34", "99.3499.32", "10", "99.979.99"], REFERENCE, ["99.34", "99.34", "99.32", "10", "99.97", "9.99"]),
])
def test_figures_run_together_are_cut_the_one_way_the_row_allows(values, columns, figures):
    assert split_run_together(values, columns) == (figures, True)


def test_a_row_whose_arithmetic_no_cut_meets_is_not_cut():
    # 657.30 executed of 631.04 is 104.16%, not the 96.00 printed
    assert split_run_together(["631.04657.30", "96.00"], ["annual_budget", "executed", "execution_rate"]) is None


def test_how_figures_print_cuts_where_no_rule_checks():
    """No budget to check the rate by, no weight for the score: a rate and
    a score print two decimals at most, so 99.38|99.3 is the one reading."""
    assert split_run_together(["99.3899.3", "-"], ["execution_rate", "score", "weight"]) == (["99.38", "99.3", "-"], True)


def test_a_row_holds_cut_or_rounded_at_its_printed_places():
    assert row_holds({"annual_budget": "43.2", "executed": "37.24", "execution_rate": "86"})
    assert row_holds({"annual_budget": "43.2", "executed": "37.24", "execution_rate": "86.20"})
    assert not row_holds({"annual_budget": "43.2", "executed": "37.24", "execution_rate": "86.21"})
    assert row_holds({"weight": "10", "execution_rate": "86.2", "score": "9"})
    assert not row_holds({"weight": "10", "execution_rate": "86.2", "score": "7"})


@pytest.mark.parametrize("family", ["shanghai_district", "hebei", "hunan_county"])
def test_family_forms_with_funding_figures_run_together_read_as_printed(family, tmp_path):
    """A copied form whose funding rows lost the separators between figures
    (元 with thousands separators, Hebei's integers, a table with no 分值):
    every funding figure as printed, none doubted for it."""
    from extract.checks.compare import fields_equal
    from extract.model import iter_fields
    from corpus.build import as_printed
    from extract.pipeline.document import read_flat_text_file

    records, styles = family_forms(family, 2)
    path = tmp_path / "run-together.txt"
    text = copied_text("run-together", records, styles)
    assert any(is_run_together(line) for line in text.splitlines())
    path.write_text(text, encoding="utf-8")
    forms = read_flat_text_file(path, "0" * 64)
    assert len(forms) == len(records)
    for record, style, form in zip(records, styles, forms):
        expected = {p: v for p, v in iter_fields(as_printed(record, style)) if str(p).startswith("funding.")}
        got = dict(iter_fields(form.record))
        assert all(fields_equal(value, got.get(path)) for path, value in expected.items())
        assert not any("run together" in f.message for f in form.findings)
