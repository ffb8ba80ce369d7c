"""Select choices as WTForms 3.3 wants them (``SelectChoice``, not tuples)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def to_choices(pairs: Iterable[tuple[Any, Any] | SelectChoice]) -> list[SelectChoice]:
    """``(value, label)`` pairs (or choices already made) as ``SelectChoice``."""
    return [p if isinstance(p, SelectChoice) else SelectChoice(p[0], p[1]) for p in pairs]
