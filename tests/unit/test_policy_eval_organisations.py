"""Programs for organisations, each rule at its boundary: 众创空间认定 (三、五),
招引知名众创空间 (五(一)), 招用大学生社保补贴 (四(一), program level)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhongchuang.policy.catalogue import Catalogue, load_catalogue
from zhongchuang.policy.evaluate import Evaluation, Facts, RosterSummary, RuleResult, evaluate
from zhongchuang.policy.identity import make_credit_code

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
JIAXING_CODE = make_credit_code("330402", "MA2B00001")
HANGZHOU_CODE = make_credit_code("330106", "MA2B00002")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE)


def run(cat: Catalogue, code: str, data: dict[str, Any], as_of: date, facts: Facts) -> Evaluation:
    return evaluate(cat.program(code), data, as_of, cat.parameter_table(code), facts)


def line(ev: Evaluation, rule: str) -> RuleResult:
    return next(r for r in ev.explanation if r.rule == rule)


def failed(ev: Evaluation) -> set[str]:
    return {r.rule for r in ev.explanation if not r.passed}


# --- 众创空间认定 -------------------------------------------------------------------------

OPERATOR = Facts(applicant_kind="organization", org_kind="operator", org_credit_code=JIAXING_CODE)
RECOGNITION_DAY = date(2018, 7, 15)


def space(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "space_name": "南湖创客空间",
        "space_type": "maker_incubation",
        "address": "南湖区某路1号",
        "district": "330402",
        "area_sqm": "500",
        "workstations": 30,
        "resident_teams": 20,
        "mentors": 3,
        "staff": 3,
        "events_last_year": 10,
        "operating_since": "2017-01-15",
    }
    data.update(changes)
    return data


def recognise(cat: Catalogue, data: dict[str, Any], **kw: Any) -> Evaluation:
    as_of = kw.pop("as_of", RECOGNITION_DAY)
    facts = kw.pop("facts", OPERATOR)
    return run(cat, "makerspace_recognition", data, as_of, facts)


def test_a_space_at_every_threshold_is_recognisable_and_has_no_amount(cat: Catalogue) -> None:
    ev = recognise(cat, space())
    assert ev.eligible, [r.message for r in ev.failed]
    assert ev.amount is None
    assert all(r.article == "三" for r in ev.explanation)
    assert all(r.message.endswith("（依据：三）") for r in ev.explanation)


@pytest.mark.parametrize(("as_of", "ok"), [(date(2018, 7, 14), False), (date(2018, 7, 15), True)])
def test_operating_17_months_is_too_short_18_is_enough(
    cat: Catalogue, as_of: date, ok: bool
) -> None:
    ev = recognise(cat, space(), as_of=as_of)
    result = line(ev, "operating_months")
    assert result.passed is ok
    assert ("17个月" if not ok else "18个月") in result.message
    assert ev.eligible is ok


@pytest.mark.parametrize(
    ("area", "workstations", "ok"),
    [
        ("499", 29, False),
        ("500", 0, True),
        ("0", 30, True),
        ("499.99", 29, False),
        ("1200.5", 100, True),
    ],
)
def test_area_500_or_30_workstations(
    cat: Catalogue, area: str, workstations: int, ok: bool
) -> None:
    ev = recognise(cat, space(area_sqm=area, workstations=workstations))
    assert line(ev, "space_size").passed is ok
    assert ev.eligible is ok


def test_space_size_is_still_judged_when_one_of_the_two_is_missing(cat: Catalogue) -> None:
    ev = recognise(cat, space(area_sqm=None, workstations=30))
    assert line(ev, "space_size").passed
    assert "field:area_sqm" in failed(ev)  # the field is required all the same


@pytest.mark.parametrize(
    ("field", "below", "at"),
    [("resident_teams", 19, 20), ("mentors", 2, 3), ("staff", 2, 3), ("events_last_year", 9, 10)],
)
def test_counts_at_their_thresholds(cat: Catalogue, field: str, below: int, at: int) -> None:
    assert line(recognise(cat, space(**{field: below})), field).passed is False
    assert line(recognise(cat, space(**{field: at})), field).passed is True


@pytest.mark.parametrize(
    ("facts", "ok"),
    [
        (OPERATOR, True),
        (
            Facts(
                applicant_kind="organization", org_kind="enterprise", org_credit_code=JIAXING_CODE
            ),
            False,
        ),
        (Facts(applicant_kind="person"), False),
    ],
)
def test_only_an_operator_may_apply(cat: Catalogue, facts: Facts, ok: bool) -> None:
    assert line(recognise(cat, space(), facts=facts), "applicant").passed is ok


def test_the_operator_must_be_registered_in_jiaxing(cat: Catalogue) -> None:
    outsider = Facts(
        applicant_kind="organization", org_kind="operator", org_credit_code=HANGZHOU_CODE
    )
    result = line(recognise(cat, space(), facts=outsider), "registered_in_jiaxing")
    assert not result.passed
    assert "330106" in result.message
    unknown = Facts(applicant_kind="organization", org_kind="operator")
    assert not line(recognise(cat, space(), facts=unknown), "registered_in_jiaxing").passed


def test_the_space_must_be_in_a_jiaxing_district_and_of_a_listed_type(cat: Catalogue) -> None:
    assert not line(recognise(cat, space(district="330106")), "located_in_jiaxing").passed
    ev = recognise(cat, space(space_type="coworking"))
    assert {"field:space_type", "space_type"} <= failed(ev)


# --- 招引知名众创空间 ----------------------------------------------------------------------


def famous(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "brand_name": "某知名众创",
        "parent_credit_code": "91110108551385082Q",
        "parent_level": "national",
        "branch_name": "某知名众创嘉兴分空间",
        "address": "秀洲区某路2号",
        "district": "330411",
        "area_sqm": "500",
        "opened_on": "2016-05-01",
        "investment_amount": "3000000.00",
        "requested_amount": "1200000.00",
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def operator_with_policy(cat: Catalogue) -> Facts:
    return Facts(
        applicant_kind="organization",
        org_kind="operator",
        org_credit_code=JIAXING_CODE,
        policy_events=cat.status_events(),
    )


def introduce(cat: Catalogue, facts: Facts, **changes: Any) -> Evaluation:
    return run(cat, "famous_space_introduction", famous(**changes), date(2017, 3, 1), facts)


def test_requested_amount_is_capped_at_max_award(
    cat: Catalogue, operator_with_policy: Facts
) -> None:
    ev = introduce(cat, operator_with_policy)
    assert ev.eligible, [r.message for r in ev.failed]
    assert ev.amount == Decimal("1000000.00")
    assert ev.parameters_used["max_award"] == Decimal("1000000.00")


@pytest.mark.parametrize(
    ("requested", "amount"),
    [("300000.50", "300000.50"), ("1000000.00", "1000000.00"), ("1000000.01", "1000000.00")],
)
def test_amount_below_at_and_over_the_cap(
    cat: Catalogue, operator_with_policy: Facts, requested: str, amount: str
) -> None:
    assert introduce(cat, operator_with_policy, requested_amount=requested).amount == Decimal(
        amount
    )


@pytest.mark.parametrize(("area", "ok"), [("499", False), ("500", True)])
def test_branch_area_500(cat: Catalogue, operator_with_policy: Facts, area: str, ok: bool) -> None:
    assert line(introduce(cat, operator_with_policy, area_sqm=area), "area").passed is ok


@pytest.mark.parametrize(
    ("level", "ok"), [("national", True), ("provincial", True), ("city", False)]
)
def test_parent_must_be_national_or_provincial(
    cat: Catalogue, operator_with_policy: Facts, level: str, ok: bool
) -> None:
    assert introduce(cat, operator_with_policy, parent_level=level).eligible is ok


@pytest.mark.parametrize(
    ("opened", "ok"),
    [("2015-11-30", False), ("2015-12-01", True), ("2021-12-30", True), ("2021-12-31", False)],
)
def test_opened_while_the_policy_is_in_force(
    cat: Catalogue, operator_with_policy: Facts, opened: str, ok: bool
) -> None:
    result = line(introduce(cat, operator_with_policy, opened_on=opened), "opened_while_in_force")
    assert result.passed is ok
    assert result.article == "五(一)"


def test_opening_date_cannot_be_judged_without_the_policy_events(cat: Catalogue) -> None:
    ev = introduce(cat, OPERATOR)
    result = line(ev, "opened_while_in_force")
    assert not result.passed
    assert "施行" in result.message
    assert ev.amount is None


def test_a_branch_outside_jiaxing_is_refused(cat: Catalogue, operator_with_policy: Facts) -> None:
    assert not line(
        introduce(cat, operator_with_policy, district="310101"), "opened_in_jiaxing"
    ).passed


# --- 招用大学生社保补贴 (program level; rows in test_policy_roster) ---------------------------

ROSTER = RosterSummary(accepted_rows=3, rejected_rows=1, accepted_amount=Decimal("1234.56"))


def enterprise(size: str, **kw: Any) -> Facts:
    return Facts(
        applicant_kind="organization",
        org_kind="enterprise",
        enterprise_size=size,
        org_credit_code=JIAXING_CODE,
        recognised_maker_space_ids=frozenset({7}),
        roster_summary=kw.get("roster", ROSTER),
    )


def claim(cat: Catalogue, facts: Facts, **changes: Any) -> Evaluation:
    data = {"maker_space_id": "7", "period_start": "2020-01", "period_end": "2020-06", **changes}
    return run(cat, "graduate_social_insurance", data, date(2020, 7, 10), facts)


def test_the_amount_is_the_accepted_roster_total(cat: Catalogue) -> None:
    ev = claim(cat, enterprise("micro"))
    assert ev.eligible, [r.message for r in ev.failed]
    assert ev.amount == Decimal("1234.56")


@pytest.mark.parametrize(
    ("size", "ok"), [("micro", True), ("small", True), ("medium", False), ("large", False)]
)
def test_only_micro_and_small_enterprises(cat: Catalogue, size: str, ok: bool) -> None:
    assert line(claim(cat, enterprise(size)), "applicant").passed is ok


def test_an_operator_is_not_an_enterprise_here(cat: Catalogue) -> None:
    facts = Facts(applicant_kind="organization", org_kind="operator", enterprise_size="micro")
    assert not line(claim(cat, facts), "applicant").passed


@pytest.mark.parametrize(("space_id", "ok"), [("7", True), (7, True), ("8", False)])
def test_the_enterprise_must_sit_in_a_recognised_space(
    cat: Catalogue, space_id: object, ok: bool
) -> None:
    assert (
        line(claim(cat, enterprise("small"), maker_space_id=space_id), "in_recognised_space").passed
        is ok
    )


def test_the_claim_period_must_run_forward(cat: Catalogue) -> None:
    ev = claim(cat, enterprise("small"), period_start="2020-07", period_end="2020-06")
    assert not line(ev, "claim_period").passed


@pytest.mark.parametrize(
    "roster",
    [None, RosterSummary(accepted_rows=0, rejected_rows=5, accepted_amount=Decimal("0.00"))],
)
def test_without_an_accepted_row_there_is_nothing_to_pay(
    cat: Catalogue, roster: RosterSummary | None
) -> None:
    ev = claim(cat, enterprise("small", roster=roster))
    assert not line(ev, "roster").passed
    assert not ev.eligible
    assert ev.amount is None
