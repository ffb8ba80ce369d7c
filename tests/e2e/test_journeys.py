"""Whole journeys on the demo data, as users make them in a browser: a return for amendment
answered, a public objection dismissed, a reviewer of another district refused a case.

Every page reached is checked by tests.e2e.helpers (console errors, labels, tabindex, no
script injected); each journey leaves full-page screenshots under screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import XSS, Browse, Tab

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-demo")]


def open_from_queue(tab: Tab, applicant: str) -> str:
    """Open, from the reviewer's queue, the case of ``applicant``; return its URL."""
    tab.link("待办事项", exact=False)
    row = tab.page.locator("table.rv-queue tbody tr", has_text=applicant)
    tab.follow(row.get_by_role("link").first)
    return tab.page.url


def action_form(tab: Tab, name: str):
    """The form of one action on the case page, found by its heading."""
    return tab.page.locator("form.action-form").filter(
        has=tab.page.get_by_role("heading", name=name, exact=True)
    )


def test_return_for_amendment_answered(browse: Browse) -> None:
    # The county reviewer returns the graduate's submitted case, citing 四(一).
    county = browse.login("nanhu")
    case_url = open_from_queue(county, "林晓雨")
    county.shot("case-submitted")
    form = action_form(county, "退回补正")
    reason = f"请补充参保从业人员名单。{XSS}"
    county.fill("理由", reason, within=form)
    county.tick("四(一)", within=form)
    # 一次性告知: every item at once, each with what is wrong.
    items = {
        "企业统一社会信用代码": "信用代码与营业执照不一致",
        "申报年度": "申报年度应为上一年度",
        "当年参保满6个月的从业人员数": "参保人数与社保清单不一致",
    }
    for label, message in items.items():
        county.fill(label, message, within=form)
    county.fill("审核意见", "三项补齐后予以受理。", within=form)
    county.button("退回补正", within=form)
    county.flash("退回补正")
    timeline = county.page.locator("ol.case-timeline")
    expect(timeline).to_contain_text(reason)  # shown as text, not run
    county.shows_literal(XSS)
    county.shot("returned")

    # The graduate sees why, edits the application and submits it again.
    grad = browse.login("graduate")
    grad.heading("我的申报")
    grad.follow(grad.page.get_by_role("link", name=re.compile(case_url.rsplit("/", 1)[1])))
    note = grad.page.locator("section.returned-note")
    expect(note).to_contain_text(reason)
    expect(note).to_contain_text("四(一)")
    expect(note).to_contain_text("需补正事项（共 3 项）")
    for message in items.values():
        expect(note).to_contain_text(message)
    expect(note).to_contain_text("补正期限")
    grad.shot("returned-note")
    grad.link("修改申报信息")
    grad.fill("当年参保满6个月的从业人员数", "4")
    grad.button("保存草稿")
    grad.flash("已保存")
    submit = action_form(grad, "提交申报").get_by_role("button", name="提交申报")
    grad.tab_to(submit)  # the primary action is reachable by keyboard
    with grad.page.expect_navigation():
        grad.page.keyboard.press("Enter")
    grad.check()
    grad.flash("申报已提交")
    expect(grad.page.locator(".case-head .status")).to_have_text("已提交")
    timeline = grad.page.locator("ol.case-timeline")
    expect(timeline).to_contain_text(reason)
    expect(timeline).to_contain_text("四(一)")
    grad.shows_literal(XSS)
    grad.shot("resubmitted")


def test_public_objection_lodged_and_dismissed(browse: Browse) -> None:
    # Anyone, without logging in, reads the notice and lodges an objection.
    visitor = browse.anonymous()
    visitor.visit("/")
    visitor.link("公示公告")
    visitor.follow(visitor.page.locator("main").get_by_role("link", name=re.compile("公示")).first)
    expect(visitor.page.get_by_role("heading", name="提出异议")).to_be_visible()
    visitor.shot("notice")
    visitor.choose("对哪一件申报提出异议", "赵*")
    visitor.fill("您的真实姓名", "钱多多")
    visitor.fill("联系电话", "13900000000")
    objection = f"该企业参保人数与实际不符。{XSS}"
    visitor.fill("异议事实和理由", objection)
    submit = visitor.page.get_by_role("button", name="提交异议")
    visitor.tab_to(submit)
    visitor.button("提交异议")
    visitor.flash("您的异议已提交")
    visitor.shot("objection-lodged")

    # The city reviewer rules on it: not founded, with a reason.
    city = browse.login("city")
    city.link("待办事项", exact=False)
    city.link("公示与异议")
    item = city.page.locator("li.rv-objection", has_text="钱多多")
    expect(item.locator("blockquote")).to_have_text(objection)
    city.shows_literal(XSS)
    city.fill("理由", "经核查社保记录，参保人数属实，异议不成立。", within=item, exact=False)
    city.shot("objection-open")
    city.button("异议不成立", within=item)
    city.flash("异议不成立")
    item = city.page.locator("li.rv-objection", has_text="钱多多")
    expect(item).to_contain_text("经核查社保记录，参保人数属实，异议不成立。")
    city.shot("objection-dismissed")


def test_reviewer_of_another_district_cannot_open_a_case(browse: Browse) -> None:
    nanhu = browse.login("nanhu")
    case_url = open_from_queue(nanhu, "林晓雨")

    xiuzhou = browse.login("xiuzhou")
    xiuzhou.visit(case_url, status=404)
    xiuzhou.heading("出错了")
    expect(xiuzhou.page.locator("main")).to_contain_text("404")
    expect(xiuzhou.page.locator("main")).not_to_contain_text("林晓雨")
    xiuzhou.shot("not-found")
    xiuzhou.link("返回首页")


_LINKS_JS = """
(scope) => [...document.querySelectorAll(scope)]
  .map((a) => new URL(a.href, location.href))
  .filter((u) => u.origin === location.origin)
  .map((u) => u.pathname + u.search)
"""
#: Links a tour does not follow: they act (logout, language) or download files.
_SKIP = re.compile(r"^/(logout|lang/)|\.(pdf|xlsx|csv|svg|json)(\?|$)|/attachments/|/letters/")


def _links(tab: Tab, scope: str) -> list[str]:
    return [p for p in tab.page.evaluate(_LINKS_JS, scope) if not _SKIP.search(p)]


@pytest.mark.parametrize(
    "username", [None, "graduate", "enterprise", "nanhu", "city", "expert1", "finance", "admin"]
)
def test_every_page_in_reach_passes_the_checks(browse: Browse, username: str | None) -> None:
    """Each role's pages as reached from where it lands: every link there, then the
    navigation of each page reached (at most 30 pages). The checks of helpers.py run on
    each: labelled inputs, no console error, no positive tabindex, no server error."""
    tab = browse.login(username) if username else browse.anonymous()
    tab.visit("/")
    seen = {tab.page.url.removeprefix(browse.base_url)}
    queue = _links(tab, "nav a[href], main a[href]")
    while queue and len(seen) < 30:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        tab.visit(path)
        queue += _links(tab, "nav a[href]")
    print(username, sorted(seen))  # shown with -s: the pages checked
    assert len(seen) > 3
