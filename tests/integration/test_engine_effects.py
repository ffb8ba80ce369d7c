"""The engine applies what each action declares (workflow.machine), in the declared order,
and nothing else: effects are data, one applier per name."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import attach_required, open_batch
from zhongchuang.cases import effects as case_effects
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.errors import InvalidTransition
from zhongchuang.messages import notify
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.workflow import machine
from zhongchuang.workflow.machine import WORKFLOWS, get_action

DATA = {
    "business_credit_code": make_credit_code("330411", "MA1000001"),
    "year": 2020,
    "employees_insured": 5,
}


def test_every_declared_name_has_its_one_applier() -> None:
    for wf in WORKFLOWS.values():
        for spec in wf.actions.values():
            assert set(spec.prepare) <= case_effects.PREPARE.keys(), spec.action
            assert set(spec.checks) <= case_effects.CHECK.keys(), spec.action
            assert set(spec.effects) <= case_effects.APPLY.keys(), spec.action
    # The applicant is told of exactly the steps that declare it, with a message for each.
    told = {a for wf in WORKFLOWS.values() for a, s in wf.actions.items() if s.notify}
    assert told == set(notify.APPLICANT_MESSAGES)


def test_an_action_row_naming_an_unknown_effect_is_refused() -> None:
    row = {**machine.TRANSITIONS[0], "effects": ["print_money"]}
    with pytest.raises(ValueError, match="print_money"):
        machine._spec(row, "standard-v1", tuple(machine.STATES))


def test_the_engine_applies_the_declared_steps_in_order(app, factory, clock, monkeypatch):
    ran: list[tuple[str, str]] = []

    def recording(table: dict) -> dict:
        def wrap(name, fn):
            def step(ctx):
                ran.append((ctx.spec.action, name))
                fn(ctx)

            return step

        return {name: wrap(name, fn) for name, fn in table.items()}

    for table in ("PREPARE", "CHECK", "APPLY"):
        monkeypatch.setattr(case_effects, table, recording(getattr(case_effects, table)))
    open_batch(factory, "employment_driving_grant")
    applicant = factory.person()
    county = factory.staff("county_reviewer", district="330411")
    city, finance = factory.staff("city_reviewer"), factory.staff("finance")
    case = cases.create_draft(applicant, "employment_driving_grant", DATA)
    attach_required(case, applicant)
    steps = [
        (applicant, "submit", ActionInput()),
        (county, "accept", ActionInput()),
        (county, "county_approve", ActionInput()),
        (city, "city_approve", ActionInput()),
    ]
    for user, action, inp in steps:
        cases.act(user, case.id, action, inp)
    notices.publish_notice(city, [case.id], 5)
    clock.set_today(date(2021, 3, 22))
    cases.act(None, case.id, "conclude_notice")
    paid = cases.act(finance, case.id, "disburse", ActionInput(payment_reference="PAY-1"))
    assert paid.state == "disbursed"
    expected = [
        (action, name)
        for action in (*(a for _u, a, _i in steps), "conclude_notice", "disburse")
        for spec in [get_action("standard-v1", action)]
        for name in (*spec.prepare, *spec.checks, *spec.effects)
    ]
    assert ran == expected
    assert ("city_approve", "reserve_budget") in ran
    assert ran[-2:] == [("disburse", "consume_budget"), ("disburse", "record_payment")]


def test_a_refused_action_applies_no_effect(app, factory, monkeypatch):
    applied: list[str] = []
    monkeypatch.setattr(
        case_effects,
        "APPLY",
        {name: (lambda ctx, n=name: applied.append(n)) for name in case_effects.APPLY},
    )
    open_batch(factory, "employment_driving_grant")
    applicant = factory.person()
    case = cases.create_draft(applicant, "employment_driving_grant", DATA)
    with pytest.raises(InvalidTransition):
        cases.act(factory.staff("finance"), case.id, "disburse", ActionInput(payment_reference="X"))
    assert applied == []
