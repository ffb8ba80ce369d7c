"""Random sequences of actions by random actors, against the real database and services,
keep the engine's invariants: no state outside the machine, reserved + consumed ≤ budget,
reserved and consumed equal to what the cases hold, one audit event per change, and an
audit chain that verifies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import Factory, clean_tables
from tests.helpers import attach_required
from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.errors import DomainError
from zhongchuang.extensions import db
from zhongchuang.models import STATES, Application, AuditEvent, Batch
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.workflow.machine import ACTIONS

ACTORS = ("applicant", "other_applicant", "county", "other_county", "city", "city2", "finance")
RESERVING = ("city_approved", "in_notice", "approved")


@pytest.mark.usefixtures("app")
def test_random_action_sequences_keep_the_invariants(app, backend):
    if backend != "sqlite":
        pytest.skip("the property is explored on SQLite; PostgreSQL runs the fixed scenarios")
    clock = app.extensions["zc_clock"]

    class Engine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clean_tables()
            clock.set_today(date(2021, 3, 15))
            f = Factory()
            admin = f.staff("admin", username="admin")
            self.batch_id = batches.create_batch(
                admin,
                "employment_driving_grant",
                2021,
                date(2021, 3, 1),
                date(2021, 12, 31),
                Decimal("9000.00"),
            ).id
            self.users = {
                "applicant": f.person(name="甲一"),
                "other_applicant": f.person(name="乙二"),
                "county": f.staff("county_reviewer", district="330411", username="county"),
                "other_county": f.staff(
                    "county_reviewer", district="330402", username="other_county"
                ),
                "city": f.staff("city_reviewer", username="city"),
                "city2": f.staff("city_reviewer", username="city2"),
                "finance": f.staff("finance", username="fin"),
            }
            self.case_ids: list[int] = []
            self.changes = 0

        @rule(employees=st.integers(min_value=1, max_value=9))
        def new_case(self, employees: int) -> None:
            if len(self.case_ids) >= 4:
                return
            n = len(self.case_ids)
            user = self.users["applicant"]
            data = {
                "business_credit_code": make_credit_code("330411", f"MA{n:07d}"),
                "year": 2020,
                "employees_insured": employees,
            }
            case = cases.create_draft(user, "employment_driving_grant", data)
            attach_required(case, user)
            self.case_ids.append(case.id)

        @rule(
            i=st.integers(min_value=0, max_value=3),
            action=st.sampled_from([a for a in ACTIONS if a != "publish"]),
            who=st.sampled_from(ACTORS),
            reason=st.sampled_from([None, "理由充分"]),
            article=st.booleans(),
            amount=st.sampled_from([None, Decimal("2000.00"), Decimal("4000.00")]),
            stale=st.booleans(),
        )
        def act(self, i, action, who, reason, article, amount, stale) -> None:
            if i >= len(self.case_ids):
                return
            case_id = self.case_ids[i]
            version = db.session.get(Application, case_id).version - (1 if stale else 0)
            inp = ActionInput(
                version=version,
                reason=reason,
                articles=["四(一)"] if article else [],
                amount=amount,
                payment_reference="PAY-1" if reason else None,
                items=[{"target": "year", "message": "请填写年度"}] if article else [],
            )
            try:
                cases.act(self.users[who], case_id, action, inp)
            except DomainError:
                db.session.rollback()
                return
            self.changes += 1

        @rule(i=st.integers(min_value=0, max_value=3))
        def publish(self, i: int) -> None:
            if i >= len(self.case_ids):
                return
            result = notices.publish_notice(self.users["city"], [self.case_ids[i]], 3)
            self.changes += len(result.published)

        @rule(days=st.integers(min_value=1, max_value=12))
        def time_passes(self, days: int) -> None:
            clock.set_today(clock.today() + timedelta(days=days))
            self.changes += len(notices.close_due_notices().concluded)

        @invariant()
        def states_are_in_the_machine(self) -> None:
            states = set(db.session.execute(sa.select(Application.state)).scalars())
            assert states <= set(STATES)

        @invariant()
        def money_adds_up(self) -> None:
            batch = db.session.get(Batch, self.batch_id)
            db.session.refresh(batch)
            assert batch.reserved + batch.consumed <= batch.budget
            held = db.session.execute(
                sa.select(Application.state, Application.approved_amount)
            ).all()
            reserved = sum((a or 0 for s, a in held if s in RESERVING), Decimal(0))
            consumed = sum((a or 0 for s, a in held if s == "disbursed"), Decimal(0))
            assert batch.reserved == reserved
            assert batch.consumed == consumed

        @invariant()
        def one_audit_event_per_change(self) -> None:
            actions = db.session.execute(
                sa.select(sa.func.count()).where(AuditEvent.kind == "case.action")
            ).scalar_one()
            assert actions == self.changes

        @invariant()
        def the_chain_verifies(self) -> None:
            assert audit.verify().ok

    run_state_machine_as_test(
        Engine,
        settings=settings(
            max_examples=12,
            stateful_step_count=18,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
