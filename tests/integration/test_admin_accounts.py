"""One's own account: contact data, password change, password recovery by a one-time link,
and an organisation's members invited by link and removed at once."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.errors import NotFound
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Invitation, OutboxMail, PasswordReset, Person, User
from zhongchuang.security import token_digest

NEW_PASSWORD = "Neues-Passw0rt-2021"
LINK_RE = re.compile(r"http://localhost(/(?:password/reset|invitations)/[A-Za-z0-9_\-]+)")


def kinds() -> list[str]:
    return list(db.session.execute(sa.select(AuditEvent.kind).order_by(AuditEvent.id)).scalars())


def last_mail_to(address: str) -> OutboxMail:
    return db.session.execute(
        sa.select(OutboxMail)
        .where(OutboxMail.to_address == address)
        .order_by(OutboxMail.id.desc())
        .limit(1)
    ).scalar_one()


def link_in(mail: OutboxMail) -> str:
    m = LINK_RE.search(mail.body)
    assert m, mail.body
    return m.group(1)


def web_login(client, username: str, password: str):
    from tests.conftest import form_post

    return form_post(client, "/login", {"username": username, "password": password})


# --- contact data and password change ---------------------------------------------------


def test_a_person_edits_contact_data_but_not_identity(app, factory, login, post_form):
    user = factory.person(name="李四")
    client = app.test_client()
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "李四" in page
    assert user.person.id_number_masked in page
    resp = post_form(
        client,
        "/account",
        {"phone": "not a phone", "email": "li@example.test", "address": "嘉兴市秀洲区2号"},
    )
    assert resp.status_code == 422
    assert "有效的手机号" in resp.get_data(as_text=True)
    resp = post_form(
        client,
        "/account",
        {"phone": "13900000000", "email": "li@example.test", "address": "嘉兴市秀洲区2号"},
    )
    assert resp.status_code == 302
    person = db.session.get(Person, user.person_id)
    db.session.refresh(person)
    assert (person.phone, person.address, person.name) == ("13900000000", "嘉兴市秀洲区2号", "李四")
    assert "account.contact_update" in kinds()


def test_password_change_needs_the_current_password_and_ends_other_sessions(
    app, factory, post_form, login
):
    user = factory.staff("city_reviewer", username="city.one")
    here, elsewhere = app.test_client(), app.test_client()
    assert web_login(here, "city.one", PASSWORD).status_code == 302
    login(elsewhere, db.session.get(User, user.id))  # a second browser in the same session
    assert elsewhere.get("/account").status_code == 200
    data = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    resp = post_form(here, "/account/password", {**data, "current_password": "wrong-one-123"})
    assert resp.status_code == 422
    assert "当前密码不正确" in resp.get_data(as_text=True)
    resp = post_form(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "x"},
    )
    assert resp.status_code == 422
    assert "不一致" in resp.get_data(as_text=True)
    resp = post_form(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "new_password_again": "short"},
    )
    assert resp.status_code == 422
    assert "至少10位" in resp.get_data(as_text=True)

    resp = post_form(here, "/account/password", {**data, "current_password": PASSWORD})
    assert resp.status_code == 302
    assert here.get("/account").status_code == 200  # this session goes on
    assert elsewhere.get("/account").status_code == 302  # the other one has ended
    assert "account.password_change" in kinds()
    assert web_login(app.test_client(), "city.one", NEW_PASSWORD).status_code == 302
    assert db.session.get(User, user.id) is not None


# --- password recovery ------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_names(app, factory, post_form):
    factory.person(username="known.user")
    answers = []
    for identifier in ("known.user", "nobody.here", "nobody@example.test"):
        resp = post_form(app.test_client(), "/password/forgot", {"identifier": identifier})
        answers.append((resp.status_code, resp.get_data(as_text=True)))
    assert answers[0][0] == answers[1][0] == answers[2][0] == 200

    def strip(html: str) -> str:
        return re.sub(r'value="[^"]+"', "", html)

    assert strip(answers[0][1]) == strip(answers[1][1]) == strip(answers[2][1])
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar() == 1


def test_a_recovery_link_works_once_and_only_within_the_hour(app, factory, post_form, clock):
    user = factory.person(username="forgetful")
    post_form(app.test_client(), "/password/forgot", {"identifier": user.email.upper()})
    mail = last_mail_to(user.email)
    assert mail.status in ("kept", "sent")
    path = link_in(mail)
    token = path.rsplit("/", 1)[1]
    # Only the digest is stored.
    row = db.session.execute(sa.select(PasswordReset)).scalar_one()
    assert row.token_hash == token_digest(token)
    assert token not in row.token_hash
    assert row.expires_at - row.created_at == timedelta(hours=1)

    client = app.test_client()
    assert client.get(path).status_code == 200
    resp = post_form(
        client, path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert resp.status_code == 302
    assert web_login(app.test_client(), "forgetful", NEW_PASSWORD).status_code == 302
    assert "account.password_reset" in kinds()

    # Used: refused.
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "已使用或已过期" in again.get_data(as_text=True)

    # Expired: refused.
    post_form(app.test_client(), "/password/forgot", {"identifier": "forgetful"})
    late = link_in(last_mail_to(user.email))
    clock.set_today(date(2021, 3, 16))
    resp = app.test_client().get(late)
    assert resp.status_code == 410
    assert "已使用或已过期" in resp.get_data(as_text=True)
    assert app.test_client().get("/password/reset/not-a-token").status_code == 410


def test_a_reset_link_ends_existing_sessions_and_tokens(
    app, factory, post_form, login, auth_headers
):
    user = factory.staff("finance", username="fin.user", email="fin@example.test")
    client = app.test_client()
    headers = auth_headers(client, "fin.user")
    login(client, user)
    post_form(app.test_client(), "/password/forgot", {"identifier": "fin.user"})
    path = link_in(last_mail_to("fin@example.test"))
    other = app.test_client()
    resp = post_form(
        other, path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert resp.status_code == 302
    assert client.get("/account").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_outbox_hides_one_time_links(app, factory, post_form, login):
    admin = factory.staff("admin", username="root")
    user = factory.person(username="someone")
    post_form(app.test_client(), "/password/forgot", {"identifier": "someone"})
    path = link_in(last_mail_to(user.email))
    client = app.test_client()
    login(client, admin)
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "找回密码" in html
    assert path not in html


# --- organisation members ---------------------------------------------------------------


@pytest.fixture
def org_case(app, factory):
    """An operator organisation (its registrant) with a draft case of its own."""
    admin = factory.staff("admin", username="root")
    batches.create_batch(
        admin, "makerspace_recognition", 2021, date(2021, 3, 1), date(2021, 4, 30), Decimal("0")
    )
    owner = factory.operator(district="330402", username="owner")
    case = cases.create_draft(owner, "makerspace_recognition", {"space_name": "南湖创客汇"})
    return owner, case


def invite(app, owner, post_form, login, email: str = "colleague@example.test") -> str:
    client = app.test_client()
    login(client, owner)
    resp = post_form(client, "/account/members", {"email": email})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    path = LINK_RE.search(html).group(1)
    assert path in link_in(last_mail_to(email))  # the same link was mailed
    return path


def accept(app, path: str, post_form, username: str = "colleague"):
    client = app.test_client()
    resp = post_form(
        client,
        path,
        {
            "display_name": "同事甲",
            "username": username,
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        page="/password/forgot",  # a refused link has no form to take the token from
    )
    return client, resp


def test_an_invited_colleague_joins_and_acts_for_the_organisation(app, org_case, post_form, login):
    owner, case = org_case
    path = invite(app, owner, post_form, login)
    page = app.test_client().get(path)
    assert page.status_code == 200
    assert owner.organization.name in page.get_data(as_text=True)
    client, resp = accept(app, path, post_form)
    assert resp.status_code == 302
    member = db.session.execute(sa.select(User).where(User.username == "colleague")).scalar_one()
    assert member.organization_id == owner.organization_id
    assert not member.is_org_owner
    assert member.email == "colleague@example.test"
    assert cases.get_visible(member, case.id).id == case.id
    assert client.get("/account").status_code == 200  # logged in
    kinds_now = kinds()
    assert "account.invitation_create" in kinds_now
    assert "account.invitation_accept" in kinds_now
    # Members cannot invite; only the registrant can.
    assert client.get("/account/members").status_code == 403


def test_a_used_or_expired_invitation_is_refused(app, org_case, post_form, login, clock):
    owner, _case = org_case
    path = invite(app, owner, post_form, login)
    _client, resp = accept(app, path, post_form)
    assert resp.status_code == 302
    resp = app.test_client().get(path)
    assert resp.status_code == 410
    assert "已被使用" in resp.get_data(as_text=True)
    _client, resp = accept(app, path, post_form, username="intruder")
    assert resp.status_code == 410
    assert db.session.execute(sa.select(User).where(User.username == "intruder")).first() is None

    late = invite(app, owner, post_form, login, email="late@example.test")
    clock.set_today(date(2021, 3, 30))
    resp = app.test_client().get(late)
    assert resp.status_code == 410
    assert "已过期" in resp.get_data(as_text=True)
    assert app.test_client().get("/invitations/nonsense").status_code == 410


def test_a_removed_member_loses_access_to_the_cases_at_once(
    app, org_case, post_form, login, auth_headers
):
    owner, case = org_case
    path = invite(app, owner, post_form, login)
    member_client, _resp = accept(app, path, post_form)
    headers = auth_headers(app.test_client(), "colleague")
    member = db.session.execute(sa.select(User).where(User.username == "colleague")).scalar_one()
    assert cases.get_visible(member, case.id)

    owner_client = app.test_client()
    login(owner_client, owner)
    resp = post_form(
        owner_client, f"/account/members/{member.id}/remove", {}, page="/account/members"
    )
    assert resp.status_code == 302
    member = db.session.get(User, member.id)
    db.session.refresh(member)
    assert member.organization_id is None
    assert not member.active
    with pytest.raises(NotFound):
        cases.get_visible(member, case.id)
    assert member_client.get("/account").status_code == 302  # the session has ended
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert "account.member_remove" in kinds()


def test_the_registrant_cannot_be_removed_and_strangers_get_404(
    app, org_case, post_form, login, factory
):
    owner, _case = org_case
    client = app.test_client()
    login(client, owner)
    resp = post_form(client, f"/account/members/{owner.id}/remove", {}, page="/account/members")
    assert resp.status_code == 409
    stranger = factory.operator(district="330411")
    resp = post_form(client, f"/account/members/{stranger.id}/remove", {}, page="/account/members")
    assert resp.status_code == 404
    assert db.session.get(User, stranger.id).active


def test_an_invitation_needs_a_valid_address_and_can_be_revoked(app, org_case, post_form, login):
    owner, _case = org_case
    client = app.test_client()
    login(client, owner)
    resp = post_form(client, "/account/members", {"email": "no-at-sign"})
    assert resp.status_code == 422
    path = invite(app, owner, post_form, login)
    inv = db.session.execute(sa.select(Invitation)).scalar_one()
    resp = post_form(client, f"/account/invitations/{inv.id}/revoke", {}, page="/account/members")
    assert resp.status_code == 302
    assert app.test_client().get(path).status_code == 410


def test_password_recovery_requests_are_rate_limited(tmp_path):
    """A separate app with the limiter on (the shared test apps run without it)."""
    from tests.conftest import build_app, form_post, migrate_and_load
    from zhongchuang.extensions import limiter

    app = build_app(
        f"sqlite:///{tmp_path / 'limits.sqlite3'}",
        tmp_path,
        RATELIMIT_ENABLED=True,
        PASSWORD_RESET_RATE_LIMIT="3 per minute",
    )
    try:
        migrate_and_load(app)
        with app.app_context():
            client = app.test_client()
            answers = [
                form_post(client, "/password/forgot", {"identifier": f"u{i}"}) for i in range(4)
            ]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert "频繁" in answers[-1].get_data(as_text=True)
    finally:
        limiter.reset()
        limiter.enabled = False
        with app.app_context():
            db.engine.dispose()
