"""The trained model's second opinion on what the layout parser read.

Deviation cells are split by rule where a label marks the parts
(`改进措施：`) and by the model where none does.  Where rule and model split
a cell differently, both parts are disputed: their confidence drops, so a
reviewer sees them.
"""

from __future__ import annotations

from extract.compare import fields_equal
from extract.deviation import split_deviation
from extract.model import ParsedForm, Provenance
from extract.ner import FieldTagger, split_deviation_with_model


def review_deviations(form: ParsedForm, tagger: FieldTagger | None) -> set[str]:
    """Split every deviation cell with the model; returns the disputed paths."""
    disputed: set[str] = set()
    if tagger is None:
        return disputed
    for index, indicator in enumerate(form.record.get("indicators") or []):
        text = indicator.get("deviation")
        if not text:
            continue
        by_rule = split_deviation(text)
        by_model = split_deviation_with_model(text, tagger)
        indicator["deviation_cause"], indicator["improvement"] = by_model
        if all(fields_equal(r, m) for r, m in zip(by_rule, by_model)):
            continue
        cell = form.provenance.get(f"indicators[{index}].deviation")
        for key in ("deviation_cause", "improvement"):
            path = f"indicators[{index}].{key}"
            disputed.add(path)
            if cell is not None:
                form.provenance[path] = Provenance(cell.page, cell.bbox, "ner", cell.confidence)
    return disputed
