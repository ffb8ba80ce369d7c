"""Programs for graduates under 四(一), each rule at its boundary: 创业补助, 自主创业社保补贴,
创业贷款贴息, 带动就业补助."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhongchuang.policy.catalogue import Catalogue, load_catalogue
from zhongchuang.policy.evaluate import Evaluation, Facts, PriorBenefits, RuleResult, evaluate
from zhongchuang.policy.identity import make_credit_code

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
BUSINESS = make_credit_code("330411", "MA2C00001")
OUTSIDE = make_credit_code("330106", "MA2C00002")
PERSON = Facts(applicant_kind="person")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE)


def run(cat: Catalogue, code: str, data: dict[str, Any], as_of: date, facts: Facts) -> Evaluation:
    return evaluate(cat.program(code), data, as_of, cat.parameter_table(code), facts)


def line(ev: Evaluation, rule: str) -> RuleResult:
    return next(r for r in ev.explanation if r.rule == rule)


def person_with(key: str, **prior: Any) -> Facts:
    return Facts(
        applicant_kind="person",
        prior_benefits=PriorBenefits(
            grants={key: prior["grants"]} if "grants" in prior else {},
            years={key: frozenset(prior["years"])} if "years" in prior else {},
            months={key: frozenset(prior["months"])} if "months" in prior else {},
        ),
    )


# --- 大学生创业补助 -----------------------------------------------------------------------


def startup(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school": "嘉兴学院",
        "graduation_date": "2016-06-30",
        "business_name": "某科技有限公司",
        "business_credit_code": BUSINESS,
        "business_registered_on": "2017-03-01",
        "is_legal_representative": True,
    }
    data.update(changes)
    return data


def grant(
    cat: Catalogue, data: dict[str, Any], as_of: date = date(2017, 9, 1), facts: Facts = PERSON
) -> Evaluation:
    return run(cat, "graduate_startup_grant", data, as_of, facts)


def test_a_startup_six_months_old_gets_the_fixed_grant(cat: Catalogue) -> None:
    ev = grant(cat, startup())
    assert ev.eligible, [r.message for r in ev.failed]
    assert ev.amount == Decimal("5000.00")
    assert all(r.article == "四(一)" for r in ev.explanation)


def test_five_months_in_business_is_too_early(cat: Catalogue) -> None:
    ev = grant(cat, startup(), as_of=date(2017, 8, 31))
    assert not line(ev, "months_in_business").passed
    assert ev.amount is None


@pytest.mark.parametrize(("registered", "ok"), [("2021-06-30", True), ("2021-07-01", False)])
def test_registered_within_five_years_of_graduation(
    cat: Catalogue, registered: str, ok: bool
) -> None:
    ev = grant(cat, startup(business_registered_on=registered), as_of=date(2022, 6, 1))
    assert line(ev, "graduated_within").passed is ok


def test_a_student_who_registered_before_graduating_qualifies(cat: Catalogue) -> None:
    ev = grant(cat, startup(graduation_date="2018-06-30"))
    result = line(ev, "graduated_within")
    assert result.passed
    assert "在校" in result.message


def test_the_business_must_be_registered_in_jiaxing(cat: Catalogue) -> None:
    result = line(grant(cat, startup(business_credit_code=OUTSIDE)), "business_in_jiaxing")
    assert not result.passed
    assert "330106" in result.message


@pytest.mark.parametrize(
    ("value", "ok"), [(True, True), (False, False), ("否", False), ("是", True)]
)
def test_the_applicant_must_be_the_legal_representative(
    cat: Catalogue, value: object, ok: bool
) -> None:
    assert (
        line(grant(cat, startup(is_legal_representative=value)), "legal_representative").passed
        is ok
    )


@pytest.mark.parametrize(("earlier", "ok"), [(0, True), (1, False)])
def test_once_per_person_ever(cat: Catalogue, earlier: int, ok: bool) -> None:
    facts = person_with("graduate_startup_grant", grants=earlier)
    assert line(grant(cat, startup(), facts=facts), "once_per_person").passed is ok


def test_another_benefit_does_not_count_against_the_grant(cat: Catalogue) -> None:
    facts = person_with("graduate_self_employed_insurance", grants=1)
    assert grant(cat, startup(), facts=facts).eligible


def test_an_organisation_cannot_take_a_graduate_grant(cat: Catalogue) -> None:
    org = Facts(applicant_kind="organization", org_kind="enterprise", enterprise_size="micro")
    assert not line(grant(cat, startup(), facts=org), "applicant").passed


# --- 大学生自主创业社保补贴 ----------------------------------------------------------------


def self_employed(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school": "浙江大学",
        "graduation_date": "2016-06-30",
        "business_credit_code": BUSINESS,
        "business_registered_on": "2017-01-05",
        "insured_from": "2017-02",
        "insured_months": 12,
    }
    data.update(changes)
    return data


def insurance(cat: Catalogue, data: dict[str, Any], facts: Facts = PERSON) -> Evaluation:
    return run(cat, "graduate_self_employed_insurance", data, date(2018, 3, 1), facts)


def test_twelve_months_paid_earns_the_lump_sum(cat: Catalogue) -> None:
    ev = insurance(cat, self_employed())
    assert ev.eligible, [r.message for r in ev.failed]
    assert ev.amount == Decimal("10000.00")


def test_eleven_months_paid_is_not_enough(cat: Catalogue) -> None:
    ev = insurance(cat, self_employed(insured_months=11))
    assert not line(ev, "insured_months").passed
    assert not ev.eligible


@pytest.mark.parametrize(("registered", "ok"), [("2021-06-30", True), ("2021-07-01", False)])
def test_self_employed_within_five_years(cat: Catalogue, registered: str, ok: bool) -> None:
    assert (
        line(
            insurance(cat, self_employed(business_registered_on=registered)), "graduated_within"
        ).passed
        is ok
    )


def test_self_employed_subsidy_once_per_person_and_in_jiaxing(cat: Catalogue) -> None:
    again = person_with("graduate_self_employed_insurance", grants=1)
    assert not line(insurance(cat, self_employed(), again), "once_per_person").passed
    assert not line(
        insurance(cat, self_employed(business_credit_code=OUTSIDE)), "business_in_jiaxing"
    ).passed


# --- 大学生创业贷款贴息 -------------------------------------------------------------------


def loan(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school": "嘉兴学院",
        "graduation_date": "2016-06-30",
        "business_credit_code": BUSINESS,
        "bank": "嘉兴银行",
        "loan_amount": "500000.00",
        "loan_start": "2017-01-10",
        "loan_end": "2021-01-09",
        "interest_paid": "24000.00",
        "interest_period_start": "2018-01",
        "interest_period_end": "2018-12",
    }
    data.update(changes)
    return data


def interest(cat: Catalogue, data: dict[str, Any], facts: Facts = PERSON) -> Evaluation:
    return run(cat, "graduate_loan_interest", data, date(2019, 1, 15), facts)


def test_a_loan_at_the_cap_gets_all_its_interest(cat: Catalogue) -> None:
    ev = interest(cat, loan())
    assert ev.eligible, [r.message for r in ev.failed]
    assert ev.amount == Decimal("24000.00")
    assert line(ev, "loan_cap").message.startswith("贷款金额500000.00元")


def test_a_loan_just_over_the_cap_is_subsidised_pro_rata(cat: Catalogue) -> None:
    ev = interest(cat, loan(loan_amount="500001.00", interest_paid="50000.00"))
    assert ev.eligible
    # 50000 × 500000 / 500001 = 49999.90000199… → 49999.90
    assert ev.amount == Decimal("49999.90")
    assert "比例" in line(ev, "loan_cap").message


def test_a_loan_far_over_the_cap(cat: Catalogue) -> None:
    ev = interest(cat, loan(loan_amount="1000000.00"))
    assert ev.amount == Decimal("12000.00")


def test_months_beyond_three_years_from_the_loan_are_not_subsidised(cat: Catalogue) -> None:
    # window 2017-01 .. 2019-12; the period 2019-07 .. 2020-06 has 6 months inside
    ev = run(
        cat,
        "graduate_loan_interest",
        loan(interest_period_start="2019-07", interest_period_end="2020-06"),
        date(2020, 7, 1),
        PERSON,
    )
    assert ev.amount == Decimal("12000.00")
    assert "12个月中6个月" in line(ev, "loan_window").message


def test_a_period_wholly_after_the_window_is_refused(cat: Catalogue) -> None:
    ev = interest(cat, loan(interest_period_start="2020-01", interest_period_end="2020-06"))
    assert not line(ev, "loan_window").passed
    assert ev.amount is None


def test_a_period_outside_the_loan_term_is_refused(cat: Catalogue) -> None:
    ev = interest(cat, loan(interest_period_start="2016-12", interest_period_end="2017-06"))
    assert not line(ev, "loan_window").passed


def test_months_already_subsidised_are_not_paid_twice(cat: Catalogue) -> None:
    done = person_with("graduate_loan_interest", months=[date(2018, 6, 1)])
    result = line(interest(cat, loan(), done), "not_subsidised_twice")
    assert not result.passed
    assert "2018-06" in result.message
    earlier = person_with("graduate_loan_interest", months=[date(2017, 12, 1)])
    assert line(interest(cat, loan(), earlier), "not_subsidised_twice").passed


@pytest.mark.parametrize(("graduated", "ok"), [("2012-01-10", True), ("2012-01-09", False)])
def test_graduated_within_five_years_of_the_loan(cat: Catalogue, graduated: str, ok: bool) -> None:
    assert line(interest(cat, loan(graduation_date=graduated)), "graduated_within").passed is ok


def test_loan_dates_must_run_forward(cat: Catalogue) -> None:
    ev = interest(cat, loan(loan_end="2016-01-01"))
    assert not line(ev, "loan_term").passed
    assert not ev.eligible


# --- 带动就业补助 --------------------------------------------------------------------------


def employment(
    cat: Catalogue, employees: object, facts: Facts = PERSON, year: int = 2019
) -> Evaluation:
    data = {"business_credit_code": BUSINESS, "year": year, "employees_insured": employees}
    return run(cat, "employment_driving_grant", data, date(2020, 3, 1), facts)


@pytest.mark.parametrize(
    ("employees", "amount"),
    [
        (2, None),
        (3, "2000.00"),
        (4, "3000.00"),
        (10, "9000.00"),
        (20, "19000.00"),
        (21, "20000.00"),
        (22, "20000.00"),
        (500, "20000.00"),
    ],
)
def test_base_for_three_then_per_extra_capped(
    cat: Catalogue, employees: int, amount: str | None
) -> None:
    ev = employment(cat, employees)
    assert ev.eligible is (amount is not None)
    assert ev.amount == (Decimal(amount) if amount else None)


def test_two_employees_fail_the_three_employee_rule(cat: Catalogue) -> None:
    result = line(employment(cat, 2), "employees")
    assert not result.passed
    assert "不足3人" in result.message


@pytest.mark.parametrize(("earlier", "ok"), [(2, True), (3, False)])
def test_at_most_three_grants_per_business(cat: Catalogue, earlier: int, ok: bool) -> None:
    facts = person_with("employment_driving_grant", grants=earlier)
    assert line(employment(cat, 5, facts), "max_grants").passed is ok


def test_one_grant_per_business_and_year(cat: Catalogue) -> None:
    facts = person_with("employment_driving_grant", grants=1, years=[2019])
    assert not line(employment(cat, 5, facts, year=2019), "once_per_year").passed
    assert line(employment(cat, 5, facts, year=2020), "once_per_year").passed


def test_the_business_must_be_in_jiaxing(cat: Catalogue) -> None:
    data = {"business_credit_code": OUTSIDE, "year": 2019, "employees_insured": 5}
    ev = run(cat, "employment_driving_grant", data, date(2020, 3, 1), PERSON)
    assert not line(ev, "business_in_jiaxing").passed
