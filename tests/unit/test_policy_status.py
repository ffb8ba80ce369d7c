"""A policy's status on a date: 嘉政办发〔2015〕90号 in force from 2015-12-01 (catalogue date),
confirmed valid 2019-12-30, repealed 2021-12-31 (catalogue date)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from zhongchuang.policy.catalogue import load_catalogue
from zhongchuang.policy.status import (
    PolicyEvent,
    event_record,
    in_force_period,
    is_in_force,
    policy_status,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"


@pytest.fixture(scope="module")
def events() -> tuple[PolicyEvent, ...]:
    return load_catalogue(CATALOGUE).status_events()


@pytest.mark.parametrize(
    ("on", "status"),
    [
        (date(2015, 11, 30), "not_yet"),
        (date(2015, 12, 1), "in_force"),
        (date(2016, 1, 1), "in_force"),
        (date(2019, 12, 30), "in_force"),
        (date(2021, 12, 30), "in_force"),
        (date(2021, 12, 31), "repealed"),
        (date(2022, 1, 1), "repealed"),
    ],
)
def test_status_of_the_2015_policy_on_a_date(
    events: tuple[PolicyEvent, ...], on: date, status: str
) -> None:
    assert policy_status(events, on) == status
    assert is_in_force(events, on) is (status == "in_force")


def test_events_in_any_order_and_as_loose_records() -> None:
    events = [
        event_record(date(2021, 12, 31), "repealed", "嘉政发〔2021〕34号"),
        event_record(date(2015, 12, 1), "in_force", "嘉政办发〔2015〕90号"),
    ]
    assert policy_status(events, date(2016, 1, 1)) == "in_force"
    assert in_force_period(events) == (date(2015, 12, 1), date(2021, 12, 31))


def test_issued_counts_as_in_force_only_without_an_in_force_event() -> None:
    only_issued = [event_record(date(2016, 3, 1), "issued")]
    assert policy_status(only_issued, date(2016, 3, 1)) == "in_force"
    later_force = [*only_issued, event_record(date(2016, 5, 1), "in_force")]
    assert policy_status(later_force, date(2016, 4, 1)) == "not_yet"


def test_confirmation_and_amendment_do_not_change_force() -> None:
    events = [
        event_record(date(2015, 12, 1), "in_force"),
        event_record(date(2017, 1, 1), "amended"),
        event_record(date(2019, 12, 30), "confirmed_valid"),
    ]
    assert policy_status(events, date(2020, 1, 1)) == "in_force"
    assert policy_status([], date(2020, 1, 1)) == "not_yet"
