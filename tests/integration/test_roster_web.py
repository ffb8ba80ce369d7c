"""Roster pages: upload with CSRF, the masked table for reviewers, the downloads."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.helpers import attach_for_submit
from tests.integration.roster_support import (
    HEADER_ZH,
    csv_bytes,
    graduate_id,
    make_world,
    months,
    person_rows,
    row,
)
from zhongchuang.cases import engine as cases
from zhongchuang.roster import operations as roster


@pytest.fixture
def world(app, factory):
    return make_world(factory)


def url(case) -> str:
    return f"/applications/{case.id}/roster"


def send(client, post_form, case, data: bytes, filename: str = "花名册.csv"):
    return post_form(client, url(case), {"file": (io.BytesIO(data), filename)})


def test_the_applicant_uploads_through_the_page_and_sees_the_result(
    client, world, login, post_form
):
    case = world.draft()
    login(client, world.enterprise)
    page = client.get(url(case))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert f'href="/applications/{case.id}"' in html
    number = graduate_id(1)
    rows = person_rows(number, months(7, 9), "王小明") + [row("", "2020-10")]
    resp = send(client, post_form, case, csv_bytes(rows))
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "花名册已导入：3 行通过核验，1 行未通过" in html
    assert "身份证号为空" in html
    html = client.get(url(case) + "?view=people").get_data(as_text=True)
    assert "王小明" in html
    assert number[:6] + "********" + number[-4:] in html
    assert number not in html
    assert "1,470.00" in html


def test_an_upload_without_csrf_token_is_refused_and_saves_nothing(client, world, login):
    case = world.draft()
    login(client, world.enterprise)
    data = csv_bytes([row(graduate_id(1))])
    resp = client.post(url(case), data={"file": (io.BytesIO(data), "r.csv")})
    assert resp.status_code == 400
    assert roster.summary(case).accepted_rows == 0


def test_a_wrong_file_is_shown_on_the_form_with_415(client, world, login, post_form):
    case = world.draft()
    login(client, world.enterprise)
    resp = send(client, post_form, case, b"%PDF-1.4\n%%EOF\n", "花名册.pdf")
    assert resp.status_code == 415
    assert "不支持该文件" in resp.get_data(as_text=True)
    resp = send(client, post_form, case, csv_bytes([row(graduate_id(1))], header=HEADER_ZH[:-1]))
    assert resp.status_code == 422
    assert "缺少列：单位失业" in resp.get_data(as_text=True)


def test_reviewers_see_the_roster_masked_and_cannot_upload(client, world, login):
    case = world.draft()
    number = graduate_id(1)
    roster.import_roster(
        world.enterprise,
        case.id,
        "r.csv",
        io.BytesIO(csv_bytes(person_rows(number, months(7, 8), "赵敏"))),
    )
    attach_for_submit(case, world.enterprise)
    cases.act(world.enterprise, case.id, "submit")
    login(client, world.county)
    html = client.get(url(case)).get_data(as_text=True)
    assert "赵敏" in html
    assert number[:6] + "********" + number[-4:] in html
    assert number not in html
    assert 'enctype="multipart/form-data"' not in html
    resp = client.post(url(case), data={"file": (io.BytesIO(b"x"), "r.csv")})
    assert resp.status_code in (400, 403)  # no token to take from a page without a form
    assert roster.summary(case).accepted_rows == 2


def test_other_enterprises_and_anonymous_users_get_nothing(client, world, login):
    case = world.draft()
    assert client.get(url(case)).status_code == 302  # to the login page
    login(client, world.outsider)
    assert client.get(url(case)).status_code == 404
    assert client.get(url(case) + "/rejected.xlsx").status_code == 404


def test_the_template_opens_with_chinese_headers_validations_and_instructions(client):
    resp = client.get("/roster/template.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype == roster.XLSX_MIMETYPE
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADER_ZH
    assert ws["A1"].comment is not None
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"date", "decimal", "textLength", "custom"} <= kinds
    assert "填写说明" in wb.sheetnames


def test_the_refused_rows_download_with_their_reasons_and_masked_ids(client, world, login):
    case = world.draft()
    number = graduate_id(1)
    rows = [
        row(number, "2020-07"),
        row(number, "2021-05", name="钱多多"),
        row(number, "2021-06", name='=HYPERLINK("http://example.test")'),
    ]
    roster.import_roster(world.enterprise, case.id, "r.csv", io.BytesIO(csv_bytes(rows)))
    login(client, world.enterprise)
    resp = client.get(url(case) + "/rejected.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[0][0] == "原文件行号"
    assert len(values) == 3
    assert ws["B3"].data_type == "s"  # an uploaded "formula" stays text
    assert values[1][:4] == [3, "钱多多", number[:6] + "********" + number[-4:], "2021-05"]
    assert "不在申请期间" in values[1][4]
    assert number not in str(values)


def test_the_page_is_paginated(app, client, world, login, monkeypatch):
    monkeypatch.setattr(roster, "PAGE_SIZE", 2)
    case = world.draft()
    rows = person_rows(graduate_id(1), months(7, 11))
    roster.import_roster(world.enterprise, case.id, "r.csv", io.BytesIO(csv_bytes(rows)))
    login(client, world.enterprise)
    html = client.get(url(case) + "?page=3").get_data(as_text=True)
    assert "第 3 / 3 页" in html
    assert "2020-11" in html
    assert "<td>2020-07</td>" not in html
    assert "<td>2020-11</td>" in html


def test_the_page_names_the_other_case_by_number_and_nothing_else_of_it(client, world, login):
    number = graduate_id(1)
    first = world.draft()
    second = world.draft(world.other_enterprise)
    for user, case, span in (
        (world.enterprise, first, (7, 8)),
        (world.other_enterprise, second, (8, 9)),
    ):
        rows = person_rows(number, months(*span), "孙悟空")
        roster.import_roster(user, case.id, "r.csv", io.BytesIO(csv_bytes(rows)))
    attach_for_submit(second, world.other_enterprise)
    cases.act(world.other_enterprise, second.id, "submit")  # holds 2020-08 and 2020-09
    login(client, world.enterprise)
    html = client.get(url(first)).get_data(as_text=True)
    assert "重复享受提示" in html
    assert second.number in html
    assert second.applicant_name not in html
