"""Small roster files and a 招用大学生社保补贴 world for the roster tests."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from zhongchuang.cases import engine as cases
from zhongchuang.extensions import db
from zhongchuang.models import Batch, MakerSpace, Organization, Program
from zhongchuang.policy.identity import make_credit_code, make_id_number
from zhongchuang.policy.roster import ROSTER_FIELDS
from zhongchuang.runtime import now

HEADER_ZH = list(ROSTER_FIELDS.values())
HEADER_EN = list(ROSTER_FIELDS)
PERIOD = {"period_start": "2020-07", "period_end": "2020-12"}
#: One person-month's employer contributions: 320 + 160 + 10.
ROW_AMOUNT = Decimal("490.00")


def graduate_id(seq: int, birth: date = date(1998, 5, 1)) -> str:
    return make_id_number("330402", birth, seq)


def row(
    id_number: str,
    month: str = "2020-07",
    name: str = "张小三",
    **changes: Any,
) -> list[Any]:
    """A valid row (graduated 2020-06-30, hired 2020-07-01 for three years) as cells in
    the order of ROSTER_FIELDS; keyword arguments replace single cells."""
    values: dict[str, Any] = {
        "name": name,
        "id_number": id_number,
        "school": "嘉兴学院",
        "graduation_date": "2020-06-30",
        "contract_start": "2020-07-01",
        "contract_end": "2023-06-30",
        "month": month,
        "pension": "320.00",
        "medical": "160.00",
        "unemployment": "10.00",
    }
    values.update(changes)
    return [values[k] for k in ROSTER_FIELDS]


def months(first: int, last: int, year: int = 2020) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


def person_rows(id_number: str, month_list: list[str], name: str = "张小三") -> list[list[Any]]:
    return [row(id_number, m, name) for m in month_list]


def csv_bytes(
    rows: list[list[Any]], header: list[str] | None = None, encoding: str = "utf-8"
) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header or HEADER_ZH)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None, before: int = 0) -> bytes:
    """An XLSX workbook; ``before`` title rows above the header."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    for _ in range(before):
        ws.append(["某某科技有限公司招用高校毕业生花名册"])
    ws.append(header or HEADER_ZH)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class RosterWorld:
    """A batch, a recognised maker space and two small enterprises; other accounts are
    made when a test first asks for them (each account costs a password hash)."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        program = db.session.execute(
            sa.select(Program).where(Program.code == "graduate_social_insurance")
        ).scalar_one()
        t = now()
        db.session.add(
            Batch(
                program_id=program.id,
                year=2021,
                opens_on=date(2021, 3, 1),
                closes_on=date(2021, 4, 30),
                budget=Decimal("1000000.00"),
                created_at=t,
            )
        )
        operator = Organization(
            name="南湖创客汇运营有限公司",
            credit_code=make_credit_code("330402", "MA9000001"),
            kind="operator",
            district="330402",
            created_at=t,
        )
        db.session.add(operator)
        db.session.flush()
        self.space = MakerSpace(
            name="南湖创客汇",
            space_type="maker_incubation",
            level="city",
            district="330402",
            recognised_on=date(2019, 1, 1),
            operator_id=operator.id,
        )
        db.session.add(self.space)
        db.session.commit()
        self.enterprise = factory.organization(kind="enterprise", size="small", username="ent1")

    @cached_property
    def other_enterprise(self) -> Any:
        return self.factory.organization(kind="enterprise", size="micro", username="ent2")

    @cached_property
    def outsider(self) -> Any:
        return self.factory.organization(kind="enterprise", size="small", username="ent3")

    @cached_property
    def county(self) -> Any:
        return self.factory.staff("county_reviewer", district="330402", username="nanhu")

    @cached_property
    def city(self) -> Any:
        return self.factory.staff("city_reviewer", username="city")

    def draft(self, user: Any = None, **data: Any) -> Any:
        values = {"maker_space_id": self.space.id, **PERIOD, **data}
        return cases.create_draft(user or self.enterprise, "graduate_social_insurance", values)


def make_world(factory: Any) -> RosterWorld:
    return RosterWorld(factory)
