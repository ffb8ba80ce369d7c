"""Who may do what, when: every action × role × state, then each guard at its boundary."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from zhongchuang import errors
from zhongchuang.workflow.guards import (
    ActionRequest,
    Actor,
    CaseFacts,
    Decision,
    GuardFailure,
    allowed_actions,
    can_act,
    check,
    raise_for,
)

#: 专家评审指标 of the cases below: (code, max), maxima summing to 100.
CRITERIA = (("premises", 40), ("services", 60))

# --------------------------------------------------------------------------- the table
# Written out from DESIGN.md, independently of the module's own data.

ROLE_OF = {
    "submit": "applicant",
    "withdraw": "applicant",
    "accept": "county_reviewer",
    "return": "county_reviewer",
    "county_approve": "county_reviewer",
    "county_reject": "county_reviewer",
    "expert_score": "expert",
    "expert_conclude": "city_reviewer",
    "city_approve": "city_reviewer",
    "city_reject": "city_reviewer",
    "publish": "city_reviewer",
    "conclude_notice": "city_reviewer",
    "uphold_objection": "city_reviewer",
    "dismiss_objection": "city_reviewer",
    "disburse": "finance",
    "decline": "county_reviewer",
    "lapse": "system",
}
SYSTEM_ACTIONS = {"conclude_notice", "lapse"}

_COMMON_SOURCES = {
    "submit": {"draft", "returned"},
    "withdraw": {"submitted", "returned"},
    "accept": {"submitted"},
    "return": {"submitted", "accepted"},
    "county_approve": {"accepted"},
    "county_reject": {"accepted"},
    "publish": {"city_approved"},
    "conclude_notice": {"in_notice"},
    "uphold_objection": {"in_notice"},
    "dismiss_objection": {"in_notice"},
    "disburse": {"approved"},
    "lapse": {"returned"},
    "decline": set(),
}
#: Release 2: 不予受理 from submitted; a recognition ends at approved (no disbursement).
_RELEASE_2 = {"decline": {"submitted"}}
SOURCES = {
    "standard-v1": {
        **_COMMON_SOURCES,
        "expert_score": set(),
        "expert_conclude": set(),
        "city_approve": {"county_approved"},
        "city_reject": {"county_approved"},
    },
    "expert-v1": {
        **_COMMON_SOURCES,
        "expert_score": {"county_approved"},
        "expert_conclude": {"county_approved"},
        "city_approve": {"expert_reviewed"},
        "city_reject": {"county_approved", "expert_reviewed"},
    },
    "standard-v2": {
        **_COMMON_SOURCES,
        **_RELEASE_2,
        "expert_score": set(),
        "expert_conclude": set(),
        "city_approve": {"county_approved"},
        "city_reject": {"county_approved"},
    },
    "expert-v2": {
        **_COMMON_SOURCES,
        **_RELEASE_2,
        "expert_score": {"county_approved"},
        "expert_conclude": {"county_approved"},
        "city_approve": {"expert_reviewed"},
        "city_reject": {"county_approved", "expert_reviewed"},
    },
    "recognition-v1": {
        **_COMMON_SOURCES,
        **_RELEASE_2,
        "expert_score": {"county_approved"},
        "expert_conclude": {"county_approved"},
        "city_approve": {"expert_reviewed"},
        "city_reject": {"county_approved", "expert_reviewed"},
        "disburse": set(),
    },
}
ALL_STATES = [
    "draft",
    "submitted",
    "returned",
    "accepted",
    "county_approved",
    "expert_reviewed",
    "city_approved",
    "in_notice",
    "approved",
    "disbursed",
    "rejected",
    "withdrawn",
    "declined",
]
ALL_ROLES = [
    "applicant",
    "county_reviewer",
    "expert",
    "city_reviewer",
    "finance",
    "admin",
    "system",
]

TODAY = date(2021, 6, 1)
DISTRICT = "330402"
APPLICANT_ID, COUNTY_ID, EXPERT_ID, CITY_ID, FINANCE_ID, ADMIN_ID = 1, 2, 3, 4, 5, 6
APPLICANT_ORG, STAFF_ORG = 10, 90


def actor_for(role: str, **changes: object) -> Actor:
    if role == "system":
        return Actor.system()
    user_id = {
        "applicant": APPLICANT_ID,
        "county_reviewer": COUNTY_ID,
        "expert": EXPERT_ID,
        "city_reviewer": CITY_ID,
        "finance": FINANCE_ID,
        "admin": ADMIN_ID,
    }[role]
    actor = Actor(
        user_id=user_id,
        roles=frozenset({role}),
        district=DISTRICT if role == "county_reviewer" else None,
        organization_id=APPLICANT_ORG if role == "applicant" else STAFF_ORG,
    )
    return dataclasses.replace(actor, **changes)


def facts(workflow_id: str = "standard-v2", state: str = "draft", **changes: object) -> CaseFacts:
    """A case on which every guard passes for whichever action fits its state."""
    base = CaseFacts(
        id=7,
        workflow_id=workflow_id,
        state=state,
        version=3,
        district=DISTRICT,
        applicant_user_id=APPLICANT_ID,
        organization_id=APPLICANT_ORG,
        first_approver_id=COUNTY_ID,
        batch_opens_on=date(2021, 1, 1),
        batch_closes_on=date(2021, 12, 31),
        policy_in_force_on_submission=True,
        eligible=True,
        money_program=True,
        computed_amount=Decimal("5000.00"),
        max_award=Decimal("10000.00"),
        budget=Decimal("100000.00"),
        reserved=Decimal("20000.00"),
        consumed=Decimal("10000.00"),
        approved_amount=Decimal("5000.00"),
        notice_ends_on=TODAY - timedelta(days=1),
        open_objections=0,
        expert_scores=3,
        min_expert_scores=3,
        assigned_expert_ids=frozenset({EXPERT_ID}),
        expert_criteria=CRITERIA,
    )
    return dataclasses.replace(base, **changes)


def request(action: str, case: CaseFacts, **changes: object) -> ActionRequest:
    """A request that supplies everything any action may need."""
    base = ActionRequest(
        action=action,
        today=TODAY,
        version=case.version,
        reason="材料不符合要求",
        articles=["四(一)"],
        amount=Decimal("5000.00"),
        scores={"premises": 20, "services": 60},
        expert_opinion="场地条件较好，服务有待加强。",
        payment_reference="JX-2021-0001",
        items=({"target": "loan_contract", "message": "借款合同缺少银行盖章页"},),
    )
    return dataclasses.replace(base, **changes)


def _table() -> list[tuple[str, str, str, str, str | None]]:
    rows = []
    for workflow_id, sources in SOURCES.items():
        for action, allowed_from in sources.items():
            for role in ALL_ROLES:
                for state in ALL_STATES:
                    role_ok = (
                        action in SYSTEM_ACTIONS if role == "system" else ROLE_OF[action] == role
                    )
                    if not role_ok:
                        code: str | None = "forbidden"
                    elif state not in allowed_from:
                        code = "invalid_transition"
                    else:
                        code = None
                    rows.append((workflow_id, action, role, state, code))
    return rows


TABLE = _table()


@pytest.mark.parametrize(
    ("workflow_id", "action", "role", "state", "expected_code"),
    TABLE,
    ids=[f"{w}-{a}-{r}-{s}" for w, a, r, s, _ in TABLE],
)
def test_every_action_role_and_state(
    workflow_id: str, action: str, role: str, state: str, expected_code: str | None
) -> None:
    case = facts(
        workflow_id,
        state,
        open_objections=1 if action in ("uphold_objection", "dismiss_objection") else 0,
        # The review concludes once the assigned expert has scored (they score only once).
        scored_expert_ids=frozenset({EXPERT_ID}) if action == "expert_conclude" else frozenset(),
    )
    actor = actor_for(role)
    decision = check(action, actor, case, request(action, case))
    assert decision.allowed is (expected_code is None), decision.failures
    assert decision.code == expected_code
    assert can_act(actor, case, action, today=TODAY) is (expected_code is None)


def test_the_table_covers_every_action_of_every_workflow() -> None:
    assert len(TABLE) == 5 * 17 * len(ALL_ROLES) * len(ALL_STATES)
    assert {a for _, a, _, _, c in TABLE if c is None} == set(ROLE_OF)


def test_an_unknown_action_is_forbidden() -> None:
    case = facts()
    assert check("approve_everything", actor_for("admin"), case, None).code == "forbidden"


def test_a_request_for_another_action_is_a_programming_error() -> None:
    case = facts()
    with pytest.raises(ValueError, match="not 'submit'"):
        check("submit", actor_for("applicant"), case, request("withdraw", case))


# --------------------------------------------------------------------------- jurisdiction


def _decide(action: str, actor: Actor, case: CaseFacts, **req: object) -> Decision:
    return check(action, actor, case, request(action, case, **req))


def test_county_reviewer_acts_only_in_own_district() -> None:
    case = facts(state="submitted")
    assert _decide("accept", actor_for("county_reviewer"), case).allowed
    other = actor_for("county_reviewer", district="330411")
    assert _decide("accept", other, case).code == "not_found"
    assert _decide("accept", actor_for("county_reviewer", district=None), case).code == "not_found"


def test_applicant_acts_only_on_own_case() -> None:
    case = facts(state="draft")
    stranger = actor_for("applicant", user_id=99, organization_id=77)
    assert _decide("submit", stranger, case).code == "not_found"
    colleague = actor_for("applicant", user_id=98)  # same organisation, another account
    assert _decide("submit", colleague, case).allowed
    person_case = facts(state="draft", organization_id=None, applicant_user_id=50, person_id=5)
    same_person = Actor(user_id=51, roles=frozenset({"applicant"}), person_id=5)
    assert _decide("submit", same_person, person_case).allowed


def test_jurisdiction_is_checked_before_state() -> None:
    # An outsider learns nothing, not even that the state is wrong.
    case = facts(state="approved")
    stranger = actor_for("county_reviewer", district="330411")
    assert _decide("accept", stranger, case).code == "not_found"


def test_city_roles_act_city_wide() -> None:
    case = facts(state="county_approved", district="330483")
    assert _decide("city_approve", actor_for("city_reviewer"), case).allowed


# --------------------------------------------------------------------------- version


def test_stale_version_is_a_conflict() -> None:
    case = facts(state="submitted", version=5)
    reviewer = actor_for("county_reviewer")
    assert _decide("accept", reviewer, case, version=4).code == "version_conflict"
    assert _decide("accept", reviewer, case, version=6).code == "version_conflict"
    assert _decide("accept", reviewer, case, version=5).allowed
    assert _decide("accept", reviewer, case, version=None).allowed


def test_version_is_checked_before_the_guards() -> None:
    case = facts(state="submitted", version=5)
    decision = _decide("return", actor_for("county_reviewer"), case, version=4, reason="")
    assert [f.code for f in decision.failures] == ["version_conflict"]


# --------------------------------------------------------------------------- submit


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        (date(2021, 2, 28), False),  # the day before it opens
        (date(2021, 3, 1), True),  # the opening day
        (date(2021, 3, 31), True),  # the closing day
        (date(2021, 4, 1), False),  # the day after it closes
    ],
)
def test_batch_window_is_inclusive(today: date, allowed: bool) -> None:
    case = facts(batch_opens_on=date(2021, 3, 1), batch_closes_on=date(2021, 3, 31))
    decision = _decide("submit", actor_for("applicant"), case, today=today)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.code == "batch_closed"
        assert "申报期" in decision.message_zh


def test_resubmission_after_return_is_not_bound_by_the_window() -> None:
    case = facts(state="returned", batch_closes_on=date(2021, 3, 31))
    assert _decide("submit", actor_for("applicant"), case, today=date(2021, 4, 20)).allowed


def test_submission_under_a_policy_not_in_force_is_refused() -> None:
    case = facts(policy_in_force_on_submission=False)
    assert _decide("submit", actor_for("applicant"), case).code == "policy_not_in_force"


def test_ineligible_submission_lists_the_failed_rules() -> None:
    case = facts(eligible=False, eligibility_failures=["运营时间不足18个月", "导师少于3名"])
    decision = _decide("submit", actor_for("applicant"), case)
    assert decision.code == "guard_failed"
    assert [f.guard for f in decision.failures] == ["eligibility", "eligibility"]
    assert "运营时间不足18个月" in decision.message_zh
    assert "导师少于3名" in decision.message_zh


def test_unevaluated_eligibility_is_refused() -> None:
    decision = _decide("submit", actor_for("applicant"), facts(eligible=None))
    assert decision.code == "guard_failed"
    assert decision.failures[0].guard == "eligibility"


def test_duplicate_benefit_is_refused() -> None:
    case = facts(duplicate_benefit="2021-03 已由其他企业申领")
    decision = _decide("submit", actor_for("applicant"), case)
    assert decision.code == "duplicate_benefit"
    assert "2021-03" in decision.message_zh


def test_all_failing_submit_guards_are_reported_and_the_first_decides() -> None:
    case = facts(policy_in_force_on_submission=False, eligible=False, duplicate_benefit="x")
    decision = _decide("submit", actor_for("applicant"), case, today=date(2022, 1, 1))
    assert [f.code for f in decision.failures] == [
        "batch_closed",
        "policy_not_in_force",
        "duplicate_benefit",
        "guard_failed",
    ]


# --------------------------------------------------------------------------- reasons


REASONED = [
    ("return", "submitted", "county_reviewer", 0),
    ("decline", "submitted", "county_reviewer", 0),
    ("county_reject", "accepted", "county_reviewer", 0),
    ("city_reject", "county_approved", "city_reviewer", 0),
    ("uphold_objection", "in_notice", "city_reviewer", 1),
]


@pytest.mark.parametrize(("action", "state", "role", "objections"), REASONED)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_refusals_need_a_reason(
    action: str, state: str, role: str, objections: int, reason: str | None
) -> None:
    case = facts(state=state, open_objections=objections)
    decision = _decide(action, actor_for(role), case, reason=reason)
    assert decision.code == "guard_failed"
    assert [f.guard for f in decision.failures] == ["reason"]


@pytest.mark.parametrize(("action", "state", "role", "objections"), REASONED)
def test_refusals_need_a_cited_article_or_failed_rule(
    action: str, state: str, role: str, objections: int
) -> None:
    case = facts(state=state, open_objections=objections)
    actor = actor_for(role)
    decision = _decide(action, actor, case, articles=[], failed_rules=[])
    assert [f.guard for f in decision.failures] == ["articles"]
    assert not _decide(action, actor, case, articles=[" "]).allowed
    assert _decide(action, actor, case, articles=[], failed_rules=["min_mentors"]).allowed
    assert _decide(action, actor, case, articles=["三"]).allowed


def test_dismissing_an_objection_needs_a_reason_but_no_article() -> None:
    case = facts(state="in_notice", open_objections=1)
    city = actor_for("city_reviewer")
    assert _decide("dismiss_objection", city, case, articles=[]).allowed
    assert _decide("dismiss_objection", city, case, reason=" ").failures[0].guard == "reason"


def test_accept_needs_no_reason() -> None:
    case = facts(state="submitted")
    assert _decide("accept", actor_for("county_reviewer"), case, reason=None, articles=[]).allowed


# --------------------------------------------------------------------------- four eyes, own org


def test_four_eyes_first_instance_approver_cannot_approve_at_second() -> None:
    case = facts(state="county_approved", first_approver_id=42)
    both = Actor(
        user_id=42,
        roles=frozenset({"county_reviewer", "city_reviewer"}),
        district=DISTRICT,
        organization_id=STAFF_ORG,
    )
    decision = _decide("city_approve", both, case)
    assert decision.code == "guard_failed"
    assert [f.guard for f in decision.failures] == ["four_eyes"]
    assert _decide("city_approve", dataclasses.replace(both, user_id=43), case).allowed


def test_nobody_reviews_own_organisation() -> None:
    insider = actor_for("county_reviewer", organization_id=APPLICANT_ORG)
    decision = _decide("accept", insider, facts(state="submitted"))
    assert [f.guard for f in decision.failures] == ["own_organization"]
    unaffiliated = actor_for("county_reviewer", organization_id=None)
    assert _decide("accept", unaffiliated, facts(state="submitted")).allowed


@pytest.mark.parametrize(
    ("action", "state", "role"),
    [
        ("accept", "submitted", "county_reviewer"),
        ("county_approve", "accepted", "county_reviewer"),
        ("expert_score", "county_approved", "expert"),
        ("city_approve", "county_approved", "city_reviewer"),
        ("publish", "city_approved", "city_reviewer"),
        ("disburse", "approved", "finance"),
    ],
)
def test_own_organisation_applies_to_every_staff_role(action: str, state: str, role: str) -> None:
    workflow_id = "expert-v1" if action == "expert_score" else "standard-v1"
    case = facts(workflow_id, state, organization_id=STAFF_ORG)
    decision = _decide(action, actor_for(role), case)
    assert decision.code == "guard_failed"
    assert "own_organization" in [f.guard for f in decision.failures]


def test_staff_cannot_review_their_own_personal_case() -> None:
    case = facts(state="submitted", organization_id=None, applicant_user_id=COUNTY_ID)
    reviewer = actor_for("county_reviewer", organization_id=None)
    assert [f.guard for f in _decide("accept", reviewer, case).failures] == ["own_organization"]


# --------------------------------------------------------------------------- amount, budget


BUDGET = {
    "budget": Decimal("10000.00"),
    "reserved": Decimal("6000.00"),
    "consumed": Decimal("2000.00"),
    "computed_amount": None,
    "max_award": None,
}


def _approve(amount: Decimal | None, **case_changes: object) -> Decision:
    case = facts(state="county_approved", **{**BUDGET, **case_changes})
    return _decide("city_approve", actor_for("city_reviewer"), case, amount=amount)


def test_budget_exactly_used_up_is_allowed() -> None:
    assert _approve(Decimal("2000.00")).allowed


def test_budget_one_cent_over_is_exhausted() -> None:
    decision = _approve(Decimal("2000.01"))
    assert decision.code == "budget_exhausted"
    assert "10,000.00元" in decision.message_zh
    assert "剩余2,000.00元" in decision.message_zh


@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("-1.00"), Decimal("1.001")])
def test_amount_must_be_positive_cents(amount: Decimal | None) -> None:
    decision = _approve(amount)
    assert decision.code == "guard_failed"
    assert decision.failures[0].guard == "amount"


def test_amount_is_capped_by_max_award() -> None:
    assert _approve(Decimal("1000.00"), max_award=Decimal("1000.00")).allowed
    decision = _approve(Decimal("1000.01"), max_award=Decimal("1000.00"))
    assert [f.guard for f in decision.failures] == ["max_award"]


def test_amount_may_not_exceed_the_computed_amount() -> None:
    assert _approve(Decimal("1500.00"), computed_amount=Decimal("1500.00")).allowed
    decision = _approve(Decimal("1500.01"), computed_amount=Decimal("1500.00"))
    assert [f.guard for f in decision.failures] == ["computed_amount"]


def test_money_program_without_budget_is_refused() -> None:
    decision = _approve(Decimal("1.00"), budget=None)
    assert [f.guard for f in decision.failures] == ["budget"]


def test_program_without_money_needs_no_amount() -> None:
    case = facts(state="county_approved", money_program=False, budget=None)
    city = actor_for("city_reviewer")
    assert _decide("city_approve", city, case, amount=None).allowed
    assert _decide("city_approve", city, case, amount=Decimal("5.00")).code == "guard_failed"


# --------------------------------------------------------------------------- experts


def test_expert_must_be_assigned_and_score_once() -> None:
    case = facts("expert-v1", "county_approved", assigned_expert_ids=frozenset({EXPERT_ID}))
    expert = actor_for("expert")
    assert _decide("expert_score", expert, case).allowed
    outsider = actor_for("expert", user_id=33)
    assert [f.guard for f in _decide("expert_score", outsider, case).failures] == [
        "expert_assigned"
    ]
    scored = dataclasses.replace(case, scored_expert_ids=frozenset({EXPERT_ID}))
    assert [f.guard for f in _decide("expert_score", expert, scored).failures] == ["expert_scored"]


@pytest.mark.parametrize(
    ("points", "allowed"),
    [(-1, False), (0, True), (40, True), (41, False), (True, False), (Decimal("9"), False)],
)
def test_each_criterion_is_scored_in_whole_points_up_to_its_maximum(
    points: object, allowed: bool
) -> None:
    case = facts("expert-v1", "county_approved")
    scores = {"premises": points, "services": 50}
    decision = _decide("expert_score", actor_for("expert"), case, scores=scores)
    assert decision.allowed is allowed
    if not allowed:
        assert [f.guard for f in decision.failures] == ["scores.premises"]
        assert "0 至 40" in decision.message_zh


def test_expert_conclusion_needs_the_minimum_number_of_scores() -> None:
    city = actor_for("city_reviewer")
    short = facts(
        "expert-v1",
        "county_approved",
        expert_scores=2,
        min_expert_scores=3,
        scored_expert_ids=frozenset({EXPERT_ID}),
    )
    assert [f.guard for f in _decide("expert_conclude", city, short).failures] == [
        "min_expert_scores"
    ]
    enough = dataclasses.replace(short, expert_scores=3)
    assert _decide("expert_conclude", city, enough).allowed


# --------------------------------------------------------------------------- notice


ENDS = date(2021, 6, 8)


@pytest.mark.parametrize(
    ("today", "objections", "guards"),
    [
        (ENDS - timedelta(days=1), 0, ["notice_period"]),
        (ENDS, 0, ["notice_period"]),  # the last day of the notice still runs
        (ENDS + timedelta(days=1), 0, []),
        (ENDS + timedelta(days=1), 1, ["open_objections"]),
        (ENDS, 2, ["notice_period", "open_objections"]),
    ],
)
def test_notice_concludes_after_its_period_without_open_objection(
    today: date, objections: int, guards: list[str]
) -> None:
    case = facts(state="in_notice", notice_ends_on=ENDS, open_objections=objections)
    for actor in (actor_for("city_reviewer"), Actor.system()):
        decision = _decide("conclude_notice", actor, case, today=today)
        assert [f.guard for f in decision.failures] == guards


def test_notice_without_period_cannot_conclude() -> None:
    case = facts(state="in_notice", notice_ends_on=None)
    decision = _decide("conclude_notice", Actor.system(), case)
    assert decision.failures[0].guard == "notice_period"


@pytest.mark.parametrize("action", ["uphold_objection", "dismiss_objection"])
def test_ruling_on_an_objection_needs_one(action: str) -> None:
    case = facts(state="in_notice", open_objections=0)
    decision = _decide(action, actor_for("city_reviewer"), case)
    assert [f.guard for f in decision.failures] == ["open_objections"]


def test_system_may_only_conclude_notices() -> None:
    case = facts(state="city_approved")
    assert _decide("publish", Actor.system(), case).code == "forbidden"


# --------------------------------------------------------------------------- disburse


@pytest.mark.parametrize("reference", [None, "", "  "])
def test_disbursement_needs_a_payment_reference(reference: str | None) -> None:
    case = facts(state="approved")
    decision = _decide("disburse", actor_for("finance"), case, payment_reference=reference)
    assert [f.guard for f in decision.failures] == ["payment_reference"]


# --------------------------------------------------------------------------- probes


def test_allowed_actions_for_a_county_reviewer() -> None:
    reviewer = actor_for("county_reviewer")
    assert allowed_actions(reviewer, facts(state="submitted")) == ["accept", "decline", "return"]
    assert allowed_actions(reviewer, facts("standard-v1", "submitted")) == ["accept", "return"]
    assert allowed_actions(reviewer, facts(state="accepted")) == [
        "return",
        "county_approve",
        "county_reject",
    ]
    assert allowed_actions(actor_for("applicant"), facts(state="returned")) == [
        "submit",
        "withdraw",
    ]
    assert allowed_actions(actor_for("admin"), facts(state="submitted")) == []


def test_probe_ignores_what_the_request_will_supply() -> None:
    city = actor_for("city_reviewer")
    case = facts(state="county_approved")
    assert can_act(city, case, "city_reject")  # reason and article come with the request
    assert can_act(city, case, "city_approve")  # so does the amount


def test_probe_refuses_approval_when_the_budget_is_used_up() -> None:
    city = actor_for("city_reviewer")
    case = facts(state="county_approved", budget=Decimal("100.00"), reserved=Decimal("100.00"))
    case = dataclasses.replace(case, consumed=Decimal(0))
    assert not can_act(city, case, "city_approve")
    assert check("city_approve", city, case, None).code == "budget_exhausted"


def test_probe_checks_dates_only_when_given_today() -> None:
    city = actor_for("city_reviewer")
    case = facts(state="in_notice", notice_ends_on=ENDS)
    assert can_act(city, case, "conclude_notice")
    assert not can_act(city, case, "conclude_notice", today=ENDS)
    assert can_act(city, case, "conclude_notice", today=ENDS + timedelta(days=1))
    assert not can_act(city, dataclasses.replace(case, open_objections=1), "conclude_notice")


# --------------------------------------------------------------------------- raise_for


def test_raise_for_does_nothing_when_allowed() -> None:
    raise_for(Decision(True))


@pytest.mark.parametrize(
    ("code", "exc"),
    [
        ("forbidden", errors.Forbidden),
        ("not_found", errors.NotFound),
        ("invalid_transition", errors.InvalidTransition),
        ("version_conflict", errors.VersionConflict),
        ("budget_exhausted", errors.BudgetExhausted),
        ("duplicate_benefit", errors.DuplicateBenefit),
        ("policy_not_in_force", errors.PolicyNotInForce),
        ("batch_closed", errors.BatchClosed),
        ("guard_failed", errors.GuardFailed),
    ],
)
def test_raise_for_maps_codes_to_domain_errors(code: str, exc: type[errors.DomainError]) -> None:
    decision = Decision(
        False,
        [
            GuardFailure(code, "第一条不满足", "first", "g1"),
            GuardFailure("guard_failed", "第二条不满足", "second", "g2"),
        ],
    )
    with pytest.raises(exc) as info:
        raise_for(decision)
    assert type(info.value) is exc
    assert info.value.code == code
    assert "第一条不满足" in info.value.message
    assert "第二条不满足" in info.value.message
    assert info.value.errors == {"g1": ["第一条不满足"], "g2": ["第二条不满足"]}


def test_raise_for_a_real_refusal_gives_status_and_code() -> None:
    case = facts(state="in_notice", notice_ends_on=ENDS, open_objections=1)
    decision = _decide("conclude_notice", Actor.system(), case, today=ENDS)
    with pytest.raises(errors.GuardFailed) as info:
        raise_for(decision)
    assert info.value.status == 422
    assert "公示期" in info.value.message
    assert "异议" in info.value.message
