"""Expert review (专家评审): a city reviewer assigns experts to a case, replaces one who
declared 回避, and who sees which scores.

Scores stay hidden between experts: an expert sees only their own score and opinion until
every expert still assigned (not recused) has scored; the other staff see them all.
:func:`expert_review` is the one query the case page and the API ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    rows = db.session.execute(
        sa.select(ExpertAssignment.expert_id, ExpertAssignment.recused).where(
            ExpertAssignment.application_id == case.id
        )
    ).all()
    existing = {e for e, _r in rows}
    recused = [i for i in ids if i in {e for e, r in rows if r}]
    if recused:
        raise ValidationFailed(
            "已声明回避的专家不能再指派评审该案件，请另选专家。",
            errors={"user_ids": [f"用户 {i} 已声明回避。" for i in recused]},
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


# --- who sees which scores ---------------------------------------------------------------


def sees_every_score(user: User) -> bool:
    """Staff other than experts (city and county reviewers, finance, admins) see every
    expert's score and opinion at once; an expert only alongside one of those roles."""
    return user.has_role("county_reviewer", "city_reviewer", "finance", "admin")


def all_scored(rows: list[ExpertAssignment]) -> bool:
    """Every expert still assigned (not recused) has scored, and there is at least one."""
    active = [r for r in rows if not r.recused]
    return bool(active) and all(r.score is not None for r in active)


@dataclass
class ExpertReview:
    """专家评审 of one case as ``user`` may see it."""

    #: The assignments shown, in assignment order: all of them to other staff and, once
    #: every expert has scored, to the experts; before that an expert sees only their own.
    rows: list[ExpertAssignment] = field(default_factory=list)
    #: Whether the scores of the rows shown may be read (all rows shown are then visible).
    revealed: bool = False
    scored: int = 0
    recused: int = 0
    #: Assigned, not recused, not yet scored.
    pending: int = 0


def expert_review(user: User, case_id: int) -> ExpertReview:
    """The experts of a case and their scores, as ``user`` may see them (the case itself
    already checked visible to them)."""
    rows = assignments(case_id)
    done = all_scored(rows)
    every = sees_every_score(user)
    shown = rows if every or done else [r for r in rows if r.expert_id == user.id]
    return ExpertReview(
        rows=shown,
        revealed=every or done,
        scored=sum(1 for r in rows if r.score is not None and not r.recused),
        recused=sum(1 for r in rows if r.recused),
        pending=sum(1 for r in rows if r.score is None and not r.recused),
    )


#: What an expert_score event records that another expert may not read before the reveal.
_HIDDEN_DETAILS = frozenset({"scores", "score", "expert_opinion"})


def visible_details(user: User, case_id: int, events: list[Any]) -> dict[int, dict[str, Any]]:
    """The audit details of ``events`` as ``user`` may read them: another expert's scores
    and opinion are left out until every expert has scored (``{event id: details}``)."""
    out = {ev.id: dict(ev.details or {}) for ev in events}
    if sees_every_score(user) or all_scored(assignments(case_id)):
        return out
    for ev in events:
        if ev.action == "expert_score" and ev.actor_id != user.id:
            out[ev.id] = {k: v for k, v in out[ev.id].items() if k not in _HIDDEN_DETAILS}
    return out
