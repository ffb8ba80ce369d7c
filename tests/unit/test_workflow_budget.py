"""Budget arithmetic (预算): reserve, release, consume, never beyond the budget."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from zhongchuang import errors
from zhongchuang.workflow import budget


def test_reserve_up_to_exactly_the_budget() -> None:
    assert budget.reserve(D("10000.00"), D("6000.00"), D("2000.00"), D("2000.00")) == D("8000.00")


def test_reserve_one_cent_over_is_refused_with_figures() -> None:
    with pytest.raises(errors.BudgetExhausted) as info:
        budget.reserve(D("10000.00"), D("6000.00"), D("2000.00"), D("2000.01"))
    assert info.value.code == "budget_exhausted"
    assert info.value.message == (
        "预算不足：本批次预算10,000.00元，已预留6,000.00元，已拨付2,000.00元，"
        "剩余2,000.00元，不足以核定2,000.01元。"
    )


@pytest.mark.parametrize("amount", [D("0"), D("-5.00")])
def test_reserve_needs_a_positive_amount(amount: D) -> None:
    with pytest.raises(ValueError, match="大于零"):
        budget.reserve(D("100"), D("0"), D("0"), amount)


def test_reserve_refuses_broken_figures() -> None:
    with pytest.raises(budget.BudgetInvariantError):
        budget.reserve(D("100"), D("80"), D("30"), D("1"))
    with pytest.raises(budget.BudgetInvariantError):
        budget.reserve(D("100"), D("-1"), D("0"), D("1"))


def test_release_gives_back() -> None:
    assert budget.release(D("8000.00"), D("5000.00")) == D("3000.00")
    with pytest.raises(budget.BudgetInvariantError):
        budget.release(D("100.00"), D("100.01"))


def test_consume_moves_reserved_to_consumed() -> None:
    assert budget.consume(D("8000.00"), D("2000.00"), D("5000.00")) == (D("3000.00"), D("7000.00"))
    with pytest.raises(budget.BudgetInvariantError):
        budget.consume(D("100.00"), D("0"), D("100.01"))


def test_available_and_fits() -> None:
    assert budget.available(D("100"), D("30"), D("20")) == D("50")
    assert budget.fits(D("100"), D("30"), D("20"), D("50"))
    assert not budget.fits(D("100"), D("30"), D("20"), D("50.01"))


def test_a_full_cycle_keeps_the_invariant() -> None:
    total, reserved, consumed = D("10000.00"), D("0"), D("0")
    reserved = budget.reserve(total, reserved, consumed, D("4000.00"))
    reserved = budget.reserve(total, reserved, consumed, D("6000.00"))
    with pytest.raises(errors.BudgetExhausted):
        budget.reserve(total, reserved, consumed, D("0.01"))
    reserved = budget.release(reserved, D("4000.00"))
    reserved, consumed = budget.consume(reserved, consumed, D("6000.00"))
    assert (reserved, consumed) == (D("0"), D("6000.00"))
    assert budget.available(total, reserved, consumed) == D("4000.00")


@pytest.mark.parametrize(
    ("value", "expected"), [("12", D("12.00")), (5, D("5.00")), (D("1.5"), D("1.50"))]
)
def test_money_is_yuan_with_cents(value: str | int | D, expected: D) -> None:
    result = budget.money(value)
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", ["1.001", "abc", "NaN", "Infinity"])
def test_money_refuses_what_is_not_cents(value: str) -> None:
    with pytest.raises(ValueError, match="金额"):
        budget.money(value)


@pytest.mark.parametrize("value", [1.5, True])
def test_money_refuses_floats(value: object) -> None:
    with pytest.raises(TypeError):
        budget.money(value)  # type: ignore[arg-type]
