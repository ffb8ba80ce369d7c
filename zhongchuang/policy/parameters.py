"""Parameters over time (政策参数), OpenFisca-style.

A parameter is a named value valid from a date until a date (``valid_to`` is the last day
it holds, ``None`` while open), with the article it comes from and whether a published
text confirms it. A changed value is a new record from a new date: history is kept, and a
case judged on a date sees the values of that date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

ParameterValue = Decimal | int


def holds_on(valid_from: date, valid_to: date | None, on: date) -> bool:
    """Whether a value valid from ``valid_from`` to ``valid_to`` (inclusive; ``None``: open)
    is the one in force on ``on`` — the one rule for every parameter's dates."""
    return valid_from <= on and (valid_to is None or on <= valid_to)


@dataclass(frozen=True)
class ParameterRecord:
    """One value of a parameter over one validity period."""

    name: str
    value: ParameterValue
    valid_from: date
    valid_to: date | None = None
    article: str | None = None
    confirmed: bool = False
    unit: str | None = None
    source: str | None = None

    def holds_on(self, on: date) -> bool:
        return holds_on(self.valid_from, self.valid_to, on)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: Decimal as a string, dates as ``YYYY-MM-DD``."""
        return {
            "value": str(self.value) if isinstance(self.value, Decimal) else self.value,
            "unit": self.unit,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "article": self.article,
            "confirmed": self.confirmed,
            "source": self.source,
        }


class ParameterError(LookupError):
    """A parameter is unknown, or has no value on the date asked."""

    def __init__(self, name: str, on: date | None, message: str, message_en: str) -> None:
        super().__init__(f"{message} / {message_en}")
        self.name = name
        self.on = on
        self.message = message
        self.message_en = message_en


class ParameterTable:
    """All records of a set of parameters; ask for a value on a date.

    Records of one name must not overlap; a record must not end before it starts.
    Violations raise ``ValueError`` at construction.
    """

    def __init__(self, records: Iterable[ParameterRecord]) -> None:
        by_name: dict[str, list[ParameterRecord]] = {}
        for record in records:
            if record.valid_to is not None and record.valid_to < record.valid_from:
                raise ValueError(
                    f"参数 {record.name} 的有效期结束日 {record.valid_to} 早于开始日 "
                    f"{record.valid_from}。 / Parameter {record.name} ends before it starts."
                )
            by_name.setdefault(record.name, []).append(record)
        for name, items in by_name.items():
            items.sort(key=lambda r: r.valid_from)
            for earlier, later in zip(items, items[1:], strict=False):
                if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                    raise ValueError(
                        f"参数 {name} 的两个取值有效期重叠（自 {earlier.valid_from} 与自 "
                        f"{later.valid_from}）。 / Parameter {name} has overlapping periods."
                    )
        self._records: dict[str, tuple[ParameterRecord, ...]] = {
            name: tuple(items) for name, items in by_name.items()
        }

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def names(self) -> frozenset[str]:
        return frozenset(self._records)

    def history(self, name: str) -> tuple[ParameterRecord, ...]:
        """Every record of ``name``, oldest first."""
        if name not in self._records:
            raise ParameterError(
                name, None, f"未定义参数 {name}。", f"Parameter {name} is not defined."
            )
        return self._records[name]

    def record(self, name: str, as_of: date) -> ParameterRecord:
        """The record of ``name`` valid on ``as_of``; ``ParameterError`` when none is."""
        for record in self.history(name):
            if record.holds_on(as_of):
                return record
        raise ParameterError(
            name,
            as_of,
            f"参数 {name} 在 {as_of.isoformat()} 没有有效取值。",
            f"Parameter {name} has no value on {as_of.isoformat()}.",
        )

    def value(self, name: str, as_of: date) -> ParameterValue:
        return self.record(name, as_of).value

    def values(self, as_of: date) -> dict[str, ParameterValue]:
        """Every parameter that has a value on ``as_of``, by name."""
        out: dict[str, ParameterValue] = {}
        for name, records in sorted(self._records.items()):
            for record in records:
                if record.holds_on(as_of):
                    out[name] = record.value
        return out

    def snapshot(self, as_of: date, names: Iterable[str] | None = None) -> dict[str, Any]:
        """JSON-ready ``{name: {value, unit, valid_from, valid_to, article, confirmed,
        source}}`` of the values on ``as_of`` (all, or only ``names``), for a case's rule
        snapshot. Names without a value that day are left out."""
        wanted = sorted(self._records) if names is None else sorted(set(names))
        out: dict[str, Any] = {}
        for name in wanted:
            for record in self._records.get(name, ()):
                if record.holds_on(as_of):
                    out[name] = record.as_json()
        return out

    def merged(self, other: ParameterTable) -> ParameterTable:
        """A table with the records of both (a name may not be in both)."""
        clash = self.names() & other.names()
        if clash:
            raise ValueError(f"参数重名：{', '.join(sorted(clash))}。 / Duplicate parameters.")
        return ParameterTable([*self.all_records(), *other.all_records()])

    def all_records(self) -> list[ParameterRecord]:
        return [r for name in sorted(self._records) for r in self._records[name]]
