"""Seeded, deterministic synthetic form records (FORM_RECORD.md).

`generate_form(seed)` gives one record, shaped exactly as
`extract.model.empty_record()` shapes it; `generate_forms(split, count)` gives
form i of a split from seed ``SPLIT_SEEDS[split] + i``, so splits never share a
seed.  Everything is drawn from one `random.Random(seed)` with integer
arithmetic only, so a seed gives the same record on every run and machine.

Numbers are `Decimal` with 2 places; execution rates, scores and totals follow
the contract's arithmetic exactly (truncation to 2 decimals).  `target_*` and
`actual_*` come from `extract.parse.values.parse_measure`.

`generate_form_with_meta(seed)` also returns which deviation phrasing each
indicator used (`DEVIATION_PHRASINGS`); the phrasings in
`HELD_OUT_PHRASINGS` appear only in the eval split, so that a model trained
on train (and selected on dev) can be tested on phrasings it never saw.  The
wording of a deviation cell (variant, turn word…) is drawn from a second
generator of the form's seed, so that rewording the cells leaves every other
field of a form as it is.

CLI: ``python -m corpus.synth --split eval --count 5`` prints JSONL.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence, TypeVar

from corpus import vocabulary as vocab
from extract.layout.labels import FORM_TITLE
from extract.model import DEFAULT_MONEY_UNIT, dumps_record, empty_funding_row, empty_indicator, empty_record
from extract.parse.values import parse_measure

T = TypeVar("T")

SPLIT_SEEDS = {"train": 1_000_000, "eval": 2_000_000, "dev": 3_000_000}
SPLIT_SIZE = 1_000_000
# Splits that use the held-out phrasings.
SPLITS_WITH_HELD_OUT = ("eval",)
# Splits that draw the held-out share of tickets (HELD_OUT_WEIGHT) too: dev
# gives them to the seen phrasings, so that its forms stay as they were when
# dev held held-out phrasings.
_SPLITS_WITH_HELD_OUT_TICKETS = ("eval", "dev")

_PHRASINGS = (vocab.DEVIATION_PHRASINGS + vocab.HELD_OUT_DEVIATION_PHRASINGS
              + (vocab.EXPLANATORY_NOTE_PHRASING,))
DEVIATION_PHRASINGS: tuple[str, ...] = tuple(pid for pid, _, _ in _PHRASINGS)
HELD_OUT_PHRASINGS: tuple[str, ...] = tuple(vocab.HELD_OUT_PHRASINGS)
HELD_OUT_WORDS: tuple[str, ...] = tuple(vocab.HELD_OUT_WORDS)
EXPLANATORY_NOTE = vocab.EXPLANATORY_NOTE_PHRASING[0]

HUNDRED_PERCENT = 10000          # an execution rate of 100.00, in hundredths
DEVIATION_WHEN_SHORT_PERCENT = 88  # how often a deduction comes with a deviation
NOTE_WHEN_FULL_PERCENT = 1         # how often a full score comes with a note

assert set(HELD_OUT_PHRASINGS) <= set(DEVIATION_PHRASINGS)
assert sum(weight for _, weight, _ in vocab.DEVIATION_PHRASINGS) == 17 and vocab.HELD_OUT_WEIGHT == 2


# --------------------------------------------------------------------------
# Drawing with integers only.
# --------------------------------------------------------------------------

def weighted(rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    """An item of ``(item, integer weight)`` pairs, drawn by weight."""
    ticket = rng.randrange(sum(weight for _, weight in pairs))
    for item, weight in pairs:
        if ticket < weight:
            return item
        ticket -= weight
    raise AssertionError("unreachable")


def chance(rng: random.Random, percent: int) -> bool:
    return rng.randrange(100) < percent


# --------------------------------------------------------------------------
# Numbers: everything internal is an int of hundredths.
# --------------------------------------------------------------------------

def to_decimal(hundredths: int) -> Decimal:
    """1234 → Decimal('12.34'); always 2 places."""
    return Decimal(hundredths).scaleb(-2)


def two_places(hundredths: int) -> str:
    """1234 → '12.34', 35000 → '350.00'."""
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def compact(hundredths: int) -> str:
    """35000 → '350', 9545 → '95.45' (the way `98%` is printed)."""
    return str(hundredths // 100) if hundredths % 100 == 0 else two_places(hundredths)


def truncated_rate(executed: int, budget: int) -> int:
    """execution_rate in hundredths: executed / budget × 100, truncated."""
    return executed * HUNDRED_PERCENT // budget if budget else 0


def truncated_score(weight: int, rate: int) -> int:
    """weight × rate / 100 truncated, in hundredths (rate in hundredths)."""
    return weight * rate // HUNDRED_PERCENT


def grade_of(total_score: int) -> str:
    if total_score >= 9000:
        return "优"
    if total_score >= 8000:
        return "良"
    if total_score >= 6000:
        return "中"
    return "差"


# --------------------------------------------------------------------------
# Splits.
# --------------------------------------------------------------------------

def split_of_seed(seed: int) -> str | None:
    for split, base in SPLIT_SEEDS.items():
        if base <= seed < base + SPLIT_SIZE:
            return split
    return None


def draw_phrasing(rng: random.Random, wording: random.Random, split: str | None) -> tuple:
    """The phrasing of a deviation cell.  The form's generator draws a ticket
    of 17 (train) or 19 (eval, dev), as it always has; tickets past 17 are the
    held-out share, which `wording` gives to a held-out phrasing (eval) or to
    a seen one (dev)."""
    seen = vocab.DEVIATION_PHRASINGS
    extra = vocab.HELD_OUT_WEIGHT if split in _SPLITS_WITH_HELD_OUT_TICKETS else 0
    ticket = rng.randrange(sum(weight for _, weight, _ in seen) + extra)
    for phrasing in seen:
        if ticket < phrasing[1]:
            return phrasing
        ticket -= phrasing[1]
    pool = vocab.HELD_OUT_DEVIATION_PHRASINGS if split in SPLITS_WITH_HELD_OUT else seen
    return weighted(wording, [(p, p[1]) for p in pool])


# --------------------------------------------------------------------------
# The head of the form.
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class FormContext:
    year: int
    region: str          # 上海市
    city: str            # 上海
    bureau: dict
    department: str      # 上海市科学技术委员会
    subject: str         # 科技统计 / 会议系统运行维护 (no year)

    def fill(self, template: str, rng: random.Random, **extra: Any) -> str:
        """Fill the placeholders a vocabulary text may hold."""
        values = {"city": self.city, "region": self.region, "year": self.year, "subject": self.subject}
        if "{pub}" in template:
            values["pub"] = rng.choice(vocab.PUBLICATIONS).format(city=self.city, year=self.year)
        if "{standard}" in template:
            values["standard"] = rng.choice(vocab.STANDARDS).format(city=self.city)
        values.update(extra)
        return template.format(**values)


def draw_context(rng: random.Random) -> FormContext:
    year = rng.choice(vocab.YEARS)
    region = weighted(rng, vocab.REGIONS)
    bureau = weighted(rng, [(b, b["weight"]) for b in vocab.BUREAUS])
    city = region[:-1]
    subject = draw_subject(rng, bureau["domain"]).format(city=city)
    return FormContext(year, region, city, bureau, region + bureau["name"], subject)


def draw_subject(rng: random.Random, domain: str) -> str:
    subjects = vocab.GENERIC_SUBJECTS if chance(rng, 25) else vocab.SUBJECTS[domain]
    if chance(rng, 50):
        return rng.choice(subjects["systems"]) + weighted(rng, vocab.SYSTEM_ACTIONS)
    return rng.choice(subjects["works"]) + weighted(rng, vocab.WORK_ACTIONS)


def draw_project_name(rng: random.Random, ctx: FormContext) -> str:
    pattern = weighted(rng, vocab.PROJECT_NAME_PATTERNS)
    return pattern.format(year=ctx.year, subject=ctx.subject, short=ctx.bureau["short"], region=ctx.region)


def draw_implementing_unit(rng: random.Random, ctx: FormContext) -> str:
    stem, alias = rng.choice(ctx.bureau["units"])
    name = ctx.department if stem == "{department}" else ctx.region + stem
    if alias == "本级":
        return f"{name}（本级）"
    if alias:
        return f"{name}（{ctx.region}{alias}）"
    return name


def draw_goal(rng: random.Random, ctx: FormContext, templates: Sequence[str]) -> str:
    """1–4 sentences, joined as one cell's text."""
    count = rng.randint(1, min(4, len(templates)))
    sentences = [fill_goal_sentence(rng, ctx, t) for t in rng.sample(list(templates), count)]
    text = "。".join(sentences)
    return text if chance(rng, 10) else text + "。"


def fill_goal_sentence(rng: random.Random, ctx: FormContext, template: str) -> str:
    unit, thing, low, high = rng.choice(vocab.GOAL_COUNTS)
    return ctx.fill(
        template, rng,
        aim=rng.choice(vocab.GOAL_AIMS), basis=rng.choice(vocab.GOAL_BASES),
        task=rng.choice(vocab.GOAL_TASKS), beneficiary=rng.choice(vocab.GOAL_BENEFICIARIES),
        result=rng.choice(vocab.GOAL_RESULTS), n=rng.randint(low, high), count_unit=unit,
        count_thing=thing, month=rng.randint(6, 12),
    )


# --------------------------------------------------------------------------
# 项目资金.
# --------------------------------------------------------------------------

def draw_funding(rng: random.Random, rates: Sequence[tuple[tuple[int, int], int]]) -> dict[str, dict]:
    """The four funding rows; the total row is the sum of the other three."""
    low, high = weighted(rng, vocab.BUDGET_BUCKETS)
    annual_total = rng.randrange(low, high)
    parts = split_budget(rng, annual_total)
    rows: dict[str, dict] = {}
    sums = {"initial_budget": 0, "annual_budget": 0, "executed": 0}
    for key, annual in zip(("current_appropriation", "carryover", "other"), parts):
        initial = draw_initial_budget(rng, annual, key)
        executed = annual * rng.randrange(*weighted(rng, rates)) // HUNDRED_PERCENT
        rows[key] = funding_row(initial, annual, executed, weight=None)
        for name, value in (("initial_budget", initial), ("annual_budget", annual), ("executed", executed)):
            sums[name] += value
    weight = weighted(rng, vocab.FUNDING_WEIGHTS)
    total = funding_row(sums["initial_budget"], sums["annual_budget"], sums["executed"], weight)
    return {"total": total, **rows}


def split_budget(rng: random.Random, annual_total: int) -> tuple[int, int, int]:
    """(当年财政拨款, 上年结转资金, 其他资金) summing to the total."""
    mode = weighted(rng, vocab.FUNDING_SPLITS)
    if mode == "appropriation":
        return annual_total, 0, 0
    if mode == "other":
        return 0, 0, annual_total
    carryover = annual_total * rng.randint(5, 50) // 100
    other = (annual_total - carryover) * rng.randint(5, 40) // 100 if chance(rng, 40) else 0
    return annual_total - carryover - other, carryover, other


def draw_initial_budget(rng: random.Random, annual: int, key: str) -> int:
    """年初预算数: mostly the annual budget; sometimes adjusted during the year."""
    if key != "current_appropriation" or annual == 0 or chance(rng, 88):
        return annual
    if chance(rng, 20):
        return 0                               # added during the year
    return annual * rng.randint(80, 125) // 100


def funding_row(initial: int, annual: int, executed: int, weight: int | None) -> dict[str, Any]:
    """A funding row with its rate (and, for the total, its score) computed."""
    row = empty_funding_row()
    rate = truncated_rate(executed, annual)
    row["initial_budget"] = to_decimal(initial)
    row["annual_budget"] = to_decimal(annual)
    row["executed"] = to_decimal(executed)
    row["execution_rate"] = to_decimal(rate)
    if weight is not None:
        row["weight"] = to_decimal(weight)
        row["score"] = to_decimal(min(weight, truncated_score(weight, rate)))
    return row


def hundredths(value: Decimal) -> int:
    return int(value.scaleb(2))


# --------------------------------------------------------------------------
# Indicator plan: levels, names, weights.
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorPlan:
    level1: str
    level2: str
    name: str
    kind: str
    params: tuple


def draw_level2_rows(rng: random.Random) -> list[tuple[str, str, int]]:
    """(level1, level2, number of rows) in form order, 3–16 rows in all."""
    count = weighted(rng, vocab.INDICATOR_COUNTS)
    groups = [(l1, l2, grow, p) for l1, l2s in vocab.INDICATOR_LEVELS for l2, grow, p in l2s]
    chosen = [g for g in groups if g[3] == 100 or chance(rng, g[3])]
    optional = [g for g in chosen if g[3] < 100]
    while len(chosen) > count:
        dropped = optional.pop(rng.randrange(len(optional)))
        chosen.remove(dropped)
    rows = [1] * len(chosen)
    room = [len(vocab.INDICATOR_NAMES[g[1]]) for g in chosen]   # no name twice in a group
    for _ in range(count - len(chosen)):
        open_groups = [(i, g[2]) for i, g in enumerate(chosen) if rows[i] < room[i]]
        if not open_groups:
            break
        rows[weighted(rng, open_groups)] += 1
    return [(g[0], g[1], n) for g, n in zip(chosen, rows)]


def draw_indicator_plans(rng: random.Random, ctx: FormContext) -> list[IndicatorPlan]:
    plans = []
    for level1, level2, rows in draw_level2_rows(rng):
        entries = rng.sample(list(vocab.INDICATOR_NAMES[level2]), rows)
        for template, kind, params in entries:
            plans.append(IndicatorPlan(level1, level2, draw_indicator_name(rng, ctx, template), kind, params))
    return plans


def draw_indicator_name(rng: random.Random, ctx: FormContext, template: str) -> str:
    """The name with its placeholders filled (every fill is 4–25 characters:
    tests/test_synth.py checks the vocabulary)."""
    return ctx.fill(template, rng)


def draw_weights(rng: random.Random, count: int, total: int) -> list[int]:
    """`count` indicator weights (hundredths) summing to `total`, in whole
    points, often in multiples of 5 as the forms have them."""
    unit = 500 if total // 500 >= count and chance(rng, 50) else 100
    units = total // unit
    shares = [rng.randint(1, 4) for _ in range(count)]
    allotted = [max(1, units * s // sum(shares)) for s in shares]
    while sum(allotted) != units:
        i = rng.randrange(count)
        if sum(allotted) < units:
            allotted[i] += 1
        elif allotted[i] > 1:
            allotted[i] -= 1
    return [a * unit for a in allotted]


# --------------------------------------------------------------------------
# Scores.
# --------------------------------------------------------------------------

def draw_deductions(rng: random.Random, grade: str, weights: list[int], funding_score: int) -> list[int]:
    """Points (hundredths) taken off each indicator so that the total lands
    near the grade aimed at."""
    deductions = [0] * len(weights)
    if grade == "优":
        if chance(rng, 55):
            return deductions
        for i in rng.sample(range(len(weights)), min(len(weights), rng.randint(1, 2))):
            deductions[i] = min(weights[i], weighted(rng, vocab.SMALL_DEDUCTIONS))
        return deductions
    low, high = vocab.GRADE_SCORE_RANGES[grade]
    wanted = rng.randrange(low, high)
    to_take = funding_score + sum(weights) - wanted
    if to_take <= 0:
        return deductions
    if chance(rng, 70) and to_take > 100:
        to_take -= to_take % 100       # whole points, as most forms deduct
    return spread_deduction(rng, to_take, weights)


def spread_deduction(rng: random.Random, to_take: int, weights: list[int]) -> list[int]:
    """Spread `to_take` over a few indicators, none below a score of 0."""
    granule = 100 if to_take % 100 == 0 else 1
    order = rng.sample(range(len(weights)), len(weights))
    wanted_count = rng.randint(1, min(len(weights), 5))
    chosen: list[int] = []
    for i in order:
        if len(chosen) >= wanted_count and sum(weights[j] for j in chosen) >= to_take:
            break
        chosen.append(i)
    deductions = [0] * len(weights)
    remaining = min(to_take, sum(weights[j] for j in chosen)) // granule
    capacity_after = sum(weights[j] for j in chosen) // granule
    for position, i in enumerate(chosen):
        capacity_after -= weights[i] // granule
        still_to_give = len(chosen) - position - 1
        low = max(min(1, remaining), remaining - capacity_after)
        high = min(weights[i] // granule, remaining - min(still_to_give, remaining))
        take = rng.randint(low, max(low, high))
        deductions[i] = take * granule
        remaining -= take
    return deductions


# --------------------------------------------------------------------------
# 年度指标值 / 实际完成值 by kind of measure.
# --------------------------------------------------------------------------

def nice_number(rng: random.Random, low: int, high: int) -> int:
    """A round-ish whole number in [low, high]."""
    value = rng.randint(low, high)
    for step in (1000, 100, 10):
        if value >= step * 20 and chance(rng, 70):
            return max(low, value - value % step)
    return value


def achieved_text(rng: random.Random) -> str:
    return weighted(rng, vocab.ACHIEVED_TEXTS)


def shortfall_text(rng: random.Random) -> str:
    return weighted(rng, vocab.SHORTFALL_TEXTS)


def measure_count(rng, ctx, params, achieved):
    unit, low, high = params
    value = nice_number(rng, low, high) * 100
    op = weighted(rng, (("=", 4), ("≥", 5), (">", 1)))
    number = compact(value) if chance(rng, 8) else two_places(value)
    target = f"{op}{number}({unit})"
    if achieved:
        if op == "=" and chance(rng, 10):
            actual = value + rng.randint(1, max(1, value // 100 // 20)) * 100    # slightly over
        elif op == "=" or (op == "≥" and chance(rng, 40)):
            actual = value
        else:
            actual = value + rng.randint(1, max(1, value // 100 // 2)) * 100   # up to half as much again
        if chance(rng, 15):
            return target, achieved_text(rng)
    else:
        actual = value * rng.randint(60, 99) // 100 // 100 * 100
        if chance(rng, 20):
            return target, shortfall_text(rng)
    return target, f"{two_places(actual)}({unit})"


def measure_percent(rng, ctx, params, achieved):
    value = rng.choice(params) * 100
    if value == HUNDRED_PERCENT:
        op = weighted(rng, (("=", 6), ("≥", 2)))
    else:
        op = weighted(rng, (("≥", 6), (">", 3), ("=", 1)))
    style = weighted(rng, [(s, w) for s, w in vocab.PERCENT_STYLES if op == "≥" or not s.startswith(("{word}", ">="))])
    target = style.format(op=op, v=two_places(value), i=compact(value), word=rng.choice(vocab.LOWER_WORDS))
    if achieved:
        if chance(rng, 12):
            return target, achieved_text(rng)
        actual = achieved_percent(rng, op, value)
    else:
        if chance(rng, 20):
            return target, shortfall_text(rng)
        actual = max(0, value - rng.randint(1, 1500))
    return target, (f"{two_places(actual)}(%)" if "(%)" in style else f"{compact(actual)}%")


def achieved_percent(rng: random.Random, op: str, value: int) -> int:
    if op == "=" or value >= HUNDRED_PERCENT or (op == "≥" and chance(rng, 30)):
        return value
    actual = rng.randint(value + 1, max(value + 1, HUNDRED_PERCENT))
    return actual - actual % 100 if chance(rng, 60) and actual - actual % 100 > value else actual


def measure_upper(rng, ctx, params, achieved):
    unit, values = params
    value = rng.choice(values) * 100
    op = weighted(rng, (("≤", 5), ("<", 3)))
    worded = chance(rng, 60 if value == HUNDRED_PERCENT else 30)
    if worded:
        target = f"{rng.choice(vocab.UPPER_WORDS)}{compact(value)}{unit}"
    else:
        target = f"{op}{two_places(value)}({unit})"
    if achieved:
        if chance(rng, 25):
            return target, achieved_text(rng)
        actual = achieved_below(rng, op, value)
    else:
        if chance(rng, 20):
            return target, shortfall_text(rng)
        actual = value + rng.randint(1, value // 2 + 100)
    return target, (f"{compact(actual)}{unit}" if worded else f"{two_places(actual)}({unit})")


def achieved_below(rng: random.Random, op: str, value: int) -> int:
    """An actual within an upper bound: 经费执行率 near 100%, a 故障率 often 0."""
    if value == HUNDRED_PERCENT:
        return rng.randint(9000, HUNDRED_PERCENT if op == "≤" else HUNDRED_PERCENT - 1)
    return 0 if chance(rng, 40) else rng.randint(0, value - 1)


def measure_parenthesised(unit: str, default_op: str | None):
    """A measure printed `95.00(null)` / `≥90.00(无)`: unit in parentheses."""
    def build(rng, ctx, params, achieved):
        value = rng.choice(params) * 100
        op = default_op or ("≥" if chance(rng, 15) else "")
        target = f"{op}{two_places(value)}({unit})"
        if achieved:
            actual = value if chance(rng, 60) else rng.randint(value, HUNDRED_PERCENT)
        else:
            actual = max(0, value - rng.randint(100, 1000))
        return target, f"{two_places(actual)}({unit})"
    return build


def measure_bare(rng, ctx, params, achieved):
    value = rng.choice(params)
    if achieved:
        return str(value), achieved_text(rng) if chance(rng, 75) else str(value)
    return str(value), shortfall_text(rng) if chance(rng, 60) else str(value - rng.randint(1, 10))


def measure_multi(rng, ctx, params, achieved):
    units = rng.sample(vocab.MULTI_UNITS, rng.randint(2, 3))
    target = "、".join(f"{nice_number(rng, 100, 30000)}{u}" for u in units)
    if achieved:
        return target, target if chance(rng, 20) else achieved_text(rng)
    return target, shortfall_text(rng)


def measure_text(rng, ctx, params, achieved):
    (pool,) = params
    target = ctx.fill(rng.choice(vocab.TEXT_TARGETS[pool]), rng)
    return target, achieved_text(rng) if achieved else shortfall_text(rng)


MEASURE_BUILDERS = {
    "count": measure_count,
    "percent": measure_percent,
    "upper": measure_upper,
    "null_unit": measure_parenthesised("null", None),
    "none_unit": measure_parenthesised("无", "≥"),
    "bare": measure_bare,
    "multi": measure_multi,
    "text": measure_text,
}


# --------------------------------------------------------------------------
# 偏差原因分析及改进措施.
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Deviation:
    phrasing: str
    text: str
    cause: str
    improvement: str | None


def compose_deviation(rng: random.Random, level2: str, phrasing: tuple,
                      wording: random.Random | None = None) -> Deviation:
    """Fill a phrasing: label + first part + separator + second part, the
    parts being cause and improvement (improvement and cause for
    `vocab.IMPROVEMENT_FIRST`).  Cause, effect, measure and note come from
    `rng`; the variant, turn, adverb, second effect and month from `wording`
    (by default `rng`)."""
    wording = wording or rng
    phrasing_id, _, variants = phrasing
    theme = vocab.DEVIATION_THEMES[level2]
    cause = rng.choice(vocab.DEVIATION_CAUSES[theme])
    effect = rng.choice(vocab.DEVIATION_EFFECTS[theme])
    parts = {
        "c": cause,
        "e": effect,
        "m": rng.choice(vocab.DEVIATION_MEASURES[theme]),
        "cs": weighted(rng, vocab.CAUSE_SENTENCES).format(c=cause, e=effect),
        "note": rng.choice(vocab.EXPLANATORY_NOTES).format(reason=rng.choice(vocab.EXPLANATORY_REASONS)),
    }
    label, first_template, separator, second_template = (
        variants[0] if len(variants) == 1 else wording.choice(variants))
    templates = first_template + (second_template or "")
    if "{turn}" in templates:
        parts["turn"] = draw_turn(wording)
    if "{adv}" in templates:
        parts["adv"] = weighted(wording, vocab.MEASURE_ADVERBS)
    if "{e2}" in templates:
        parts["e2"] = wording.choice([e for e in vocab.DEVIATION_EFFECTS[theme] if e != effect])
    if "{month}" in templates + parts.get("turn", ""):
        parts["month"] = wording.randrange(3, 13)
        parts["turn"] = parts.get("turn", "").format(month=parts["month"])
    first = first_template.format(**parts)
    second = second_template.format(**parts) if second_template else None
    text = label + first + separator + (second or "")
    if phrasing_id in vocab.IMPROVEMENT_FIRST:
        return Deviation(phrasing_id, text, second, first)
    return Deviation(phrasing_id, text, first, second)


def draw_turn(wording: random.Random) -> str:
    """A word that turns to what will be done (下一步将, 对此，我单位将…),
    from `vocab.TURN_TIMES` etc.; it may hold a {month}."""
    if chance(wording, vocab.TURN_WITH_LEAD_PERCENT):
        kind = wording.randrange(3)
        if kind == 0:
            lead = weighted(wording, vocab.TURN_LEADS)
        elif kind == 1:
            lead = weighted(wording, vocab.TURN_LEAD_PREPOSITIONS) + weighted(wording, vocab.TURN_LEAD_OBJECTS) + "，"
        else:
            lead = noise_lead(wording)
        return lead + weighted(wording, vocab.TURN_SUBJECTS) + (weighted(wording, vocab.TURN_MODALS) or "将")
    return weighted(wording, vocab.TURN_TIMES) + weighted(wording, vocab.TURN_SUBJECTS) + weighted(
        wording, vocab.TURN_MODALS)


def noise_lead(wording: random.Random) -> str:
    """2-8 characters of `vocab.NOISE_LEAD_CHARS` and a comma, spelling no
    held-out word."""
    while True:
        lead = "".join(wording.choice(vocab.NOISE_LEAD_CHARS) for _ in range(wording.randint(2, 8))) + "，"
        if not any(word in lead for word in HELD_OUT_WORDS):
            return lead


def draw_deviation(rng: random.Random, level2: str, short: bool, wording: random.Random,
                   split: str | None) -> Deviation | None:
    if short:
        if not chance(rng, DEVIATION_WHEN_SHORT_PERCENT):
            return None
        return compose_deviation(rng, level2, draw_phrasing(rng, wording, split), wording)
    if chance(rng, NOTE_WHEN_FULL_PERCENT):
        return compose_deviation(rng, level2, vocab.EXPLANATORY_NOTE_PHRASING, wording)
    return None


# --------------------------------------------------------------------------
# The form.
# --------------------------------------------------------------------------

def build_indicator(rng: random.Random, ctx: FormContext, plan: IndicatorPlan, weight: int,
                    deduction: int, wording: random.Random, split: str | None) -> tuple[dict, str | None]:
    indicator = empty_indicator()
    target, actual = MEASURE_BUILDERS[plan.kind](rng, ctx, plan.params, deduction == 0)
    target_measure = parse_measure(target)
    actual_measure = parse_measure(actual)
    deviation = draw_deviation(rng, plan.level2, deduction > 0, wording, split)
    indicator.update(
        level1=plan.level1, level2=plan.level2, name=plan.name,
        target=target, target_op=target_measure.op, target_value=target_measure.value,
        target_unit=target_measure.unit,
        actual=actual, actual_value=actual_measure.value, actual_unit=actual_measure.unit,
        weight=to_decimal(weight), score=to_decimal(weight - deduction),
        deviation=deviation.text if deviation else None,
        deviation_cause=deviation.cause if deviation else None,
        improvement=deviation.improvement if deviation else None,
    )
    return indicator, deviation.phrasing if deviation else None


def generate_form_with_meta(seed: int, split: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """One record and its meta: ``{"seed", "split", "target_grade",
    "deviation_phrasings"}`` (one phrasing id or None per indicator).

    `split` decides whether the held-out phrasings may appear; by default it
    is the split whose seed range holds `seed` (train for a seed in none).
    """
    rng = random.Random(seed)
    wording = random.Random(f"deviation wording {seed}")   # str seeds hash with SHA-512: stable
    split = split or split_of_seed(seed)
    ctx = draw_context(rng)
    target_grade = weighted(rng, vocab.GRADE_TARGETS)
    rates = vocab.EXECUTION_RATES if target_grade == "优" else vocab.LOW_GRADE_EXECUTION_RATES

    record = empty_record()
    record["source"] = {"file": None, "sha256": None, "pages": [], "kind": None}
    record["year"] = ctx.year
    record["project_name"] = draw_project_name(rng, ctx)
    record["department"] = ctx.department
    record["implementing_unit"] = draw_implementing_unit(rng, ctx)
    record["funding"] = draw_funding(rng, rates)
    record["goal_expected"] = draw_goal(rng, ctx, vocab.GOAL_EXPECTED_SENTENCES)
    record["goal_actual"] = draw_goal(rng, ctx, vocab.GOAL_ACTUAL_SENTENCES)

    funding_total = record["funding"]["total"]
    funding_weight = hundredths(funding_total["weight"])
    funding_score = hundredths(funding_total["score"])
    plans = draw_indicator_plans(rng, ctx)
    weights = draw_weights(rng, len(plans), HUNDRED_PERCENT - funding_weight)
    deductions = draw_deductions(rng, target_grade, weights, funding_score)

    used_phrasings: list[str | None] = []
    for plan, weight, deduction in zip(plans, weights, deductions):
        indicator, phrasing = build_indicator(rng, ctx, plan, weight, deduction, wording, split)
        record["indicators"].append(indicator)
        used_phrasings.append(phrasing)

    total_score = funding_score + sum(weights) - sum(deductions)
    record["total_weight"] = to_decimal(funding_weight + sum(weights))
    record["total_score"] = to_decimal(total_score)
    record["grade"] = grade_of(total_score)
    record["title"] = FORM_TITLE          # the renderer prints the reference template
    record["money_unit"] = DEFAULT_MONEY_UNIT
    meta = {"seed": seed, "split": split, "target_grade": target_grade, "deviation_phrasings": used_phrasings}
    return record, meta


def generate_form(seed: int, split: str | None = None) -> dict[str, Any]:
    return generate_form_with_meta(seed, split)[0]


def split_seeds(split: str, count: int, start: int = 0) -> range:
    if split not in SPLIT_SEEDS:
        raise ValueError(f"unknown split {split!r}; one of {sorted(SPLIT_SEEDS)}")
    if start < 0 or count < 0 or start + count > SPLIT_SIZE:
        raise ValueError(f"a split holds forms 0..{SPLIT_SIZE - 1}")
    base = SPLIT_SEEDS[split]
    return range(base + start, base + start + count)


def generate_forms_with_meta(split: str, count: int, start: int = 0) -> list[tuple[dict, dict]]:
    return [generate_form_with_meta(seed, split) for seed in split_seeds(split, count, start)]


def generate_forms(split: str, count: int, start: int = 0) -> list[dict[str, Any]]:
    """Forms start..start+count-1 of a split."""
    return [generate_form(seed, split) for seed in split_seeds(split, count, start)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print synthetic form records as JSONL.")
    parser.add_argument("--split", choices=sorted(SPLIT_SEEDS), default="train")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--start", type=int, default=0, help="index of the first form in the split")
    parser.add_argument("--meta", action="store_true", help="add the generator's meta under _meta")
    args = parser.parse_args(argv)
    try:
        for record, meta in generate_forms_with_meta(args.split, args.count, args.start):
            if args.meta:
                record["_meta"] = {"synth": meta}
            sys.stdout.write(dumps_record(record) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:          # `| head`
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
