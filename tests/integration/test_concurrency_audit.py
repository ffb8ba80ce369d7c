"""Money never exceeds the budget and nobody quietly changes the record — proved against
real concurrency (PostgreSQL row locks) and real tampering (SQL behind the app's back)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.errors import DomainError
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent, Batch, User
from zhongchuang.policy.identity import make_credit_code


def _approved_at_county(factory, n: int, budget: Decimal) -> tuple[list[int], int]:
    """n cases of 4,000.00 each, county-approved, in a batch with the given budget."""
    admin = factory.staff("admin", username="admin")
    batch = batches.create_batch(
        admin, "employment_driving_grant", 2021, date(2021, 3, 1), date(2021, 4, 30), budget
    )
    county = factory.staff("county_reviewer", district="330411", username="county")
    ids = []
    for i in range(n):
        person = factory.person(name=f"申请人{i}")
        code = make_credit_code("330411", f"MA{i:07d}")
        data = {"business_credit_code": code, "year": 2020, "employees_insured": 5}
        case = cases.create_draft(person, "employment_driving_grant", data)
        from tests.helpers import attach_for_submit, attach_required

        attach_required(case, person)
        attach_for_submit(case, person)
        cases.act(person, case.id, "submit")
        cases.act(county, case.id, "accept")
        cases.act(county, case.id, "county_approve")
        ids.append(case.id)
    return ids, batch.id


def _in_threads(app, work, items) -> list[object]:
    results: list[object] = [None] * len(items)
    barrier = threading.Barrier(len(items))

    def run(i: int, item: object) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(item)
            except DomainError as exc:
                results[i] = exc.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, it)) for i, it in enumerate(items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_concurrent_approvals_against_a_budget_for_seven(app, factory, backend):
    if backend != "postgresql":
        pytest.skip("row-lock concurrency is proved on PostgreSQL")
    ids, batch_id = _approved_at_county(factory, 20, Decimal("28000.00"))  # exactly 7 × 4,000
    reviewers = [factory.staff("city_reviewer", username=f"city{i}").id for i in range(20)]
    db.session.remove()

    def approve(pair: tuple[int, int]) -> str:
        case_id, reviewer_id = pair
        reviewer = db.session.get(User, reviewer_id)
        cases.act(reviewer, case_id, "city_approve", ActionInput(amount=Decimal("4000.00")))
        return "ok"

    results = _in_threads(app, approve, list(zip(ids, reviewers, strict=True)))
    assert results.count("ok") == 7, results
    assert results.count("budget_exhausted") == 13, results
    batch = db.session.get(Batch, batch_id)
    assert batch.reserved == Decimal("28000.00")
    assert batch.reserved + batch.consumed <= batch.budget
    approved = db.session.execute(
        sa.select(sa.func.count()).where(Application.state == "city_approved")
    ).scalar_one()
    assert approved == 7
    assert audit.verify().ok


def test_two_reviewers_acting_on_one_case_exactly_one_wins(app, factory, backend):
    if backend != "postgresql":
        pytest.skip("row-lock concurrency is proved on PostgreSQL")
    ids, _batch = _approved_at_county(factory, 1, Decimal("100000.00"))
    case = db.session.get(Application, ids[0])
    version = case.version
    a = factory.staff("city_reviewer", username="city_a").id
    b = factory.staff("city_reviewer", username="city_b").id
    db.session.remove()

    def approve(reviewer_id: int) -> str:
        reviewer = db.session.get(User, reviewer_id)
        cases.act(
            reviewer,
            ids[0],
            "city_approve",
            ActionInput(amount=Decimal("4000.00"), version=version),
        )
        return "ok"

    results = _in_threads(app, approve, [a, b])
    assert sorted(results) == ["ok", "version_conflict"], results
    assert db.session.get(Batch, _batch).reserved == Decimal("4000.00")
    assert audit.verify().ok


@pytest.fixture
def chain(app, factory):
    ids, _batch = _approved_at_county(factory, 2, Decimal("100000.00"))
    events = db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
    assert audit.verify().ok
    db.session.remove()  # end the session's transaction before tampering from outside
    return events


def _cli(app, *args: str):
    return CliRunner().invoke(app.cli, list(args), catch_exceptions=False)


def test_an_edit_behind_the_apps_back_is_found(app, chain):
    victim = chain[len(chain) // 2]
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_events SET reason = 'changed later' WHERE id = :id"),
            {"id": victim},
        )
    db.session.expire_all()
    result = audit.verify()
    assert not result.ok
    assert result.first_bad == victim
    out = _cli(app, "audit", "verify")
    assert out.exit_code == 1
    assert f"first_bad={victim}" in out.output


def test_a_deletion_behind_the_apps_back_is_found(app, chain):
    victim = chain[3]
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": victim})
    db.session.expire_all()
    result = audit.verify()
    assert not result.ok
    assert result.first_bad == chain[4]  # the event whose link now points at nothing


def test_deleting_the_newest_event_is_found(app, chain):
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[-1]})
    db.session.expire_all()
    result = audit.verify()
    assert not result.ok
    assert result.first_bad == chain[-1]


def test_a_changed_state_on_a_case_does_not_pass_as_history(app, chain):
    # Changing a case's state behind the app's back leaves the audit trail intact but the
    # case's own history (its events) no longer leads to its state.
    case = db.session.execute(sa.select(Application)).scalars().first()
    last = db.session.execute(
        sa.select(AuditEvent.to_state)
        .where(AuditEvent.application_id == case.id, AuditEvent.to_state.is_not(None))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one()
    assert last == case.state
    out = _cli(app, "audit", "verify")
    assert out.exit_code == 0
    assert "ok=true" in out.output
