"""办理时限: the case's clock starts at 受理, stands still in 补正, 专家评审 and 公示, moves
its due date by exactly the paused working days, and stops for good when the case ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow import clock
from zhongchuang.workflow.machine import actions_from, get_action, is_final, next_state

LIMITS = clock.Limits(statutory=20, promised=15)
# 2021-03-15 is a Monday; 2021-04-05 is 清明 (a holiday), 2021-04-25 a working Sunday.
MON = date(2021, 3, 15)


def test_the_clock_starts_at_accept_and_is_due_on_the_promised_working_day():
    c = clock.replay([(MON, "draft", "submitted"), (MON, "submitted", "accepted")], "standard-v2")
    assert c.started_on == MON
    limit = clock.time_limit(c, LIMITS, MON)
    assert limit.due_on == date(2021, 4, 6)  # 15 working days after Monday, 清明 skipped
    assert (limit.elapsed_working_days, limit.paused, limit.overdue) == (0, False, False)
    assert limit.remaining_working_days == 15


def test_before_accept_there_is_no_clock():
    c = clock.replay([(MON, "draft", "submitted")], "standard-v2")
    assert not c.started
    assert clock.time_limit(c, LIMITS, MON + timedelta(days=40)).due_on is None


def test_a_return_pauses_from_the_return_day_to_the_resubmission_day():
    c = clock.replay(
        [
            (MON, "submitted", "accepted"),
            (date(2021, 3, 17), "accepted", "returned"),  # Wednesday
            (date(2021, 3, 22), "returned", "submitted"),  # next Monday: [Wed, Mon) = 3
        ],
        "standard-v2",
    )
    assert c.paused_working_days == 3
    assert c.paused_since is None
    limit = clock.time_limit(c, LIMITS, date(2021, 3, 22))
    assert limit.due_on == wcal.add_working_days(date(2021, 4, 6), 3)
    assert limit.elapsed_working_days == 2  # Tuesday and the Monday it came back


def test_while_paused_the_clock_stands_still_and_is_never_overdue():
    c = clock.replay([(MON, "submitted", "accepted"), (MON, "accepted", "returned")], "standard-v2")
    late = date(2021, 6, 1)
    limit = clock.time_limit(c, LIMITS, late)
    assert limit.paused
    assert not limit.overdue
    assert limit.elapsed_working_days == 0
    assert clock.stored_due_on(c, 15) is None


def test_expert_review_pauses_only_in_a_workflow_with_experts():
    assert clock.is_pausing("county_approved", "expert-v2")
    assert clock.is_pausing("county_approved", "recognition-v1")
    assert not clock.is_pausing("county_approved", "standard-v2")
    assert clock.is_pausing("in_notice", "standard-v2")
    assert not clock.is_pausing("accepted", "expert-v2")


def test_overdue_when_running_and_today_is_after_the_due_day():
    c = clock.replay([(MON, "submitted", "accepted")], "standard-v2")
    assert not clock.time_limit(c, LIMITS, date(2021, 4, 6)).overdue
    late = clock.time_limit(c, LIMITS, date(2021, 4, 7))
    assert late.overdue
    assert late.remaining_working_days == -1


def test_the_clock_stops_for_good_when_a_recognition_is_approved():
    history = [
        (MON, "submitted", "accepted"),
        (date(2021, 3, 16), "accepted", "county_approved"),
        (date(2021, 3, 30), "county_approved", "expert_reviewed"),
        (date(2021, 3, 31), "expert_reviewed", "city_approved"),
        (date(2021, 4, 1), "city_approved", "in_notice"),
        (date(2021, 4, 12), "in_notice", "approved"),
    ]
    c = clock.replay(history, "recognition-v1")
    assert c.stopped_on == date(2021, 4, 12)
    limit = clock.time_limit(c, LIMITS, date(2022, 1, 1))
    assert limit.ended
    assert not limit.overdue
    assert not limit.paused
    assert clock.stored_due_on(c, 15) is None
    # A payment case approved is still waiting for its payment: its clock runs.
    assert clock.replay(history, "expert-v2").stopped_on is None


def test_reminders_at_80_and_100_percent_of_the_promised_limit():
    c = clock.replay([(MON, "submitted", "accepted")], "standard-v2")
    twelfth = wcal.add_working_days(MON, 12)  # 80 % of 15 = 12 working days
    assert clock.reminders_due(c, 15, wcal.subtract_working_days(twelfth, 1)) == ()
    assert clock.reminders_due(c, 15, twelfth) == (80,)
    assert clock.reminders_due(c, 15, wcal.add_working_days(MON, 15)) == (80, 100)
    paused = clock.step(c, "accepted", "returned", MON, "standard-v2")
    assert clock.reminders_due(paused, 15, date(2021, 6, 1)) == ()


@pytest.mark.parametrize(("start", "end", "n"), [(MON, MON, 0), (MON, MON + timedelta(1), 1)])
def test_working_days_in_a_half_open_range(start, end, n):
    assert clock.working_days_in(start, end) == n


# --- the property: over random journeys, due_on moves by exactly the paused working days


def _pausing_at_end_of(day, timeline, workflow_id):
    """The oracle: a day is paused when the case's state at the end of it stands still."""
    state = None
    for d, _a, b in timeline:
        if d <= day:
            state = b
    return state is not None and clock.is_pausing(state, workflow_id)


@st.composite
def journeys(draw):
    workflow_id = draw(st.sampled_from(["standard-v2", "expert-v2", "recognition-v1"]))
    day = draw(st.dates(min_value=date(2016, 1, 4), max_value=date(2021, 6, 30)))
    state = "draft"
    timeline = []
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        moves = [a for a in actions_from(workflow_id, state) if get_action(workflow_id, a).dest]
        if not moves or is_final(state, workflow_id):
            break
        action = draw(st.sampled_from(sorted(moves)))
        day += timedelta(days=draw(st.integers(min_value=0, max_value=9)))
        to = next_state(workflow_id, state, action)
        timeline.append((day, state, to))
        state = to
    return workflow_id, timeline


@settings(max_examples=300, deadline=None)
@given(journeys(), st.integers(min_value=1, max_value=30))
def test_due_on_moves_by_exactly_the_paused_working_days(journey, promised):
    workflow_id, timeline = journey
    c = clock.replay(timeline, workflow_id)
    accepted = [d for d, _a, b in timeline if b == "accepted"]
    if not accepted:
        assert not c.started
        return
    started = accepted[0]
    assert c.started_on == started
    last = timeline[-1][0]
    expected = 0
    day = started
    closed_until = c.stopped_on or (c.paused_since if c.paused_since else last + timedelta(1))
    while day < closed_until:
        if wcal.is_working_day(day) and _pausing_at_end_of(day, timeline, workflow_id):
            expected += 1
        day += timedelta(days=1)
    assert c.paused_working_days == expected
    today = last
    limit = clock.time_limit(c, clock.Limits(promised, promised), today)
    base_due = wcal.due_date(started, promised)
    assert limit.due_on == wcal.add_working_days(base_due, limit.paused_working_days)
    if c.running:
        assert limit.due_on == clock.stored_due_on(c, promised)
        assert limit.remaining_working_days == wcal.working_days_between(today, limit.due_on)
        assert limit.elapsed_working_days == max(0, promised - limit.remaining_working_days)
        assert limit.overdue == (today > limit.due_on)
    else:
        assert not limit.overdue
        assert clock.stored_due_on(c, promised) is None
