"""守卫条件 — who may take which action on a case, and why not.

:func:`check` is the one predicate: the service calls it before a transition, the pages
and the API call :func:`can_act` / :func:`allowed_actions` (the same function) to decide
which buttons to show. It is evaluated in a fixed order — role, jurisdiction, state,
version, then the guards — and stops at the first of the first four that fails (an actor
outside the case's jurisdiction must learn nothing more about it); all failing guards are
reported together. Plain values in and out: no Flask, no models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from zhongchuang import errors
from zhongchuang.workflow import budget as budget_rules
from zhongchuang.workflow import machine
from zhongchuang.workflow.machine import (
    REVIEWING_ROLES,
    TRANSITIONS,
    ActionSpec,
    action_label,
    get_workflow,
    state_label,
)

#: Checked in this order; the first four stop the evaluation.
STAGES: Final = ("role", "jurisdiction", "state", "version", "guards")

SCORE_MIN: Final = Decimal(machine.SCORE_MIN)
SCORE_MAX: Final = Decimal(machine.SCORE_MAX)


@dataclass(frozen=True)
class Actor:
    """操作人 — the user acting, with roles and (for county reviewers) their district."""

    user_id: int | None
    roles: frozenset[str]
    district: str | None = None
    organization_id: int | None = None
    person_id: int | None = None
    is_system: bool = False

    @classmethod
    def system(cls) -> Actor:
        """The scheduled command (系统自动), e.g. ``flask notices close-due``."""
        return cls(user_id=None, roles=frozenset(), is_system=True)


@dataclass(frozen=True, kw_only=True)
class CaseFacts:
    """案件事实 — what the guards need to know about one case, loaded by the service.

    ``reserved`` and ``consumed`` are the batch's figures; ``budget`` ``None`` means the
    batch has no budget set. ``money_program`` says whether city approval sets an amount.
    ``scored_expert_ids`` are the experts who already scored (one score each).
    """

    id: int
    workflow_id: str
    state: str
    version: int
    district: str | None = None
    applicant_user_id: int | None = None
    organization_id: int | None = None
    person_id: int | None = None
    first_approver_id: int | None = None
    batch_opens_on: date | None = None
    batch_closes_on: date | None = None
    policy_in_force_on_submission: bool = True
    eligible: bool | None = None
    #: The failed rules' messages, but for those of a field (``invalid_fields``).
    eligibility_failures: Sequence[str] = ()
    #: ``(field, message)`` of each field left blank or invalid, at submission.
    invalid_fields: Sequence[tuple[str, str]] = ()
    #: ``(kind, label)`` of each material required on the submission day without a file.
    missing_attachments: Sequence[tuple[str, str]] = ()
    duplicate_benefit: str | None = None
    money_program: bool = False
    computed_amount: Decimal | None = None
    approved_amount: Decimal | None = None
    max_award: Decimal | None = None
    budget: Decimal | None = None
    reserved: Decimal = Decimal(0)
    consumed: Decimal = Decimal(0)
    notice_ends_on: date | None = None
    open_objections: int = 0
    expert_scores: int = 0
    min_expert_scores: int = 3
    assigned_expert_ids: frozenset[int] = frozenset()
    scored_expert_ids: frozenset[int] = frozenset()
    #: 回避: assigned experts who declared a conflict (they neither score nor count).
    recused_expert_ids: frozenset[int] = frozenset()
    #: 专家评审指标 of the program, ``(code, max)`` in catalogue order.
    expert_criteria: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ActionRequest:
    """操作请求 — what the actor sends with the action (parsed by form or schema).

    ``articles`` are cited article paths (e.g. ``四(一)``), ``failed_rules`` rule names
    from the explanation; either satisfies "cite at least one article or failed rule".
    """

    action: str
    today: date
    version: int | None = None
    reason: str | None = None
    articles: Sequence[str] = ()
    failed_rules: Sequence[str] = ()
    amount: Decimal | None = None
    score: int | Decimal | None = None
    payment_reference: str | None = None
    #: 一次性告知: the items of a return (``{"target", "message"}``).
    items: Sequence[Mapping[str, str]] = ()
    #: 专家评分: points per criterion code (``expert_score``).
    scores: Mapping[str, int] | None = None
    #: 回避: the expert declares a conflict of interest instead of scoring.
    conflict_declared: bool = False
    #: The expert's opinion (评审意见) with ``expert_score``.
    expert_opinion: str | None = None


@dataclass(frozen=True)
class GuardFailure:
    """一项未通过的条件: ``code`` is the API error code, ``guard`` the condition's name."""

    code: str
    message_zh: str
    message_en: str
    guard: str
    #: The field or attachment kind the failure is about (the API's ``errors`` key), if any.
    target: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    failures: list[GuardFailure] = field(default_factory=list)

    @property
    def code(self) -> str | None:
        """The error code of the first failure (``None`` when allowed)."""
        return self.failures[0].code if self.failures else None

    @property
    def message_zh(self) -> str:
        return "；".join(f.message_zh for f in self.failures)

    @property
    def message_en(self) -> str:
        return "; ".join(f.message_en for f in self.failures)


def _fail(code: str, guard: str, zh: str, en: str, target: str | None = None) -> GuardFailure:
    return GuardFailure(code=code, message_zh=zh, message_en=en, guard=guard, target=target)


def _any_roles(action: str) -> frozenset[str]:
    """The roles of an action in any workflow (an action absent from one workflow is
    still a known action: the role check comes before the state check)."""
    for raw in TRANSITIONS:
        if raw["action"] == action:
            return frozenset(raw["roles"])
    return frozenset()


def _is_system_action(action: str) -> bool:
    return any(raw["action"] == action and raw.get("system", False) for raw in TRANSITIONS)


def _owns(actor: Actor, case: CaseFacts) -> bool:
    """The applicant's own case: same user, or same organisation, or same person."""
    if actor.user_id is not None and actor.user_id == case.applicant_user_id:
        return True
    if actor.organization_id is not None and actor.organization_id == case.organization_id:
        return True
    return actor.person_id is not None and actor.person_id == case.person_id


def _in_jurisdiction(role: str, actor: Actor, case: CaseFacts) -> bool:
    if role == "applicant":
        return _owns(actor, case)
    if role == "county_reviewer":
        return actor.district is not None and actor.district == case.district
    return True  # city reviewers, experts and finance act city-wide


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check(
    action: str,
    actor: Actor,
    case: CaseFacts,
    req: ActionRequest | None,
    *,
    today: date | None = None,
) -> Decision:
    """Whether ``actor`` may take ``action`` on ``case`` with ``req``, and why not.

    With ``req`` ``None`` this is a probe (for buttons): the version and whatever the
    request would supply (reason, articles, amount, score, payment reference) are not
    checked; date guards use ``today`` when given and are skipped otherwise.
    """
    if req is not None:
        if req.action != action:
            raise ValueError(f"request is for {req.action!r}, not {action!r}")
        today = req.today
    label = action_label(action)

    # 1. role (角色) and 2. jurisdiction (管辖)
    granting = _granting_roles(action, actor)
    refusal = _role_refusal(action, actor, granting, label) or _jurisdiction_refusal(
        actor, case, granting
    )
    if refusal is not None:
        return Decision(False, [refusal])

    # 3. state (状态)
    workflow = get_workflow(case.workflow_id)
    spec = workflow.actions.get(action)
    if spec is None or case.state not in spec.sources:
        return Decision(False, [_state_refusal(action, case, workflow.id, label)])

    # 4. version (版本)
    refusal = _version_refusal(case, req)
    if refusal is not None:
        return Decision(False, [refusal])

    # 5. guards (条件)
    failures = _guards(spec, actor, case, req, today)
    return Decision(not failures, failures)


def _granting_roles(action: str, actor: Actor) -> frozenset[str]:
    """The actor's roles that grant ``action`` (none for the system, which has no roles)."""
    if actor.is_system:
        return frozenset()
    return actor.roles & _any_roles(action)


def _role_refusal(
    action: str, actor: Actor, granting: frozenset[str], label: str
) -> GuardFailure | None:
    """Stage 1 (角色): the system runs only system actions, a user needs a granting role."""
    if actor.is_system:
        if _is_system_action(action):
            return None
        return _fail(
            "forbidden",
            "role",
            f"系统不能自动执行“{label}”。",
            f"The system cannot perform {action!r}.",
        )
    if granting:
        return None
    return _fail(
        "forbidden",
        "role",
        f"您的角色无权执行“{label}”。",
        f"Your role may not perform {action!r}.",
    )


def _jurisdiction_refusal(
    actor: Actor, case: CaseFacts, granting: frozenset[str]
) -> GuardFailure | None:
    """Stage 2 (管辖): the case is mapped to "not found" for outsiders."""
    if granting and not any(_in_jurisdiction(role, actor, case) for role in granting):
        return _fail(
            "not_found",
            "jurisdiction",
            "未找到该案件，或您无权查看。",
            "No such case, or you may not see it.",
        )
    return None


def _state_refusal(action: str, case: CaseFacts, workflow_id: str, label: str) -> GuardFailure:
    """Stage 3 (状态): the action is not possible from the case's state in its workflow."""
    return _fail(
        "invalid_transition",
        "state",
        f"案件当前状态为“{state_label(case.state)}”，不能执行“{label}”。",
        f"{action!r} is not possible in state {case.state!r} of workflow {workflow_id!r}.",
    )


def _version_refusal(case: CaseFacts, req: ActionRequest | None) -> GuardFailure | None:
    """Stage 4 (版本): the request was made against an older version of the case."""
    if req is None or req.version is None or req.version == case.version:
        return None
    return _fail(
        "version_conflict",
        "version",
        f"该案件已被他人更新（您的版本 {req.version}，当前版本 {case.version}），请刷新后重试。",
        f"The case has changed (version {req.version}, now {case.version}).",
    )


@dataclass(frozen=True)
class _GuardInput:
    """What a stage-5 guard looks at: the action's declaration and the check's inputs."""

    spec: ActionSpec
    actor: Actor
    case: CaseFacts
    req: ActionRequest | None
    today: date | None


def _guards(
    spec: ActionSpec,
    actor: Actor,
    case: CaseFacts,
    req: ActionRequest | None,
    today: date | None,
) -> list[GuardFailure]:
    """Stage 5 (条件): every guard of :data:`_GUARDS`, in order; all failures together."""
    given = _GuardInput(spec=spec, actor=actor, case=case, req=req, today=today)
    return [failure for guard in _GUARDS for failure in guard(given)]


def _submission_guard(g: _GuardInput) -> list[GuardFailure]:
    """申报: window, policy in force, eligibility and duplicate benefit (see below)."""
    if g.spec.action != "submit":
        return []
    return _submit_guards(g.case, g.today)


def _recusal_guard(g: _GuardInput) -> list[GuardFailure]:
    """回避: nobody reviews a case of their own organisation, nor their own case."""
    actor, case = g.actor, g.case
    if actor.is_system or not (g.spec.roles <= REVIEWING_ROLES):
        return []
    own_org = actor.organization_id is not None and actor.organization_id == (case.organization_id)
    own_case = (actor.user_id is not None and actor.user_id == case.applicant_user_id) or (
        actor.person_id is not None and actor.person_id == case.person_id
    )
    if not (own_org or own_case):
        return []
    return [
        _fail(
            "guard_failed",
            "own_organization",
            "应当回避：不得审核本单位或本人的申报。",
            "You may not review a case of your own organisation or your own case.",
        )
    ]


def _four_eyes_guard(g: _GuardInput) -> list[GuardFailure]:
    """四眼原则: the first-instance approver does not approve at second instance."""
    user_id = g.actor.user_id
    if g.spec.action != "city_approve" or user_id is None or user_id != g.case.first_approver_id:
        return []
    return [
        _fail(
            "guard_failed",
            "four_eyes",
            "四眼原则：初审通过的人员不得进行复审核准。",
            "The user who approved at first instance may not approve at second instance.",
        )
    ]


def _reason_guard(g: _GuardInput) -> list[GuardFailure]:
    """理由: an action declared ``needs_reason`` is refused with a blank reason."""
    action = g.spec.action
    if g.req is None or not g.spec.needs_reason or not _blank(g.req.reason):
        return []
    return [
        _fail(
            "guard_failed",
            "reason",
            f"“{action_label(action)}”须填写理由。",
            f"{action!r} needs a reason.",
        )
    ]


def _articles_guard(g: _GuardInput) -> list[GuardFailure]:
    """引用条款: an action declared ``needs_articles`` cites an article or a failed rule."""
    req, action = g.req, g.spec.action
    if req is None or not g.spec.needs_articles:
        return []
    if any(not _blank(a) for a in req.articles) or any(not _blank(r) for r in req.failed_rules):
        return []
    return [
        _fail(
            "guard_failed",
            "articles",
            f"“{action_label(action)}”须引用至少一条政策条款或未通过的规则。",
            f"{action!r} needs at least one cited article or failed rule.",
        )
    ]


def _amount_guard(g: _GuardInput) -> list[GuardFailure]:
    """核定金额 and 预算, for an action declared ``requires_amount``."""
    return _amount_guards(g.case, g.req) if g.spec.requires_amount else []


def _score_guard(g: _GuardInput) -> list[GuardFailure]:
    """专家评分: assignment, one score each, and the score's range."""
    return _score_guards(g.actor, g.case, g.req) if g.spec.action == "expert_score" else []


def _min_expert_scores_guard(g: _GuardInput) -> list[GuardFailure]:
    """专家评审结论: only once enough experts have scored (a 回避 is no score), and every
    expert still assigned (not recused) has scored."""
    case = g.case
    if g.spec.action != "expert_conclude":
        return []
    out: list[GuardFailure] = []
    if case.expert_scores < case.min_expert_scores:
        out.append(
            _fail(
                "guard_failed",
                "min_expert_scores",
                f"专家评分不足：已有 {case.expert_scores} 份，"
                f"至少需要 {case.min_expert_scores} 份。",
                f"{case.expert_scores} expert scores, at least {case.min_expert_scores} needed.",
            )
        )
    pending = case.assigned_expert_ids - case.recused_expert_ids - case.scored_expert_ids
    if pending:
        out.append(
            _fail(
                "guard_failed",
                "experts_pending",
                f"尚有 {len(pending)} 名已指派的专家未评分，须待其评分（或回避）后再作结论。",
                f"{len(pending)} assigned expert(s) have not scored yet.",
            )
        )
    return out


def _notice_guard(g: _GuardInput) -> list[GuardFailure]:
    """公示结束: the notice period is over and no objection is open."""
    if g.spec.action != "conclude_notice":
        return []
    case = g.case
    out: list[GuardFailure] = []
    if case.notice_ends_on is None:
        out.append(
            _fail(
                "guard_failed",
                "notice_period",
                "该案件没有公示期信息。",
                "The case has no notice period.",
            )
        )
    elif g.today is not None and g.today <= case.notice_ends_on:
        out.append(
            _fail(
                "guard_failed",
                "notice_period",
                f"公示期至 {case.notice_ends_on.isoformat()} 止，尚未届满。",
                f"The notice period runs until {case.notice_ends_on.isoformat()}.",
            )
        )
    if case.open_objections > 0:
        out.append(
            _fail(
                "guard_failed",
                "open_objections",
                f"尚有 {case.open_objections} 件异议未处理。",
                f"{case.open_objections} objection(s) still open.",
            )
        )
    return out


def _objection_guard(g: _GuardInput) -> list[GuardFailure]:
    """异议处理: upholding or dismissing needs an open objection."""
    if g.spec.action not in ("uphold_objection", "dismiss_objection"):
        return []
    if g.case.open_objections >= 1:
        return []
    return [
        _fail(
            "guard_failed",
            "open_objections",
            "该案件没有待处理的异议。",
            "The case has no open objection.",
        )
    ]


def _items_guard(g: _GuardInput) -> list[GuardFailure]:
    """一次性告知: a return names every item to correct, at least one, each with a message."""
    req = g.req
    if req is None or not g.spec.needs_items:
        return []
    if req.items and all(not _blank(i.get("message")) for i in req.items):
        return []
    return [
        _fail(
            "guard_failed",
            "items",
            "退回补正须逐项列明需补正的事项（至少一项，每项写明问题）。",
            "A return lists every item to correct (at least one, each with a message).",
        )
    ]


def _outcome_guard(g: _GuardInput) -> list[GuardFailure]:
    """办理结果: a recognition (no money) is never disbursed."""
    if not g.spec.requires_payment_reference or g.case.money_program:
        return []
    return [
        _fail(
            "guard_failed",
            "outcome",
            "认定类事项不涉及资金，没有拨付环节。",
            "A recognition involves no money: there is nothing to disburse.",
        )
    ]


def _payment_reference_guard(g: _GuardInput) -> list[GuardFailure]:
    """拨付: an action declared ``requires_payment_reference`` needs one."""
    if not g.spec.requires_payment_reference or g.req is None:
        return []
    if not _blank(g.req.payment_reference):
        return []
    return [
        _fail(
            "guard_failed",
            "payment_reference",
            "拨付须填写支付凭证号。",
            "A disbursement needs a payment reference.",
        )
    ]


#: The stage-5 guards in the order their failures are reported; each one decides
#: itself whether it applies to the action.
_GUARDS: Final[tuple[Callable[[_GuardInput], list[GuardFailure]], ...]] = (
    _submission_guard,
    _recusal_guard,
    _four_eyes_guard,
    _reason_guard,
    _articles_guard,
    _amount_guard,
    _score_guard,
    _min_expert_scores_guard,
    _notice_guard,
    _objection_guard,
    _items_guard,
    _outcome_guard,
    _payment_reference_guard,
)


def _submit_guards(case: CaseFacts, today: date | None) -> list[GuardFailure]:
    out: list[GuardFailure] = []
    # 申报批次: the window binds the first submission; an amended resubmission is not late.
    if case.state == "draft" and today is not None:
        opens, closes = case.batch_opens_on, case.batch_closes_on
        if (opens is not None and today < opens) or (closes is not None and today > closes):
            window = (
                f"{opens.isoformat() if opens else '—'} 至 {closes.isoformat() if closes else '—'}"
            )
            out.append(
                _fail(
                    "batch_closed",
                    "batch_window",
                    f"不在申报期内（申报期 {window}）。",
                    f"Outside the application window ({window}).",
                )
            )
    if not case.policy_in_force_on_submission:
        out.append(
            _fail(
                "policy_not_in_force",
                "policy_in_force",
                "申报日该政策不在有效期内，不能受理新的申报。",
                "The policy is not in force on the submission date.",
            )
        )
    # 重复享受 first: its code (duplicate_benefit) is the refusal's, even when the rule
    # that says so (e.g. 同一众创空间只认定一次) is also among the failed ones.
    if case.duplicate_benefit:
        out.append(
            _fail(
                "duplicate_benefit",
                "duplicate_benefit",
                f"重复享受：{case.duplicate_benefit}",
                f"Duplicate benefit: {case.duplicate_benefit}",
            )
        )
    if case.eligible is None:
        out.append(
            _fail(
                "guard_failed",
                "eligibility",
                "尚未完成资格条件审查。",
                "Eligibility has not been evaluated.",
            )
        )
    elif not case.eligible:
        out += _eligibility_failures(case)
    # 一次性告知: every missing material with the failures above, in one refusal.
    out += [
        _fail(
            "guard_failed",
            "attachments",
            f"尚缺必需的附件：{label}（请上传后再提交）",
            f"Required attachment missing: {kind}.",
            target=kind,
        )
        for kind, label in case.missing_attachments
    ]
    return out


def _eligibility_failures(case: CaseFacts) -> list[GuardFailure]:
    """Each field left blank or invalid (named by the field), then each failed rule."""
    out = [
        _fail(
            "guard_failed",
            "eligibility",
            f"不符合申报条件：{message}",
            f"Not eligible: field {name}: {message}",
            target=name,
        )
        for name, message in case.invalid_fields
    ]
    reasons = [r for r in case.eligibility_failures if r]
    if not reasons and not out:
        reasons = ["不符合申报条件。"]
    out += [
        _fail("guard_failed", "eligibility", f"不符合申报条件：{r}", f"Not eligible: {r}")
        for r in reasons
    ]
    return out


def _amount_guards(case: CaseFacts, req: ActionRequest | None) -> list[GuardFailure]:
    """核定金额 and 预算 at city approval."""
    if not case.money_program:
        return _no_amount_guards(req)
    if case.budget is None:
        return [
            _fail(
                "guard_failed",
                "budget",
                "该申报批次未设置预算，不能核定金额。",
                "The batch has no budget.",
            )
        ]
    if req is None:  # probe: refuse only when nothing at all can be reserved
        return _budget_left_guards(case, case.budget)
    amount = req.amount
    if amount is None:
        return [_fail("guard_failed", "amount", "须填写核定金额。", "An amount is required.")]
    out = _amount_value_guards(amount) + _amount_cap_guards(case, amount)
    if not out:
        out += _budget_fit_guards(case, case.budget, amount)
    return out


def _no_amount_guards(req: ActionRequest | None) -> list[GuardFailure]:
    """A program without money: an amount, if sent at all, must be zero."""
    if req is None or req.amount is None or req.amount == 0:
        return []
    return [
        _fail(
            "guard_failed",
            "amount",
            "该扶持事项不核定金额。",
            "This program does not set an amount.",
        )
    ]


def _budget_left_guards(case: CaseFacts, budget: Decimal) -> list[GuardFailure]:
    """Probe: the batch's budget is not used up."""
    left = budget - case.reserved - case.consumed
    if left > 0:
        return []
    return [
        _fail(
            "budget_exhausted",
            "budget",
            f"预算已用完：本批次预算{budget_rules.yuan(budget)}，剩余{budget_rules.yuan(left)}。",
            "The batch budget is exhausted.",
        )
    ]


def _amount_value_guards(amount: Decimal) -> list[GuardFailure]:
    """The amount itself: positive, and in whole cents."""
    if amount <= 0:
        return [
            _fail("guard_failed", "amount", "核定金额须大于零。", "The amount must be positive.")
        ]
    if amount != amount.quantize(budget_rules.CENT):
        return [
            _fail(
                "guard_failed",
                "amount",
                "核定金额须精确到分。",
                "The amount must have at most two decimals.",
            )
        ]
    return []


def _amount_cap_guards(case: CaseFacts, amount: Decimal) -> list[GuardFailure]:
    """The amount is within the program's cap and the amount the rules computed."""
    out: list[GuardFailure] = []
    if case.max_award is not None and amount > case.max_award:
        out.append(
            _fail(
                "guard_failed",
                "max_award",
                f"核定金额{budget_rules.yuan(amount)}超过上限{budget_rules.yuan(case.max_award)}。",
                f"The amount {amount} exceeds the cap {case.max_award}.",
            )
        )
    if case.computed_amount is not None and amount > case.computed_amount:
        out.append(
            _fail(
                "guard_failed",
                "computed_amount",
                f"核定金额{budget_rules.yuan(amount)}超过按规则计算的金额"
                f"{budget_rules.yuan(case.computed_amount)}。",
                f"The amount {amount} exceeds the computed amount {case.computed_amount}.",
            )
        )
    return out


def _budget_fit_guards(case: CaseFacts, budget: Decimal, amount: Decimal) -> list[GuardFailure]:
    """The amount fits in what is left of the batch's budget."""
    if budget_rules.fits(budget, case.reserved, case.consumed, amount):
        return []
    return [
        _fail(
            "budget_exhausted",
            "budget",
            budget_rules.exhausted_message(budget, case.reserved, case.consumed, amount),
            f"Budget {budget}, reserved {case.reserved}, consumed {case.consumed}: "
            f"{amount} does not fit.",
        )
    ]


def _score_guards(actor: Actor, case: CaseFacts, req: ActionRequest | None) -> list[GuardFailure]:
    """专家评分: assigned and not recused, once; then (unless 回避) every criterion of the
    program scored in whole points from 0 to its maximum, no other, and an opinion."""
    out: list[GuardFailure] = []
    if actor.user_id is None or actor.user_id not in case.assigned_expert_ids:
        out.append(
            _fail(
                "guard_failed",
                "expert_assigned",
                "您未被指派评审该案件。",
                "You are not assigned to this case.",
            )
        )
    elif actor.user_id in case.recused_expert_ids:
        out.append(
            _fail(
                "guard_failed",
                "expert_recused",
                "您已声明回避，不能评审该案件。",
                "You declared a conflict of interest and may not score this case.",
            )
        )
    elif actor.user_id in case.scored_expert_ids:
        out.append(
            _fail(
                "guard_failed",
                "expert_scored",
                "您已对该案件评分。",
                "You have already scored this case.",
            )
        )
    if req is None:
        return out
    if req.conflict_declared:
        if req.scores or req.score is not None:
            out.append(
                _fail(
                    "guard_failed",
                    "scores",
                    "声明回避时不能同时评分。",
                    "Declaring a conflict of interest, you may not also score.",
                )
            )
        return out
    return out + _criteria_guards(case, req)


def _criteria_guards(case: CaseFacts, req: ActionRequest) -> list[GuardFailure]:
    """Each criterion's points, the unknown ones, the opinion (评审意见)."""
    out: list[GuardFailure] = []
    if not case.expert_criteria:
        return [
            _fail(
                "guard_failed",
                "scores",
                "该事项在政策目录中没有评审指标，不能评分。",
                "The program has no expert criteria in the catalogue.",
            )
        ]
    if req.score is not None:
        out.append(
            _fail(
                "guard_failed",
                "score",
                "请按评审指标逐项评分，总分由系统计算，不能直接填写。",
                "Score each criterion; the total is computed, not given.",
            )
        )
    given = dict(req.scores or {})
    for code, top in case.expert_criteria:
        value = given.pop(code, None)
        if value is None:
            out.append(
                _fail(
                    "guard_failed",
                    f"scores.{code}",
                    f"须填写评审指标“{code}”的得分（0–{top} 分）。",
                    f"Criterion {code!r} needs a score (0–{top}).",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            out.append(
                _fail(
                    "guard_failed",
                    f"scores.{code}",
                    f"评审指标“{code}”的得分须为 0 至 {top} 的整数。",
                    f"Criterion {code!r} takes a whole number from 0 to {top}.",
                )
            )
    for code in sorted(given):
        out.append(
            _fail(
                "guard_failed",
                f"scores.{code}",
                f"“{code}”不是该事项的评审指标。",
                f"{code!r} is not a criterion of this program.",
            )
        )
    if _blank(req.expert_opinion):
        out.append(
            _fail(
                "guard_failed",
                "opinion",
                "须填写评审意见。",
                "An opinion is required.",
            )
        )
    return out


def can_act(actor: Actor, case: CaseFacts, action: str, *, today: date | None = None) -> bool:
    """The predicate the templates and the API's ``allowed_actions`` ask (probe mode)."""
    return check(action, actor, case, None, today=today).allowed


def allowed_actions(actor: Actor, case: CaseFacts, *, today: date | None = None) -> list[str]:
    """The actions ``actor`` may take now on ``case`` (workflow declaration order)."""
    workflow = get_workflow(case.workflow_id)
    return [a for a in workflow.actions if can_act(actor, case, a, today=today)]


_EXCEPTIONS: Final[dict[str, type[errors.DomainError]]] = {
    "forbidden": errors.Forbidden,
    "not_found": errors.NotFound,
    "invalid_transition": errors.InvalidTransition,
    "version_conflict": errors.VersionConflict,
    "budget_exhausted": errors.BudgetExhausted,
    "duplicate_benefit": errors.DuplicateBenefit,
    "policy_not_in_force": errors.PolicyNotInForce,
    "batch_closed": errors.BatchClosed,
    "guard_failed": errors.GuardFailed,
}


def raise_for(decision: Decision) -> None:
    """Raise the domain error of the first failure; the message lists every failure, and
    ``errors`` each by the field or attachment it is about, else by its guard."""
    if decision.allowed:
        return
    first = decision.failures[0]
    by_guard: dict[str, list[str]] = {}
    for f in decision.failures:
        by_guard.setdefault(f.target or f.guard, []).append(f.message_zh)
    exc_type = _EXCEPTIONS.get(first.code, errors.GuardFailed)
    raise exc_type(
        decision.message_zh,
        code=first.code,
        errors=by_guard,
        detail=decision.message_en,
    )
