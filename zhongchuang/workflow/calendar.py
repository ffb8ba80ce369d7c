"""工作日 — Chinese working days for notice periods (公示期) and time limits (办理时限).

Working days follow the State Council's holiday schedule, adjusted working weekends (调休)
included, from ``chinesecalendar``. Outside the years the package knows (its data starts
in 2004 and ends with the last published schedule) we count Monday to Friday only and say
so: :func:`calendar_certain` is ``False`` and :data:`UNCERTAIN_NOTE_ZH` is the text to
show. Plain dates in and out.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final, Literal, NamedTuple

import chinese_calendar

UNCERTAIN_NOTE_ZH: Final = "节假日安排未知，按周末计算"
UNCERTAIN_NOTE_EN: Final = "Holiday schedule unknown; only weekends counted"

_ONE_DAY: Final = timedelta(days=1)
#: Bound for the day-by-day walks (no schedule has 60 days off in a row).
_MAX_GAP: Final = 60


#: 公示期 — working days a notice runs unless the catalogue's ``notice_working_days`` says
#: otherwise, and the longest the system accepts.
NOTICE_DAYS_DEFAULT: Final = 5
NOTICE_DAYS_MAX: Final = 30


class NoticePeriod(NamedTuple):
    """公示期: first and last working day, both included."""

    starts_on: date
    ends_on: date


def calendar_certain(day: date) -> bool:
    """Whether the holiday schedule of ``day``'s year is known to ``chinesecalendar``."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def calendar_warning(
    start: date, end: date | None = None, lang: Literal["zh", "en"] = "zh"
) -> str | None:
    """The note to show when any year from ``start`` to ``end`` has no known schedule."""
    last = end or start
    if last < start:
        start, last = last, start
    years = range(start.year, last.year + 1)
    if all(calendar_certain(date(y, 1, 1)) for y in years):
        return None
    return UNCERTAIN_NOTE_ZH if lang == "zh" else UNCERTAIN_NOTE_EN


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """工作日: per the official schedule; Monday to Friday where it is unknown.

    A pure function of the date, asked day by day by every due date, queue row and
    statistic: cached (the schedule lookup costs about 40 µs a day)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def next_working_day_on_or_after(day: date) -> date:
    for _ in range(_MAX_GAP):
        if is_working_day(day):
            return day
        day += _ONE_DAY
    raise ValueError(f"no working day within {_MAX_GAP} days of {day}")


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself not counted; n=0: start)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    for _ in range(n):
        day = next_working_day_on_or_after(day + _ONE_DAY)
    return day


def subtract_working_days(end: date, n: int) -> date:
    """The ``n``-th working day before ``end`` (``end`` itself not counted; n=0: end)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = end
    for _ in range(n):
        day -= _ONE_DAY
        for _gap in range(_MAX_GAP):
            if is_working_day(day):
                break
            day -= _ONE_DAY
    return day


def notice_period(published_on: date, working_days: int) -> NoticePeriod:
    """公示期 per DOMAIN.md: starts on the publication day if it is a working day, else the
    next one; ends on the ``working_days``-th working day, counting the first as one."""
    if working_days < 1:
        raise ValueError("a notice lasts at least one working day")
    starts_on = next_working_day_on_or_after(published_on)
    return NoticePeriod(starts_on, add_working_days(starts_on, working_days - 1))


def due_date(entered_on: date, working_days: int) -> date:
    """办理时限: the last day to act on a case that entered a state on ``entered_on`` —
    the ``working_days``-th working day after that day (the entry day is not counted)."""
    return add_working_days(entered_on, working_days)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``.

    ``working_days_between(d, due_date(d, n)) == n``.
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        count += is_working_day(day)
        day += _ONE_DAY
    return count


def is_overdue(entered_on: date, working_days: int, today: date) -> bool:
    """超期: today is past the due date."""
    return today > due_date(entered_on, working_days)
