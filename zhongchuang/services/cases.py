"""Cases: drafts, visibility, and the one service that applies a workflow action.

``act`` is the engine: it locks the case (and the batch when money moves), asks the
workflow guards, applies the transition and its effects, writes the audit event and
commits — all in one transaction, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

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
from zhongchuang.models import (
    Application,
    Batch,
    ExpertAssignment,
    MakerSpace,
    Notice,
    NoticeItem,
    Objection,
    Program,
    User,
)
from zhongchuang.models.cases import HOLDING_STATES
from zhongchuang.policy.parameters import ParameterTable
from zhongchuang.services import audit, notify, stays
from zhongchuang.services.runtime import now, today
from zhongchuang.workflow import budget as budget_rules
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
    current_workflow_for,
    get_action,
    next_state,
    waiting_role,
)

CITY_WIDE_ROLES = frozenset({"city_reviewer", "finance", "admin"})
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


def visibility_filter(user: User) -> sa.ColumnElement[bool]:
    """Which cases a user may see: applicants their own (or their organisation's), county
    reviewers their district, experts the cases assigned to them, city roles all."""
    roles = set(user.roles)
    clauses: list[sa.ColumnElement[bool]] = []
    if roles & CITY_WIDE_ROLES:
        return sa.true()
    if "county_reviewer" in roles and user.district:
        clauses.append(sa.and_(Application.district == user.district, Application.state != "draft"))
    if "expert" in roles:
        clauses.append(
            Application.id.in_(
                sa.select(ExpertAssignment.application_id).where(
                    ExpertAssignment.expert_id == user.id
                )
            )
        )
    if "applicant" in roles:
        # An applicant acts for an organisation or as a person; one with neither (e.g. a
        # member removed from their organisation) sees no case, not even their own drafts.
        if user.organization_id is not None:
            clauses.append(Application.organization_id == user.organization_id)
        elif user.person_id is not None:
            clauses.append(Application.person_id == user.person_id)
    return sa.or_(*clauses) if clauses else sa.false()


def get_visible(user: User, case_id: int, *, lock: bool = False) -> Application:
    """The case, or NotFound when it does not exist or the user may not see it."""
    stmt = sa.select(Application).where(Application.id == case_id, visibility_filter(user))
    if lock:
        stmt = stmt.with_for_update(of=Application)
    case = db.session.execute(stmt).unique().scalar_one_or_none()
    if case is None:
        raise NotFound()
    return case


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
    from zhongchuang.services.eligibility import case_district

    return case_district(user, program, data)


def create_draft(
    user: User, program_code: str, data: dict[str, Any] | None = None, batch_id: int | None = None
) -> Application:
    """A new case in ``draft``. Data are checked for shape; eligibility is judged at submit."""
    from zhongchuang.services.eligibility import applicant_may_apply, clean_data

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
        workflow_id=current_workflow_for(program.expert_review),
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
    db.session.commit()
    return case


def _applicant_name(user: User) -> str:
    if user.organization is not None:
        return user.organization.name
    if user.person is not None:
        return user.person.name
    return user.display_name or user.username


def update_draft(
    user: User, case_id: int, data: dict[str, Any], version: int | None
) -> Application:
    """Edit a case's data; only its applicant, only in ``draft`` or ``returned``."""
    from zhongchuang.services.eligibility import clean_data

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
    _commit()
    return case


def _is_own(user: User, case: Application) -> bool:
    if case.organization_id is not None:
        return user.organization_id == case.organization_id
    if case.person_id is not None:
        return user.person_id == case.person_id
    return case.applicant_user_id == user.id


# --- facts -----------------------------------------------------------------------------


def _time_limit(case: Application, state: str, params: ParameterTable | None = None) -> int | None:
    from zhongchuang.services.eligibility import time_limit

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
    from zhongchuang.services.eligibility import max_award, min_expert_scores, parameter_table

    batch = batch or case.batch
    scores = db.session.execute(
        sa.select(ExpertAssignment.expert_id, ExpertAssignment.score).where(
            ExpertAssignment.application_id == case.id
        )
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
        "money_program": case.program.definition.get("amount", {}).get("kind", "none") != "none",
        "computed_amount": case.computed_amount,
        "approved_amount": case.approved_amount,
        "max_award": max_award(case.program, on, params),
        "budget": batch.budget if batch else None,
        "reserved": batch.reserved if batch else Decimal(0),
        "consumed": batch.consumed if batch else Decimal(0),
        "notice_ends_on": _as_date(notice_end),
        "open_objections": int(open_objections or 0),
        "expert_scores": sum(1 for _e, s in scores if s is not None),
        "min_expert_scores": min_expert_scores(case.program, on, params),
        "assigned_expert_ids": frozenset(e for e, _s in scores),
        "scored_expert_ids": frozenset(e for e, s in scores if s is not None),
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


@dataclass
class ActionInput:
    version: int | None = None
    reason: str | None = None
    articles: list[str] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)
    amount: Decimal | None = None
    score: int | None = None
    comment: str | None = None
    payment_reference: str | None = None
    objection_id: int | None = None


MONEY_ACTIONS = frozenset({"city_approve", "city_reject", "uphold_objection", "disburse"})


def act(
    user: User | None, case_id: int, action: str, inp: ActionInput | None = None
) -> Application:
    """Apply one workflow action to one case, in one transaction."""
    inp = inp or ActionInput()
    if action == "publish":
        # A case enters its notice only together with the notice itself.
        raise InvalidTransition(
            "公示须通过“发布公示”办理：选择案件、确定公示期后一并发布。",
            code="invalid_transition",
        )
    try:
        case = _act(user, case_id, action, inp)
        _commit()
    except IntegrityError as exc:
        db.session.rollback()
        if "benefit_claims" in str(exc.orig):
            raise DuplicateBenefit(
                "同一人员（或企业）的同一期间补助已被另一申报占用，不能重复享受。"
            ) from exc
        raise
    notify.after_action(case, action)
    return case


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise VersionConflict() from exc


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


def _act(user: User | None, case_id: int, action: str, inp: ActionInput) -> Application:
    from zhongchuang.services import eligibility

    case = _load_for_action(user, case_id)
    db.session.refresh(case)
    if inp.version is not None and inp.version != case.version:
        # The caller saw an older version: whatever it meant to do, the case has moved.
        raise VersionConflict(
            f"该案件已被他人更新（您看到的是第 {inp.version} 版，当前为第 {case.version} 版），"
            "请刷新后重试。"
        )
    spec = get_action(case.workflow_id, action)
    batch: Batch | None = None
    if case.batch_id is not None:
        stmt = sa.select(Batch).where(Batch.id == case.batch_id)
        if action in MONEY_ACTIONS:
            stmt = stmt.with_for_update()
        batch = db.session.execute(stmt).scalar_one()
        if action in MONEY_ACTIONS:
            db.session.refresh(batch)

    extra: dict[str, Any] = {}
    outcome = None
    params = eligibility.parameter_table(case.program)  # read once for the whole action
    if action == "submit" and spec is not None and case.state in spec.sources:
        outcome = eligibility.evaluate_case(case, today(), params)
        extra.update(
            eligible=outcome.eligible,
            eligibility_failures=tuple(outcome.failures),
            policy_in_force_on_submission=outcome.policy_in_force,
            duplicate_benefit=outcome.duplicate,
            computed_amount=outcome.amount,
        )
    if action == "uphold_objection" or action == "dismiss_objection":
        _objection(case, inp, required=True)
    facts = case_facts(case, batch, params=params, **extra)
    if action == "city_approve" and inp.amount is None and facts.money_program:
        # Unless the city reviewer sets another, the approved amount is the computed one.
        inp.amount = case.computed_amount
    req = ActionRequest(
        action=action,
        today=today(),
        version=inp.version,
        reason=(inp.reason or "").strip() or None,
        articles=tuple(inp.articles),
        failed_rules=tuple(inp.failed_rules),
        amount=inp.amount,
        score=inp.score,
        payment_reference=(inp.payment_reference or "").strip() or None,
    )
    actor = actor_for(user)
    decision = check(action, actor, facts, req)
    if outcome is not None and not outcome.policy_in_force and not decision.allowed:
        raise PolicyNotInForce(outcome.policy_message)
    raise_for(decision)
    if action == "submit":
        from zhongchuang.errors import GuardFailed
        from zhongchuang.services.attachments import missing_attachments

        missing = missing_attachments(case)
        if missing:
            raise GuardFailed(
                f"尚缺必需的附件：{'、'.join(missing)}。请上传后再提交。",
                errors={"attachments": [f"请上传“{label}”。" for label in missing]},
            )

    from_state = case.state
    to_state = (
        next_state(case.workflow_id, case.state, action) if spec and spec.dest else case.state
    )
    role = role_for_action(user, action, case.workflow_id)
    details: dict[str, Any] = {}
    t = today()

    # Effects, before the state moves.
    if action == "submit":
        assert outcome is not None
        case.eligible = outcome.eligible
        case.computed_amount = outcome.amount
        case.explanation = outcome.explanation
        case.snapshot = outcome.snapshot
        case.catalogue_version_id = outcome.catalogue_version_id
        case.submitted_on = t
        eligibility.replace_claims(case, outcome.claims)
        details["computed_amount"] = _s(outcome.amount)
        details["eligible"] = outcome.eligible
    elif action == "county_approve":
        case.first_approver_id = user.id if user else None
    elif action == "city_approve":
        amount = inp.amount if inp.amount is not None else case.computed_amount
        if facts.money_program:
            assert batch is not None
            assert amount is not None
            batch.reserved = budget_rules.reserve(
                batch.budget, batch.reserved, batch.consumed, amount
            )
            case.approved_amount = amount
        else:
            case.approved_amount = Decimal("0.00")
        details["approved_amount"] = _s(case.approved_amount)
    elif action in ("city_reject", "uphold_objection"):
        if from_state in HOLDING_STATES and case.approved_amount and batch is not None:
            batch.reserved = budget_rules.release(batch.reserved, case.approved_amount)
            details["released"] = _s(case.approved_amount)
        eligibility.release_claims(case)
        if action == "uphold_objection":
            obj = _objection(case, inp, required=True)
            _rule_objection(obj, "upheld", user, inp.reason)
            details["objection_id"] = obj.id
    elif action == "dismiss_objection":
        obj = _objection(case, inp, required=True)
        _rule_objection(obj, "dismissed", user, inp.reason)
        details["objection_id"] = obj.id
    elif action in ("county_reject", "withdraw"):
        eligibility.release_claims(case)
    elif action == "expert_score":
        assert user is not None
        assignment = db.session.execute(
            sa.select(ExpertAssignment).where(
                ExpertAssignment.application_id == case.id, ExpertAssignment.expert_id == user.id
            )
        ).scalar_one()
        assignment.score = int(inp.score)  # type: ignore[arg-type]
        assignment.comment = (inp.comment or "").strip() or None
        assignment.scored_at = now()
        details["score"] = assignment.score
    elif action == "expert_conclude":
        avg = db.session.execute(
            sa.select(sa.func.avg(ExpertAssignment.score)).where(
                ExpertAssignment.application_id == case.id, ExpertAssignment.score.is_not(None)
            )
        ).scalar()
        case.score_average = (
            Decimal(str(avg)).quantize(Decimal("0.01")) if avg is not None else None
        )
        details["score_average"] = _s(case.score_average)
    elif action == "conclude_notice":
        if case.program.code == "makerspace_recognition":
            space = _recognise_maker_space(case, t)
            details["maker_space_id"] = space.id
    elif action == "disburse":
        assert batch is not None
        if case.approved_amount:
            batch.reserved, batch.consumed = budget_rules.consume(
                batch.reserved, batch.consumed, case.approved_amount
            )
        case.payment_reference = req.payment_reference
        case.disbursed_on = t
        details["payment_reference"] = case.payment_reference
        details["amount"] = _s(case.approved_amount)

    if to_state != from_state:
        stays.record_transition(case, from_state, to_state, t)
        case.state = to_state
        case.state_entered_on = t
        limit = (
            _time_limit(case, to_state, params)
            if waiting_role(to_state) not in (None, "applicant")
            else None
        )
        case.due_on = wcal.due_date(t, limit) if limit else None
    # Every action touches the row, so the version moves even without a state change.
    case.updated_at = now()
    audit.record(
        "case.action",
        actor=user,
        role=role,
        application_id=case.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=req.reason,
        articles=list(req.articles) + [f"rule:{r}" for r in req.failed_rules],
        details=details,
        actor_name=None if user else "system",
    )
    db.session.flush()
    return case


def _s(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _objection(case: Application, inp: ActionInput, *, required: bool) -> Objection:
    if inp.objection_id is None:
        obj = db.session.execute(
            sa.select(Objection)
            .where(Objection.application_id == case.id, Objection.status == "open")
            .order_by(Objection.id)
            .limit(1)
        ).scalar_one_or_none()
    else:
        obj = db.session.get(Objection, inp.objection_id)
        if obj is not None and obj.application_id != case.id:
            obj = None
    if obj is None or obj.status != "open":
        raise ValidationFailed(
            "没有待处理的异议。", errors={"objection_id": ["该案件没有这条待处理的异议。"]}
        )
    return obj


def _rule_objection(obj: Objection, status: str, user: User | None, reason: str | None) -> None:
    obj.status = status
    obj.ruling_reason = (reason or "").strip() or None
    obj.ruled_by = user.id if user else None
    obj.ruled_at = now()


def _recognise_maker_space(case: Application, on: date) -> MakerSpace:
    data = case.data or {}
    space = MakerSpace(
        name=str(data.get("space_name") or case.applicant_name),
        space_type=str(data.get("space_type") or ""),
        level="city",
        district=str(data.get("district") or case.district),
        recognised_on=on,
        operator_id=case.organization_id,
        application_id=case.id,
    )
    db.session.add(space)
    db.session.flush()
    return space
