"""导出 — the XLSX list of approved and disbursed cases for finance.

Built with openpyxl in write-only mode (rows go straight to a temporary file, whatever
their number), read from the database in chunks. Amounts are numbers with the format
``#,##0.00``; identity numbers are masked — nobody gets full numbers in an export, the
masked one identifies the person well enough next to the name. The export is audited.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import IO, Final

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import joinedload

from zhongchuang.audit import chain as audit
from zhongchuang.cases.engine import visibility_filter
from zhongchuang.errors import Forbidden, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import Application, Batch, Program, User
from zhongchuang.policy.identity import district_name
from zhongchuang.runtime import now, today
from zhongchuang.uow import unit_of_work
from zhongchuang.workflow.machine import state_label

EXPORT_ROLES: Final = ("finance", "city_reviewer", "admin")
EXPORT_STATES: Final = ("approved", "disbursed")
XLSX_MIMETYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT: Final = "#,##0.00"
DATE_FORMAT: Final = "yyyy-mm-dd"

#: (header, column width) in sheet order.
COLUMNS: Final = (
    ("申报编号", 16),
    ("扶持事项", 22),
    ("申请人", 30),
    ("申请人类型", 10),
    ("统一社会信用代码", 22),
    ("公民身份号码（脱敏）", 22),
    ("县（市、区）", 14),
    ("申报年度", 10),
    ("核定金额（元）", 16),
    ("状态", 10),
    ("支付凭证号", 22),
    ("拨付日期", 12),
)


@dataclass(frozen=True)
class ExportFilters:
    program: str | None = None
    state: str | None = None
    batch_id: int | None = None
    district: str | None = None
    year: int | None = None


def may_export(user: User) -> bool:
    return user.has_role(*EXPORT_ROLES)


def _query(user: User, f: ExportFilters) -> sa.Select[tuple[Application]]:
    if f.state is not None and f.state not in EXPORT_STATES:
        raise ValidationFailed("只能导出已核准或已拨付的申报。", errors={"state": ["状态不正确。"]})
    states = (f.state,) if f.state else EXPORT_STATES
    stmt = (
        sa.select(Application)
        .where(
            Application.state.in_(states),
            visibility_filter(user),
            # A recognition pays nothing: never on a payout list.
            Application.program_id.in_(sa.select(Program.id).where(Program.outcome == "payment")),
        )
        .options(
            joinedload(Application.batch),
            joinedload(Application.organization),
            joinedload(Application.person),
        )
        .order_by(Application.number)
    )
    if f.program:
        stmt = stmt.where(Application.program.has(Program.code == f.program))
    if f.batch_id is not None:
        stmt = stmt.where(Application.batch_id == f.batch_id)
    if f.district:
        stmt = stmt.where(Application.district == f.district)
    if f.year is not None:
        stmt = stmt.where(Application.batch.has(Batch.year == f.year))
    return stmt


def _cell(ws, value, *, fmt: str | None = None, bold: bool = False):  # noqa: ANN001, ANN202
    cell = WriteOnlyCell(ws, value=value)
    if fmt:
        cell.number_format = fmt
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    return cell


def _masked_id(case: Application) -> str:
    """Only ever the masked number (stored masked at registration)."""
    person = case.person
    return person.id_number_masked if person is not None else ""


def export_cases(user: User, filters: ExportFilters | None = None) -> tuple[IO[bytes], str, int]:
    """The workbook as a file positioned at its start, its download name, and the number
    of cases in it."""
    if not may_export(user):
        raise Forbidden("只有财政、市级审核人员和管理员可以导出核准与拨付清单。")
    f = filters or ExportFilters()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("核准与拨付")
    for i, (_header, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, h, bold=True) for h, _w in COLUMNS])
    total = Decimal("0.00")
    count = 0
    result = db.session.execute(_query(user, f).execution_options(yield_per=500))
    for case in result.scalars():
        org = case.organization
        amount = case.approved_amount
        ws.append(
            [
                case.number,
                case.program.name,
                case.applicant_name,
                "单位" if org is not None else "个人",
                org.credit_code if org is not None else "",
                _masked_id(case),
                district_name(case.district),
                case.batch.year if case.batch is not None else None,
                _cell(ws, amount, fmt=MONEY_FORMAT) if amount is not None else None,
                state_label(case.state),
                case.payment_reference or "",
                _cell(ws, case.disbursed_on, fmt=DATE_FORMAT) if case.disbursed_on else None,
            ]
        )
        total += amount or Decimal("0.00")
        count += 1
    ws.append(
        [
            _cell(ws, "合计", bold=True),
            f"{count} 件",
            *([None] * 6),
            _cell(ws, total, fmt=MONEY_FORMAT),
        ]
    )

    info = wb.create_sheet("说明")
    for row in (
        ("导出时间", now().strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("业务日期", today().isoformat()),
        ("导出人", user.username),
        ("范围", "、".join(state_label(s) for s in ((f.state,) if f.state else EXPORT_STATES))),
        ("件数", count),
        ("个人信息", "公民身份号码已脱敏；本表仅供资金拨付使用，不得外传。"),
    ):
        info.append(list(row))

    # The export is recorded (and the audit chain's head released) before the workbook is
    # written out, as its own unit of work.
    with unit_of_work():
        audit.record(
            "export.cases",
            actor=user,
            role=next((r for r in EXPORT_ROLES if user.has_role(r)), None),
            details={"count": count, "filters": {k: v for k, v in asdict(f).items() if v}},
        )

    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned
    wb.save(out)
    out.seek(0)
    return out, f"核准与拨付清单-{today().isoformat()}.xlsx", count
