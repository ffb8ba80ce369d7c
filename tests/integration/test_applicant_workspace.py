"""The applicant's home page, who may start which application, and notifications."""

from __future__ import annotations

import socket
from datetime import date

import sqlalchemy as sa

from tests.conftest import form_post, login_as
from tests.helpers import attach_for_submit, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.extensions import db
from zhongchuang.models import Application, Notification, OutboxMail
from zhongchuang.policy.identity import make_credit_code

BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区
GRANT = {"business_credit_code": BUSINESS, "year": "2020", "employees_insured": "5"}


def _count_cases() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one()


def test_home_lists_my_cases_with_state_next_step_and_the_programs_open_to_me(client, factory):
    open_batch(factory, "employment_driving_grant")
    open_batch(factory, "makerspace_recognition")  # for operators only
    open_batch(factory, "graduate_startup_grant", closes_on=date(2021, 3, 10))  # closed
    person = factory.person(name="陈小红")
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    login_as(client, person)

    html = client.get("/me").get_data(as_text=True)

    assert case.number in html
    assert "草稿" in html
    assert "完善申报信息、上传材料后提交申报" in html
    assert "申报截止" in html
    assert "2021-04-30" in html
    offers = html[html.index('id="programs"') :]
    assert "带动就业补助" in offers
    assert "/apply/employment_driving_grant" in offers
    assert "#art-" in offers
    assert "四(一)" in offers
    assert "众创空间认定" not in offers  # wrong kind of applicant
    assert "大学生创业补助" not in offers  # its batch has closed
    assert client.get("/applicant").status_code == 200


def test_home_page_is_for_applicants_only(client, factory):
    login_as(client, factory.staff("county_reviewer", district="330411"))
    resp = client.get("/me")
    assert resp.status_code == 403
    assert "仅供申请人使用" in resp.get_data(as_text=True)


def test_the_wrong_kind_of_applicant_is_refused_with_the_reason(client, factory):
    open_batch(factory, "employment_driving_grant")  # persons only
    enterprise = factory.organization(kind="enterprise")
    login_as(client, enterprise)

    page = client.get("/apply/employment_driving_grant")
    assert page.status_code == 403
    assert "申请人类型与您的账号不符" in page.get_data(as_text=True)
    # Posting anyway changes nothing.
    person = factory.person()
    login_as(client, person)
    html = client.get("/apply/employment_driving_grant").get_data(as_text=True)
    login_as(client, enterprise)
    from tests.conftest import csrf_from

    resp = client.post(
        "/apply/employment_driving_grant", data={"csrf_token": csrf_from(html), **GRANT}
    )
    assert resp.status_code == 403
    assert _count_cases() == 0


def test_no_application_outside_an_open_batch(client, factory):
    open_batch(factory, "graduate_startup_grant", closes_on=date(2021, 3, 10))
    login_as(client, factory.person())

    for code in ("graduate_startup_grant", "graduate_loan_interest"):  # closed; none at all
        resp = client.get(f"/apply/{code}")
        assert resp.status_code == 422
        assert "没有开放的申报批次" in resp.get_data(as_text=True)
    assert client.get("/apply/no_such_program").status_code == 404
    assert _count_cases() == 0


def _submitted_case(factory, email_person=True):
    open_batch(factory, "employment_driving_grant")
    person = factory.person(name="陈小红")
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    county = factory.staff("county_reviewer", district="330411")
    return person, case, county


def test_notifications_are_listed_counted_and_marked_read(client, factory):
    person, case, county = _submitted_case(factory)
    login_as(client, county)
    resp = form_post(
        client, f"/applications/{case.id}/actions/accept", {}, page=f"/applications/{case.id}"
    )
    assert resp.status_code == 302

    login_as(client, person)
    home = client.get("/me").get_data(as_text=True)
    assert f"您的申报 {case.number}（带动就业补助）已受理。" in home
    assert 'class="badge unread"' in home
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "已受理" in page
    assert "未读" in page
    # Which steps notify the applicant.
    steps = page[page.index('id="notify-steps"') :]
    for label in ("受理", "退回补正", "初审通过", "复审通过", "发布公示", "拨付"):
        assert label in steps

    note = db.session.execute(sa.select(Notification)).scalar_one()
    # Someone else cannot mark it read.
    other = factory.person(name="赵六")
    login_as(client, other)
    resp = form_post(client, f"/me/notifications/{note.id}/read", {}, page="/logout")
    assert resp.status_code == 404
    login_as(client, person)
    resp = form_post(
        client, f"/me/notifications/{note.id}/read", {"open": "1"}, page="/me/notifications"
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/applications/{case.id}")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None
    assert 'class="badge unread"' not in client.get("/me").get_data(as_text=True)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_failing_mail_server_never_undoes_the_step(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())  # nobody listens: SMTP fails
    person, case, county = _submitted_case(factory)
    login_as(client, county)

    resp = form_post(
        client, f"/applications/{case.id}/actions/accept", {}, page=f"/applications/{case.id}"
    )

    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, case.id).state == "accepted"
    assert db.session.execute(sa.select(Notification)).scalar_one().kind == "accept"
    mail = db.session.execute(sa.select(OutboxMail)).scalar_one()
    assert mail.status == "pending"  # kept for a retry
    assert mail.error


def test_a_failing_notification_never_undoes_the_step(client, factory, monkeypatch):
    from zhongchuang.messages import notify

    person, case, county = _submitted_case(factory)

    def broken(*args, **kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(notify, "queue_mail", broken)
    login_as(client, county)
    resp = form_post(
        client, f"/applications/{case.id}/actions/accept", {}, page=f"/applications/{case.id}"
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, case.id).state == "accepted"
