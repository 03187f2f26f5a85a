"""The funding table of a box text: its figures back into rows and columns.

pdfminer prints the table's figures as boxes in the order of its grouping:
whole columns one after another (年初预算数 of the four rows, then 全年预算数
…), a row, or blocks of either.  Which order it was is not printed, so
every plausible order -- the table cut into at most 2 x 3 blocks, each read
row by row or column by column -- is tried and scored by the arithmetic the
form obeys (FORM_RECORD.md): execution rate = executed / annual budget,
score = weight x rate, the total row the sum of the others, no weight or
score outside the total row.  The best-scoring reading wins; where several
differ in what they give a field, or none fits the arithmetic, the fields
are in doubt.
"""

from __future__ import annotations

import functools
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from operator import itemgetter

from extract.parse.values import parse_number

Cell = tuple[int, int]     # (row, column) of the grid

COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
ROWS = ("total", "current_appropriation", "carryover", "other")


@functools.cache
def _orders(rows: int, cols: int, lead: int | None = None) -> tuple[tuple[Cell, ...], ...]:
    """Orders in which pdfminer may print a rows x cols grid's cells: its
    grouping is a binary tree, so the grid is cut in two (across or along),
    the upper or left part first, at most four times, and each part is
    printed row by row or column by column.  `lead`: a column that printed
    first with its label (执行率 grouped with its figures), so the columns
    from it on may come first."""
    orders = list(_block_orders(0, rows, 0, cols, 4))
    if lead:
        for spare in range(4):
            for right in _block_orders(0, rows, lead, cols, spare):
                for left in _block_orders(0, rows, 0, lead, 3 - spare):
                    orders.append(right + left)
    return tuple(dict.fromkeys(orders))


@functools.cache
def _block_orders(r0: int, r1: int, c0: int, c1: int, cuts: int) -> tuple[tuple[Cell, ...], ...]:
    orders = [tuple((r, c) for r in range(r0, r1) for c in range(c0, c1)),
              tuple((r, c) for c in range(c0, c1) for r in range(r0, r1))]
    if cuts:
        for k in range(r0 + 1, r1):
            for spare in range(cuts):
                for top in _block_orders(r0, k, c0, c1, spare):
                    for bottom in _block_orders(k, r1, c0, c1, cuts - 1 - spare):
                        orders.append(top + bottom)
        for k in range(c0 + 1, c1):
            for spare in range(cuts):
                for left in _block_orders(r0, r1, c0, k, spare):
                    for right in _block_orders(r0, r1, k, c1, cuts - 1 - spare):
                        orders.append(left + right)
    return tuple(dict.fromkeys(orders))


def _trunc(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _printed_as(exact: Decimal, printed: Decimal) -> bool:
    """Whether a rate or score prints `exact` by one of the families' rules
    (`extract.layout.templates.RATE_RULES`): truncated or rounded to the
    cent, or rounded to an integer (河北 prints 99 for 99.39)."""
    readings = (_trunc(exact), exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return any(abs(r - printed) <= Decimal("0.011") for r in readings)


def _score(grid: dict[tuple[str, str], Decimal | None]) -> float:
    """How well a reading fits the form's arithmetic (higher is better)."""
    rows = tuple(dict.fromkeys(r for r, _ in grid))
    cols = tuple(dict.fromkeys(c for _, c in grid))
    return _scorer(rows, cols)(tuple(grid.get((r, c)) for r in rows for c in cols))[0]


@functools.cache
def _scorer(rows: tuple[str, ...], cols: tuple[str, ...]):
    """`_score` of a grid given row by row, for one shape of grid: the
    rows' own rules (each distinct row scored once: the same rows recur
    across readings), the total row's, and the columns' sums.  Returns the
    points and whether the grid fits every rule it can check (each row
    with a budget its rate, the total row its score, where the grid has
    those columns)."""
    width = len(cols)
    slices = [(row == "total", slice(k * width, (k + 1) * width)) for k, row in enumerate(rows)]
    at = {c: i for i, c in enumerate(cols)}
    total = rows.index("total") * width if "total" in rows else None
    total_cells = [None if total is None or c not in at else total + at[c]
                   for c in ("weight", "execution_rate", "score")]
    sums = [([k * width + at[col] for k, row in enumerate(rows) if row != "total"], total + at[col])
            for col in ("initial_budget", "annual_budget", "executed") if col in at and total is not None]
    scored = all(c is not None for c in total_cells)

    def score(values: tuple) -> tuple[float, bool]:
        points, fits = 0.0, True
        for is_total, cells in slices:
            row_points, row_fits = _row_points(is_total, cols, values[cells])
            points += row_points
            fits = fits and row_fits
        weight, rate, score = (None if i is None else values[i] for i in total_cells)
        if weight is not None and rate is not None and score is not None:
            right = _printed_as(min(weight * rate / 100, weight), score)
            points += 2 if right else -1
            fits = fits and right
        elif scored:
            fits = False
        if weight is not None and score is not None:
            points += 0.5 if score <= weight else -1
            fits = fits and score <= weight
        for parts_at, total_at in sums:
            parts = [values[i] for i in parts_at]
            if values[total_at] is not None and parts and None not in parts:
                right = abs(sum(parts) - values[total_at]) <= Decimal("0.011")
                points += 1 if right else -0.5
                fits = fits and right
        return points, fits

    return score


@functools.lru_cache(maxsize=65536)
def _row_points(is_total: bool, cols: tuple[str, ...], values: tuple) -> tuple[float, bool]:
    """The rules one funding row obeys on its own: points, and whether the
    row fits every rule it can check (a row with a budget and a rate
    column prints its rate)."""
    get = dict(zip(cols, values)).get
    points, fits = 0.0, True
    annual, executed, rate = get("annual_budget"), get("executed"), get("execution_rate")
    if annual is not None and executed is not None and rate is not None:
        right = _printed_as(executed / annual * 100, rate) if annual else rate == 0
        points += 2 if right else -1
        fits = right
    elif "execution_rate" in cols and annual:
        fits = False          # a budget and no rate: the rate is elsewhere
    if annual is not None and executed is not None:
        points += 0.5 if executed <= annual else -0.5
        fits = fits and executed <= annual
    if annual is not None and get("initial_budget") == annual:
        points += 0.1       # a tie-break: budgets seldom change in the year
    if not is_total:
        points += 0.3 * sum(get(c) is None for c in ("weight", "score") if c in cols)
        points -= 0.5 * sum(get(c) is None for c in ("initial_budget", "annual_budget", "executed") if c in cols)
        fits = fits and all(get(c) is None for c in ("weight", "score") if c in cols)
    return points, fits


def _number(token: str) -> Decimal | None:
    try:
        return parse_number(token)
    except ValueError:
        return None


def solve_funding(tokens: list[str], rows: list[str], cols: list[str], printed_cols: list[str] | None = None,
                  lead: str | None = None, anchors: list[tuple[str, int]] | None = None
                  ) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]]]:
    """The printed figure of each (row, column), and the cells in doubt.
    `printed_cols`: the columns in the order their header labels print,
    where that differs from the table's: pdfminer may group a column with
    its label and print it out of place (得分 before 分数), so that order is
    tried too and the reading that fits the arithmetic better wins.
    `lead`: the column whose label printed right before the first figure
    (the columns from it on may print first, `_orders`).
    `anchors`: (column, position of a figure) where a column's label printed
    right before its column's figures (as many as the grid has rows, then
    no figure; or amid the figures, before at least as many): that column
    grouped with its label, printed from there top to bottom, the other
    figures around it (`_anchored_positions`)."""
    grid, doubt, best = _solve(tokens, rows, cols, lead, anchors)
    if printed_cols and sorted(printed_cols) == sorted(cols) and list(printed_cols) != list(cols):
        other, other_doubt, other_best = _solve(tokens, rows, list(printed_cols), lead, anchors)
        if other_best > best + 1e-9:
            return other, other_doubt
        if other_best > best - 1e-9 and other != grid:
            doubt |= other_doubt | {key for key in grid if other.get(key) != grid[key]}
    return grid, doubt


def _solve(tokens: list[str], rows: list[str], cols: list[str], lead: str | None = None,
           anchors: list[tuple[str, int]] | None = None) -> tuple[dict, set, float]:
    cells = len(rows) * len(cols)
    if len(tokens) != cells or not cells:
        # not the grid's count: read column by column as far as it goes, all in doubt
        order = [(r, c) for c in range(len(cols)) for r in range(len(rows))]
        got = {(rows[r], cols[c]): t for (r, c), t in zip(order, tokens)}
        return got, {(row, col) for row in rows for col in cols}, float("-inf")
    values = [_number(t) for t in tokens]
    keys = [(row, col) for row in rows for col in cols]
    # many orders give the same grid (rows of zeros, columns of dashes): score each grid once
    grids: dict[tuple, tuple[int, ...]] = {}
    anchored = tuple((cols.index(c), at) for c, at in anchors or () if c in cols)
    for where in _positions(len(rows), len(cols), cols.index(lead) if lead in cols else None) \
            + _anchored_positions(len(rows), len(cols), anchored):
        grids.setdefault(itemgetter(*where)(values), where)
    score = _scorer(tuple(rows), tuple(cols))
    scored = [(*score(grid), grid, where) for grid, where in grids.items()]
    best = max(s for s, _, _, _ in scored)
    readings = [(grid, where, fits) for s, fits, grid, where in scored if s >= best - 1e-9]
    grid, where, fits = readings[0]
    chosen = {key: tokens[i] for key, i in zip(keys, where)}
    doubt = {key for k, key in enumerate(keys) if any(other[k] != grid[k] for other, _, _ in readings[1:])}
    if not fits:
        doubt = set(chosen)
    return chosen, doubt, best


@functools.cache
def _positions(rows: int, cols: int, lead: int | None = None) -> tuple[tuple[int, ...], ...]:
    """Per order: the position in the text of each cell, row by row."""
    out = []
    for order in _orders(rows, cols, lead):
        where = [0] * (rows * cols)
        for i, (r, c) in enumerate(order):
            where[r * cols + c] = i
        out.append(tuple(where))
    return tuple(out)


@functools.cache
def _anchored_positions(rows: int, cols: int, anchors: tuple[tuple[int, int], ...]) -> tuple[tuple[int, ...], ...]:
    """Per order: the position of each cell, row by row, where each anchored
    column (column, first position) holds the `rows` figures from its
    position on, top to bottom, and the other figures, in print order, fill
    the other columns in an order of their own grid (`_orders`).  pdfminer
    groups such a column with its label apart from the cells around it and
    may print it between the parts of the rest (the total row's other
    figures before it, the other rows' after), an order no cutting of the
    whole grid gives."""
    anchors = tuple(dict((c, at) for c, at in anchors).items())
    runs = [set(range(at, at + rows)) for _, at in anchors]
    taken = set().union(*runs) if runs else set()
    if not anchors or len(taken) != rows * len(anchors) or max(taken) >= rows * cols:
        return ()
    free_cols = [c for c in range(cols) if c not in {c for c, _ in anchors}]
    free_at = [i for i in range(rows * cols) if i not in taken]
    base = [0] * (rows * cols)
    for c, at in anchors:
        for r in range(rows):
            base[r * cols + c] = at + r
    out = []
    for order in (_orders(rows, len(free_cols)) if free_cols else ((),)):
        where = list(base)
        for i, (r, j) in enumerate(order):
            where[r * cols + free_cols[j]] = free_at[i]
        out.append(tuple(where))
    return tuple(out)
