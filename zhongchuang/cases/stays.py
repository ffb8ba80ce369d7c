"""环节停留 — the stays the statistics read: written by the engine with each transition
(:func:`record_transition`), or rebuilt from the audit trail (:func:`rebuild_stays`: the
migration that created the table, and ``flask stats rebuild-stays``).

The rebuild works on a bare connection with table definitions of its own, so that the
migration keeps working whatever the models become later.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import groupby
from typing import Any, Final

import sqlalchemy as sa

from zhongchuang.clock import SHANGHAI
from zhongchuang.extensions import db
from zhongchuang.models import Application, CaseStay
from zhongchuang.uow import operation
from zhongchuang.workflow import stays as stay_rules

_CHUNK: Final = 5000

_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("kind", sa.String),
    sa.column("application_id", sa.Integer),
    sa.column("from_state", sa.String),
    sa.column("to_state", sa.String),
)
_applications = sa.table(
    "applications",
    sa.column("id", sa.Integer),
    sa.column("district", sa.String),
    sa.column("program_id", sa.Integer),
)
_stays = sa.table(
    "case_stays",
    sa.column("application_id", sa.Integer),
    sa.column("district", sa.String),
    sa.column("program_id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("entered_on", sa.Date),
    sa.column("left_on", sa.Date),
    sa.column("days", sa.Integer),
    sa.column("working_days", sa.Integer),
)


def record_transition(case: Application, from_state: str, to_state: str, on: date) -> None:
    """Inside the engine's transaction, before the case's state moves: the stay in
    ``from_state`` that this transition ends (nothing for a draft or no change)."""
    s = stay_rules.stay(from_state, case.state_entered_on, on, to_state)
    if s is None:
        return
    db.session.add(
        CaseStay(
            application_id=case.id,
            district=case.district,
            program_id=case.program_id,
            state=s.state,
            entered_on=s.entered_on,
            left_on=s.left_on,
            days=s.days,
            working_days=s.working_days,
        )
    )


def _local_day(at: datetime) -> date:
    """The Asia/Shanghai date of a stored instant (SQLite gives it back without its zone,
    which is UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI).date()


def _rows(conn: sa.Connection) -> Iterator[dict[str, Any]]:
    result = conn.execute(
        sa.select(
            _events.c.application_id,
            _events.c.at,
            _events.c.from_state,
            _events.c.to_state,
            _applications.c.district,
            _applications.c.program_id,
        )
        .join(_applications, _applications.c.id == _events.c.application_id)
        .where(
            _events.c.kind == "case.action",
            _events.c.from_state.is_not(None),
            _events.c.to_state.is_not(None),
        )
        .order_by(_events.c.application_id, _events.c.id)
        .execution_options(yield_per=_CHUNK)
    )
    for case_id, group in groupby(result, key=lambda r: r[0]):
        rows = list(group)
        district, program_id = rows[0][4], rows[0][5]
        history = ((_local_day(r[1]), r[2], r[3]) for r in rows)
        for s in stay_rules.stays_from_history(history):
            yield {
                "application_id": case_id,
                "district": district,
                "program_id": program_id,
                "state": s.state,
                "entered_on": s.entered_on,
                "left_on": s.left_on,
                "days": s.days,
                "working_days": s.working_days,
            }


def rebuild_stays(conn: sa.Connection) -> int:
    """Replace every stay with those the audit trail gives; the number written. Runs in the
    caller's transaction."""
    conn.execute(sa.delete(_stays))
    written = 0
    batch: list[dict[str, Any]] = []
    for row in _rows(conn):
        batch.append(row)
        if len(batch) >= _CHUNK:
            conn.execute(sa.insert(_stays), batch)
            written += len(batch)
            batch = []
    if batch:
        conn.execute(sa.insert(_stays), batch)
        written += len(batch)
    return written


@operation
def rebuild_all_stays() -> int:
    """``flask stats rebuild-stays``: :func:`rebuild_stays` through the session's connection,
    in one unit of work (all the stays replaced, or none)."""
    return rebuild_stays(db.session.connection())
