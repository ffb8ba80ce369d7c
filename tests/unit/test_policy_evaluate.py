"""Evaluation as a whole: bad input gives failed lines (never an exception), parameters are
taken on the as-of date (从旧), and the result is a snapshot-ready explanation."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhongchuang.policy.catalogue import Catalogue, load_catalogue
from zhongchuang.policy.evaluate import Evaluation, Facts, evaluate
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.policy.parameters import ParameterRecord, ParameterTable

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
OPERATOR = Facts(
    applicant_kind="organization",
    org_kind="operator",
    org_credit_code=make_credit_code("330402", "MA2D00001"),
)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE)


def run(
    cat: Catalogue,
    code: str,
    data: Any,
    as_of: date,
    facts: Facts,
    table: ParameterTable | None = None,
) -> Evaluation:
    return evaluate(cat.program(code), data, as_of, table or cat.parameter_table(code), facts)


FAMOUS = {
    "brand_name": "某知名众创",
    "parent_credit_code": "91110000600037341L",
    "parent_level": "provincial",
    "branch_name": "嘉兴分空间",
    "address": "海宁市某路3号",
    "district": "330481",
    "area_sqm": 800,
    "opened_on": "2017-05-01",
    "investment_amount": 2000000,
    "requested_amount": "900000",
}


@pytest.mark.parametrize(
    "code",
    [
        "makerspace_recognition",
        "famous_space_introduction",
        "graduate_social_insurance",
        "graduate_startup_grant",
        "graduate_self_employed_insurance",
        "graduate_loan_interest",
        "employment_driving_grant",
    ],
)
def test_empty_data_gives_failed_lines_for_every_required_field(cat: Catalogue, code: str) -> None:
    ev = run(cat, code, {}, date(2018, 1, 1), Facts())
    assert not ev.eligible
    assert ev.amount is None
    required = {f"field:{f.name}" for f in cat.program(code).fields if f.required}
    assert required <= {r.rule for r in ev.failed}
    assert all(r.message for r in ev.explanation)
    assert all(r.article for r in ev.explanation)


def test_values_of_the_wrong_kind_are_failed_lines_not_errors(cat: Catalogue) -> None:
    data = {
        **FAMOUS,
        "area_sqm": [1, 2],
        "requested_amount": "NaN",
        "investment_amount": True,
        "opened_on": "2017-02-30",
        "parent_credit_code": "91110108551385082R",
        "district": {"code": 1},
        "parent_level": None,
    }
    ev = run(cat, "famous_space_introduction", data, date(2018, 1, 1), OPERATOR)
    bad = {r.rule for r in ev.failed}
    assert {
        "field:area_sqm",
        "field:requested_amount",
        "field:investment_amount",
        "field:opened_on",
        "field:parent_credit_code",
        "field:district",
        "field:parent_level",
    } <= bad
    messages = {r.rule: r.message for r in ev.explanation}
    assert "校验位" in messages["field:parent_credit_code"]
    assert "日期不存在" in messages["field:opened_on"]


@pytest.mark.parametrize("data", [None, [], "text", 42])
def test_data_that_is_not_a_mapping_is_treated_as_empty(cat: Catalogue, data: Any) -> None:
    ev = run(cat, "graduate_startup_grant", data, date(2018, 1, 1), Facts(applicant_kind="person"))
    assert not ev.eligible


def test_money_with_more_than_two_decimals_is_refused(cat: Catalogue) -> None:
    ev = run(
        cat,
        "famous_space_introduction",
        {**FAMOUS, "requested_amount": "1.005"},
        date(2018, 1, 1),
        OPERATOR,
    )
    assert "两位小数" in next(r.message for r in ev.failed if r.rule == "field:requested_amount")


def test_unknown_keys_are_ignored(cat: Catalogue) -> None:
    facts = Facts(
        applicant_kind="organization",
        org_kind="operator",
        policy_events=cat.status_events(),
    )
    ev = run(
        cat, "famous_space_introduction", {**FAMOUS, "csrf_token": "x"}, date(2018, 1, 1), facts
    )
    assert ev.eligible
    assert ev.amount == Decimal("900000.00")


def test_missing_applicant_facts_fail_the_applicant_rule(cat: Catalogue) -> None:
    ev = run(cat, "graduate_startup_grant", {}, date(2018, 1, 1), Facts())
    applicant = next(r for r in ev.explanation if r.rule == "applicant")
    assert not applicant.passed
    assert "申请人类别" in applicant.message


def test_a_date_before_the_parameters_exist_fails_cleanly(cat: Catalogue) -> None:
    facts = Facts(
        applicant_kind="organization", org_kind="operator", policy_events=cat.status_events()
    )
    ev = run(cat, "famous_space_introduction", FAMOUS, date(2015, 6, 1), facts)
    area = next(r for r in ev.explanation if r.rule == "area")
    assert not area.passed
    assert "min_area_sqm" in area.message
    assert "2015-06-01" in area.message


def test_a_case_is_judged_by_the_parameters_of_its_submission_date(cat: Catalogue) -> None:
    """从旧: max_award lowered from 2019-01-01 changes only cases submitted from then on."""
    records = [
        p.to_record()
        for p in cat.parameters_for("famous_space_introduction")
        if p.name != "max_award"
    ]
    table = ParameterTable(
        [
            *records,
            ParameterRecord(
                "max_award", Decimal("1000000.00"), date(2015, 12, 1), date(2018, 12, 31), "五(一)"
            ),
            ParameterRecord("max_award", Decimal("500000.00"), date(2019, 1, 1), None, "五(一)"),
        ]
    )
    facts = Facts(
        applicant_kind="organization", org_kind="operator", policy_events=cat.status_events()
    )
    before = run(cat, "famous_space_introduction", FAMOUS, date(2018, 12, 31), facts, table)
    after = run(cat, "famous_space_introduction", FAMOUS, date(2019, 1, 1), facts, table)
    assert before.amount == Decimal("900000.00")
    assert after.amount == Decimal("500000.00")
    assert after.parameters_used["max_award"] == Decimal("500000.00")


def test_the_result_is_json_ready_for_the_api_and_the_snapshot(cat: Catalogue) -> None:
    facts = Facts(
        applicant_kind="organization", org_kind="operator", policy_events=cat.status_events()
    )
    ev = run(cat, "famous_space_introduction", FAMOUS, date(2018, 1, 1), facts)
    data = ev.as_json()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["amount"] == "900000.00"
    assert data["eligible"] is True
    assert data["as_of"] == "2018-01-01"
    assert set(data["explanation"][0]) == {"rule", "article", "passed", "message"}
    assert data["parameters_used"] == {"max_award": "1000000.00", "min_area_sqm": "500"}


def test_every_message_is_chinese_and_cites_its_article(cat: Catalogue) -> None:
    ev = run(cat, "makerspace_recognition", {"area_sqm": "10"}, date(2018, 1, 1), OPERATOR)
    for result in ev.explanation:
        assert result.message.endswith(f"（依据：{result.article}）")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in result.message)
