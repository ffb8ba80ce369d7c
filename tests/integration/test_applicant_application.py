"""A new application through the pages: the form, its field errors, the explanation before
submission, refused submissions, a return answered, a withdrawal, and the timeline."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from tests.conftest import csrf_from, form_post, login_as
from tests.helpers import MINIMAL_PDF, attach_for_submit, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.extensions import db
from zhongchuang.models import Application, Attachment
from zhongchuang.policy.identity import make_credit_code

BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区
GRANT = {"business_credit_code": BUSINESS, "year": "2020", "employees_insured": "5"}
INSURANCE = {
    "school": "嘉兴学院",
    "graduation_date": "2020-06-30",
    "business_credit_code": BUSINESS,
    "business_registered_on": "2020-09-01",
    "insured_from": "2020-01",
    "insured_months": "14",
}


def _case(case_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, case_id)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _upload(client, case_id: int, kind: str, data: bytes = MINIMAL_PDF, name: str = "a.pdf"):
    html = _text(client.get(f"/applications/{case_id}"))
    return client.post(
        f"/applications/{case_id}/attachments",
        data={"csrf_token": csrf_from(html), "kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _act(client, case_id: int, action: str, data: dict | None = None):
    fields = {f"{action}-{k}": v for k, v in (data or {}).items()}
    return form_post(
        client, f"/applications/{case_id}/actions/{action}", fields, page=f"/applications/{case_id}"
    )


def test_an_invalid_value_is_explained_next_to_its_field_and_nothing_is_lost(client, factory):
    open_batch(factory, "employment_driving_grant")
    login_as(client, factory.person())
    bad = {"business_credit_code": "91350100M000100Y4Z", "year": "2020", "employees_insured": "三"}

    resp = form_post(client, "/apply/employment_driving_grant", {**bad, "do": "save"})

    assert resp.status_code == 422
    html = _text(resp)
    code_field = re.search(
        r'<div class="field has-error">\s*<label for="business_credit_code".*?</div>', html, re.S
    )
    assert code_field, "the error sits with its field"
    assert 'id="business_credit_code-error"' in code_field.group(0)
    assert "企业统一社会信用代码" in code_field.group(0)
    assert 'id="employees_insured-error"' in html
    assert 'value="91350100M000100Y4Z"' in html
    assert 'value="三"' in html
    assert 'value="2020"' in html
    assert db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one() == 0


def test_a_draft_is_saved_incomplete_then_completed(client, factory):
    open_batch(factory, "employment_driving_grant")
    login_as(client, factory.person())

    resp = form_post(client, "/apply/employment_driving_grant", {"year": "2020", "do": "save"})
    assert resp.status_code == 302
    case = db.session.execute(sa.select(Application)).scalar_one()
    assert case.state == "draft"
    assert case.data == {"year": 2020}
    page = _text(client.get(f"/applications/{case.id}"))
    assert "不符合条件" in page or "尚未" in page

    edit = f"/applications/{case.id}/edit"
    form = _text(client.get(edit))
    assert 'value="2020"' in form
    resp = form_post(
        client, edit, {**GRANT, "year": "", "do": "save", "version": str(case.version)}
    )
    assert resp.status_code == 302
    assert _case(case.id).data == {"business_credit_code": BUSINESS, "employees_insured": 5}


def test_the_explanation_and_amount_are_shown_before_submission(client, factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    login_as(client, person)
    # Before saving: the estimate without saving.
    resp = form_post(client, "/apply/employment_driving_grant", {**GRANT, "do": "check"})
    assert resp.status_code == 200
    assert "4,000.00" in _text(resp)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one() == 0

    resp = form_post(client, "/apply/employment_driving_grant", {**GRANT, "do": "save"})
    case_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    attach_for_submit(case_id, person)
    page = _text(client.get(f"/applications/{case_id}"))
    elig = page[page.index('id="eligibility"') : page.index('id="actions"')]
    assert "符合条件" in elig
    assert "4,000.00" in elig
    assert "#art-" in elig  # each rule links to its article
    actions = page[page.index('id="actions"') :]
    assert f"/applications/{case_id}/actions/submit" in actions
    assert f"/applications/{case_id}/actions/withdraw" not in actions  # not from a draft


def test_an_ineligible_submission_is_refused_with_the_rule_that_failed(client, factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    case = cases.create_draft(person, "employment_driving_grant", {**GRANT, "employees_insured": 2})
    login_as(client, person)

    page = _text(client.get(f"/applications/{case.id}"))
    blockers = page[page.index('class="submit-blockers"') :]
    assert "不足3人" in blockers  # said before trying
    resp = _act(client, case.id, "submit", {"version": case.version})

    assert resp.status_code == 422
    html = _text(resp)
    assert 'role="alert"' in html
    assert "不符合申报条件" in html
    assert "不足3人" in html
    assert _case(case.id).state == "draft"


def test_submission_without_a_required_attachment_is_refused(client, factory):
    open_batch(factory, "graduate_self_employed_insurance")
    person = factory.person()
    case = cases.create_draft(person, "graduate_self_employed_insurance", INSURANCE)
    login_as(client, person)

    resp = _act(client, case.id, "submit")
    assert resp.status_code == 422
    assert "尚缺必需的附件：社会保险缴费记录" in _text(resp)
    assert _case(case.id).state == "draft"

    assert _upload(client, case.id, "insurance_record").status_code == 302
    attach_for_submit(case, person)  # the program's other required materials
    resp = _act(client, case.id, "submit")
    assert resp.status_code == 302
    assert _case(case.id).state == "submitted"
    assert "申报已提交" in _text(client.get(resp.headers["Location"]))


def test_a_return_is_answered_by_editing_replacing_a_file_and_resubmitting(client, factory):
    open_batch(factory, "graduate_self_employed_insurance")
    person = factory.person()
    county = factory.staff("county_reviewer", district="330411")
    case = cases.create_draft(
        person, "graduate_self_employed_insurance", {**INSURANCE, "insured_months": "13"}
    )
    login_as(client, person)
    _upload(client, case.id, "insurance_record", name="旧的缴费记录.pdf")
    attach_for_submit(case, person)  # the program's other required materials
    assert _act(client, case.id, "submit").status_code == 302

    login_as(client, county)
    staff_page = _text(client.get(f"/applications/{case.id}"))
    assert 'name="return-articles"' in staff_page
    assert "checked" in staff_page
    assert 'name="return-reason"' in staff_page
    resp = _act(
        client,
        case.id,
        "return",
        {
            "reason": "缴费记录不清晰，请补充社保机构盖章的缴费记录。",
            "articles": "四(一)",
            "item-insurance_record": "缴费记录缺少社保机构盖章",
        },
    )
    assert resp.status_code == 302
    assert _case(case.id).state == "returned"

    login_as(client, person)
    page = _text(client.get(f"/applications/{case.id}"))
    note = page[page.index('class="card returned-note"') :]
    assert "缴费记录不清晰" in note
    assert "四(一)" in note
    assert "补正材料通知书" in page  # the return letter
    # Edit, replace the file, resubmit.
    edit = f"/applications/{case.id}/edit"
    resp = form_post(client, edit, {**INSURANCE, "insured_months": "15", "do": "save"})
    assert resp.status_code == 302
    assert _upload(client, case.id, "insurance_record", name="盖章缴费记录.pdf").status_code == 302
    rows = db.session.execute(
        sa.select(Attachment.filename, Attachment.current)
        .where(Attachment.kind == "insurance_record")
        .order_by(Attachment.id)
    ).all()
    assert [tuple(r) for r in rows] == [("旧的缴费记录.pdf", False), ("盖章缴费记录.pdf", True)]
    assert _act(client, case.id, "submit").status_code == 302
    assert _case(case.id).state == "submitted"
    assert _case(case.id).data["insured_months"] == 15
    timeline = _text(client.get(f"/applications/{case.id}"))
    timeline = timeline[timeline.index('class="timeline case-timeline"') :]
    assert timeline.count("提交申报") == 2
    assert "退回补正" in timeline
    assert county.username not in timeline  # staff names are not shown to the applicant
    assert "县（市、区）审核部门" in timeline


def test_a_reason_is_asked_for_next_to_its_field(client, factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    login_as(client, factory.staff("county_reviewer", district="330411"))

    resp = _act(client, case.id, "return", {"reason": "  "})

    assert resp.status_code == 422
    html = _text(resp)
    assert 'id="return-reason-error"' in html
    assert _case(case.id).state == "submitted"


def test_the_applicant_withdraws(client, factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    login_as(client, person)
    page = _text(client.get(f"/applications/{case.id}"))
    assert f"/applications/{case.id}/actions/withdraw" in page
    assert f"/applications/{case.id}/edit" not in page  # submitted: no more edits

    resp = _act(client, case.id, "withdraw")

    assert resp.status_code == 302
    assert _case(case.id).state == "withdrawn"
    page = _text(client.get(f"/applications/{case.id}"))
    assert "已撤回" in page
    assert "/actions/" not in page


def test_a_stale_page_is_a_conflict_and_a_post_without_csrf_changes_nothing(client, factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    login_as(client, person)
    resp = client.post(f"/applications/{case.id}/actions/submit", data={})
    assert resp.status_code == 400
    assert _case(case.id).state == "draft"
    resp = _act(client, case.id, "submit", {"version": case.version + 5})
    assert resp.status_code == 409
    assert "已被他人更新" in _text(resp)
    assert _case(case.id).state == "draft"


def test_another_applicant_sees_nothing(client, factory):
    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    login_as(client, factory.person(name="赵六"))
    for url in (
        f"/applications/{case.id}",
        f"/applications/{case.id}/edit",
        f"/applications/{case.id}/summary",
    ):
        assert client.get(url).status_code == 404
    resp = form_post(client, f"/applications/{case.id}/actions/submit", {}, page="/logout")
    assert resp.status_code == 404
    assert _case(case.id).state == "draft"


def test_objections_and_expert_work_stay_hidden_from_the_applicant(client, factory, clock):
    from decimal import Decimal

    from zhongchuang.notices import operations as notices

    open_batch(factory, "employment_driving_grant")
    person = factory.person()
    county = factory.staff("county_reviewer", district="330411")
    city = factory.staff("city_reviewer")
    case = cases.create_draft(person, "employment_driving_grant", GRANT)
    attach_for_submit(case, person)
    cases.act(person, case.id, "submit")
    cases.act(county, case.id, "accept")
    cases.act(county, case.id, "county_approve")
    cases.act(city, case.id, "city_approve", cases.ActionInput(amount=Decimal("4000.00")))
    login_as(client, city)
    before = _text(client.get(f"/applications/{case.id}"))
    assert "/actions/publish" not in before  # a notice is published with its period
    assert "去发布公示" in before
    notice = notices.publish_notice(city, [case.id], 5).notice
    notices.lodge_objection(
        notice.id, case.id, "王举报", "13900000000", "该企业在公示期间未实际经营，也没有员工。"
    )

    login_as(client, person)
    page = _text(client.get(f"/applications/{case.id}"))
    assert "公示中" in page
    assert "王举报" not in page
    assert "13900000000" not in page
    assert "异议" not in page[page.index('class="timeline case-timeline"') :]
    login_as(client, city)
    staff = _text(client.get(f"/applications/{case.id}"))
    assert "收到公示异议" in staff


def test_a_roster_claim_links_to_its_roster(client, factory):
    open_batch(factory, "graduate_social_insurance")
    enterprise = factory.organization(kind="enterprise", size="small")
    case = cases.create_draft(enterprise, "graduate_social_insurance", {})
    login_as(client, enterprise)
    page = _text(client.get(f"/applications/{case.id}"))
    assert f'href="/applications/{case.id}/roster"' in page
    assert "花名册" in page
