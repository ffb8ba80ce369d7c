"""The demo seed: one account per role, open batches, a case in every state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import api_token
from zhongchuang.audit import chain as audit
from zhongchuang.clock import SHANGHAI
from zhongchuang.extensions import db
from zhongchuang.models import STATES, Application, AuditEvent, MakerSpace, User
from zhongchuang.ops import demo


def test_demo_seed_gives_a_living_system(app, client):
    report = demo.seed()
    states = set(db.session.execute(sa.select(Application.state)).scalars())
    assert states == set(STATES)
    assert db.session.execute(sa.select(sa.func.count()).select_from(MakerSpace)).scalar() == 1
    assert audit.verify().ok
    # The clock is back on the demo day, and the demo accounts can log in.
    assert app.extensions["zc_clock"].today().isoformat() == "2021-03-15"
    resp = client.post("/api/v1/tokens", json={"username": "city", "password": demo.DEMO_PASSWORD})
    assert resp.status_code == 201
    assert {u for u, _ in report.accounts} >= {
        "admin",
        "city",
        "nanhu",
        "xiuzhou",
        "expert1",
        "finance",
        "operator",
        "enterprise",
        "graduate",
    }
    assert not demo.is_empty()


API = "/api/v1"


def _act(client, headers, case_id: int, action: str, **body) -> dict:
    resp = client.post(f"{API}/applications/{case_id}/actions/{action}", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.mark.parametrize(
    "day",
    [
        date(2016, 1, 5),  # five weeks after the policy came into force
        date(2017, 11, 20),
        date(2018, 2, 14),  # the eve of 春节
        date(2019, 6, 3),
        date(2020, 9, 30),
        date(2021, 12, 30),  # the last day before the repeal
    ],
    ids=str,
)
def test_the_demo_seeds_on_any_day_the_policy_was_in_force(app, client, clock, day):
    clock.set_today(day)
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output
    states = set(db.session.execute(sa.select(Application.state)).scalars())
    assert states == set(STATES)
    assert clock.today() == day
    # Every date of the demo's history lies in the policy's period, none after the demo day.
    days = {
        t.astimezone(SHANGHAI).date()
        for t in db.session.execute(sa.select(AuditEvent.at)).scalars()
    }
    assert min(days) >= date(2015, 12, 1)
    assert max(days) == day

    # One journey on that day: the graduate's waiting claim goes to payment through the API.
    case_id = db.session.execute(
        sa.select(Application.id)
        .join(User, Application.applicant_user_id == User.id)
        .where(User.username == "graduate", Application.state == "submitted")
    ).scalar_one()
    nanhu = api_token(client, "nanhu", demo.DEMO_PASSWORD)
    city = api_token(client, "city", demo.DEMO_PASSWORD)
    _act(client, nanhu, case_id, "accept")
    _act(client, nanhu, case_id, "county_approve")
    assert _act(client, city, case_id, "city_approve")["state"] == "city_approved"
    resp = client.post(f"{API}/notices", json={"application_ids": [case_id]}, headers=city)
    assert resp.status_code == 201, resp.get_json()
    clock.set_today(date.fromisoformat(resp.get_json()["ends_on"]) + timedelta(days=1))
    closed = app.test_cli_runner().invoke(args=["notices", "close-due"])
    assert closed.exit_code == 0, closed.output
    finance = api_token(client, "finance", demo.DEMO_PASSWORD)
    paid = _act(client, finance, case_id, "disburse", payment_reference=f"DEMO-{day.year}-7")
    assert paid["state"] == "disbursed"
    assert audit.verify().ok


def test_the_demo_on_the_policys_first_day_leaves_out_what_needs_a_history(app, clock):
    clock.set_today(date(2015, 12, 1))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "left out: disbursed, approved" in result.output
    states = set(db.session.execute(sa.select(Application.state)).scalars())
    assert {"submitted", "in_notice", "returned", "expert_reviewed"} <= states
    assert "disbursed" not in states


def test_the_demo_refuses_a_day_outside_the_policy_with_a_clear_message(app, clock):
    clock.set_today(date(2022, 1, 4))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "施行期间" in result.output
    assert "ZC_TODAY" in result.output
    assert demo.is_empty()
