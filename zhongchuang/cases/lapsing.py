"""逾期未补正: a case still ``returned`` after its 补正期限 lapses (``withdrawn``), where its
program's parameter ``lapse_when_correction_overdue`` says so on the day.

Idempotent, for cron (``flask --app wsgi cases lapse-overdue``): a lapsed case is no
longer ``returned``, so a second run finds nothing; each case lapses in its own unit of
work, so one refusal leaves the others done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from zhongchuang.cases.effects import ActionInput
from zhongchuang.cases.eligibility import parameter_table
from zhongchuang.cases.engine import act
from zhongchuang.errors import DomainError
from zhongchuang.extensions import db
from zhongchuang.models import Application, Program
from zhongchuang.policy.parameters import ParameterError
from zhongchuang.runtime import today
from zhongchuang.uow import separately

#: The reason recorded on a lapsed case (API.md: 逾期未补正).
LAPSE_REASON = "逾期未补正"
LAPSE_PARAMETER = "lapse_when_correction_overdue"


@dataclass
class LapseResult:
    lapsed: list[int] = field(default_factory=list)
    #: Programs whose parameter keeps overdue cases waiting (code → cases left).
    kept: dict[str, int] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def lapses(program: Program) -> bool:
    """Whether the program lets an overdue correction lapse, as of today."""
    try:
        return bool(int(parameter_table(program).value(LAPSE_PARAMETER, today())))
    except ParameterError:
        return False


def lapse_overdue() -> LapseResult:
    """Every case still ``returned`` after its 补正期限, lapsed where its program says so."""
    t = today()
    rows = db.session.execute(
        sa.select(Application.id, Application.program_id)
        .where(Application.state == "returned", Application.correction_due_on < t)
        .order_by(Application.id)
    ).all()
    result = LapseResult()
    programs = {p.id: p for p in db.session.execute(sa.select(Program)).scalars()}
    for case_id, program_id in rows:
        program = programs[program_id]
        if not lapses(program):
            result.kept[program.code] = result.kept.get(program.code, 0) + 1
            continue
        try:
            with separately():
                act(None, case_id, "lapse", ActionInput(reason=LAPSE_REASON))
            result.lapsed.append(case_id)
        except DomainError as exc:
            result.refused[case_id] = exc.message
    return result
