"""Journeys through a public notice to the end: a maker space recognised, an enterprise's
roster claim paid. Time moves forward here (the notice period runs out), so these share a
server of their own: ``flask notices close-due`` runs with a later ZC_TODAY against the
same database, as the nightly cron job would, and the journey goes on in the browser.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PDF_BYTES, XSS, Browse, Site, Tab

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-notice")]

#: The first working day after a 5-working-day notice published on 2021-03-15 ends.
AFTER_NOTICE = "2021-03-22"


def action_form(tab: Tab, name: str):
    """The form of one action on the case page, found by its heading."""
    return tab.page.locator("form.action-form").filter(
        has=tab.page.get_by_role("heading", name=name, exact=True)
    )


def act(tab: Tab, name: str, done: str | None = None) -> None:
    """Press the button of a case-page action that needs nothing filled in."""
    tab.button(name, within=action_form(tab, name))
    tab.flash(done or f"已完成“{name}”")


def open_from_queue(tab: Tab, text: str) -> str:
    tab.link("待办事项", exact=False)
    row = tab.page.locator("table.rv-queue tbody tr", has_text=text)
    tab.follow(row.get_by_role("link").first)
    return tab.page.url


def state_is(tab: Tab, label: str) -> None:
    expect(tab.page.locator(".case-head .status")).to_have_text(label)


def publish_notice(city: Tab, case_number: str) -> None:
    city.link("待办事项", exact=False)
    city.link("发布公示")
    city.heading("发布公示")
    city.tick(case_number, exact=True)
    city.fill("公示期（工作日）", "5")
    city.button("计算公示期")
    expect(city.page.locator("#notice-ends")).to_have_text("2021-03-19")
    city.tick(case_number, exact=True)
    publish = city.page.get_by_role("button", name="确认发布")
    city.tab_to(publish)
    city.shot("publish")
    city.button("确认发布")
    expect(city.page.locator("main")).to_contain_text(case_number)


def upload_all(tab: Tab, count: int) -> None:
    """Upload a small PDF for each required attachment, as the checklist asks for them."""
    for n in range(count):
        upload = tab.page.locator("form.upload-form")
        tab.page.get_by_label("选择文件").set_input_files(
            {"name": f"材料{n + 1}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
        tab.button("上传", within=upload)
        tab.flash("已上传")
    expect(tab.page.locator("table.checklist")).not_to_contain_text("未上传（必需）")


def test_operator_registers_and_gets_a_maker_space_recognised(browse: Browse, site: Site) -> None:
    from zhongchuang.policy.identity import make_credit_code

    # Registration: an operator of a maker space in 南湖区.
    op = browse.anonymous("operator")
    op.visit("/")
    op.follow(op.page.get_by_role("banner").get_by_role("link", name="注册"))
    op.link("单位", exact=False)
    op.heading("单位注册")
    op.fill("单位全称", "嘉兴梅湾创客工场运营有限公司")
    op.fill("统一社会信用代码", make_credit_code("330402", "MA28F0001"))
    op.choose("单位类型", "众创空间运营机构")
    op.choose("所在县（市、区）", "南湖区（330402）")
    op.fill("联系电话", "0573-82000000")
    op.fill("用户名", "meiwan")
    op.fill("密码", "Spring-2021-pass")
    op.fill("确认密码", "Spring-2021-pass")
    op.fill("电子邮箱", "meiwan@example.test")
    op.tab_to(op.page.locator("main").get_by_role("button", name="注册"))
    op.shot("register")
    op.button("注册")
    op.flash("注册成功")
    op.heading("我的申报")

    # The application: a draft, its attachments, then submission.
    offer = op.page.locator("li.offer").filter(
        has=op.page.get_by_role("heading", name="众创空间认定", exact=True)
    )
    op.follow(offer.get_by_role("link", name="开始申报"))
    op.fill("众创空间名称", "梅湾创客工场")
    op.choose("众创空间类型", "创客孵化类")
    address = f"嘉兴市南湖区梅湾街8号{XSS}"
    op.fill("场地地址", address)
    op.choose("所在县（市、区）", "南湖区（330402）")
    op.fill("场地面积（平方米）", "800")
    op.fill("工位数", "60")
    op.fill("入驻创业团队（企业）数", "25")
    op.fill("创业导师数", "5")
    op.fill("专职服务人员数", "4")
    op.fill("上年度举办创业活动次数", "12")
    op.fill("开始运营日期", "2018-09-01")
    op.shot("form")
    op.button("保存草稿")
    op.flash("草稿已保存")
    number = re.search(r"ZC\d+", op.page.locator(".case-head").inner_text()).group(0)
    op.shows_literal(address)
    upload_all(op, 4)
    expect(op.page.locator("#eligibility")).to_contain_text("符合条件")
    submit = action_form(op, "提交申报").get_by_role("button", name="提交申报")
    op.tab_to(submit)
    op.shot("ready")
    act(op, "提交申报", done="申报已提交")
    state_is(op, "已提交")

    # 南湖区: accepted and approved at first instance.
    county = browse.login("nanhu")
    open_from_queue(county, number)
    act(county, "受理")
    act(county, "初审通过")
    state_is(county, "初审通过")

    # The city assigns three experts, who score it.
    city = browse.login("city")
    case_path = open_from_queue(city, number)
    assign = city.page.locator("#rv-experts form")
    for name in ("专家 甲", "专家 乙", "专家 丙"):
        city.tick(name, within=assign)
    city.button("指派", within=assign)
    city.flash("已指派 3 名专家")
    # 专家评审指标 of the catalogue, 25 points each (totals 85, 88, 80).
    criteria = ("场地与设施", "运营团队与导师", "创业服务与活动", "入驻团队与孵化成效")
    points = {
        "expert1": ("22", "21", "21", "21"),
        "expert2": ("22", "22", "22", "22"),
        "expert3": ("20", "20", "20", "20"),
    }
    # 专家 甲 knows the operator: they declare a conflict (回避) and leave the case; the city
    # reviewer assigns 专家 丁 in their place.
    first = browse.login("expert1")
    open_from_queue(first, number)
    recusal = first.page.locator("form.action-recusal")
    first.tick("我确认回避", within=recusal)
    first.fill("回避说明（可选）", "本人曾在该运营机构任职。", within=recusal)
    first.shot("recusal")
    first.button("声明回避", within=recusal)
    city.visit(case_path)
    expect(city.page.locator("#rv-recused-count")).to_contain_text("1 名专家已声明回避")
    assign = city.page.locator("#rv-experts form")
    city.tick("专家 丁", within=assign)
    city.button("指派", within=assign)
    points["expert4"] = points.pop("expert1")
    for username, marks in points.items():
        expert = browse.login(username)
        open_from_queue(expert, number)
        form = action_form(expert, "专家评分")
        for label, mark in zip(criteria, marks, strict=True):
            expert.fill(label, mark, within=form)
        expert.fill("评审意见", "场地和服务能力符合要求。", within=form)
        expert.button("专家评分", within=form)
        expert.flash("专家评分")
    city.visit(case_path)
    expect(city.page.locator("#rv-experts")).to_contain_text("已评分 3 份")
    act(city, "完成专家评审")
    act(city, "复审通过")
    state_is(city, "复审通过")
    city.shot("city-approved")

    # Public notice of 5 working days; the nightly job concludes it once it is over.
    publish_notice(city, number)
    city.visit(case_path)
    state_is(city, "公示中")
    site.flask("notices", "close-due", today=AFTER_NOTICE)
    op.visit(op.page.url)
    state_is(op, "已认定")
    expect(op.page.locator("main")).not_to_contain_text("等待拨付")
    op.follow(op.page.get_by_role("link", name="众创空间认定决定书").first)
    expect(op.page.locator("main")).to_contain_text("认定证书编号")
    op.shot("approved")

    visitor = browse.anonymous()
    visitor.visit("/maker-spaces")
    row = visitor.page.locator("main table tbody tr", has_text="梅湾创客工场")
    expect(row).to_contain_text("创客孵化类")
    expect(row).to_contain_text("嘉兴梅湾创客工场运营有限公司")
    expect(row).to_contain_text(re.compile(r"2021-\d{4}"))  # its certificate number
    visitor.shot("maker-spaces")


def roster_csv() -> bytes:
    """Two graduates hired in their graduation year (11 person-months) and one row that
    must be refused (graduated in 2018): what an enterprise's HR exports."""
    from datetime import date

    from zhongchuang.policy.identity import make_id_number

    lines = [
        "姓名,身份证号,毕业院校,毕业时间,劳动合同起始,劳动合同终止,补贴月份,单位养老,单位医疗,单位失业"
    ]
    shen = make_id_number("330402", date(1998, 7, 12), 71)
    zhu = make_id_number("330411", date(1998, 2, 3), 72)
    qian = make_id_number("330402", date(1996, 1, 9), 73)
    for month in range(7, 13):
        lines.append(
            f"沈佳怡,{shen},嘉兴学院,2020-06-30,2020-07-01,2021-06-30,2020-{month:02d},800.00,300.00,20.00"
        )
    for month in range(8, 13):
        lines.append(
            f"朱浩然,{zhu},浙江大学,2020-06-30,2020-08-01,2021-07-31,2020-{month:02d},800.00,300.00,20.00"
        )
    lines.append(
        f"钱小明,{qian},{XSS},2018-06-30,2020-07-01,2021-06-30,2020-07,800.00,300.00,20.00"
    )
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_enterprise_roster_claim_is_paid(browse: Browse, site: Site) -> None:
    # A small enterprise in the recognised 南湖创客汇 claims the subsidy for two graduates.
    ent = browse.login("enterprise")
    ent.heading("我的申报")
    offer = ent.page.locator("li.offer").filter(
        has=ent.page.get_by_role("heading", name="招用大学生社保补贴", exact=True)
    )
    ent.follow(offer.get_by_role("link", name="开始申报"))
    ent.choose("所在众创空间", "南湖创客汇", partial=True)
    ent.fill("申请补贴起始月份", "2020-07")
    ent.fill("申请补贴终止月份", "2020-12")
    ent.button("保存草稿")
    ent.flash("草稿已保存")
    number = re.search(r"ZC\d+", ent.page.locator(".case-head").inner_text()).group(0)
    case_url = ent.page.url

    # The roster: uploaded, checked row by row; the refused row says why.
    ent.link("花名册", exact=False)
    ent.heading("花名册")
    ent.page.get_by_label("花名册文件").set_input_files(
        {"name": "花名册.csv", "mimeType": "text/csv", "buffer": roster_csv()}
    )
    upload = ent.page.get_by_role("button", name="上传并核验")
    ent.tab_to(upload)
    ent.button("上传并核验")
    ent.flash("11 行通过核验，1 行未通过")
    refused = ent.page.locator("main table tbody tr", has_text="钱小明")
    expect(refused).to_contain_text("非毕业年度招用")
    ent.shows_literal(XSS)
    ent.shot("roster-refused-row")
    ent.visit(case_url)
    expect(ent.page.locator("#eligibility")).to_contain_text("12,320.00")
    upload_all(ent, 4)  # 营业执照, 劳动合同, 缴费凭证, 毕业证书 (required by parameter)
    act(ent, "提交申报", done="申报已提交")
    state_is(ent, "已提交")
    ent.shot("submitted")

    # 南湖区 accepts and approves; the city approves the computed amount.
    county = browse.login("nanhu")
    open_from_queue(county, number)
    expect(county.page.locator("#rv-roster")).to_contain_text("有效 11 行，未通过 1 行")
    act(county, "受理")
    act(county, "初审通过")
    city = browse.login("city")
    case_path = open_from_queue(city, number)
    form = action_form(city, "复审通过")
    expect(form.get_by_label("核定金额（元）")).to_have_value("12320.00")
    act(city, "复审通过")
    state_is(city, "复审通过")

    # Public notice; once it is over the nightly job approves the case; finance pays it.
    publish_notice(city, number)
    city.visit(case_path)
    state_is(city, "公示中")
    site.flask("notices", "close-due", today=AFTER_NOTICE)
    finance = browse.login("finance")
    open_from_queue(finance, number)
    state_is(finance, "核准")
    form = action_form(finance, "拨付")
    finance.fill("拨付凭证号", "JXCZ-2021-0322", within=form)
    finance.button("拨付", within=form)
    finance.flash("拨付")
    state_is(finance, "已拨付")
    finance.shot("disbursed")

    ent.visit(case_url)
    state_is(ent, "已拨付")
    expect(ent.page.locator("#eligibility")).to_contain_text("12,320.00")
    ent.shot("paid")
