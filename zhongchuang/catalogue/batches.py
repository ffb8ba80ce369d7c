"""Application batches (申报批次): window, fiscal year, budget. Admins only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.errors import Forbidden, NotFound, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import Batch, Program, User
from zhongchuang.review.queues import forget_filter_choices
from zhongchuang.runtime import now
from zhongchuang.uow import after_commit, operation

MAX_BUDGET = Decimal("1000000000000")


def _check(
    opens_on: date | None, closes_on: date | None, budget: Decimal | None, year: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes_on"] = ["截止日期不能早于开始日期。"]
    if budget is not None and not (Decimal(0) <= budget < MAX_BUDGET):
        errors["budget"] = ["预算须为非负金额。"]
    if budget is not None and budget != budget.quantize(Decimal("0.01")):
        errors["budget"] = ["预算最多两位小数。"]
    if year is not None and not 2000 <= year <= 2100:
        errors["year"] = ["年度不正确。"]
    return errors


def _require_admin(user: User | None) -> None:
    if user is not None and not user.has_role("admin"):
        raise Forbidden("只有系统管理员可以管理申报批次。")


@operation
def create_batch(
    user: User | None,
    program_code: str,
    year: int,
    opens_on: date,
    closes_on: date,
    budget: Decimal,
    name: str | None = None,
) -> Batch:
    _require_admin(user)
    program = db.session.execute(
        sa.select(Program).where(Program.code == program_code)
    ).scalar_one_or_none()
    errors = _check(opens_on, closes_on, budget, year)
    if program is None:
        errors["program"] = [f"没有代码为 {program_code!r} 的扶持事项。"]
    if errors:
        raise ValidationFailed("批次信息有误。", errors=errors)
    assert program is not None
    batch = Batch(
        program_id=program.id,
        name=name or f"{year}年度{program.name}",
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        budget=budget.quantize(Decimal("0.01")),
        reserved=Decimal("0.00"),
        consumed=Decimal("0.00"),
        created_at=now(),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "admin.batch_create",
        actor=user,
        role="admin" if user else None,
        actor_name=None if user else "cli",
        details={
            "batch_id": batch.id,
            "program": program_code,
            "year": year,
            "opens_on": opens_on.isoformat(),
            "closes_on": closes_on.isoformat(),
            "budget": f"{batch.budget:.2f}",
        },
    )
    after_commit(_forget_filter_choices, once=True)
    return batch


@operation
def update_batch(
    user: User | None,
    batch_id: int,
    *,
    opens_on: date | None = None,
    closes_on: date | None = None,
    budget: Decimal | None = None,
    name: str | None = None,
) -> Batch:
    """Change a batch's window or budget; the budget never drops below what is held."""
    _require_admin(user)
    batch = db.session.execute(
        sa.select(Batch).where(Batch.id == batch_id).with_for_update()
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound("未找到该批次。")
    new_open = opens_on or batch.opens_on
    new_close = closes_on or batch.closes_on
    errors = _check(new_open, new_close, budget, None)
    if budget is not None and budget < batch.reserved + batch.consumed:
        errors.setdefault("budget", []).append(
            f"预算不能低于已占用的 {batch.reserved + batch.consumed:.2f} 元"
            "（已核定待拨付与已拨付之和）。"
        )
    if errors:
        raise ValidationFailed("批次信息有误。", errors=errors)
    before = {
        "opens_on": batch.opens_on.isoformat(),
        "closes_on": batch.closes_on.isoformat(),
        "budget": f"{batch.budget:.2f}",
    }
    batch.opens_on, batch.closes_on = new_open, new_close
    if budget is not None:
        batch.budget = budget.quantize(Decimal("0.01"))
    if name:
        batch.name = name
    audit.record(
        "admin.batch_update",
        actor=user,
        role="admin" if user else None,
        details={
            "batch_id": batch.id,
            "from": before,
            "to": {
                "opens_on": batch.opens_on.isoformat(),
                "closes_on": batch.closes_on.isoformat(),
                "budget": f"{batch.budget:.2f}",
            },
        },
    )
    after_commit(_forget_filter_choices, once=True)
    return batch


def list_batches(program_code: str | None = None) -> list[Batch]:
    stmt = sa.select(Batch).join(Program).order_by(Batch.opens_on.desc(), Batch.id.desc())
    if program_code:
        stmt = stmt.where(Program.code == program_code)
    return list(db.session.execute(stmt).scalars())


def _forget_filter_choices() -> None:

    forget_filter_choices()
