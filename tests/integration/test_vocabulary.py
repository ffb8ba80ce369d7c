"""One vocabulary: the limits and value sets the workflow and the policy define are the ones
the database (through its migrations), the forms and the API enforce."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from zhongchuang.extensions import db
from zhongchuang.models import Application, ExpertAssignment
from zhongchuang.ops import demo
from zhongchuang.policy.facts import ENTERPRISE_SIZES
from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow.machine import SCORE_MAX, SCORE_MIN, STATES


def _score_all(score: int) -> None:
    db.session.execute(sa.update(ExpertAssignment).values(score=score))


def test_the_migrated_database_holds_the_workflows_score_range(app):
    demo.seed()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ExpertAssignment)).scalar()
    for score in (SCORE_MIN, SCORE_MAX):
        _score_all(score)
    db.session.rollback()
    for score in (SCORE_MIN - 1, SCORE_MAX + 1):
        with pytest.raises(IntegrityError):
            _score_all(score)
        db.session.rollback()


def test_the_migrated_database_holds_the_states_and_the_enterprise_sizes(app):
    demo.seed()
    assert set(db.session.execute(sa.select(Application.state)).scalars()) <= set(STATES)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Application).values(state="lost"))
    db.session.rollback()
    org_sizes = sa.text("UPDATE organizations SET enterprise_size = :size")
    for size in ENTERPRISE_SIZES:
        db.session.execute(org_sizes, {"size": size})
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(org_sizes, {"size": "huge"})
    db.session.rollback()


def test_the_form_and_the_api_refuse_a_score_outside_the_range_naming_it(app, client):
    from zhongchuang.cases.forms import ActionForm

    with app.test_request_context(method="POST", data={"score": str(SCORE_MAX + 1)}):
        form = ActionForm(meta={"csrf": False})
        assert not form.validate()
        assert f"{SCORE_MIN}至{SCORE_MAX}" in " ".join(map(str, form.score.errors))
        assert f"{SCORE_MIN}–{SCORE_MAX}" in str(form.score.label.text)
    demo.seed()
    case_id = db.session.execute(
        sa.select(Application.id).where(Application.state == "county_approved")
    ).scalar_one()
    token = client.post(
        "/api/v1/tokens", json={"username": "expert1", "password": demo.DEMO_PASSWORD}
    ).get_json()["token"]
    resp = client.post(
        f"/api/v1/applications/{case_id}/actions/expert_score",
        json={"score": SCORE_MAX + 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 422


def test_the_publish_form_and_the_api_take_the_calendars_notice_limits(app, client):
    from zhongchuang.review.forms import PublishForm

    too_long = str(wcal.NOTICE_DAYS_MAX + 1)
    with app.test_request_context(method="POST", data={"working_days": too_long}):
        form = PublishForm(meta={"csrf": False})
        assert not form.validate()
        assert f"1至{wcal.NOTICE_DAYS_MAX}个工作日" in " ".join(map(str, form.working_days.errors))
    demo.seed()
    token = client.post(
        "/api/v1/tokens", json={"username": "city", "password": demo.DEMO_PASSWORD}
    ).get_json()["token"]
    city_approved = db.session.execute(
        sa.select(Application.id).where(Application.state == "city_approved")
    ).scalar_one()
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.post(
        "/api/v1/notices",
        json={"application_ids": [city_approved], "working_days": wcal.NOTICE_DAYS_MAX + 1},
        headers=headers,
    )
    assert resp.status_code == 422
    resp = client.post(
        "/api/v1/notices", json={"application_ids": [city_approved]}, headers=headers
    )
    assert resp.status_code == 201
    assert resp.get_json()["working_days"] == wcal.NOTICE_DAYS_DEFAULT
