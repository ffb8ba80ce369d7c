"""办理时限: the clock starts at 受理, stands still while the case is returned, in expert
review or in notice, shows the applicant the working days left, and reminds the reviewers
once at 80 % and once at 100 % of the promised limit."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_TODAY, api_token, login_as
from tests.integration.reviewer_support import World, recognition_case
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.cases.reminders import remind_due
from zhongchuang.extensions import db
from zhongchuang.models import Application, Notification, User
from zhongchuang.notices.operations import publish_notice
from zhongchuang.workflow import calendar as wcal

# TEST_TODAY (2021-03-15) is a Monday; 15 working days later, 清明 (04-05) skipped: 04-06.
DUE = date(2021, 4, 6)
RETURN = ActionInput(
    reason="材料不全",
    articles=["四(一)"],
    items=[{"target": "year", "message": "请填写年度"}],
)


@pytest.fixture
def world(factory):
    return World(factory)


def _accepted(world):
    case = world.submitted()
    return cases.act(world.county, case.id, "accept")


def _time_limit(client, case_id):
    """The case's ``time_limit`` as the logged-in user's API token reads it."""
    with client.session_transaction() as sess:
        user = db.session.get(User, int(sess["_user_id"].split(":")[0]))
    resp = client.get(f"/api/v1/applications/{case_id}", headers=api_token(client, user.username))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["time_limit"]


def _page(client, case_id) -> str:
    resp = client.get(f"/applications/{case_id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_the_clock_starts_at_accept_with_the_programs_limits(client, world):
    case = world.submitted()
    login_as(client, world.county)
    assert _time_limit(client, case.id) is None  # 受理 has not happened
    cases.act(world.county, case.id, "accept")
    assert _time_limit(client, case.id) == {
        "statutory_working_days": 20,
        "promised_working_days": 15,
        "started_on": TEST_TODAY.isoformat(),
        "due_on": DUE.isoformat(),
        "elapsed_working_days": 0,
        "paused_working_days": 0,
        "paused": False,
        "overdue": False,
    }
    assert db.session.get(Application, case.id).due_on == DUE


def test_a_return_pauses_the_clock_and_moves_the_due_day_by_the_paused_working_days(
    client, world, clock
):
    case = _accepted(world)
    clock.set_today(date(2021, 3, 17))  # Wednesday
    cases.act(world.county, case.id, "return", RETURN)
    clock.set_today(date(2021, 3, 19))
    login_as(client, world.applicant)
    limit = _time_limit(client, case.id)
    assert limit["paused"] is True
    assert limit["overdue"] is False
    # Tuesday only: the day of the return is the first day of the pause ([A, B)).
    assert limit["elapsed_working_days"] == 1
    assert "暂停计时（补正中）" in _page(client, case.id)
    clock.set_today(date(2021, 3, 22))  # Monday: paused Wed, Thu, Fri
    cases.act(world.applicant, case.id, "submit")
    limit = _time_limit(client, case.id)
    assert limit["paused"] is False
    assert limit["paused_working_days"] == 3
    assert limit["due_on"] == wcal.add_working_days(DUE, 3).isoformat()
    # Back with the county after the correction: its clock runs on, from where it stood.
    assert db.session.get(Application, case.id).due_on == wcal.add_working_days(DUE, 3)


def test_the_clock_stands_still_in_expert_review(client, factory, clock):
    county = factory.staff("county_reviewer", district="330402")
    case = recognition_case(factory, county)
    clock.set_today(date(2021, 5, 6))  # long after the promised limit had run out
    login_as(client, county)
    limit = _time_limit(client, case.id)
    assert limit["paused"] is True
    assert limit["overdue"] is False
    assert limit["promised_working_days"] == 20
    assert limit["statutory_working_days"] == 30
    assert db.session.get(Application, case.id).due_on is None  # no overdue flag anywhere


def test_the_clock_stands_still_in_public_notice(client, world, clock):
    case = world.approved()
    publish_notice(world.city, [case.id])
    assert db.session.get(Application, case.id).state == "in_notice"
    clock.set_today(date(2021, 3, 26))
    login_as(client, world.city)
    limit = _time_limit(client, case.id)
    assert limit["paused"] is True
    assert limit["overdue"] is False
    assert db.session.get(Application, case.id).due_on is None


def test_the_applicant_sees_the_working_days_left_then_the_days_overdue(client, world, clock):
    case = _accepted(world)
    login_as(client, world.applicant)
    page = _page(client, case.id)
    assert "剩余 15 个工作日" in page
    assert DUE.isoformat() not in page  # the dates are for the staff
    clock.set_today(date(2021, 4, 8))
    assert "已超期 2 个工作日" in _page(client, case.id)
    assert _time_limit(client, case.id)["overdue"] is True
    login_as(client, world.county)
    staff = _page(client, case.id)
    assert "已超期 2 个工作日" in staff
    assert "办理时限至" in staff
    assert "承诺 15 个工作日（法定 20）" in staff


def test_an_ended_case_says_nothing_about_a_limit(client, world):
    case = world.submitted()
    cases.act(world.county, case.id, "accept")
    cases.act(
        world.county,
        case.id,
        "county_reject",
        ActionInput(reason="不符合条件", articles=["四(一)"]),
    )
    login_as(client, world.applicant)
    page = _page(client, case.id)
    assert "剩余" not in page
    assert "办理时限至" not in page
    assert db.session.get(Application, case.id).due_on is None


def _reminders(kind: str) -> list[tuple[int, int | None]]:
    return [
        (n.user_id, n.application_id)
        for n in db.session.execute(
            sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        ).scalars()
    ]


def test_reminders_go_once_at_80_and_once_at_100_percent(app, world, clock):
    colleague = world.factory.staff("county_reviewer", district="330411", username="xiuzhou2")
    case = _accepted(world)
    runner = app.test_cli_runner()
    clock.set_today(wcal.add_working_days(TEST_TODAY, 11))  # 11 of 15: below 80 %
    assert remind_due().sent == []
    clock.set_today(wcal.add_working_days(TEST_TODAY, 12))  # 80 % of 15
    out = runner.invoke(args=["cases", "remind-due"])
    assert out.exit_code == 0, out.output
    assert "reminders sent: 1" in out.output
    told = sorted(_reminders("time_limit_80"))
    # The district's county reviewers (the case waits on them), not the other district's.
    assert told == sorted([(world.county.id, case.id), (colleague.id, case.id)])
    assert "reminders sent: 0" in runner.invoke(args=["cases", "remind-due"]).output
    clock.set_today(DUE)
    assert remind_due().sent == [(case.id, 100)]
    assert remind_due().sent == []
    assert len(_reminders("time_limit_80")) == 2
    assert len(_reminders("time_limit_100")) == 2


def test_a_paused_case_gets_no_reminder(world, clock):
    case = _accepted(world)
    cases.act(world.county, case.id, "return", RETURN)
    clock.set_today(date(2021, 5, 6))
    assert remind_due().sent == []


def test_two_workers_reminding_at_once_send_each_reminder_once(app, world, clock, backend):
    if backend != "postgresql":
        pytest.skip("concurrent workers are proved on PostgreSQL")
    case_id, county_id = _accepted(world).id, world.county.id
    clock.set_today(wcal.add_working_days(TEST_TODAY, 12))
    db.session.remove()
    barrier = threading.Barrier(2)
    sent: list[list[tuple[int, int]]] = []

    def work() -> None:
        with app.app_context():
            barrier.wait()
            try:
                sent.append(remind_due().sent)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(len(s) for s in sent) == [0, 1]
    assert _reminders("time_limit_80") == [(county_id, case_id)]
