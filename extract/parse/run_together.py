"""Figures of neighbouring cells run together (TEMPLATES.md, *Text as it
reaches us*): a funding row copied without the separators between its
cells, `194.9194.9100%` for 全年预算数 194.9, 全年执行数 194.9, 执行率 100%.

Where the cuts go is told by the row's arithmetic (执行率 = 全年执行数 /
全年预算数 × 100, 得分 = 分值 × 执行率 / 100) and by how figures print: no
leading zero, a row's money with one count of decimals, a rate or a score
with two at most, a weight and a score no more than 100.  `split_run_together`
gives the one reading that fits, and whether it alone fits; a row with no
reading that fits, or several different ones, is left to a person.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator

from extract.layout.labels import NULL_MARKS
from extract.parse.values import cut_and_rounded, printed_places

# A figure as a cell prints it: no leading zero but before the point, 0-4
# decimals; a rate may keep its %.
_FIGURE = re.compile(r"(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d{1,4})?%?")
_MONEY = ("initial_budget", "annual_budget", "executed")
_POINTS = ("weight", "score", "execution_rate")
# ways to read one row tried at most (a row's cells are few; this only bounds a pathological token)
MAX_READINGS = 20000


def is_run_together(token: str) -> bool:
    """A token of figures run together: digits, points, commas and a %
    that make no one figure (`194.9194.9100%`, `000`, `99.38%9.93`)."""
    return bool(re.fullmatch(r"\d[\d.,%]*", token)) and not _FIGURE.fullmatch(token)


def split_run_together(values: list[str], columns: list[str]) -> tuple[list[str], bool] | None:
    """The row's `values` cut into one figure per column of `columns` (the
    header's funding keys in printed order), where a token `is_run_together`:
    the reading whose arithmetic holds, and whether no reading giving other
    figures holds too.  None: no reading holds."""
    if len(values) >= len(columns) or not any(is_run_together(v) for v in values):
        return None
    fits: list[list[str]] = []
    for count, reading in enumerate(_readings(values, columns)):
        if count >= MAX_READINGS:
            break
        if _prints_alike(reading, columns) and row_holds(dict(zip(columns, reading))):
            fits.append(reading)
    if not fits:
        return None
    return fits[0], all(reading == fits[0] for reading in fits)


def row_holds(row: dict[str, str]) -> bool:
    """Whether a funding row's figures obey its arithmetic, each derived one
    the exact value cut or rounded to the places it prints (Shanghai cuts to
    two decimals, Hebei rounds to integers); a rule whose figures the row
    does not print holds (a row of zeros: how it prints alone tells its cuts)."""
    figures = {key: Decimal(value.rstrip("%").replace(",", "")) for key, value in row.items() if value not in NULL_MARKS}
    annual, executed, weight, rate, score = (figures.get(k) for k in
                                             ("annual_budget", "executed", "weight", "execution_rate", "score"))
    if annual and executed is not None and rate is not None and not _as_printed(executed * 100 / annual, rate):
        return False
    return weight is None or rate is None or score is None or _as_printed(
        min(weight, weight * min(rate, Decimal(100)) / 100), score)


def _as_printed(exact: Decimal, printed: Decimal) -> bool:
    return printed in cut_and_rounded(exact, printed_places(printed))


def _readings(values: list[str], columns: list[str]) -> Iterator[list[str]]:
    """Every way to cut `values` into len(columns) figures, in order."""
    def cut(k: int, column: int) -> Iterator[list[str]]:
        if k == len(values):
            if column == len(columns):
                yield []
            return
        left = len(columns) - column
        for pieces in _pieces(values[k], left - (len(values) - k - 1)):
            for rest in cut(k + 1, column + len(pieces)):
                yield pieces + rest
    yield from cut(0, 0)


def _pieces(token: str, most: int) -> Iterator[list[str]]:
    """`token` whole where it is one figure, or cut into up to `most` figures."""
    if most < 1:
        return
    if _FIGURE.fullmatch(token) or token in NULL_MARKS:
        yield [token]
    if most > 1 and re.fullmatch(r"[\d.,%]+", token):
        for end in range(1, len(token)):
            if _FIGURE.fullmatch(token[:end]):
                for rest in _pieces(token[end:], most - 1):
                    yield [token[:end]] + rest


def _prints_alike(reading: list[str], columns: list[str]) -> bool:
    """A row's figures as a form prints them: its money with one count of
    decimals, % only on the rate, points no more than 100 and two decimals."""
    money_places = set()
    for column, figure in zip(columns, reading):
        if figure in NULL_MARKS:
            continue
        percent = figure.endswith("%")
        number = figure.rstrip("%").replace(",", "")
        if not _FIGURE.fullmatch(figure):
            return False
        places = len(number.partition(".")[2])
        if percent and column != "execution_rate":
            return False
        if column in _MONEY:
            money_places.add(places)
        elif column in _POINTS and (places > 2 or Decimal(number) > 100 and column != "execution_rate"):
            return False
    return len(money_places) <= 1
