"""各环节停留 — how long a case stayed in a state, for the statistics page.

A stay runs from the day a case entered a state to the day it left it (Asia/Shanghai
dates), in calendar days and in working days. The engine writes one stay per transition
that leaves a state (never for ``draft``: the applicant's own time is not a stage), so the
statistics read a small table instead of replaying the audit trail. The same rule rebuilds
the stays from an audit trail (:func:`stays_from_history`): after a migration, or to check
the table against the chain.

Medians are computed from histograms (value → number of stays) that the database returns
with ``GROUP BY``, exactly as :func:`statistics.median` would from the list of values.
Plain data in and out; no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from zhongchuang.workflow.calendar import working_days_between

#: States whose time is not counted as a stage of review.
NOT_A_STAGE: Final = frozenset({"draft"})


@dataclass(frozen=True)
class Stay:
    state: str
    entered_on: date
    left_on: date

    @property
    def days(self) -> int:
        return (self.left_on - self.entered_on).days

    @property
    def working_days(self) -> int:
        return max(0, working_days_between(self.entered_on, self.left_on))


def stay(state: str, entered_on: date | None, left_on: date, to_state: str) -> Stay | None:
    """The stay a transition from ``state`` to ``to_state`` on ``left_on`` completes, or
    ``None`` when nothing is to be counted (no state change, a draft, no entry date)."""
    if state == to_state or state in NOT_A_STAGE or entered_on is None:
        return None
    return Stay(state, entered_on, left_on)


def stays_from_history(transitions: Iterable[tuple[date, str, str]]) -> Iterator[Stay]:
    """One case's transitions in order, as (day, from_state, to_state): its completed stays.
    A state left without a recorded entry (history started mid-way) counts nothing."""
    entered: dict[str, date] = {}
    for day, from_state, to_state in transitions:
        if from_state == to_state:
            continue
        s = stay(from_state, entered.pop(from_state, None), day, to_state)
        if s is not None:
            yield s
        entered[to_state] = day


def histogram_median(histogram: Mapping[int, int]) -> float | None:
    """The median of the values a histogram (value → count) stands for; ``None`` when it
    is empty. Same result as :func:`statistics.median` over the expanded list."""
    counts = sorted((value, n) for value, n in histogram.items() if n > 0)
    total = sum(n for _, n in counts)
    if total == 0:
        return None

    def at(rank: int) -> int:  # the value at a 0-based rank of the expanded list
        seen = 0
        for value, n in counts:
            seen += n
            if rank < seen:
                return value
        raise AssertionError("rank beyond the histogram")

    return (at((total - 1) // 2) + at(total // 2)) / 2
