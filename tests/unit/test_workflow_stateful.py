"""Random actions by random actors on a few cases keep the workflow's invariants.

A pure in-memory stand-in for the service: it asks the guards, moves the state with the
machine, applies the budget, writes one audit event per change and bumps the version.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from zhongchuang import errors
from zhongchuang.workflow import budget
from zhongchuang.workflow.audit import GENESIS, event_hash, normalize, verify_chain
from zhongchuang.workflow.calendar import notice_period
from zhongchuang.workflow.guards import ActionRequest, Actor, CaseFacts, check, raise_for
from zhongchuang.workflow.machine import (
    ACTIONS,
    RESERVING_STATES,
    get_action,
    get_workflow,
    next_state,
)

BUDGET = Decimal("12000.00")
START = date(2021, 3, 1)

ACTORS = [
    Actor(1, frozenset({"applicant"}), organization_id=101),
    Actor(2, frozenset({"applicant"}), organization_id=102),
    Actor(3, frozenset({"applicant"}), person_id=7),
    Actor(10, frozenset({"county_reviewer"}), district="330402", organization_id=900),
    Actor(11, frozenset({"county_reviewer"}), district="330411", organization_id=900),
    # Holds both instances: four eyes must stop them approving their own first instance.
    Actor(12, frozenset({"county_reviewer", "city_reviewer"}), "330402", organization_id=900),
    Actor(13, frozenset({"city_reviewer"}), organization_id=900),
    Actor(14, frozenset({"city_reviewer"}), organization_id=101),  # the applicant's own org
    Actor(20, frozenset({"expert"})),
    Actor(21, frozenset({"expert"})),
    Actor(22, frozenset({"expert"})),
    Actor(23, frozenset({"expert"})),  # never assigned
    Actor(30, frozenset({"finance"}), organization_id=901),
    Actor(40, frozenset({"admin"})),
    Actor.system(),
]

BACKWARD = {"withdraw", "return", "county_reject", "city_reject", "uphold_objection"}
AMOUNTS = [Decimal("1000.00"), Decimal("4000.00"), Decimal("6000.00"), Decimal("12000.01")]


@dataclasses.dataclass
class Case:
    facts: CaseFacts
    approved_amount: Decimal | None = None
    actions_applied: int = 0


def _initial_cases() -> list[Case]:
    common: dict[str, Any] = {
        "state": "draft",
        "version": 0,
        "batch_opens_on": START,
        "batch_closes_on": START + timedelta(days=60),
        "eligible": True,
        "money_program": True,
        "computed_amount": Decimal("6000.00"),
        "budget": BUDGET,
        "min_expert_scores": 2,
        "assigned_expert_ids": frozenset({20, 21, 22}),
        "expert_criteria": (("quality", 100),),
    }
    return [
        Case(
            CaseFacts(
                id=1,
                workflow_id="standard-v1",
                district="330402",
                applicant_user_id=1,
                organization_id=101,
                **common,
            )
        ),
        Case(
            CaseFacts(
                id=2,
                workflow_id="expert-v1",
                district="330411",
                applicant_user_id=2,
                organization_id=102,
                **common,
            )
        ),
        Case(
            CaseFacts(
                id=3,
                workflow_id="standard-v1",
                district="330402",
                applicant_user_id=3,
                person_id=7,
                **common,
            )
        ),
    ]


class WorkflowModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cases = _initial_cases()
        self.reserved = Decimal(0)
        self.consumed = Decimal(0)
        self.today = START
        self.audit: list[tuple[int, str, str, dict[str, Any]]] = []
        self.changes = 0

    # ------------------------------------------------------------------ helpers

    def _facts(self, case: Case) -> CaseFacts:
        return dataclasses.replace(case.facts, reserved=self.reserved, consumed=self.consumed)

    def _write_audit(self, content: dict[str, Any]) -> None:
        prev = self.audit[-1][2] if self.audit else GENESIS
        stored = normalize(content)
        self.audit.append((len(self.audit) + 1, prev, event_hash(prev, stored), stored))

    def _act(self, index: int, actor: Actor, action: str, req: ActionRequest) -> None:
        case = self.cases[index]
        before = (case.facts, self.reserved, self.consumed, len(self.audit))
        decision = check(action, actor, self._facts(case), req)
        if not decision.allowed:
            with pytest.raises(errors.DomainError) as info:
                raise_for(decision)
            assert info.value.code == decision.failures[0].code
            assert before == (case.facts, self.reserved, self.consumed, len(self.audit))
            return

        spec = get_action(case.facts.workflow_id, action)
        assert spec is not None
        source = case.facts.state
        dest = next_state(case.facts.workflow_id, source, action)
        changes: dict[str, Any] = {"state": dest, "version": case.facts.version + 1}
        if spec.reserves:
            assert req.amount is not None
            # The guard said yes: the budget arithmetic must agree.
            self.reserved = budget.reserve(BUDGET, self.reserved, self.consumed, req.amount)
            case.approved_amount = req.amount
        if spec.releases:
            assert case.approved_amount is not None
            self.reserved = budget.release(self.reserved, case.approved_amount)
        if spec.consumes:
            assert case.approved_amount is not None
            self.reserved, self.consumed = budget.consume(
                self.reserved, self.consumed, case.approved_amount
            )
        if action == "county_approve":
            changes["first_approver_id"] = actor.user_id
        if action == "publish":
            changes["notice_ends_on"] = notice_period(self.today, 5).ends_on
        if action == "expert_score":
            assert actor.user_id is not None
            changes["scored_expert_ids"] = case.facts.scored_expert_ids | {actor.user_id}
            changes["expert_scores"] = case.facts.expert_scores + 1
        if action in ("dismiss_objection", "uphold_objection"):
            changes["open_objections"] = case.facts.open_objections - 1
        case.facts = dataclasses.replace(case.facts, **changes)
        case.actions_applied += 1
        self.changes += 1
        self._write_audit(
            {
                "case_id": case.facts.id,
                "action": action,
                "from": source,
                "to": dest,
                "by": actor.user_id,
                "roles": actor.roles,
                "at": self.today,
                "reason": req.reason,
                "articles": list(req.articles),
                "amount": req.amount if spec.reserves else None,
            }
        )

    def _request(
        self, action: str, case: Case, data: st.DataObject, *, careful: bool
    ) -> ActionRequest:
        """A careful request supplies what the action needs; a careless one anything."""
        if careful:
            return ActionRequest(
                action=action,
                today=self.today,
                version=case.facts.version,
                reason="材料不全",
                articles=["四(一)"],
                amount=data.draw(st.sampled_from(AMOUNTS[:3])),
                scores={"quality": 80},
                expert_opinion="运营规范。",
                payment_reference="PAY-1",
                items=({"target": "year", "message": "请填写年度"},),
            )
        return ActionRequest(
            action=action,
            today=self.today,
            version=data.draw(st.sampled_from([case.facts.version, case.facts.version - 1, None])),
            reason=data.draw(st.sampled_from(["材料不全", "", None, "  "])),
            articles=data.draw(st.sampled_from([[], ["四(一)"], ["三", "五(一)"], [" "]])),
            amount=data.draw(st.sampled_from([*AMOUNTS, Decimal("0"), Decimal("1.001"), None])),
            score=data.draw(st.sampled_from([None, None, 80])),
            scores=data.draw(
                st.sampled_from([{"quality": 0}, {"quality": 100}, {"quality": 101}, {}, None])
            ),
            expert_opinion=data.draw(st.sampled_from(["运营规范。", " ", None])),
            payment_reference=data.draw(st.sampled_from(["PAY-1", "", None])),
            items=data.draw(st.sampled_from([(), ({"target": "year", "message": "年度"},)])),
        )

    # ------------------------------------------------------------------ rules

    @rule(
        index=st.integers(0, 2),
        actor=st.sampled_from(ACTORS),
        action=st.sampled_from(ACTIONS),
        data=st.data(),
    )
    def anyone_tries_anything(
        self, index: int, actor: Actor, action: str, data: st.DataObject
    ) -> None:
        req = self._request(action, self.cases[index], data, careful=False)
        self._act(index, actor, action, req)

    @rule(index=st.integers(0, 2), steps=st.integers(1, 8), data=st.data())
    def someone_takes_offered_actions(self, index: int, steps: int, data: st.DataObject) -> None:
        """Mostly forward, mostly careful, by someone holding the right role."""
        case = self.cases[index]
        workflow = get_workflow(case.facts.workflow_id)
        for _ in range(steps):
            offered = [a for a, s in workflow.actions.items() if case.facts.state in s.sources]
            if not offered:
                return
            forward = [a for a in offered if a not in BACKWARD]
            action = data.draw(st.sampled_from(offered + forward * 3))
            roles = workflow.actions[action].roles
            candidates = [
                a
                for a in ACTORS
                if a.roles & roles or (a.is_system and workflow.actions[action].system)
            ]
            actor = data.draw(st.sampled_from(candidates))
            careful = data.draw(st.sampled_from([True, True, True, False]))
            self._act(index, actor, action, self._request(action, case, data, careful=careful))

    @rule(index=st.integers(0, 2))
    def the_public_objects(self, index: int) -> None:
        case = self.cases[index]
        ends = case.facts.notice_ends_on
        if case.facts.state == "in_notice" and ends is not None and self.today <= ends:
            case.facts = dataclasses.replace(
                case.facts, open_objections=case.facts.open_objections + 1
            )
            self.changes += 1
            self._write_audit({"case_id": case.facts.id, "event": "objection", "at": self.today})

    @rule(days=st.integers(1, 10))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def every_state_is_in_its_machine(self) -> None:
        for case in self.cases:
            assert case.facts.state in get_workflow(case.facts.workflow_id).states

    @invariant()
    def budget_is_never_exceeded(self) -> None:
        assert self.reserved >= 0
        assert self.consumed >= 0
        assert self.reserved + self.consumed <= BUDGET

    @invariant()
    def reserved_is_the_sum_of_cases_holding_a_reservation(self) -> None:
        held = sum(
            (c.approved_amount or Decimal(0))
            for c in self.cases
            if c.facts.state in RESERVING_STATES
        )
        assert self.reserved == held
        paid = sum(
            (c.approved_amount or Decimal(0)) for c in self.cases if c.facts.state == "disbursed"
        )
        assert self.consumed == paid

    @invariant()
    def versions_count_the_actions(self) -> None:
        for case in self.cases:
            assert case.facts.version == case.actions_applied

    @invariant()
    def one_audit_event_per_change_and_the_chain_verifies(self) -> None:
        assert len(self.audit) == self.changes
        head = self.audit[-1][2] if self.audit else None
        result = verify_chain(self.audit, expected_head=head)
        assert result.ok, result
        assert result.events == self.changes


WorkflowModel.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_actions_keep_the_workflow_invariants = WorkflowModel.TestCase
