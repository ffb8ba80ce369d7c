"""The finance export: an XLSX of approved and disbursed cases, amounts as numbers,
identity numbers masked, streamed as a download, audited."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.integration.reviewer_support import World
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent
from zhongchuang.notices import operations as notices
from zhongchuang.runtime import vault

HEADERS = [
    "申报编号",
    "扶持事项",
    "申请人",
    "申请人类型",
    "统一社会信用代码",
    "公民身份号码（脱敏）",
    "县（市、区）",
    "申报年度",
    "核定金额（元）",
    "状态",
    "支付凭证号",
    "拨付日期",
]


@pytest.fixture
def world(app, factory, clock):
    w = World(factory)
    w.paid = w.approved(employees=10)  # 9000.00
    w.waiting = w.approved(employees=4)  # 3000.00
    w.pending = w.submitted()
    notices.publish_notice(w.city, [w.paid.id, w.waiting.id], 5)
    clock.set_today(date(2021, 3, 22))
    notices.close_due_notices()
    cases.act(w.finance, w.paid.id, "disburse", ActionInput(payment_reference="JX-0001"))
    return w


def download(client, query: str = ""):
    return client.get(f"/review/exports/approved.xlsx{query}")


def test_export_is_a_workbook_with_numbers_and_masked_ids(world, client, login):
    login(client, world.finance)
    assert "下载 Excel" in client.get("/review/exports").get_data(as_text=True)
    resp = download(client)
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    assert resp.headers["Cache-Control"] == "no-store"

    wb = load_workbook(io.BytesIO(resp.get_data()))
    ws = wb["核准与拨付"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    body = rows[1:-1]
    assert [r[0] for r in body] == sorted([world.paid.number, world.waiting.number])
    by_number = {r[0]: r for r in body}
    paid = by_number[world.paid.number]
    assert paid[9] == "已拨付"
    assert paid[10] == "JX-0001"
    assert paid[8] == 9000
    assert isinstance(paid[8], int | float)
    assert by_number[world.waiting.number][8] == 3000
    assert by_number[world.waiting.number][9] == "核准"
    total = rows[-1]
    assert total[0] == "合计"
    assert total[8] == 12000

    amount_cells = [row[8] for row in ws.iter_rows(min_row=2)]
    assert all(c.number_format == "#,##0.00" for c in amount_cells if c.value is not None)

    full_id = vault().decrypt(world.applicant.person.id_number_enc)
    masked = paid[5]
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", masked)
    assert masked != full_id
    every_cell = [str(v) for sheet in wb for r in sheet.iter_rows(values_only=True) for v in r]
    assert not any(full_id in v for v in every_cell)
    assert world.pending.number not in every_cell

    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "export.cases")
    ).scalar_one()
    assert event.actor_name == "fin"
    assert event.details["count"] == 2


def test_export_filters_and_refusals(world, client, login):
    login(client, world.finance)
    wb = load_workbook(io.BytesIO(download(client, "?state=disbursed").get_data()))
    numbers = [r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)]
    assert numbers == [world.paid.number, "合计"]
    wb = load_workbook(io.BytesIO(download(client, "?district=330402").get_data()))
    assert [r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)] == ["合计"]
    assert download(client, "?state=submitted").status_code == 422
    assert download(client, "?year=abc").status_code == 422

    login(client, world.county)
    assert download(client).status_code == 403
    login(client, world.applicant)
    assert download(client).status_code == 403


def test_city_reviewers_export_too(world, client, login):
    login(client, world.city)
    resp = download(client)
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.get_data()))
    assert wb.active.max_row == 4  # header, two cases, total
    assert Decimal(str(wb.active.cell(row=4, column=9).value)) == Decimal("12000")
