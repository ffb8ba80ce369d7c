"""Every refusal of the JSON API is problem+json with the status and code of API.md:
400 malformed, 401, 403 role, 404 absent or not yours, 409, 413, 415, 422, 429."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, api_token, build_app, migrate_and_load
from tests.helpers import attach_for_submit
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"
BUSINESS = make_credit_code("330411", "MA1000001")


def grant(employees: int = 5) -> dict:
    return {"business_credit_code": BUSINESS, "year": 2020, "employees_insured": employees}


@pytest.fixture
def world(app, factory):
    admin = factory.staff("admin", username="admin")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("10000.00"),
    )
    return {
        "admin": admin,
        "applicant": factory.person(name="陈小红", username="grad1"),
        "other": factory.person(name="赵六", username="grad2"),
        "county": factory.staff("county_reviewer", district="330411", username="xiuzhou"),
        "nanhu": factory.staff("county_reviewer", district="330402", username="nanhu"),
        "city": factory.staff("city_reviewer", username="city"),
    }


def problem(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    assert body["detail"]
    return body


def test_no_token_or_a_bad_token_is_401(client, world):
    problem(client.get(f"{API}/applications"), 401, "unauthorized")
    bad = {"Authorization": "Bearer not-a-token"}
    problem(client.get(f"{API}/applications", headers=bad), 401, "unauthorized")
    # The session cookie of the pages is never a credential for the API.
    basic = {"Authorization": "Basic YWRtaW46eA=="}
    problem(client.post(f"{API}/users", json={}, headers=basic), 401)


def test_a_role_that_may_not_do_it_is_403(client, world):
    me = api_token(client, "grad1")
    body = {"username": "x1234", "password": PASSWORD, "roles": ["admin"]}
    problem(client.post(f"{API}/users", json=body, headers=me), 403, "forbidden")
    county = api_token(client, "xiuzhou")
    problem(
        client.post(f"{API}/notices", json={"application_ids": [1]}, headers=county),
        403,
        "forbidden",
    )
    problem(client.get(f"{API}/audit/verify", headers=county), 403, "forbidden")
    # Staff cannot start an application.
    problem(
        client.post(
            f"{API}/applications", json={"program": "employment_driving_grant"}, headers=county
        ),
        403,
    )


def test_another_applicants_case_is_404_exactly_like_a_missing_one(client, world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant())
    attach_for_submit(case, world["applicant"])
    cases.act(world["applicant"], case.id, "submit")
    other = api_token(client, "grad2")
    nanhu = api_token(client, "nanhu")
    missing = problem(client.get(f"{API}/applications/999999", headers=other), 404, "not_found")
    for headers in (other, nanhu):
        body = problem(client.get(f"{API}/applications/{case.id}", headers=headers), 404)
        assert body == missing
        problem(
            client.post(f"{API}/applications/{case.id}/actions/withdraw", json={}, headers=headers),
            404,
        )
        assert client.get(f"{API}/applications", headers=headers).get_json()["items"] == []
    problem(
        client.patch(
            f"{API}/applications/{case.id}", json={"data": {}, "version": 1}, headers=other
        ),
        404,
    )
    problem(client.get(f"{API}/applications/{case.id}/audit", headers=nanhu), 404)
    # An unknown action name is not a route.
    me = api_token(client, "grad1")
    problem(
        client.post(f"{API}/applications/{case.id}/actions/approve_all", json={}, headers=me), 404
    )


def test_wrong_state_and_stale_version_are_409(client, world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant())
    attach_for_submit(case, world["applicant"])
    me = api_token(client, "grad1")
    url = f"{API}/applications/{case.id}"
    v = client.get(url, headers=me).get_json()["version"]
    submitted = client.post(f"{url}/actions/submit", json={"version": v}, headers=me).get_json()
    assert submitted["state"] == "submitted"
    county = api_token(client, "xiuzhou")
    problem(
        client.post(f"{url}/actions/county_approve", json={}, headers=county),
        409,
        "invalid_transition",
    )
    problem(
        client.post(f"{url}/actions/accept", json={"version": v}, headers=county),
        409,
        "version_conflict",
    )
    # A submitted case is no longer editable.
    problem(
        client.patch(
            url,
            json={"data": {"employees_insured": 6}, "version": submitted["version"]},
            headers=me,
        ),
        409,
        "invalid_transition",
    )


def test_stale_version_on_patch_is_409_and_changes_nothing(client, world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant())
    me = api_token(client, "grad1")
    url = f"{API}/applications/{case.id}"
    v = client.get(url, headers=me).get_json()["version"]
    fresh = client.patch(url, json={"data": {"employees_insured": 7}, "version": v}, headers=me)
    assert fresh.status_code == 200, fresh.get_json()
    assert fresh.get_json()["data"]["employees_insured"] == 7
    assert fresh.get_json()["version"] > v
    stale = client.patch(url, json={"data": {"employees_insured": 9}, "version": v}, headers=me)
    problem(stale, 409, "version_conflict")
    assert client.get(url, headers=me).get_json()["data"]["employees_insured"] == 7


def test_validation_and_failed_guards_are_422_with_the_reason(client, world):
    me = api_token(client, "grad1")
    resp = client.post(
        f"{API}/applications",
        json={
            "program": "employment_driving_grant",
            "data": {"employees_insured": "many", "bogus": 1},
        },
        headers=me,
    )
    body = problem(resp, 422, "validation_failed")
    assert set(body["errors"]) >= {"employees_insured", "bogus"}
    body = problem(client.post(f"{API}/applications", json={"data": []}, headers=me), 422)
    assert "program" in body["errors"]
    assert "data" in body["errors"]
    problem(client.post(f"{API}/applications", json={"program": "no_such"}, headers=me), 422)

    # Ineligible: submit is refused with the rule that failed, in words.
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant(2))
    url = f"{API}/applications/{case.id}"
    assert "submit" not in client.get(url, headers=me).get_json()["allowed_actions"]
    body = problem(client.post(f"{url}/actions/submit", json={}, headers=me), 422)
    assert "不足3人" in body["detail"]

    # A return needs a reason and a cited article; money is a string.
    ok_case = cases.create_draft(
        world["other"], "employment_driving_grant", grant() | {"year": 2019}
    )
    attach_for_submit(ok_case, world["other"])
    cases.act(world["other"], ok_case.id, "submit")
    county = api_token(client, "xiuzhou")
    url = f"{API}/applications/{ok_case.id}"
    body = problem(
        client.post(f"{url}/actions/return", json={"reason": "材料不全"}, headers=county), 422
    )
    assert body["code"] == "guard_failed"
    body = problem(client.post(f"{url}/actions/accept", json={"amount": 12.5}, headers=county), 422)
    assert "amount" in body["errors"]
    body = problem(client.post(f"{url}/actions/accept", json={"score": 101}, headers=county), 422)
    assert "score" in body["errors"]
    returned = client.post(
        f"{url}/actions/return",
        json={
            "reason": "缺参保名单",
            "articles": ["四(一)"],
            "items": [{"target": "employees_insured", "message": "缺参保名单"}],
        },
        headers=county,
    )
    assert returned.status_code == 200
    assert returned.get_json()["history"][-1]["articles"] == ["四(一)"]


def test_malformed_json_and_a_bad_cursor_are_400(client, world):
    me = api_token(client, "grad1")
    resp = client.post(
        f"{API}/applications", data="{not json", content_type="application/json", headers=me
    )
    problem(resp, 400, "bad_request")
    body = problem(client.get(f"{API}/applications?cursor=forged", headers=me), 400, "bad_request")
    assert "cursor" in body["errors"]
    problem(client.get(f"{API}/applications?limit=201", headers=me), 422, "validation_failed")


def test_uploads_too_large_or_of_a_refused_type(client, world, app):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant())
    me = api_token(client, "grad1")
    url = f"{API}/applications/{case.id}/attachments"

    def send(content: bytes, name: str, kind: str = "business_license"):
        return client.post(
            url,
            data={"kind": kind, "file": (io.BytesIO(content), name)},
            headers=me,
            content_type="multipart/form-data",
        )

    body = problem(send(b"<html><script>alert(1)</script></html>", "x.pdf"), 415)
    assert "file" in body["errors"]
    problem(send(b"%PDF-1.4 ok", "x.pdf", kind="passport"), 422, "validation_failed")
    body = problem(
        client.post(
            url, data={"kind": "business_license"}, headers=me, content_type="multipart/form-data"
        ),
        422,
    )
    assert "file" in body["errors"]
    old = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 1024
    try:
        problem(send(b"%PDF-1.4\n" + b"0" * 4096, "big.pdf"), 413, "upload_too_large")
    finally:
        app.config["MAX_UPLOAD_BYTES"] = old
    # Nothing was stored by the refusals.
    assert client.get(f"{API}/applications/{case.id}", headers=me).get_json()["attachments"] == []


def test_objections_are_rate_limited_per_client(tmp_path: Path):
    """A separate app with the limiter on (the shared test apps run without it)."""
    from zhongchuang.extensions import limiter

    app = build_app(f"sqlite:///{tmp_path / 'limits.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True)
    try:
        migrate_and_load(app)
        client = app.test_client()
        codes = [client.post(f"{API}/notices/1/objections", json={}).status_code for _ in range(10)]
        assert codes == [422] * 10
        resp = client.post(f"{API}/notices/1/objections", json={})
        body = problem(resp, 429, "rate_limited")
        assert "频繁" in body["detail"]
        # Another client address is not affected.
        other = client.post(
            f"{API}/notices/1/objections", json={}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
        )
        assert other.status_code == 422
    finally:
        limiter.reset()
        limiter.enabled = False
        with app.app_context():
            from zhongchuang.extensions import db

            db.engine.dispose()


def test_patch_user_is_all_or_nothing(client, factory, auth_headers):
    """Changing roles and deactivating the last admin in one PATCH saves neither."""
    admin = factory.staff("admin", username="solo_admin")
    headers = auth_headers(client, "solo_admin")
    resp = client.patch(
        f"/api/v1/users/{admin.id}",
        json={"roles": ["admin", "finance"], "active": False},
        headers=headers,
    )
    assert resp.status_code == 409
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == ["admin"]
