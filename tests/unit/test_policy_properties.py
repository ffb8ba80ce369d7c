"""Properties: amounts are never negative and never above their cap; evaluation never raises
on arbitrary input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zhongchuang.policy.amounts import capped_amount, employment_amount, loan_interest_amount
from zhongchuang.policy.catalogue import load_catalogue
from zhongchuang.policy.dates import loan_window_months
from zhongchuang.policy.evaluate import Facts, evaluate

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
CAT = load_catalogue(CATALOGUE)
PROPERTY = settings(deadline=None, database=None, max_examples=200)

money = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("100000000"), places=2)
positive_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2)


@PROPERTY
@given(requested=money, cap=st.decimals(min_value=0, max_value=Decimal("10000000"), places=2))
def test_a_capped_amount_is_between_zero_and_the_cap(requested: Decimal, cap: Decimal) -> None:
    amount = capped_amount(requested, cap)
    assert Decimal("0") <= amount <= cap
    assert amount == amount.quantize(Decimal("0.01"))


@PROPERTY
@given(
    interest=money,
    loan=money,
    max_loan=positive_money,
    inside=st.integers(min_value=-5, max_value=60),
    total=st.integers(min_value=-5, max_value=60),
)
def test_loan_interest_is_never_negative_nor_more_than_was_paid(
    interest: Decimal, loan: Decimal, max_loan: Decimal, inside: int, total: int
) -> None:
    amount = loan_interest_amount(interest, loan, max_loan, inside, total)
    assert amount >= 0
    assert amount <= max(interest, Decimal("0"))


@PROPERTY
@given(
    employees=st.integers(min_value=-10, max_value=10_000),
    base=st.decimals(min_value=0, max_value=10000, places=2),
    base_employees=st.integers(min_value=0, max_value=10),
    per_extra=st.decimals(min_value=0, max_value=10000, places=2),
    cap=st.decimals(min_value=0, max_value=100000, places=2),
)
def test_employment_grant_is_never_negative_nor_over_the_cap(
    employees: int, base: Decimal, base_employees: int, per_extra: Decimal, cap: Decimal
) -> None:
    amount = employment_amount(employees, base, base_employees, per_extra, cap)
    assert Decimal("0") <= amount <= cap


@PROPERTY
@given(
    loan_start=st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)),
    years=st.integers(min_value=0, max_value=10),
    offset=st.integers(min_value=-60, max_value=200),
    length=st.integers(min_value=0, max_value=120),
)
def test_months_inside_the_window_never_exceed_the_period(
    loan_start: date, years: int, offset: int, length: int
) -> None:
    start = (loan_start.replace(day=1) + timedelta(days=31 * offset)).replace(day=1)
    end = (start + timedelta(days=31 * length)).replace(day=1)
    inside, total = loan_window_months(loan_start, years, start, end)
    assert 0 <= inside <= total
    assert inside <= 12 * years


loan_data = st.fixed_dictionaries(
    {
        "school": st.just("嘉兴学院"),
        "graduation_date": st.dates(min_value=date(2010, 1, 1), max_value=date(2020, 1, 1)).map(
            str
        ),
        "business_credit_code": st.just("91330411MA2C000015"),
        "bank": st.just("嘉兴银行"),
        "loan_amount": positive_money.map(str),
        "loan_start": st.dates(min_value=date(2015, 1, 1), max_value=date(2020, 1, 1)).map(str),
        "loan_end": st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 1, 1)).map(str),
        "interest_paid": positive_money.map(str),
        "interest_period_start": st.dates(
            min_value=date(2015, 1, 1), max_value=date(2024, 1, 1)
        ).map(lambda d: d.strftime("%Y-%m")),
        "interest_period_end": st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 1, 1)).map(
            lambda d: d.strftime("%Y-%m")
        ),
    }
)


@PROPERTY
@given(data=loan_data)
def test_a_loan_interest_evaluation_never_pays_more_than_the_interest(data: dict[str, Any]) -> None:
    program = CAT.program("graduate_loan_interest")
    ev = evaluate(
        program,
        data,
        date(2024, 6, 1),
        CAT.parameter_table(program.code),
        Facts(applicant_kind="person"),
    )
    if ev.amount is not None:
        assert ev.eligible
        assert Decimal("0") <= ev.amount <= Decimal(data["interest_paid"])


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates().map(str),
    st.lists(st.integers(), max_size=2),
)


@PROPERTY
@given(
    code=st.sampled_from([p.code for p in CAT.programs]),
    values=st.dictionaries(st.text(max_size=12), scalars, max_size=5),
    extra=st.data(),
    as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
)
def test_evaluation_never_raises_and_amounts_stay_within_caps(
    code: str, values: dict[str, Any], extra: st.DataObject, as_of: date
) -> None:
    program = CAT.program(code)
    data = dict(values)
    for field in program.fields:
        data[field.name] = extra.draw(scalars, label=field.name)
    facts = Facts(applicant_kind=extra.draw(st.sampled_from(["person", "organization", None])))
    ev = evaluate(program, data, as_of, CAT.parameter_table(code), facts)
    assert ev.eligible is all(r.passed for r in ev.explanation)
    if ev.amount is not None:
        assert ev.amount >= 0
        if code == "famous_space_introduction":
            assert ev.amount <= ev.parameters_used["max_award"]
        if code == "employment_driving_grant":
            assert ev.amount <= ev.parameters_used["annual_cap"]


def typed_value(field_type: str, choices: list[str]) -> st.SearchStrategy[Any]:
    """Values of the right shape, so that the rules themselves run (not only the parsing)."""
    days = st.dates(min_value=date(2005, 1, 1), max_value=date(2030, 12, 31))
    by_type: dict[str, st.SearchStrategy[Any]] = {
        "string": st.text(min_size=1, max_size=5),
        "text": st.text(min_size=1, max_size=5),
        "integer": st.integers(min_value=-3, max_value=100),
        "decimal": st.decimals(min_value=-1, max_value=5000, places=2).map(str),
        "money": st.decimals(min_value=-1, max_value=2_000_000, places=2).map(str),
        "date": days.map(str),
        "month": days.map(lambda d: d.strftime("%Y-%m")),
        "boolean": st.booleans(),
        "enum": st.sampled_from([*choices, "other"]),
        "credit_code": st.sampled_from(["91330411MA2C000015", "91110108551385082Q", "bad"]),
        "district": st.sampled_from(["330402", "330483", "330106", "330400"]),
        "maker_space": st.sampled_from([1, "2", 3]),
    }
    return by_type[field_type]


@PROPERTY
@given(code=st.sampled_from([p.code for p in CAT.programs]), draw=st.data())
def test_well_shaped_random_cases_never_raise_and_respect_caps(
    code: str, draw: st.DataObject
) -> None:
    program = CAT.program(code)
    data = {
        f.name: draw.draw(typed_value(f.type, [c.value for c in f.choices or ()]), label=f.name)
        for f in program.fields
    }
    facts = Facts(
        applicant_kind=draw.draw(st.sampled_from(["person", "organization"])),
        org_kind=draw.draw(st.sampled_from(["operator", "enterprise"])),
        enterprise_size=draw.draw(st.sampled_from(["micro", "small", "large"])),
        org_credit_code="91330402MA2B000019",
        recognised_maker_space_ids=frozenset({1, "2"}),
        policy_events=CAT.status_events(),
    )
    as_of = draw.draw(st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 1, 1)))
    ev = evaluate(program, data, as_of, CAT.parameter_table(code), facts)
    if ev.amount is not None:
        assert ev.amount >= 0
        cap = {"famous_space_introduction": "max_award", "employment_driving_grant": "annual_cap"}
        if code in cap:
            assert ev.amount <= ev.parameters_used[cap[code]]
        if code == "graduate_loan_interest":
            assert ev.amount <= Decimal(data["interest_paid"])
