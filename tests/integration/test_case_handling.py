"""Case handling as a government service (issue 19, items 1–3): a recognition ends
已认定 with its certificate and never touches money; a second recognition is refused per
space; 不予受理; 退回补正 with every item at once and its 补正期限, lapsing by the
program's parameter; 审核意见 on every decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login_as
from tests.helpers import attach_required, open_batch
from tests.integration.reviewer_support import RECOGNITION_DATA
from zhongchuang.cases import eligibility
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.errors import DomainError, NotFound
from zhongchuang.extensions import db
from zhongchuang.models import Application, Batch, BenefitClaim, MakerSpace, Notification
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.review.experts import assign_experts

API = "/api/v1"
BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区


def space_data(name: str = "南湖创客汇", address: str = "南湖区某路1号") -> dict:
    return {**RECOGNITION_DATA, "space_name": name, "address": address}


def full_scores(case: Application) -> dict[str, int]:
    """Every criterion of the program at most its maximum (the expert's own form)."""
    spec = eligibility.program_spec(case.program)
    return {c.code: c.max - 1 for c in spec.expert_criteria}


@pytest.fixture
def office(app, factory):
    return {
        "county": factory.staff("county_reviewer", district="330402", username="nanhu"),
        "xiuzhou": factory.staff("county_reviewer", district="330411", username="xiuzhou"),
        "city": factory.staff("city_reviewer", username="city"),
        "finance": factory.staff("finance", username="fin"),
        "experts": [factory.staff("expert", username=f"expert{i}") for i in range(3)],
    }


def _recognise(office, operator, data: dict, clock) -> Application:
    case = cases.create_draft(operator, "makerspace_recognition", data)
    attach_required(case, operator)
    case = cases.act(operator, case.id, "submit")
    assert case.eligible, case.explanation
    cases.act(office["county"], case.id, "accept")
    cases.act(office["county"], case.id, "county_approve")
    assign_experts(office["city"], case.id, [e.id for e in office["experts"]])
    for expert in office["experts"]:
        scores = full_scores(case)
        cases.act(
            expert,
            case.id,
            "expert_score",
            ActionInput(scores=scores, opinion="场地与服务达到认定条件。"),
        )
    cases.act(office["city"], case.id, "expert_conclude")
    cases.act(office["city"], case.id, "city_approve", ActionInput(opinion="同意认定。"))
    notices.publish_notice(office["city"], [case.id], 5)
    clock.set_today(date(2021, 3, 25))
    notices.close_due_notices()
    return db.session.get(Application, case.id)


def test_a_recognition_ends_recognised_with_a_certificate_and_never_touches_money(
    app, client, factory, office, clock
):
    batch = open_batch(factory, "makerspace_recognition", budget="0.00")
    operator = factory.operator(district="330402", username="operator1")
    case = _recognise(office, operator, space_data(), clock)

    assert case.workflow_id == "recognition-v1"
    assert case.state == "approved"
    assert case.approved_amount is None
    assert case.due_on is None  # 办结: no time limit runs any more
    assert db.session.get(Batch, batch.id).reserved == Decimal("0.00")
    space = db.session.execute(sa.select(MakerSpace)).scalar_one()
    assert space.address == "南湖区某路1号"
    assert space.certificate_number == "2021-0001"

    # Nobody can disburse it: finance never reaches it, the workflow has no such step.
    with pytest.raises(NotFound):
        cases.act(office["finance"], case.id, "disburse", ActionInput(payment_reference="X-1"))
    with pytest.raises(DomainError):  # the city reviewer: not theirs, nor anyone's
        cases.act(office["city"], case.id, "disburse", ActionInput(payment_reference="X-1"))

    # Finance never sees it; the API says what it is.
    fin = api_token(client, "fin")
    listed = client.get(f"{API}/applications", headers=fin).get_json()["items"]
    assert case.id not in [c["id"] for c in listed]
    assert client.get(f"{API}/applications/{case.id}", headers=fin).status_code == 404
    mine = api_token(client, "operator1")
    body = client.get(f"{API}/applications/{case.id}", headers=mine).get_json()
    assert body["outcome"] == "recognition"
    assert body["state_label"] == "已认定"
    assert body["approved_amount"] is None
    spaces = client.get(f"{API}/maker-spaces").get_json()
    assert spaces[0]["certificate_number"] == "2021-0001"
    program = client.get(f"{API}/programs/makerspace_recognition").get_json()
    assert program["outcome"] == "recognition"
    assert "disbursed" not in [s["state"] for s in program["workflow"]["states"]]

    # The operator reads 已认定, never 等待拨付; the letter is a 认定决定书.
    login_as(client, operator)
    home = client.get("/me").get_data(as_text=True)
    assert "已认定" in home
    assert "等待拨付" not in home
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "已认定" in page
    assert "办理时限至" not in page
    assert "核定金额" not in page
    login_as(client, office["city"])
    exports = client.get("/review/exports.xlsx")
    if exports.status_code == 200:  # the payout list carries no recognition
        assert case.number.encode() not in exports.data


def test_the_letter_of_a_recognition_names_the_certificate(app, client, factory, office, clock):
    open_batch(factory, "makerspace_recognition", budget="0.00")
    operator = factory.operator(district="330402")
    case = _recognise(office, operator, space_data(), clock)
    login_as(client, operator)
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "众创空间认定决定书" in page
    import re

    link = re.search(rf'href="(/applications/{case.id}/letters/\d+)"', page)
    assert link, "no letter link on the case page"
    letter = client.get(link.group(1)).get_data(as_text=True)
    assert "认定证书编号" in letter
    assert "2021-0001" in letter
    assert "核定扶持金额" not in letter


def test_one_operator_may_have_several_spaces_but_each_is_recognised_once(
    app, client, factory, office, clock
):
    open_batch(factory, "makerspace_recognition", budget="0.00")
    operator = factory.operator(district="330402", username="operator1")
    _recognise(office, operator, space_data(), clock)

    # A different space of the same operator: eligible, and it submits.
    other = cases.create_draft(operator, "makerspace_recognition", space_data("南湖创客二号"))
    attach_required(other, operator)
    assert cases.act(operator, other.id, "submit").state == "submitted"

    # The same space again (typed with other spaces): refused per space, at submit.
    token = api_token(client, "operator1")
    again = space_data(" 南湖创客汇 ", "南湖区 某路1号")
    check = client.post(
        f"{API}/programs/makerspace_recognition/eligibility", json={"data": again}, headers=token
    ).get_json()
    assert check["eligible"] is False
    failed = [line["rule"] for line in check["explanation"] if not line["passed"]]
    assert failed == ["space_once"]
    draft = cases.create_draft(operator, "makerspace_recognition", again)
    attach_required(draft, operator)
    resp = client.post(f"{API}/applications/{draft.id}/actions/submit", json={}, headers=token)
    assert resp.status_code == 422
    assert resp.get_json()["code"] == "duplicate_benefit"
    # Another operator's pending case for the same space counts too.
    rival = factory.operator(district="330402")
    pending = cases.create_draft(rival, "makerspace_recognition", space_data("南湖创客二号"))
    attach_required(pending, rival)
    with pytest.raises(DomainError) as refused:
        cases.act(rival, pending.id, "submit")
    assert refused.value.code == "duplicate_benefit"


def test_the_self_check_says_no_after_the_repeal_as_submission_does(app, client):
    resp = client.post(
        f"{API}/programs/makerspace_recognition/eligibility",
        json={"data": space_data(), "as_of": "2022-01-10"},
    )
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["eligible"] is False
    first = body["explanation"][0]
    assert first["rule"] == "policy_in_force"
    assert "已废止" in first["message"]
    page = client.get("/programs/makerspace_recognition?as_of=2022-01-10")
    assert page.status_code == 200


# --- 不予受理 ------------------------------------------------------------------------------


def _submitted(factory, applicant=None) -> tuple[Application, object]:
    open_batch(factory, "employment_driving_grant")
    applicant = applicant or factory.person(name="陈小红")
    data = {"business_credit_code": BUSINESS, "year": 2020, "employees_insured": 5}
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    attach_required(case, applicant)
    return cases.act(applicant, case.id, "submit"), applicant


def test_decline_ends_the_case_with_a_decision_and_frees_the_benefit(app, client, factory, office):
    case, applicant = _submitted(factory)
    county = office["xiuzhou"]
    token = api_token(client, "xiuzhou")
    url = f"{API}/applications/{case.id}/actions/decline"
    refused = client.post(url, json={"reason": "不属于本地受理范围"}, headers=token)
    assert refused.status_code == 422  # no article cited
    assert db.session.get(Application, case.id).state == "submitted"

    resp = client.post(
        url,
        json={
            "reason": "申请事项不属于本部门受理范围",
            "articles": ["四(一)"],
            "opinion": "建议向注册地审核部门申报。",
        },
        headers=token,
    )
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["state"] == "declined"
    assert body["state_label"] == "不予受理"
    step = body["history"][-1]
    assert step["action"] == "decline"
    assert step["opinion"] == "建议向注册地审核部门申报。"
    claims = db.session.execute(
        sa.select(BenefitClaim).where(BenefitClaim.application_id == case.id)
    ).scalars()
    assert not any(c.active for c in claims)
    told = db.session.execute(
        sa.select(Notification).where(Notification.application_id == case.id)
    ).scalars()
    assert any(n.kind == "decline" for n in told)
    # Declined is an end: nothing more can be done, by anyone.
    assert body["allowed_actions"] == []
    login_as(client, applicant)
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "不予受理决定书" in page
    assert "建议向注册地审核部门申报。" in page
    assert county is not None


# --- 退回补正: 一次性告知 ---------------------------------------------------------------------


def test_a_return_lists_every_item_with_a_deadline_and_resubmission_clears_it(
    app, client, factory, office
):
    case, applicant = _submitted(factory)
    token = api_token(client, "xiuzhou")
    url = f"{API}/applications/{case.id}/actions/return"
    base = {"reason": "材料不全", "articles": ["四(一)"]}

    none = client.post(url, json=base, headers=token)
    assert none.status_code == 422
    unknown = client.post(
        url, json={**base, "items": [{"target": "no_such_thing", "message": "?"}]}, headers=token
    )
    assert unknown.status_code == 422
    assert "items" in unknown.get_json().get("errors", {})
    assert db.session.get(Application, case.id).state == "submitted"

    items = [
        {"target": "employees_insured", "message": "参保人数与社保清单不一致"},
        {"target": "year", "message": "请填写申报的年度"},
        {"target": "business_credit_code", "message": "信用代码与营业执照不符"},
    ]
    resp = client.post(url, json={**base, "items": items, "opinion": "请一次补齐。"}, headers=token)
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["state"] == "returned"
    assert [i["target"] for i in body["correction"]["items"]] == [i["target"] for i in items]
    assert body["correction"]["items"][0]["label"]  # named as the form names it
    assert body["correction"]["due_on"] == "2021-03-29"  # 10 working days after 03-15
    assert body["history"][-1]["items"][1]["message"] == "请填写申报的年度"
    assert body["history"][-1]["opinion"] == "请一次补齐。"

    login_as(client, applicant)
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "需补正事项（共 3 项）" in page
    assert "参保人数与社保清单不一致" in page
    assert "补正期限：2021-03-29" in page
    assert "逾期未补正的，视为撤回申报" in page  # this program's parameter says so

    mine = api_token(client, applicant.username)
    again = client.post(f"{API}/applications/{case.id}/actions/submit", json={}, headers=mine)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["correction"] is None
    assert db.session.get(Application, case.id).correction_due_on is None


def test_the_return_form_takes_one_message_per_item(app, client, factory, office):
    from tests.conftest import form_post

    case, _applicant = _submitted(factory)
    login_as(client, office["xiuzhou"])
    page = f"/applications/{case.id}"
    html = client.get(page).get_data(as_text=True)
    assert 'name="return-item-employees_insured"' in html
    assert "不予受理" in html  # the decline form sits next to it
    resp = form_post(
        client,
        f"/applications/{case.id}/actions/return",
        {
            "return-version": str(case.version),
            "return-reason": "材料不全",
            "return-articles": "四(一)",
            "return-item-employees_insured": "参保人数与清单不一致",
            "return-item-year": "  ",
            "return-opinion": "请补齐后再报。",
        },
        page=page,
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    stored = db.session.get(Application, case.id)
    assert [i["target"] for i in stored.correction["items"]] == ["employees_insured"]


def test_overdue_corrections_lapse_by_the_programs_parameter_once(
    app, client, factory, office, clock
):
    case, _applicant = _submitted(factory)
    cases.act(
        office["xiuzhou"],
        case.id,
        "return",
        ActionInput(
            reason="材料不全",
            articles=["四(一)"],
            items=[{"target": "year", "message": "请填写年度"}],
        ),
    )
    runner = app.test_cli_runner()
    clock.set_today(date(2021, 3, 29))  # the last day: not yet overdue
    assert "lapsed: 0" in runner.invoke(args=["cases", "lapse-overdue"]).output
    clock.set_today(date(2021, 3, 30))
    first = runner.invoke(args=["cases", "lapse-overdue"])
    assert first.exit_code == 0, first.output
    assert "lapsed: 1" in first.output
    lapsed = db.session.get(Application, case.id)
    db.session.refresh(lapsed)
    assert lapsed.state == "withdrawn"
    second = runner.invoke(args=["cases", "lapse-overdue"])
    assert "lapsed: 0" in second.output
    token = api_token(client, "nanhu")  # another district: not theirs
    assert client.get(f"{API}/applications/{case.id}", headers=token).status_code == 404
    step = client.get(
        f"{API}/applications/{case.id}", headers=api_token(client, "xiuzhou")
    ).get_json()["history"][-1]
    assert step["action"] == "lapse"
    assert step["reason"] == "逾期未补正"


def test_a_program_whose_parameter_says_no_keeps_its_overdue_case(app, factory, office, clock):
    open_batch(factory, "makerspace_recognition", budget="0.00")
    operator = factory.operator(district="330402")
    case = cases.create_draft(operator, "makerspace_recognition", space_data())
    attach_required(case, operator)
    cases.act(operator, case.id, "submit")
    cases.act(
        office["county"],
        case.id,
        "return",
        ActionInput(
            reason="材料不全",
            articles=["三"],
            items=[{"target": "lease_or_deed", "message": "租赁合同已过期"}],
        ),
    )
    clock.set_today(date(2021, 6, 1))
    result = app.test_cli_runner().invoke(args=["cases", "lapse-overdue"])
    assert "lapsed: 0" in result.output
    assert "makerspace_recognition × 1" in result.output
    assert db.session.get(Application, case.id).state == "returned"


# --- 审核意见 ------------------------------------------------------------------------------


def test_every_decision_keeps_its_opinion_in_the_history_and_the_timeline(
    app, client, factory, office
):
    case, applicant = _submitted(factory)
    county = office["xiuzhou"]
    cases.act(county, case.id, "accept", ActionInput(opinion="材料齐全，予以受理。"))
    cases.act(county, case.id, "county_approve", ActionInput(opinion="符合带动就业补助条件。"))
    body = client.get(
        f"{API}/applications/{case.id}", headers=api_token(client, "xiuzhou")
    ).get_json()
    opinions = {h["action"]: h["opinion"] for h in body["history"] if h["action"]}
    assert opinions["accept"] == "材料齐全，予以受理。"
    assert opinions["county_approve"] == "符合带动就业补助条件。"
    assert opinions["submit"] is None
    login_as(client, applicant)
    page = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "审核意见：符合带动就业补助条件。" in page
