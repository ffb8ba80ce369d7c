"""Reviewer actions on the pages: batch accept, notices with their period shown first,
objection rulings, expert assignment and scores, disbursement, the staff panel."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import csrf_from
from tests.integration.reviewer_support import World, expert_score, recognition_case
from zhongchuang.cases import engine as cases
from zhongchuang.errors import GuardFailed
from zhongchuang.extensions import db
from zhongchuang.models import Application, Batch, Notice, Objection
from zhongchuang.notices import operations as notices
from zhongchuang.review import batch_actions as review


@pytest.fixture
def world(app, factory):
    return World(factory)


def state(case_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Application, case_id).state


def token(client, url: str = "/review") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def test_batch_accept_reports_each_case_and_one_refusal_stops_nothing(world, client, login):
    a = world.submitted()
    b = world.submitted()
    c = world.submitted()
    elsewhere = world.submitted(district="330402")
    login(client, world.county)
    csrf = token(client)
    # Someone else accepts b after the page was shown: its version is now stale.
    cases.act(world.county, b.id, "accept")
    resp = client.post(
        "/review/batch",
        data={
            "csrf_token": csrf,
            "action": "accept",
            "selected": [
                f"{a.id}:{a.version}",
                f"{b.id}:{b.version}",
                f"{c.id}:{c.version}",
                f"{elsewhere.id}:{elsewhere.version}",
            ],
        },
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "成功 2 件，未办理 2 件" in html
    assert "（无权查看）" in html  # the other district's case: not even its number
    assert elsewhere.number not in html
    assert (state(a.id), state(b.id), state(c.id)) == ("accepted", "accepted", "accepted")
    assert state(elsewhere.id) == "submitted"
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", html, re.S)
    by_number = {re.sub(r"<[^>]+>", "", n).strip(): (ok, msg) for n, ok, msg in rows}
    assert "未办理" in by_number[b.number][0]
    assert "已被他人更新" in by_number[b.number][1] or "不能执行" in by_number[b.number][1]


def test_batch_actions_refuse_bad_selections(world, client, login):
    world.submitted()
    login(client, world.county)
    csrf = token(client)
    assert (
        client.post("/review/batch", data={"csrf_token": csrf, "action": "accept"}).status_code
        == 422
    )
    resp = client.post(
        "/review/batch", data={"csrf_token": csrf, "action": "accept", "selected": ["x:1"]}
    )
    assert resp.status_code == 422
    resp = client.post(
        "/review/batch", data={"csrf_token": csrf, "action": "county_approve", "selected": ["1"]}
    )
    assert resp.status_code == 422
    assert (
        client.post("/review/batch", data={"action": "accept", "selected": ["1"]}).status_code
        == 400
    )


def test_the_notice_period_is_shown_before_publishing(world, client, login, clock):
    first = world.approved()
    second = world.approved()
    not_ready = world.submitted()
    login(client, world.city)
    html = client.get("/review/notices/new").get_data(as_text=True)
    assert first.number in html
    assert second.number in html
    assert not_ready.number not in html
    assert re.search(r'id="notice-starts">2021-03-15<', html)
    assert re.search(r'id="notice-ends">2021-03-19<', html)

    # Around the National Day holiday (with its adjusted working Saturday).
    clock.set_today(date(2021, 9, 30))
    csrf = token(client, "/review/notices/new")
    resp = client.post(
        "/review/notices/new",
        data={"csrf_token": csrf, "working_days": "5", "op": "preview", "selected": [first.id]},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert re.search(r'id="notice-ends">2021-10-12<', html)
    assert "checked" in html  # the selection is kept
    assert db.session.query(Notice).count() == 0  # nothing published by a preview

    resp = client.post(
        "/review/notices/new",
        data={"csrf_token": csrf, "working_days": "0", "op": "preview"},
    )
    assert resp.status_code == 422
    assert "1至30个工作日" in resp.get_data(as_text=True)


def test_unknown_holiday_schedules_are_flagged(app):
    assert review.notice_preview(5, on=date(2021, 3, 15)).warning is None
    far = review.notice_preview(5, on=date(2040, 1, 2))
    assert far.warning == "节假日安排未知，按周末计算"
    assert far.ends_on == date(2040, 1, 6)  # Monday to Friday
    assert review.default_notice_days(date(2021, 3, 15)) == 5


def test_publish_one_notice_for_several_cases_with_a_result_each(world, client, login):
    first = world.approved()
    second = world.approved()
    not_ready = world.submitted()
    login(client, world.city)
    csrf = token(client, "/review/notices/new")
    resp = client.post(
        "/review/notices/new",
        data={
            "csrf_token": csrf,
            "working_days": "5",
            "op": "publish",
            "selected": [first.id, second.id, not_ready.id],
        },
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "成功 2 件，未办理 1 件" in html
    assert "2021-03-15 至 2021-03-19" in html
    assert (state(first.id), state(second.id)) == ("in_notice", "in_notice")
    assert state(not_ready.id) == "submitted"
    notice = db.session.query(Notice).one()
    assert {i.application_id for i in notice.items} == {first.id, second.id}


def test_objections_are_dismissed_or_upheld_with_a_reason(world, client, login):
    case = world.approved()
    other = world.approved()
    result = notices.publish_notice(world.city, [case.id, other.id], 5)
    notice_id = result.notice.id
    o1 = notices.lodge_objection(
        notice_id, case.id, "李四", "13900000000", "该企业参保人数不实，请核查。"
    )
    o2 = notices.lodge_objection(
        notice_id, other.id, "王五", "13900000001", "该企业并未实际经营，请核查。"
    )
    login(client, world.city)
    html = client.get("/review/notices").get_data(as_text=True)
    assert "李四" in html
    assert "13900000000" in html
    assert "2 件异议待处理" in html
    csrf = csrf_from(html)

    # Upholding needs a cited article (the engine's guard says so).
    resp = client.post(
        f"/review/objections/{o2.id}/rule",
        data={"csrf_token": csrf, "decision": "uphold", "reason": "经核实异议属实"},
    )
    assert resp.status_code == 422
    assert "须引用至少一条政策条款" in resp.get_data(as_text=True)
    assert state(other.id) == "in_notice"
    # A ruling needs a reason.
    resp = client.post(
        f"/review/objections/{o1.id}/rule", data={"csrf_token": csrf, "decision": "dismiss"}
    )
    assert resp.status_code == 422

    resp = client.post(
        f"/review/objections/{o1.id}/rule",
        data={"csrf_token": csrf, "decision": "dismiss", "reason": "经核实参保记录属实"},
    )
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Objection, o1.id).status == "dismissed"
    assert state(case.id) == "in_notice"

    reserved = db.session.get(Batch, world.batch.id).reserved
    resp = client.post(
        f"/review/objections/{o2.id}/rule",
        data={
            "csrf_token": csrf,
            "decision": "uphold",
            "reason": "经核实异议属实",
            "articles": "四(一)",
        },
    )
    assert resp.status_code == 303
    assert state(other.id) == "rejected"
    db.session.expire_all()
    assert db.session.get(Objection, o2.id).status == "upheld"
    assert db.session.get(Batch, world.batch.id).reserved == reserved - other.approved_amount

    # A county reviewer neither sees the notices page nor rules.
    login(client, world.county)
    assert client.get("/review/notices").status_code == 403


def test_expert_review_from_the_case_page(world, factory, client, login):
    nanhu = world.other_county
    case = recognition_case(factory, nanhu)
    experts = [factory.staff("expert", username=f"expert{i}") for i in range(3)]
    login(client, world.city)
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "审核信息（仅工作人员可见）" in html
    assert "指派专家" in html
    csrf = csrf_from(html)
    resp = client.post(
        f"/review/applications/{case.id}/experts",
        data={"csrf_token": csrf, "experts": [e.id for e in experts[:2]]},
    )
    assert resp.status_code == 303
    resp = client.post(
        f"/review/applications/{case.id}/experts",
        data={"csrf_token": csrf, "experts": [world.finance.id]},
    )
    assert resp.status_code == 422  # not an expert
    client.post(
        f"/review/applications/{case.id}/experts",
        data={"csrf_token": csrf, "experts": [experts[2].id]},
    )

    cases.act(experts[0], case.id, "expert_score", expert_score(80, "场地条件好"))
    cases.act(experts[1], case.id, "expert_score", expert_score(81))
    with pytest.raises(GuardFailed) as err:
        cases.act(world.city, case.id, "expert_conclude")
    assert "至少需要 3 份" in err.value.message
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "已评分 2 份，至少需要 3 份" in html
    assert re.search(r'id="rv-average">80.50<', html)
    assert "场地条件好" in html

    # The third expert sees only their own assignment, not the others' scores.
    login(client, experts[2])
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "场地条件好" not in html
    assert 'id="rv-average"' not in html
    cases.act(experts[2], case.id, "expert_score", expert_score(82))
    case = cases.act(world.city, case.id, "expert_conclude")
    assert case.score_average == Decimal("81.00")
    login(client, world.city)
    html = client.get(f"/applications/{case.id}").get_data(as_text=True)
    assert re.search(r'id="rv-average">81.00<', html)


def test_disbursement_needs_a_payment_reference(world, client, login, clock):
    case = world.approved()
    notices.publish_notice(world.city, [case.id], 5)
    clock.set_today(date(2021, 3, 22))
    notices.close_due_notices()
    login(client, world.finance)
    html = client.get("/review").get_data(as_text=True)
    assert "登记拨付" in html
    csrf = csrf_from(html)
    url = f"/review/applications/{case.id}/disburse"
    resp = client.post(url, data={"csrf_token": csrf, "payment_reference": " "})
    assert resp.status_code == 422
    assert state(case.id) == "approved"
    resp = client.post(url, data={"csrf_token": csrf, "payment_reference": "JX-2021-0001"})
    assert resp.status_code == 303
    db.session.expire_all()
    done = db.session.get(Application, case.id)
    assert (done.state, done.payment_reference) == ("disbursed", "JX-2021-0001")
    # A county reviewer may see the case but may not pay it.
    login(client, world.county)
    resp = client.post(url, data={"csrf_token": csrf, "payment_reference": "X"})
    assert resp.status_code in (403, 409)


def test_staff_panel_shows_the_audit_trail_and_duplicates_only_to_staff(
    world, factory, client, login
):
    first = world.submitted()
    cases.act(world.county, first.id, "accept")
    # The same applicant's second open case of the same program is pointed out.
    second = world.submitted()
    login(client, world.county)
    html = client.get(f"/applications/{second.id}").get_data(as_text=True)
    assert "审核信息（仅工作人员可见）" in html
    assert "重复享受提示" in html
    assert first.number in html
    html = client.get(f"/applications/{first.id}").get_data(as_text=True)
    assert "审计记录" in html
    assert "xiuzhou" in html  # who accepted it
    login(client, world.applicant)
    html = client.get(f"/applications/{first.id}").get_data(as_text=True)
    assert "审核信息（仅工作人员可见）" not in html
    assert review.staff_panel(world.applicant, first) is None


def test_the_publish_page_has_no_hidden_field_shadowing_its_buttons(world, client, login):
    """The page's own form, as a browser sends it: only the pressed button carries ``op``."""
    case = world.approved()
    login(client, world.city)
    html = client.get("/review/notices/new").get_data(as_text=True)
    assert 'value="publish"' in html
    assert re.search(r'<input[^>]*name="op"', html) is None
    resp = client.post(
        "/review/notices/new",
        data={
            "csrf_token": csrf_from(html),
            "selected": f"{case.id}:{case.version}",
            "working_days": "5",
            "op": "publish",
        },
    )
    assert resp.status_code == 200
    assert state(case.id) == "in_notice"
