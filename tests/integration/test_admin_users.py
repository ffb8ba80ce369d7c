"""Administration of accounts: staff accounts with several roles, deactivation that ends
sessions and tokens at once, the last admin, identity corrections, who may see /admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Organization, Person, User
from zhongchuang.policy.identity import make_credit_code, make_id_number


@pytest.fixture
def admin(factory):
    return factory.staff("admin", username="root")


@pytest.fixture
def admin_client(app, admin, login):
    client = app.test_client()
    login(client, admin)
    return client


def events(kind: str) -> list[AuditEvent]:
    return list(db.session.execute(sa.select(AuditEvent).where(AuditEvent.kind == kind)).scalars())


ADMIN_PAGES = (
    "/admin",
    "/admin/users",
    "/admin/users/new",
    "/admin/roles",
    "/admin/batches",
    "/admin/batches/new",
    "/admin/parameters",
    "/admin/catalogue",
    "/admin/audit",
    "/admin/audit/verify",
    "/admin/outbox",
)


def test_every_admin_page_opens_for_an_admin(admin_client, admin):
    for url in (*ADMIN_PAGES, f"/admin/users/{admin.id}"):
        resp = admin_client.get(url)
        assert resp.status_code == 200, url
        assert "系统管理" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["applicant", "county_reviewer", "city_reviewer", "finance"])
def test_non_admins_are_refused_every_admin_page(app, factory, login, role, admin):
    user = factory.organization() if role == "applicant" else factory.staff(role)
    client = app.test_client()
    login(client, user)
    for url in (*ADMIN_PAGES, f"/admin/users/{admin.id}"):
        assert client.get(url).status_code in (403, 404), url
    resp = client.post(f"/admin/users/{admin.id}/deactivate")
    assert resp.status_code in (400, 403, 404)
    assert db.session.get(User, admin.id).active


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    resp = client.get("/admin/users")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_admin_creates_a_staff_account_with_several_roles(admin_client, post_form):
    resp = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "wang.li",
            "display_name": "王丽",
            "email": "wang.li@example.test",
            "roles": ["county_reviewer", "expert"],
            "district": "330411",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert resp.status_code == 302
    user = db.session.execute(sa.select(User).where(User.username == "wang.li")).scalar_one()
    assert set(user.roles) == {"county_reviewer", "expert"}
    assert user.district == "330411"
    page = admin_client.get("/admin/roles").get_data(as_text=True)
    assert page.count(">wang.li</a>") == 2  # listed under both roles
    assert events("admin.user_create")[-1].details["username"] == "wang.li"


def test_county_reviewer_without_district_is_refused_next_to_the_field(admin_client, post_form):
    resp = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "nodistrict",
            "display_name": "无区划",
            "roles": ["county_reviewer"],
            "district": "",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert resp.status_code == 422
    assert "县级审核员须绑定" in resp.get_data(as_text=True)
    assert db.session.execute(sa.select(User).where(User.username == "nodistrict")).first() is None


def test_roles_and_district_are_given_and_taken(admin_client, post_form, factory):
    user = factory.staff("city_reviewer", username="cityperson")
    url = f"/admin/users/{user.id}/roles"
    resp = post_form(
        admin_client,
        url,
        {"roles": ["county_reviewer", "finance"], "district": "330483"},
        page=f"/admin/users/{user.id}",
    )
    assert resp.status_code == 302
    user = db.session.get(User, user.id)
    db.session.refresh(user)
    assert set(user.roles) == {"county_reviewer", "finance"}
    assert user.district == "330483"
    resp = post_form(
        admin_client, url, {"roles": ["finance"], "district": ""}, page=f"/admin/users/{user.id}"
    )
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.roles == ["finance"]
    assert user.district is None
    assert len(events("admin.user_roles")) == 2


def test_a_deactivated_reviewer_loses_token_and_session_at_once(
    app, admin_client, post_form, factory, login, auth_headers
):
    reviewer = factory.staff("county_reviewer", username="reviewer1")
    their_client = app.test_client()
    headers = auth_headers(their_client, "reviewer1")
    login(their_client, reviewer)
    assert their_client.get("/api/v1/me", headers=headers).status_code == 200
    assert their_client.get("/account").status_code == 200

    resp = post_form(
        admin_client,
        f"/admin/users/{reviewer.id}/deactivate",
        {},
        page=f"/admin/users/{reviewer.id}",
    )
    assert resp.status_code == 302
    assert their_client.get("/api/v1/me", headers=headers).status_code == 401
    resp = their_client.get("/account")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    # Nor can they log in again, nor get a new token.
    resp = their_client.post("/api/v1/tokens", json={"username": "reviewer1", "password": PASSWORD})
    assert resp.status_code == 401
    assert events("admin.user_active")[-1].details == {"user_id": reviewer.id, "active": False}

    resp = post_form(
        admin_client,
        f"/admin/users/{reviewer.id}/reactivate",
        {},
        page=f"/admin/users/{reviewer.id}",
    )
    assert resp.status_code == 302
    fresh = app.test_client()
    assert auth_headers(fresh, "reviewer1")  # may log in again


def test_the_last_admin_can_be_neither_deactivated_nor_demoted(admin_client, post_form, admin):
    page = f"/admin/users/{admin.id}"
    resp = post_form(admin_client, f"/admin/users/{admin.id}/deactivate", {}, page=page)
    assert resp.status_code == 409
    assert "最后一名系统管理员" in resp.get_data(as_text=True)
    resp = post_form(
        admin_client,
        f"/admin/users/{admin.id}/roles",
        {"roles": ["finance"], "district": ""},
        page=page,
    )
    assert resp.status_code == 409
    assert "最后一名系统管理员" in resp.get_data(as_text=True)
    user = db.session.get(User, admin.id)
    db.session.refresh(user)
    assert user.active
    assert user.roles == ["admin"]


def test_a_second_admin_can_be_removed_while_one_remains(admin_client, post_form, factory):
    other = factory.staff("admin", username="root2")
    resp = post_form(
        admin_client, f"/admin/users/{other.id}/deactivate", {}, page=f"/admin/users/{other.id}"
    )
    assert resp.status_code == 302
    assert not db.session.get(User, other.id).active


def test_user_list_filters_by_role_state_and_text(admin_client, factory):
    factory.staff("finance", username="money.person")
    factory.staff("expert", username="expert.one")
    html = admin_client.get("/admin/users?role=finance").get_data(as_text=True)
    assert "money.person" in html
    assert "expert.one" not in html
    html = admin_client.get("/admin/users?q=EXPERT").get_data(as_text=True)
    assert "expert.one" in html
    assert "money.person" not in html
    assert admin_client.get("/admin/users?role=nonsense&active=x").status_code == 200


def test_a_person_identity_is_corrected_only_by_an_admin_with_a_reason(
    app, admin_client, post_form, factory
):
    from datetime import date

    user = factory.person(name="张小三")
    person = db.session.get(Person, user.person_id)
    new_number = make_id_number("330411", date(1997, 7, 7), 9)
    url = f"/admin/people/{person.id}/identity"
    resp = post_form(admin_client, url, {"name": "张晓三", "id_number": new_number, "reason": ""})
    assert resp.status_code == 422  # a reason is required
    resp = post_form(
        admin_client,
        url,
        {"name": "张晓三", "id_number": "330411199707070000", "reason": "核对身份证原件"},
    )
    assert resp.status_code == 422
    assert "校验" in resp.get_data(as_text=True)
    resp = post_form(
        admin_client, url, {"name": "张晓三", "id_number": new_number, "reason": "核对身份证原件"}
    )
    assert resp.status_code == 302
    person = db.session.get(Person, person.id)
    db.session.refresh(person)
    vault = app.extensions["zc_vault"]
    assert person.name == "张晓三"
    assert vault.decrypt(person.id_number_enc) == new_number
    assert person.id_number_hash == vault.lookup_hash(new_number)
    assert person.birth_date == date(1997, 7, 7)
    ev = events("admin.identity_correction")[-1]
    assert ev.reason == "核对身份证原件"
    assert ev.details["to"]["name"] == "张晓三"
    assert new_number not in str(ev.details)  # masked in the trail


def test_the_owner_cannot_change_identity_data_on_the_profile_page(app, factory, login, post_form):
    user = factory.organization(name="原名称有限公司")
    client = app.test_client()
    login(client, user)
    resp = post_form(
        client,
        "/account",
        {
            "phone": "0573-82000000",
            "email": "new@example.test",
            "address": "嘉兴市南湖区1号",
            "org_name": "新名称有限公司",
            "credit_code": "913304020000000000",
        },
    )
    assert resp.status_code == 302
    org = db.session.get(Organization, user.organization_id)
    db.session.refresh(org)
    assert org.name == "原名称有限公司"
    assert (org.contact_phone, org.address) == ("0573-82000000", "嘉兴市南湖区1号")
    assert events("account.contact_update")[-1].details["fields"] == ["email", "phone", "address"]


def test_an_organisation_is_corrected_and_follows_its_code_district(
    admin_client, post_form, factory
):
    user = factory.organization(district="330402")
    org = db.session.get(Organization, user.organization_id)
    url = f"/admin/organizations/{org.id}/identity"
    taken = factory.organization(district="330402")
    taken_code = db.session.get(Organization, taken.organization_id).credit_code
    resp = post_form(
        admin_client, url, {"name": org.name, "credit_code": taken_code, "reason": "营业执照变更"}
    )
    assert resp.status_code == 422
    assert "另一家单位" in resp.get_data(as_text=True)
    new_code = make_credit_code("330411", "MA9999999")
    resp = post_form(
        admin_client,
        url,
        {"name": "更正后有限公司", "credit_code": new_code, "reason": "营业执照变更"},
    )
    assert resp.status_code == 302
    org = db.session.get(Organization, org.id)
    db.session.refresh(org)
    assert (org.name, org.credit_code, org.district) == ("更正后有限公司", new_code, "330411")
    ev = events("admin.identity_correction")[-1]
    assert ev.details["from"]["district"] == "330402"
    assert ev.details["to"]["credit_code"] == new_code
