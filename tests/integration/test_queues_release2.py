"""Reviewer queues that cover the whole job: 待办, 已办, 全部 with every state in the state
filter, 超期 and 即将超期 — each within what the reviewer may see."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import api_token, login_as
from tests.integration.reviewer_support import World, recognition_case
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.stats import queries as stats
from zhongchuang.workflow.machine import STATES


@pytest.fixture
def world(factory):
    return World(factory)


def _queue(client, **args) -> str:
    resp = client.get("/review", query_string=args)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def test_a_county_reviewer_finds_what_their_district_handled(client, world):
    case = world.submitted()
    cases.act(world.county, case.id, "accept")
    cases.act(world.county, case.id, "county_approve")
    waiting = world.submitted()
    colleague = world.factory.staff("county_reviewer", district="330411", username="xz2")
    login_as(client, colleague)  # did nothing on it, but their district did
    assert case.number not in _queue(client)  # no longer waiting on the county
    done = _queue(client, view="done")
    assert case.number in done
    assert waiting.number not in done  # nobody acted on it yet
    assert case.number in _queue(client, view="all")
    login_as(client, world.other_county)  # another district: nothing of it
    assert case.number not in _queue(client, view="done")
    assert case.number not in _queue(client, view="all")
    assert case.number not in _queue(client, state="county_approved")


def test_the_state_filter_offers_every_state_and_finds_cases_past_the_county(client, world):
    case = world.approved()  # city_approved: far past the county's queue
    login_as(client, world.county)
    page = _queue(client)
    for state, (label, _en) in STATES.items():
        if state != "draft":
            assert f'value="{state}"' in page, state
            assert label in page
    assert case.number in _queue(client, state="city_approved")


def test_overdue_and_due_soon_views_list_running_clocks_only(client, world, clock):
    running = world.submitted()
    cases.act(world.county, running.id, "accept")  # due 2021-04-06
    paused = world.submitted()
    cases.act(world.county, paused.id, "accept")
    cases.act(
        world.county,
        paused.id,
        "return",
        ActionInput(
            reason="材料不全",
            articles=["四(一)"],
            items=[{"target": "year", "message": "请填写年度"}],
        ),
    )
    login_as(client, world.county)
    clock.set_today(date(2021, 4, 1))  # Thursday: 2 working days left (清明 on Monday)
    assert running.number in _queue(client, view="due_soon")
    assert running.number not in _queue(client, view="overdue")
    clock.set_today(date(2021, 4, 7))
    overdue = _queue(client, view="overdue")
    assert running.number in overdue
    assert paused.number not in overdue
    assert running.number not in _queue(client, view="due_soon")
    figures = stats.overdue(world.county)
    assert figures["total"] == 1  # the returned case's clock stands still


def test_the_api_lists_what_the_reviewer_handled(client, world):
    case = world.submitted()
    cases.act(world.county, case.id, "accept")
    cases.act(world.county, case.id, "county_approve")
    headers = api_token(client, "xiuzhou")
    done = client.get("/api/v1/applications?view=done", headers=headers).get_json()
    assert [c["number"] for c in done["items"]] == [case.number]
    waiting = client.get("/api/v1/applications?view=waiting", headers=headers).get_json()
    assert waiting["items"] == []
    applicant = api_token(client, world.applicant.username)
    own = client.get("/api/v1/applications", headers=applicant).get_json()
    assert [c["number"] for c in own["items"]] == [case.number]
    # Nothing waits on an applicant in a reviewer's queue.
    mine = client.get("/api/v1/applications?view=waiting", headers=applicant).get_json()
    assert mine["items"] == []


def test_finance_never_lists_a_recognition_case(client, factory):
    county = factory.staff("county_reviewer", district="330402")
    finance = factory.staff("finance", username="fin")
    case = recognition_case(factory, county)
    login_as(client, finance)
    for view in ("waiting", "all", "done"):
        assert case.number not in _queue(client, view=view)
    assert case.number not in _queue(client, state="county_approved")
    headers = api_token(client, "fin")
    listed = client.get("/api/v1/applications?view=all", headers=headers).get_json()
    assert listed["items"] == []
    assert client.get(f"/applications/{case.id}").status_code == 404
