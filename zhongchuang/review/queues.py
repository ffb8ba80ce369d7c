"""待办队列 — the reviewers' work queues.

Each staff role has its own queue: a county reviewer the cases of their district waiting
for them (``submitted``, ``accepted``), a city reviewer the city stages, an expert the
cases assigned to them not yet scored, finance the approved cases waiting for payment.
Every query is the role's scope AND :func:`cases.visibility_filter`, so nothing a user may
not see can ever appear, whatever the filters say.

Pages are keyset-paginated (no OFFSET): the opaque cursor carries the sort key and the id
of the last row shown, and the next page starts strictly after it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from zhongchuang.cases.engine import actor_for
from zhongchuang.cases.visibility import case_search, visibility_filter
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import (
    Application,
    AuditEvent,
    Batch,
    ExpertAssignment,
    Objection,
    Program,
    User,
)
from zhongchuang.runtime import ProcessCache, today
from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow import clock as time_rules
from zhongchuang.workflow.guards import Actor, CaseFacts, can_act
from zhongchuang.workflow.machine import STATES, actions_from

#: The states each role's queue holds (待办状态).
QUEUE_STATES: Final[dict[str, tuple[str, ...]]] = {
    "county_reviewer": ("submitted", "accepted"),
    "city_reviewer": ("county_approved", "expert_reviewed", "city_approved", "in_notice"),
    "expert": ("county_approved",),
    "finance": ("approved",),
}
QUEUE_ROLES: Final = tuple(QUEUE_STATES)

#: 视图 — what a queue lists: 待办 (waiting on me), 已办 (I, or for a county reviewer my
#: district's reviewers, acted on it), 全部 (every case I may see), 超期 (waiting on me, the
#: clock running and today after its due day), 即将超期 (waiting on me, due within
#: ``workflow.clock.DUE_SOON_WORKING_DAYS`` working days, not yet overdue).
VIEWS: Final = ("waiting", "done", "all", "overdue", "due_soon")
DEFAULT_VIEW: Final = "waiting"
#: The views that list the cases waiting on the user (their count is a part of the badge's).
WAITING_VIEWS: Final = frozenset({"waiting", "overdue", "due_soon"})
#: Every state but the draft (the applicant's own), as the state filter offers them.
FILTER_STATES: Final = tuple(s for s in STATES if s != "draft")

#: Actions whose guards need nothing beyond the case row itself: the queue asks the engine's
#: own predicate for them row by row without loading anything more (no N+1).
ROW_ACTIONS: Final = ("accept", "publish", "disburse")

SORT_KEYS: Final = ("due", "submitted", "amount", "number")
DEFAULT_SORT: Final = "due"
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200

#: The columns a queue row shows, sorts by or gives the engine's guards (:func:`row_actions`),
#: in the order of :class:`QueueCase`'s fields.
_ROW_COLUMNS: Final = (
    Application.id,
    Application.number,
    Application.program_id,
    Application.batch_id,
    Application.applicant_user_id,
    Application.organization_id,
    Application.person_id,
    Application.applicant_name,
    Application.district,
    Application.state,
    Application.version,
    Application.workflow_id,
    Application.computed_amount,
    Application.approved_amount,
    Application.submitted_on,
    Application.due_on,
    Application.first_approver_id,
)


@dataclass(frozen=True, slots=True)
class QueueProgram:
    name: str
    expert_review: bool
    #: 办理结果: ``payment`` or ``recognition`` (no money, never disbursed).
    outcome: str = "payment"


@dataclass(frozen=True, slots=True)
class QueueCase:
    """What a queue row shows of a case, or gives the engine's guards (:func:`row_actions`):
    plain values read with one statement, not a loaded ``Application`` (the JSON of the
    case, its rule snapshot and its program's definition are large and never shown here;
    building fifty ORM objects per page cost more than the query)."""

    id: int
    number: str
    program_id: int
    batch_id: int | None
    applicant_user_id: int
    organization_id: int | None
    person_id: int | None
    applicant_name: str
    district: str
    state: str
    version: int
    workflow_id: str
    computed_amount: Decimal | None
    approved_amount: Decimal | None
    submitted_on: date | None
    due_on: date | None
    first_approver_id: int | None
    program: QueueProgram


_FAR_FUTURE: Final = date(9999, 12, 31)
_FAR_PAST: Final = date(1900, 1, 1)
_ZERO: Final = Decimal("0.00")


@dataclass(frozen=True)
class QueueFilters:
    """What the user narrowed the queue to; ``None`` means no restriction."""

    role: str | None = None
    program: str | None = None
    state: str | None = None
    district: str | None = None
    batch_id: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    q: str | None = None
    overdue: bool = False
    #: One of :data:`VIEWS`.
    view: str = DEFAULT_VIEW


@dataclass
class QueueRow:
    case: QueueCase
    amount: Decimal | None
    due_on: date | None
    overdue: bool
    #: Working days left until the due date (negative: days overdue).
    days_left: int | None
    expert_scores: int = 0
    open_objections: int = 0
    #: Those of :data:`ROW_ACTIONS` the user may take now (the engine's own predicate).
    actions: list[str] = field(default_factory=list)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    next_cursor: str | None
    sort: str
    limit: int
    #: How many cases wait for the user in all their queues, whatever the filters: the
    #: navigation badge (:func:`waiting_count`), counted by the same statement as ``total``.
    waiting: int | None = None

    def any_can(self, action: str) -> bool:
        """Whether the user may take ``action`` on any row of the page (batch forms)."""
        return any(action in r.actions for r in self.rows)


# --- scope -----------------------------------------------------------------------------


def queue_roles(user: User) -> list[str]:
    """The user's roles that have a queue, in a fixed order."""
    return [r for r in QUEUE_ROLES if user.has_role(r)]


def queue_states(user: User, role: str | None = None) -> list[str]:
    """The states the user's queues hold (for the state filter)."""
    roles = [role] if role else queue_roles(user)
    out: list[str] = []
    for r in roles:
        out += [s for s in QUEUE_STATES.get(r, ()) if s not in out]
    return out


def _in_states(states: tuple[str, ...]) -> sa.ColumnElement[bool]:
    # One state as ``=``: PostgreSQL then reads ix_applications_queue in due-date order
    # and stops after a page (an IN list makes it sort the whole queue).
    if not states:
        return sa.false()
    return Application.state == states[0] if len(states) == 1 else Application.state.in_(states)


def _role_scope(user: User, role: str, state: str | None = None) -> sa.ColumnElement[bool]:
    states = tuple(s for s in QUEUE_STATES[role] if state is None or s == state)
    if role == "county_reviewer":
        if not user.district:
            return sa.false()
        return sa.and_(Application.district == user.district, _in_states(states))
    if role == "expert":
        pending = (
            sa.select(ExpertAssignment.id)
            .where(
                ExpertAssignment.application_id == Application.id,
                ExpertAssignment.expert_id == user.id,
                ExpertAssignment.score.is_(None),
                ExpertAssignment.recused.is_(False),
            )
            .exists()
        )
        return sa.and_(_in_states(states), pending)
    return _in_states(states)


def _scope(
    user: User, visible: sa.ColumnElement[bool], role: str | None, state: str | None
) -> sa.ColumnElement[bool]:
    """The cases waiting for the user (in one of their roles, or in ``role`` only; in
    ``state`` only when given), within ``visible``: what the user may see."""
    roles = queue_roles(user)
    if role is not None:
        if role not in roles:
            raise ValidationFailed("您没有该角色的待办队列。", errors={"role": ["角色不正确。"]})
        roles = [role]
    if not roles:
        return sa.false()
    return sa.and_(visible, sa.or_(*(_role_scope(user, r, state) for r in roles)))


def _acted_on(user: User) -> sa.ColumnElement[bool]:
    """已办: the cases the user acted on — for a county reviewer, any county reviewer of
    their district (they act on their district's cases only). Read from the audit trail by
    actor (``ix_audit_events_actor_case``) or by case (``ix_audit_events_application_id``)."""
    mine = Application.id.in_(
        sa.select(AuditEvent.application_id).where(
            AuditEvent.actor_id == user.id,
            AuditEvent.kind == "case.action",
            AuditEvent.application_id.is_not(None),
        )
    )
    if not (user.has_role("county_reviewer") and user.district):
        return mine
    district = sa.and_(
        Application.district == user.district,
        sa.select(AuditEvent.id)
        .where(
            AuditEvent.application_id == Application.id,
            AuditEvent.kind == "case.action",
            AuditEvent.actor_role == "county_reviewer",
        )
        .exists(),
    )
    return sa.or_(mine, district)


def view_scope(
    user: User,
    visible: sa.ColumnElement[bool],
    view: str,
    role: str | None = None,
    state: str | None = None,
) -> sa.ColumnElement[bool]:
    """The cases a view lists for the user, within ``visible`` (what they may see). A state
    outside the user's waiting states (``/review?state=approved``) lists every case in that
    state they may see: the state filter offers them all."""
    if view not in VIEWS:
        raise ValidationFailed("视图不正确。", errors={"view": ["请选择列出的视图。"]})
    if view in WAITING_VIEWS and (state is None or state in queue_states(user, role)):
        scope = _scope(user, visible, role, state)
        t = today()
        if view == "overdue":
            return sa.and_(scope, Application.due_on < t)
        if view == "due_soon":
            return sa.and_(
                scope,
                Application.due_on >= t,
                Application.due_on <= time_rules.due_soon_until(t),
            )
        return scope
    if role is not None and role not in queue_roles(user):
        raise ValidationFailed("您没有该角色的待办队列。", errors={"role": ["角色不正确。"]})
    where = [visible, Application.state != "draft"]
    if view == "done":
        where.append(_acted_on(user))
    if state is not None:
        where.append(Application.state == state)
    return sa.and_(*where)


def conjuncts(*clauses: sa.ColumnElement[bool]) -> list[sa.ColumnElement[bool]]:
    """The clauses ANDed together, as a flat list in which each plain comparison of a
    column with a value appears once. The role's scope, the visibility rule and the user's
    filters often say the same thing ("district = 330402"); said three times, the database
    tests it three times for every case it counts."""
    out: list[sa.ColumnElement[bool]] = []
    seen: set[tuple[Any, ...]] = set()
    for clause in clauses:
        parts = (
            clause.clauses
            if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_
            else (clause,)
        )
        for part in parts:
            key = _comparison_key(part)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            out.append(part)
    return out


def _comparison_key(clause: Any) -> tuple[Any, ...] | None:
    """(table, column, operator, value) of ``column <op> value``; None for anything else."""
    if not isinstance(clause, BinaryExpression):
        return None
    column, value = clause.left, clause.right
    if not isinstance(column, sa.Column) or not isinstance(value, BindParameter):
        return None
    plain = tuple(value.value) if isinstance(value.value, list) else value.value
    try:
        hash(plain)
    except TypeError:
        return None
    return (column.table.name, column.key, clause.operator, plain)


def waiting_count(user: User) -> int:
    """How many cases wait for the user (the navigation badge): one COUNT query, kept
    built with the user's queue (:func:`_statements`)."""
    if not getattr(user, "is_authenticated", False) or not queue_roles(user):
        return 0
    _everything, waiting = _connection().execute(_statements(user, QueueFilters()).count).one()
    return int(waiting)


def _connection() -> sa.Connection:
    """The session's connection, for statements read as plain rows (no ORM objects are
    made from them; the ORM's result machinery cost a fifth of each statement), after what
    the session holds is flushed, as the session's own execute does."""
    db.session.flush()
    return db.session.connection()


# --- filters and sorting ---------------------------------------------------------------


def amount_expr() -> sa.ColumnElement[Any]:
    """The amount a queue shows and sorts by: approved if set, else computed, else 0."""
    return sa.func.coalesce(
        Application.approved_amount, Application.computed_amount, sa.literal(_ZERO, sa.Numeric)
    )


@functools.cache
def _sort_expr(key: str) -> sa.ColumnElement[Any]:
    if key == "due":
        return sa.func.coalesce(Application.due_on, sa.literal(_FAR_FUTURE, sa.Date))
    if key == "submitted":
        return sa.func.coalesce(Application.submitted_on, sa.literal(_FAR_PAST, sa.Date))
    if key == "amount":
        return amount_expr()
    return Application.number


def _sort_value(key: str, case: QueueCase) -> Any:
    """The row's sort key, computed as the SQL expression computes it."""
    if key == "due":
        return case.due_on or _FAR_FUTURE
    if key == "submitted":
        return case.submitted_on or _FAR_PAST
    if key == "amount":
        return row_amount(case) or _ZERO
    return case.number


def row_amount(case: QueueCase | Application) -> Decimal | None:
    if case.approved_amount is not None:
        return case.approved_amount
    return case.computed_amount


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """``"-amount"`` → (``"amount"``, descending)."""
    sort = (sort or DEFAULT_SORT).strip()
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        raise ValidationFailed("排序方式不正确。", errors={"sort": ["请选择列出的排序方式。"]})
    return key, desc


def _filter_clauses(f: QueueFilters) -> list[sa.ColumnElement[bool]]:
    errors: dict[str, list[str]] = {}
    if f.submitted_from and f.submitted_to and f.submitted_from > f.submitted_to:
        errors["submitted_to"] = ["结束日期不能早于开始日期。"]
    if f.amount_min is not None and f.amount_max is not None and f.amount_min > f.amount_max:
        errors["amount_max"] = ["最高金额不能低于最低金额。"]
    if errors:
        raise ValidationFailed("筛选条件有误。", errors=errors)
    out: list[sa.ColumnElement[bool]] = []
    if f.program:
        out.append(Application.program.has(Program.code == f.program))
    if f.state:
        out.append(Application.state == f.state)
    if f.district:
        out.append(Application.district == f.district)
    if f.batch_id is not None:
        out.append(Application.batch_id == f.batch_id)
    if f.submitted_from:
        out.append(Application.submitted_on >= f.submitted_from)
    if f.submitted_to:
        out.append(Application.submitted_on <= f.submitted_to)
    if f.amount_min is not None:
        out.append(amount_expr() >= f.amount_min)
    if f.amount_max is not None:
        out.append(amount_expr() <= f.amount_max)
    search = case_search(f.q)
    if search is not None:
        out.append(search)
    if f.overdue:
        out.append(Application.due_on < today())
    return out


# --- cursors ---------------------------------------------------------------------------


def encode_cursor(sort: str, value: Any, case_id: int) -> str:
    if isinstance(value, date):
        raw: Any = value.isoformat()
    elif isinstance(value, Decimal):
        raw = f"{value:.2f}"
    else:
        raw = value
    text = json.dumps([sort, raw, case_id], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The (sort key, id) a cursor carries; refused when it is malformed or was made for
    another sort order."""
    bad = ValidationFailed(
        "翻页参数无效，请回到第一页重新浏览。", errors={"cursor": ["翻页参数无效。"]}
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise bad from exc
    if not (isinstance(data, list) and len(data) == 3 and data[0] == sort):
        raise bad
    _, raw, case_id = data
    if not isinstance(case_id, int) or isinstance(case_id, bool) or not isinstance(raw, str):
        raise bad
    key = sort.lstrip("-")
    try:
        if key in ("due", "submitted"):
            return date.fromisoformat(raw), case_id
        if key == "amount":
            return Decimal(raw), case_id
    except (ValueError, InvalidOperation) as exc:
        raise bad from exc
    return raw, case_id


@functools.cache
def _due_order(desc: bool) -> tuple[sa.ColumnElement[Any], ...]:
    """By due date as ``COALESCE(due_on, far future)`` orders (no due date last, or first
    when descending), on the plain column, so that the queue index gives the order."""
    if desc:
        return (Application.due_on.desc().nulls_first(), Application.id.desc())
    return (Application.due_on.asc().nulls_last(), Application.id.asc())


def _after_due(value: date, case_id: int, desc: bool) -> list[sa.ColumnElement[bool]]:
    """The rows after the cursor in :func:`_due_order`, as conditions each of which the
    queue index answers in order (read one after the other until the page is full): a
    single condition with an ``OR due_on IS NULL`` in it made PostgreSQL read every row
    before the cursor again, so that page 20 cost ten times page 1. ``value`` is the far
    future for a case without a due date, as :func:`_sort_value` encodes it; those cases
    come last, or first when descending."""
    due, key = Application.due_on, sa.tuple_(Application.due_on, Application.id)
    if value == _FAR_FUTURE:
        if desc:
            return [sa.and_(due.is_(None), Application.id < case_id), due.is_not(None)]
        return [sa.and_(due.is_(None), Application.id > case_id)]
    after = sa.tuple_(sa.literal(value, sa.Date), sa.literal(case_id))
    if desc:
        return [key < after]
    return [key > after, due.is_(None)]


def _after(expr: sa.ColumnElement[Any], value: Any, case_id: int, desc: bool):  # noqa: ANN202
    if desc:
        return sa.or_(expr < value, sa.and_(expr == value, Application.id < case_id))
    return sa.or_(expr > value, sa.and_(expr == value, Application.id > case_id))


# --- the page --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Statements:
    #: The page's total and the navigation badge (all the cases waiting for the user).
    count: sa.Select[Any]
    #: The page's rows, before their order and the cursor.
    rows: sa.Select[Any]


#: The statements of a queue, per process, by everything their conditions are made of:
#: who asks (their id, roles, district, organisation and person — what the visibility rule
#: and the queue's scope read), the filters, and today's date for "overdue only". Building
#: the two dozen conditions of a page took a tenth of its time; they are the same for every
#: page a reviewer turns.
_STATEMENTS: ProcessCache[tuple[Any, ...], _Statements] = ProcessCache(most=1024)


def _statements(user: User, filters: QueueFilters) -> _Statements:
    key = (
        user.id,
        tuple(user.roles),
        user.district,
        user.organization_id,
        user.person_id,
        filters,
        today() if filters.overdue or filters.view in ("overdue", "due_soon") else None,
    )
    return _STATEMENTS.get(key, lambda: _build_statements(user, filters))


def _build_statements(user: User, filters: QueueFilters) -> _Statements:
    visible = visibility_filter(user)
    waiting_where = conjuncts(_scope(user, visible, None, None))
    page_scope = (
        waiting_where
        if filters.role is None and filters.state is None and filters.view == DEFAULT_VIEW
        else [view_scope(user, visible, filters.view, filters.role, filters.state)]
    )
    where = conjuncts(*page_scope, *_filter_clauses(filters))
    if filters.view not in WAITING_VIEWS or (
        filters.state is not None and filters.state not in queue_states(user, filters.role)
    ):
        # 已办 and 全部 are no part of what waits for the user: two counts, one statement.
        count = sa.select(
            sa.select(sa.func.count()).select_from(Application).where(*where).scalar_subquery(),
            sa.select(sa.func.count())
            .select_from(Application)
            .where(*waiting_where)
            .scalar_subquery(),
        )
        return _Statements(count=count, rows=_rows_statement().where(*where))
    # The page's total and the navigation badge in one statement: the page's cases are a
    # part of all the cases waiting for the user, so the page's count needs only what its
    # conditions add to theirs.
    known = {_comparison_key(c) for c in waiting_where} - {None}
    narrower = [c for c in where if _comparison_key(c) not in known]
    page_count = sa.func.count().filter(sa.and_(*narrower)) if narrower else sa.func.count()
    return _Statements(
        count=sa.select(page_count, sa.func.count()).select_from(Application).where(*waiting_where),
        rows=_rows_statement().where(*where),
    )


def queue_page(
    user: User,
    filters: QueueFilters | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> QueuePage:
    """One page of the user's queue: a fixed, small number of statements whatever its size
    (the total with the navigation badge's count; the rows with their program; expert
    scores and open objections when a row of the page shows them)."""
    filters = filters or QueueFilters()
    sort = sort or DEFAULT_SORT
    key, desc = parse_sort(sort)
    limit = max(1, min(int(limit), MAX_LIMIT))
    statements = _statements(user, filters)
    conn = _connection()
    total, waiting = conn.execute(statements.count).one()

    expr = _sort_expr(key)
    stmt = statements.rows
    segments: list[sa.ColumnElement[bool] | None] = [None]
    if cursor:
        value, after_id = decode_cursor(cursor, sort)
        if key == "due":
            segments = [*_after_due(value, after_id, desc)]
        else:
            segments = [_after(expr, value, after_id, desc)]
    if key == "due":
        order = _due_order(desc)
    else:
        order = (expr.desc(), Application.id.desc()) if desc else (expr.asc(), Application.id.asc())
    found: list[QueueCase] = []
    for condition in segments:
        part = stmt if condition is None else stmt.where(condition)
        part = part.order_by(*order).limit(limit + 1 - len(found))
        found += [
            QueueCase(*r[:-3], program=QueueProgram(r[-3], bool(r[-2]), str(r[-1])))
            for r in conn.execute(part)
        ]
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]

    # Expert scores are shown for the cases waiting for their experts; objections can be
    # open only during the public notice (no action leaves ``in_notice`` while one is
    # open, but upholding it). Other rows need neither count: no statement for them.
    scores = _scores_by_case(
        [c.id for c in found if c.state == "county_approved" and c.program.expert_review]
    )
    objections = _open_objections_by_case([c.id for c in found if c.state == "in_notice"])
    t = today()
    actor = _actor(user)
    rows = []
    for case in found:
        rows.append(
            QueueRow(
                case=case,
                amount=row_amount(case),
                due_on=case.due_on,
                overdue=case.due_on is not None and t > case.due_on,
                days_left=_working_days_between(t, case.due_on) if case.due_on else None,
                expert_scores=scores.get(case.id, 0),
                open_objections=objections.get(case.id, 0),
                actions=row_actions(actor, case, t),
            )
        )
    next_cursor = encode_cursor(sort, _sort_value(key, found[-1]), found[-1].id) if more else None
    return QueuePage(
        rows=rows,
        total=int(total),
        next_cursor=next_cursor,
        sort=sort,
        limit=limit,
        waiting=int(waiting),
    )


@functools.cache
def _rows_statement() -> sa.Select[Any]:
    """A queue row's columns with its program's, built once: the page adds its conditions
    (building the nineteen columns for every page cost more than running the query)."""
    return sa.select(*_ROW_COLUMNS, Program.name, Program.expert_review, Program.outcome).join(
        Program, Program.id == Application.program_id
    )


@functools.lru_cache(maxsize=4096)
def _working_days_between(start: date, end: date) -> int:
    # A pure function of two dates, asked for every row of every page: remembered, as the
    # calendar walks day by day (tens of microseconds per day).
    return wcal.working_days_between(start, end)


def _scores_by_case(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return _counts(
        sa.select(ExpertAssignment.application_id, sa.func.count(ExpertAssignment.score))
        .where(ExpertAssignment.application_id.in_(ids))
        .group_by(ExpertAssignment.application_id)
    )


def _open_objections_by_case(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return _counts(
        sa.select(Objection.application_id, sa.func.count())
        .where(Objection.application_id.in_(ids), Objection.status == "open")
        .group_by(Objection.application_id)
    )


def _counts(stmt: sa.Select[Any]) -> dict[int, int]:
    return {int(a): int(n) for a, n in _connection().execute(stmt).all()}


def _actor(user: User) -> Actor:

    return actor_for(user)


@functools.lru_cache(maxsize=64)
def _offered(workflow_id: str, state: str) -> tuple[str, ...]:
    """Those of :data:`ROW_ACTIONS` the workflow offers in the state, whoever asks."""
    return tuple(a for a in ROW_ACTIONS if a in actions_from(workflow_id, state))


def row_actions(actor: Actor, case: QueueCase | Application, on: date) -> list[str]:
    """Which of :data:`ROW_ACTIONS` the actor may take on the case now — the engine's own
    predicate, asked with the facts of the row (these actions need no others), for the
    actions the case's workflow offers in its state (the engine refuses any other on the
    state alone)."""
    offered = _offered(case.workflow_id, case.state)
    if not offered:
        return []
    facts = CaseFacts(
        id=case.id,
        workflow_id=case.workflow_id,
        state=case.state,
        version=case.version,
        district=case.district,
        applicant_user_id=case.applicant_user_id,
        organization_id=case.organization_id,
        person_id=case.person_id,
        first_approver_id=case.first_approver_id,
        approved_amount=case.approved_amount,
        money_program=case.program.outcome == "payment",
    )
    return [a for a in offered if can_act(actor, facts, a, today=on)]


@dataclass(frozen=True)
class FilterChoices:
    """What the queue's program and batch filters offer."""

    #: ``(code, name)`` of every program, in catalogue order.
    programs: tuple[tuple[str, str], ...]
    #: ``(id, name, year, program name)`` of every batch, newest year first.
    batches: tuple[tuple[int, str | None, int, str], ...]


def filter_choices() -> FilterChoices:
    """The programs and batches the queue's filters offer, in one light statement (the
    few columns shown, no program definitions). They change a few times a year, and every
    queue page offers them: kept per app for ``ZC_FILTER_CHOICES_TTL`` seconds (default 30;
    0 in tests). A batch made or renamed in this process is offered at once
    (:func:`forget_filter_choices`); one made in another process, within that time."""
    ttl = float(current_app.config.get("ZC_FILTER_CHOICES_TTL", 30))
    kept = current_app.extensions.get(_CHOICES_KEY)
    if kept is not None and time.monotonic() - kept[0] < ttl:
        return kept[1]
    rows = db.session.execute(_FILTER_CHOICES).all()
    programs = sorted({(pid, code, name) for pid, code, name, *_batch in rows})
    choices = FilterChoices(
        programs=tuple((code, name) for _pid, code, name in programs),
        batches=tuple(
            (bid, bname, year, pname)
            for _pid, _code, pname, bid, bname, year in rows
            if bid is not None
        ),
    )
    current_app.extensions[_CHOICES_KEY] = (time.monotonic(), choices)
    return choices


def forget_filter_choices() -> None:
    """After a batch or program changed: the next queue page reads the choices again."""
    current_app.extensions.pop(_CHOICES_KEY, None)


_CHOICES_KEY: Final = "zc_queue_filter_choices"

#: Every program with each of its batches (if any), the batches newest year first.
_FILTER_CHOICES: Final = (
    sa.select(Program.id, Program.code, Program.name, Batch.id, Batch.name, Batch.year)
    .select_from(Program)
    .outerjoin(Batch, Batch.program_id == Program.id)
    .order_by(Batch.year.desc(), Program.id, Batch.id)
)
