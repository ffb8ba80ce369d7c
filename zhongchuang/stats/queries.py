"""统计 — figures for the statistics page and ``GET /api/v1/stats``.

Counts and amounts by program, state, district and year; how long cases stay in each
stage (median, from the audit trail: the time between the action that brought a case into
a state and the one that took it out); overdue cases; and progress against the 2020 targets
of article 二 of 嘉政办发〔2015〕90号. Only the number of maker spaces is held by this system;
the other targets are shown with "暂无数据来源" — no figure is invented.

:func:`summary` returns plain JSON-ready values, money as strings of yuan.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from zhongchuang.cases.visibility import CITY_WIDE_ROLES, visibility_filter
from zhongchuang.extensions import db
from zhongchuang.models import (
    Application,
    Batch,
    CaseStay,
    MakerSpace,
    Program,
    StatsSnapshot,
    User,
)
from zhongchuang.policy.identity import JIAXING_DISTRICTS, district_name
from zhongchuang.runtime import now, setting, today
from zhongchuang.uow import unit_of_work
from zhongchuang.workflow import stays as stay_rules
from zhongchuang.workflow.machine import HOLDING_STATES, STATES, state_label

CENT: Final = Decimal("0.01")
NO_SOURCE: Final = "暂无数据来源"
#: States whose time limit runs against staff (overdue counts). ``due_on`` is set only while
#: a clock runs (``workflow.clock``): a paused or ended case never counts as overdue.
STAFF_WAITING_STATES: Final = (
    "submitted",
    "accepted",
    "county_approved",
    "expert_reviewed",
    "city_approved",
    "approved",
)

#: 二、工作目标 (到2020年): key, label, target, unit, article.
TARGETS: Final = (
    ("maker_spaces", "众创空间", 100, "家", "二(一)"),
    ("vc_institutions", "创业投资机构", 20, "家", "二(二)"),
    ("vc_fund_size", "创业投资管理资金规模", 100, "亿元", "二(二)"),
    ("talents", "科技创业创新人才", 50000, "人", "二(三)"),
    ("mentors", "创业导师", 500, "人", "二(三)"),
    ("tech_smes", "科技型中小微企业", 3000, "家", "二(四)"),
    ("high_tech_enterprises", "高新技术企业", 800, "家", "二(四)"),
)


def _money(value: Any) -> str:
    return f"{Decimal(str(value or 0)).quantize(CENT):.2f}"


@dataclass(frozen=True)
class Scope:
    """Whose figures: which cases and stays they count, the snapshot they are kept under
    (``key``), and what the page and the API call the scope (``label``: ``city``, a
    district's code, or ``own``)."""

    key: str
    label: str
    cases: tuple[sa.ColumnElement[bool], ...]
    stays: tuple[sa.ColumnElement[bool], ...]


def city_scope() -> Scope:
    return Scope("city", "city", (Application.state != "draft",), ())


def district_scope(district: str) -> Scope:
    """What any county reviewer of the district sees."""
    return Scope(
        f"district:{district}",
        district,
        (Application.state != "draft", Application.district == district),
        (CaseStay.district == district,),
    )


def scope_of(user: User | None) -> Scope:
    """The submitted cases (never drafts) the user may see: all for city roles (or no user:
    the whole city), the district's for a county reviewer, otherwise (experts, several
    roles) those :func:`visibility_filter` lets through, kept under the user alone."""
    if user is None or set(user.roles) & CITY_WIDE_ROLES:
        return city_scope()
    if set(user.roles) == {"county_reviewer"} and user.district:
        return district_scope(user.district)
    cases = (Application.state != "draft", visibility_filter(user))
    return Scope(
        f"user:{user.id}",
        user.district or "own",
        cases,
        (CaseStay.application_id.in_(sa.select(Application.id).where(*cases)),),
    )


@dataclass(frozen=True)
class _Cell:
    """The cases of one (program, district, batch, state): one row of the grouped query
    every table of the page is summed from — one pass over the cases, not one per table."""

    program_id: int
    district: str
    batch_id: int | None
    state: str
    count: int
    computed: Decimal
    approved: Decimal
    overdue: int


def _cells(scope: Scope, on: date) -> list[_Cell]:
    rows = db.session.execute(
        sa.select(
            Application.program_id,
            Application.district,
            Application.batch_id,
            Application.state,
            sa.func.count(Application.id),
            sa.func.sum(Application.computed_amount),
            sa.func.sum(Application.approved_amount),
            sa.func.sum(sa.case((Application.due_on < on, 1), else_=0)),
        )
        .where(*scope.cases)
        .group_by(
            Application.program_id, Application.district, Application.batch_id, Application.state
        )
    ).all()
    return [
        _Cell(p, d, b, st, int(n), Decimal(str(c or 0)), Decimal(str(a or 0)), int(o or 0))
        for p, d, b, st, n, c, a, o in rows
    ]


def _amounts(cells: list[_Cell]) -> dict[str, Any]:
    """Count, requested, approved (cases holding money: city-approved to disbursed) and
    disbursed amounts."""
    return {
        "count": sum(c.count for c in cells),
        "requested_amount": _money(sum(c.computed for c in cells)),
        "approved_amount": _money(sum(c.approved for c in cells if c.state in HOLDING_STATES)),
        "disbursed_amount": _money(sum(c.approved for c in cells if c.state == "disbursed")),
    }


def _group(cells: list[_Cell], key: Any) -> dict[Any, list[_Cell]]:
    out: dict[Any, list[_Cell]] = defaultdict(list)
    for c in cells:
        out[key(c)].append(c)
    return out


def _by_program(cells: list[_Cell]) -> list[dict[str, Any]]:
    groups = _group(cells, lambda c: c.program_id)
    programs = db.session.execute(
        sa.select(Program.id, Program.code, Program.name)
        .where(Program.id.in_(list(groups)))
        .order_by(Program.id)
    ).all()
    return [
        {"program": code, "name": name, **_amounts(groups[pid])} for pid, code, name in programs
    ]


def _by_state(cells: list[_Cell]) -> list[dict[str, Any]]:
    counts = {s: sum(c.count for c in g) for s, g in _group(cells, lambda c: c.state).items()}
    return [
        {"state": s, "label": state_label(s), "count": counts[s]} for s in STATES if s in counts
    ]


def _by_district(cells: list[_Cell]) -> list[dict[str, Any]]:
    groups = _group(cells, lambda c: c.district)
    return [
        {"district": d, "name": district_name(d), **_amounts(groups[d])} for d in sorted(groups)
    ]


def _by_year(cells: list[_Cell]) -> list[dict[str, Any]]:
    """By the batch's (fiscal) year (申报年度); cases outside any batch last."""
    batch_ids = {c.batch_id for c in cells if c.batch_id is not None}
    years = dict(
        db.session.execute(sa.select(Batch.id, Batch.year).where(Batch.id.in_(batch_ids))).all()
    )
    groups = _group(cells, lambda c: years.get(c.batch_id))
    order = sorted(groups, key=lambda y: (y is None, y or 0))
    return [{"year": y, **_amounts(groups[y])} for y in order]


def _overdue(cells: list[_Cell]) -> dict[str, Any]:
    """Cases past their due date in a state that waits for staff."""
    late = [c for c in cells if c.state in STAFF_WAITING_STATES and c.overdue]
    states = {s: sum(c.overdue for c in g) for s, g in _group(late, lambda c: c.state).items()}
    districts = _group(late, lambda c: c.district)
    return {
        "total": sum(states.values()),
        "by_state": [
            {"state": s, "label": state_label(s), "count": states[s]}
            for s in STAFF_WAITING_STATES
            if s in states
        ],
        "by_district": [
            {"district": d, "name": district_name(d), "count": sum(c.overdue for c in districts[d])}
            for d in sorted(districts)
        ],
    }


def by_program(user: User | None = None) -> list[dict[str, Any]]:
    return _by_program(_cells(scope_of(user), today()))


def by_state(user: User | None = None) -> list[dict[str, Any]]:
    return _by_state(_cells(scope_of(user), today()))


def by_district(user: User | None = None) -> list[dict[str, Any]]:
    return _by_district(_cells(scope_of(user), today()))


def by_year(user: User | None = None) -> list[dict[str, Any]]:
    return _by_year(_cells(scope_of(user), today()))


def overdue(user: User | None = None, on: date | None = None) -> dict[str, Any]:
    return _overdue(_cells(scope_of(user), on or today()))


def stage_durations(
    user: User | None = None, *, scope: Scope | None = None
) -> list[dict[str, Any]]:
    """Median time spent in each state, over the completed stays (``case_stays``, written
    with each transition): calendar days and working days between the day a case entered
    the state and the day it left. Stays still running are not counted. The database
    returns histograms; the medians are exact."""
    by_days: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_work: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(
        sa.select(CaseStay.state, CaseStay.days, CaseStay.working_days, sa.func.count())
        .where(*(scope or scope_of(user)).stays)
        .group_by(CaseStay.state, CaseStay.days, CaseStay.working_days)
    )
    for state, days, work, n in rows:
        by_days[state][int(days)] += int(n)
        by_work[state][int(work)] += int(n)
    return [
        {
            "state": s,
            "label": state_label(s),
            "stays": sum(by_days[s].values()),
            "median_days": _median(by_days[s]),
            "median_working_days": _median(by_work[s]),
        }
        for s in STATES
        if by_days.get(s)
    ]


def _median(histogram: dict[int, int]) -> float:
    return round(float(stay_rules.histogram_median(histogram) or 0), 1)


def targets(on: date | None = None) -> list[dict[str, Any]]:
    """Progress against 二、工作目标 (到2020年). Only maker spaces are counted here: the
    市级众创空间 recognised through this system (all of the city, whoever asks)."""
    on = on or today()
    spaces = db.session.execute(
        sa.select(sa.func.count()).select_from(MakerSpace).where(MakerSpace.recognised_on <= on)
    ).scalar_one()
    out = []
    for key, label, target, unit, article in TARGETS:
        actual = int(spaces) if key == "maker_spaces" else None
        out.append(
            {
                "key": key,
                "label": label,
                "target": target,
                "unit": unit,
                "article": article,
                "actual": actual,
                "progress_percent": round(actual * 100 / target, 1) if actual is not None else None,
                "source": "本系统认定的市级众创空间" if actual is not None else None,
                "note": None if actual is not None else NO_SOURCE,
            }
        )
    return out


def summary(user: User | None = None, on: date | None = None) -> dict[str, Any]:
    """Everything above, JSON-ready (money as strings). Without ``user``: the whole city;
    with one: what that user may see (a county reviewer, their district)."""
    return summary_for(scope_of(user), on)


def summary_for(scope: Scope, on: date | None = None) -> dict[str, Any]:
    on = on or today()
    cells = _cells(scope, on)
    return {
        "as_of": on.isoformat(),
        "scope": scope.label,
        "totals": _amounts(cells),
        "by_program": _by_program(cells),
        "by_state": _by_state(cells),
        "by_district": _by_district(cells),
        "by_year": _by_year(cells),
        "stage_durations": stage_durations(scope=scope),
        "overdue": _overdue(cells),
        "targets": targets(on),
    }


def ttl_seconds() -> int:
    """How long computed figures are reused (``ZC_STATS_TTL``; 0: never)."""
    return max(0, int(setting("ZC_STATS_TTL", 300) or 0))


def cached_summary(user: User | None = None, on: date | None = None) -> dict[str, Any]:
    """:func:`summary`, reused from the scope's snapshot while it is younger than
    ``ZC_STATS_TTL`` seconds (0: always computed afresh) and of the same date. Adds
    ``computed_at`` (ISO time, UTC): the page says how fresh the figures are.

    At 1,000,000 cases the figures take seconds to compute (every count reads the whole
    scope); a snapshot keeps the page instant, and ``flask stats refresh`` (cron) keeps the
    snapshots warm so that no one waits."""
    on = on or today()
    ttl = ttl_seconds()
    scope = scope_of(user)
    if ttl > 0:
        snap = db.session.get(StatsSnapshot, scope.key)
        if (
            snap is not None
            and snap.as_of == on
            and now() - snap.computed_at < timedelta(seconds=ttl)
        ):
            return {**snap.payload, "computed_at": snap.computed_at.isoformat()}
    data = summary_for(scope, on)
    computed_at = now()
    if ttl > 0:
        _store(scope.key, on, computed_at, data)
    return {**data, "computed_at": computed_at.isoformat()}


def _store(key: str, on: date, computed_at: datetime, data: dict[str, Any]) -> None:
    """Keep the figures (its own commit: a page view writes nothing else). Two workers
    computing the same scope at once: the second write loses, harmlessly."""
    with contextlib.suppress(IntegrityError), unit_of_work():
        db.session.merge(StatsSnapshot(scope=key, as_of=on, computed_at=computed_at, payload=data))


def refresh(on: date | None = None) -> list[str]:
    """Compute and keep the snapshots of the city and of every district: for cron, so that
    no page view waits. The scopes refreshed. (Experts' own scopes are small and computed
    when asked.)"""
    on = on or today()
    scopes = [city_scope(), *(district_scope(d) for d in JIAXING_DISTRICTS)]
    for scope in scopes:
        _store(scope.key, on, now(), summary_for(scope, on))
    return [scope.key for scope in scopes]


def refresh_stats_job() -> dict[str, Any]:
    """统计快照: recompute the figures of the city and of every district (cron / worker
    form of ``flask stats refresh``; ``flask jobs run refresh-stats``)."""
    return {"scopes": refresh()}
