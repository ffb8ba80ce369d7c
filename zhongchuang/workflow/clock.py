"""办理时限 — the case's clock: 法定时限 and 承诺时限, counted in Chinese working days, that
starts at 受理 (``accept``) and stops while the case is in a 特殊环节 (不计时): returned for
amendment, in expert review, in public notice.

The rule (API.md, release 2, "Time limits"):

- the clock starts on the day of ``accept``; a case is due on the ``promised``-th working
  day after that day (:func:`calendar.due_date`), moved by exactly the paused working days;
- a pause from the day of the pausing action A to the day of the resuming action B adds
  the working days in [A, B); while a pause runs, today counts as paused;
- the clock stops for good when the case ends (办结: its workflow's final states); an
  ended case is never overdue;
- overdue: the clock runs and today is after ``due_on``.

What the engine keeps on the case (:class:`ClockState`) is what this module computes from
the case's transitions, one at a time (:func:`step`) or all at once (:func:`replay`).
Plain dates and strings in and out; no Flask, no models.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow.machine import get_workflow, is_final

#: The action that starts the clock (受理) and the state it leads to.
START_STATE: Final = "accepted"
#: 特殊环节 — states in which the clock stops, whatever the workflow.
PAUSING_STATES: Final = frozenset({"returned", "in_notice"})
#: In a workflow with expert review, ``county_approved`` is the expert review (专家评审).
EXPERT_REVIEW_STATE: Final = "county_approved"
#: 提醒 — the shares of the promised limit at which the responsible reviewers are told.
REMINDER_THRESHOLDS: Final = (80, 100)
#: 即将超期 — a running case is due soon when at most this many working days are left.
DUE_SOON_WORKING_DAYS: Final = 3

_ONE_DAY: Final = timedelta(days=1)


def is_pausing(state: str, workflow_id: str) -> bool:
    """特殊环节不计时: whether the clock stands still while a case of this workflow is in
    ``state`` (returned, in notice, or in expert review where the workflow has one)."""
    if state in PAUSING_STATES:
        return True
    return state == EXPERT_REVIEW_STATE and get_workflow(workflow_id).expert_review


def working_days_in(start: date, end: date) -> int:
    """Working days in [start, end) — 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    return wcal.working_days_between(start - _ONE_DAY, end - _ONE_DAY)


@dataclass(frozen=True)
class Limits:
    """法定时限 and 承诺时限 of a program, in working days (promised ≤ statutory)."""

    statutory: int
    promised: int


@dataclass(frozen=True)
class ClockState:
    """What the engine keeps on a case: when the clock started and stopped, the working
    days of the pauses that ended, and since when the current pause runs."""

    started_on: date | None = None
    stopped_on: date | None = None
    paused_since: date | None = None
    paused_working_days: int = 0

    @property
    def started(self) -> bool:
        return self.started_on is not None

    @property
    def running(self) -> bool:
        """The clock counts: started, not ended, not in a pause."""
        return self.started and self.stopped_on is None and self.paused_since is None


def step(
    clock: ClockState,
    from_state: str,
    to_state: str,
    day: date,
    workflow_id: str,
    *,
    ended: bool | None = None,
) -> ClockState:
    """The clock after a case of ``workflow_id`` moved from ``from_state`` to ``to_state``
    on ``day``. ``ended``: whether the case ends there (办结), when the caller knows better
    than the workflow (a recognition on a workflow of the first release ends ``approved``);
    by default the workflow's final states."""
    if from_state == to_state or clock.stopped_on is not None:
        return clock
    if ended is None:
        ended = is_final(to_state, workflow_id)
    if not clock.started:
        if to_state != START_STATE:
            return clock
        clock = ClockState(started_on=day)
    if clock.paused_since is not None and not is_pausing(to_state, workflow_id):
        clock = replace(
            clock,
            paused_since=None,
            paused_working_days=clock.paused_working_days
            + working_days_in(clock.paused_since, day),
        )
    if ended:
        if clock.paused_since is not None:  # ended during a pause: the pause ends too
            clock = replace(
                clock,
                paused_since=None,
                paused_working_days=clock.paused_working_days
                + working_days_in(clock.paused_since, day),
            )
        return replace(clock, stopped_on=day)
    if clock.paused_since is None and is_pausing(to_state, workflow_id):
        clock = replace(clock, paused_since=day)
    return clock


def replay(transitions: Iterable[tuple[date, str, str]], workflow_id: str) -> ClockState:
    """The clock after a case's transitions, in order, as (day, from_state, to_state)."""
    clock = ClockState()
    for day, from_state, to_state in transitions:
        clock = step(clock, from_state, to_state, day, workflow_id)
    return clock


def paused_until(clock: ClockState, today: date) -> int:
    """The paused working days as of ``today``: the ended pauses, and a running one
    counted up to and including today (today has not run)."""
    running = working_days_in(clock.paused_since, today + _ONE_DAY) if clock.paused_since else 0
    return clock.paused_working_days + running


def due_on(clock: ClockState, promised: int, today: date | None = None) -> date | None:
    """The promised limit's day, moved by exactly the paused working days (during a pause:
    as if the case resumed tomorrow, with ``today``); ``None`` before the clock starts."""
    if clock.started_on is None:
        return None
    paused = clock.paused_working_days if today is None else paused_until(clock, today)
    return wcal.add_working_days(clock.started_on, promised + paused)


def stored_due_on(clock: ClockState, promised: int | None) -> date | None:
    """The due date the case row keeps for the queues: set only while the clock runs
    (a paused or ended case is never overdue and sorts last)."""
    if not clock.running or promised is None:
        return None
    return due_on(clock, promised)


@dataclass(frozen=True)
class TimeLimit:
    """``time_limit`` of ``GET /api/v1/applications/<id>`` (API.md)."""

    statutory_working_days: int
    promised_working_days: int
    started_on: date | None
    due_on: date | None
    elapsed_working_days: int
    paused_working_days: int
    paused: bool
    overdue: bool
    #: 办结: the clock stopped for good.
    ended: bool = False
    #: Working days from today to ``due_on`` (negative: overdue by that many).
    remaining_working_days: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "statutory_working_days": self.statutory_working_days,
            "promised_working_days": self.promised_working_days,
            "started_on": self.started_on,
            "due_on": self.due_on,
            "elapsed_working_days": self.elapsed_working_days,
            "paused_working_days": self.paused_working_days,
            "paused": self.paused,
            "overdue": self.overdue,
        }


def time_limit(clock: ClockState, limits: Limits, today: date) -> TimeLimit:
    """The case's time limit as of ``today`` (an ended case: as of the day it ended)."""
    if clock.started_on is None:
        return TimeLimit(limits.statutory, limits.promised, None, None, 0, 0, False, False)
    end = clock.stopped_on or today
    paused = paused_until(clock, end) if clock.stopped_on is None else clock.paused_working_days
    elapsed = max(0, wcal.working_days_between(clock.started_on, end) - paused)
    due = wcal.add_working_days(clock.started_on, limits.promised + paused)
    return TimeLimit(
        statutory_working_days=limits.statutory,
        promised_working_days=limits.promised,
        started_on=clock.started_on,
        due_on=due,
        elapsed_working_days=elapsed,
        paused_working_days=paused,
        paused=clock.paused_since is not None and clock.stopped_on is None,
        overdue=clock.running and today > due,
        ended=clock.stopped_on is not None,
        remaining_working_days=wcal.working_days_between(end, due),
    )


def threshold_elapsed(promised: int, threshold: int) -> int:
    """The elapsed working days at which ``threshold`` % of the promised limit is reached
    (rounded up: 80 % of 15 is the 12th working day)."""
    return math.ceil(promised * threshold / 100)


def reminders_due(clock: ClockState, promised: int, today: date) -> tuple[int, ...]:
    """Which of :data:`REMINDER_THRESHOLDS` a running clock has reached by ``today``."""
    if not clock.running or clock.started_on is None:
        return ()
    elapsed = wcal.working_days_between(clock.started_on, today) - clock.paused_working_days
    return tuple(t for t in REMINDER_THRESHOLDS if elapsed >= threshold_elapsed(promised, t))


def due_soon_until(today: date) -> date:
    """即将超期: a running case due on or before this day (and not yet overdue)."""
    return wcal.add_working_days(today, DUE_SOON_WORKING_DAYS)
