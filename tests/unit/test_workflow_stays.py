"""Stays in a state (the statistics' median days per stage): what counts as a stay, the
rebuild from a case's history, and medians from the histograms the database returns."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from zhongchuang.workflow.stays import Stay, histogram_median, stay, stays_from_history


def test_a_stay_counts_calendar_and_working_days():
    s = Stay("accepted", date(2021, 3, 17), date(2021, 3, 22))  # Wed → Mon
    assert (s.days, s.working_days) == (5, 3)
    # Friday 2 April → Tuesday 6 April 2021, across the Qingming holiday (3–5 April)
    s = Stay("submitted", date(2021, 4, 2), date(2021, 4, 6))
    assert (s.days, s.working_days) == (4, 1)


def test_drafts_and_steps_without_a_change_are_not_stays():
    assert stay("draft", date(2021, 3, 1), date(2021, 3, 5), "submitted") is None
    assert stay("accepted", date(2021, 3, 1), date(2021, 3, 5), "accepted") is None
    assert stay("accepted", None, date(2021, 3, 5), "county_approved") is None
    assert stay("accepted", date(2021, 3, 1), date(2021, 3, 5), "county_approved") == Stay(
        "accepted", date(2021, 3, 1), date(2021, 3, 5)
    )


def test_a_history_gives_each_completed_stay_once():
    history = [
        (date(2021, 3, 1), "draft", "submitted"),
        (date(2021, 3, 3), "submitted", "returned"),
        (date(2021, 3, 8), "returned", "submitted"),
        (date(2021, 3, 9), "submitted", "submitted"),  # a note, no change
        (date(2021, 3, 10), "submitted", "accepted"),
    ]
    assert [(s.state, s.days) for s in stays_from_history(history)] == [
        ("submitted", 2),
        ("returned", 5),
        ("submitted", 2),
    ]


def test_a_history_that_starts_midway_counts_nothing_it_cannot_date():
    history = [(date(2021, 3, 3), "accepted", "county_approved")]
    assert list(stays_from_history(history)) == []


def test_median_of_a_histogram():
    assert histogram_median({}) is None
    assert histogram_median({4: 0}) is None
    assert histogram_median({2: 1}) == 2
    assert histogram_median({0: 1, 5: 1}) == 2.5
    assert histogram_median({1: 1, 2: 1, 4: 1}) == 2
    assert histogram_median({3: 10, 100: 1}) == 3


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=200))
def test_median_of_a_histogram_is_the_median_of_its_values(values):
    assert histogram_median(Counter(values)) == statistics.median(values)
