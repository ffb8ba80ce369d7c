"""办理时限提醒 — the responsible reviewers are told once when a case's clock reaches 80 %
of its promised limit and once at 100 % (``workflow.clock.REMINDER_THRESHOLDS``).

``flask --app wsgi cases remind-due`` (cron, daily) and the job ``remind-due`` (the worker)
run :func:`remind_due`. Each reminder is a row of ``time_limit_reminders``, unique per case
and threshold, inserted with ``ON CONFLICT DO NOTHING`` in the same unit of work as its
messages: a second run, or a second worker at the same time, inserts nothing and so sends
nothing. Whom to tell: the case's waiting role (待办角色), county reviewers of the case's
district only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from zhongchuang.cases.time_limits import clock_of
from zhongchuang.extensions import db
from zhongchuang.models import Application, Notification, TimeLimitReminder, User, UserRole
from zhongchuang.runtime import now, today
from zhongchuang.uow import separately
from zhongchuang.workflow import calendar as wcal
from zhongchuang.workflow import clock as rules
from zhongchuang.workflow.machine import waiting_role

log = logging.getLogger("zhongchuang.jobs")

#: A running case is looked at when it is due within this many working days: 20 % of a
#: promised limit of up to 100 working days.
LOOKAHEAD_WORKING_DAYS: Final = 20
_CHUNK: Final = 500

MESSAGES: Final[dict[int, str]] = {
    80: "申报 {number}（{program}）已用去承诺时限的 80%（{elapsed}/{promised} 个工作日），"
    "办理时限至 {due}，请及时办理。",
    100: "申报 {number}（{program}）已达承诺时限（{promised} 个工作日），办理时限至 {due}，"
    "请尽快办结。",
}


@dataclass
class RemindResult:
    #: (case id, threshold) of each reminder sent by this run.
    sent: list[tuple[int, int]] = field(default_factory=list)
    #: Messages written (one per reviewer told).
    messages: int = 0


def _insert(case_id: int, thresholds: Sequence[int], due: Any) -> list[int]:
    """The thresholds this run claims for the case (those no run claimed before)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    t = now()
    stmt = (
        insert(TimeLimitReminder)
        .values(
            [
                {"application_id": case_id, "threshold": th, "due_on": due, "sent_at": t}
                for th in thresholds
            ]
        )
        .on_conflict_do_nothing(index_elements=["application_id", "threshold"])
        .returning(TimeLimitReminder.id, TimeLimitReminder.threshold)
    )
    return sorted(int(th) for _id, th in db.session.execute(stmt).all())


def _recipients(
    role: str, district: str, cache: dict[tuple[str, str | None], list[int]]
) -> list[int]:
    key = (role, district if role == "county_reviewer" else None)
    if key not in cache:
        stmt = (
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.active.is_(True))
            .order_by(User.id)
        )
        if role == "county_reviewer":
            stmt = stmt.where(User.district == district)
        cache[key] = list(db.session.execute(stmt).scalars())
    return cache[key]


def remind_due() -> RemindResult:
    """Send every reminder due today that no run has sent; idempotent (for cron)."""
    t = today()
    horizon = wcal.add_working_days(t, LOOKAHEAD_WORKING_DAYS)
    result = RemindResult()
    recipients: dict[tuple[str, str | None], list[int]] = {}
    last_id = 0
    while True:
        cases = (
            db.session.execute(
                sa.select(Application)
                .where(
                    Application.due_on <= horizon,
                    Application.clock_started_on.is_not(None),
                    Application.paused_since.is_(None),
                    Application.clock_stopped_on.is_(None),
                    Application.promised_working_days.is_not(None),
                    Application.id > last_id,
                )
                .order_by(Application.id)
                .limit(_CHUNK)
            )
            .unique()
            .scalars()
            .all()
        )
        if not cases:
            break
        last_id = cases[-1].id
        for case in cases:
            _remind(case, t, recipients, result)
    if result.sent:
        log.info("remind-due: %s reminders, %s messages", len(result.sent), result.messages)
    return result


def _remind(
    case: Application,
    t: Any,
    recipients: dict[tuple[str, str | None], list[int]],
    result: RemindResult,
) -> None:
    promised = int(case.promised_working_days or 0)
    reached = rules.reminders_due(clock_of(case), promised, t)
    if not reached:
        return
    role = waiting_role(case.state, case.workflow_id)
    with separately():
        claimed = _insert(case.id, reached, case.due_on)
        if not claimed:
            return
        # Both reached at once (the job did not run for a while): one message, the later.
        threshold = claimed[-1]
        limit = rules.time_limit(clock_of(case), rules.Limits(promised, promised), t)
        text = MESSAGES[threshold].format(
            number=case.number,
            program=case.program.name,
            elapsed=limit.elapsed_working_days,
            promised=promised,
            due=case.due_on.isoformat() if case.due_on else "",
        )
        users = _recipients(role, case.district, recipients) if role else []
        stamp = now()
        for user_id in users:
            db.session.add(
                Notification(
                    user_id=user_id,
                    application_id=case.id,
                    kind=f"time_limit_{threshold}",
                    text=text,
                    created_at=stamp,
                )
            )
        db.session.flush()
        result.sent += [(case.id, th) for th in claimed]
        result.messages += len(users)


def remind_due_job() -> dict[str, Any]:
    """The worker form of ``flask cases remind-due`` (``flask jobs run remind-due``)."""
    result = remind_due()
    return {"sent": [list(s) for s in result.sent], "messages": result.messages}
