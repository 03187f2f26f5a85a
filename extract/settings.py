"""What every settings class shares (`OcrSettings`, `GridSettings`,
`StripSettings`, `TesseractSettings`, `ScanSettings`, `ReviewSettings`,
`ConfidencePolicy`): applying a section of a settings file, and checking
values with messages that name the setting.

Each settings class is a frozen dataclass (hashable, so engines can be
cached by it, and picklable, so it travels to worker processes) that checks
itself in `__post_init__`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Mapping, TypeVar

T = TypeVar("T", bound="Settings")


class Settings:
    """Mixin for frozen settings dataclasses."""

    @classmethod
    def from_mapping(cls: type[T], mapping: Mapping[str, Any], base: T | None = None) -> T:
        """`base` (default: the defaults) with the values of `mapping`, a
        section of a settings file; unknown keys and values of the wrong
        type are refused with a message naming them."""
        if not isinstance(mapping, Mapping):
            raise ValueError(f"{cls.__name__} needs a table of settings, got {type(mapping).__name__}")
        known = [f.name for f in dataclasses.fields(cls)]   # type: ignore[arg-type]
        unknown = sorted(str(key) for key in mapping if key not in known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} setting{'s' if len(unknown) > 1 else ''}: "
                             f"{', '.join(unknown)} (known: {', '.join(known)})")
        hints = typing.get_type_hints(cls)
        values = {key: _typed(cls.__name__, key, hints[key], value) for key, value in mapping.items()}
        return dataclasses.replace(base if base is not None else cls(), **values)  # type: ignore[type-var]

    def replace(self: T, **changes: Any) -> T:
        """A copy with `changes`, checked again."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _typed(owner: str, name: str, kind: Any, value: Any) -> Any:
    """`value` as the field's type: ints stay ints, an int is a fine float."""
    options = typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
    if value is None and type(None) in options:
        return None
    if bool in options and isinstance(value, bool):
        return value
    if int in options and isinstance(value, int) and not isinstance(value, bool):
        return value
    if float in options and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if str in options and isinstance(value, str):
        return value
    words = {int: "a whole number", float: "a number", str: "text", bool: "true or false", type(None): "none"}
    wanted = " or ".join(words.get(o, getattr(o, "__name__", str(o))) for o in options)
    raise ValueError(f"{owner}.{name} must be {wanted}, not {value!r}")


def check_number(owner: object, name: str, low: float, high: float, *, integer: bool = False,
                 open_low: bool = False, open_high: bool = False) -> None:
    """`owner.name` is a number (a whole one if `integer`) within [low, high]
    (or open at either end); else a ValueError naming the setting."""
    value = getattr(owner, name)
    kinds = (int,) if integer else (int, float)
    number = isinstance(value, kinds) and not isinstance(value, bool) and not math.isnan(value)
    inside = number and (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not inside:
        kind = "a whole number" if integer else "a number"
        span = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{type(owner).__name__}.{name} must be {kind} in {span}, not {value!r}")
