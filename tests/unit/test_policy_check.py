"""政策体检's verdict on known values, without a database: what is carried over from
earlier data (only the fields that describe the applicant), and when a program is
eligible, ineligible (a rule failed on values held) or unknown (something missing)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from zhongchuang.policy.catalogue import Catalogue, load_catalogue
from zhongchuang.policy.check import profile_values, verdict
from zhongchuang.policy.evaluate import Facts, PriorBenefits, evaluate
from zhongchuang.policy.identity import make_credit_code

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
DAY = date(2021, 3, 15)
PERSON = Facts(applicant_kind="person")
CODE = make_credit_code("330411", "MA0000007")
STARTUP = {
    "school": "嘉兴学院",
    "graduation_date": "2019-06-30",
    "business_name": "小红工作室",
    "business_credit_code": CODE,
    "business_registered_on": "2020-05-01",
    "is_legal_representative": True,
}


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE)


def judge(cat: Catalogue, code: str, known: dict, facts: Facts = PERSON):
    spec = cat.program(code)
    ev = evaluate(spec, known, DAY, cat.parameter_table(code), facts)
    return verdict(spec, ev, known)


def test_only_fields_about_the_applicant_are_carried_over_newest_first(cat):
    spec = cat.program("graduate_loan_interest")
    newest = {"school": "嘉兴南湖学院", "loan_amount": "50000", "graduation_date": "bad"}
    older = {**STARTUP, "interest_paid": "300"}
    known = profile_values(spec, [newest, older])
    assert known == {
        "school": "嘉兴南湖学院",  # the newest case's
        "graduation_date": "2019-06-30",  # the newest one's is not a date: the older one's
        "business_credit_code": CODE,
    }


def test_all_known_and_passing_is_eligible_with_the_amount(cat):
    result = judge(cat, "graduate_startup_grant", STARTUP)
    assert result.status == "eligible"
    assert result.amount is not None
    assert result.amount > 0
    assert result.missing == ()
    assert result.failing == ()


def test_a_missing_field_makes_it_unknown_not_ineligible(cat):
    known = {k: v for k, v in STARTUP.items() if k != "graduation_date"}
    result = judge(cat, "graduate_startup_grant", known)
    assert result.status == "unknown"
    assert result.missing == ("graduation_date",)
    assert result.amount is None


def test_a_rule_failing_on_known_values_is_ineligible_with_the_values_used(cat):
    held = PriorBenefits(grants={"graduate_startup_grant": 1})
    known = {k: v for k, v in STARTUP.items() if k != "school"}
    result = judge(
        cat, "graduate_startup_grant", known, Facts(applicant_kind="person", prior_benefits=held)
    )
    assert result.status == "ineligible"
    assert [f.line.rule for f in result.failing] == ["once_per_person"]
    assert result.failing[0].line.article
    assert result.missing == ("school",)  # still said, for the form

    late = judge(cat, "graduate_startup_grant", {**STARTUP, "graduation_date": "2010-06-30"})
    [f] = late.failing
    assert f.values == {"毕业时间": "2010-06-30", "企业登记日期": "2020-05-01"}


def test_a_roster_program_needs_its_roster(cat):
    facts = Facts(
        applicant_kind="organization",
        org_kind="enterprise",
        enterprise_size="small",
        recognised_maker_space_ids=frozenset({7}),
    )
    result = judge(
        cat,
        "graduate_social_insurance",
        {"maker_space_id": "7", "period_start": "2020-01", "period_end": "2020-06"},
        facts,
    )
    assert result.status == "unknown"
    assert result.missing == ("roster",)
