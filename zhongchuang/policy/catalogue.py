"""The policy catalogue (政策目录): a YAML file holding one policy, its articles, its programs
(扶持事项) with their fields, rules, amount formula and parameters over time.

``load_catalogue`` refuses a malformed file whole, with the first problem's location inside
the file (``programs[2].rules[0].kind``) and a reason in Chinese and English; every
problem found is kept in ``CatalogueError.problems``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import string
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from yaml.constructor import ConstructorError

from zhongchuang.errors import ValidationFailed
from zhongchuang.policy.amounts import AMOUNT_KINDS, AmountKind
from zhongchuang.policy.facts import EnterpriseSize
from zhongchuang.policy.fields import FIELD_TYPES, NUMERIC_TYPES, json_schema
from zhongchuang.policy.parameters import ParameterRecord, ParameterTable, ParameterValue
from zhongchuang.policy.rules import RULE_KINDS, ArgSpec, RuleKind
from zhongchuang.policy.status import PolicyEvent
from zhongchuang.workflow.machine import SCORE_MAX

# ---------------------------------------------------------------------------------------
# the error


class CatalogueError(ValidationFailed):
    """A catalogue file refused whole: ``file``, ``location`` inside it, ``reason``
    (Chinese / English). ``problems`` lists every ``(location, reason)`` found."""

    def __init__(
        self,
        file: str,
        location: str,
        reason: str,
        problems: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        self.file = file
        self.location = location
        self.reason = reason
        self.problems: list[tuple[str, str]] = list(problems or [(location, reason)])
        where = f"{file}: {location}" if location else file
        super().__init__(
            f"政策目录文件无效 / invalid catalogue file — {where}: {reason}",
            errors={loc or "(root)": [why] for loc, why in self.problems},
        )


# ---------------------------------------------------------------------------------------
# the models

WORKFLOW_WAITING_STATES: dict[str, tuple[str, ...]] = {
    "standard": ("submitted", "accepted", "county_approved", "city_approved", "approved"),
    "expert": (
        "submitted",
        "accepted",
        "county_approved",
        "expert_reviewed",
        "city_approved",
        "approved",
    ),
}
INTEGER_UNITS = frozenset({"months", "years", "count", "working_days", "days", "flag"})
#: ``flag``: a yes/no setting, 1 (yes) or 0 (no).
Unit = Literal["yuan", "sqm", "months", "years", "count", "working_days", "days", "flag"]
EventKind = Literal["issued", "in_force", "confirmed_valid", "amended", "repealed", "expired"]
FieldType = Literal[
    "string",
    "text",
    "integer",
    "decimal",
    "money",
    "date",
    "month",
    "boolean",
    "enum",
    "credit_code",
    "district",
    "maker_space",
]
assert set(get_args(FieldType)) == set(FIELD_TYPES)

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Text = Annotated[str, StringConstraints(min_length=1)]
Path_ = Annotated[str, StringConstraints(pattern=r"^[^\s（）]+$", max_length=30)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class DocumentRef(_Model):
    """Another document: one this policy rests on (依据) or points to (按规定)."""

    doc_number: Text
    title: str | None = None
    note: str | None = None


class EventSpec(_Model):
    """A dated step of the policy's life and where its date comes from."""

    kind: EventKind
    date: dt.date
    document: Text
    confirmed: bool
    note: Text

    def as_event(self) -> PolicyEvent:
        return PolicyEvent(self.kind, self.date, self.document, self.confirmed, self.note)


class PolicySpec(_Model):
    doc_number: Text
    title: Text
    issuer: Text
    based_on: list[DocumentRef] = Field(default_factory=list)
    references: list[DocumentRef] = Field(default_factory=list)
    events: list[EventSpec] = Field(min_length=1)
    note: str | None = None


class ArticleSpec(_Model):
    """条款: ``path`` like ``四(一)``, ``text`` verbatim from the official text."""

    path: Path_
    title: str | None = None
    text: Text
    incomplete: bool = False
    note: str | None = None


class ChoiceSpec(_Model):
    value: Code
    label: Text
    label_en: str | None = None
    help: str | None = None


class FieldSpec(_Model):
    name: Code
    label: Text
    label_en: Text
    type: FieldType
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    choices: list[ChoiceSpec] | None = None
    help: str | None = None
    #: The field describes the applicant, not the claim (毕业院校, 企业信用代码, 所在众创空间):
    #: the policy check and a new form take it from the applicant's earlier cases.
    profile: bool = False


class AttachmentSpec(_Model):
    """申报材料: required by the catalogue (``required: true``, where a published rule names
    it) or, where no text says, by a ``flag`` parameter named in ``required_param`` (1
    required, 0 optional; dated and unconfirmed like every parameter). Which holds on a
    date is ``policy.materials.materials_on``'s answer."""

    kind: Code
    label: Text
    label_en: str | None = None
    required: bool = False
    #: A program (or policy-wide) parameter of unit ``flag`` that decides ``required``.
    required_param: Code | None = None
    #: ``False`` when DOMAIN.md does not list it (asked for by us, not by a text)
    confirmed: bool = True
    help: str | None = None


class MessageSpec(_Model):
    passed: Text = Field(alias="pass")
    failed: Text = Field(alias="fail")


class SubRuleSpec(_Model):
    kind: Text
    args: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Code] = Field(default_factory=dict)


class RuleSpec(_Model):
    id: Code
    kind: Text
    article: Path_
    args: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Code] = Field(default_factory=dict)
    rules: list[SubRuleSpec] | None = None
    message: MessageSpec
    note: str | None = None


class AmountSpec(_Model):
    kind: Text
    args: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Code] = Field(default_factory=dict)
    note: str | None = None


class ParameterSpec(_Model):
    """A parameter's value over one period (OpenFisca-style)."""

    name: Code
    #: What users read instead of the code, e.g. ``年度补助上限``.
    label: str | None = None
    value: Decimal
    unit: Unit
    valid_from: dt.date
    valid_to: dt.date | None = None
    article: Path_ | None = None
    source: Text
    confirmed: bool

    @property
    def typed_value(self) -> ParameterValue:
        """``int`` for counts, months, years, days; ``Decimal`` for yuan and areas."""
        if self.unit in INTEGER_UNITS and self.value == self.value.to_integral_value():
            return int(self.value)
        return self.value

    def to_record(self) -> ParameterRecord:
        return ParameterRecord(
            name=self.name,
            value=self.typed_value,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            article=self.article,
            confirmed=self.confirmed,
            unit=self.unit,
            source=self.source,
        )


class ApplicantKindSpec(_Model):
    kind: Literal["organization", "person"]
    org_kinds: list[Literal["operator", "enterprise"]] | None = None
    enterprise_sizes: list[EnterpriseSize] | None = None


class BenefitSpec(_Model):
    """What duplicate detection counts: which benefit, for whom, per what."""

    key: Code
    #: Whose benefit it is: a person, a business (credit code), or a maker space (its
    #: name and address: one operator may run several spaces, each recognised once).
    subject: Literal["person", "business", "space"]
    per: Literal["month", "once", "year"]
    confirmed: bool
    note: str | None = None


class ExpertCriterion(_Model):
    """专家评审指标: one heading an expert scores, from 0 to ``max`` (whole points)."""

    code: Code
    label: Text
    label_en: str | None = None
    max: Annotated[int, Field(gt=0, strict=True)]


class ProgramSpec(_Model):
    """扶持事项: who may apply, what they fill and attach, the rules, the amount."""

    code: Code
    name: Text
    name_en: str | None = None
    articles: list[Path_] = Field(min_length=1)
    references: list[Text] = Field(default_factory=list)
    applicant_kinds: list[ApplicantKindSpec] = Field(min_length=1)
    expert_review: bool
    workflow: Literal["standard", "expert"]
    #: 办理结果: ``payment`` (an amount approved, reserved, paid) or ``recognition``
    #: (a recognised space; no amount, budget or finance step).
    outcome: Literal["payment", "recognition"] = "payment"
    roster: bool = False
    #: 专家评审指标 (programs with expert review): their maxima sum to the score's maximum.
    expert_criteria: list[ExpertCriterion] = Field(default_factory=list)
    #: ``False`` while no published text gives the criteria (shown so to admins).
    expert_criteria_confirmed: bool = False
    #: Where the criteria come from (or why they are provisional).
    expert_criteria_source: str | None = None
    fields: list[FieldSpec] = Field(default_factory=list)
    attachments: list[AttachmentSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(min_length=1)
    amount: AmountSpec
    parameters: list[ParameterSpec] = Field(default_factory=list)
    time_limits: dict[str, Code]
    benefit: BenefitSpec
    note: str | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def rule(self, rule_id: str) -> RuleSpec | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def waiting_states(self) -> tuple[str, ...]:
        return WORKFLOW_WAITING_STATES[self.workflow]

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of the application's ``data`` (for the API)."""
        return json_schema(self.fields, title=self.name)

    def definition(self) -> dict[str, Any]:
        """JSON-ready form (``ProgramSpec.model_validate`` reads it back)."""
        return self.model_dump(mode="json")


class Catalogue(_Model):
    catalogue_version: Text
    policy: PolicySpec
    articles: list[ArticleSpec] = Field(min_length=1)
    #: policy-wide parameters (time limits, notice period), seen by every program
    parameters: list[ParameterSpec] = Field(default_factory=list)
    programs: list[ProgramSpec] = Field(min_length=1)

    def program(self, code: str) -> ProgramSpec:
        for program in self.programs:
            if program.code == code:
                return program
        raise KeyError(code)

    def article(self, path: str) -> ArticleSpec:
        for article in self.articles:
            if article.path == path:
                return article
        raise KeyError(path)

    def parameters_for(self, code: str) -> list[ParameterSpec]:
        """The policy-wide parameters and the program's own (names never clash)."""
        return [*self.parameters, *self.program(code).parameters]

    def parameter_table(self, code: str) -> ParameterTable:
        return ParameterTable(p.to_record() for p in self.parameters_for(code))

    def status_events(self) -> tuple[PolicyEvent, ...]:
        return tuple(e.as_event() for e in self.policy.events)

    def canonical_json(self) -> str:
        data = self.model_dump(mode="json")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        """SHA-256 of the content (canonical JSON): comments and layout do not change it."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------
# reading YAML


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and leaves impossible dates as strings
    (so they are reported where they stand)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                None, None, "键不可哈希 / unhashable key", key_node.start_mark
            ) from None
        if key in seen:
            raise ConstructorError(
                None,
                None,
                f"重复的键 {key!r} / duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _read_yaml(text: str, filename: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or str(exc)
        raise CatalogueError(
            filename, where, f"YAML 语法错误 / YAML syntax error: {problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise CatalogueError(filename, "", f"YAML 语法错误 / YAML syntax error: {exc}") from None


# ---------------------------------------------------------------------------------------
# structural errors (pydantic) in Chinese and English

_ZH_BY_TYPE: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键（拼写错误？）",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_places": "小数位过多",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期（不含时间）",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "too_short": "项数不足",
    "literal_error": "取值不在允许范围内",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
}


def _location(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _reason(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    zh = _ZH_BY_TYPE.get(kind, "取值无效")
    ctx = error.get("ctx") or {}
    if kind == "literal_error" and "expected" in ctx:
        zh = f"{zh}：应为 {ctx['expected']}"
    elif kind == "string_pattern_mismatch" and "pattern" in ctx:
        zh = f"{zh}（{ctx['pattern']}）"
    elif kind == "too_short" and "min_length" in ctx:
        zh = f"{zh}：至少 {ctx['min_length']} 项"
    if kind in ("literal_error", "string_type", "extra_forbidden", "date_parsing"):
        zh = f"{zh}，当前为 {error.get('input')!r}"
    return f"{zh} / {error.get('msg', kind)}"


# ---------------------------------------------------------------------------------------
# semantic checks (references between parts of the file)


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, location: str, zh: str, en: str) -> None:
        self.items.append((location, f"{zh} / {en}"))


def _check_parameters(
    specs: Sequence[ParameterSpec], where: str, articles: set[str], problems: _Problems
) -> None:
    periods: dict[str, list[tuple[int, ParameterSpec]]] = {}
    for i, spec in enumerate(specs):
        loc = f"{where}[{i}]"
        if spec.valid_to is not None and spec.valid_to < spec.valid_from:
            problems.add(f"{loc}.valid_to", "结束日早于开始日", "valid_to is before valid_from")
        if spec.article is not None and spec.article not in articles:
            problems.add(
                f"{loc}.article", f"条款 {spec.article} 不存在", f"no article {spec.article}"
            )
        if spec.unit in INTEGER_UNITS and spec.value != spec.value.to_integral_value():
            problems.add(f"{loc}.value", f"单位 {spec.unit} 的取值应为整数", "must be an integer")
        if spec.value < 0:
            problems.add(f"{loc}.value", "参数不得为负数", "must not be negative")
        elif spec.unit == "flag" and spec.value not in (0, 1):
            problems.add(f"{loc}.value", "flag 参数的取值只能是 0 或 1", "a flag is 0 or 1")
        for j, other in periods.get(spec.name, []):
            if _overlap(spec, other):
                problems.add(
                    f"{loc}.valid_from",
                    f"参数 {spec.name} 与 {where}[{j}] 有效期重叠",
                    f"period overlaps {where}[{j}]",
                )
        periods.setdefault(spec.name, []).append((i, spec))


def _overlap(a: ParameterSpec, b: ParameterSpec) -> bool:
    a_end = a.valid_to or dt.date.max
    b_end = b.valid_to or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def _placeholders(template: str) -> list[str] | None:
    """Names used in a message template; ``None`` when it is not a plain template."""
    names: list[str] = []
    try:
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if spec or conversion or not name.isidentifier():
                return None
            names.append(name)
    except ValueError:
        return None
    return names


def _check_arguments(
    kind_args: Sequence[ArgSpec],
    kind_params: Sequence[str],
    args: Mapping[str, Any],
    params: Mapping[str, str],
    loc: str,
    program: ProgramSpec,
    param_names: set[str],
    problems: _Problems,
) -> None:
    known = {a.name for a in kind_args}
    for name in args:
        if name not in known:
            problems.add(
                f"{loc}.args.{name}", f"此类规则没有参数 {name}", f"unknown argument {name}"
            )
    for arg in kind_args:
        if arg.name not in args:
            if arg.required:
                problems.add(f"{loc}.args.{arg.name}", "缺少参数", "argument missing")
            continue
        value = args[arg.name]
        aloc = f"{loc}.args.{arg.name}"
        if arg.field_types is not None:
            field = program.field(value) if isinstance(value, str) else None
            if field is None:
                problems.add(aloc, f"字段 {value!r} 不存在", f"no field {value!r}")
            elif field.type not in arg.field_types:
                allowed = "、".join(sorted(arg.field_types))
                problems.add(
                    aloc,
                    f"字段 {value} 的类型为 {field.type}，此处需要 {allowed}",
                    f"field {value} is {field.type}, expected {allowed}",
                )
        elif arg.literal == "values" and (
            not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value)
        ):
            problems.add(aloc, "应为非空的文字列表", "must be a non-empty list of strings")
    for role in params:
        if role not in kind_params:
            problems.add(
                f"{loc}.params.{role}", f"此类规则没有参数角色 {role}", f"unknown role {role}"
            )
    for role in kind_params:
        if role not in params:
            problems.add(f"{loc}.params.{role}", "缺少参数引用", "parameter reference missing")
        elif params[role] not in param_names:
            problems.add(
                f"{loc}.params.{role}",
                f"参数 {params[role]} 未定义",
                f"parameter {params[role]} is not defined",
            )


def _check_enum_values(
    args: Mapping[str, Any], loc: str, program: ProgramSpec, problems: _Problems
) -> None:
    field = program.field(args.get("field", "")) if isinstance(args.get("field"), str) else None
    values = args.get("values")
    if field is None or field.type != "enum" or not isinstance(values, list):
        return
    choices = {c.value for c in field.choices or ()}
    for j, value in enumerate(values):
        if value not in choices:
            problems.add(
                f"{loc}.args.values[{j}]",
                f"{value!r} 不是字段 {field.name} 的可选值",
                f"{value!r} is not a choice of {field.name}",
            )


def _check_rule(
    rule: RuleSpec,
    loc: str,
    program: ProgramSpec,
    articles: set[str],
    param_names: set[str],
    problems: _Problems,
) -> None:
    kind: RuleKind | None = RULE_KINDS.get(rule.kind)
    if kind is None:
        problems.add(
            f"{loc}.kind",
            f"未知的规则类型 {rule.kind!r}（可用：{'、'.join(RULE_KINDS)}）",
            f"unknown rule kind {rule.kind!r}",
        )
        return
    if rule.article not in articles:
        problems.add(f"{loc}.article", f"条款 {rule.article} 不存在", f"no article {rule.article}")
    _check_arguments(
        kind.args, kind.params, rule.args, rule.params, loc, program, param_names, problems
    )
    if rule.kind == "enum_in":
        _check_enum_values(rule.args, loc, program, problems)
    if kind.composite:
        if not rule.rules:
            problems.add(f"{loc}.rules", "组合规则至少需要一条子规则", "needs sub-rules")
        for k, sub in enumerate(rule.rules or ()):
            sloc = f"{loc}.rules[{k}]"
            sub_kind = RULE_KINDS.get(sub.kind)
            if sub_kind is None or sub_kind.composite:
                problems.add(
                    f"{sloc}.kind",
                    f"未知或不可嵌套的规则类型 {sub.kind!r}",
                    f"unknown or nested rule kind {sub.kind!r}",
                )
                continue
            _check_arguments(
                sub_kind.args,
                sub_kind.params,
                sub.args,
                sub.params,
                sloc,
                program,
                param_names,
                problems,
            )
            if sub.kind == "enum_in":
                _check_enum_values(sub.args, sloc, program, problems)
    elif rule.rules is not None:
        problems.add(f"{loc}.rules", "只有组合规则（any_of）可以有子规则", "only any_of has rules")
    for key, template in (("pass", rule.message.passed), ("fail", rule.message.failed)):
        names = _placeholders(template)
        if names is None:
            problems.add(
                f"{loc}.message.{key}",
                "消息模板格式错误（只可用 {名称} 占位）",
                "malformed template: use {name} placeholders only",
            )
            continue
        for name in names:
            if name not in kind.placeholders:
                allowed = "、".join(sorted(kind.placeholders))
                problems.add(
                    f"{loc}.message.{key}",
                    f"占位符 {{{name}}} 不可用（可用：{allowed}）",
                    f"unknown placeholder {{{name}}}",
                )


def _check_program(
    program: ProgramSpec,
    loc: str,
    catalogue: Catalogue,
    articles: set[str],
    problems: _Problems,
) -> None:
    """Every semantic check of one program, in file order, adding to ``problems``."""
    _check_program_sources(program, loc, catalogue, articles, problems)
    _check_program_applicants(program, loc, problems)
    _check_program_fields(program, loc, problems)
    _check_program_expert_criteria(program, loc, problems)
    _check_program_attachments(program, loc, catalogue, problems)
    param_names = _check_program_parameters(program, loc, catalogue, articles, problems)
    _check_program_rules(program, loc, articles, param_names, problems)
    _check_program_amount(program, loc, param_names, problems)
    _check_program_time_limits(program, loc, catalogue, param_names, problems)
    _check_program_service_limits(program, loc, catalogue, problems)


def _check_program_sources(
    program: ProgramSpec,
    loc: str,
    catalogue: Catalogue,
    articles: set[str],
    problems: _Problems,
) -> None:
    """Cited articles and documents exist; ``expert_review`` matches the workflow."""
    for j, path in enumerate(program.articles):
        if path not in articles:
            problems.add(f"{loc}.articles[{j}]", f"条款 {path} 不存在", f"no article {path}")
    docs = {d.doc_number for d in (*catalogue.policy.based_on, *catalogue.policy.references)}
    for j, ref in enumerate(program.references):
        if ref not in docs:
            problems.add(
                f"{loc}.references[{j}]",
                f"文件 {ref} 未列入 policy.based_on 或 policy.references",
                f"{ref} is not listed under policy.based_on or policy.references",
            )
    if program.expert_review != (program.workflow == "expert"):
        problems.add(
            f"{loc}.workflow",
            "有专家评审的事项须使用 expert 流程，反之使用 standard",
            "expert_review and workflow disagree",
        )


def _check_program_applicants(program: ProgramSpec, loc: str, problems: _Problems) -> None:
    """A person applicant is not limited by organisation kind or size."""
    for j, applicant in enumerate(program.applicant_kinds):
        if applicant.kind == "person" and (applicant.org_kinds or applicant.enterprise_sizes):
            problems.add(
                f"{loc}.applicant_kinds[{j}]",
                "个人申请人不能限定单位类别或规模",
                "a person has no org kind or size",
            )


def _check_program_fields(program: ProgramSpec, loc: str, problems: _Problems) -> None:
    """Field names are unique, and each field's choices and bounds fit its type."""
    seen_fields: set[str] = set()
    for j, field in enumerate(program.fields):
        floc = f"{loc}.fields[{j}]"
        if field.name in seen_fields:
            problems.add(f"{floc}.name", f"字段名 {field.name} 重复", "duplicate field name")
        seen_fields.add(field.name)
        _check_field_choices(field, floc, problems)
        _check_field_bounds(field, floc, problems)


def _check_field_choices(field: FieldSpec, floc: str, problems: _Problems) -> None:
    """An enum lists distinct choices; no other type has choices."""
    if field.type == "enum":
        values = [c.value for c in field.choices or ()]
        if not values:
            problems.add(f"{floc}.choices", "枚举字段须列出可选值", "an enum needs choices")
        elif len(set(values)) != len(values):
            problems.add(f"{floc}.choices", "可选值重复", "duplicate choices")
    elif field.choices is not None:
        problems.add(f"{floc}.choices", "只有枚举字段可以有可选值", "only enum has choices")


def _check_field_bounds(field: FieldSpec, floc: str, problems: _Problems) -> None:
    """Only numeric fields have ``min``/``max``, and ``min`` is not above ``max``."""
    if field.type not in NUMERIC_TYPES:
        for bound in ("min", "max"):
            if getattr(field, bound) is not None:
                problems.add(
                    f"{floc}.{bound}", "只有数值字段可以设上下限", "only numbers have bounds"
                )
    elif field.min is not None and field.max is not None and field.min > field.max:
        problems.add(f"{floc}.max", "上限小于下限", "max is below min")


def _check_program_expert_criteria(program: ProgramSpec, loc: str, problems: _Problems) -> None:
    """专家评审指标: an expert-reviewed program has criteria, each code once, their maxima
    summing to the score's maximum; a program without expert review has none."""
    criteria = program.expert_criteria
    cloc = f"{loc}.expert_criteria"
    if not program.expert_review:
        if criteria:
            problems.add(
                cloc, "没有专家评审的事项不能设置评审指标", "criteria without expert review"
            )
        return
    if not criteria:
        problems.add(
            cloc,
            "有专家评审的事项须列出评审指标（代码、名称、满分）",
            "a program with expert review needs its criteria (code, label, max)",
        )
        return
    codes = [c.code for c in criteria]
    for j, code in enumerate(codes):
        if codes.index(code) != j:
            problems.add(f"{cloc}[{j}].code", f"评审指标代码 {code} 重复", "duplicate criterion")
    total = sum(c.max for c in criteria)
    if total != SCORE_MAX:
        problems.add(
            cloc,
            f"评审指标满分合计为 {total}，应为 {SCORE_MAX}",
            f"the criteria's maxima sum to {total}, not {SCORE_MAX}",
        )
    if not program.expert_criteria_confirmed and not program.expert_criteria_source:
        problems.add(
            f"{loc}.expert_criteria_source",
            "未经证实的评审指标须说明来源（expert_criteria_source）",
            "unconfirmed criteria need a source note",
        )


def _check_program_attachments(
    program: ProgramSpec, loc: str, catalogue: Catalogue, problems: _Problems
) -> None:
    """Each attachment kind is listed once; one that a parameter decides names a ``flag``
    parameter of the program (or a policy-wide one) and is not also ``required: true``."""
    kinds = [a.kind for a in program.attachments]
    units = {p.name: p.unit for p in (*catalogue.parameters, *program.parameters)}
    for j, attachment in enumerate(program.attachments):
        aloc = f"{loc}.attachments[{j}]"
        if kinds.index(attachment.kind) != j:
            problems.add(f"{aloc}.kind", f"附件类别 {attachment.kind} 重复", "duplicate kind")
        name = attachment.required_param
        if name is None:
            continue
        if attachment.required:
            problems.add(
                f"{aloc}.required",
                "由参数决定是否必需的材料不能同时写 required: true",
                "required_param and required: true exclude each other",
            )
        if name not in units:
            problems.add(
                f"{aloc}.required_param", f"参数 {name} 未定义", f"parameter {name} is not defined"
            )
        elif units[name] != "flag":
            problems.add(
                f"{aloc}.required_param",
                f"参数 {name} 的单位应为 flag（1 必需，0 可选）",
                "unit must be flag (1 required, 0 optional)",
            )


def _check_program_parameters(
    program: ProgramSpec,
    loc: str,
    catalogue: Catalogue,
    articles: set[str],
    problems: _Problems,
) -> set[str]:
    """The program's own parameters, none named like a policy-wide one; returns the
    names of every parameter the program may use (policy-wide and its own)."""
    shared = {p.name for p in catalogue.parameters}
    _check_parameters(program.parameters, f"{loc}.parameters", articles, problems)
    for j, spec in enumerate(program.parameters):
        if spec.name in shared:
            problems.add(
                f"{loc}.parameters[{j}].name",
                f"参数 {spec.name} 与全局参数重名",
                f"{spec.name} is already a policy-wide parameter",
            )
    return shared | {p.name for p in program.parameters}


def _check_program_rules(
    program: ProgramSpec,
    loc: str,
    articles: set[str],
    param_names: set[str],
    problems: _Problems,
) -> None:
    """Rule ids are unique, each rule is well formed, and an applicant_kind rule exists."""
    ids = [r.id for r in program.rules]
    for j, rule in enumerate(program.rules):
        rloc = f"{loc}.rules[{j}]"
        if ids.index(rule.id) != j:
            problems.add(f"{rloc}.id", f"规则编号 {rule.id} 重复", "duplicate rule id")
        _check_rule(rule, rloc, program, articles, param_names, problems)
    if "applicant_kind" not in {r.kind for r in program.rules}:
        problems.add(
            f"{loc}.rules", "须有一条 applicant_kind 规则", "an applicant_kind rule is required"
        )


def _check_program_amount(
    program: ProgramSpec, loc: str, param_names: set[str], problems: _Problems
) -> None:
    """The amount kind is known and its arguments fit; roster programs use roster_sum."""
    amount_kind: AmountKind | None = AMOUNT_KINDS.get(program.amount.kind)
    if amount_kind is None:
        problems.add(
            f"{loc}.amount.kind",
            f"未知的金额类型 {program.amount.kind!r}（可用：{'、'.join(AMOUNT_KINDS)}）",
            f"unknown amount kind {program.amount.kind!r}",
        )
    else:
        _check_arguments(
            amount_kind.args,
            amount_kind.params,
            program.amount.args,
            program.amount.params,
            f"{loc}.amount",
            program,
            param_names,
            problems,
        )
    if (program.outcome == "recognition") != (program.amount.kind == "none"):
        problems.add(
            f"{loc}.outcome",
            "认定类（recognition）事项没有金额（amount.kind: none），资金类（payment）事项须有金额",
            "a recognition has amount kind none, and a payment program has an amount",
        )
    if program.roster != (program.amount.kind == "roster_sum"):
        problems.add(
            f"{loc}.roster",
            "有花名册的事项金额须为 roster_sum，反之亦然",
            "roster programs, and only they, use amount roster_sum",
        )


def _check_program_time_limits(
    program: ProgramSpec,
    loc: str,
    catalogue: Catalogue,
    param_names: set[str],
    problems: _Problems,
) -> None:
    """办理时限: one per waiting state of the workflow, each a working-days parameter."""
    units = {p.name: p.unit for p in (*catalogue.parameters, *program.parameters)}
    waiting = set(program.waiting_states)
    for state, name in program.time_limits.items():
        tloc = f"{loc}.time_limits.{state}"
        if state not in waiting:
            problems.add(
                tloc, f"{state} 不是 {program.workflow} 流程的待办状态", "not a waiting state"
            )
        if name not in param_names:
            problems.add(tloc, f"参数 {name} 未定义", f"parameter {name} is not defined")
        elif units.get(name) != "working_days":
            problems.add(tloc, f"参数 {name} 的单位应为 working_days", "unit must be working_days")
    for state in program.waiting_states:
        if state not in program.time_limits:
            problems.add(f"{loc}.time_limits.{state}", "缺少办理时限", "time limit missing")


#: 法定时限 and 承诺时限 (working days from 受理; ``workflow.clock``).
STATUTORY_LIMIT: Final = "statutory_working_days"
PROMISED_LIMIT: Final = "promised_working_days"


def _check_program_service_limits(
    program: ProgramSpec, loc: str, catalogue: Catalogue, problems: _Problems
) -> None:
    """法定时限 and 承诺时限: both or neither, in working days, and the promised limit never
    above the statutory one on any day both hold."""
    specs: list[tuple[int | None, ParameterSpec]] = list(enumerate(program.parameters))
    specs += [(None, p) for p in catalogue.parameters]
    statutory = [(j, p) for j, p in specs if p.name == STATUTORY_LIMIT]
    promised = [(j, p) for j, p in specs if p.name == PROMISED_LIMIT]
    if bool(statutory) != bool(promised):
        missing = PROMISED_LIMIT if statutory else STATUTORY_LIMIT
        problems.add(
            f"{loc}.parameters",
            f"事项 {program.name}（{program.code}）须同时定义法定时限与承诺时限，缺少 {missing}",
            f"{program.code}: {missing} is missing",
        )
    for j, spec in (*statutory, *promised):
        if spec.unit != "working_days":
            where = f"{loc}.parameters[{j}].unit" if j is not None else f"{loc}.parameters"
            problems.add(
                where, f"参数 {spec.name} 的单位应为 working_days", "unit must be working_days"
            )
    for j, prom in promised:
        for _k, stat in statutory:
            if not _overlap(prom, stat) or prom.value <= stat.value:
                continue
            start = max(prom.valid_from, stat.valid_from)
            end = min(prom.valid_to or dt.date.max, stat.valid_to or dt.date.max)
            until = "今" if end == dt.date.max else end.isoformat()
            problems.add(
                f"{loc}.parameters[{j}].value" if j is not None else f"{loc}.parameters",
                f"事项 {program.name}（{program.code}）的承诺时限 {prom.value} 个工作日超过"
                f"法定时限 {stat.value} 个工作日（{start.isoformat()} 至 {until}），承诺时限不得"
                "超过法定时限",
                f"{program.code}: the promised limit {prom.value} exceeds the statutory "
                f"{stat.value} working days from {start.isoformat()}",
            )


def _check_catalogue(catalogue: Catalogue) -> list[tuple[str, str]]:
    problems = _Problems()
    paths = [a.path for a in catalogue.articles]
    for i, article in enumerate(catalogue.articles):
        if paths.index(article.path) != i:
            problems.add(f"articles[{i}].path", f"条款路径 {article.path} 重复", "duplicate path")
        if article.incomplete and not article.note:
            problems.add(f"articles[{i}].note", "不完整的条款须说明原因", "incomplete needs a note")
    articles = set(paths)
    if not any(e.kind in ("in_force", "issued") for e in catalogue.policy.events):
        problems.add("policy.events", "须有 issued 或 in_force 事件", "needs an in_force event")
    _check_parameters(catalogue.parameters, "parameters", articles, problems)
    codes = [p.code for p in catalogue.programs]
    for i, program in enumerate(catalogue.programs):
        if codes.index(program.code) != i:
            problems.add(f"programs[{i}].code", f"事项代码 {program.code} 重复", "duplicate code")
        _check_program(program, f"programs[{i}]", catalogue, articles, problems)
    return problems.items


# ---------------------------------------------------------------------------------------
# entry points


def catalogue_from_text(text: str, filename: str = "<catalogue>") -> Catalogue:
    """Parse and check a catalogue; :class:`CatalogueError` on the first problem."""
    raw = _read_yaml(text, filename)
    if not isinstance(raw, dict):
        raise CatalogueError(
            filename, "", "文件顶层应为映射（键: 值）/ the top level must be a mapping"
        )
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as exc:
        problems = [(_location(e["loc"]), _reason(e)) for e in exc.errors()]
        raise CatalogueError(filename, *problems[0], problems=problems) from None
    problems = _check_catalogue(catalogue)
    if problems:
        raise CatalogueError(filename, *problems[0], problems=problems)
    return catalogue


def load_catalogue(path: str | Path) -> Catalogue:
    """Read a catalogue file (UTF-8) and check it whole."""
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogueError(
            filename, "", f"无法读取文件 / cannot read the file: {exc.strerror}"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            filename,
            f"byte {exc.start}",
            "文件不是 UTF-8 编码 / the file is not UTF-8",
        ) from None
    return catalogue_from_text(text, filename)
