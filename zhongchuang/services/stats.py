"""统计 — figures for the statistics page and ``GET /api/v1/stats``.

Counts and amounts by program, state, district and year; how long cases stay in each
stage (median, from the audit trail: the time between the action that brought a case into
a state and the one that took it out); overdue cases; and progress against the 2020 targets
of article 二 of 嘉政办发〔2015〕90号. Only the number of maker spaces is held by this system;
the other targets are shown with "暂无数据来源" — no figure is invented.

:func:`summary` returns plain JSON-ready values, money as strings of yuan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

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
from zhongchuang.models.cases import HOLDING_STATES
from zhongchuang.policy.identity import JIAXING_DISTRICTS, district_name
from zhongchuang.services.cases import CITY_WIDE_ROLES, visibility_filter
from zhongchuang.services.runtime import now, setting, today
from zhongchuang.workflow import stays as stay_rules
from zhongchuang.workflow.machine import STATES, state_label

CENT: Final = Decimal("0.01")
NO_SOURCE: Final = "暂无数据来源"
#: States whose time limit runs against staff (overdue counts).
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


def _scope(user: User | None) -> list[sa.ColumnElement[bool]]:
    """Submitted cases (never drafts), within what the user may see."""
    clauses: list[sa.ColumnElement[bool]] = [Application.state != "draft"]
    if user is not None:
        clauses.append(visibility_filter(user))
    return clauses


def _amount_columns() -> list[sa.ColumnElement[Any]]:
    return [
        sa.func.count(Application.id),
        sa.func.sum(Application.computed_amount),
        sa.func.sum(sa.case((Application.state.in_(HOLDING_STATES), Application.approved_amount))),
        sa.func.sum(sa.case((Application.state == "disbursed", Application.approved_amount))),
    ]


def _amounts(row: Any) -> dict[str, Any]:
    count, computed, approved, disbursed = row
    return {
        "count": int(count or 0),
        "requested_amount": _money(computed),
        "approved_amount": _money(approved),
        "disbursed_amount": _money(disbursed),
    }


def by_program(user: User | None = None) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(Program.code, Program.name, *_amount_columns())
        .join(Application, Application.program_id == Program.id)
        .where(*_scope(user))
        .group_by(Program.id, Program.code, Program.name)
        .order_by(Program.id)
    ).all()
    return [{"program": r[0], "name": r[1], **_amounts(r[2:])} for r in rows]


def by_state(user: User | None = None) -> list[dict[str, Any]]:
    counts = dict(
        db.session.execute(
            sa.select(Application.state, sa.func.count())
            .where(*_scope(user))
            .group_by(Application.state)
        ).all()
    )
    return [
        {"state": s, "label": state_label(s), "count": int(counts[s])}
        for s in STATES
        if s in counts
    ]


def by_district(user: User | None = None) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(Application.district, *_amount_columns())
        .where(*_scope(user))
        .group_by(Application.district)
        .order_by(Application.district)
    ).all()
    return [{"district": r[0], "name": district_name(r[0]), **_amounts(r[1:])} for r in rows]


def by_year(user: User | None = None) -> list[dict[str, Any]]:
    """By the batch's (fiscal) year (申报年度)."""
    rows = db.session.execute(
        sa.select(Batch.year, *_amount_columns())
        .select_from(Application)
        .outerjoin(Batch, Batch.id == Application.batch_id)
        .where(*_scope(user))
        .group_by(Batch.year)
        .order_by(Batch.year)
    ).all()
    return [{"year": r[0], **_amounts(r[1:])} for r in rows]


def overdue(user: User | None = None, on: date | None = None) -> dict[str, Any]:
    """Cases past their due date in a state that waits for staff."""
    on = on or today()
    base = [
        *_scope(user),
        Application.state.in_(STAFF_WAITING_STATES),
        Application.due_on < on,
    ]
    by_state_rows = dict(
        db.session.execute(
            sa.select(Application.state, sa.func.count()).where(*base).group_by(Application.state)
        ).all()
    )
    by_district_rows = db.session.execute(
        sa.select(Application.district, sa.func.count())
        .where(*base)
        .group_by(Application.district)
        .order_by(Application.district)
    ).all()
    return {
        "total": int(sum(by_state_rows.values())),
        "by_state": [
            {"state": s, "label": state_label(s), "count": int(by_state_rows[s])}
            for s in STAFF_WAITING_STATES
            if s in by_state_rows
        ],
        "by_district": [
            {"district": d, "name": district_name(d), "count": int(n)} for d, n in by_district_rows
        ],
    }


def _stay_scope(user: User | None) -> list[sa.ColumnElement[bool]]:
    """The stays of the cases the user may see: all for city roles, the district's for a
    county reviewer, otherwise those of the cases :func:`visibility_filter` lets through."""
    if user is None or set(user.roles) & CITY_WIDE_ROLES:
        return []
    if set(user.roles) == {"county_reviewer"} and user.district:
        return [CaseStay.district == user.district]
    return [CaseStay.application_id.in_(sa.select(Application.id).where(*_scope(user)))]


def stage_durations(user: User | None = None) -> list[dict[str, Any]]:
    """Median time spent in each state, over the completed stays (``case_stays``, written
    with each transition): calendar days and working days between the day a case entered
    the state and the day it left. Stays still running are not counted. The database
    returns histograms; the medians are exact."""
    clauses = _stay_scope(user)
    by_days: dict[str, dict[int, int]] = defaultdict(dict)
    by_work: dict[str, dict[int, int]] = defaultdict(dict)
    for column, target in ((CaseStay.days, by_days), (CaseStay.working_days, by_work)):
        rows = db.session.execute(
            sa.select(CaseStay.state, column, sa.func.count())
            .where(*clauses)
            .group_by(CaseStay.state, column)
        )
        for state, value, n in rows:
            target[state][int(value)] = int(n)
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
    on = on or today()
    programs = by_program(user)
    scope = "city"
    if user is not None and not (set(user.roles) & CITY_WIDE_ROLES):
        scope = user.district or "own"
    totals = {
        "count": sum(p["count"] for p in programs),
        "requested_amount": _money(sum(Decimal(p["requested_amount"]) for p in programs)),
        "approved_amount": _money(sum(Decimal(p["approved_amount"]) for p in programs)),
        "disbursed_amount": _money(sum(Decimal(p["disbursed_amount"]) for p in programs)),
    }
    return {
        "as_of": on.isoformat(),
        "scope": scope,
        "totals": totals,
        "by_program": programs,
        "by_state": by_state(user),
        "by_district": by_district(user),
        "by_year": by_year(user),
        "stage_durations": stage_durations(user),
        "overdue": overdue(user, on),
        "targets": targets(on),
    }


def ttl_seconds() -> int:
    """How long computed figures are reused (``ZC_STATS_TTL``; 0: never)."""
    return max(0, int(setting("ZC_STATS_TTL", 300) or 0))


def scope_key(user: User | None) -> str:
    """Which snapshot a user's figures are kept under: the city, a district, or (experts,
    several roles) the user alone."""
    if user is None or set(user.roles) & CITY_WIDE_ROLES:
        return "city"
    if set(user.roles) == {"county_reviewer"} and user.district:
        return f"district:{user.district}"
    return f"user:{user.id}"


def cached_summary(user: User | None = None, on: date | None = None) -> dict[str, Any]:
    """:func:`summary`, reused from the scope's snapshot while it is younger than
    ``ZC_STATS_TTL`` seconds (0: always computed afresh) and of the same date. Adds
    ``computed_at`` (ISO time, UTC): the page says how fresh the figures are.

    At 1,000,000 cases the figures take seconds to compute (every count reads the whole
    scope); a snapshot keeps the page instant, and ``flask stats refresh`` (cron) keeps the
    snapshots warm so that no one waits."""
    on = on or today()
    ttl = ttl_seconds()
    key = scope_key(user)
    if ttl > 0:
        snap = db.session.get(StatsSnapshot, key)
        if (
            snap is not None
            and snap.as_of == on
            and now() - snap.computed_at < timedelta(seconds=ttl)
        ):
            return {**snap.payload, "computed_at": snap.computed_at.isoformat()}
    data = summary(user, on)
    computed_at = now()
    if ttl > 0:
        _store(key, on, computed_at, data)
    return {**data, "computed_at": computed_at.isoformat()}


def _store(key: str, on: date, computed_at: datetime, data: dict[str, Any]) -> None:
    """Keep the figures (its own commit: a page view writes nothing else). Two workers
    computing the same scope at once: the second write loses, harmlessly."""
    try:
        db.session.merge(StatsSnapshot(scope=key, as_of=on, computed_at=computed_at, payload=data))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def refresh(on: date | None = None) -> list[str]:
    """Compute and keep the snapshots of the city and of every district: for cron, so that
    no page view waits. The scopes refreshed. (Experts' own scopes are small and computed
    when asked.)"""
    on = on or today()
    scopes: list[tuple[str, Any]] = [("city", None)]
    scopes += [(f"district:{d}", _DistrictScope(d)) for d in JIAXING_DISTRICTS]
    for key, who in scopes:
        _store(key, on, now(), summary(who, on))
    return [key for key, _ in scopes]


class _DistrictScope:
    """Stands for any county reviewer of a district (what ``summary`` asks of a user)."""

    def __init__(self, district: str) -> None:
        self.id = 0
        self.district = district
        self.roles = ["county_reviewer"]
