"""One form assembly, which both readers fill.

A reader (the grid reader for ruled cells, the flat reader for lines of
text) says what it found: the text a field's cell prints and where it was
read.  `FormAssembly.finish` turns that into the record once, the same way
for both: text as the contract stores it, numbers as Decimal with a finding
for a cell that prints no number, the leaves parsed out of a cell (a
target's op/value/unit, a deviation's cause and improvement) with the
cell's provenance, and the record's `source`.  The form's position in its
file, and so its `form_id`, is the pipeline's to give.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from extract.layout.labels import FORM_TITLE
from extract.model import (
    DEFAULT_MONEY_UNIT, FUNDING_KEYS, FUNDING_ROW_KEYS, FieldPath, Finding, FormResult, Provenance, empty_indicator,
    empty_record, iter_fields, set_field, source_of,
)
from extract.parse.deviation import split_deviation
from extract.parse.values import clean_cell_text, parse_measure, parse_number, text_or_none

log = logging.getLogger("selfeval.parse")

UNREADABLE_NUMBER = "unreadable_number"   # a number cell printing something that is no number
TEMPLATE_UNKNOWN = "template_unknown"     # a title no template family prints
# The reader could not be sure of the table's structure (which row or
# column a cell belongs to): its fields go to review whatever their text.
LAYOUT_IN_DOUBT = "layout_in_doubt"


@dataclass
class _Printed:
    text: str | None
    where: Provenance | None


@dataclass
class FormAssembly:
    """What a reader found of one form, before it becomes a record."""

    printed: dict[FieldPath, _Printed] = field(default_factory=dict)
    indicators: int = 0
    pages: set[int] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    doubts: list[Finding] = field(default_factory=list)
    # How the reader read cells it gives no place for (a flat text's reader):
    # their provenance says so, with the form's first page.
    method: str | None = None
    # The title as printed, without the year; the unit the funding table
    # states; labelled cells no key holds ({label as printed: text}).
    title: str | None = None
    money_unit: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The families printing the title (extract.layout.templates); () for a
    # title no family prints, None where the reader did not look it up.
    template_families: tuple[str, ...] | None = None
    # The header labels the form's tables print (folded), which its family must know.
    header_labels: set[str] = field(default_factory=set)
    # Each field's label as its form prints it (the header of its column, the
    # label of its row), shown to the reviewer.
    labels: dict[FieldPath, str] = field(default_factory=dict)

    # ------------------------------------------------------------ filling

    def touch(self, page: int, kind: str) -> None:
        """The form has content on this page (read as `kind`: text or scan)."""
        self.pages.add(page)
        self.kinds.add(kind)

    def put(self, path: FieldPath, text: str | None, where: Provenance | None = None) -> None:
        """The text a field's cell prints (None: no cell was found for it)."""
        if path.cell != path:
            raise ValueError(f"{path} is parsed out of {path.cell}: put the cell's text")
        self.printed[path] = _Printed(text, where)

    def add_text(self, path: FieldPath, more: str, where: Provenance | None = None) -> None:
        """More lines of a cell already put (a cell a page break cut)."""
        known = self.printed.get(path)
        if known is None or not known.text:
            self.put(path, more, where)
        else:
            known.text = known.text + "\n" + more

    def doubt(self, fields: list[FieldPath], message: str, rule: str = LAYOUT_IN_DOUBT,
              expected: Any = None, found: Any = None) -> None:
        """The reader doubts where these fields' cells belong (a row joined
        or split by guess, a column not found by its header): a finding
        that sends them to review."""
        self.doubts.append(Finding(rule, list(fields), expected, found, message))

    def unprinted_funding_cells(self) -> list[FieldPath]:
        """Every cell of each funding row none of whose cells was put: the
        rows a funding table, read whole, does not print (no 上年结转资金)."""
        return [FieldPath.funding(row, column) for row in FUNDING_KEYS
                if not any(FieldPath.funding(row, c) in self.printed for c in FUNDING_ROW_KEYS)
                for column in FUNDING_ROW_KEYS]

    def new_indicator(self) -> int:
        """Open the next 三级指标 row; returns its position."""
        self.indicators += 1
        return self.indicators - 1

    def text(self, path: FieldPath) -> str | None:
        known = self.printed.get(path)
        return known.text if known is not None else None

    @property
    def has_content(self) -> bool:
        return bool(text_or_none(self.text(FieldPath.top("project_name")))) or self.indicators > 0

    # ------------------------------------------------------------ the record

    def finish(self, file_name: str, sha256: str) -> FormResult:
        # A reader that names no title found the form by the one it knows.
        self.printed.setdefault(FieldPath.top("title"), _Printed(text_or_none(self.title) or FORM_TITLE, None))
        if text_or_none(self.money_unit):
            self.printed.setdefault(FieldPath.top("money_unit"), _Printed(self.money_unit, None))
        record = empty_record()
        record["indicators"] = [empty_indicator() for _ in range(self.indicators)]
        form = FormResult(record)
        for path, printed in self.printed.items():
            try:
                values = cell_values(path, printed.text)
            except ValueError:
                shown = clean_cell_text(printed.text)
                form.findings.append(Finding(UNREADABLE_NUMBER, [path], "a number", shown,
                                             f"{path}: '{shown}' is not a number"))
                log.debug("%s: %r is not a number", path, shown)
                values = {path: None}
            for leaf, value in values.items():
                set_field(record, leaf, value)
                where = printed.where
                if where is None and self.method is not None and printed.text is not None:
                    where = Provenance(min(self.pages, default=1), None, self.method, 1.0)
                if where is not None:
                    form.state(leaf).provenance = where
        read_as = next((state.provenance for state in form.fields.values() if state.provenance), None)
        title = form.state(FieldPath.top("title"))
        if title.provenance is None and read_as is not None:     # read the way the form's cells were
            title.provenance = Provenance(min(self.pages, default=1), None, read_as.method, 1.0)
        record["money_unit"] = record["money_unit"] or DEFAULT_MONEY_UNIT   # a form that states none: not read
        form.findings.extend(self.doubts)
        if self.template_families and self.header_labels:
            from extract.layout.templates import families_printing

            self.template_families = families_printing(self.template_families, self.header_labels)
        form.families = self.template_families
        if self.template_families == ():
            found = set(self.labels) | {path for path, printed in self.printed.items() if printed.where is not None}
            form.findings.append(_template_unknown(record, found))
        record["source"] = source_of(file_name, sha256, self.pages, self.kinds)
        record["extra"] = dict(self.extra)
        for path, label in self.labels.items():
            for leaf in (path, *path.parsed):
                form.state(leaf).label = label
        return form


def _template_unknown(record: dict[str, Any], found: set[FieldPath]) -> Finding:
    """A form of a family no data file describes, read by its headers as far
    as they go.  What was read under a label is read as well as in a known
    family, and the checks test it the same way; what an unknown header may
    hide is a cell never found.  So the finding names the title (a person
    confirms the form and its template) and every field left empty whose
    cell the reader did not find (`found`: cells read, empty or not, and
    cells a header read whole says the form does not print)."""
    fields = [FieldPath.top("title")] + [path for path, value in iter_fields(record)
                                         if path.is_read_from_form and value is None and path.cell not in found]
    title = record["title"]
    return Finding(TEMPLATE_UNKNOWN, fields, "a known template family", title,
                   f"template not recognised: no family of extract/layout/families prints the title {title!r}")


def cell_values(cell: FieldPath, text: str | None) -> dict[FieldPath, Any]:
    """What a printed cell gives the record, by the contract: its own value
    (text as stored, or a Decimal) and the leaves parsed out of it (a
    target's op/value/unit, a deviation's cause and improvement).  Raises
    ValueError for a number cell that prints something that is no number.
    Review applies a reviewer's correction of a cell the same way."""
    if cell.is_number:
        number = parse_number(text)
        return {cell: int(number) if number is not None and cell.key == "year" else number}
    value = text_or_none(text)
    values: dict[FieldPath, Any] = {cell: value}
    if cell.key in ("target", "actual"):
        measure = parse_measure(value)
        values[cell.sibling(f"{cell.key}_value")] = measure.value
        values[cell.sibling(f"{cell.key}_unit")] = measure.unit
        if cell.key == "target":
            values[cell.sibling("target_op")] = measure.op
    elif cell.key == "deviation":
        values[cell.sibling("deviation_cause")], values[cell.sibling("improvement")] = split_deviation(value)
    return values
