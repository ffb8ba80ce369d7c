"""Scheduled notice closing from the command line, and jobs when there is no queue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import build_app
from tests.helpers import attach_for_submit
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import Application
from zhongchuang.notices import operations as notices
from zhongchuang.ops import jobs
from zhongchuang.policy.identity import make_credit_code

PROBE: list[tuple] = []


def probe_job(*args) -> str:
    PROBE.append(args)
    return "done"


@pytest.fixture
def case_in_notice(app, factory):
    admin = factory.staff("admin", username="admin")
    batches.create_batch(
        admin, "employment_driving_grant", 2021, date(2021, 3, 1), date(2021, 4, 30), Decimal("1e4")
    )
    applicant = factory.person(name="陈小红")
    county = factory.staff("county_reviewer", district="330411", username="xiuzhou")
    city = factory.staff("city_reviewer", username="city")
    data = {
        "business_credit_code": make_credit_code("330411", "MA1000001"),
        "year": 2020,
        "employees_insured": 5,
    }
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    attach_for_submit(case, applicant)
    cases.act(applicant, case.id, "submit")
    cases.act(county, case.id, "accept")
    cases.act(county, case.id, "county_approve")
    cases.act(city, case.id, "city_approve", ActionInput(amount=Decimal("4000.00")))
    notices.publish_notice(city, [case.id], 5)  # 2021-03-15 … 2021-03-19
    return case.id


def test_close_due_concludes_once_the_period_is_over_and_is_idempotent(app, case_in_notice, clock):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notices", "close-due"])
    assert result.exit_code == 0, result.output
    assert "concluded: 0 []" in result.output
    assert f"waiting {case_in_notice}" not in result.output  # not due yet: not even tried
    clock.set_today(date(2021, 3, 22))
    result = runner.invoke(args=["notices", "close-due"])
    assert result.exit_code == 0, result.output
    assert f"concluded: 1 [{case_in_notice}]" in result.output
    db.session.remove()
    assert db.session.get(Application, case_in_notice).state != "in_notice"
    again = runner.invoke(args=["notices", "close-due"])
    assert "concluded: 0 []" in again.output


def test_enqueue_close_due_runs_in_process_without_a_queue(app, case_in_notice, clock):
    clock.set_today(date(2021, 3, 22))
    result = app.test_cli_runner().invoke(args=["notices", "enqueue-close-due"])
    assert result.exit_code == 0, result.output
    assert "ran close-due-notices in-process" in result.output
    db.session.remove()
    assert db.session.get(Application, case_in_notice).state != "in_notice"


def test_the_worker_command_explains_that_without_redis_none_is_needed(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 2
    assert "REDIS_URL" in result.output


def test_when_redis_does_not_answer_the_job_runs_here_instead_of_being_lost(tmp_path):
    app = build_app("sqlite://", tmp_path, REDIS_URL="redis://127.0.0.1:1/0", JOBS_INLINE=False)
    PROBE.clear()
    with app.app_context():
        job_id = jobs.enqueue(f"{__name__}.probe_job", 7, "x")
        db.engine.dispose()
    assert job_id is None
    assert PROBE == [(7, "x")]
