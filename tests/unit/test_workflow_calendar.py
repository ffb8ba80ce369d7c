"""Chinese working days (工作日), notice periods (公示期) and time limits (办理时限)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhongchuang.workflow.calendar import (
    UNCERTAIN_NOTE_EN,
    UNCERTAIN_NOTE_ZH,
    add_working_days,
    calendar_certain,
    calendar_warning,
    due_date,
    is_overdue,
    is_working_day,
    next_working_day_on_or_after,
    notice_period,
    subtract_working_days,
    working_days_between,
)


def test_domain_example_notice_over_national_day_2019() -> None:
    # Published Fri 2019-09-27 for 5 working days: 09-27, Sun 09-29 (调休), 09-30, 10-08, 10-09.
    starts_on, ends_on = notice_period(date(2019, 9, 27), 5)
    assert starts_on == date(2019, 9, 27)
    assert ends_on == date(2019, 10, 9)


def test_adjusted_weekend_is_a_working_day_and_holiday_is_not() -> None:
    assert is_working_day(date(2019, 9, 29))  # Sunday, 调休上班
    assert not is_working_day(date(2019, 9, 28))  # Saturday
    assert not is_working_day(date(2019, 10, 1))  # 国庆节
    assert not is_working_day(date(2019, 10, 7))  # Monday, still 国庆 holiday
    assert is_working_day(date(2019, 10, 8))


def test_notice_published_on_a_holiday_starts_on_the_next_working_day() -> None:
    period = notice_period(date(2019, 10, 3), 5)
    assert period.starts_on == date(2019, 10, 8)
    assert period.ends_on == date(2019, 10, 12)  # Saturday 10-12 is 调休上班


def test_one_day_notice_ends_on_its_first_day() -> None:
    assert notice_period(date(2021, 3, 15), 1) == (date(2021, 3, 15), date(2021, 3, 15))
    with pytest.raises(ValueError, match="at least one"):
        notice_period(date(2021, 3, 15), 0)


def test_next_working_day_on_or_after() -> None:
    assert next_working_day_on_or_after(date(2021, 3, 15)) == date(2021, 3, 15)
    assert next_working_day_on_or_after(date(2021, 3, 13)) == date(2021, 3, 15)
    assert next_working_day_on_or_after(date(2021, 2, 11)) == date(2021, 2, 18)  # 春节


def test_add_working_days() -> None:
    assert add_working_days(date(2021, 3, 15), 0) == date(2021, 3, 15)
    assert add_working_days(date(2021, 3, 12), 1) == date(2021, 3, 15)  # Fri → Mon
    assert add_working_days(date(2019, 9, 27), 4) == date(2019, 10, 9)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2021, 3, 15), -1)


def test_subtract_working_days() -> None:
    assert subtract_working_days(date(2021, 3, 15), 0) == date(2021, 3, 15)
    assert subtract_working_days(date(2021, 3, 15), 1) == date(2021, 3, 12)  # Mon → Fri
    # Back over 国庆: 10-09 is the 4th working day after 09-27 (and 09-29 is a 调休 Sunday).
    assert subtract_working_days(date(2019, 10, 9), 4) == date(2019, 9, 27)
    with pytest.raises(ValueError, match="negative"):
        subtract_working_days(date(2021, 3, 15), -1)


@given(st.dates(date(2015, 1, 1), date(2022, 12, 31)), st.integers(0, 60))
def test_subtract_undoes_add_from_a_working_day(day: date, n: int) -> None:
    start = next_working_day_on_or_after(day)
    assert subtract_working_days(add_working_days(start, n), n) == start


def test_due_date_and_overdue() -> None:
    # Submitted Friday 2019-09-27; 受理 within 5 working days: 09-29, 09-30, 10-08, 10-09, 10-10.
    entered = date(2019, 9, 27)
    assert due_date(entered, 5) == date(2019, 10, 10)
    assert not is_overdue(entered, 5, date(2019, 10, 10))
    assert is_overdue(entered, 5, date(2019, 10, 11))


def test_working_days_between() -> None:
    assert working_days_between(date(2019, 9, 27), date(2019, 10, 10)) == 5
    assert working_days_between(date(2019, 10, 10), date(2019, 9, 27)) == -5
    assert working_days_between(date(2021, 3, 15), date(2021, 3, 15)) == 0


def test_outside_known_years_only_weekends_count_and_it_says_so() -> None:
    far = date(2031, 10, 1)  # a Wednesday; the holiday schedule of 2031 is not known
    assert not calendar_certain(far)
    assert is_working_day(far)
    assert not is_working_day(date(2031, 10, 4))  # Saturday
    assert calendar_warning(far) == UNCERTAIN_NOTE_ZH == "节假日安排未知，按周末计算"
    assert calendar_warning(far, lang="en") == UNCERTAIN_NOTE_EN
    assert notice_period(date(2031, 10, 3), 5) == (date(2031, 10, 3), date(2031, 10, 9))
    old = date(2003, 1, 1)
    assert not calendar_certain(old)
    assert is_working_day(old)


def test_known_years_are_certain() -> None:
    assert calendar_certain(date(2019, 9, 27))
    assert calendar_warning(date(2019, 9, 27), date(2021, 3, 1)) is None
    assert calendar_warning(date(2021, 1, 1), date(2031, 1, 1)) == UNCERTAIN_NOTE_ZH


days = st.dates(min_value=date(2015, 1, 1), max_value=date(2032, 12, 31))


@given(start=days, n=st.integers(min_value=0, max_value=40))
def test_due_date_is_n_working_days_later(start: date, n: int) -> None:
    due = due_date(start, n)
    assert working_days_between(start, due) == n
    if n:
        assert is_working_day(due)


@given(published=days, n=st.integers(min_value=1, max_value=20))
def test_notice_period_spans_exactly_n_working_days(published: date, n: int) -> None:
    starts_on, ends_on = notice_period(published, n)
    assert starts_on >= published
    assert is_working_day(starts_on)
    assert is_working_day(ends_on)
    assert working_days_between(starts_on - timedelta(days=1), ends_on) == n
