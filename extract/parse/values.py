"""Small pure parsers for what a cell prints: numbers, measures, cell text.

Every rule here is one of FORM_RECORD.md (*Values*, *Text as stored*).
Numbers are `decimal.Decimal` so that the contract's arithmetic stays exact.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from extract.layout.labels import (
    DASH_LOOKALIKES, MEASURE_OPERATOR_SYMBOLS, MEASURE_OPERATOR_WORDS, NULL_MARKS, NUMBER_EDGE_SPECKS,
    NUMERIC_CONFUSABLES,
)

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER_RE = re.compile(rf"^(?:{_NUMBER})$")
_BARE_UNIT_RE = re.compile(r"^[^\d\s()（）前内后完成以起止至及]{1,4}$")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
_CJK_SPACE_DIGIT = re.compile(rf"(?<={_CJK})[ \t]+(?=[\d])|(?<=[\d])[ \t]+(?={_CJK})")
_OPERATORS = sorted(
    list(MEASURE_OPERATOR_SYMBOLS.items()) + list(MEASURE_OPERATOR_WORDS.items()),
    key=lambda item: -len(item[0]),
)


class Measure(NamedTuple):
    op: str | None
    value: Decimal | None
    unit: str | None


NO_MEASURE = Measure(None, None, None)


def printed_places(figure: Decimal) -> int:
    """The decimals a figure prints (86 → 0, 86.20 → 2): the readers keep 86 apart from 86.00."""
    return max(0, -figure.as_tuple().exponent)


def cut_and_rounded(exact: Decimal, places: int) -> tuple[Decimal, Decimal]:
    """`exact` cut and rounded (half up) to `places` decimals: the two ways
    the regions print a derived figure (Shanghai cuts, Hebei rounds)."""
    step = Decimal(1).scaleb(-places)
    return exact.quantize(step, rounding=ROUND_DOWN), exact.quantize(step, rounding=ROUND_HALF_UP)


def parse_number(text: str | None) -> Decimal | None:
    """`215,457.6` → 215457.6, `86.19%` → 86.19; `-`, `—`, `/`, empty → None.

    Raises ValueError for text that is neither a number nor a null mark, so
    that a misread never passes silently as a missing value.
    """
    if text is None:
        return None
    cleaned = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if cleaned in NULL_MARKS:
        return None
    if cleaned in DASH_LOOKALIKES:
        return None
    cleaned = cleaned.translate(NUMERIC_CONFUSABLES).strip(NUMBER_EDGE_SPECKS)
    if cleaned in NULL_MARKS:
        return None
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    if not _NUMBER_RE.match(cleaned):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise ValueError(f"not a number: {text!r}") from exc


def is_weight_and_score(weight: str, score: str) -> bool:
    """Whether two printed figures can be a row's (or 总分's) 分值 and 得分:
    numbers, 0 < 分值 ≤ 100 and 0 ≤ 得分 ≤ 分值.  Settles how the pieces of
    figures a narrow cell wrapped join back, so a figure as no cell prints
    one (a needless leading 0, `010.0`, or ending in its point) is none."""
    if any(re.fullmatch(r"0\d.*|.*\.", figure.strip()) for figure in (weight, score)):
        return False
    try:
        w, v = parse_number(weight), parse_number(score)
    except ValueError:
        return False
    return w is not None and v is not None and 0 < w <= 100 and 0 <= v <= w


def parse_measure(printed: str | None) -> Measure:
    """Parse a 年度指标值/实际完成值 into (op, value, unit) per the contract."""
    if printed is None:
        return NO_MEASURE
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", printed))
    op = None
    for token, symbol in _OPERATORS:
        if text.startswith(token):
            op, text = symbol, text[len(token):]
            break
    match = re.match(rf"^({_NUMBER})", text)
    if not match:
        return NO_MEASURE
    value = Decimal(match.group(1).replace(",", ""))
    rest = text[match.end():]
    if rest == "":
        unit = None
    elif rest.startswith("(") and rest.endswith(")") and rest.count("(") == 1 and rest.count(")") == 1:
        unit = rest[1:-1]
    elif _BARE_UNIT_RE.match(rest):
        unit = rest
    else:
        return NO_MEASURE
    return Measure(op, value, unit)


@functools.lru_cache(maxsize=65536)
def clean_cell_text(text: str | None) -> str:
    """A cell's text as stored: layout line breaks removed, a space the layout
    put between a CJK character and a digit removed, characters as printed.
    Cached: the readers ask it of the same cells many times."""
    if text is None:
        return ""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    joined = _join_lines([line for line in lines if line])
    return _CJK_SPACE_DIGIT.sub("", joined).strip()


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines; keep one space only where two Latin words met."""
    out = ""
    for line in lines:
        if out and re.search(r"[A-Za-z]$", out) and re.match(r"^[A-Za-z]", line):
            out += " "
        out += line
    return out


def is_number_token(token: str) -> bool:
    """A token that is a whole number cell: a number or a null mark (`-`, `/`)."""
    if token in NULL_MARKS:
        return True
    try:
        parse_number(token)
        return True
    except ValueError:
        return False


def text_or_none(text: str | None) -> str | None:
    cleaned = clean_cell_text(text)
    return cleaned or None


def normalise_for_compare(text: str) -> str:
    """The contract's comparison of text: NFKC, no white space, no trailing
    `。；;，,`."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return folded.rstrip("。；;，,")
