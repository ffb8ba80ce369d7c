"""A policy's status on a date (施行、继续有效、废止), from its dated events.

Every event takes effect on its own date: a policy repealed on 2021-12-31 is no longer
in force on 2021-12-31. ``issued`` counts as the start of force only when the events carry
no ``in_force`` event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

Status = Literal["in_force", "not_yet", "repealed"]

#: Event kinds a catalogue may use.
EVENT_KINDS: tuple[str, ...] = (
    "issued",
    "in_force",
    "confirmed_valid",
    "amended",
    "repealed",
    "expired",
)
_STARTS = frozenset({"in_force"})
_ENDS = frozenset({"repealed", "expired"})

STATUS_LABELS: dict[str, str] = {
    "in_force": "现行有效",
    "not_yet": "尚未施行",
    "repealed": "已废止",
}


class EventLike(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def date(self) -> dt.date: ...


@dataclass(frozen=True)
class PolicyEvent:
    """A dated step in a policy's life, with the document that decided it."""

    kind: str
    date: dt.date
    document: str | None = None
    confirmed: bool = False
    note: str | None = None


def event_record(
    on: date,
    kind: str,
    document: str | None = None,
    *,
    confirmed: bool = False,
    note: str | None = None,
) -> PolicyEvent:
    """Build a :class:`PolicyEvent` from loose values (e.g. a database row's columns)."""
    return PolicyEvent(kind=kind, date=on, document=document, confirmed=confirmed, note=note)


def _ordered(events: Iterable[EventLike]) -> list[EventLike]:
    return sorted(events, key=lambda e: e.date)


def policy_status(events: Iterable[EventLike], on: date) -> Status:
    """``in_force``, ``not_yet`` or ``repealed`` on the day ``on``."""
    ordered = _ordered(events)
    starts = _STARTS if any(e.kind in _STARTS for e in ordered) else frozenset({"issued"})
    status: Status = "not_yet"
    for event in ordered:
        if event.date > on:
            break
        if event.kind in starts:
            status = "in_force"
        elif event.kind in _ENDS:
            status = "repealed"
    return status


def is_in_force(events: Iterable[EventLike], on: date) -> bool:
    return policy_status(events, on) == "in_force"


def in_force_period(events: Iterable[EventLike]) -> tuple[date | None, date | None]:
    """First day in force and the day force ended (``None`` when open), for display."""
    ordered = _ordered(events)
    starts = _STARTS if any(e.kind in _STARTS for e in ordered) else frozenset({"issued"})
    start = next((e.date for e in ordered if e.kind in starts), None)
    end = next(
        (e.date for e in ordered if e.kind in _ENDS and (start is None or e.date >= start)), None
    )
    return start, end
