"""Template families as data: one TOML file per family in `families/`.

Every province, city and county prints its own variant of the form
(`shared/spec/TEMPLATES.md`).  A family file says what its variant prints:
titles, head and goal labels, funding columns and rows, indicator columns
(a target split over three cells as `target_parts`), rows that are not
indicators (`slots`, `sub_rows`, `sections`), labelled rows that go to the
record's `extra`, total rows, and its arithmetic (how rates are rounded,
what budget execution weighs).  Adding a family is a data file and a test.

Each file is checked when it is loaded (`TemplateError` names the file and
what is wrong), against the contract's keys (`extract.model`).

The title: `read_title` finds a form by what it is, not by one title: any
text ending in a kin of 绩效自评表 (项目支出绩效自评表, 绩效目标自评表, …), in
simplified or traditional characters (OpenCC folds them), with the year in
any of its printed forms, before or after.  The record keeps the title as
printed, without the year.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from extract.errors import SelfevalError
from extract.layout import labels as base
from extract.layout.labels import simplified
from extract.model import DEFAULT_MONEY_UNIT, FUNDING_KEYS, FUNDING_ROW_KEYS, INDICATOR_KEYS

# A deployment may keep its own family files (the product's, plus its
# regions') in a folder of its own: $SELFEVAL_FAMILIES_DIR.
FAMILIES_DIR_VARIABLE = "SELFEVAL_FAMILIES_DIR"
FAMILIES_DIR = Path(os.environ.get(FAMILIES_DIR_VARIABLE) or Path(__file__).with_name("families"))

# Keys a family's tables may name: the contract's, plus `extra` (a column or
# row the record keeps under `extra`, FORM_RECORD.md) and the target's parts.
_FUNDING_COLUMN_KEYS = frozenset(FUNDING_ROW_KEYS) | {"extra"}
_FUNDING_ROW_KEYS = frozenset(FUNDING_KEYS) | {"extra"}
_INDICATOR_COLUMN_KEYS = frozenset(INDICATOR_KEYS) | {"target_parts", "extra"}
_HEAD_KEYS = frozenset({"project_name", "department", "implementing_unit"})
_GOAL_KEYS = frozenset({"goal_expected", "goal_actual"})
_ROW_KEYS = frozenset({"slots", "sub_rows", "sections", "extra"})
_TOTAL_KEYS = frozenset({"labels", "grade_labels", "grade_on_total_row", "weights_only"})
RATE_RULES = ("truncate", "round", "round-integer")
_ARITHMETIC_KEYS = frozenset({"rate", "budget_execution_weight", "grade", "weights_may_exceed_total"})
MONEY_UNITS = ("万元", "元")


class TemplateError(SelfevalError):
    """A family file that is not what the parsers can read."""

    exit_code = 7

    def __init__(self, path: Path | str, cause: str):
        super().__init__(f"{path}: {cause}; fix the family file (extract/layout/templates.py says what it holds)")
        self.path = str(path)


@dataclass(frozen=True)
class Arithmetic:
    """The rules the family's forms obey; a rule applies only where the form
    prints what it needs (no weights: no weight rule)."""

    rate: str = "truncate"                      # execution rate: truncated (Shanghai) or rounded
    budget_execution_weight: int | None = None  # what budget execution is worth (10, 20), None: no score
    grade: bool = False                         # whether the form prints 评分等级
    weights_may_exceed_total: bool = False      # 衔接资金 forms: weights add up to more than 总分


@dataclass(frozen=True)
class Family:
    name: str
    region: str
    titles: tuple[str, ...]
    title_prefixes: tuple[str, ...] = ()
    title_suffixes: tuple[str, ...] = ()
    year_first: bool = False
    money_units: tuple[str, ...] = (DEFAULT_MONEY_UNIT,)
    head_total_patterns: tuple[str, ...] = ()
    head_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    goal_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    funding_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    funding_rows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    indicator_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    totals: Mapping[str, Any] = field(default_factory=dict)
    arithmetic: Arithmetic = Arithmetic()

    @property
    def prints_weights(self) -> bool:
        return "weight" in self.indicator_columns

    @property
    def prints_scores(self) -> bool:
        return "score" in self.indicator_columns


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise TemplateError(path, f"{where} must be a list of labels as printed, not {value!r}")
    return tuple(value)


def _label_table(path: Path, where: str, table: Any, allowed: frozenset[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise TemplateError(path, f"[{where}] must be a table of key = [labels]")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise TemplateError(path, f"[{where}] names {unknown}, which no record key holds "
                                  f"(one of {sorted(allowed)})")
    return {key: _strings(path, f"{where}.{key}", labels) for key, labels in table.items()}


def family_from_data(data: dict[str, Any], path: Path | str = "<family>") -> Family:
    """A family from a parsed family file, checked."""
    path = Path(path)
    known = {f.name for f in fields(Family)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TemplateError(path, f"unknown keys {unknown}")
    for required in ("name", "region", "titles"):
        if required not in data:
            raise TemplateError(path, f"no {required!r}")
    if path.suffix == ".toml" and data["name"] != path.stem:
        raise TemplateError(path, f"name {data['name']!r} is not the file's name {path.stem!r}")
    money_units = _strings(path, "money_units", data.get("money_units", [DEFAULT_MONEY_UNIT]))
    if any(unit not in MONEY_UNITS for unit in money_units):
        raise TemplateError(path, f"money_units {list(money_units)}: each one of {list(MONEY_UNITS)}")
    patterns = _strings(path, "head_total_patterns", data["head_total_patterns"]) \
        if "head_total_patterns" in data else ()
    for pattern in patterns:
        try:
            if "score" not in re.compile(pattern).groupindex:
                raise TemplateError(path, f"head_total_patterns {pattern!r} has no group (?P<score>…)")
        except re.error as error:
            raise TemplateError(path, f"head_total_patterns {pattern!r}: {error}") from None
    rows = data.get("rows", {})
    if not isinstance(rows, dict) or set(rows) - _ROW_KEYS:
        raise TemplateError(path, f"[rows] may hold only {sorted(_ROW_KEYS)}")
    totals = data.get("totals", {})
    if not isinstance(totals, dict) or set(totals) - _TOTAL_KEYS:
        raise TemplateError(path, f"[totals] may hold only {sorted(_TOTAL_KEYS)}")
    arithmetic = data.get("arithmetic", {})
    if not isinstance(arithmetic, dict) or set(arithmetic) - _ARITHMETIC_KEYS:
        raise TemplateError(path, f"[arithmetic] may hold only {sorted(_ARITHMETIC_KEYS)}")
    if arithmetic.get("rate", "truncate") not in RATE_RULES:
        raise TemplateError(path, f"arithmetic.rate {arithmetic['rate']!r}: one of {list(RATE_RULES)}")
    weight = arithmetic.get("budget_execution_weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int) or not 0 < weight <= 100):
        raise TemplateError(path, f"arithmetic.budget_execution_weight {weight!r}: points, 1 to 100")
    indicator_columns = _label_table(path, "indicator_columns", data.get("indicator_columns", {}),
                                     _INDICATOR_COLUMN_KEYS)
    if "target" in indicator_columns and "target_parts" in indicator_columns:
        raise TemplateError(path, "indicator_columns: a target is one cell (target) or three (target_parts)")
    if "target_parts" in indicator_columns and len(indicator_columns["target_parts"]) != 3:
        raise TemplateError(path, "indicator_columns.target_parts: the three headers 指标性质 / 指标值 / 度量单位")
    return Family(
        name=data["name"], region=data["region"], titles=_strings(path, "titles", data["titles"]),
        title_prefixes=_strings(path, "title_prefixes", data["title_prefixes"]) if "title_prefixes" in data else (),
        title_suffixes=_strings(path, "title_suffixes", data["title_suffixes"]) if "title_suffixes" in data else (),
        year_first=bool(data.get("year_first", False)), money_units=money_units, head_total_patterns=patterns,
        head_labels=_label_table(path, "head_labels", data.get("head_labels", {}), _HEAD_KEYS),
        goal_labels=_label_table(path, "goal_labels", data.get("goal_labels", {}), _GOAL_KEYS),
        funding_columns=_label_table(path, "funding_columns", data.get("funding_columns", {}), _FUNDING_COLUMN_KEYS),
        funding_rows=_label_table(path, "funding_rows", data.get("funding_rows", {}), _FUNDING_ROW_KEYS),
        indicator_columns=indicator_columns,
        rows={key: _strings(path, f"rows.{key}", value) for key, value in rows.items()},
        totals=dict(totals), arithmetic=Arithmetic(**arithmetic),
    )


def load_family(path: Path | str) -> Family:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TemplateError(path, f"not a readable TOML file ({error})") from None
    return family_from_data(data, path)


@functools.cache
def families(folder: Path = FAMILIES_DIR) -> dict[str, Family]:
    """Every family the product knows, by name."""
    found = {family.name: family for family in map(load_family, sorted(folder.glob("*.toml")))}
    if not found:
        raise TemplateError(folder, "holds no family file (*.toml)")
    return found


# ---------------------------------------------------------------- money

# The unit a funding table states: in its block label (项目资金（万元）), a
# column header (全年预算数（元）) or a line above it (金额单位：元).
_MONEY_UNIT = re.compile(r"[(（]\s*(万元|元)\s*[)）]|单位\s*[:：]\s*(万元|元)")


def money_unit_in(text: str | None) -> str | None:
    """The money unit `text` states, if it states one."""
    match = _MONEY_UNIT.search("".join(unicodedata.normalize("NFKC", text or "").split()))
    return (match.group(1) or match.group(2)) if match else None


# ---------------------------------------------------------------- titles

# The kin of 绩效自评表 a title ends in; the record keeps what precedes it
# on the line (项目支出, 部门预算项目支出, 稷山县项目支出, …) as part of the title.
_TITLE_ENDING = re.compile(r"绩效(?:目标)?自评(?:价)?表$")
_YEAR = r"(?P<year>(?:19|20)\d{2})\s*年度?"
# The year before the title (`2022年度项目支出绩效自评表`), or after it,
# bracketed or not, with a lost bracket (`2019年度)`).
_YEAR_BEFORE = re.compile(rf"^\s*[(（]?\s*{_YEAR}\s*[)）]?\s*")
_YEAR_AFTER = re.compile(rf"\s*[(（]?\s*{_YEAR}\s*[)）]?\s*$")
# What a title line may hold besides the title: 附件, a report code, a sheet number.
_BEFORE_TITLE = re.compile(r"^\s*(?:附件\s*\d*\s*[:：]?|报表编号\s*[:：]\s*\S+|公开\s*\d+\s*表)\s*")
_AFTER_TITLE = re.compile(r"\s*(?:公开\s*\d+\s*表)\s*$")
_EDGE_SPECKS = " .,:：•·・'`"   # not 。 or ，: a sentence that names the form ends so
_MAX_TITLE_CHARS = 40     # a title is a line, not a sentence that mentions one


@dataclass(frozen=True)
class Title:
    printed: str              # as printed, without the year, 附件 or report code
    year: int | None
    families: tuple[str, ...]  # the known families that print this title
    total_score: Decimal | None = None   # a total stated after it (项目总得分99分), as some families print


# The totals stated in the head that the contract names (FORM_RECORD.md,
# Other templates): read whatever family prints them, known or not.
CONTRACT_HEAD_TOTALS = (r"项目总得分\s*(?P<score>\d+(?:\.\d+)?)\s*分", r"自评得分\s*(?P<score>\d+(?:\.\d+)?)")


@functools.cache
def _head_totals() -> tuple[re.Pattern[str], ...]:
    """The head totals of the contract and the families (`head_total_patterns`),
    each at a line's end."""
    patterns = dict.fromkeys(CONTRACT_HEAD_TOTALS + tuple(
        p for family in families().values() for p in family.head_total_patterns))
    return tuple(re.compile(rf"\s*{pattern}\s*$") for pattern in patterns)


def split_head_total(line: str) -> tuple[str, Decimal | None]:
    """`line` without the total stated at its end (项目总得分99分, 自评得分98),
    and that total (None: it states none).  A family with no 总分 row states
    it after the title, or after the year on the line under it."""
    text = " ".join(line.split())
    for pattern in _head_totals():
        stated = pattern.search(text)
        if stated is not None:
            return text[:stated.start()], Decimal(stated.group("score"))
    return text, None


def read_title(line: str) -> Title | None:
    """The form's title if `line` is one (see the module doc), else None."""
    text, total_score = split_head_total(line)
    year: int | None = None
    for _ in range(3):    # 附件1 2022年度…, …表(2022年度) 公开14表: peel in any order
        before = _BEFORE_TITLE.match(text) or _YEAR_BEFORE.match(text)
        after = _AFTER_TITLE.search(text) or _YEAR_AFTER.search(text)
        if before is None and after is None:
            break
        for match in (before, after):
            if match is not None and match.groupdict().get("year") and year is None:
                year = int(match.group("year"))
        start = before.end() if before is not None else 0
        end = after.start() if after is not None else len(text)
        text = text[start:max(start, end)]
    printed = text.strip().strip(_EDGE_SPECKS).strip()      # an OCR speck at a title's end is no sentence
    folded = "".join(simplified(printed).split())
    if not printed or len(folded) > _MAX_TITLE_CHARS or not _TITLE_ENDING.search(folded):
        return None
    if any(ch in folded for ch in "，。；：:,;"):
        return None
    return Title(printed, year, title_families(folded), total_score)


def title_families(folded: str) -> tuple[str, ...]:
    """The families printing this title (simplified, no spaces): those that
    print it exactly, else those whose title it ends in (稷山县项目支出绩效自评表)."""
    known = families()
    exact = tuple(name for name, family in known.items() if folded in family.titles)
    return exact or tuple(name for name, family in known.items()
                          if any(folded.endswith(title) for title in family.titles))


def family_arithmetic(names: tuple[str, ...] | None, title: str | None = None) -> Arithmetic | None:
    """The arithmetic the families `names` (else those printing `title`) all
    obey; None where there is no such family, or they obey different rules."""
    if names is None:
        printed = read_title(title) if title else None
        names = printed.families if printed else ()
    known = families()
    rules = {known[name].arithmetic for name in names if name in known}
    return rules.pop() if len(rules) == 1 else None


# ---------------------------------------------------------------- labels

@dataclass(frozen=True)
class LabelTables:
    """The labels the readers know: the contract's synonyms
    (`extract.layout.labels`) and every known family's, key by key."""

    head: dict[str, tuple[str, ...]]
    goal: dict[str, tuple[str, ...]]
    funding_columns: dict[str, tuple[str, ...]]
    funding_rows: dict[str, tuple[str, ...]]
    indicator_columns: dict[str, tuple[str, ...]]
    target_parts: tuple[str, ...]            # 指标性质 / 指标值 / 度量单位, in printed order
    slots: tuple[str, ...]                   # empty slot rows: 指标2, ……
    sub_rows: tuple[str, ...]                # 其中… rows that are not indicators
    extra_rows: tuple[str, ...]              # labelled rows kept in the record's `extra`
    funding_extra_rows: tuple[str, ...]      # funding rows with no key (单位资金)
    extra_columns: tuple[str, ...]           # funding and indicator columns with no key (原因, 复核分)
    indicator_extra_columns: tuple[str, ...]  # the indicator table's of those (复核分, 评分标准)
    totals: tuple[str, ...]


def _merged(base_table: Mapping[str, tuple[str, ...]], tables: list[Mapping[str, tuple[str, ...]]],
            skip: tuple[str, ...] = ("extra", "target_parts")) -> dict[str, tuple[str, ...]]:
    merged = {key: tuple(labels) for key, labels in base_table.items()}
    for table in tables:
        for key, labels in table.items():
            if key not in skip:
                merged[key] = tuple(dict.fromkeys(merged.get(key, ()) + tuple(labels)))
    return merged


@functools.cache
def label_tables() -> LabelTables:
    known = list(families().values())

    def listed(pick: Any) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for family in known for label in pick(family)))

    return LabelTables(
        head=_merged(base.HEAD_LABELS, [f.head_labels for f in known]),
        goal=_merged(base.GOAL_COLUMN_LABELS, [f.goal_labels for f in known]),
        funding_columns=_merged(base.FUNDING_COLUMN_LABELS, [f.funding_columns for f in known]),
        funding_rows=_merged(base.FUNDING_ROW_LABELS, [f.funding_rows for f in known]),
        indicator_columns=_merged(base.INDICATOR_COLUMN_LABELS, [f.indicator_columns for f in known]),
        target_parts=next((f.indicator_columns["target_parts"] for f in known
                           if "target_parts" in f.indicator_columns), base.TARGET_PART_LABELS),
        slots=listed(lambda f: f.rows.get("slots", ())),
        sub_rows=tuple(dict.fromkeys(base.SUB_ROW_LABELS + listed(lambda f: f.rows.get("sub_rows", ())))),
        extra_rows=tuple(dict.fromkeys(base.EXTRA_LABELS + listed(lambda f: f.rows.get("extra", ())))),
        funding_extra_rows=tuple(dict.fromkeys(base.FUNDING_EXTRA_ROW_LABELS
                                               + listed(lambda f: f.funding_rows.get("extra", ())))),
        extra_columns=listed(lambda f: f.funding_columns.get("extra", ()) + f.indicator_columns.get("extra", ())),
        indicator_extra_columns=listed(lambda f: f.indicator_columns.get("extra", ())),
        totals=tuple(dict.fromkeys(base.TOTAL_LABELS + listed(lambda f: f.totals.get("labels", ())))),
    )


@functools.cache
def _family_label_keys(name: str) -> frozenset[str]:
    """Every label a family's file names, folded, with the reference's own
    (`extract.layout.labels`), which any family may print; not the
    synonyms only the contract names (`CONTRACT_ONLY_LABELS`)."""
    from extract.layout.labels import label_key

    family = families()[name]
    own = [family.head_labels, family.goal_labels, family.funding_columns, family.funding_rows,
           family.indicator_columns]
    reference = [base.HEAD_LABELS, base.GOAL_COLUMN_LABELS, base.FUNDING_COLUMN_LABELS, base.FUNDING_ROW_LABELS,
                 base.INDICATOR_COLUMN_LABELS]
    labels = [label for table in own for labels in table.values() for label in labels]
    labels += [label for table in reference for labels in table.values() for label in labels
               if label not in base.CONTRACT_ONLY_LABELS]
    labels += list(base.EXTRA_LABELS) + [label for labels in family.rows.values() for label in labels]
    return frozenset(label_key(label) for label in labels)


def families_printing(candidates: tuple[str, ...], header_labels: set[str]) -> tuple[str, ...]:
    """The families among `candidates` (those whose title the form prints)
    whose files know every header label the form prints (folded): a form
    whose title a known family prints but whose table none does is of a
    family the product does not know."""
    return tuple(name for name in candidates if header_labels <= _family_label_keys(name))


def starts_sub_row(text: str) -> bool:
    """Text that starts with a `其中` sub-row's label (衔接资金 forms:
    其中：脱贫户), a row under its indicator's, not one of its own."""
    key = base.label_key(text)
    return any(key.startswith(base.label_key(sub)) for sub in label_tables().sub_rows)


def is_sub_row(name: str | None, weight: str | None, score: str | None) -> bool:
    """A `其中` sub-row under an indicator (其中：脱贫户): named by a sub-row
    label, with no weight and no score of its own; no indicator."""
    return bool(name) and starts_sub_row(name or "") and not weight and not score


def is_appropriation_row(label: str, appropriation_read: bool) -> bool:
    """A funding row that is the current appropriation by its place: the
    first `其中` row, whatever its label (其中：财政资金, FORM_RECORD.md)."""
    return starts_sub_row(label) and not appropriation_read


def is_slot_row(text: str) -> bool:
    """An empty slot row's cells on one line (`指标 2：`, `……`, `指标3： ……`)."""
    key = "".join(text.split())
    slots = {"".join(s.split()) for s in label_tables().slots}
    return bool(key) and all(base.SLOT_NAME.match(part) or part in slots
                             for part in re.split(r"(?<=[:：])", key) if part)


def is_extra_column_label(text: str) -> bool:
    """An indicator header label of a column the record keeps in `extra`: a
    family's (复核分), or one no family prints that ends as a header label
    does and holds a word of a scoring column, or ends as a rule's label
    (核定得分, 评分标准, 计算方法)."""
    key = base.label_key(text)
    tables = label_tables()
    if base.is_label(key, tables.indicator_extra_columns):
        return True
    return len(key) >= 2 and base.names_extra_column(key, base.match_header_word(key, base.INDICATOR_HEADER_WORDS)) \
        and not base.is_label(key, tuple(l for syn in tables.indicator_columns.values() for l in syn))


def indicator_column_labels() -> tuple[tuple[str, str], ...]:
    """(label key, column key) of every indicator header label the readers
    know, longest first; the three parts of a split target as `target_part`."""
    tables = label_tables()
    labels = [(base.label_key(l), key) for key, syn in tables.indicator_columns.items() for l in syn]
    labels += [(base.label_key(l), "target_part") for l in tables.target_parts]
    labels += [(base.label_key(l), "extra") for l in tables.extra_rows + tables.indicator_extra_columns]
    # 指标值 is both a target's synonym and a split target's middle part: the part where 指标性质 stands by
    return tuple(sorted(labels, key=lambda kv: (-len(kv[0]), kv[1] != "target_part")))
