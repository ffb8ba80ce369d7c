"""Attachments through the pages: checked by content, size-limited, stored under random
names with their hash, replaced without losing the old file, downloaded only by those who
may see the case."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import csrf_from, login_as
from tests.helpers import MINIMAL_PDF, PNG, attach_for_submit, office_file, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.extensions import db
from zhongchuang.models import Attachment, AuditEvent
from zhongchuang.policy.identity import make_credit_code

BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区
INSURANCE = {
    "school": "嘉兴学院",
    "graduation_date": "2020-06-30",
    "business_credit_code": BUSINESS,
    "business_registered_on": "2020-09-01",
    "insured_from": "2020-01",
    "insured_months": "14",
}


def _draft(factory):
    open_batch(factory, "graduate_self_employed_insurance")
    person = factory.person()
    return person, cases.create_draft(person, "graduate_self_employed_insurance", INSURANCE)


def _upload(client, case_id: int, data: bytes, name: str, kind: str = "insurance_record"):
    html = client.get("/logout").get_data(as_text=True)  # any page with a CSRF token
    return client.post(
        f"/applications/{case_id}/attachments",
        data={"csrf_token": csrf_from(html), "kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _stored(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.iterdir() if p.is_file()) if root.exists() else []


def _rows() -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Attachment).order_by(Attachment.id)).scalars())


def test_an_upload_is_stored_under_a_random_name_with_its_hash_and_audited(app, client, factory):
    person, case = _draft(factory)
    login_as(client, person)
    before = set(_stored(app))

    resp = _upload(client, case.id, MINIMAL_PDF, "../../etc/缴费\x07记录.pdf")

    assert resp.status_code == 302
    (att,) = _rows()
    assert att.filename == "缴费记录.pdf"  # no path, no control character
    assert att.content_type == "application/pdf"
    assert att.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    (path,) = set(_stored(app)) - before
    assert path.name == att.storage_name
    assert "缴费" not in path.name
    assert path.read_bytes() == MINIMAL_PDF
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "case.upload")
    ).scalar_one()
    assert event.application_id == case.id
    assert event.details["sha256"] == att.sha256
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "已上传" in page and "缴费记录.pdf" in page  # noqa: PT018


def test_a_pdf_named_file_whose_content_is_html_is_refused(app, client, factory):
    person, case = _draft(factory)
    login_as(client, person)
    before = _stored(app)

    resp = _upload(client, case.id, b"<!doctype html><script>alert(1)</script>", "证明.pdf")

    assert resp.status_code == 415
    html = resp.get_data(as_text=True)
    assert "不支持该文件" in html
    assert 'id="file-error"' in html  # said next to the file field
    assert _rows() == []
    assert _stored(app) == before


def test_content_decides_the_type_not_the_name(client, factory):
    person, case = _draft(factory)
    login_as(client, person)
    assert _upload(client, case.id, PNG, "scan.pdf").status_code == 302
    assert (
        _upload(client, case.id, office_file("xlsx"), "名单", kind="business_license").status_code
        == 302
    )
    rows = _rows()
    assert [(r.filename, r.content_type) for r in rows] == [
        ("scan.png", "image/png"),
        (
            "名单.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ]


def test_a_file_over_the_limit_is_refused_with_413(app, client, factory, monkeypatch):
    person, case = _draft(factory)
    login_as(client, person)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 4096)
    before = _stored(app)

    resp = _upload(client, case.id, MINIMAL_PDF + b"0" * 5000, "big.pdf")

    assert resp.status_code == 413
    assert "大小限制" in resp.get_data(as_text=True)
    assert _rows() == []
    assert _stored(app) == before  # no partial file left behind


def test_a_request_over_max_content_length_gets_the_chinese_413_page(
    app, client, factory, monkeypatch
):
    person, case = _draft(factory)
    login_as(client, person)
    html = client.get("/logout").get_data(as_text=True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)

    resp = client.post(
        f"/applications/{case.id}/attachments",
        data={
            "csrf_token": csrf_from(html),
            "kind": "insurance_record",
            "file": (io.BytesIO(MINIMAL_PDF + b"0" * 8000), "big.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert resp.status_code == 413
    body = resp.get_data(as_text=True)
    assert "出错了（413）" in body
    assert "上传的文件超过大小限制" in body
    assert _rows() == []


def test_replacing_keeps_the_old_file_and_uploads_stop_after_submission(client, factory):
    person, case = _draft(factory)
    login_as(client, person)
    assert _upload(client, case.id, MINIMAL_PDF, "first.pdf").status_code == 302
    assert _upload(client, case.id, MINIMAL_PDF + b"%v2", "second.pdf").status_code == 302
    rows = _rows()
    assert [(r.filename, r.current) for r in rows] == [("first.pdf", False), ("second.pdf", True)]
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "此前的版本" in page

    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    before = len(_rows())
    resp = _upload(client, case.id, MINIMAL_PDF, "late.pdf")
    assert resp.status_code == 409
    assert len(_rows()) == before
    assert 'enctype="multipart/form-data"' not in client.get(f"/applications/{case.id}").get_data(
        as_text=True
    )


def test_downloads_are_attachments_for_those_who_may_see_the_case_only(client, factory):
    person, case = _draft(factory)
    login_as(client, person)
    _upload(client, case.id, MINIMAL_PDF, "缴费记录.pdf")
    (att,) = _rows()
    url = f"/applications/{case.id}/attachments/{att.id}"

    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.data == MINIMAL_PDF
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp.close()

    login_as(client, factory.person(name="赵六"))
    assert client.get(url).status_code == 404
    # Reviewers: nothing while it is a draft; their district once submitted; never another.
    county = factory.staff("county_reviewer", district="330411")
    other_county = factory.staff("county_reviewer", district="330402")
    login_as(client, county)
    assert client.get(url).status_code == 404
    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    before = len(_rows())
    resp = client.get(url)
    assert resp.status_code == 200
    resp.close()
    login_as(client, other_county)
    assert client.get(url).status_code == 404
    # Nor may a reviewer upload.
    login_as(client, county)
    assert _upload(client, case.id, MINIMAL_PDF, "x.pdf").status_code in (403, 409)
    assert len(_rows()) == before


def test_an_unknown_kind_or_no_file_is_a_field_error(client, factory):
    person, case = _draft(factory)
    login_as(client, person)
    resp = _upload(client, case.id, MINIMAL_PDF, "a.pdf", kind="passport")
    assert resp.status_code == 422
    assert "该事项不需要这类材料" in resp.get_data(as_text=True)
    html = client.get("/logout").get_data(as_text=True)
    resp = client.post(
        f"/applications/{case.id}/attachments",
        data={"csrf_token": csrf_from(html), "kind": "insurance_record"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "请选择要上传的文件" in resp.get_data(as_text=True)
    assert _rows() == []
