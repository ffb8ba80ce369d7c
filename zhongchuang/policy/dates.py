"""Calendar arithmetic the rules share: whole months, years, months as first days.

A month (``YYYY-MM``) is represented by the ``date`` of its first day, so months compare,
sort and hash like dates and stay plain values.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date, datetime

_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_MONTH_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """Same day ``years`` later; 29 February becomes 28 February."""
    return add_months(day, 12 * years)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (满月数): 2019-07-01 → 2020-06-30 is 11,
    → 2020-07-01 is 12. Negative when ``end`` is before ``start``."""
    if end < start:
        return -months_between(end, start)
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def month_span(start: date, end: date) -> int:
    """Number of calendar months from ``start``'s month to ``end``'s, both included."""
    return month_index(end) - month_index(start) + 1


def iter_months(start: date, end: date) -> Iterator[date]:
    """Each month (its first day) from ``start``'s month to ``end``'s, both included."""
    current = first_of_month(start)
    while current <= end:
        yield current
        current = add_months(current, 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(value: object) -> date:
    """``'2020-03'`` (also ``2020/3``, ``202003``, ``2020年3月``, a date) → ``date(2020, 3, 1)``.

    Raises ``ValueError`` with a Chinese message when the value is not a month.
    """
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, str):
        match = _MONTH_RE.match(value) or _MONTH_COMPACT_RE.match(value)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and year >= 1900:
                return date(year, month, 1)
        else:
            full = _DATE_RE.match(value)
            if full:
                return parse_date(value).replace(day=1)
    raise ValueError(f"月份格式应为 YYYY-MM，而不是 {value!r}。")


def parse_date(value: object) -> date:
    """``'2020-03-15'`` (also ``2020/3/15``, ``2020年3月15日``, a date or datetime) → date.

    Raises ``ValueError`` with a Chinese message when the value is not a real date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _DATE_RE.match(value)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                raise ValueError(f"日期不存在：{value!r}。") from None
    raise ValueError(f"日期格式应为 YYYY-MM-DD，而不是 {value!r}。")


def loan_window_months(
    loan_start: date, years: int, period_start: date, period_end: date
) -> tuple[int, int]:
    """(months of the interest period inside the window, months of the period).

    The window is ``years × 12`` calendar months from the month of ``loan_start``;
    the period counts calendar months from ``period_start``'s to ``period_end``'s.
    """
    first = month_index(loan_start)
    last = first + 12 * max(years, 0) - 1
    start, end = month_index(period_start), month_index(period_end)
    total = max(0, end - start + 1)
    inside = max(0, min(end, last) - max(start, first) + 1)
    return inside, total
