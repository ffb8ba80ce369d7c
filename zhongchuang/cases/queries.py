"""The case page (案件页) for applicants and staff: the data with Chinese labels, the
attachment checklist, the eligibility explanation (a live preview while the applicant can
still change the case, the judgement of the submission afterwards), the timeline from the
audit trail, and the actions the user may take now.

The applicant's view of the timeline never shows objections, who objected, expert
scores or staff names: only the date, the acting role, the step, and the reason and
articles of a decision.

A page is built once per request: the case, its parameter table, the guards' facts and the
audit events are each read once and handed on (to the staff panel too) — see ``CasePage``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.cases import attachments, time_limits
from zhongchuang.cases import engine as cases
from zhongchuang.cases.eligibility import (
    CaseOutcome,
    evaluate_case,
    parameter_table,
    program_spec,
)
from zhongchuang.cases.workspace import ArticleRef, article_refs
from zhongchuang.clock import SHANGHAI
from zhongchuang.documents import queries as document_queries
from zhongchuang.documents.issuing import REISSUERS
from zhongchuang.documents.pdf import PdfDocument, PdfSection
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent, Document, MakerSpace, User
from zhongchuang.policy.identity import district_name
from zhongchuang.policy.parameters import ParameterTable
from zhongchuang.review import batch_actions as review
from zhongchuang.runtime import today
from zhongchuang.workflow import machine
from zhongchuang.workflow.clock import TimeLimit
from zhongchuang.workflow.guards import allowed_actions, check
from zhongchuang.workflow.letters import LETTER_FOR_ACTION, letter_title
from zhongchuang.workflow.machine import (
    EDITABLE_STATES,
    N_,
    ActionSpec,
    action_label,
    get_action,
    state_label,
)

if TYPE_CHECKING:
    from zhongchuang.review.batch_actions import StaffPanel

ROLE_LABELS = machine.OFFICE_LABELS
EVENT_TITLES: dict[str, str] = audit.KIND_LABELS
#: Never shown to the applicant (异议保密, 专家评分).
HIDDEN_KINDS_FOR_APPLICANT = frozenset({"notice.objection", "case.experts_assigned"})
HIDDEN_ACTIONS_FOR_APPLICANT = frozenset({"expert_score", "dismiss_objection"})
#: Not steps of the process: a document issued with a decision is listed with the case's
#: documents (its hash stays in the audit log), not as a step after the decision.
NOT_IN_TIMELINE = frozenset({"document.issue"})
#: Guard stages whose failure means "not for you / not now", not "not yet ready".
_HARD_CODES = frozenset({"forbidden", "not_found", "invalid_transition", "version_conflict"})


# --- who is looking -----------------------------------------------------------------------


def is_own_case(user: User, case: Application) -> bool:
    """The applicant (or a member of the applying organisation) looking at their case."""
    return user.has_role("applicant") and cases._is_own(user, case)


def is_staff_view(user: User) -> bool:
    return user.is_staff or user.has_role("admin")


def can_edit(user: User, case: Application) -> bool:
    return is_own_case(user, case) and case.state in EDITABLE_STATES


# --- the data -----------------------------------------------------------------------------


@dataclass
class DataRow:
    name: str
    label: str
    value: str
    help: str | None = None


def _display(spec: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    kind = spec.type
    if kind == "enum":
        return next((c.label for c in spec.choices or [] if c.value == value), str(value))
    if kind == "boolean":
        return "是" if value in (True, "true", "True", 1) else "否"
    if kind == "district":
        return f"{district_name(str(value))}（{value}）"
    if kind == "maker_space":
        space = db.session.get(MakerSpace, int(value)) if str(value).isdigit() else None
        return space.name if space else f"编号 {value}"
    if kind == "money":
        try:
            return f"{Decimal(str(value)):,.2f} 元"
        except ArithmeticError:
            return str(value)
    return str(value)


def data_rows(case: Application) -> list[DataRow]:
    data = case.data or {}
    return [
        DataRow(f.name, f.label, _display(f, data.get(f.name)), f.help)
        for f in program_spec(case.program).fields
    ]


def identity_text(case: Application) -> tuple[str, str]:
    """(label, value) of the applicant's identity — masked for persons, always."""
    if case.person is not None:
        return "公民身份号码", case.person.id_number_masked
    if case.organization is not None:
        return "统一社会信用代码", case.organization.credit_code
    return "证件号码", "—"


# --- eligibility --------------------------------------------------------------------------


@dataclass
class EligibilityView:
    eligible: bool | None
    amount: Decimal | None
    lines: list[dict[str, Any]]
    preview: bool
    as_of: date | None
    duplicate: str | None = None
    policy_message: str = ""
    outcome: CaseOutcome | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if not line.get("passed")]


def eligibility_view(case: Application, params: ParameterTable | None = None) -> EligibilityView:
    """While the applicant may still change the case: the judgement submitting now would
    give. Afterwards: the judgement of the submission (从旧)."""
    if case.state in EDITABLE_STATES:
        t = today()
        outcome = evaluate_case(case, t, params)
        return EligibilityView(
            eligible=outcome.eligible,
            amount=outcome.amount,
            lines=list(outcome.explanation),
            preview=True,
            as_of=t,
            duplicate=outcome.duplicate,
            policy_message=outcome.policy_message,
            outcome=outcome,
        )
    return EligibilityView(
        eligible=case.eligible,
        amount=case.computed_amount,
        lines=list(case.explanation or []),
        preview=False,
        as_of=case.submitted_on,
    )


# --- actions ------------------------------------------------------------------------------


def _submission_facts(
    case: Application, outcome: CaseOutcome, params: ParameterTable
) -> dict[str, Any]:
    """The facts the engine adds when it judges a submission (its preparations
    ``judge_eligibility`` and ``find_missing_attachments``), as of today."""
    missing = attachments.missing(case, today(), params)
    return {
        **outcome.submission_facts(),
        "missing_attachments": tuple((m.kind, m.label) for m in missing),
    }


@dataclass
class ActionsNow:
    allowed: list[str]
    #: Why "submit" cannot be taken yet (failed rules, missing attachments), in Chinese.
    submit_blockers: list[str] = field(default_factory=list)
    submit_possible: bool = False
    #: What ``cases.actions_for`` answers (the guards on the stored facts), when that is
    #: what was asked here (no submission facts added); else None.
    guard_allowed: list[str] | None = None


def actions_now(
    user: User,
    case: Application,
    outcome: CaseOutcome | None = None,
    params: ParameterTable | None = None,
) -> ActionsNow:
    """What the user may do now, asked of the same guards the engine uses — for a
    submission with the facts the engine would judge it by, plus the attachment check.
    ``params``: the program's parameter table, if the caller has read it already."""
    actor = cases.actor_for(user)
    spec = get_action(case.workflow_id, "submit")
    submittable = spec is not None and case.state in spec.sources and is_own_case(user, case)
    if params is None:
        params = parameter_table(case.program)
    extra: dict[str, Any] = {}
    if submittable:
        outcome = outcome or evaluate_case(case, today(), params)
        extra = _submission_facts(case, outcome, params)
    facts = cases.case_facts(case, params=params, **extra)
    allowed = allowed_actions(actor, facts, today=today())
    result = ActionsNow(allowed=allowed, guard_allowed=None if extra else list(allowed))
    if submittable:
        decision = check("submit", actor, facts, None, today=today())
        if decision.code not in _HARD_CODES:
            result.submit_possible = True
            result.submit_blockers = [f.message_zh for f in decision.failures]
        if result.submit_blockers and "submit" in allowed:
            allowed.remove("submit")
    return result


def action_spec(case: Application, action: str) -> ActionSpec | None:
    return get_action(case.workflow_id, action)


# --- the timeline -------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    event_id: int
    at: datetime
    title: str
    role: str
    action: str | None = None
    actor: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    articles: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    letter_title: str | None = None
    note: str | None = None
    #: 审核意见 of a decision.
    opinion: str | None = None
    #: 一次性告知: the items of a return, ``[{"target", "label", "message"}]``.
    items: list[dict[str, str]] = field(default_factory=list)


def case_events(case: Application) -> list[AuditEvent]:
    """The case's audit events, oldest first (read once per page: timeline and panel)."""
    return list(
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.application_id == case.id)
            .order_by(AuditEvent.id)
        ).scalars()
    )


def timeline(
    user: User, case: Application, events: list[AuditEvent] | None = None
) -> list[TimelineEntry]:
    """The timeline as ``user`` may see it; ``events``: the case's audit events, oldest
    first, if already read (``case_events``)."""
    applicant_side = not is_staff_view(user)
    rule_text = {
        str(line.get("rule")): str(line.get("message"))
        for line in (case.explanation or [])
        if isinstance(line, dict)
    }
    if events is None:
        events = case_events(case)
    out: list[TimelineEntry] = []
    for ev in events:
        if ev.kind in NOT_IN_TIMELINE:
            continue
        if applicant_side and (
            ev.kind in HIDDEN_KINDS_FOR_APPLICANT or ev.action in HIDDEN_ACTIONS_FOR_APPLICANT
        ):
            continue
        cited = list(ev.articles or [])
        entry = TimelineEntry(
            event_id=ev.id,
            at=ev.at,
            action=ev.action,
            title=action_label(ev.action) if ev.action else EVENT_TITLES.get(ev.kind, ev.kind),
            role=ROLE_LABELS.get(ev.actor_role or "", "—"),
            actor=None if applicant_side else (ev.actor_name or None),
            from_state=state_label(ev.from_state) if ev.from_state else None,
            to_state=state_label(ev.to_state) if ev.to_state else None,
            reason=ev.reason,
            articles=[a for a in cited if not a.startswith("rule:")],
            rules=[rule_text.get(a[5:], a[5:]) for a in cited if a.startswith("rule:")],
        )
        if ev.kind == "case.action" and ev.action in LETTER_FOR_ACTION:
            entry.letter_title = letter_title(
                LETTER_FOR_ACTION[ev.action], recognition=case.program.outcome == "recognition"
            )
        details = ev.details or {}
        entry.opinion = details.get("opinion") or None
        entry.items = list(details.get("items") or [])
        if ev.kind == "case.upload":
            entry.note = f"{attachments.kind_label(case, str(details.get('kind')))}：" + str(
                details.get("filename") or ""
            )
        elif ev.kind == "case.edit" and not applicant_side and details.get("fields"):
            entry.note = "、".join(str(f) for f in details["fields"])
        out.append(entry)
    return out


# --- the page -----------------------------------------------------------------------------


#: 暂停计时 — what the case page says the clock waits for (特殊环节不计时).
PAUSE_LABELS: Final[dict[str, str]] = {
    "returned": N_("补正中"),
    "county_approved": N_("专家评审中"),
    "in_notice": N_("公示中"),
}


@dataclass
class CasePage:
    """Everything the case page shows, read once for the request. ``user``, ``params`` and
    ``events`` are what the page was built with; the staff panel reuses them."""

    case: Application
    policy_id: int
    own: bool
    staff: bool
    identity: tuple[str, str]
    rows: list[DataRow]
    checklist: list[attachments.ChecklistItem]
    can_upload: bool
    can_edit: bool
    eligibility: EligibilityView
    timeline: list[TimelineEntry]
    actions: ActionsNow
    articles: list[ArticleRef]
    user: User | None = field(default=None, repr=False)
    params: ParameterTable | None = field(default=None, repr=False)
    events: list[AuditEvent] | None = field(default=None, repr=False)

    @cached_property
    def staff_panel(self) -> StaffPanel | None:
        """The staff panel (``services.review.staff_panel``) from what the page has read:
        the case as the user may see it, the guards' answer, the parameters, the events."""

        if self.user is None:
            return None
        return review.staff_panel(self.user, self.case, page=self)

    @property
    def program(self) -> Any:
        return self.case.program

    @property
    def has_roster(self) -> bool:
        """招用大学生社保补贴: the claim rests on a roster (花名册) of person-months."""
        return bool(program_spec(self.case.program).roster)

    @property
    def failed_rules(self) -> list[tuple[str, str]]:
        return [(str(x.get("rule")), str(x.get("message"))) for x in self.eligibility.failed]

    @property
    def letters(self) -> list[TimelineEntry]:
        """The decisions' letters that no signed document stands for (decisions taken
        before documents were issued); the others are listed with the documents."""
        issued = {d.event_id for d in self.documents}
        return [e for e in self.timeline if e.letter_title and e.event_id not in issued]

    @property
    def can_reissue(self) -> bool:
        """重新签发 is for the city's reviewers and the administrators."""
        return self.user is not None and self.user.has_role(*REISSUERS)

    @cached_property
    def documents(self) -> list[Document]:
        """文书 issued on the case (numbered, signed), in the order issued."""
        return document_queries.documents_of_case(self.case)

    @property
    def last_return(self) -> TimelineEntry | None:
        """The latest return for amendment (退回补正), while the case is returned."""
        if self.case.state != "returned":
            return None
        return next((e for e in reversed(self.timeline) if e.action == "return"), None)

    @property
    def correction_targets(self) -> list[tuple[str, str]]:
        """What a return may name (一次性告知): every field, then every material."""
        spec = program_spec(self.case.program)
        return [(f.name, f.label) for f in spec.fields] + [
            (i.kind, i.label) for i in self.checklist
        ]

    @property
    def missing(self) -> list[str]:
        return [i.label for i in self.checklist if i.required and not i.done]

    @cached_property
    def time_limit(self) -> TimeLimit | None:
        """办理时限 as of today, from 受理 until the case ends (an ended case: none)."""
        limit = time_limits.time_limit(self.case, today())
        return None if limit is None or limit.ended else limit

    @property
    def pause_label(self) -> str:
        """特殊环节: why the clock stands still (补正中, 专家评审中, 公示中)."""
        return PAUSE_LABELS.get(self.case.state, PAUSE_LABELS["county_approved"])


def case_page(user: User, case_id: int) -> CasePage:
    case = cases.get_visible(user, case_id)
    params = parameter_table(case.program)
    events = case_events(case)
    elig = eligibility_view(case, params)
    return CasePage(
        case=case,
        policy_id=case.program.policy_id,
        own=is_own_case(user, case),
        staff=is_staff_view(user),
        identity=identity_text(case),
        rows=data_rows(case),
        checklist=attachments.checklist(case, params=params),
        can_upload=attachments.can_upload(user, case),
        can_edit=can_edit(user, case),
        eligibility=elig,
        timeline=timeline(user, case, events),
        actions=actions_now(user, case, elig.outcome, params),
        articles=article_refs(case.program),
        user=user,
        params=params,
        events=events,
    )


# --- the printable summary ------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f} 元"


def summary_document(page: CasePage) -> PdfDocument:
    """申报摘要 — the same content as the printable page, for the PDF."""
    case = page.case
    ident_label, ident_value = page.identity
    basics = [
        ("申报编号", case.number),
        ("扶持事项", case.program.name),
        ("申请人", case.applicant_name),
        (ident_label, ident_value),
        ("所属地区", f"{district_name(case.district)}（{case.district}）"),
        ("当前状态", state_label(case.state, workflow_id=case.workflow_id)),
        ("提交日期", case.submitted_on.isoformat() if case.submitted_on else "未提交"),
        ("测算金额", _money(page.eligibility.amount)),
    ]
    if case.approved_amount is not None:
        basics.append(("核定金额", _money(case.approved_amount)))
    elig = page.eligibility
    verdict = {True: "符合条件", False: "不符合条件", None: "尚未审查"}[elig.eligible]
    when = "按当前信息测算" if elig.preview else "按提交时的规定审查"
    sections = [
        PdfSection("基本信息", rows=basics),
        PdfSection("申报信息", rows=[(r.label, r.value) for r in page.rows]),
        PdfSection(
            "申报材料",
            rows=[
                (
                    item.label + ("（必需）" if item.required else ""),
                    f"{item.current.filename}（SHA-256 {item.current.sha256[:16]}…）"
                    if item.current
                    else "未上传",
                )
                for item in page.checklist
            ],
        ),
        PdfSection(
            f"资格审查：{verdict}（{when}）",
            items=[
                ("【符合】" if line.get("passed") else "【不符合】")
                + str(line.get("message"))
                + (f"（依据：{line.get('article')}）" if line.get("article") else "")
                for line in elig.lines
            ],
        ),
        PdfSection(
            "办理记录",
            items=[
                f"{e.at.astimezone(SHANGHAI):%Y-%m-%d} {e.role} {e.title}"
                + (f"：{e.reason}" if e.reason else "")
                + (f"（依据：{'、'.join(e.articles)}）" if e.articles else "")
                for e in page.timeline
                if e.title
            ],
        ),
    ]
    return PdfDocument(
        title="申报摘要",
        subtitle=f"{case.program.name} · {case.number}",
        sections=sections,
    )
