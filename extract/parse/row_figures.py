"""A row's 分值 and 得分 that a narrow cell wrapped, in a row-ordered text.

A figure wider than its 分值/得分 cell wraps after its point (`10.00` in a
38-pt cell at 11 pt prints `10.0` and, on the cell's next line, `0`): the
row's anchor line holds the figures' first pieces and the line after it
(the next one of the table, over a page break the first after the repeated
header) their last digits, where the two columns stand.  Read as printed,
that line is a row of its own (`0 0` reads as a 分值 and a 得分).

The pieces join only where the document says its figures are cut: it
prints the figures of its rows with a number of decimals (`decimals`), the
pieces with fewer and the figures joined with exactly that many.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from extract.parse.row_bands import Token
from extract.parse.values import is_number_token, is_weight_and_score

# what a wrapped figure leaves for the cell's next line: a digit or two
_DIGITS = re.compile(r"\d{1,2}")
_FIGURE = re.compile(r"\d+\.\d*")
# how many columns a wrapped digit may stand off its figure's first (pdftotext
# sets a line's characters by where they print: CJK text before them moves
# them a few columns, the more over a page break, where the row's other
# cells print other text)
X_REACH = 5.0


@dataclass
class Joined:
    """The lines with the wrapped figures joined, and the lines (positions)
    whose figures may be wrapped but could not be joined for sure."""
    lines: list[list[Token]]
    unsure: list[int]


def decimals_of(figure: str) -> int | None:
    """How many decimals a plain figure prints (`10.0` 1, `10.` 0), None if it has no point."""
    return len(figure) - figure.index(".") - 1 if _FIGURE.fullmatch(figure) else None


def _pair_at(words: list[Token]) -> int | None:
    """Where a line's 分值 stands: the last two plain figures with no number after them."""
    for k in range(len(words) - 2, -1, -1):
        a, b = words[k].text, words[k + 1].text
        if re.fullmatch(r"\d+(?:\.\d*)?", a) and re.fullmatch(r"\d+(?:\.\d*)?", b):
            after = words[k + 2:]
            return k if not any(is_number_token(w.text) for w in after) else None
    return None


def _digit_run(words: list[Token]) -> tuple[int, int] | None:
    """The bare digits a wrapped figure may have left on a line without x:
    the last run of one or two, no number after it (only a remark's text)."""
    end = len(words)
    while end > 0 and not _DIGITS.fullmatch(words[end - 1].text):
        if is_number_token(words[end - 1].text):
            return None
        end -= 1
    start = end
    while start > 0 and end - start < 2 and _DIGITS.fullmatch(words[start - 1].text):
        start -= 1
    if start == end or (start > 0 and _DIGITS.fullmatch(words[start - 1].text)):
        return None     # none, or a run of three: a row's figures, not two cells' ends
    return start, end


def figure_decimals(lines: list[list[Token]]) -> int | None:
    """How many decimals the document prints its rows' 分值 and 得分 with:
    the most common count on the lines holding a row's two figures (a
    分值 and a 得分 they can be) where the next line holds no bare digits (no
    figure there can be wrapped); None where there are none."""
    counts: Counter = Counter()
    for k, words in enumerate(lines):
        at = _pair_at(words)
        if at is None or not is_weight_and_score(words[at].text, words[at + 1].text) or \
                k + 1 < len(lines) and _digit_run(lines[k + 1]):
            continue
        for word in words[at:at + 2]:
            counts[decimals_of(word.text) or 0] += 1
    if not counts:
        return None
    best, _ = counts.most_common(1)[0]
    return best


def _pieces(anchor: list[Token], at: int, below: list[Token]) -> list[tuple[int, int]] | None:
    """Which of the line's words below continue which figure (0 分值, 1 得分):
    by x where the text has it, else the line's last bare digits (one for
    each of two figures, one alone for either: both tried)."""
    figures = anchor[at:at + 2]
    if all(w.x is not None for w in figures + below):
        out = []
        for k, word in enumerate(below):
            nearest = min((0, 1), key=lambda f: abs(word.x - figures[f].x))
            if _DIGITS.fullmatch(word.text) and abs(word.x - figures[nearest].x) <= X_REACH:
                out.append((k, nearest))
        return out if out and len({f for _, f in out}) == len(out) else None
    run = _digit_run(below)
    if run is None:
        return None
    start, end = run
    return [(start, 0), (start + 1, 1)] if end - start == 2 else [(start, -1)]


def _joins(figures: list[str], pieces: list[tuple[int, int]], below: list[Token], decimals: int) -> list[tuple[str, str]]:
    """The ways of joining the pieces to the figures they end that leave both
    a 分值 and a 得分 of the document's decimals, every joined one cut before."""
    options = [pieces] if all(f >= 0 for _, f in pieces) else [[(pieces[0][0], f)] for f in (0, 1)]
    out = []
    for option in options:
        joined = list(figures)
        for k, f in option:
            joined[f] += below[k].text
        cut = all(decimals_of(figures[f]) is not None and decimals_of(figures[f]) < decimals
                  and decimals_of(joined[f]) == decimals for _, f in option)
        if cut and is_weight_and_score(*joined):
            out.append((joined[0], joined[1]))
    return out


def join_wrapped_figures(lines: list[list[Token]], decimals: int | None) -> Joined:
    """The lines with each row's 分值 and 得分 wrapped onto the next line joined
    back (their digits taken off that line); lines whose figures read as cut
    but join no single way are kept as printed and listed unsure."""
    lines = [list(words) for words in lines]
    unsure: list[int] = []
    for k in range(1, len(lines) - 1):
        _join_centred(lines, k, decimals, unsure)
    if decimals is None or decimals == 0:
        return Joined(lines, unsure)
    for k in range(len(lines) - 1):
        at = _pair_at(lines[k])
        if at is None:
            continue
        figures = [w.text for w in lines[k][at:at + 2]]
        if not any(decimals_of(f) is not None and decimals_of(f) < decimals for f in figures):
            continue        # figures as the document prints them whole
        below = lines[k + 1]
        pieces = _pieces(lines[k], at, below)
        joins = _joins(figures, pieces, below, decimals) if pieces else []
        if len(joins) != 1:
            if pieces:
                unsure.append(k)
            continue
        for f, text in enumerate(joins[0]):
            lines[k][at + f] = replace(lines[k][at + f], text=text)
        taken = {i for i, _ in pieces}
        lines[k + 1] = [w for i, w in enumerate(below) if i not in taken]
    return Joined(lines, unsure)


def _lone_figure(words: list[Token], cut: bool) -> int | None:
    """Where a line's last number stands when it is a plain figure alone (no
    number right before it, only text after it); `cut`: a figure ending in
    decimals a wrap may have cut (it has a point)."""
    for k in range(len(words) - 1, -1, -1):
        if is_number_token(words[k].text):
            ok = (_FIGURE if cut else re.compile(r"\d+(?:\.\d+)?")).fullmatch(words[k].text)
            alone = k == 0 or not is_number_token(words[k - 1].text)
            return k if ok and alone else None
    return None


def _join_centred(lines: list[list[Token]], k: int, decimals: int | None, unsure: list[int]) -> None:
    """A centred row whose one figure a narrow cell wrapped: its first piece
    prints on the line above the row's middle line and its last digits on
    the line below, the other figure (one line) on the middle line alone
    (`14.5` / `15` / `0`).  Joined into a pair on the middle line where the
    three lines hold nothing else that could be the row's figures; which of
    the two the wrapped one is, by x where the text has it, else by which
    order makes a 分值 and a 得分 (both: the row's line listed unsure)."""
    above, mid, below = lines[k - 1], lines[k], lines[k + 1]
    if any(_pair_at(words) is not None for words in (above, mid, below)):
        return
    m, a = _lone_figure(mid, False), _lone_figure(above, True)
    if m is None or a is None:
        return
    run = _digit_run(below)
    if run is None or run[1] - run[0] != 1:
        return
    b = run[0]
    piece, digits, whole = above[a], below[b], mid[m]
    joined = piece.text + digits.text
    if decimals_of(piece.text) >= (decimals or 2) or decimals and decimals_of(joined) != decimals:
        return          # the piece is a figure printed whole
    if all(t.x is not None for t in (piece, digits, whole)):
        if abs(piece.x - digits.x) > X_REACH:
            return
        orders = [piece.x > whole.x]
    else:
        orders = [True, False]
    orders = [o for o in orders if is_weight_and_score(*((whole.text, joined) if o else (joined, whole.text)))]
    if not orders:
        return
    if len(orders) > 1:
        unsure.append(k)
    token = replace(piece, text=joined)
    lines[k] = mid[:m + 1] + [token] + mid[m + 1:] if orders[0] else mid[:m] + [token] + mid[m:]
    lines[k - 1] = above[:a] + above[a + 1:]
    lines[k + 1] = below[:b] + below[b + 1:]
