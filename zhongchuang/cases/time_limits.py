"""办理时限 on the case: the engine's half of ``workflow.clock`` (the clock's columns kept
on ``applications`` with each transition, so that queues read an indexed ``due_on``), and
the ``time_limit`` the API and the case page show.
"""

from __future__ import annotations

from datetime import date

from zhongchuang.cases.eligibility import parameter_table
from zhongchuang.models import Application, Program
from zhongchuang.policy.parameters import ParameterError, ParameterTable
from zhongchuang.workflow import clock as rules
from zhongchuang.workflow.machine import is_final

STATUTORY = "statutory_working_days"
PROMISED = "promised_working_days"


def program_limits(
    program: Program, on: date, params: ParameterTable | None = None
) -> rules.Limits | None:
    """法定时限 and 承诺时限 of the program on ``on``; ``None`` when it names none."""
    table = params if params is not None else parameter_table(program)
    try:
        return rules.Limits(int(table.value(STATUTORY, on)), int(table.value(PROMISED, on)))
    except (ParameterError, KeyError):
        return None


def clock_of(case: Application) -> rules.ClockState:
    return rules.ClockState(
        started_on=case.clock_started_on,
        stopped_on=case.clock_stopped_on,
        paused_since=case.paused_since,
        paused_working_days=case.paused_working_days or 0,
    )


def ends_in(case: Application, state: str) -> bool:
    """办结: the case's workflow ends in ``state`` — or it is an approved recognition (a
    recognition case on a workflow of the first release ends ``approved`` too)."""
    if is_final(state, case.workflow_id):
        return True
    return state == "approved" and case.program.outcome == "recognition"


def enter(
    case: Application, from_state: str, to_state: str, on: date, params: ParameterTable | None
) -> None:
    """The engine's step, as the case enters ``to_state``: the clock after the transition and
    the due date the queues read. Before 受理 ``due_on`` is the state's own limit (受理时限,
    set by the engine); from 受理 on it is the clock's (``None`` while paused or ended)."""
    before = clock_of(case)
    after = rules.step(
        before, from_state, to_state, on, case.workflow_id, ended=ends_in(case, to_state)
    )
    if not after.started:
        if ends_in(case, to_state):
            case.due_on = None
        return
    if not before.started:
        limits = program_limits(case.program, on, params)
        case.statutory_working_days = limits.statutory if limits else None
        case.promised_working_days = limits.promised if limits else None
    case.clock_started_on = after.started_on
    case.clock_stopped_on = after.stopped_on
    case.paused_since = after.paused_since
    case.paused_working_days = after.paused_working_days
    case.due_on = rules.stored_due_on(after, case.promised_working_days)


def time_limit(case: Application, today: date) -> rules.TimeLimit | None:
    """The case's ``time_limit`` as of ``today``; ``None`` before 受理 or without limits."""
    if case.clock_started_on is None or case.promised_working_days is None:
        return None
    limits = rules.Limits(
        case.statutory_working_days or case.promised_working_days, case.promised_working_days
    )
    return rules.time_limit(clock_of(case), limits, today)
