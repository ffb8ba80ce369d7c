"""Release 2 journeys on the demo data, in a browser: a county reviewer declines a case
(不予受理) and its applicant reads the decision, downloads the signed 文书 and anyone
verifies it; an expert declares a conflict (回避) and
the city reviewer assigns another.

Every page reached is checked by tests.e2e.helpers; each journey leaves screenshots under
screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import XSS, Browse, Tab

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-release2")]


def open_from_queue(tab: Tab, text: str) -> str:
    tab.link("待办事项", exact=False)
    row = tab.page.locator("table.rv-queue tbody tr", has_text=text)
    tab.follow(row.get_by_role("link").first)
    return tab.page.url


def action_form(tab: Tab, name: str):
    return tab.page.locator("form.action-form").filter(
        has=tab.page.get_by_role("heading", name=name, exact=True)
    )


def test_a_case_is_declined_with_a_decision_the_applicant_reads(browse: Browse) -> None:
    county = browse.login("nanhu")
    case_url = open_from_queue(county, "林晓雨")
    form = action_form(county, "不予受理")
    reason = f"申请人不是该经营主体的登记经营者。{XSS}"
    county.fill("理由", reason, within=form)
    county.tick("四(一)", within=form)
    county.fill("审核意见", "请由登记经营者本人申报。", within=form)
    county.shot("decline-form")
    county.button("不予受理", within=form)
    county.flash("不予受理")
    expect(county.page.locator(".case-head .status")).to_have_text("不予受理")
    county.shows_literal(XSS)
    # An end: nothing more is offered on the case.
    expect(county.page.locator("form.action-form")).to_have_count(0)

    grad = browse.login("graduate")
    grad.visit(case_url)
    expect(grad.page.locator(".case-head .status")).to_have_text("不予受理")
    timeline = grad.page.locator("ol.case-timeline")
    expect(timeline).to_contain_text("审核意见：请由登记经营者本人申报。")
    grad.shot("declined")

    # The signed 文书, numbered, downloaded and verified by anyone who has it.
    documents = grad.page.locator("section[aria-labelledby=h-documents]")
    expect(documents).to_contain_text("不予受理决定书")
    expect(documents).to_contain_text(re.compile(r"南众创〔20\d\d〕\d+号"))
    with grad.page.expect_download() as download:
        documents.get_by_role("link", name="不予受理决定书").click()
    signed = download.value.path()
    visitor = browse.anonymous()
    visitor.visit("/verify")
    visitor.heading("文书核验")
    visitor.page.get_by_label("要核验的文书（PDF）").set_input_files(signed)
    visitor.button("核验")
    verdict = visitor.page.locator(".verify-verdict")
    expect(verdict).to_contain_text("有效")
    expect(visitor.page.locator("main")).to_contain_text("不予受理决定书")
    expect(visitor.page.locator("main")).not_to_contain_text("林晓雨")  # a person, masked
    visitor.shot("verified")

    grad.follow(grad.page.get_by_role("link", name="不予受理决定书").first)
    main = grad.page.locator("main")
    expect(main).to_contain_text("决定不予受理")
    expect(main).to_contain_text("行政复议")
    grad.shows_literal(XSS)
    grad.shot("decline-letter")
    grad.visit("/me")
    expect(grad.page.locator("main")).to_contain_text("不予受理，办理结束")
