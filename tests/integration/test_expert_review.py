"""专家评审 end to end: criteria from the catalogue, a computed total, an opinion, 回避 and
its replacement, and scores hidden between experts until each has scored."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, csrf_from
from tests.integration.reviewer_support import recognition_case, recognition_scores
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import ExpertAssignment
from zhongchuang.review import queues
from zhongchuang.review.experts import assign_experts

API = "/api/v1"


@pytest.fixture
def review(app, factory):
    """A recognition case at ``county_approved`` with three experts assigned (the
    catalogue's minimum of scores)."""
    county = factory.staff("county_reviewer", district="330402")
    city = factory.staff("city_reviewer", username="city")
    case = recognition_case(factory, county)
    e1 = factory.staff("expert", username="expert1")
    e2 = factory.staff("expert", username="expert2")
    e3 = factory.staff("expert", username="expert3")
    assign_experts(city, case.id, [e1.id, e2.id, e3.id])
    return {"case": case, "city": city, "e1": e1, "e2": e2, "e3": e3, "factory": factory}


def _score(client, case_id: int, user: str, body: dict):
    return client.post(
        f"{API}/applications/{case_id}/actions/expert_score",
        json=body,
        headers=api_token(client, user),
    )


def test_the_program_shows_its_criteria_and_a_program_without_experts_none(app, client):
    rec = client.get(f"{API}/programs/makerspace_recognition").get_json()
    criteria = rec["expert_criteria"]
    assert [c["label"] for c in criteria] == [
        "场地与设施",
        "运营团队与导师",
        "创业服务与活动",
        "入驻团队与孵化成效",
    ]
    assert sum(c["max"] for c in criteria) == 100
    assert all(c["confirmed"] is False for c in criteria)
    intro = client.get(f"{API}/programs/famous_space_introduction").get_json()
    assert [c["max"] for c in intro["expert_criteria"]] == [30, 25, 25, 20]
    grant = client.get(f"{API}/programs/graduate_startup_grant").get_json()
    assert grant["expert_criteria"] == []


def test_admins_see_the_criteria_marked_unconfirmed(app, client, factory, login):
    login(client, factory.staff("admin"))
    html = client.get("/admin/parameters").get_data(as_text=True)
    section = html[html.index('id="expert-criteria"') :]
    row = re.search(r"<tr[^>]*>\s*<td>众创空间认定</td>.*?</tr>", section, re.S)
    assert row, section[:500]
    assert "场地与设施（25）" in row.group(0)
    assert "未经证实" in row.group(0)


def test_the_api_computes_the_total_and_refuses_a_missing_or_over_max_criterion(review, client):
    case_id = review["case"].id
    missing = {k: v for k, v in recognition_scores(80).items() if k != "services"}
    resp = _score(client, case_id, "expert1", {"scores": missing, "opinion": "好"})
    assert resp.status_code == 422
    assert "创业服务" not in resp.get_json()["errors"]  # keyed by code, in Chinese
    assert "须填写" in resp.get_json()["errors"]["scores.services"][0]

    over = recognition_scores(80) | {"premises": 26}
    resp = _score(client, case_id, "expert1", {"scores": over, "opinion": "好"})
    assert resp.status_code == 422
    assert "0 至 25" in resp.get_json()["errors"]["scores.premises"][0]

    for bad in ("20", 20.5, True, -1):
        body = {"scores": recognition_scores(80) | {"premises": bad}, "opinion": "好"}
        resp = _score(client, case_id, "expert1", body)
        assert resp.status_code == 422, bad
        assert resp.get_json()["errors"], bad

    resp = _score(client, case_id, "expert1", {"score": 80, "opinion": "好"})
    assert resp.status_code == 422
    resp = _score(client, case_id, "expert1", {"scores": recognition_scores(80), "opinion": " "})
    assert resp.status_code == 422
    assert "评审意见" in resp.get_json()["errors"]["opinion"][0]

    points = {"premises": 25, "team_mentors": 20, "services": 18, "incubation": 14}
    resp = _score(client, case_id, "expert1", {"scores": points, "opinion": "场地条件好"})
    assert resp.status_code == 200, resp.get_json()
    mine = resp.get_json()["expert_review"]["experts"]
    assert [(e["username"], e["score"], e["scores"]) for e in mine] == [("expert1", 77, points)]
    row = db.session.execute(
        sa.select(ExpertAssignment).where(ExpertAssignment.expert_id == review["e1"].id)
    ).scalar_one()
    assert (row.score, row.scores, row.comment) == (77, points, "场地条件好")
    again = _score(client, case_id, "expert1", {"scores": points, "opinion": "再评"})
    assert again.status_code == 422


def test_scores_stay_hidden_from_another_expert_until_every_expert_has_scored(
    review, client, login
):
    case = review["case"]
    url = f"{API}/applications/{case.id}"
    cases.act(
        review["e1"],
        case.id,
        "expert_score",
        ActionInput(scores=recognition_scores(90), opinion="孵化成效显著"),
    )

    e2 = api_token(client, "expert2")
    seen = client.get(url, headers=e2).get_json()["expert_review"]
    assert seen["revealed"] is False
    assert [e["username"] for e in seen["experts"]] == ["expert2"]
    assert (seen["scored"], seen["pending"]) == (1, 2)
    audit = client.get(f"{url}/audit", headers=e2).get_json()["items"]
    scored_event = next(ev for ev in audit if ev["action"] == "expert_score")
    assert "scores" not in scored_event["details"]
    assert "孵化成效显著" not in str(audit)
    login(client, review["e2"])
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "孵化成效显著" not in html
    assert 'id="rv-scores-hidden"' in html
    assert 'id="rv-average"' not in html

    # The city reviewer sees every score at once.
    city = client.get(url, headers=api_token(client, "city")).get_json()["expert_review"]
    assert city["revealed"] is True
    assert [e["score"] for e in city["experts"]] == [90, None, None]

    cases.act(
        review["e2"],
        case.id,
        "expert_score",
        ActionInput(scores=recognition_scores(70), opinion="服务资源一般"),
    )
    assert client.get(url, headers=e2).get_json()["expert_review"]["revealed"] is False
    cases.act(review["e3"], case.id, "expert_score", _points(80))
    seen = client.get(url, headers=e2).get_json()["expert_review"]
    assert seen["revealed"] is True
    assert [(e["username"], e["score"]) for e in seen["experts"]] == [
        ("expert1", 90),
        ("expert2", 70),
        ("expert3", 80),
    ]
    assert seen["experts"][0]["opinion"] == "孵化成效显著"
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "孵化成效显著" in html
    assert re.search(r'id="rv-average">80.00<', html)


def test_the_score_form_shows_each_criterion_and_computes_the_total(review, client, login):
    case = review["case"]
    login(client, review["e1"])
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    for code, top in (("premises", 25), ("incubation", 25)):
        assert re.search(rf'name="expert_score-crit-{code}" min="0" max="{top}"', page)
    assert "场地与设施" in page
    assert 'id="expert_score-recusal"' in page
    data = {
        "csrf_token": csrf_from(page),
        "expert_score-version": str(case.version),
        "expert_score-crit-premises": "30",
        "expert_score-crit-team_mentors": "20",
        "expert_score-crit-services": "20",
        "expert_score-crit-incubation": "abc",
        "expert_score-comment": "",
    }
    resp = client.post(f"/applications/{case.id}/actions/expert_score", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'id="expert_score-crit-incubation-error"><li>得分须为', html)
    data["expert_score-crit-incubation"] = "10"
    resp = client.post(f"/applications/{case.id}/actions/expert_score", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'id="expert_score-crit-premises-error"><li>[^<]*0 至 25', html)
    assert "须填写评审意见" in html
    assert re.search(r'<output id="expert_score-total"[^>]*>80</output>', html)

    data |= {"expert_score-crit-premises": "25", "expert_score-comment": "运营团队稳定"}
    resp = client.post(f"/applications/{case.id}/actions/expert_score", data=data)
    assert resp.status_code == 302
    row = db.session.execute(
        sa.select(ExpertAssignment).where(ExpertAssignment.expert_id == review["e1"].id)
    ).scalar_one()
    assert (row.score, row.comment) == (75, "运营团队稳定")


def test_a_recusal_removes_the_expert_and_the_city_reviewer_assigns_another(review, client, login):
    case, e1 = review["case"], review["e1"]
    login(client, e1)
    assert [r.case.id for r in queues.queue_page(e1).rows] == [case.id]
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "expert_score-version": str(case.version),
        "expert_score-conflict_declared": "y",
        "expert_score-comment": "本人曾在申请单位任职",
    }
    resp = client.post(f"/applications/{case.id}/actions/expert_score", data=data)
    assert resp.status_code == 422  # the confirmation is its own step
    assert "请勾选确认回避" in resp.get_data(as_text=True)

    data["expert_score-conflict_confirm"] = "y"
    resp = client.post(f"/applications/{case.id}/actions/expert_score", data=data)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/review")
    assert client.get(f"/applications/{case.id}").status_code == 404
    assert queues.queue_page(e1).rows == []
    row = db.session.execute(
        sa.select(ExpertAssignment).where(ExpertAssignment.expert_id == e1.id)
    ).scalar_one()
    assert (row.recused, row.score, row.scores) == (True, None, None)
    assert row.recused_at is not None

    # The city reviewer sees the 回避 and assigns another expert; not the recused one.
    city = review["city"]
    login(client, city)
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert 'id="rv-replace-hint"' in html
    assert "已回避" in html
    assert re.search(rf'id="rv-expert-{e1.id}" disabled>', html)
    with pytest.raises(ValidationFailed, match="已声明回避"):
        assign_experts(city, case.id, [e1.id])
    e4 = review["factory"].staff("expert", username="expert4")
    resp = client.post(
        f"/review/applications/{case.id}/experts",
        data={"csrf_token": csrf_from(html), "experts": [e4.id]},
    )
    assert resp.status_code == 303
    assert [r.case.id for r in queues.queue_page(e4).rows] == [case.id]

    # The review concludes once every expert still assigned has scored.
    cases.act(review["e2"], case.id, "expert_score", _points(80))
    cases.act(review["e3"], case.id, "expert_score", _points(70))
    resp = client.post(
        f"{API}/applications/{case.id}/actions/expert_conclude",
        json={},
        headers=api_token(client, "city"),
    )
    assert resp.status_code == 422
    assert "experts_pending" in resp.get_json()["errors"]
    cases.act(e4, case.id, "expert_score", _points(90))
    done = client.post(
        f"{API}/applications/{case.id}/actions/expert_conclude",
        json={},
        headers=api_token(client, "city"),
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["score_average"] == "80.00"  # the recusal counts for nothing


def _points(total: int) -> ActionInput:
    return ActionInput(scores=recognition_scores(total), opinion="符合认定条件")
