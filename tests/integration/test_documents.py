"""文书 as applicants, reviewers and the public meet them: each decision issues its
document, numbered from the issuing office's own sequence, signed, listed on the case and
in the API, downloadable by whoever may see the case (404 for others), verifiable by
anyone — and a file changed by one byte, or signed by another key, is not valid."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, form_post, login_as
from tests.helpers import attach_required, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.documents import issuers
from zhongchuang.errors import DomainError
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent, Document, DocumentSequence, Issuer, User
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"
XIUZHOU = "330411"


def _submitted(factory, n: int = 0, district: str = XIUZHOU) -> tuple[Application, User]:
    applicant = factory.person(name="陈小红")
    data = {
        "business_credit_code": make_credit_code(district, f"MA{n:07d}"),
        "year": 2020,
        "employees_insured": 5,
    }
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    attach_required(case, applicant)
    return cases.act(applicant, case.id, "submit"), applicant


@pytest.fixture
def world(factory):
    open_batch(factory, "employment_driving_grant")
    return {
        "county": factory.staff("county_reviewer", district=XIUZHOU, username="xiuzhou"),
        "nanhu": factory.staff("county_reviewer", district="330402", username="nanhu"),
        "city": factory.staff("city_reviewer", username="city"),
        "admin": factory.staff("admin", username="root"),
    }


def _docs(case_id: int) -> list[Document]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Document).where(Document.application_id == case_id).order_by(Document.id)
        ).scalars()
    )


def test_acceptance_issues_a_numbered_signed_receipt_with_the_query_code(client, world, factory):
    case, applicant = _submitted(factory)
    cases.act(world["county"], case.id, "accept")
    (doc,) = _docs(case.id)
    assert doc.kind == "receipt"
    assert doc.title == "受理通知书"
    assert doc.number == "秀众创〔2021〕1号"  # 秀洲区's office, its first number of 2021
    assert doc.issuer_name == "嘉兴市秀洲区众创空间政策主管部门"
    assert doc.issued_on == date(2021, 3, 15)
    case = db.session.get(Application, case.id)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", case.query_code or "")

    headers = api_token(client, applicant.username)
    listed = client.get(f"{API}/applications/{case.id}/documents", headers=headers).get_json()
    assert [(d["kind"], d["number"], d["status"]) for d in listed] == [
        ("receipt", "秀众创〔2021〕1号", "valid")
    ]
    pdf = client.get(listed[0]["url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert hashlib.sha256(pdf.data).hexdigest() == listed[0]["sha256"] == doc.sha256
    assert b"/ByteRange" in pdf.data  # signed

    # The hash of the issued document is in the audit chain.
    ev = db.session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.kind == "document.issue", AuditEvent.application_id == case.id
        )
    ).scalar_one()
    assert ev.details["sha256"] == doc.sha256
    assert ev.details["number"] == doc.number


def test_each_decision_issues_its_document_and_numbers_run_per_office(world, factory):
    first, _a = _submitted(factory, 1)
    second, _b = _submitted(factory, 2)
    nanhu, _c = _submitted(factory, 3, district="330402")
    cases.act(world["county"], first.id, "accept")
    cases.act(
        world["county"],
        second.id,
        "decline",
        ActionInput(reason="不属于本区受理范围", articles=["四(一)"]),
    )
    cases.act(world["nanhu"], nanhu.id, "accept")
    cases.act(
        world["county"],
        first.id,
        "county_reject",
        ActionInput(reason="带动就业人数不足", articles=["四(一)"]),
    )
    kinds = [(d.kind, d.number) for d in _docs(first.id)]
    assert kinds == [("receipt", "秀众创〔2021〕1号"), ("rejection", "秀众创〔2021〕3号")]
    assert [(d.kind, d.number) for d in _docs(second.id)] == [("decline", "秀众创〔2021〕2号")]
    assert [d.number for d in _docs(nanhu.id)] == ["南众创〔2021〕1号"]
    seq = db.session.execute(
        sa.select(DocumentSequence.last)
        .join(Issuer, Issuer.id == DocumentSequence.issuer_id)
        .where(Issuer.code == f"county-{XIUZHOU}", DocumentSequence.year == 2021)
    ).scalar_one()
    assert seq == 3


def test_documents_are_visible_to_whoever_may_see_the_case_and_404_to_others(
    client, world, factory
):
    case, applicant = _submitted(factory)
    cases.act(world["county"], case.id, "accept")
    (doc,) = _docs(case.id)
    other = factory.person(name="王五")
    for user, status in ((applicant, 200), (world["county"], 200), (world["city"], 200)):
        headers = api_token(client, user.username)
        url = f"{API}/applications/{case.id}/documents/{doc.id}"
        assert client.get(url, headers=headers).status_code == status
    headers = api_token(client, other.username)
    assert client.get(f"{API}/applications/{case.id}/documents", headers=headers).status_code == 404
    url = f"{API}/applications/{case.id}/documents/{doc.id}"
    assert client.get(url, headers=headers).status_code == 404
    headers = api_token(client, world["nanhu"].username)  # another district
    assert client.get(url, headers=headers).status_code == 404

    login_as(client, applicant)
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "受理通知书" in page
    assert "秀众创〔2021〕1号" in page
    page_pdf = client.get(f"/applications/{case.id}/documents/{doc.id}.pdf")
    assert page_pdf.status_code == 200
    login_as(client, other)
    assert client.get(f"/applications/{case.id}/documents/{doc.id}.pdf").status_code == 404


def _verify(client, data: bytes, name: str = "文书.pdf"):
    return client.post(
        f"{API}/documents/verify",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_verification_says_valid_for_the_file_and_invalid_for_one_byte_changed(
    client, world, factory
):
    case, _applicant = _submitted(factory)
    cases.act(world["county"], case.id, "accept")
    (doc,) = _docs(case.id)
    data = db.session.execute(sa.select(Document.pdf).where(Document.id == doc.id)).scalar_one()
    ok = _verify(client, data).get_json()
    assert ok["valid"] is True
    assert ok["number"] == doc.number
    assert ok["kind"] == "receipt"
    assert ok["issuer"] == doc.issuer_name
    assert ok["application_number"] == case.number
    assert ok["issued_on"] == "2021-03-15"

    changed = bytearray(data)
    middle = len(changed) // 3
    changed[middle] = (changed[middle] + 1) % 256
    bad = _verify(client, bytes(changed))
    assert bad.status_code == 200
    assert bad.get_json()["valid"] is False
    assert _verify(client, b"not a pdf at all", "x.txt").status_code == 415


def test_a_pdf_signed_by_another_key_is_not_valid(client, world, factory, tmp_path):
    from fpdf import FPDF

    from zhongchuang.documents import signing

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Forged decision")
    other_ca = signing.demo_signer(tmp_path, "city", "嘉兴市众创空间政策主管部门")  # same name
    forged = signing.sign_with(other_ca, bytes(pdf.output()), reason="伪造")
    answer = _verify(client, forged).get_json()
    assert answer["valid"] is False
    assert answer["number"] is None


def test_the_public_verification_page_shows_the_document_without_personal_data(
    client, world, factory
):
    case, _applicant = _submitted(factory)
    cases.act(world["county"], case.id, "accept")
    (doc,) = _docs(case.id)
    html = client.get(f"/verify/{doc.sha256}").get_data(as_text=True)
    assert doc.number in html
    assert case.number in html
    assert "陈*红" in html  # a person's name masked
    assert "陈小红" not in html
    by_qr = client.get(f"/verify/d/{doc.verify_token}")
    assert by_qr.status_code == 200
    assert doc.number in by_qr.get_data(as_text=True)
    assert client.get("/verify/" + "0" * 64).status_code == 404
    assert client.get("/verify/d/nothing-here").status_code == 404

    data = db.session.execute(sa.select(Document.pdf).where(Document.id == doc.id)).scalar_one()
    resp = form_post(
        client,
        "/verify",
        {"file": (io.BytesIO(data), "受理通知书.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    assert "有效" in resp.get_data(as_text=True)
    empty = form_post(client, "/verify", {})
    assert empty.status_code == 422
    assert "请选择要核验的 PDF 文件" in empty.get_data(as_text=True)


def test_an_admin_corrects_an_office_audited_and_only_later_documents_change(
    client, world, factory
):
    first, _a = _submitted(factory, 1)
    cases.act(world["county"], first.id, "accept")
    issuer = db.session.execute(
        sa.select(Issuer).where(Issuer.code == f"county-{XIUZHOU}")
    ).scalar_one()
    login_as(client, world["admin"])
    listing = client.get("/admin/issuers").get_data(as_text=True)
    assert "嘉兴市秀洲区众创空间政策主管部门" in listing
    assert "未经证实" in listing
    taken = form_post(
        client,
        f"/admin/issuers/{issuer.id}",
        {
            "name": "嘉兴市秀洲区科学技术局",
            "short_name": "南众创",  # 南湖区's
            "reconsideration_body": "嘉兴市秀洲区人民政府",
            "litigation_court": "有管辖权的人民法院",
        },
    )
    assert taken.status_code == 422
    assert "该机关代字已由其他发文机关使用" in taken.get_data(as_text=True)
    resp = form_post(
        client,
        f"/admin/issuers/{issuer.id}",
        {
            "name": "嘉兴市秀洲区科学技术局",
            "short_name": "秀科",
            "reconsideration_body": "嘉兴市秀洲区人民政府",
            "litigation_court": "嘉兴市秀洲区人民法院",
        },
    )
    assert resp.status_code == 302
    ev = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "admin.issuer_update")
    ).scalar_one()
    assert ev.details["changes"]["short_name"] == {"from": "秀众创", "to": "秀科"}
    second, _b = _submitted(factory, 2)
    cases.act(world["county"], second.id, "accept")
    assert _docs(first.id)[0].number == "秀众创〔2021〕1号"  # issued: never changes
    assert _docs(second.id)[0].number == "秀科〔2021〕2号"
    assert _docs(second.id)[0].issuer_name == "嘉兴市秀洲区科学技术局"


def test_concurrent_decisions_take_unique_gapless_numbers(app, factory, world, backend):
    if backend != "postgresql":
        pytest.skip("row-lock concurrency is proved on PostgreSQL")
    ids = [_submitted(factory, n)[0].id for n in range(8)]
    reviewers = [
        factory.staff("county_reviewer", district=XIUZHOU, username=f"xz{i}").id for i in range(8)
    ]
    db.session.remove()
    barrier = threading.Barrier(len(ids))
    results: list[str] = []

    def accept(case_id: int, reviewer_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                cases.act(db.session.get(User, reviewer_id), case_id, "accept")
                results.append("ok")
            except DomainError as exc:
                results.append(exc.code)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=accept, args=pair) for pair in zip(ids, reviewers, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("ok") == 8, results
    serials = sorted(
        db.session.execute(sa.select(Document.serial).where(Document.kind == "receipt")).scalars()
    )
    assert serials == list(range(1, 9))


def test_issuers_load_is_idempotent(app, world):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["issuers", "load"])
    assert first.exit_code == 0, first.output
    count = db.session.execute(sa.select(sa.func.count()).select_from(Issuer)).scalar_one()
    assert count == 8  # the city and seven counties
    again = runner.invoke(args=["issuers", "load"])
    assert "issuers added: 0" in again.output
    assert issuers.ensure_defaults() == 0


def test_a_reissue_takes_a_new_number_and_supersedes_the_old_document(client, world, factory):
    case, applicant = _submitted(factory)
    cases.act(world["county"], case.id, "accept")
    (old,) = _docs(case.id)
    url = f"{API}/applications/{case.id}/documents/{old.id}/reissue"
    refused = client.post(
        url, json={"reason": "更正"}, headers=api_token(client, applicant.username)
    )
    assert refused.status_code == 403
    city = api_token(client, world["city"].username)
    assert client.post(url, json={"reason": "  "}, headers=city).status_code == 422
    resp = client.post(url, json={"reason": "发文机关名称更正"}, headers=city)
    assert resp.status_code == 201, resp.get_json()
    new = resp.get_json()
    assert new["number"] == "秀众创〔2021〕2号"
    assert new["kind"] == "receipt"
    listed = client.get(f"{API}/applications/{case.id}/documents", headers=city).get_json()
    assert [(d["number"], d["status"]) for d in listed] == [
        ("秀众创〔2021〕1号", "superseded"),
        ("秀众创〔2021〕2号", "valid"),
    ]
    again = client.post(url, json={"reason": "再次"}, headers=city)
    assert again.status_code == 409
    data = db.session.execute(sa.select(Document.pdf).where(Document.id == old.id)).scalar_one()
    answer = _verify(client, data).get_json()
    assert answer["valid"] is True  # genuine and unchanged, but replaced:
    assert answer["status"] == "superseded"
    ev = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "document.supersede")
    ).scalar_one()
    assert ev.reason == "发文机关名称更正"


def test_the_city_reissues_from_the_case_page(client, world, factory):
    case, applicant = _submitted(factory)
    cases.act(world["county"], case.id, "accept")
    (old,) = _docs(case.id)
    login_as(client, applicant)
    assert "重新签发" not in client.get(f"/applications/{case.id}").get_data(as_text=True)
    login_as(client, world["city"])
    page = f"/applications/{case.id}"
    assert "重新签发" in client.get(page).get_data(as_text=True)
    url = f"/applications/{case.id}/documents/{old.id}/reissue"
    empty = form_post(client, url, {"reason": ""}, page=page)
    assert empty.status_code == 302
    assert len(_docs(case.id)) == 1  # nothing issued without a reason
    resp = form_post(client, url, {"reason": "申请人名称更正"}, page=page)
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已重新签发：秀众创〔2021〕2号" in html
    assert "已被取代" in html
    assert [d.status for d in _docs(case.id)] == ["superseded", "valid"]


def test_the_letter_pdf_of_a_decision_is_its_signed_document(client, world, factory):
    case, applicant = _submitted(factory)
    cases.act(
        world["county"], case.id, "decline", ActionInput(reason="不属本区", articles=["四(一)"])
    )
    (doc,) = _docs(case.id)
    login_as(client, applicant)
    pdf = client.get(f"/applications/{case.id}/letters/{doc.event_id}.pdf")
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.data).hexdigest() == doc.sha256  # not a fresh, unsigned draw
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert page.count('aria-labelledby="h-letters"') == 0  # listed once, as the document


def test_the_verification_page_masks_an_organisation_too(client, world, factory):
    from tests.integration.reviewer_support import recognition_case

    case = recognition_case(factory, world["nanhu"])
    receipt = next(d for d in _docs(case.id) if d.kind == "receipt")
    html = client.get(f"/verify/{receipt.sha256}").get_data(as_text=True)
    assert case.applicant_name not in html
    assert case.applicant_name[0] + "*" in html
