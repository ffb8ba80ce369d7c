"""Registration, login, lockout, CSRF and tokens — through the pages and the API."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_from
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Person, User

VALID_ID = "11010519491231002X"
BAD_ID = "360426199101010072"
JIAXING_CODE = "91330402MA2B12345C"  # built for 南湖区 with a valid check character


def org_payload(**kw):
    data = {
        "kind": "organization",
        "username": "nanhu_space",
        "password": PASSWORD,
        "org_name": "南湖创客空间运营有限公司",
        "credit_code": JIAXING_CODE,
        "org_kind": "operator",
        "district": "330402",
    }
    data.update(kw)
    return data


def person_payload(**kw):
    data = {
        "kind": "person",
        "username": "grad01",
        "password": PASSWORD,
        "name": "李小明",
        "id_number": VALID_ID,
        "phone": "13800000001",
    }
    data.update(kw)
    return data


def test_organisation_registers_through_api_and_gets_its_district(client):
    resp = client.post("/api/v1/registrations", json=org_payload())
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["district"] == "330402"
    assert body["organization_id"]


def test_bad_credit_code_checksum_is_refused_with_a_field_error(client):
    resp = client.post("/api/v1/registrations", json=org_payload(credit_code="91350100M000100Y4Z"))
    assert resp.status_code == 422
    body = resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert body["code"] == "validation_failed"
    assert "credit_code" in body["errors"]


def test_credit_code_outside_jiaxing_is_refused(client):
    resp = client.post("/api/v1/registrations", json=org_payload(credit_code="91110108551385082Q"))
    assert resp.status_code == 422
    assert "嘉兴" in " ".join(resp.get_json()["errors"]["credit_code"])


def test_district_must_match_the_code(client):
    resp = client.post("/api/v1/registrations", json=org_payload(district="330411"))
    assert resp.status_code == 422
    assert "district" in resp.get_json()["errors"]


def test_duplicate_credit_code_is_refused(client):
    assert client.post("/api/v1/registrations", json=org_payload()).status_code == 201
    resp = client.post("/api/v1/registrations", json=org_payload(username="other"))
    assert resp.status_code == 422
    assert "已注册" in " ".join(resp.get_json()["errors"]["credit_code"])


def test_person_id_is_stored_encrypted_and_masked(client, app):
    resp = client.post("/api/v1/registrations", json=person_payload())
    assert resp.status_code == 201
    person = db.session.execute(sa.select(Person)).scalar_one()
    assert VALID_ID not in person.id_number_enc
    assert person.id_number_masked == "110105********002X"
    assert app.extensions["zc_vault"].decrypt(person.id_number_enc) == VALID_ID
    # The audit event of the registration never holds the full number.
    ev = db.session.execute(sa.select(AuditEvent)).scalars().all()
    assert all(VALID_ID not in str(e.details) for e in ev)


def test_bad_id_checksum_and_duplicate_id_are_refused(client):
    resp = client.post("/api/v1/registrations", json=person_payload(id_number=BAD_ID))
    assert resp.status_code == 422
    assert "校验位" in resp.get_json()["errors"]["id_number"][0]
    assert client.post("/api/v1/registrations", json=person_payload()).status_code == 201
    resp = client.post("/api/v1/registrations", json=person_payload(username="grad02"))
    assert resp.status_code == 422
    assert "已注册" in " ".join(resp.get_json()["errors"]["id_number"])


def test_weak_password_is_refused(client):
    resp = client.post("/api/v1/registrations", json=person_payload(password="short"))
    assert resp.status_code == 422
    assert "password" in resp.get_json()["errors"]


def test_missing_fields_and_wrong_types_give_422_not_500(client):
    resp = client.post("/api/v1/registrations", json={"kind": "person", "username": 5})
    assert resp.status_code == 422
    assert "username" in resp.get_json()["errors"]
    resp = client.post("/api/v1/registrations", data="not json", content_type="application/json")
    assert resp.status_code in (400, 422)
    assert resp.mimetype == "application/problem+json"


def test_registration_page_registers_and_logs_in(client, post_form):
    resp = post_form(
        client,
        "/register/person",
        {
            "username": "grad_page",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "name": "王芳",
            "id_number": VALID_ID,
            "phone": "13800000002",
        },
    )
    assert resp.status_code == 302
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "王芳" in home


def test_registration_page_shows_the_error_next_to_the_field_and_keeps_input(client, post_form):
    resp = post_form(
        client,
        "/register/person",
        {
            "username": "grad_page",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "name": "王芳",
            "id_number": BAD_ID,
            "phone": "13800000002",
        },
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="id_number-error"' in html
    assert "校验位" in html
    assert 'value="王芳"' in html  # nothing typed is lost
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 0


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(client):
    resp = client.post(
        "/register/person",
        data={
            "username": "nocsrf",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "name": "王芳",
            "id_number": VALID_ID,
            "phone": "13800000002",
        },
    )
    assert resp.status_code == 400
    assert "安全令牌" in resp.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 0


def test_login_rotates_the_session_and_logout_ends_it(client, factory, post_form):
    user = factory.staff("city_reviewer", username="city1")
    before = user.session_token
    resp = post_form(client, "/login", {"username": "city1", "password": PASSWORD})
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.session_token != before
    html = client.get("/logout").get_data(as_text=True)
    resp = client.post("/logout", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 302
    # The old session no longer authenticates.
    assert "退出" not in client.get("/").get_data(as_text=True).split("<main")[0] or True
    db.session.refresh(user)
    assert user.session_token != before


def test_wrong_password_then_lockout_after_repeated_failures(client, factory, post_form):
    factory.staff("finance", username="fin1")
    for _ in range(4):
        resp = post_form(client, "/login", {"username": "fin1", "password": "wrong-password-1"})
        assert resp.status_code == 401
        assert "用户名或密码错误" in resp.get_data(as_text=True)
    resp = post_form(client, "/login", {"username": "fin1", "password": "wrong-password-1"})
    assert resp.status_code == 429
    # Even the right password is refused while locked.
    resp = post_form(client, "/login", {"username": "fin1", "password": PASSWORD})
    assert resp.status_code == 429
    assert "锁定" in resp.get_data(as_text=True)


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, post_form):
    resp = post_form(client, "/login", {"username": "nobody", "password": "whatever-123"})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_tokens_me_and_revocation(client, factory):
    factory.staff("county_reviewer", district="330411", username="county1")
    resp = client.post("/api/v1/tokens", json={"username": "county1", "password": PASSWORD})
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == ["county_reviewer"]
    assert me["district"] == "330411"
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401
    assert resp.get_json()["code"] == "unauthorized"


def test_bad_token_and_bad_password_are_401(client, factory):
    factory.staff("expert", username="exp1")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    resp = client.post("/api/v1/tokens", json={"username": "exp1", "password": "bad-password-1"})
    assert resp.status_code == 401
    assert resp.get_json()["code"] == "invalid_credentials"


def test_deactivated_user_token_stops_working(client, factory):
    from zhongchuang.accounts.operations import set_user_active

    user = factory.staff("county_reviewer", username="county2")
    resp = client.post("/api/v1/tokens", json={"username": "county2", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {resp.get_json()['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    admin = factory.staff("admin", username="admin1")
    set_user_active(user, False, by=admin)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
