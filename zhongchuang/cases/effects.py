"""What the workflow's actions do, applied by name.

``workflow.machine`` declares, per action, its ``prepare`` steps, ``checks`` and
``effects`` by name; this module holds the one applier for each name, and the engine
(``services.cases.act``) runs them in the declared order inside the action's transaction.
An applier reads and writes the :class:`ActionContext`; it never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zhongchuang.cases import attachments, eligibility
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import (
    Application,
    Batch,
    ExpertAssignment,
    MakerSpace,
    Objection,
    Program,
    User,
)
from zhongchuang.policy.parameters import ParameterError, ParameterTable
from zhongchuang.runtime import now
from zhongchuang.workflow import budget as budget_rules
from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow.guards import ActionRequest
from zhongchuang.workflow.machine import (
    CHECKS,
    EFFECTS,
    HOLDING_STATES,
    PREPARATIONS,
    ActionSpec,
)


@dataclass
class ActionInput:
    """What the actor gives with an action (form fields or API body)."""

    version: int | None = None
    reason: str | None = None
    articles: list[str] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)
    amount: Decimal | None = None
    score: int | None = None
    comment: str | None = None
    payment_reference: str | None = None
    objection_id: int | None = None
    #: 审核意见 on a decision (``workflow.machine.DECISIONS``), kept in the history.
    opinion: str | None = None
    #: 一次性告知 on a return: ``[{"target": field or attachment kind, "message"}]``.
    items: list[dict[str, str]] = field(default_factory=list)
    #: 专家评分: points per criterion code (the total is computed from them).
    scores: dict[str, int] | None = None
    #: 回避: the expert declares a conflict of interest instead of scoring.
    conflict_declared: bool = False


@dataclass
class ActionContext:
    """One action on one case while it is applied."""

    user: User | None
    case: Application
    spec: ActionSpec
    inp: ActionInput
    batch: Batch | None
    params: ParameterTable
    today: date
    #: Facts the preparations add for the guards (e.g. the eligibility judged at submit).
    facts: dict[str, Any] = field(default_factory=dict)
    outcome: eligibility.CaseOutcome | None = None
    objection: Objection | None = None
    request: ActionRequest | None = None
    from_state: str = ""
    #: What the audit event records besides the transition.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def money_program(self) -> bool:
        return moves_money(self.case.program)

    @property
    def approved(self) -> Decimal:
        assert self.case.approved_amount is not None
        return self.case.approved_amount


Step = Callable[[ActionContext], None]


def moves_money(program: Program) -> bool:
    """Whether the program pays an amount (its catalogue entry has an amount rule)."""
    return bool(program.definition.get("amount", {}).get("kind", "none") != "none")


def _s(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- preparations (before the guards) --------------------------------------------------


def judge_eligibility(ctx: ActionContext) -> None:
    """Submit: the program's rules judged as of today, with the amount it would claim."""
    if ctx.case.state not in ctx.spec.sources:
        return  # the guards refuse the transition itself
    outcome = eligibility.evaluate_case(ctx.case, ctx.today, ctx.params)
    ctx.outcome = outcome
    ctx.facts.update(outcome.submission_facts())


def find_objection(ctx: ActionContext) -> None:
    """A ruling on an objection: the one named, or the case's oldest open one."""
    case, wanted = ctx.case, ctx.inp.objection_id
    if wanted is None:
        obj = db.session.execute(
            sa.select(Objection)
            .where(Objection.application_id == case.id, Objection.status == "open")
            .order_by(Objection.id)
            .limit(1)
        ).scalar_one_or_none()
    else:
        obj = db.session.get(Objection, wanted)
        if obj is not None and obj.application_id != case.id:
            obj = None
    if obj is None or obj.status != "open":
        raise ValidationFailed(
            "没有待处理的异议。", errors={"objection_id": ["该案件没有这条待处理的异议。"]}
        )
    ctx.objection = obj


def default_amount(ctx: ActionContext) -> None:
    """Unless the city reviewer sets another, the approved amount is the computed one."""
    if ctx.inp.amount is None and ctx.money_program:
        ctx.inp.amount = ctx.case.computed_amount


def find_missing_attachments(ctx: ActionContext) -> None:
    """Submit: the materials required on the submission day that have no file yet, as
    ``(kind, label)`` for the guards (reported with the eligibility failures, all at once)."""
    if ctx.case.state not in ctx.spec.sources:
        return  # the guards refuse the transition itself
    missing = attachments.missing(ctx.case, ctx.today, ctx.params)
    ctx.facts["missing_attachments"] = tuple((m.kind, m.label) for m in missing)


# --- checks (after the guards) ---------------------------------------------------------


# --- effects (with the transition) -----------------------------------------------------


def keep_eligibility(ctx: ActionContext) -> None:
    outcome, case = ctx.outcome, ctx.case
    assert outcome is not None
    case.eligible = outcome.eligible
    case.computed_amount = outcome.amount
    case.explanation = outcome.explanation
    case.snapshot = outcome.snapshot
    case.catalogue_version_id = outcome.catalogue_version_id
    case.submitted_on = ctx.today
    eligibility.replace_claims(case, outcome.claims)
    ctx.details["computed_amount"] = _s(outcome.amount)
    ctx.details["eligible"] = outcome.eligible


#: 查询码 alphabet: no 0/O, 1/I/L that a reader could confuse.
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def assign_query_code(ctx: ActionContext) -> None:
    """受理: the six-character 查询码 the 受理通知书 carries (kept if the case has one)."""
    if not ctx.case.query_code:
        ctx.case.query_code = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(6))


def clear_correction(ctx: ActionContext) -> None:
    """A resubmitted case has answered its correction (the items stay in the history)."""
    ctx.case.correction = None
    ctx.case.correction_due_on = None


#: 补正期限 (working days from the return) and whether an overdue correction lapses.
CORRECTION_DAYS_PARAMETER = "correction_working_days"
LAPSE_PARAMETER = "lapse_when_correction_overdue"


def _correction_targets(program: Program) -> dict[str, str]:
    spec = eligibility.program_spec(program)
    return {f.name: f.label for f in spec.fields} | {a.kind: a.label for a in spec.attachments}


def record_correction(ctx: ActionContext) -> None:
    """一次性告知: every item to correct (a field or a material of the program, with its
    message) and the 补正期限, on the case and in the audit event."""
    labels = _correction_targets(ctx.case.program)
    unknown = [str(i.get("target")) for i in ctx.inp.items if i.get("target") not in labels]
    if unknown:
        raise ValidationFailed(
            "补正事项须对应本事项的填报项目或申报材料。",
            errors={"items": [f"“{t}”不是本事项的填报项目或材料。" for t in unknown]},
        )
    items = [
        {"target": str(i["target"]), "label": labels[i["target"]], "message": str(i["message"])}
        for i in ctx.inp.items
    ]
    days = int(ctx.params.value(CORRECTION_DAYS_PARAMETER, ctx.today))
    due = wcal.due_date(ctx.today, days)
    try:
        lapses = bool(int(ctx.params.value(LAPSE_PARAMETER, ctx.today)))
    except ParameterError:
        lapses = False
    ctx.case.correction = {
        "reason": (ctx.inp.reason or "").strip() or None,
        "items": items,
        "due_on": due.isoformat(),
        "lapses": lapses,
    }
    ctx.case.correction_due_on = due
    ctx.details["items"] = items
    ctx.details["correction_due_on"] = due.isoformat()


def release_claims(ctx: ActionContext) -> None:
    eligibility.release_claims(ctx.case)


def note_first_approver(ctx: ActionContext) -> None:
    ctx.case.first_approver_id = ctx.user.id if ctx.user else None


def record_score(ctx: ActionContext) -> None:
    """专家评分: the points per criterion, their total (computed) and the opinion; or, with
    a 回避 declared, the assignment marked recused (no score), for another expert."""
    assert ctx.user is not None
    assignment = db.session.execute(
        sa.select(ExpertAssignment).where(
            ExpertAssignment.application_id == ctx.case.id,
            ExpertAssignment.expert_id == ctx.user.id,
        )
    ).scalar_one()
    opinion = (ctx.inp.opinion or "").strip() or (ctx.inp.comment or "").strip() or None
    if ctx.inp.conflict_declared:
        assignment.recused = True
        assignment.recused_at = now()
        assignment.comment = opinion
        ctx.details["conflict_declared"] = True
        ctx.details["recused"] = "专家声明回避，不参与本案评审，由市级审核人员另行指派。"
        if opinion:
            ctx.details["expert_opinion"] = opinion
        return
    points = {code: int(value) for code, value in (ctx.inp.scores or {}).items()}
    assignment.scores = points
    assignment.score = sum(points.values())
    assignment.comment = opinion
    assignment.scored_at = now()
    ctx.details["scores"] = points
    ctx.details["score"] = assignment.score
    ctx.details["expert_opinion"] = opinion


def average_scores(ctx: ActionContext) -> None:
    avg = db.session.execute(
        sa.select(sa.func.avg(ExpertAssignment.score)).where(
            ExpertAssignment.application_id == ctx.case.id,
            ExpertAssignment.score.is_not(None),
            ExpertAssignment.recused.is_(False),
        )
    ).scalar()
    ctx.case.score_average = (
        Decimal(str(avg)).quantize(Decimal("0.01")) if avg is not None else None
    )
    ctx.details["score_average"] = _s(ctx.case.score_average)


def reserve_budget(ctx: ActionContext) -> None:
    """The approved amount fixed and reserved in the batch (a recognition: none)."""
    case, batch = ctx.case, ctx.batch
    amount = ctx.inp.amount if ctx.inp.amount is not None else case.computed_amount
    if ctx.money_program:
        assert batch is not None
        assert amount is not None
        batch.reserved = budget_rules.reserve(batch.budget, batch.reserved, batch.consumed, amount)
        case.approved_amount = amount
        ctx.details["approved_amount"] = _s(case.approved_amount)
    else:
        case.approved_amount = None  # a recognition has no amount (API.md, release 2)


def release_budget(ctx: ActionContext) -> None:
    """What the case holds in its batch goes back (only a case that holds a reservation)."""
    case, batch = ctx.case, ctx.batch
    if ctx.from_state in HOLDING_STATES and case.approved_amount and batch is not None:
        batch.reserved = budget_rules.release(batch.reserved, case.approved_amount)
        ctx.details["released"] = _s(case.approved_amount)


def _rule_objection(ctx: ActionContext, status: str) -> None:
    obj = ctx.objection
    assert obj is not None
    obj.status = status
    obj.ruling_reason = (ctx.inp.reason or "").strip() or None
    obj.ruled_by = ctx.user.id if ctx.user else None
    obj.ruled_at = now()
    ctx.details["objection_id"] = obj.id


def uphold_objection(ctx: ActionContext) -> None:
    _rule_objection(ctx, "upheld")


def dismiss_objection(ctx: ActionContext) -> None:
    _rule_objection(ctx, "dismissed")


def recognise_space(ctx: ActionContext) -> None:
    """A recognition program's case, once its notice is over, recognises its space."""
    case = ctx.case
    if case.program.outcome != "recognition":
        return
    data = case.data or {}
    space = MakerSpace(
        name=str(data.get("space_name") or case.applicant_name),
        address=str(data.get("address") or "") or None,
        space_type=str(data.get("space_type") or ""),
        level="city",
        district=str(data.get("district") or case.district),
        recognised_on=ctx.today,
        operator_id=case.organization_id,
        application_id=case.id,
        certificate_number=_certificate_number(ctx.today),
    )
    db.session.add(space)
    db.session.flush()
    ctx.details["maker_space_id"] = space.id
    ctx.details["certificate_number"] = space.certificate_number


def _certificate_number(on: date) -> str:
    """认定证书编号: the year and the space's place in that year's recognitions
    (``2021-0003``). The issuing office's own prefix is data of issue 20 (文书), not code."""
    year = f"{on.year}-"
    last = db.session.execute(
        sa.select(sa.func.max(MakerSpace.certificate_number)).where(
            MakerSpace.certificate_number.like(f"{year}%")
        )
    ).scalar()
    n = int(str(last)[len(year) :]) + 1 if last and str(last)[len(year) :].isdigit() else 1
    return f"{year}{n:04d}"


def consume_budget(ctx: ActionContext) -> None:
    batch = ctx.batch
    assert batch is not None
    if ctx.case.approved_amount:
        batch.reserved, batch.consumed = budget_rules.consume(
            batch.reserved, batch.consumed, ctx.approved
        )


def record_payment(ctx: ActionContext) -> None:
    assert ctx.request is not None
    ctx.case.payment_reference = ctx.request.payment_reference
    ctx.case.disbursed_on = ctx.today
    ctx.details["payment_reference"] = ctx.case.payment_reference
    ctx.details["amount"] = _s(ctx.case.approved_amount)


#: The one applier of each declared name (``workflow.machine``).
PREPARE: dict[str, Step] = {
    "judge_eligibility": judge_eligibility,
    "find_objection": find_objection,
    "default_amount": default_amount,
    "find_missing_attachments": find_missing_attachments,
}
CHECK: dict[str, Step] = {}
APPLY: dict[str, Step] = {
    "keep_eligibility": keep_eligibility,
    "assign_query_code": assign_query_code,
    "clear_correction": clear_correction,
    "record_correction": record_correction,
    "release_claims": release_claims,
    "note_first_approver": note_first_approver,
    "record_score": record_score,
    "average_scores": average_scores,
    "reserve_budget": reserve_budget,
    "release_budget": release_budget,
    "uphold_objection": uphold_objection,
    "dismiss_objection": dismiss_objection,
    "recognise_space": recognise_space,
    "consume_budget": consume_budget,
    "record_payment": record_payment,
}
assert PREPARE.keys() == PREPARATIONS.keys()
assert CHECK.keys() == CHECKS.keys()
assert APPLY.keys() == EFFECTS.keys()


def run(steps: dict[str, Step], names: tuple[str, ...], ctx: ActionContext) -> None:
    for name in names:
        steps[name](ctx)
