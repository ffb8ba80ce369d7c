"""办件进度查询 as a member of the public uses it: number + 查询码, no login; the steps and
dates in words, nothing personal; a wrong code answers exactly as an unknown number; too
many queries from one address are refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import api_token, build_app, login_as, migrate_and_load
from tests.helpers import attach_required, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.extensions import db
from zhongchuang.models import Application
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"


@pytest.fixture
def accepted(factory):
    open_batch(factory, "employment_driving_grant")
    applicant = factory.person(name="陈小红")
    county = factory.staff("county_reviewer", district="330411", username="xiuzhou")
    data = {
        "business_credit_code": make_credit_code("330411", "MA0000001"),
        "year": 2020,
        "employees_insured": 5,
    }
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    attach_required(case, applicant)
    cases.act(applicant, case.id, "submit")
    cases.act(county, case.id, "accept", ActionInput(opinion="材料齐全。"))
    db.session.expire_all()
    return db.session.get(Application, case.id), applicant


def test_the_progress_of_a_case_by_number_and_code_without_login(client, accepted):
    case, _applicant = accepted
    body = client.get(
        f"{API}/progress", query_string={"number": case.number, "code": case.query_code}
    ).get_json()
    assert body["number"] == case.number
    assert body["program"] == "带动就业补助"
    assert body["state"] == "accepted"
    assert body["state_label"] == "已受理"
    assert body["submitted_on"] == "2021-03-15"
    assert body["due_on"] == case.due_on.isoformat()
    assert [s["label"] for s in body["steps"]] == ["提交申报", "受理"]
    text = str(body)
    for personal in ("陈小红", "材料齐全", "4000", case.data["business_credit_code"]):
        assert personal not in text

    lower = client.get(
        f"{API}/progress", query_string={"number": case.number, "code": case.query_code.lower()}
    )
    assert lower.status_code == 200  # typed in lower case: forgiven

    page = client.get("/progress", query_string={"number": case.number, "code": case.query_code})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "已受理" in html
    assert "受理" in html
    assert "陈小红" not in html


def test_a_wrong_code_answers_as_an_unknown_number(client, accepted):
    case, _applicant = accepted
    wrong = "A" * 6 if case.query_code != "A" * 6 else "B" * 6
    a = client.get(f"{API}/progress", query_string={"number": case.number, "code": wrong})
    b = client.get(f"{API}/progress", query_string={"number": "ZC20219999999", "code": wrong})
    assert a.status_code == b.status_code == 404
    assert a.get_json() == b.get_json()
    assert "核对申报编号和查询码" in a.get_json()["detail"]
    page_a = client.get("/progress", query_string={"number": case.number, "code": wrong})
    page_b = client.get("/progress", query_string={"number": "ZC20219999999", "code": wrong})
    assert page_a.status_code == page_b.status_code == 404
    assert "未找到该申报" in page_a.get_data(as_text=True)
    missing = client.get(f"{API}/progress", query_string={"number": case.number})
    assert missing.status_code == 422
    empty = client.get("/progress", query_string={"number": "", "code": ""})
    assert empty.status_code == 422
    assert "请填写申报编号" in empty.get_data(as_text=True)


def test_the_applicant_sees_the_code_on_the_case_and_in_the_api(client, accepted):
    case, applicant = accepted
    login_as(client, applicant)
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert case.query_code in html
    assert "办件进度查询" in html
    headers = api_token(client, applicant.username)
    detail = client.get(f"{API}/applications/{case.id}", headers=headers).get_json()
    assert detail["query_code"] == case.query_code


def test_progress_queries_are_rate_limited_per_client(tmp_path: Path):
    from zhongchuang.extensions import limiter

    app = build_app(f"sqlite:///{tmp_path / 'limits.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True)
    try:
        migrate_and_load(app)
        client = app.test_client()
        query = {"number": "ZC20210000001", "code": "ABCDEF"}
        codes = [client.get(f"{API}/progress", query_string=query).status_code for _ in range(10)]
        assert codes == [404] * 10
        resp = client.get(f"{API}/progress", query_string=query)
        assert resp.status_code == 429
        assert resp.get_json()["code"] == "rate_limited"
        assert "频繁" in resp.get_json()["detail"]
        for _ in range(11):
            page = client.get("/progress", query_string=query)
        assert page.status_code == 429
        assert "频繁" in page.get_data(as_text=True)
        assert client.get("/progress").status_code == 200  # the empty form is never limited
        other = client.get(
            f"{API}/progress", query_string=query, environ_base={"REMOTE_ADDR": "10.0.0.9"}
        )
        assert other.status_code == 404
    finally:
        limiter.reset()
        limiter.enabled = False
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
