"""Expert review (专家评审): a city reviewer assigns experts to a case."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from zhongchuang.audit import chain as audit
from zhongchuang.cases.engine import get_visible
from zhongchuang.errors import Forbidden, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import ExpertAssignment, User, UserRole
from zhongchuang.runtime import now
from zhongchuang.uow import operation


@operation
def assign_experts(user: User, case_id: int, expert_ids: list[int]) -> list[ExpertAssignment]:
    if not user.has_role("city_reviewer"):
        raise Forbidden("只有市级审核人员可以指派专家。")
    case = get_visible(user, case_id, lock=True)
    if not case.program.expert_review:
        raise ValidationFailed("该事项不需要专家评审。", code="invalid_transition", status=409)
    if case.state != "county_approved":
        raise ValidationFailed(
            "只有初审通过、尚未完成专家评审的申报可以指派专家。",
            code="invalid_transition",
            status=409,
        )
    ids = list(dict.fromkeys(int(i) for i in expert_ids))
    if not ids:
        raise ValidationFailed("请选择专家。", errors={"user_ids": ["至少选择一名专家。"]})
    experts = set(
        db.session.execute(
            sa.select(User.id)
            .join(UserRole)
            # An id no database column can hold is simply not an expert (never a 500).
            .where(
                User.id.in_([i for i in ids if 0 < i < 2**31]),
                UserRole.role == "expert",
                User.active.is_(True),
            )
        ).scalars()
    )
    unknown = [i for i in ids if i not in experts]
    if unknown:
        raise ValidationFailed(
            "所选用户不是在职专家。", errors={"user_ids": [f"用户 {i} 不是专家。" for i in unknown]}
        )
    existing = set(
        db.session.execute(
            sa.select(ExpertAssignment.expert_id).where(ExpertAssignment.application_id == case.id)
        ).scalars()
    )
    added = []
    for expert_id in ids:
        if expert_id in existing:
            continue
        row = ExpertAssignment(
            application_id=case.id, expert_id=expert_id, assigned_by=user.id, assigned_at=now()
        )
        db.session.add(row)
        added.append(row)
    audit.record(
        "case.experts_assigned",
        actor=user,
        role="city_reviewer",
        application_id=case.id,
        details={"experts": ids},
    )
    case.updated_at = now()
    return added


def assignments(case_id: int) -> list[ExpertAssignment]:
    """The experts assigned to a case, in the order they were assigned (with each expert)."""
    return list(
        db.session.execute(
            sa.select(ExpertAssignment)
            .where(ExpertAssignment.application_id == case_id)
            .options(selectinload(ExpertAssignment.expert))
            .order_by(ExpertAssignment.id)
        ).scalars()
    )
