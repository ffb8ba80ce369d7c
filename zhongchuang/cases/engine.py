"""Cases: drafts, visibility, and the one service that applies a workflow action.

``act`` is the engine: it locks the case (and the batch when money moves), asks the
workflow guards, applies the transition and the effects the action declares
(``workflow.machine``, applied by ``services.case_effects``), writes the audit event and
tells the applicant — all in one unit of work, or nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from zhongchuang.audit import chain as audit
from zhongchuang.cases import effects, eligibility, stays, time_limits
from zhongchuang.cases.effects import ActionContext, ActionInput
from zhongchuang.cases.eligibility import (
    applicant_may_apply,
    case_district,
    clean_data,
    expert_criteria,
    max_award,
    min_expert_scores,
    parameter_table,
    time_limit,
)
from zhongchuang.cases.visibility import CITY_WIDE_ROLES, get_visible, visibility_filter
from zhongchuang.cases.visibility import is_own as _is_own
from zhongchuang.documents import issuing
from zhongchuang.errors import (
    BatchClosed,
    DuplicateBenefit,
    Forbidden,
    InvalidTransition,
    NotFound,
    PolicyNotInForce,
    ValidationFailed,
    VersionConflict,
)
from zhongchuang.extensions import db
from zhongchuang.messages import notify
from zhongchuang.models import (
    Application,
    Batch,
    ExpertAssignment,
    Notice,
    NoticeItem,
    Objection,
    Program,
    User,
)
from zhongchuang.policy.parameters import ParameterTable
from zhongchuang.runtime import now, today
from zhongchuang.uow import operation
from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow.guards import (
    ActionRequest,
    Actor,
    CaseFacts,
    allowed_actions,
    check,
    raise_for,
)
from zhongchuang.workflow.machine import (
    DEFAULT_TIME_LIMITS,
    ActionSpec,
    Outcome,
    current_workflow_for,
    get_action,
    next_state,
    waiting_role,
)

#: Who may see a case is ``services.visibility``'s answer, named here too for the callers.
__all__ = [
    "CITY_WIDE_ROLES",
    "ActionInput",
    "act",
    "actions_for",
    "actor_for",
    "apply_action",
    "case_facts",
    "create_draft",
    "get_visible",
    "open_batch_for",
    "role_for_action",
    "update_draft",
    "visibility_filter",
]
ACTING_ROLE_ORDER = ("applicant", "county_reviewer", "expert", "city_reviewer", "finance", "admin")


# --- actors and visibility -------------------------------------------------------------


def actor_for(user: User | None) -> Actor:
    if user is None:
        return Actor(user_id=None, roles=frozenset(), is_system=True)
    return Actor(
        user_id=user.id,
        roles=frozenset(user.roles),
        district=user.district,
        organization_id=user.organization_id,
        person_id=user.person_id,
    )


def role_for_action(user: User | None, action: str, workflow_id: str) -> str | None:
    """The role in which the user takes an action (for the audit trail)."""
    if user is None:
        return "system"
    spec = get_action(workflow_id, action)
    if spec is None:
        return None
    for role in ACTING_ROLE_ORDER:
        if role in spec.roles and user.has_role(role):
            return role
    return None


# --- drafts ----------------------------------------------------------------------------


def _program(code: str) -> Program:
    prog = db.session.execute(sa.select(Program).where(Program.code == code)).scalar_one_or_none()
    if prog is None:
        raise ValidationFailed(
            "未知的扶持事项。", errors={"program": [f"没有代码为 {code!r} 的扶持事项。"]}
        )
    return prog


def open_batch_for(program: Program, on: date) -> Batch | None:
    return db.session.execute(
        sa.select(Batch)
        .where(Batch.program_id == program.id, Batch.opens_on <= on, Batch.closes_on >= on)
        .order_by(Batch.closes_on)
        .limit(1)
    ).scalar_one_or_none()


def _case_district(user: User, program: Program, data: dict[str, Any]) -> str:

    return case_district(user, program, data)


@operation
def create_draft(
    user: User, program_code: str, data: dict[str, Any] | None = None, batch_id: int | None = None
) -> Application:
    """A new case in ``draft``. Data are checked for shape; eligibility is judged at submit."""

    program = _program(program_code)
    applicant_may_apply(user, program)
    batch = None
    if batch_id is not None:
        batch = db.session.get(Batch, batch_id)
        if batch is None or batch.program_id != program.id:
            raise ValidationFailed(
                "申报批次不存在。", errors={"batch_id": ["该批次不属于此扶持事项。"]}
            )
    else:
        batch = open_batch_for(program, today())
    if batch is None or not batch.is_open(today()):
        raise BatchClosed(f"“{program.name}”当前没有开放的申报批次。")
    cleaned = clean_data(program, data or {}, partial=True)
    t = now()
    case = Application(
        number=f"TMP-{t.timestamp()}-{user.id}",
        program_id=program.id,
        batch_id=batch.id,
        applicant_user_id=user.id,
        organization_id=user.organization_id,
        person_id=user.person_id,
        applicant_name=_applicant_name(user),
        district=_case_district(user, program, cleaned),
        data=cleaned,
        state="draft",
        workflow_id=current_workflow_for(program.expert_review, program_outcome(program)),
        created_at=t,
        updated_at=t,
        state_entered_on=today(),
    )
    db.session.add(case)
    db.session.flush()
    case.number = f"ZC{batch.year}{case.id:07d}"
    audit.record(
        "case.create",
        actor=user,
        role="applicant",
        application_id=case.id,
        to_state="draft",
        details={"program": program.code, "batch_id": batch.id},
    )
    return case


def program_outcome(program: Program) -> Outcome:
    """办理结果 of the program: a recognition, or a payment."""
    return "recognition" if program.outcome == "recognition" else "payment"


def _applicant_name(user: User) -> str:
    if user.organization is not None:
        return user.organization.name
    if user.person is not None:
        return user.person.name
    return user.display_name or user.username


@operation
def update_draft(
    user: User, case_id: int, data: dict[str, Any], version: int | None
) -> Application:
    """Edit a case's data; only its applicant, only in ``draft`` or ``returned``."""

    case = get_visible(user, case_id, lock=True)
    if not _is_own(user, case):
        raise NotFound()
    if case.state not in ("draft", "returned"):
        raise Forbidden("只有草稿或退回补正的申报可以修改。", code="invalid_transition", status=409)
    if version is not None and version != case.version:
        raise VersionConflict()
    merged = {**(case.data or {}), **data}
    cleaned = clean_data(case.program, merged, partial=True)
    changed = sorted(k for k in cleaned if (case.data or {}).get(k) != cleaned.get(k))
    case.data = cleaned
    case.district = _case_district(user, case.program, cleaned)
    case.updated_at = now()
    audit.record(
        "case.edit",
        actor=user,
        role="applicant",
        application_id=case.id,
        details={"fields": changed},
    )
    return case


# --- facts -----------------------------------------------------------------------------


def _time_limit(case: Application, state: str, params: ParameterTable | None = None) -> int | None:

    limit = time_limit(case.program, state, today(), params)
    if limit is None:
        return DEFAULT_TIME_LIMITS.get(state)
    return limit


def case_facts(
    case: Application,
    batch: Batch | None = None,
    *,
    params: ParameterTable | None = None,
    **extra: Any,
) -> CaseFacts:
    """The facts the guards judge the case by. ``params``: the program's parameter table,
    when the caller has already read it (else read here, once)."""

    batch = batch or case.batch
    scores = db.session.execute(
        sa.select(
            ExpertAssignment.expert_id, ExpertAssignment.score, ExpertAssignment.recused
        ).where(ExpertAssignment.application_id == case.id)
    ).all()
    # The notice's end and the open objections: one statement.
    notice_end, open_objections = db.session.execute(
        sa.select(
            sa.select(sa.func.max(Notice.ends_on))
            .join(NoticeItem, NoticeItem.notice_id == Notice.id)
            .where(NoticeItem.application_id == case.id)
            .scalar_subquery(),
            sa.select(sa.func.count())
            .select_from(Objection)
            .where(Objection.application_id == case.id, Objection.status == "open")
            .scalar_subquery(),
        )
    ).one()
    if params is None:
        params = parameter_table(case.program)
    on = case.submitted_on or today()
    values: dict[str, Any] = {
        "id": case.id,
        "workflow_id": case.workflow_id,
        "state": case.state,
        "version": case.version,
        "district": case.district,
        "applicant_user_id": case.applicant_user_id,
        "organization_id": case.organization_id,
        "person_id": case.person_id,
        "first_approver_id": case.first_approver_id,
        "batch_opens_on": batch.opens_on if batch else None,
        "batch_closes_on": batch.closes_on if batch else None,
        "eligible": case.eligible,
        "money_program": effects.moves_money(case.program),
        "computed_amount": case.computed_amount,
        "approved_amount": case.approved_amount,
        "max_award": max_award(case.program, on, params),
        "budget": batch.budget if batch else None,
        "reserved": batch.reserved if batch else Decimal(0),
        "consumed": batch.consumed if batch else Decimal(0),
        "notice_ends_on": _as_date(notice_end),
        "open_objections": int(open_objections or 0),
        "expert_scores": sum(1 for _e, s, r in scores if s is not None and not r),
        "min_expert_scores": min_expert_scores(case.program, on, params),
        "assigned_expert_ids": frozenset(e for e, _s, _r in scores),
        "scored_expert_ids": frozenset(e for e, s, r in scores if s is not None and not r),
        "recused_expert_ids": frozenset(e for e, _s, r in scores if r),
        "expert_criteria": expert_criteria(case.program),
    }
    values.update(extra)
    return CaseFacts(**values)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def actions_for(user: User, case: Application) -> list[str]:
    """What the user may do now on the case (the same predicate the service uses)."""
    return allowed_actions(actor_for(user), case_facts(case), today=today())


# --- the engine ------------------------------------------------------------------------


@operation
def act(
    user: User | None, case_id: int, action: str, inp: ActionInput | None = None
) -> Application:
    """Apply one workflow action to one case, in one unit of work: the case (and its batch
    when money moves) locked, the guards asked, the declared effects applied, the audit
    event written, the applicant told; all of it, or nothing."""
    inp = inp or ActionInput()
    if action == "publish":
        # A case enters its notice only together with the notice itself.
        raise InvalidTransition(
            "公示须通过“发布公示”办理：选择案件、确定公示期后一并发布。",
            code="invalid_transition",
        )
    try:
        case = apply_action(user, case_id, action, inp)
        db.session.flush()
    except IntegrityError as exc:
        if "benefit_claims" in str(exc.orig):
            raise DuplicateBenefit(
                "同一人员（或企业）的同一期间补助已被另一申报占用，不能重复享受。"
            ) from exc
        raise
    spec = get_action(case.workflow_id, action)
    if spec is not None and "applicant" in spec.notify:
        notify.after_action(case, action)
    return case


def _load_for_action(user: User | None, case_id: int) -> Application:
    if user is None:
        case = (
            db.session.execute(
                sa.select(Application)
                .where(Application.id == case_id)
                .with_for_update(of=Application)
            )
            .unique()
            .scalar_one_or_none()
        )
        if case is None:
            raise NotFound()
        return case
    return get_visible(user, case_id, lock=True)


def _context(user: User | None, case_id: int, action: str, inp: ActionInput) -> ActionContext:
    """The case locked and fresh, its batch (locked when the action moves money)."""

    case = _load_for_action(user, case_id)
    db.session.refresh(case)
    if inp.version is not None and inp.version != case.version:
        # The caller saw an older version: whatever it meant to do, the case has moved.
        raise VersionConflict(
            f"该案件已被他人更新（您看到的是第 {inp.version} 版，当前为第 {case.version} 版），"
            "请刷新后重试。"
        )
    spec = get_action(case.workflow_id, action) or ActionSpec(
        action, frozenset(), None, frozenset(), action, action
    )
    batch: Batch | None = None
    if case.batch_id is not None:
        stmt = sa.select(Batch).where(Batch.id == case.batch_id)
        if spec.moves_money:
            stmt = stmt.with_for_update()
        batch = db.session.execute(stmt).scalar_one()
        if spec.moves_money:
            db.session.refresh(batch)
    params = eligibility.parameter_table(case.program)  # read once for the whole action
    return ActionContext(user, case, spec, inp, batch, params, today(), from_state=case.state)


def apply_action(user: User | None, case_id: int, action: str, inp: ActionInput) -> Application:
    """The engine's core, in the caller's unit of work: ``act`` without its refusal of
    ``publish`` (which only ``notices.publish_notice`` applies, with the notice) and
    without telling the applicant."""
    ctx = _context(user, case_id, action, inp)
    case, spec = ctx.case, ctx.spec
    effects.run(effects.PREPARE, spec.prepare, ctx)
    facts = case_facts(case, ctx.batch, params=ctx.params, **ctx.facts)
    ctx.request = req = ActionRequest(
        action=action,
        today=ctx.today,
        version=inp.version,
        reason=(inp.reason or "").strip() or None,
        articles=tuple(inp.articles),
        failed_rules=tuple(inp.failed_rules),
        amount=inp.amount,
        score=inp.score,
        payment_reference=(inp.payment_reference or "").strip() or None,
        items=tuple(inp.items),
        scores=dict(inp.scores) if inp.scores is not None else None,
        conflict_declared=inp.conflict_declared,
        expert_opinion=(inp.opinion or "").strip() or (inp.comment or "").strip() or None,
    )
    decision = check(action, actor_for(user), facts, req)
    outcome = ctx.outcome
    if outcome is not None and not outcome.policy_in_force and not decision.allowed:
        raise PolicyNotInForce(outcome.policy_message)
    raise_for(decision)
    effects.run(effects.CHECK, spec.checks, ctx)

    to_state = next_state(case.workflow_id, case.state, action) if spec.dest else case.state
    effects.run(effects.APPLY, spec.effects, ctx)
    if to_state != ctx.from_state:
        _enter(case, ctx.from_state, to_state, ctx)
    opinion = (inp.opinion or "").strip()
    if opinion and spec.takes_opinion:
        ctx.details["opinion"] = opinion  # 审核意见, in the history and the letters
    # Every action touches the row, so the version moves even without a state change.
    case.updated_at = now()
    event = audit.record(
        "case.action",
        actor=user,
        role=role_for_action(user, action, case.workflow_id),
        application_id=case.id,
        action=action,
        from_state=ctx.from_state,
        to_state=to_state,
        reason=req.reason,
        articles=list(req.articles) + [f"rule:{r}" for r in req.failed_rules],
        details=ctx.details,
        actor_name=None if user else "system",
    )
    db.session.flush()
    if spec.documents:
        issuing.issue_declared(case, event, spec.documents)  # 文书, with the decision
    return case


def _enter(case: Application, from_state: str, to_state: str, ctx: ActionContext) -> None:
    """The case moves: its stay in the old state ends, the new state's time limit starts."""
    stays.record_transition(case, from_state, to_state, ctx.today)
    case.state = to_state
    case.state_entered_on = ctx.today
    limit = (
        _time_limit(case, to_state, ctx.params)
        if waiting_role(to_state, case.workflow_id) not in (None, "applicant")
        else None
    )
    case.due_on = wcal.due_date(ctx.today, limit) if limit else None
    time_limits.enter(case, from_state, to_state, ctx.today, ctx.params)  # 办理时限 from 受理
