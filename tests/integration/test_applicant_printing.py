"""The printable application summary and decision letters, as HTML and as PDF."""

from __future__ import annotations

import re
import shutil
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import form_post, login_as
from tests.helpers import attach_for_submit, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.documents.pdf import KNOWN_FONTS, find_cjk_font
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.runtime import vault

BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区
GRANT = {"business_credit_code": BUSINESS, "year": "2020", "employees_insured": "5"}

needs_font = pytest.mark.skipif(
    not any(Path(path).exists() for path, _family in KNOWN_FONTS) and not shutil.which("fc-match"),
    reason="no CJK font installed (apt install fonts-noto-cjk)",
)


def _pdf_text_streams(data: bytes) -> bytes:
    """The PDF's bytes plus every Flate stream decompressed (where text would sit)."""
    out = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


@pytest.fixture
def submitted(factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person(name="陈小红")
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    return person, case


def test_the_printable_summary_masks_the_identity_number(client, submitted):
    person, case = submitted
    raw = vault().decrypt(person.person.id_number_enc)
    login_as(client, person)

    html = client.get(f"/applications/{case.id}/summary").get_data(as_text=True)

    assert "申报摘要" in html
    assert case.number in html
    assert person.person.id_number_masked in html
    assert raw not in html
    assert "4,000.00 元" in html
    assert "print.js" in html
    assert "<script>" not in html  # no inline script (CSP)


@needs_font
def test_the_pdf_summary_is_a_pdf_without_the_raw_identity_number(client, submitted):
    person, case = submitted
    raw = vault().decrypt(person.person.id_number_enc)
    login_as(client, person)

    resp = client.get(f"/applications/{case.id}/summary.pdf")

    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.data.startswith(b"%PDF-")
    assert b"/FontFile" in resp.data  # the CJK font is embedded
    assert raw.encode() not in _pdf_text_streams(resp.data)


def test_no_font_means_503_not_boxes(app, client, submitted, monkeypatch):
    person, case = submitted
    monkeypatch.setitem(app.config, "PDF_FONT_PATH", "/nonexistent/NoFont.ttc")
    login_as(client, person)

    resp = client.get(f"/applications/{case.id}/summary.pdf")

    assert resp.status_code == 503
    assert "PDF 字体缺失" in resp.get_data(as_text=True)


@needs_font
def test_a_return_produces_a_letter_citing_the_article_and_reason(client, factory, submitted):
    person, case = submitted
    county = factory.staff("county_reviewer", district="330411")
    login_as(client, county)
    resp = form_post(
        client,
        f"/applications/{case.id}/actions/return",
        {
            "return-reason": "参保人员名单缺少社保机构盖章。",
            "return-articles": "四(一)",
            "return-item-employees_insured": "参保人员名单缺少社保机构盖章",
        },
        page=f"/applications/{case.id}",
    )
    assert resp.status_code == 302

    login_as(client, person)
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    links = re.findall(rf'href="(/applications/{case.id}/letters/(\d+))"', page)
    assert links, "the case page links to the letter"
    url = links[0][0]
    html = client.get(url).get_data(as_text=True)
    assert "补正材料通知书" in html
    assert "参保人员名单缺少社保机构盖章" in html
    assert "四(一)" in html
    assert "嘉政办发〔2015〕90号" in html
    assert "嘉兴市秀洲区" in html  # issued in the case's district
    pdf = client.get(url + ".pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF-")

    # Only for those who may see the case, and only for decisions.
    login_as(client, factory.person(name="赵六"))
    assert client.get(url).status_code == 404
    login_as(client, person)
    created = db.session.execute(
        sa.select(AuditEvent.id).where(
            AuditEvent.application_id == case.id, AuditEvent.kind == "case.create"
        )
    ).scalar_one()
    assert client.get(f"/applications/{case.id}/letters/{created}").status_code == 404


@needs_font
def test_the_font_found_is_a_chinese_face(app):
    from zhongchuang.documents.pdf import _faces

    font = find_cjk_font()
    assert font is not None
    assert (font.index, True) in [(i, ok) for i, _name, ok in _faces(font.path)]
