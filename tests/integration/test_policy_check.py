"""政策体检 as an applicant uses it: every program open today to their kind of applicant,
judged on what the system already holds — eligible with the amount, ineligible with each
failing rule, its article and the values used, or unknown with what is still missing —
and a form pre-filled with what is known."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import api_token, login_as
from tests.helpers import attach_required, open_batch
from zhongchuang.cases import engine as cases
from zhongchuang.extensions import db
from zhongchuang.models import MakerSpace
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"
PERSON_PROGRAMS = {
    "graduate_startup_grant",
    "graduate_self_employed_insurance",
    "graduate_loan_interest",
    "employment_driving_grant",
}


def self_employed(**over):
    data = startup(**over)
    del data["business_name"], data["is_legal_representative"]
    return data


def startup(**over):
    data = {
        "school": "嘉兴学院",
        "graduation_date": "2019-06-30",
        "business_name": "嘉兴小红文化工作室",
        "business_credit_code": make_credit_code("330411", "MA0000007"),
        "business_registered_on": "2020-05-01",
        "is_legal_representative": True,
    }
    return {**data, **over}


@pytest.fixture
def batches(factory):
    for code in (*PERSON_PROGRAMS, "graduate_social_insurance", "makerspace_recognition"):
        open_batch(factory, code)


@pytest.fixture
def recognised_space(factory):
    operator = factory.operator()
    space = MakerSpace(
        name="南湖创客汇",
        space_type="maker_incubation",
        level="city",
        district="330402",
        recognised_on=date(2019, 1, 1),
        operator_id=operator.organization_id,
    )
    db.session.add(space)
    db.session.commit()
    return space


def by_program(rows):
    return {r["program"]: r for r in rows}


def check(client, user, **body):
    headers = api_token(client, user.username)
    resp = client.post(f"{API}/eligibility-check", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return by_program(resp.get_json())


def test_a_graduate_with_an_earlier_withdrawn_case_is_told_eligible_with_the_amount(
    client, factory, batches
):
    graduate = factory.person(name="陈小红")
    earlier = cases.create_draft(graduate, "graduate_startup_grant", startup())
    attach_required(earlier, graduate)
    cases.act(graduate, earlier.id, "submit")
    cases.act(graduate, earlier.id, "withdraw")

    rows = check(client, graduate)
    assert set(rows) == PERSON_PROGRAMS  # only the programs for a person
    grant = rows["graduate_startup_grant"]
    assert grant["status"] == "eligible"
    assert grant["status_label"] == "符合条件"
    assert grant["amount"] is not None
    assert float(grant["amount"]) > 0
    assert grant["failing"] == []
    assert grant["missing"] == []
    assert grant["apply_url"] == "/apply/graduate_startup_grant?prefill=1"

    # The claim fields of another program are not carried over: only what describes him.
    loan = rows["graduate_loan_interest"]
    assert loan["status"] == "unknown"
    assert "loan_amount" in loan["missing"]
    assert "school" not in loan["missing"]
    assert "贷款金额（元）" in loan["missing_labels"]
    assert loan["known"]["school"] == "嘉兴学院"


def test_a_benefit_already_held_makes_the_program_ineligible_with_its_article(
    client, factory, batches
):
    graduate = factory.person()
    case = cases.create_draft(graduate, "graduate_startup_grant", startup())
    attach_required(case, graduate)
    cases.act(graduate, case.id, "submit")

    grant = check(client, graduate)["graduate_startup_grant"]
    assert grant["status"] == "ineligible"
    assert grant["amount"] is None
    [failing] = grant["failing"]
    assert failing["rule"] == "once_per_person"
    assert failing["article"]
    assert "依据" in failing["message"]


def test_a_failing_rule_names_the_values_it_used(client, factory, batches):
    graduate = factory.person()
    cases.create_draft(
        graduate, "graduate_self_employed_insurance", self_employed(graduation_date="2010-06-30")
    )
    rows = check(client, graduate)
    grant = rows["graduate_startup_grant"]
    assert grant["status"] == "ineligible"
    failing = {f["rule"]: f for f in grant["failing"]}
    assert set(failing) == {"graduated_within"}
    assert failing["graduated_within"]["values"] == {
        "毕业时间": "2010-06-30",
        "企业登记日期": "2020-05-01",
    }
    # Judged on what is held, and still saying what is missing to finish the form.
    assert "business_name" in grant["missing"]


def test_an_enterprise_in_a_recognised_space_is_told_what_remains(
    client, factory, batches, recognised_space
):
    enterprise = factory.organization(size="micro")
    cases.create_draft(
        enterprise,
        "graduate_social_insurance",
        {"maker_space_id": str(recognised_space.id), "period_start": "2020-01"},
    )
    rows = check(client, enterprise)
    assert set(rows) == {"graduate_social_insurance"}  # not the programs of persons
    gsi = rows["graduate_social_insurance"]
    assert gsi["status"] == "unknown"
    assert gsi["known"] == {"maker_space_id": str(recognised_space.id)}  # not the period
    assert gsi["missing"] == ["period_start", "period_end", "roster"]
    assert gsi["missing_labels"][-1] == "花名册"

    medium = factory.organization(size="medium")
    gsi = check(client, medium)["graduate_social_insurance"]
    assert gsi["status"] == "ineligible"
    assert [f["rule"] for f in gsi["failing"]] == ["applicant"]
    assert "中型" in gsi["failing"][0]["message"]


def test_only_programs_open_that_day_and_only_for_applicants(client, factory, batches):
    graduate = factory.person()
    assert check(client, graduate, as_of="2021-06-01") == {}  # every batch closed
    assert set(check(client, graduate, as_of="2021-03-01")) == PERSON_PROGRAMS

    headers = api_token(client, graduate.username)
    bad = client.post(f"{API}/eligibility-check", json={"as_of": "2021-02-30"}, headers=headers)
    assert bad.status_code == 422
    assert client.post(f"{API}/eligibility-check", json={}).status_code == 401
    staff = factory.staff("city_reviewer")
    resp = client.post(
        f"{API}/eligibility-check", json={}, headers=api_token(client, staff.username)
    )
    assert resp.status_code == 403


def test_the_page_lists_every_verdict_and_the_form_comes_pre_filled(client, factory, batches):
    graduate = factory.person()
    cases.create_draft(
        graduate, "graduate_self_employed_insurance", self_employed(graduation_date="2010-06-30")
    )
    login_as(client, graduate)
    html = client.get("/me/policy-check").get_data(as_text=True)
    assert "政策体检" in html
    assert "不符合条件" in html
    assert "尚需补充信息" in html
    assert "毕业时间 2010-06-30" in html
    assert "/apply/graduate_loan_interest?prefill=1" in html
    assert "/apply/graduate_startup_grant?prefill=1" not in html  # no link where it fails

    form = client.get("/apply/graduate_loan_interest?prefill=1").get_data(as_text=True)
    assert 'value="嘉兴学院"' in form
    assert 'value="2010-06-30"' in form
    blank = client.get("/apply/graduate_loan_interest").get_data(as_text=True)
    assert 'value="嘉兴学院"' not in blank

    staff = factory.staff("county_reviewer")
    login_as(client, staff)
    assert client.get("/me/policy-check").status_code == 403


def test_fifty_earlier_cases_are_read_in_as_many_statements_as_one(app, factory, batches):
    import sqlalchemy as sa

    from zhongchuang.cases.policy_check import policy_check

    graduate = factory.person()

    def statements() -> int:
        db.session.expire_all()
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert len(policy_check(graduate, date(2021, 3, 15))) == 4
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    def draft(i: int) -> None:
        cases.create_draft(
            graduate, "employment_driving_grant", {"year": 2000 + i % 20, "employees_insured": i}
        )

    draft(0)
    one = statements()
    for i in range(1, 50):
        draft(i)
    assert statements() == one <= 30
