"""Amount formulas (补助金额): the pure arithmetic, and the kinds the catalogue names.

Money is ``Decimal``, quantised to 0.01 yuan with ROUND_HALF_UP, once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from zhongchuang.policy.dates import loan_window_months
from zhongchuang.policy.rules import ArgSpec, RuleContext, Undecidable

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def capped_amount(requested: Decimal, cap: Decimal) -> Decimal:
    """The requested amount, at least 0 and at most ``cap`` (招引知名众创空间奖励)."""
    return quantize_money(max(ZERO, min(Decimal(requested), Decimal(cap))))


def loan_interest_amount(
    interest_paid: Decimal,
    loan_amount: Decimal,
    max_loan: Decimal,
    months_inside: int,
    months_total: int,
) -> Decimal:
    """贷款贴息: ``interest_paid × min(1, max_loan / loan_amount) × inside / total``."""
    interest, loan = Decimal(interest_paid), Decimal(loan_amount)
    if interest <= 0 or loan <= 0 or months_total <= 0 or months_inside <= 0:
        return ZERO
    ratio = min(Decimal(1), Decimal(max_loan) / loan)
    share = Decimal(min(months_inside, months_total)) / Decimal(months_total)
    return quantize_money(max(ZERO, interest * ratio * share))


def employment_amount(
    employees: int, base: Decimal, base_employees: int, per_extra: Decimal, cap: Decimal
) -> Decimal:
    """带动就业补助: ``base`` for the first ``base_employees`` people, ``per_extra`` for each
    further one, at most ``cap``; nothing for nobody."""
    if employees <= 0:
        return ZERO
    extra = max(0, employees - base_employees)
    total = Decimal(base) + Decimal(per_extra) * extra
    return quantize_money(max(ZERO, min(total, Decimal(cap))))


# ---------------------------------------------------------------------------------------
# kinds

AmountCompute = Callable[[RuleContext], Decimal | None]


@dataclass(frozen=True)
class AmountKind:
    name: str
    compute: AmountCompute
    description: str
    args: tuple[ArgSpec, ...] = ()
    params: tuple[str, ...] = ()
    #: the parameter role that caps the amount, if any
    cap: str | None = None


AMOUNT_KINDS: dict[str, AmountKind] = {}


def _register(kind: AmountKind) -> None:
    AMOUNT_KINDS[kind.name] = kind


def _none(ctx: RuleContext) -> Decimal | None:
    return None


def _fixed(ctx: RuleContext) -> Decimal | None:
    return quantize_money(Decimal(ctx.param("amount")))


def _requested_capped(ctx: RuleContext) -> Decimal | None:
    return capped_amount(ctx.value("field"), Decimal(ctx.param("cap")))


def _roster_sum(ctx: RuleContext) -> Decimal | None:
    roster = ctx.facts.roster_summary
    if roster is None:
        raise Undecidable("尚未上传或核验花名册，无法计算金额。")
    return quantize_money(max(ZERO, roster.accepted_amount))


def _loan_interest(ctx: RuleContext) -> Decimal | None:
    years = int(ctx.param("years"))
    inside, total = loan_window_months(
        ctx.value("loan_start_field"),
        years,
        ctx.value("period_start_field"),
        ctx.value("period_end_field"),
    )
    return loan_interest_amount(
        ctx.value("interest_field"),
        ctx.value("loan_field"),
        Decimal(ctx.param("max_loan")),
        inside,
        total,
    )


def _employment(ctx: RuleContext) -> Decimal | None:
    return employment_amount(
        int(ctx.value("field")),
        Decimal(ctx.param("base")),
        int(ctx.param("base_employees")),
        Decimal(ctx.param("per_extra")),
        Decimal(ctx.param("cap")),
    )


def _f(name: str, *types: str) -> ArgSpec:
    return ArgSpec(name=name, field_types=frozenset(types))


for _kind in (
    AmountKind("none", _none, "无金额（如认定类事项）/ no amount (recognition)"),
    AmountKind("fixed", _fixed, "定额 / a fixed amount", params=("amount",), cap="amount"),
    AmountKind(
        "requested_capped",
        _requested_capped,
        "申请额，不超过上限 cap / the requested amount capped by cap",
        args=(_f("field", "money"),),
        params=("cap",),
        cap="cap",
    ),
    AmountKind(
        "roster_sum",
        _roster_sum,
        "花名册通过行的单位缴费合计 / the sum of employer contributions of accepted rows",
    ),
    AmountKind(
        "loan_interest",
        _loan_interest,
        "已付利息 × min(1, max_loan/贷款额) × 窗口内月数/期间月数 / pro-rata interest",
        args=(
            _f("interest_field", "money"),
            _f("loan_field", "money"),
            _f("loan_start_field", "date"),
            _f("period_start_field", "month"),
            _f("period_end_field", "month"),
        ),
        params=("max_loan", "years"),
    ),
    AmountKind(
        "employment_tiered",
        _employment,
        "前 base_employees 人 base，此后每人 per_extra，封顶 cap / tiered, capped",
        args=(_f("field", "integer"),),
        params=("base", "base_employees", "per_extra", "cap"),
        cap="cap",
    ),
):
    _register(_kind)
