"""A case from draft to disbursement through the services, and the refusals on the way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.helpers import attach_for_submit, attach_required
from tests.integration.reviewer_support import expert_score
from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.errors import (
    BudgetExhausted,
    DomainError,
    GuardFailed,
    InvalidTransition,
    NotFound,
    VersionConflict,
)
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Batch, MakerSpace
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code

BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区


#: 一次性告知: what a return names (at least one item).
ITEMS = [{"target": "employees_insured", "message": "参保人数与参保名单不一致"}]


def grant_data(employees: int = 5, code: str = BUSINESS) -> dict:
    return {"business_credit_code": code, "year": 2020, "employees_insured": employees}


@pytest.fixture
def world(app, factory):
    admin = factory.staff("admin", username="admin")
    batch = batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("10000.00"),
    )
    return {
        "admin": admin,
        "batch": batch,
        "applicant": factory.person(name="陈小红"),
        "county": factory.staff("county_reviewer", district="330411", username="xiuzhou"),
        "other_county": factory.staff("county_reviewer", district="330402", username="nanhu"),
        "city": factory.staff("city_reviewer", username="city"),
        "city2": factory.staff("city_reviewer", username="city2"),
        "finance": factory.staff("finance", username="fin"),
    }


def test_a_case_goes_from_draft_to_disbursed_and_the_chain_verifies(world, clock):
    w = world
    case = cases.create_draft(w["applicant"], "employment_driving_grant", grant_data())
    assert case.state == "draft"
    assert case.district == "330411"  # from the business's credit code
    attach_for_submit(case, w["applicant"])
    case = cases.act(w["applicant"], case.id, "submit")
    assert case.state == "submitted"
    assert case.eligible is True
    assert case.computed_amount == Decimal("4000.00")  # 2000 + 2 × 1000
    assert case.snapshot["parameters"]["base"]
    assert case.due_on is not None
    case = cases.act(w["county"], case.id, "accept")
    case = cases.act(w["county"], case.id, "county_approve")
    assert case.first_approver_id == w["county"].id
    case = cases.act(w["city"], case.id, "city_approve", ActionInput(amount=Decimal("4000.00")))
    batch = db.session.get(Batch, w["batch"].id)
    assert batch.reserved == Decimal("4000.00")
    result = notices.publish_notice(w["city"], [case.id], 5)
    assert result.published == [case.id]
    notice = result.notice
    assert notice.starts_on == date(2021, 3, 15)
    assert notice.ends_on == date(2021, 3, 19)
    with pytest.raises(GuardFailed):
        cases.act(w["city"], case.id, "conclude_notice")  # period still running
    clock.set_today(date(2021, 3, 22))
    assert notices.close_due_notices().concluded == [case.id]
    assert notices.close_due_notices().concluded == []  # idempotent
    case = cases.act(w["finance"], case.id, "disburse", ActionInput(payment_reference="PAY-001"))
    assert case.state == "disbursed"
    batch = db.session.get(Batch, w["batch"].id)
    assert (batch.reserved, batch.consumed) == (Decimal("0.00"), Decimal("4000.00"))
    result = audit.verify()
    assert result.ok
    kinds = (
        db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.application_id == case.id))
        .scalars()
        .all()
    )
    assert [k for k in kinds if k] == [
        "submit",
        "accept",
        "county_approve",
        "city_approve",
        "publish",
        "conclude_notice",
        "disburse",
    ]


def test_an_ineligible_case_cannot_be_submitted_and_says_why(world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant_data(2))
    attach_for_submit(case, world["applicant"])
    with pytest.raises(GuardFailed) as err:
        cases.act(world["applicant"], case.id, "submit")
    assert "不足3人" in err.value.message
    assert db.session.get(type(case), case.id).state == "draft"


def test_reviewer_of_another_district_sees_nothing(world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant_data())
    attach_for_submit(case, world["applicant"])
    cases.act(world["applicant"], case.id, "submit")
    with pytest.raises(NotFound):
        cases.act(world["other_county"], case.id, "accept")
    with pytest.raises(NotFound):
        cases.get_visible(world["other_county"], case.id)


def test_four_eyes_and_budget(world, factory):
    w = world
    reviewer = factory.staff(
        ["county_reviewer", "city_reviewer"], district="330411", username="both"
    )
    case = cases.create_draft(w["applicant"], "employment_driving_grant", grant_data(12))
    attach_for_submit(case, w["applicant"])
    cases.act(w["applicant"], case.id, "submit")
    cases.act(reviewer, case.id, "accept")
    cases.act(reviewer, case.id, "county_approve")
    with pytest.raises(GuardFailed):
        cases.act(reviewer, case.id, "city_approve", ActionInput(amount=Decimal("11000.00")))
    with pytest.raises(BudgetExhausted):
        cases.act(w["city"], case.id, "city_approve", ActionInput(amount=Decimal("11000.00")))
    assert db.session.get(Batch, w["batch"].id).reserved == Decimal("0.00")


def test_return_needs_a_reason_and_an_article_and_the_applicant_resubmits(world):
    w = world
    case = cases.create_draft(w["applicant"], "employment_driving_grant", grant_data())
    attach_for_submit(case, w["applicant"])
    cases.act(w["applicant"], case.id, "submit")
    with pytest.raises(GuardFailed):
        cases.act(w["county"], case.id, "return", ActionInput(reason="材料不全", items=ITEMS))
    cases.act(
        w["county"],
        case.id,
        "return",
        ActionInput(reason="缺参保名单", articles=["四(一)"], items=ITEMS),
    )
    case = cases.update_draft(w["applicant"], case.id, {"employees_insured": 6}, None)
    attach_for_submit(case, w["applicant"])
    case = cases.act(w["applicant"], case.id, "submit")
    assert case.state == "submitted"
    assert case.computed_amount == Decimal("5000.00")


def test_stale_version_is_a_conflict(world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant_data())
    attach_for_submit(case, world["applicant"])
    v = cases.act(world["applicant"], case.id, "submit").version
    cases.act(world["county"], case.id, "accept", ActionInput(version=v))
    with pytest.raises(VersionConflict):
        cases.act(world["county"], case.id, "county_approve", ActionInput(version=v))


def test_the_same_business_year_cannot_be_claimed_twice(world, factory):
    first = cases.create_draft(world["applicant"], "employment_driving_grant", grant_data())
    attach_for_submit(first, world["applicant"])
    cases.act(world["applicant"], first.id, "submit")
    other = factory.person(name="赵六")
    second = cases.create_draft(other, "employment_driving_grant", grant_data())
    attach_for_submit(second, other)
    with pytest.raises(DomainError) as err:
        cases.act(other, second.id, "submit")
    assert err.value.code in ("duplicate_benefit", "guard_failed")
    # Withdrawing the first releases the claim.
    cases.act(world["applicant"], first.id, "withdraw")
    attach_for_submit(second, other)
    assert cases.act(other, second.id, "submit").state == "submitted"


def test_a_draft_is_invisible_to_reviewers_and_steps_cannot_be_skipped(world):
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant_data())
    with pytest.raises(NotFound):
        cases.act(world["county"], case.id, "accept")
    attach_for_submit(case, world["applicant"])
    cases.act(world["applicant"], case.id, "submit")
    with pytest.raises(InvalidTransition):
        cases.act(world["county"], case.id, "county_approve")


def test_no_new_application_after_the_repeal(world, clock):
    batches.update_batch(world["admin"], world["batch"].id, closes_on=date(2022, 3, 1))
    case = cases.create_draft(world["applicant"], "employment_driving_grant", grant_data())
    clock.set_today(date(2022, 1, 10))
    attach_for_submit(case, world["applicant"])
    with pytest.raises(DomainError) as err:
        cases.act(world["applicant"], case.id, "submit")
    assert err.value.code == "policy_not_in_force"


def test_approved_recognition_creates_the_maker_space(app, factory, clock):
    admin = factory.staff("admin", username="admin")
    batches.create_batch(
        admin, "makerspace_recognition", 2021, date(2021, 3, 1), date(2021, 4, 30), Decimal("0")
    )
    operator = factory.operator(district="330402")
    data = {
        "space_name": "南湖创客汇",
        "space_type": "maker_incubation",
        "address": "南湖区某路1号",
        "district": "330402",
        "area_sqm": "800",
        "workstations": 60,
        "resident_teams": 25,
        "mentors": 5,
        "staff": 4,
        "events_last_year": 12,
        "operating_since": "2019-01-01",
    }
    case = cases.create_draft(operator, "makerspace_recognition", data)
    attach_required(case, operator)
    attach_for_submit(case, operator)
    case = cases.act(operator, case.id, "submit")
    assert case.eligible, case.explanation
    county = factory.staff("county_reviewer", district="330402")
    city = factory.staff("city_reviewer")
    cases.act(county, case.id, "accept")
    cases.act(county, case.id, "county_approve")
    experts = [factory.staff("expert") for _ in range(3)]
    from zhongchuang.review.experts import assign_experts

    assign_experts(city, case.id, [e.id for e in experts])
    for i, e in enumerate(experts):
        cases.act(e, case.id, "expert_score", expert_score(80 + i, "好"))
    case = cases.act(city, case.id, "expert_conclude")
    assert case.score_average == Decimal("81.00")
    cases.act(city, case.id, "city_approve")
    notices.publish_notice(city, [case.id], 5)
    clock.set_today(date(2021, 3, 25))
    notices.close_due_notices()
    space = db.session.execute(sa.select(MakerSpace)).scalar_one()
    assert space.name == "南湖创客汇"
    assert space.recognised_on == date(2021, 3, 25)
