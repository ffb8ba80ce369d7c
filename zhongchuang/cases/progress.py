"""办件进度查询 — a case's progress for anyone holding its number and 查询码, without login.

What it tells: the program, the state in words, the submission and due dates, and the
steps with their dates — never a name, a reason, an opinion or an amount. A wrong code
answers exactly as an unknown number (``None``), compared in constant time.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from zhongchuang.cases.queries import HIDDEN_ACTIONS_FOR_APPLICANT
from zhongchuang.clock import SHANGHAI
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent
from zhongchuang.workflow.machine import action_label, is_final, state_label

NUMBER_RE = re.compile(r"^ZC\d{6,20}$")
CODE_RE = re.compile(r"^[0-9A-Z]{6}$")


@dataclass(frozen=True)
class Step:
    label: str
    on: date


@dataclass(frozen=True)
class Progress:
    number: str
    program: str
    state: str
    state_label: str
    submitted_on: date | None
    due_on: date | None
    ended: bool
    steps: tuple[Step, ...]


def normalise(number: str | None, code: str | None) -> tuple[str, str] | None:
    """The number and code as typed (spaces and case forgiven), or ``None`` if malformed."""
    n = (number or "").strip().upper()
    c = (code or "").strip().upper()
    if not NUMBER_RE.match(n) or not CODE_RE.match(c):
        return None
    return n, c


def progress_of(number: str | None, code: str | None) -> Progress | None:
    """The progress of the case with this number and code; ``None`` for anything else."""
    found = normalise(number, code)
    if found is None:
        return None
    n, c = found
    case = db.session.execute(
        sa.select(Application).where(Application.number == n)
    ).scalar_one_or_none()
    if case is None or not case.query_code or not hmac.compare_digest(case.query_code, c):
        return None
    events = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.at)
        .where(
            AuditEvent.application_id == case.id,
            AuditEvent.kind == "case.action",
            AuditEvent.to_state.is_not(None),
        )
        .order_by(AuditEvent.id)
    ).all()
    steps = tuple(
        Step(action_label(action), at.astimezone(SHANGHAI).date())
        for action, at in events
        if action and action not in HIDDEN_ACTIONS_FOR_APPLICANT
    )
    ended = is_final(case.state, case.workflow_id)
    return Progress(
        number=case.number,
        program=case.program.name,
        state=case.state,
        state_label=state_label(case.state, "zh", case.workflow_id),
        submitted_on=case.submitted_on,
        due_on=None if ended else case.due_on,
        ended=ended,
        steps=steps,
    )
