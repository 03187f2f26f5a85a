"""The regional families of the form, as the generator prints them.

`shared/spec/TEMPLATES.md` describes eleven families read from published
forms.  Each `PrintedTemplate` here is one office's way of printing its
family: title and year, head labels, the funding table's columns and rows
(money in 万元 or 元, 2 or 4 decimals), the indicator table's columns in their
order (a target split over 指标性质 / 指标值 / 度量单位, 分值 before the
target, no weight or score columns), rows that are not indicators (slot
rows, a 二级指标 with no 三级指标, `其中` sub-rows), totals (总分 or 合计, a
grade on the total row, a total stated in the head) and closing rows.

These are the generator's own descriptions, written from TEMPLATES.md and
kept apart from the readers' family files (`extract/layout/families`): a
family held out (`HELD_OUT_FAMILIES`) has no reader file at all, so the
benchmark shows what a family nobody wrote a data file for costs.

`family_record(record, template, seed)` turns a synthetic record of the
reference template into what a form of that family holds and prints: the
contract's arithmetic by the family's rule (rates truncated or rounded,
budget execution worth 10 or 20, no weights at all), the record's `title`,
`money_unit` and `extra`, and the `FamilyPrint` a `FormStyle` carries to
`corpus.render`, which lays the form out by its template.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from extract.model import FUNDING_KEYS, empty_funding_row
from extract.parse.values import parse_measure

# The money columns of a funding row, and the printed width of each kind of
# indicator column (scaled to the table's width).
AMOUNT_KEYS = ("initial_budget", "annual_budget", "executed")
COLUMN_WIDTHS = {"level1": 34.0, "level2": 34.0, "name": 92.0, "target": 70.0, "target_op": 28.0,
                 "target_value": 40.0, "target_unit": 30.0, "actual": 64.0, "weight": 36.0,
                 "score": 36.0, "deviation": 100.0, None: 52.0}
TARGET_PARTS = ("target_op", "target_value", "target_unit")
TARGET_PART_LABELS = ("指标性质", "指标值", "度量单位")
_MEASURE = re.compile(r"^(≥|≤|=|>|<|≧|≦|═|﹦)?\s*(\d+(?:\.\d+)?)(.*)$")
_FANCY_OPERATORS = {"≥": "≧", "≤": "≦", "=": "═"}

CLOSING_TEXTS = {
    "评价结论": ("项目总体完成情况良好，达到年初设定的绩效目标。", "项目按计划实施，绩效目标基本完成。"),
    "存在问题": ("部分指标完成进度偏慢，资金支付不够及时。", "绩效目标设置不够细化。"),
    "改进措施": ("加强项目过程管理，提高资金使用效率。", "进一步细化绩效目标，加快资金支付进度。"),
    "其他需要说明事项": ("无",),
    "说明": ("无",),
    "注": ("1.一级指标分值根据项目实际情况确定。2.得分保留两位小数。",),
    "项目负责人": ("张明", "李红", "王伟"),
    "财务负责人": ("刘芳", "陈静", "赵磊"),
    "偏差大或目标未完成原因分析": ("无",),
    "改进措施及结果应用方案": ("继续加强项目管理，将评价结果作为下年度预算安排的重要依据。",),
    "目标未完成原因分析": ("无", "个别指标受疫情影响进度滞后。"),
    "改进措施及整改情况": ("已督促实施单位加快进度，按期完成整改。", "无"),
}


@dataclass(frozen=True)
class PrintedTemplate:
    """How one family prints its form (the generator's side).

    funding_columns / indicator_columns: (record key or None, label) in the
    printed order; None is a column the record keeps in `extra`, and the
    indicator key "target_parts" stands for the three split target cells.
    funding_rows: (funding key or None, label); None is a row kept in `extra`.
    """

    name: str
    title: str
    year_format: str = "（{year}年度）"           # the line under the title; "" when year_first
    year_first: bool = False                       # 2022年度项目支出绩效自评表
    caption: str | None = None                     # a line above the title (附件1, 报表编号)
    subtitle: str | None = None                    # a line under it (部门:…, 金额单位)
    head_labels: tuple[str, str, str] = ("项目名称", "主管部门", "实施单位")
    money_unit: str = "万元"
    amount_decimals: int = 2
    group_thousands: bool = False
    funding_block: str = "项目资金（{unit}）"
    funding_columns: tuple[tuple[str | None, str], ...] = (
        ("initial_budget", "年初预算数"), ("annual_budget", "全年预算数"), ("executed", "全年执行数"),
        ("weight", "分值"), ("execution_rate", "执行率(%)"), ("score", "得分"))
    funding_rows: tuple[tuple[str | None, str], ...] = (
        ("total", "年度资金总额"), ("current_appropriation", "其中：当年财政拨款"),
        ("carryover", "上年结转资金"), ("other", "其他资金"))
    goal_labels: tuple[str, str, str] = ("年度总体目标", "预期目标", "实际完成情况")
    indicator_columns: tuple[tuple[str | None, str], ...] = (
        ("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"), ("target", "年度指标值"),
        ("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"), ("deviation", "偏差原因分析及改进措施"))
    level1_weights: bool = False                   # 产出指标(50分)
    numbered_names: bool = False                   # 指标1：… (names keep the prefix)
    slot_rows: tuple[str, ...] = ()                # empty rows after each 二级指标: 指标{n}：, ……
    empty_level2: str | None = None                # a 二级指标 printed with no 三级指标 under it
    sub_rows: bool = False                         # 其中… rows without weight or score
    fancy_operators: bool = False                  # ≧ ═ for ≥ =
    total_label: str | None = "总分"
    total_weights_only: bool = False               # 合计 100, no total score
    grade: str | None = "row"                      # "row", "total-row" (one row), None
    head_total: str | None = None                  # 项目总得分{score}分 after the title
    closing_rows: tuple[str, ...] = ()
    rate: str = "truncate"                         # "truncate", "round", "round-integer"
    budget_execution_weight: int | None = 10       # None: the form prints no weights or scores
    traditional_share: int = 0                     # percent of forms printed in traditional characters

    @property
    def indicator_keys(self) -> tuple[str | None, ...]:
        keys: list[str | None] = []
        for key, _ in self.indicator_columns:
            keys.extend(TARGET_PARTS if key == "target_parts" else (key,))
        return tuple(keys)

    @property
    def indicator_labels(self) -> tuple[str, ...]:
        labels: list[str] = []
        for key, label in self.indicator_columns:
            labels.extend(TARGET_PART_LABELS if key == "target_parts" else (label,))
        return tuple(labels)

    @property
    def has_weights(self) -> bool:
        return self.budget_execution_weight is not None


_NO_INITIAL = (("annual_budget", "全年预算数(A)"), ("executed", "全年执行数(B)"), ("weight", "分值"),
               ("execution_rate", "执行率(B/A)"), ("score", "得分"))

TEMPLATES: dict[str, PrintedTemplate] = {t.name: t for t in (
    PrintedTemplate(
        name="shanghai_district", title="财政项目支出绩效自评表", year_format="（{year} 年度）",
        money_unit="元", group_thousands=True,
        funding_columns=(("initial_budget", "年初预算数"), ("annual_budget", "全年预算数"),
                         ("executed", "全年执行数"), ("weight", "分数"), ("execution_rate", "执行率(%)"),
                         ("score", "得分"))),
    PrintedTemplate(
        name="anhui", title="项目支出绩效自评表", caption="附件：", year_format="（{year}年度）",
        empty_level2="经济效益指标",
        funding_columns=(("initial_budget", "年初预算数"), ("annual_budget", "全年预算数(A)"),
                         ("executed", "全年执行数(B)"), ("weight", "分值"), ("execution_rate", "执行率(B/A)"),
                         ("score", "得分")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：本年财政拨款"),
                      ("carryover", "上年结转资金"), ("other", "其他资金")),
        level1_weights=True, slot_rows=("指标{n}：", "……"), grade=None, closing_rows=("注",)),
    PrintedTemplate(
        name="sichuan_department", title="部门预算项目支出绩效自评表", year_format="({year}年度)",
        caption="报表编号：510000_0013zp",
        funding_columns=(("initial_budget", "年初预算"), ("annual_budget", "调整后预算数"),
                         ("executed", "预算执行数"), ("execution_rate", "预算执行率"), ("weight", "权重"),
                         ("score", "得分"), (None, "原因")),
        funding_rows=(("total", "总额"), ("current_appropriation", "其中：财政资金"),
                      (None, "财政专户管理资金"), (None, "单位资金"), ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("target_parts", ""), ("actual", "完成值"), ("weight", "权重"), ("score", "得分"),
                           ("deviation", "未完成原因分析")),
        total_label="合计", total_weights_only=True, grade=None,
        closing_rows=("评价结论", "存在问题", "改进措施", "项目负责人", "财务负责人")),
    PrintedTemplate(
        name="yunnan", title="项目支出绩效自评表", year_first=True, year_format="",
        subtitle="部门：{department}　　　　公开14表",
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：当年财政拨款"),
                      ("carryover", "上年结转资金"), ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("target_parts", ""), ("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"),
                           ("deviation", "偏差原因分析及改进措施")),
        fancy_operators=True, grade="total-row", total_label="总分", traditional_share=40,
        closing_rows=("其他需要说明事项",)),
    PrintedTemplate(
        name="hebei", title="项目支出绩效自评表", caption="附件1", year_format="{year}年度)",
        numbered_names=True, slot_rows=("指标{n}",), empty_level2="经济效益指标", rate="round-integer"),
    PrintedTemplate(
        name="linkage_funds", title="绩效目标自评表", year_format="({year}年度)",
        funding_columns=_NO_INITIAL,
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：本年财政拨款"),
                      ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("weight", "分值"), ("target", "年度指标值"), ("actual", "全年实际值"),
                           ("score", "得分"), ("deviation", "未完成原因及拟采取的改进措施")),
        sub_rows=True, grade=None),
    PrintedTemplate(
        name="hunan_county", title="县级专项资金绩效目标自评表", year_first=True, year_format="",
        head_labels=("专项资金名称", "县级主管部门", "实施单位"),
        funding_columns=(("annual_budget", "全年预算数(A)"), ("executed", "全年执行数(B)"),
                         ("execution_rate", "执行率(B/A)")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：中央、省、市补助县级资金"),
                      ("other", "其他资金")),
        goal_labels=("年度总体目标", "年初设定目标", "全年实际完成情况"),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("target", "年度指标值"), ("actual", "全年完成值"), ("deviation", "未完成原因和改进措施")),
        total_label=None, grade=None, budget_execution_weight=None, closing_rows=("说明",)),
    PrintedTemplate(
        name="shanxi", title="稷山县项目支出绩效自评表", year_format="（{year}年度）", amount_decimals=4,
        numbered_names=True, grade="row"),
    # Tuning families of traits that published forms show and no tuning
    # family printed before (TEMPLATES.md: a scoring-rule column, a second
    # score column, budget execution worth 20, 分值 before the target, a
    # column's letter after its label, a note of points or of the rule after it).  No
    # office prints exactly these two; each trait is one a real form has, so
    # the readers learn the trait, not a held-out family's labels.
    PrintedTemplate(
        name="scoring_rule_columns", title="项目支出绩效自评表", year_format="（{year}年度）",
        funding_columns=(("initial_budget", "年初预算数"), ("annual_budget", "全年预算数(A)"),
                         ("executed", "全年执行数(B)"), ("weight", "分值"), ("execution_rate", "执行率(B/A)"),
                         ("score", "得分"), (None, "评分说明")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：当年财政拨款"),
                      ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("weight", "分值"), ("target", "年度指标值"), ("actual", "实际完成值"),
                           (None, "评分标准"), ("score", "得分"), ("deviation", "偏差原因分析及改进措施"))),
    PrintedTemplate(
        name="verified_scores", title="项目支出绩效自评表", year_first=True, year_format="",
        funding_columns=(("annual_budget", "全年预算数"), ("executed", "全年执行数"),
                         ("execution_rate", "执行率(%)"), ("weight", "分值(20分)"), ("score", "得分(分值×执行率)")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：当年财政拨款"),
                      ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("target", "年度目标值(A)"), ("actual", "完成值(B)"), ("weight", "分值"),
                           ("score", "得分"), (None, "核定得分"), ("deviation", "偏差原因分析及改进措施")),
        budget_execution_weight=20, rate="round", closing_rows=("存在问题", "改进措施")),
    # A third (TEMPLATES.md): the total stated in the head, no total row and
    # no grade; a first 其中 row and an extra funding row of labels no family
    # prints; column labels the contract lists and no family prints
    # (调整预算数(A), 执行数(B), 年初指标值, 年终完成值, 自评分); 分值 before
    # the target; closing rows whose labels hold a column's words.
    PrintedTemplate(
        name="stated_totals", title="项目支出绩效自评表", year_format="({year}年度)", head_total="自评得分{score}",
        funding_columns=(("annual_budget", "调整预算数(A)"), ("executed", "执行数(B)"), ("weight", "分值"),
                         ("execution_rate", "执行率(B/A)"), ("score", "得分")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：上级补助资金"),
                      (None, "本级配套资金"), ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("weight", "分值"), ("target", "年初指标值"), ("actual", "年终完成值"),
                           ("score", "自评分"), ("deviation", "偏差原因及改进措施")),
        total_label=None, grade=None, rate="round", closing_rows=("目标未完成原因分析", "改进措施及整改情况")),
    # Held out: the readers have no data file for these (HELD_OUT_FAMILIES).
    PrintedTemplate(
        name="ningxia", title="项目绩效目标自评表", year_format="({year}年度)", head_total="项目总得分{score}分",
        funding_columns=(("annual_budget", "全年预算数(A)"), ("executed", "全年执行数(B)"), ("weight", "分值"),
                         ("execution_rate", "执行率(B/A)"), ("score", "得分")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：中央补助"),
                      (None, "自治区补助"), ("other", "市县资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("weight", "分值"), ("target", "年度指标值"), ("actual", "全年实际值"),
                           ("score", "得分"), ("deviation", "未完成原因及改进措施")),
        total_label=None, grade=None, rate="round"),
    PrintedTemplate(
        name="hubei", title="财政项目绩效自评表", year_first=True, year_format="",
        funding_columns=(("annual_budget", "预算数(A)"), ("executed", "执行数(B)"),
                         ("execution_rate", "执行率(B/A)"), ("weight", "分值"), ("score", "得分(20分*执行率)")),
        funding_rows=(("total", "年度财政资金总额"), ("current_appropriation", "其中：当年财政拨款"),
                      ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("target", "年初目标值(A)"), ("actual", "实际完成值(B)"), ("weight", "分值"),
                           ("score", "得分"), (None, "复核分"), ("deviation", "偏差原因分析")),
        budget_execution_weight=20, grade="row", rate="round",
        closing_rows=("偏差大或目标未完成原因分析", "改进措施及结果应用方案")),
    PrintedTemplate(
        name="beijing", title="项目支出绩效自评表", year_format="({year}年度)",
        funding_columns=(("initial_budget", "年初预算数(A)"), ("executed", "全年执行数(B)"), ("weight", "分值(10分)"),
                         ("execution_rate", "执行率(B/A)"), ("score", "得分")),
        funding_rows=(("total", "年度资金总额"), ("current_appropriation", "其中：本年一般公共预算拨款"),
                      ("other", "其他资金")),
        indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                           ("weight", "分值"), ("target", "年度指标值(A)"), ("actual", "全年实际值(B)"),
                           (None, "得分计算方法"), ("score", "得分"), ("deviation", "未完成原因分析")),
        grade=None),
)}
HELD_OUT_FAMILIES = ("ningxia", "hubei", "beijing")
TUNING_FAMILIES = tuple(name for name in TEMPLATES if name not in HELD_OUT_FAMILIES)


# --------------------------------------------------------------------------
# The record a form of the family holds.
# --------------------------------------------------------------------------
def _quantize(value: Decimal, places: int, rule: str) -> Decimal:
    step = Decimal(1).scaleb(-places)
    return value.quantize(step, rounding=ROUND_DOWN if rule == "truncate" else ROUND_HALF_UP)


def _rate(executed: Decimal, budget: Decimal, rule: str) -> Decimal | None:
    if not budget:
        return None
    places = 0 if rule == "round-integer" else 2
    return _quantize(executed / budget * 100, places, rule)


@dataclass(frozen=True)
class FamilyPrint:
    """What a family's form prints beyond its record (a `FormStyle` carries
    it to the renderer): the template, traditional characters, the split
    target's three cells per indicator, `其中` sub-rows after an indicator."""

    template: str
    traditional: bool = False
    target_cells: tuple[tuple[str, str, str], ...] = ()
    sub_rows: tuple[tuple[int, str, str, str], ...] = ()    # (after indicator i, name, target, actual)

    @property
    def printed(self) -> PrintedTemplate:
        return TEMPLATES[self.template]


@dataclass
class _FamilyForm:
    record: dict[str, Any]
    template: PrintedTemplate
    traditional: bool = False
    target_cells: list[tuple[str, str, str]] = field(default_factory=list)
    sub_rows: list[tuple[int, str, str, str]] = field(default_factory=list)


def family_record(record: dict[str, Any], template: PrintedTemplate, seed: int) -> tuple[dict[str, Any], FamilyPrint]:
    """`record` (a synthetic reference form) as the family prints it: the
    record a reader must give, and what the renderer needs to print it."""
    import copy

    rng = random.Random(f"family {template.name} {seed}")
    record = copy.deepcopy(record)
    form = _FamilyForm(record, template, traditional=rng.randrange(100) < template.traditional_share)
    record["title"] = template.title
    record["money_unit"] = template.money_unit
    record["extra"] = {}
    _family_funding(record, template, rng)
    _family_indicators(form, rng)
    _family_totals(record, template)
    for label in template.closing_rows:
        record["extra"][label] = rng.choice(CLOSING_TEXTS[label])
    if form.traditional:
        _to_traditional(form)
    return record, FamilyPrint(template.name, form.traditional, tuple(form.target_cells), tuple(form.sub_rows))


def _family_funding(record: dict[str, Any], template: PrintedTemplate, rng: random.Random) -> None:
    funding = record["funding"]
    printed_rows = {key for key, _ in template.funding_rows if key}
    printed_columns = {key for key, _ in template.funding_columns if key}
    if "carryover" not in printed_rows:                     # the form has no 上年结转 row: its money is the appropriation's
        for key in AMOUNT_KEYS:
            carried = funding["carryover"][key] or Decimal(0)
            if funding["current_appropriation"][key] is not None:
                funding["current_appropriation"][key] += carried
    scale = Decimal(10000) if template.money_unit == "元" else Decimal(1)
    for fkey in FUNDING_KEYS:
        row = funding[fkey]
        for key in AMOUNT_KEYS:
            if row[key] is not None:
                row[key] = row[key] * scale
                if template.amount_decimals == 4 and row[key]:
                    row[key] += Decimal(rng.randrange(100)).scaleb(-4)
    if template.amount_decimals == 4:                       # the total is still the sum of its parts
        for key in AMOUNT_KEYS:
            funding["total"][key] = sum((funding[k][key] or Decimal(0)) for k in FUNDING_KEYS[1:])
    if "annual_budget" not in printed_columns:              # 年初预算数(A) is the budget the rate divides by
        for row in funding.values():
            row["initial_budget"] = row["annual_budget"]
    weight = template.budget_execution_weight
    for fkey in FUNDING_KEYS:
        row = funding[fkey]
        if fkey not in printed_rows:
            funding[fkey] = empty_funding_row()
            continue
        if row["annual_budget"] is not None and row["executed"] is not None:
            row["execution_rate"] = _rate(row["executed"], row["annual_budget"], template.rate)
        if fkey == "total" and weight is not None:
            row["weight"] = Decimal(weight)
            rate = row["execution_rate"] or Decimal(0)
            places = 0 if template.rate == "round-integer" else 2
            row["score"] = min(row["weight"], _quantize(row["weight"] * rate / 100, places, template.rate))
        else:
            row["weight"] = row["score"] = None
        for key in row:
            if key not in printed_columns:
                row[key] = None
    for key, label in template.funding_rows:
        if key is None:
            record["extra"][label] = [_money(Decimal(0), template)] * 3


def _money(value: Decimal, template: PrintedTemplate) -> str:
    text = f"{value.quantize(Decimal(1).scaleb(-template.amount_decimals)):f}"
    if template.group_thousands:
        whole, _, fraction = text.partition(".")
        text = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return text


def _family_indicators(form: _FamilyForm, rng: random.Random) -> None:
    record, template = form.record, form.template
    indicators = record["indicators"]
    if template.budget_execution_weight is None:
        for indicator in indicators:
            indicator["weight"] = indicator["score"] = None
    elif template.budget_execution_weight != 10:
        _reweigh(indicators, Decimal(100 - template.budget_execution_weight))
    if template.rate == "round-integer":
        for indicator in indicators:
            if indicator["score"] is not None:
                indicator["score"] = _quantize(indicator["score"], 0, "round")
    if template.numbered_names:
        for number, indicator in enumerate(indicators, start=1):
            indicator["name"] = f"指标{number}：{indicator['name']}"
    split = "target_parts" in dict(template.indicator_columns)
    for indicator in indicators:
        for key in ("target", "actual"):
            if template.fancy_operators and indicator[key] and rng.randrange(3) == 0:
                indicator[key] = indicator[key][0].translate(str.maketrans(_FANCY_OPERATORS)) + indicator[key][1:]
        if split:
            cells = split_target(indicator["target"] or "")
            form.target_cells.append(cells)
            indicator["target"] = "".join(cells) or None
        measure = parse_measure(indicator["target"])
        indicator["target_op"], indicator["target_value"], indicator["target_unit"] = measure
    if template.sub_rows:
        for index, indicator in enumerate(indicators):
            if indicator["level2"] and "数量" in indicator["level2"] and rng.randrange(2) == 0:
                form.sub_rows.append((index, "其中：脱贫户", indicator["target"] or "", indicator["actual"] or ""))
    for key, label in template.indicator_columns:
        if key is None:
            record["extra"][label] = [extra_column_cell(label, i) for i in indicators]
    if template.level1_weights and template.has_weights:
        sums: dict[str, Decimal] = {}
        for indicator in indicators:
            sums[indicator["level1"]] = sums.get(indicator["level1"], Decimal(0)) + (indicator["weight"] or 0)
        for indicator in indicators:
            indicator["level1"] = f"{indicator['level1']}({_number(sums[indicator['level1']])}分)"


def extra_column_cell(label: str, indicator: dict[str, Any]) -> str:
    """What a column the record keeps in `extra` prints for an indicator
    (复核分, 核定得分: the score again; 得分计算方法, 评分标准: the rule)."""
    if label in _SCORE_AGAIN_COLUMNS:
        return _number(indicator["score"]) if indicator["score"] is not None else ""
    full = indicator["score"] == indicator["weight"]
    if label == "评分标准":
        return "达到目标值得满分" if full else "未达到目标值按完成比例扣分"
    return "完成得满分" if full else "按完成比例计分"


_SCORE_AGAIN_COLUMNS = ("复核分", "核定得分")


def split_target(target: str) -> tuple[str, str, str]:
    """A target as a three-cell template prints it: 指标性质, 指标值, 度量单位."""
    match = _MEASURE.match(target)
    if not match:
        return ("定性", target, "") if target else ("", "", "")
    op, value, unit = match.groups()
    unit = unit.strip()
    if unit.startswith("(") and unit.endswith(")") or unit.startswith("（") and unit.endswith("）"):
        unit = unit[1:-1]
    return (op or "=", value, unit)


def _number(value: Decimal) -> str:
    value = value.normalize()
    return f"{value.quantize(Decimal(1)) if value == value.to_integral() else value:f}"


def _reweigh(indicators: list[dict[str, Any]], total: Decimal) -> None:
    """Take points off the heaviest weights until they add up to `total`
    (budget execution worth 20: the indicators have 80)."""
    excess = sum((i["weight"] for i in indicators if i["weight"] is not None), Decimal(0)) - total
    while excess > 0:
        heaviest = max(indicators, key=lambda i: i["weight"] or 0)
        if not heaviest["weight"] or heaviest["weight"] <= 1:
            break
        take = min(excess, heaviest["weight"] - 1, Decimal(5))
        heaviest["weight"] -= take
        heaviest["score"] = min(heaviest["score"], heaviest["weight"])
        excess -= take


def _family_totals(record: dict[str, Any], template: PrintedTemplate) -> None:
    from corpus.synth import grade_of

    funding = record["funding"]["total"]
    if not template.has_weights:
        record["total_weight"] = record["total_score"] = record["grade"] = None
        return
    weights = [funding["weight"]] + [i["weight"] for i in record["indicators"]]
    scores = [funding["score"]] + [i["score"] for i in record["indicators"]]
    total_score = sum((s for s in scores if s is not None), Decimal(0))
    record["total_weight"] = sum((w for w in weights if w is not None), Decimal(0))
    record["total_score"] = total_score
    record["grade"] = grade_of(int(total_score.scaleb(2))) if template.grade else None
    if template.total_label is None:
        record["total_weight"] = None
        if template.head_total is None:
            record["total_score"] = None
    if template.total_weights_only:
        record["total_score"] = None


def _to_traditional(form: _FamilyForm) -> None:
    """The form printed in traditional characters: the record keeps every
    text as printed (the readers fold labels, not values)."""
    from opencc import OpenCC

    convert = OpenCC("s2t").convert
    record = form.record
    record["title"] = convert(record["title"])
    for key in ("project_name", "department", "implementing_unit", "goal_expected", "goal_actual"):
        if isinstance(record.get(key), str):
            record[key] = convert(record[key])
    for indicator in record["indicators"]:
        for key in ("level1", "level2", "name", "target", "target_unit", "actual", "actual_unit",
                    "deviation", "deviation_cause", "improvement"):
            if isinstance(indicator.get(key), str):
                indicator[key] = convert(indicator[key])
    form.target_cells = [tuple(convert(c) for c in cells) for cells in form.target_cells]  # type: ignore[misc]
    form.sub_rows = [(i, convert(n), convert(t), convert(a)) for i, n, t, a in form.sub_rows]
    # (`extra` keeps its labels simplified: the renderer looks its rows up by them.)
    record["extra"] = {k: convert(v) if isinstance(v, str) else v for k, v in record["extra"].items()}
