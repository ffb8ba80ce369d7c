"""The audit viewer: filters, keyset pages, CSV and XLSX export, chain verification with
the first broken link; and the outbox with resending."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.helpers import attach_for_submit
from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.messages import notify
from zhongchuang.models import AuditEvent, OutboxMail
from zhongchuang.policy.identity import make_credit_code

BUSINESS = make_credit_code("330411", "MA1000001")


@pytest.fixture
def world(app, factory, login, clock):
    admin = factory.staff("admin", username="root")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    applicant = factory.person(name="陈小红", username="chen")
    county = factory.staff("county_reviewer", district="330411", username="xiuzhou")
    case = cases.create_draft(
        applicant,
        "employment_driving_grant",
        {"business_credit_code": BUSINESS, "year": 2020, "employees_insured": 5},
    )
    attach_for_submit(case, applicant)
    cases.act(applicant, case.id, "submit")
    clock.set_today(date(2021, 3, 16))
    cases.act(county, case.id, "accept")
    other = cases.create_draft(
        applicant,
        "employment_driving_grant",
        {"business_credit_code": make_credit_code("330411", "MA1000002"), "year": 2020},
    )
    client = app.test_client()
    login(client, admin)
    return {"case": case, "other": other, "client": client, "admin": admin}


def ids_on(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr id="event-(\d+)"', html)]


def test_audit_viewer_filters_by_case_actor_kind_and_date(world):
    client, case = world["client"], world["case"]
    html = client.get(f"/admin/audit?case={case.number}").get_data(as_text=True)
    expected = db.session.execute(
        sa.select(AuditEvent.id)
        .where(AuditEvent.application_id == case.id)
        .order_by(AuditEvent.id.desc())
    ).scalars()
    assert ids_on(html) == list(expected)
    assert "accepted" in html

    html = client.get("/admin/audit?actor=XIUZHOU").get_data(as_text=True)
    evs = [db.session.get(AuditEvent, i) for i in ids_on(html)]
    assert evs
    assert {e.actor_name for e in evs} == {"xiuzhou"}

    html = client.get("/admin/audit?kind=admin").get_data(as_text=True)
    assert {db.session.get(AuditEvent, i).kind.split(".")[0] for i in ids_on(html)} == {"admin"}
    html = client.get("/admin/audit?kind=case.action").get_data(as_text=True)
    assert {db.session.get(AuditEvent, i).kind for i in ids_on(html)} == {"case.action"}

    html = client.get("/admin/audit?date_from=2021-03-16&date_to=2021-03-16").get_data(as_text=True)
    days = {db.session.get(AuditEvent, i).at.date() for i in ids_on(html)}
    assert ids_on(html)
    assert all(d >= date(2021, 3, 15) for d in days)  # UTC of a Shanghai day
    on_16 = client.get("/admin/audit?date_to=2021-03-15").get_data(as_text=True)
    assert not set(ids_on(on_16)) & set(ids_on(html))

    resp = client.get("/admin/audit?date_from=yesterday&event=x")
    assert resp.status_code == 422
    assert "年-月-日" in resp.get_data(as_text=True)


def test_audit_viewer_pages_by_key(world, monkeypatch):
    from zhongchuang.audit import log as audit_log

    monkeypatch.setattr(audit_log, "PAGE_SIZE", 3)
    client = world["client"]
    total = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
    seen: list[int] = []
    url = "/admin/audit"
    while url:
        html = client.get(url).get_data(as_text=True)
        page = ids_on(html)
        assert len(page) <= 3
        seen += page
        m = re.search(r'href="(/admin/audit\?cursor=\d+[^"]*)"', html)
        url = m.group(1).replace("&amp;", "&") if m else None
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == total


def test_audit_export_as_csv_and_xlsx_follows_the_filter(world):
    client, case = world["client"], world["case"]
    resp = client.get(f"/admin/audit/export.csv?case={case.number}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "时间", "操作人"]
    on_case = db.session.execute(
        sa.select(sa.func.count()).where(AuditEvent.application_id == case.id)
    ).scalar()
    # created, a material uploaded, submitted, accepted, its 受理通知书 issued
    assert len(rows) - 1 == on_case == 5
    assert {r[5] for r in rows[1:]} == {case.number}

    resp = client.get("/admin/audit/export.xlsx?kind=case.action")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.get_data()), read_only=True)
    values = list(wb.active.iter_rows(values_only=True))
    assert values[0][0] == "编号"
    assert {v[4] for v in values[1:]} == {"case.action"}
    wb.close()
    assert client.get("/admin/audit/export.pdf").status_code == 404
    kinds = db.session.execute(sa.select(AuditEvent.kind)).scalars().all()
    assert kinds.count("admin.audit_export") == 2


def test_exported_cells_cannot_become_formulas(world):
    from zhongchuang.extensions import db as _db

    audit.record("admin.note", actor=world["admin"], role="admin", reason="=HYPERLINK(1)")
    _db.session.commit()
    text = world["client"].get("/admin/audit/export.csv?kind=admin").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_verify_shows_the_chain_intact_and_then_the_first_broken_link(world, app):
    client = world["client"]
    html = client.get("/admin/audit/verify").get_data(as_text=True)
    assert "审计链完整" in html
    victim = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.application_id == world["case"].id).limit(1)
    ).scalar_one()
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(reason="悄悄改过")
    )
    db.session.commit()
    resp = client.get("/admin/audit/verify")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "已断裂" in html
    assert f"/admin/audit?event={victim.id}" in html
    assert audit.verify().first_bad == victim.id
    html = client.get(f"/admin/audit?event={victim.id}").get_data(as_text=True)
    assert ids_on(html) == [victim.id]
    assert "悄悄改过" in html


def test_outbox_lists_mails_and_resends_a_failed_one(world, app, post_form):
    client = world["client"]
    notify.queue_mail("someone@example.test", "测试邮件", "正文")
    notify.send_pending()  # no mail server: kept
    mail = db.session.execute(
        sa.select(OutboxMail).where(OutboxMail.subject == "测试邮件")
    ).scalar_one()
    assert mail.status == "kept"
    mail.status, mail.error, mail.attempts = "failed", "SMTPServerDisconnected: gone", 3
    db.session.commit()
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "测试邮件" in html
    assert "SMTPServerDisconnected" in html
    assert "未配置" in html  # the mail settings in effect
    assert "已通过初审" in html  # which steps notify the applicant
    assert "测试邮件" not in client.get("/admin/outbox?status=sent").get_data(as_text=True)

    resp = post_form(client, f"/admin/outbox/{mail.id}/resend", {}, page="/admin/outbox")
    assert resp.status_code == 302
    db.session.refresh(mail)
    assert mail.status == "kept"
    assert mail.error is None
    assert (
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.kind == "admin.mail_resend"))
        .scalar_one()
        .details["mail_id"]
        == mail.id
    )
