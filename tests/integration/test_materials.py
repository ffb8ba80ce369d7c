"""申报材料 as an applicant meets them: the program page and its 材料清单 (printable and PDF)
say which materials are required, and where an unconfirmed parameter decides it; the API
says the same; a submission lacking several is refused once, naming them all; and an
administrator who sets the parameter to 0 makes the material optional without code."""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import CATALOGUE, clean_tables, form_post, login_as
from tests.helpers import MINIMAL_PDF, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.extensions import db
from zhongchuang.models import Application
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"
CODE = "graduate_loan_interest"
BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区
LOAN = {
    "school": "嘉兴学院",
    "graduation_date": "2019-06-30",
    "business_credit_code": BUSINESS,
    "bank": "嘉兴银行",
    "loan_amount": "100000.00",
    "loan_start": "2020-01-10",
    "loan_end": "2022-01-09",
    "interest_paid": "4000.00",
    "interest_period_start": "2020-02",
    "interest_period_end": "2021-01",
}
LOAN_CONTRACT_FLAG = re.compile(
    r"(- name: require_loan_contract\n(?:[ ]+\w+: .*\n)*?[ ]+value: )1\b"
)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def restore_catalogue(app):
    yield
    from zhongchuang.catalogue.loading import load_catalogue_file

    clean_tables(keep_catalogue=False)
    load_catalogue_file(str(CATALOGUE), by=None)


def _materials_block(html: str) -> str:
    start = html.index('id="materials"')
    return html[start : html.index("</ul>", start)]


def test_the_program_page_marks_required_materials_and_the_unconfirmed_parameter(client):
    block = _materials_block(_text(client.get(f"/programs/{CODE}")))
    contract = block[block.index("借款合同") : block.index("银行付息凭证")]
    assert "必需" in contract
    assert "参数未经确认" in contract
    assert "require_loan_contract" in contract  # what decides it, in the tooltip
    html = _text(client.get(f"/programs/{CODE}"))
    assert f"/programs/{CODE}/materials.pdf" in html
    assert f"/programs/{CODE}/materials" in html


def test_the_printable_checklist_and_its_pdf_list_every_material(client):
    page = client.get(f"/programs/{CODE}/materials")
    assert page.status_code == 200
    html = _text(page)
    assert "申报材料" in html
    assert "借款合同" in html
    assert "银行付息凭证" in html
    assert "参数未经确认" in html
    assert "贷款金额（元）" in html  # the fields to fill are on the list too
    pdf = client.get(f"/programs/{CODE}/materials.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert client.get("/programs/nothing/materials").status_code == 404
    assert client.get("/programs/nothing/materials.pdf").status_code == 404


def test_the_api_says_which_materials_are_required_and_what_decides(client):
    prog = client.get(f"{API}/programs/{CODE}").get_json()
    by_kind = {a["kind"]: a for a in prog["attachments"]}
    assert by_kind["loan_contract"]["required"] is True
    assert by_kind["loan_contract"]["required_by"] == "require_loan_contract"
    assert by_kind["loan_contract"]["confirmed"] is False
    assert by_kind["interest_statement"]["required"] is True
    recognition = client.get(f"{API}/programs/makerspace_recognition").get_json()
    assert any(a["required_by"] == "catalogue" for a in recognition["attachments"])


def _draft(factory):
    open_batch(factory, CODE)
    person = factory.person()
    return person, cases.create_draft(person, CODE, LOAN)


def test_a_submission_missing_materials_is_refused_once_naming_every_one(
    app, client, factory, auth_headers
):
    person, case = _draft(factory)
    headers = auth_headers(client, person.username)
    resp = client.post(f"{API}/applications/{case.id}/actions/submit", json={}, headers=headers)
    assert resp.status_code == 422
    body = resp.get_json()
    text = str(body)
    for label in ("借款合同", "银行付息凭证", "毕业证书"):
        assert label in text, label
    assert body["code"] == "guard_failed"
    assert {"loan_contract", "interest_statement", "graduation_certificate"} <= set(body["errors"])
    db.session.expire_all()
    assert db.session.get(Application, case.id).state == "draft"

    login_as(client, person)
    html = _text(client.get(f"/applications/{case.id}"))
    assert "借款合同" in html


def _upload(client, case_id: int, kind: str):
    html = _text(client.get(f"/applications/{case_id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(
        f"/applications/{case_id}/attachments",
        data={"csrf_token": token, "kind": kind, "file": (io.BytesIO(MINIMAL_PDF), "a.pdf")},
        content_type="multipart/form-data",
    )


def test_a_flag_set_to_zero_by_the_admin_makes_the_material_optional(
    app, client, factory, restore_catalogue
):
    admin = factory.staff("admin", username="root")
    login_as(client, admin)
    text = CATALOGUE.read_text(encoding="utf-8")
    changed, n = LOAN_CONTRACT_FLAG.subn(r"\g<1>0", text)
    assert n == 1
    html = _text(
        form_post(
            client,
            "/admin/catalogue",
            {"file": (io.BytesIO(changed.encode()), "optional-contract.yaml")},
            page="/admin/catalogue",
            content_type="multipart/form-data",
        )
    )
    fields = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)
        for name in ("content", "filename", "sha256")
    }
    resp = form_post(client, "/admin/catalogue/load", fields, page="/admin/catalogue")
    assert resp.status_code == 302
    client.get("/logout")

    prog = client.get(f"{API}/programs/{CODE}").get_json()
    by_kind = {a["kind"]: a for a in prog["attachments"]}
    assert by_kind["loan_contract"]["required"] is False
    assert by_kind["interest_statement"]["required"] is True
    block = _materials_block(_text(client.get(f"/programs/{CODE}")))
    contract = block[block.index("借款合同") : block.index("银行付息凭证")]
    assert "可选" in contract

    # Submitted without the contract, with the others: accepted.
    person, case = _draft(factory)
    login_as(client, person)
    for kind in ("interest_statement", "graduation_certificate"):
        assert _upload(client, case.id, kind).status_code == 302
    submitted = cases.act(person, case.id, "submit")
    assert submitted.state == "submitted"
