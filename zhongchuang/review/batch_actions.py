"""The reviewer workspace's use cases beyond the single action: batch actions (case by
case, through the same engine), notice publication with its period shown beforehand,
objection rulings, and what the staff see on a case page (the staff panel)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from zhongchuang.cases import eligibility
from zhongchuang.cases import engine as cases
from zhongchuang.cases.eligibility import min_expert_scores
from zhongchuang.errors import DomainError, Forbidden, NotFound, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import (
    Application,
    AuditEvent,
    BenefitClaim,
    ExpertAssignment,
    Notice,
    NoticeItem,
    Objection,
    RosterRow,
    User,
    UserRole,
)
from zhongchuang.notices import operations as notices
from zhongchuang.policy.parameters import ParameterError
from zhongchuang.review import experts
from zhongchuang.runtime import today
from zhongchuang.uow import operation
from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow.machine import FINAL_STATES

if TYPE_CHECKING:
    from zhongchuang.cases.queries import CasePage
    from zhongchuang.policy.parameters import ParameterTable

#: Actions a reviewer may apply to several cases at once (they need no input per case).
BATCH_ACTIONS: Final = ("accept",)
MAX_BATCH: Final = 200


@dataclass
class CaseResult:
    """The outcome of one case in a batch: done, or refused and why."""

    case_id: int
    number: str | None
    ok: bool
    message: str


# --- batch actions ---------------------------------------------------------------------


def parse_selection(values: list[str]) -> list[tuple[int, int | None]]:
    """Checkbox values ``"<id>:<version>"`` (or a bare id) → [(id, version)]."""
    out: list[tuple[int, int | None]] = []
    bad: list[str] = []
    for raw in values:
        head, _sep, tail = str(raw).partition(":")
        if not head.isdigit() or (tail and not tail.isdigit()):
            bad.append(str(raw)[:20])
            continue
        pair = (int(head), int(tail) if tail else None)
        if pair[0] not in {p[0] for p in out}:
            out.append(pair)
    if bad:
        raise ValidationFailed("所选案件有误。", errors={"selected": ["选择的案件编号无效。"]})
    if not out:
        raise ValidationFailed("请至少选择一件申报。", errors={"selected": ["至少选择一件。"]})
    if len(out) > MAX_BATCH:
        raise ValidationFailed(
            "一次选择的申报过多。", errors={"selected": [f"一次最多处理 {MAX_BATCH} 件。"]}
        )
    return out


def _visible_numbers(user: User, ids: list[int]) -> dict[int, str]:
    return {
        i: n
        for i, n in db.session.execute(
            sa.select(Application.id, Application.number).where(
                Application.id.in_(ids), cases.visibility_filter(user)
            )
        ).all()
    }


def batch_act(user: User, selection: list[tuple[int, int | None]], action: str) -> list[CaseResult]:
    """Apply ``action`` to each case in turn through :func:`cases.act` — each its own unit
    of work (this is not an operation: it must not join them into one), so one refusal,
    rolled back by its unit, stops nothing else; a result per case."""
    if action not in BATCH_ACTIONS:
        raise ValidationFailed("不支持批量执行该操作。", errors={"action": ["请选择批量操作。"]})
    numbers = _visible_numbers(user, [i for i, _v in selection])
    results: list[CaseResult] = []
    for case_id, version in selection:
        number = numbers.get(case_id)
        if number is None:
            results.append(CaseResult(case_id, None, False, NotFound().message))
            continue
        try:
            cases.act(user, case_id, action, cases.ActionInput(version=version))
        except DomainError as exc:
            results.append(CaseResult(case_id, number, False, exc.message))
        else:
            results.append(CaseResult(case_id, number, True, "已完成。"))
    return results


# --- notices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticePreview:
    """公示期 as it would be if published today."""

    published_on: date
    working_days: int
    starts_on: date
    ends_on: date
    warning: str | None


def default_notice_days(on: date | None = None) -> int:
    """The catalogue's ``notice_working_days`` in force on the day, else the default."""
    try:
        value = eligibility.policy_parameter_table().value("notice_working_days", on or today())
        return int(value)
    except ParameterError:  # none in force that day
        return wcal.NOTICE_DAYS_DEFAULT


def notice_preview(working_days: int, on: date | None = None) -> NoticePreview:
    """The period a notice published today would run, and the calendar warning (if the
    holiday schedule of a year involved is not known)."""
    if not 1 <= int(working_days) <= wcal.NOTICE_DAYS_MAX:
        raise ValidationFailed(
            "公示期天数不正确。",
            errors={"working_days": [f"公示期须为1至{wcal.NOTICE_DAYS_MAX}个工作日。"]},
        )
    on = on or today()
    period = wcal.notice_period(on, int(working_days))
    return NoticePreview(
        published_on=on,
        working_days=int(working_days),
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        warning=wcal.calendar_warning(period.starts_on, period.ends_on),
    )


def publishable_cases(user: User, limit: int = 500) -> list[Application]:
    """复审通过 cases the user may see, oldest due first (candidates for a notice)."""
    return list(
        db.session.execute(
            sa.select(Application)
            .where(Application.state == "city_approved", cases.visibility_filter(user))
            .order_by(Application.due_on.asc(), Application.id.asc())
            .limit(limit)
        )
        .unique()
        .scalars()
    )


def publish(
    user: User, ids: list[int], working_days: int, title: str | None = None
) -> tuple[notices.PublishResult, list[CaseResult]]:
    """One notice for several cases, through :func:`notices.publish_notice`; a result per
    case."""
    numbers = _visible_numbers(user, ids)
    result = notices.publish_notice(user, ids, working_days, title=title)
    out: list[CaseResult] = []
    for case_id in dict.fromkeys(ids):
        if case_id in result.published:
            out.append(CaseResult(case_id, numbers.get(case_id), True, "已列入公示。"))
        else:
            msg = result.refused.get(case_id, "未发布。")
            out.append(CaseResult(case_id, numbers.get(case_id), False, msg))
    return result, out


@dataclass
class NoticeOverview:
    notice: Notice
    state: str
    objections: list[Objection]
    open_count: int
    #: Cases of this notice on which the user may rule an open objection now.
    rulable: set[int] = field(default_factory=set)


def notices_overview(user: User, limit: int = 50) -> list[NoticeOverview]:
    """Recent notices with their cases and objections (staff view: names unmasked in the
    objections, for verification; confidential from the applicant). City level only."""
    if not user.has_role("city_reviewer", "admin"):
        raise Forbidden("只有市级审核人员可以查看公示异议。")
    rows = list(
        db.session.execute(
            sa.select(Notice)
            .options(selectinload(Notice.items).selectinload(NoticeItem.application))
            .order_by(Notice.id.desc())
            .limit(limit)
        ).scalars()
    )
    ids = [n.id for n in rows]
    by_notice: dict[int, list[Objection]] = {i: [] for i in ids}
    if ids:
        for obj in db.session.execute(
            sa.select(Objection)
            .where(Objection.notice_id.in_(ids))
            .order_by(Objection.status != "open", Objection.id)
        ).scalars():
            by_notice[obj.notice_id].append(obj)
    t = today()
    out = []
    for n in rows:
        open_cases = {o.application_id for o in by_notice[n.id] if o.status == "open"}
        rulable = set()
        # Asked of the engine for the (few) cases with an open objection only.
        for item in n.items:
            if item.application_id in open_cases and _may_rule(user, item.application):
                rulable.add(item.application_id)
        out.append(
            NoticeOverview(
                notice=n,
                state=notices.notice_state(n, t),
                objections=by_notice[n.id],
                open_count=sum(1 for o in by_notice[n.id] if o.status == "open"),
                rulable=rulable,
            )
        )
    return out


def _may_rule(user: User, case: Application) -> bool:
    allowed = cases.actions_for(user, case)
    return "dismiss_objection" in allowed or "uphold_objection" in allowed


RULINGS: Final = {"dismiss": "dismiss_objection", "uphold": "uphold_objection"}


@operation
def rule_objection(
    user: User,
    objection_id: int,
    decision: str,
    reason: str | None,
    articles: list[str] | None = None,
    version: int | None = None,
) -> Application:
    """异议不成立 / 异议成立 — through the engine, with the objection named."""
    action = RULINGS.get(decision)
    if action is None:
        raise ValidationFailed("请选择处理结果。", errors={"decision": ["请选择处理结果。"]})
    obj = db.session.get(Objection, objection_id)
    if obj is None:
        raise NotFound("未找到该异议。")
    cases.get_visible(user, obj.application_id)  # 404 when the case is not the user's
    return cases.act(
        user,
        obj.application_id,
        action,
        cases.ActionInput(
            version=version, reason=reason, articles=list(articles or []), objection_id=obj.id
        ),
    )


def parse_articles(text: str | None) -> list[str]:
    """``"四(一)，五(一)"`` → ["四(一)", "五(一)"] (commas, 、 or spaces separate)."""
    raw = (text or "").replace("，", ",").replace("、", ",").replace(" ", ",")
    return [a.strip() for a in raw.split(",") if a.strip()][:20]


# --- the staff panel of a case page ------------------------------------------------------


@dataclass
class DuplicateHint:
    """Another case claiming the same benefit for the same person or business."""

    number: str
    state: str
    period: str | None
    note: str


@dataclass
class RosterOverview:
    accepted: int
    rejected: int
    amount: Decimal
    rejected_rows: list[RosterRow]


@dataclass
class StaffPanel:
    case: Application
    actions: list[str]
    duplicates: list[DuplicateHint] = field(default_factory=list)
    show_objections: bool = False
    objections: list[Objection] = field(default_factory=list)
    can_rule: bool = False
    show_contacts: bool = False
    expert_review: bool = False
    assignments: list[ExpertAssignment] = field(default_factory=list)
    show_all_scores: bool = False
    score_count: int = 0
    min_scores: int = 0
    average: Decimal | None = None
    can_assign: bool = False
    expert_choices: list[User] = field(default_factory=list)
    can_score: bool = False
    #: 专家评审指标 of the program; 回避 declared; assigned experts yet to score.
    criteria: list[Any] = field(default_factory=list)
    recused_count: int = 0
    pending_count: int = 0
    events: list[AuditEvent] = field(default_factory=list)
    roster: RosterOverview | None = None


STAFF_PANEL_ROLES: Final = ("county_reviewer", "expert", "city_reviewer", "finance", "admin")


def staff_panel(user: Any, case: Application, *, page: CasePage | None = None) -> StaffPanel | None:
    """What staff see under a case (None for anyone else): duplicate-benefit hints,
    objections, expert scores and assignment, the audit trail, the roster summary.

    ``page``: the case page built for this user and case (``case_view.case_page``, which
    loaded the case through ``cases.get_visible``); its guards' answer, parameters and
    audit events are used instead of being read again."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(*STAFF_PANEL_ROLES):
        return None
    params: ParameterTable | None = None
    events: list[AuditEvent] | None = None
    if (
        page is not None
        and page.case is case
        and page.user is user
        and page.actions.guard_allowed is not None
    ):
        actions = list(page.actions.guard_allowed)
        params, events = page.params, page.events
    else:
        case = cases.get_visible(user, case.id)
        actions = cases.actions_for(user, case)
    is_expert_only = user.has_role("expert") and not user.has_role(
        "county_reviewer", "city_reviewer", "finance", "admin"
    )
    panel = StaffPanel(case=case, actions=actions)
    if not is_expert_only:
        panel.duplicates = duplicate_hints(case)
    if user.has_role("city_reviewer", "county_reviewer", "admin"):
        panel.show_objections = True
        panel.show_contacts = user.has_role("city_reviewer", "admin")
        panel.objections = list(
            db.session.execute(
                sa.select(Objection)
                .where(Objection.application_id == case.id)
                .order_by(Objection.status != "open", Objection.id)
            ).scalars()
        )
        panel.can_rule = "dismiss_objection" in actions or "uphold_objection" in actions
    if case.program.expert_review:
        _expert_part(user, case, panel, is_expert_only, params)
    panel.events = (
        list(events)
        if events is not None
        else list(
            db.session.execute(
                sa.select(AuditEvent)
                .where(AuditEvent.application_id == case.id)
                .order_by(AuditEvent.id)
            ).scalars()
        )
    )
    panel.roster = roster_overview(case)
    return panel


def _expert_part(
    user: User,
    case: Application,
    panel: StaffPanel,
    expert_only: bool,
    params: ParameterTable | None = None,
) -> None:

    panel.expert_review = True
    review_ = experts.expert_review(user, case.id)
    panel.score_count = review_.scored
    panel.recused_count = review_.recused
    panel.pending_count = review_.pending
    panel.min_scores = min_expert_scores(case.program, case.submitted_on or today(), params)
    panel.criteria = list(eligibility.program_spec(case.program).expert_criteria)
    scores = [r.score for r in review_.rows if r.score is not None and not r.recused]
    panel.average = (
        (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"))
        if scores and review_.revealed
        else None
    )
    panel.show_all_scores = review_.revealed
    panel.assignments = review_.rows
    panel.can_score = "expert_score" in panel.actions
    panel.can_assign = (
        user.has_role("city_reviewer") and case.state == "county_approved" and not expert_only
    )
    if panel.can_assign:
        panel.expert_choices = list(
            db.session.execute(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == "expert", User.active.is_(True))
                .order_by(User.username)
            ).scalars()
        )


def duplicate_hints(case: Application, limit: int = 20) -> list[DuplicateHint]:
    """Other cases claiming the same benefit for the same subject (any period), and other
    open cases of the same applicant in the same program."""
    rows = db.session.execute(_same_benefit_statement(), {"case_id": case.id, "limit": limit})
    hints = [
        DuplicateHint(
            number=n,
            state=s,
            period=None if p == "once" else p,
            note="同一人员或企业在其他申报中申领同类补助",
        )
        for n, s, p in rows.all()
    ]
    owner, owner_id = (
        ("organization_id", case.organization_id)
        if case.organization_id is not None
        else ("person_id", case.person_id)
        if case.person_id is not None
        else ("applicant_user_id", case.applicant_user_id)
    )
    params = {"owner": owner_id, "program_id": case.program_id, "case_id": case.id, "limit": limit}
    for n, s in db.session.execute(_same_owner_statement(owner), params).all():
        hints.append(
            DuplicateHint(number=n, state=s, period=None, note="同一申请人同一事项的其他在办申报")
        )
    return hints


# Every staff case page asks both; they are built once (building them took longer than
# the database took to answer).


@functools.cache
def _same_benefit_statement() -> sa.Select[Any]:
    case_id = sa.bindparam("case_id", type_=sa.Integer)
    mine = (
        sa.select(BenefitClaim.benefit, BenefitClaim.subject)
        .where(BenefitClaim.application_id == case_id)
        .distinct()
        .subquery()
    )
    other = aliased(BenefitClaim)
    return (
        sa.select(Application.number, Application.state, other.period)
        .join(mine, sa.and_(other.benefit == mine.c.benefit, other.subject == mine.c.subject))
        .join(Application, Application.id == other.application_id)
        .where(other.application_id != case_id, other.active)
        .order_by(Application.number, other.period)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


@functools.cache
def _same_owner_statement(owner: str) -> sa.Select[Any]:
    """Open cases in the program of the same organisation, person or (neither known)
    applicant account: ``owner`` names the column."""
    return (
        sa.select(Application.number, Application.state)
        .where(
            getattr(Application, owner) == sa.bindparam("owner", type_=sa.Integer),
            Application.program_id == sa.bindparam("program_id", type_=sa.Integer),
            Application.id != sa.bindparam("case_id", type_=sa.Integer),
            Application.state.not_in((*FINAL_STATES, "draft")),
        )
        .order_by(Application.number)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def roster_overview(case: Application, limit: int = 100) -> RosterOverview | None:
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(RosterRow.accepted),
            sa.func.sum(RosterRow.amount).filter(RosterRow.accepted),
        ).where(RosterRow.application_id == case.id)
    ).one()
    if not row[0]:
        return None
    rejected_rows = list(
        db.session.execute(
            sa.select(RosterRow)
            .where(RosterRow.application_id == case.id, sa.not_(RosterRow.accepted))
            .order_by(RosterRow.row_no)
            .limit(limit)
        ).scalars()
    )
    return RosterOverview(
        accepted=int(row[1] or 0),
        rejected=int(row[0]) - int(row[1] or 0),
        amount=Decimal(str(row[2] or 0)).quantize(Decimal("0.01")),
        rejected_rows=rejected_rows,
    )
