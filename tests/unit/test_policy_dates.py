"""Calendar arithmetic the rules share (满月数, months as first days)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from zhongchuang.policy.dates import (
    add_years,
    loan_window_months,
    months_between,
    parse_date,
    parse_month,
)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2019, 7, 1), date(2020, 6, 30), 11),
        (date(2019, 7, 1), date(2020, 7, 1), 12),
        (date(2017, 1, 15), date(2018, 7, 14), 17),
        (date(2017, 1, 15), date(2018, 7, 15), 18),
        (date(2019, 1, 31), date(2019, 2, 27), 0),
        (date(2019, 1, 31), date(2019, 2, 28), 1),
        (date(2019, 1, 31), date(2019, 3, 1), 1),
        (date(2020, 3, 1), date(2020, 1, 1), -2),
    ],
)
def test_whole_months_between_two_dates(start: date, end: date, months: int) -> None:
    assert months_between(start, end) == months


def test_add_years_on_29_february() -> None:
    assert add_years(date(2016, 2, 29), 5) == date(2021, 2, 28)


@pytest.mark.parametrize(
    "raw", ["2020-03", "2020/3", "202003", "2020年3月", "2020-03-15", date(2020, 3, 9)]
)
def test_parse_month_accepts_the_usual_spellings(raw: object) -> None:
    assert parse_month(raw) == date(2020, 3, 1)


def test_parse_month_and_date_refuse_nonsense() -> None:
    for raw in ["2020-13", "March", "", None, 202003]:
        with pytest.raises(ValueError, match="月份"):
            parse_month(raw)
    assert parse_date(datetime(2020, 3, 9, 8, 0)) == date(2020, 3, 9)
    with pytest.raises(ValueError, match="日期不存在"):
        parse_date("2019-02-29")


def test_loan_window_counts_months_inside() -> None:
    # window 2017-01 .. 2019-12; period 2019-07 .. 2020-06 → 6 of 12 months inside
    assert loan_window_months(date(2017, 1, 10), 3, date(2019, 7, 1), date(2020, 6, 1)) == (6, 12)
    assert loan_window_months(date(2017, 1, 10), 3, date(2020, 1, 1), date(2020, 6, 1)) == (0, 6)
