"""Rule kinds (规则类型): the registry the catalogue's rules name by ``kind``.

A kind is a pure check over a :class:`RuleContext` (the parsed fields, the parameters the
rule names, the :class:`~zhongchuang.policy.facts.Facts`, the as-of date) returning an
:class:`Outcome`: passed or not, and the values its Chinese message template may show.
A check that cannot decide (a field missing or invalid, a fact not supplied) raises
:class:`Undecidable`; the evaluation turns that into a failed line, never an error.

Each kind declares its arguments (field names or literal values) and parameter roles, so
that a catalogue naming a kind wrongly is refused when it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from zhongchuang.policy.dates import (
    add_months,
    add_years,
    format_month,
    iter_months,
    loan_window_months,
    month_span,
    months_between,
)
from zhongchuang.policy.facts import ENTERPRISE_SIZE_LABELS, Facts
from zhongchuang.policy.fields import NUMERIC_TYPES, display, format_money, format_value
from zhongchuang.policy.identity import JIAXING_DISTRICTS, district_name, is_jiaxing_code
from zhongchuang.policy.parameters import ParameterValue
from zhongchuang.policy.status import STATUS_LABELS, policy_status

APPLICANT_KIND_LABELS = {"organization": "单位", "person": "个人"}
ORG_KIND_LABELS = {"operator": "众创空间运营机构", "enterprise": "企业"}


class Undecidable(Exception):
    """The rule cannot be judged on the data given; ``message`` (Chinese) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ArgSpec:
    """An argument of a rule kind: a field name (``field_types`` set) or a literal."""

    name: str
    required: bool = True
    #: the argument names a field of one of these types; ``None``: a literal value
    field_types: frozenset[str] | None = None
    #: for literals: ``values`` (a list of strings)
    literal: str | None = None


@dataclass(frozen=True)
class Outcome:
    passed: bool
    #: placeholder → text, for the rule's message template
    context: Mapping[str, str]
    #: one short Chinese line, used inside ``any_of``
    summary: str


@dataclass(frozen=True)
class RuleContext:
    """Everything a check may look at. ``values`` holds the fields that parsed; ``invalid``
    says why the others (missing or refused) did not."""

    args: Mapping[str, Any]
    params: Mapping[str, ParameterValue]
    values: Mapping[str, Any]
    invalid: Mapping[str, str]
    labels: Mapping[str, str]
    field_types: Mapping[str, str]
    facts: Facts
    as_of: date
    applicant_kinds: Sequence[Any] = ()
    benefit_key: str | None = None
    #: enum field → value → Chinese label
    choice_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: for ``any_of``: the sub-rules, each a kind and its own context
    subrules: tuple[tuple[RuleKind, RuleContext], ...] = ()

    def field_name(self, arg: str) -> str | None:
        name = self.args.get(arg)
        return str(name) if name is not None else None

    def value(self, arg: str) -> Any:
        """The parsed value of the field named by ``arg``; :class:`Undecidable` if absent."""
        name = self.field_name(arg)
        if name is None:
            raise Undecidable(f"规则缺少参数 {arg}。")
        if name in self.values:
            return self.values[name]
        why = self.invalid.get(name, "未填写")
        raise Undecidable(f"「{self.label(name)}」{why}，无法判断。")

    def optional_value(self, arg: str) -> Any:
        return None if self.field_name(arg) is None else self.value(arg)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def show(self, arg: str, value: Any) -> str:
        name = self.field_name(arg) or ""
        return display(self.field_types.get(name, ""), value)

    def param(self, role: str) -> ParameterValue:
        return self.params[role]


Check = Callable[[RuleContext], Outcome]


@dataclass(frozen=True)
class RuleKind:
    """A registered kind: its check, arguments, parameter roles and message placeholders."""

    name: str
    check: Check
    description: str
    args: tuple[ArgSpec, ...] = ()
    params: tuple[str, ...] = ()
    placeholders: frozenset[str] = frozenset()
    #: the rule needs the program's ``benefit.key``
    needs_benefit: bool = False
    #: the rule has sub-rules (``any_of``)
    composite: bool = False


RULE_KINDS: dict[str, RuleKind] = {}


def register(
    name: str,
    description: str,
    *,
    args: Sequence[ArgSpec] = (),
    params: Sequence[str] = (),
    placeholders: Sequence[str] = (),
    needs_benefit: bool = False,
    composite: bool = False,
) -> Callable[[Check], Check]:
    """Register a rule kind under ``name`` (decorator)."""

    def decorate(check: Check) -> Check:
        if name in RULE_KINDS:
            raise ValueError(f"rule kind {name} registered twice")
        RULE_KINDS[name] = RuleKind(
            name=name,
            check=check,
            description=description,
            args=tuple(args),
            params=tuple(params),
            placeholders=frozenset(placeholders) | {"summary"},
            needs_benefit=needs_benefit,
            composite=composite,
        )
        return check

    return decorate


def _num(value: ParameterValue | Decimal | int) -> str:
    return format_value(value)


def _field(name: str, *types: str, required: bool = True) -> ArgSpec:
    return ArgSpec(name=name, required=required, field_types=frozenset(types))


NUMERIC = tuple(sorted(NUMERIC_TYPES))
DATES = ("date", "month")

# ---------------------------------------------------------------------------------------
# generic kinds


@register(
    "field_min",
    "字段值不小于参数 min / a numeric field is at least parameter min",
    args=[_field("field", *NUMERIC)],
    params=["min"],
    placeholders=["label", "value", "min"],
)
def field_min(ctx: RuleContext) -> Outcome:
    value = ctx.value("field")
    minimum = ctx.param("min")
    label = ctx.label(ctx.args["field"])
    text = {"label": label, "value": ctx.show("field", value), "min": _num(minimum)}
    summary = f"{label}为{text['value']}（要求不少于{text['min']}）"
    return Outcome(value >= minimum, text, summary)


@register(
    "field_max",
    "字段值不大于参数 max / a numeric field is at most parameter max",
    args=[_field("field", *NUMERIC)],
    params=["max"],
    placeholders=["label", "value", "max"],
)
def field_max(ctx: RuleContext) -> Outcome:
    value = ctx.value("field")
    maximum = ctx.param("max")
    label = ctx.label(ctx.args["field"])
    text = {"label": label, "value": ctx.show("field", value), "max": _num(maximum)}
    summary = f"{label}为{text['value']}（要求不超过{text['max']}）"
    return Outcome(value <= maximum, text, summary)


@register(
    "any_of",
    "任一子规则满足即可 / passes when any of its sub-rules passes",
    placeholders=["details"],
    composite=True,
)
def any_of(ctx: RuleContext) -> Outcome:
    summaries: list[str] = []
    passed = False
    for kind, sub in ctx.subrules:
        try:
            outcome = kind.check(sub)
        except Undecidable as exc:
            summaries.append(exc.message.rstrip("。"))
            continue
        summaries.append(outcome.summary)
        passed = passed or outcome.passed
    details = "；".join(summaries)
    return Outcome(passed, {"details": details}, details)


@register(
    "months_between",
    "两日期间满月数不少于参数 min（缺省止于受理基准日）/ whole months between two dates ≥ min",
    args=[_field("from_field", "date"), _field("to_field", "date", required=False)],
    params=["min"],
    placeholders=["label", "from", "to", "months", "min"],
)
def months_between_rule(ctx: RuleContext) -> Outcome:
    start = ctx.value("from_field")
    end = ctx.optional_value("to_field") or ctx.as_of
    months = months_between(start, end)
    minimum = ctx.param("min")
    text = {
        "label": ctx.label(ctx.args["from_field"]),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "months": str(months),
        "min": _num(minimum),
    }
    summary = f"自{text['from']}至{text['to']}满{months}个月（要求不少于{text['min']}个月）"
    return Outcome(months >= minimum, text, summary)


@register(
    "date_order",
    "起始不晚于终止 / start (date or month) is not after end",
    args=[_field("start_field", *DATES), _field("end_field", *DATES)],
    placeholders=["start", "end", "start_label", "end_label"],
)
def date_order(ctx: RuleContext) -> Outcome:
    start, end = ctx.value("start_field"), ctx.value("end_field")
    text = {
        "start": ctx.show("start_field", start),
        "end": ctx.show("end_field", end),
        "start_label": ctx.label(ctx.args["start_field"]),
        "end_label": ctx.label(ctx.args["end_field"]),
    }
    summary = f"{text['start_label']}{text['start']}，{text['end_label']}{text['end']}"
    return Outcome(start <= end, text, summary)


def _credit_code_outcome(code: str) -> Outcome:
    district = code[2:8]
    text = {"code": code, "district": district, "district_name": district_name(district)}
    summary = f"统一社会信用代码登记地 {district}（{text['district_name']}）"
    return Outcome(is_jiaxing_code(district), text, summary)


@register(
    "credit_code_in_jiaxing",
    "统一社会信用代码登记在嘉兴（3304xx）/ the credit code is registered in Jiaxing",
    args=[_field("field", "credit_code")],
    placeholders=["code", "district", "district_name"],
)
def credit_code_in_jiaxing(ctx: RuleContext) -> Outcome:
    return _credit_code_outcome(ctx.value("field"))


@register(
    "applicant_in_jiaxing",
    "申请单位的统一社会信用代码登记在嘉兴 / the applicant organisation is registered in Jiaxing",
    placeholders=["code", "district", "district_name"],
)
def applicant_in_jiaxing(ctx: RuleContext) -> Outcome:
    code = (ctx.facts.org_credit_code or "").strip().upper()
    if len(code) != 18:
        raise Undecidable("未取得申请单位的统一社会信用代码，无法判断登记地。")
    return _credit_code_outcome(code)


@register(
    "district_in_jiaxing",
    "所在县（市、区）属嘉兴 / the district field is one of Jiaxing's",
    args=[_field("field", "district")],
    placeholders=["district", "district_name"],
)
def district_in_jiaxing(ctx: RuleContext) -> Outcome:
    code = ctx.value("field")
    text = {"district": code, "district_name": district_name(code)}
    summary = f"所在地 {code}（{text['district_name']}）"
    return Outcome(code in JIAXING_DISTRICTS, text, summary)


@register(
    "enum_in",
    "取值在给定集合内 / an enum field's value is one of the listed values",
    args=[_field("field", "enum"), ArgSpec("values", literal="values")],
    placeholders=["label", "value", "value_label", "allowed"],
)
def enum_in(ctx: RuleContext) -> Outcome:
    value = ctx.value("field")
    allowed = [str(v) for v in ctx.args["values"]]
    labels = ctx.choice_labels.get(ctx.args["field"], {})
    text = {
        "label": ctx.label(ctx.args["field"]),
        "value": value,
        "value_label": labels.get(value, value),
        "allowed": "、".join(labels.get(v, v) for v in allowed),
    }
    summary = f"{text['label']}为{text['value_label']}（可为{text['allowed']}）"
    return Outcome(value in allowed, text, summary)


@register(
    "field_true",
    "是/否字段为“是” / a boolean field is true",
    args=[_field("field", "boolean")],
    placeholders=["label"],
)
def field_true(ctx: RuleContext) -> Outcome:
    value = ctx.value("field")
    label = ctx.label(ctx.args["field"])
    return Outcome(value is True, {"label": label}, f"{label}：{format_value(value)}")


def describe_applicant(facts: Facts) -> str:
    if facts.applicant_kind == "person":
        return "个人"
    parts = [
        ENTERPRISE_SIZE_LABELS.get(facts.enterprise_size or "", ""),
        ORG_KIND_LABELS.get(facts.org_kind or "", "单位"),
    ]
    return "".join(parts)


def describe_allowed(kinds: Sequence[Any]) -> str:
    out: list[str] = []
    for spec in kinds:
        if spec.kind == "person":
            out.append("个人")
            continue
        sizes = "或".join(ENTERPRISE_SIZE_LABELS[s] for s in spec.enterprise_sizes or ())
        orgs = "或".join(ORG_KIND_LABELS[k] for k in spec.org_kinds or ()) or "单位"
        out.append(f"{sizes}{orgs}")
    return "、".join(out)


def applicant_matches(spec: Any, facts: Facts) -> bool:
    if facts.applicant_kind != spec.kind:
        return False
    if spec.kind == "person":
        return True
    if spec.org_kinds and facts.org_kind not in spec.org_kinds:
        return False
    return not (spec.enterprise_sizes and facts.enterprise_size not in spec.enterprise_sizes)


@register(
    "applicant_kind",
    "申请人类别符合事项的 applicant_kinds / the applicant's kind, org kind and size fit",
    placeholders=["applicant", "allowed"],
)
def applicant_kind(ctx: RuleContext) -> Outcome:
    facts = ctx.facts
    if facts.applicant_kind not in APPLICANT_KIND_LABELS:
        raise Undecidable("未取得申请人类别（单位或个人），无法判断。")
    text = {
        "applicant": describe_applicant(facts),
        "allowed": describe_allowed(ctx.applicant_kinds),
    }
    passed = any(applicant_matches(spec, facts) for spec in ctx.applicant_kinds)
    summary = f"申请人为{text['applicant']}（限{text['allowed']}）"
    return Outcome(passed, text, summary)


# ---------------------------------------------------------------------------------------
# program-specific kinds


@register(
    "maker_space_recognised",
    "所在众创空间已获认定 / the chosen maker space is recognised on the as-of date",
    args=[_field("field", "maker_space")],
    placeholders=["space"],
)
def maker_space_recognised(ctx: RuleContext) -> Outcome:
    space = ctx.value("field")
    passed = ctx.facts.maker_space_recognised(space)
    return Outcome(passed, {"space": str(space)}, f"众创空间 {space}")


@register(
    "date_in_force",
    "日期在政策施行期间 / a date falls while the policy is in force",
    args=[_field("field", "date")],
    placeholders=["label", "date", "status"],
)
def date_in_force(ctx: RuleContext) -> Outcome:
    day = ctx.value("field")
    if not ctx.facts.policy_events:
        raise Undecidable("未取得政策的施行、废止日期，无法判断。")
    status = policy_status(ctx.facts.policy_events, day)
    text = {"label": ctx.label(ctx.args["field"]), "date": day.isoformat()}
    text["status"] = STATUS_LABELS[status]
    summary = f"{text['label']}{text['date']}时政策{text['status']}"
    return Outcome(status == "in_force", text, summary)


@register(
    "graduated_within",
    "毕业不超过 years 年（在校生亦可）/ graduated at most `years` before the reference date",
    args=[_field("graduation_field", "date"), _field("reference_field", "date", required=False)],
    params=["years"],
    placeholders=["graduation", "reference", "reference_label", "years", "limit", "situation"],
)
def graduated_within(ctx: RuleContext) -> Outcome:
    graduated = ctx.value("graduation_field")
    reference = ctx.optional_value("reference_field") or ctx.as_of
    ref_name = ctx.field_name("reference_field")
    years = int(ctx.param("years"))
    limit = add_years(graduated, years)
    if graduated > reference:
        situation = "尚在校（毕业前）"
    else:
        situation = f"毕业后第{months_between(graduated, reference) // 12 + 1}年"
    text = {
        "graduation": graduated.isoformat(),
        "reference": reference.isoformat(),
        "reference_label": ctx.label(ref_name) if ref_name else "申请日",
        "years": str(years),
        "limit": limit.isoformat(),
        "situation": situation,
    }
    summary = f"{text['graduation']}毕业，{text['reference_label']}{text['reference']}{situation}"
    return Outcome(reference <= limit, text, summary)


def _benefit_key(ctx: RuleContext) -> str:
    if not ctx.benefit_key:
        raise Undecidable("事项未定义扶持类别（benefit），无法查重。")
    return ctx.benefit_key


@register(
    "once_per_person",
    "每人限享受一次 / the person has no earlier grant of this benefit",
    placeholders=["count"],
    needs_benefit=True,
)
def once_per_person(ctx: RuleContext) -> Outcome:
    count = int(ctx.facts.prior_benefits.grants.get(_benefit_key(ctx), 0))
    return Outcome(count == 0, {"count": str(count)}, f"此前已享受{count}次")


@register(
    "space_not_recognised",
    "同一众创空间只认定一次 / the space (same name and address) is neither recognised nor "
    "pending in another case",
    placeholders=["count"],
    needs_benefit=True,
)
def space_not_recognised(ctx: RuleContext) -> Outcome:
    count = int(ctx.facts.prior_benefits.grants.get(_benefit_key(ctx), 0))
    summary = "该众创空间尚未认定" if count == 0 else f"同名同址的众创空间已有{count}件认定或申请"
    return Outcome(count == 0, {"count": str(count)}, summary)


@register(
    "max_grants_per_business",
    "同一企业累计不超过 max 次 / the business had fewer than `max` grants",
    params=["max"],
    placeholders=["count", "max"],
    needs_benefit=True,
)
def max_grants_per_business(ctx: RuleContext) -> Outcome:
    count = int(ctx.facts.prior_benefits.grants.get(_benefit_key(ctx), 0))
    maximum = int(ctx.param("max"))
    text = {"count": str(count), "max": str(maximum)}
    return Outcome(count < maximum, text, f"该企业此前已享受{count}次（上限{maximum}次）")


@register(
    "not_granted_for_year",
    "同一年度不重复享受 / no grant for the same year yet",
    args=[_field("field", "integer")],
    placeholders=["year"],
    needs_benefit=True,
)
def not_granted_for_year(ctx: RuleContext) -> Outcome:
    year = int(ctx.value("field"))
    years = ctx.facts.prior_benefits.years.get(_benefit_key(ctx), frozenset())
    return Outcome(year not in years, {"year": str(year)}, f"{year}年度")


@register(
    "loan_cap_ratio",
    "贷款额超过 max_loan 时按比例贴息（不拒绝）/ loans over max_loan are subsidised pro rata",
    args=[_field("loan_field", "money")],
    params=["max_loan"],
    placeholders=["loan", "max_loan", "portion"],
)
def loan_cap_ratio(ctx: RuleContext) -> Outcome:
    loan = ctx.value("loan_field")
    max_loan = Decimal(ctx.param("max_loan"))
    if loan <= 0:
        raise Undecidable("贷款金额须大于0。")
    if loan <= max_loan:
        portion = "全额"
    else:
        share = (max_loan / loan * 100).quantize(Decimal("0.01"))
        portion = f"按上限占贷款额的比例（{share}%）"
    text = {"loan": format_money(loan), "max_loan": format_money(max_loan), "portion": portion}
    return Outcome(True, text, f"贷款{text['loan']}元，{portion}贴息")


@register(
    "loan_window",
    "贴息期间在贷款期限内且有月份落在放款后 years 年内 / interest months within the window",
    args=[
        _field("loan_start_field", "date"),
        _field("loan_end_field", "date"),
        _field("period_start_field", "month"),
        _field("period_end_field", "month"),
    ],
    params=["years"],
    placeholders=["window_start", "window_end", "months_inside", "months_total", "years"],
)
def loan_window(ctx: RuleContext) -> Outcome:
    loan_start, loan_end = ctx.value("loan_start_field"), ctx.value("loan_end_field")
    start, end = ctx.value("period_start_field"), ctx.value("period_end_field")
    if end < start:
        raise Undecidable("贴息起始月份晚于终止月份。")
    if start < loan_start.replace(day=1) or end > loan_end.replace(day=1):
        raise Undecidable(
            f"贴息期间 {format_month(start)} 至 {format_month(end)} 超出贷款期限 "
            f"{loan_start.isoformat()} 至 {loan_end.isoformat()}。"
        )
    years = int(ctx.param("years"))
    inside, total = loan_window_months(loan_start, years, start, end)
    last = add_months(loan_start.replace(day=1), 12 * years - 1)
    window_end = format_month(last) if years > 0 else "—"
    text = {
        "window_start": format_month(loan_start),
        "window_end": window_end,
        "months_inside": str(inside),
        "months_total": str(total),
        "years": str(years),
    }
    summary = f"贴息{total}个月中{inside}个月在放款后{years}年内"
    return Outcome(inside > 0, text, summary)


@register(
    "months_not_subsidised",
    "所申请月份此前未获补贴 / none of the claimed months was subsidised before",
    args=[_field("period_start_field", "month"), _field("period_end_field", "month")],
    placeholders=["overlap", "count"],
    needs_benefit=True,
)
def months_not_subsidised(ctx: RuleContext) -> Outcome:
    start, end = ctx.value("period_start_field"), ctx.value("period_end_field")
    if end < start or month_span(start, end) > 1200:
        raise Undecidable("申请期间的起止月份无效。")
    done = ctx.facts.prior_benefits.months.get(_benefit_key(ctx), frozenset())
    overlap = [m for m in iter_months(start, end) if m in done]
    text = {"overlap": "、".join(format_month(m) for m in overlap), "count": str(len(overlap))}
    summary = f"其中{len(overlap)}个月此前已获补贴" if overlap else "各月此前均未获补贴"
    return Outcome(not overlap, text, summary)


@register(
    "roster_accepted",
    "花名册至少一行通过核验 / the roster has at least one accepted row",
    placeholders=["accepted", "rejected", "amount"],
)
def roster_accepted(ctx: RuleContext) -> Outcome:
    roster = ctx.facts.roster_summary
    if roster is None:
        raise Undecidable("尚未上传或核验花名册。")
    text = {
        "accepted": str(roster.accepted_rows),
        "rejected": str(roster.rejected_rows),
        "amount": format_money(roster.accepted_amount),
    }
    summary = f"花名册通过{roster.accepted_rows}行、未通过{roster.rejected_rows}行"
    return Outcome(roster.accepted_rows > 0, text, summary)


@dataclass(frozen=True)
class KindInfo:
    """A kind as shown to admins (``policy show``)."""

    name: str
    description: str
    args: tuple[str, ...] = field(default=())
    params: tuple[str, ...] = field(default=())


def rule_kinds() -> list[KindInfo]:
    return [
        KindInfo(k.name, k.description, tuple(a.name for a in k.args), k.params)
        for k in RULE_KINDS.values()
    ]
