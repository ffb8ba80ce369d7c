"""预算 — a batch's budget as pure Decimal arithmetic.

``city_approve`` reserves (预留) the approved amount, a rejection after that releases
(释放) it, and the disbursement consumes (拨付) it, moving it from reserved to consumed.
Invariant, always: ``0 <= reserved``, ``0 <= consumed``, ``reserved + consumed <= budget``.
The service holds the batch row lock while it calls these and writes the result.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from zhongchuang.errors import BudgetExhausted

CENT = Decimal("0.01")


class BudgetInvariantError(AssertionError):
    """The figures handed in or out break the budget invariant: a programming error."""


def money(value: Decimal | int | str) -> Decimal:
    """Yuan with two decimals (元，保留两位小数); floats are refused."""
    if isinstance(value, float | bool):
        raise TypeError("金额不得使用浮点数或布尔值")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"金额格式不正确：{value!r}") from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"金额须为精确到分的数值：{value!r}")
    return amount.quantize(CENT)


def yuan(amount: Decimal) -> str:
    """``1,234.50元`` for messages."""
    return f"{amount:,.2f}元"


def available(budget: Decimal, reserved: Decimal, consumed: Decimal) -> Decimal:
    """剩余可用 — what can still be reserved."""
    check_invariants(budget, reserved, consumed)
    return budget - reserved - consumed


def fits(budget: Decimal, reserved: Decimal, consumed: Decimal, amount: Decimal) -> bool:
    """Whether ``amount`` can be reserved: reserved + consumed + amount <= budget."""
    return reserved + consumed + amount <= budget


def check_invariants(budget: Decimal, reserved: Decimal, consumed: Decimal) -> None:
    if budget < 0 or reserved < 0 or consumed < 0:
        raise BudgetInvariantError(
            f"预算数据异常：预算 {budget}，预留 {reserved}，已拨付 {consumed}，不得为负"
        )
    if reserved + consumed > budget:
        raise BudgetInvariantError(
            f"预算数据异常：预留 {reserved} 与已拨付 {consumed} 之和超过预算 {budget}"
        )


def _positive(amount: Decimal) -> None:
    if amount <= 0:
        raise ValueError(f"金额须大于零：{amount}")


def exhausted_message(
    budget: Decimal, reserved: Decimal, consumed: Decimal, amount: Decimal
) -> str:
    left = budget - reserved - consumed
    return (
        f"预算不足：本批次预算{yuan(budget)}，已预留{yuan(reserved)}，已拨付{yuan(consumed)}，"
        f"剩余{yuan(left)}，不足以核定{yuan(amount)}。"
    )


def reserve(budget: Decimal, reserved: Decimal, consumed: Decimal, amount: Decimal) -> Decimal:
    """预留 — the new ``reserved``; BudgetExhausted when the amount does not fit."""
    check_invariants(budget, reserved, consumed)
    _positive(amount)
    if not fits(budget, reserved, consumed, amount):
        raise BudgetExhausted(
            exhausted_message(budget, reserved, consumed, amount),
            detail=(
                f"budget {budget}, reserved {reserved}, consumed {consumed}: {amount} does not fit"
            ),
        )
    new_reserved = reserved + amount
    check_invariants(budget, new_reserved, consumed)
    return new_reserved


def release(reserved: Decimal, amount: Decimal) -> Decimal:
    """释放 — the new ``reserved`` after a reserved amount is given back."""
    _positive(amount)
    if amount > reserved:
        raise BudgetInvariantError(f"释放金额 {amount} 超过已预留金额 {reserved}")
    return reserved - amount


def consume(reserved: Decimal, consumed: Decimal, amount: Decimal) -> tuple[Decimal, Decimal]:
    """拨付 — moves ``amount`` from reserved to consumed; returns (reserved, consumed)."""
    _positive(amount)
    if amount > reserved:
        raise BudgetInvariantError(f"拨付金额 {amount} 超过已预留金额 {reserved}")
    if consumed < 0:
        raise BudgetInvariantError(f"已拨付金额 {consumed} 不得为负")
    return reserved - amount, consumed + amount
