"""The bridge between the database and the policy rules: builds the program spec, the
parameter table and the facts from the database, runs the pure evaluation, and keeps the
benefit claims that stop one benefit being paid twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zhongchuang.errors import Forbidden, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import (
    Application,
    BenefitClaim,
    MakerSpace,
    Organization,
    Parameter,
    Person,
    Policy,
    Program,
    RosterRow,
    User,
)
from zhongchuang.policy.catalogue import CatalogueError, ProgramSpec, catalogue_from_text
from zhongchuang.policy.dates import format_month, iter_months, parse_month
from zhongchuang.policy.evaluate import Evaluation, evaluate, parse_data
from zhongchuang.policy.facts import (
    Facts,
    PriorBenefits,
    RosterSummary,
    same_space,
    space_subject,
)
from zhongchuang.policy.fields import FieldValueError, is_blank, maker_space_key, parse_field
from zhongchuang.policy.identity import JIAXING_CITY, JIAXING_DISTRICTS, parse_credit_code
from zhongchuang.policy.parameters import ParameterError, ParameterRecord, ParameterTable
from zhongchuang.policy.preview import CHANGE_LABELS, CaseChange, preview_change
from zhongchuang.policy.status import is_in_force, policy_status
from zhongchuang.runtime import today, vault
from zhongchuang.workflow.machine import PREVIEW_STATES

_SPEC_CACHE: dict[tuple[int, int | None, int], ProgramSpec] = {}


def program_spec(program: Program) -> ProgramSpec:
    key = (program.id, program.catalogue_version_id, hash(str(program.definition.get("code"))))
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        spec = ProgramSpec.model_validate({**program.definition, "parameters": []})
        _SPEC_CACHE[key] = spec
    return spec


def parameter_table(program: Program) -> ParameterTable:
    rows = db.session.execute(
        sa.select(Parameter).where(
            Parameter.policy_id == program.policy_id,
            sa.or_(Parameter.program_id.is_(None), Parameter.program_id == program.id),
        )
    ).scalars()
    return ParameterTable(parameter_record(r) for r in rows)


def policy_parameter_table() -> ParameterTable:
    """The policy-wide parameters (those of no one program), over time."""
    rows = db.session.execute(sa.select(Parameter).where(Parameter.program_id.is_(None)))
    return ParameterTable(parameter_record(r) for r in rows.scalars())


def parameter_record(row: Parameter) -> ParameterRecord:
    """A stored parameter row as the policy's record (which dates it holds on is its say)."""
    value: Decimal | int = Decimal(row.value)
    if value == value.to_integral_value() and row.unit not in ("yuan", "sqm"):
        value = int(value)
    return ParameterRecord(
        name=row.name,
        value=value,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        article=row.article,
        confirmed=row.confirmed,
        unit=row.unit,
        source=row.source,
    )


def _param(
    program: Program,
    name: str,
    on: date,
    default: Any = None,
    params: ParameterTable | None = None,
) -> Any:
    try:
        table = params if params is not None else parameter_table(program)
        return table.value(name, on)
    except (ParameterError, KeyError):
        return default


# Each takes the program's parameter table when the caller already has it (one request
# asks for several values: read the table once and pass it down).


def time_limit(
    program: Program, state: str, on: date, params: ParameterTable | None = None
) -> int | None:
    name = program_spec(program).time_limits.get(state)
    if not name:
        return None
    value = _param(program, name, on, params=params)
    return int(value) if value is not None else None


def max_award(program: Program, on: date, params: ParameterTable | None = None) -> Decimal | None:
    value = _param(program, "max_award", on, params=params)
    return Decimal(str(value)) if value is not None else None


def min_expert_scores(program: Program, on: date, params: ParameterTable | None = None) -> int:
    return int(_param(program, "min_expert_scores", on, 3, params))


def expert_criteria(program: Program) -> tuple[tuple[str, int], ...]:
    """专家评审指标 of the program, ``(code, max)`` in catalogue order (none without)."""
    return tuple((c.code, c.max) for c in program_spec(program).expert_criteria)


# --- who may apply, and where a case belongs --------------------------------------------


def applicant_kind_allowed(user: User, program: Program) -> tuple[bool, str]:
    spec = program_spec(program)
    org = user.organization
    for kind in spec.applicant_kinds:
        if kind.kind == "person" and user.person_id is not None:
            return True, ""
        if kind.kind == "organization" and org is not None:
            if kind.org_kinds and org.kind not in kind.org_kinds:
                continue
            if kind.enterprise_sizes and org.enterprise_size not in kind.enterprise_sizes:
                continue
            return True, ""
    return False, f"“{program.name}”的申请人类型与您的账号不符。"


def applicant_may_apply(user: User, program: Program) -> None:
    if not user.has_role("applicant"):
        raise Forbidden("只有申请人账号可以提出申报。")
    ok, why = applicant_kind_allowed(user, program)
    if not ok:
        raise Forbidden(why)


def case_district(user: User, program: Program, data: dict[str, Any]) -> str:
    """An organisation's case is in its district; a person's in the district of the
    business it concerns (from its credit code, or the chosen district when the code
    names the city as a whole)."""
    if user.organization is not None:
        return user.organization.district
    code = data.get("business_credit_code")
    if isinstance(code, str) and code:
        try:
            district = parse_credit_code(code).district_code
        except ValueError:
            district = ""
        if district in JIAXING_DISTRICTS:
            return district
    chosen = data.get("district")
    if isinstance(chosen, str) and chosen in JIAXING_DISTRICTS:
        return chosen
    return JIAXING_CITY


# --- data -------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def clean_data(program: Program, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check each field's value and normalise it for storage; refuse unknown fields.
    With ``partial`` (a draft), blank fields are allowed."""
    if not isinstance(data, dict):
        raise ValidationFailed("申报数据须为对象。", errors={"data": ["须为 JSON 对象。"]})
    spec = program_spec(program)
    known = {f.name: f for f in spec.fields}
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name, raw in data.items():
        f = known.get(name)
        if f is None:
            errors[str(name)[:60]] = ["该事项没有这一项。"]
            continue
        if is_blank(raw):
            if not partial and f.required:
                errors[name] = [f"请填写“{f.label}”。"]
            continue
        if isinstance(raw, str) and len(raw) > 5000:
            errors[name] = ["内容过长。"]
            continue
        if isinstance(raw, list | dict):
            errors[name] = ["取值类型不正确。"]
            continue
        try:
            value = parse_field(f, raw)
        except FieldValueError as exc:
            errors[name] = [f"“{f.label}”{exc.message}"]
            continue
        if f.type == "month" and isinstance(value, date):
            out[name] = format_month(value)
        else:
            out[name] = _jsonable(value)
    if errors:
        raise ValidationFailed("申报信息有误，请按提示修改。", errors=errors)
    return out


# --- facts ------------------------------------------------------------------------------


def _policy(program: Program) -> Policy:
    return db.session.get(Policy, program.policy_id)


#: Maker-space ids are integer primary keys (PostgreSQL ``integer``).
_MAX_ID = 2**31 - 1


def _chosen_space_ids(spec: ProgramSpec, values: dict[str, Any]) -> set[int]:
    """The maker spaces the data name, in the program's ``maker_space`` fields, as ids."""
    ids = set()
    for f in spec.fields:
        if f.type != "maker_space":
            continue
        try:
            key = maker_space_key(values.get(f.name))  # as the rule compares it
        except FieldValueError:
            continue
        if key.isascii() and key.isdigit() and int(key) <= _MAX_ID:
            ids.add(int(key))
    return ids


def recognised_space_ids(ids: Iterable[int], on: date) -> frozenset[int]:
    """Those of ``ids`` that are maker spaces recognised on ``on`` (asked of these ids
    only: no query when there are none)."""
    wanted = sorted(set(ids))
    if not wanted:
        return frozenset()
    return frozenset(
        db.session.execute(
            sa.select(MakerSpace.id).where(
                MakerSpace.id.in_(wanted), MakerSpace.recognised_on <= on
            )
        ).scalars()
    )


def facts_for(
    program: Program,
    as_of: date,
    *,
    user: User | None = None,
    case: Application | None = None,
    values: dict[str, Any] | None = None,
    policy: Policy | None = None,
    space_ids: Iterable[int] | None = None,
) -> Facts:
    """What the program's rules need about the applicant and the world for ``values``.

    Of the recognised maker spaces only ``space_ids`` are looked up — by default those the
    data name in the program's ``maker_space`` fields: the rule asks whether the chosen
    one is among them. ``policy``: the program's policy, if the caller has it."""
    org: Organization | None = None
    person: Person | None = None
    if case is not None:
        org = case.organization
        person = case.person
    elif user is not None:
        org = user.organization
        person = user.person
    spec = program_spec(program)
    values = values or {}
    if space_ids is None:
        space_ids = _chosen_space_ids(spec, values)
    policy = policy if policy is not None else _policy(program)
    prior = _prior_benefits(spec, case, person, org, values)
    roster = roster_summary(case) if spec.roster and case is not None else None
    return Facts(
        applicant_kind="organization" if org else ("person" if person else None),
        org_kind=org.kind if org else None,
        enterprise_size=org.enterprise_size if org else None,
        org_district=org.district if org else None,
        org_credit_code=org.credit_code if org else None,
        recognised_maker_space_ids=recognised_space_ids(space_ids, as_of),
        prior_benefits=prior,
        roster_summary=roster,
        policy_events=tuple(policy.events),
    )


def _subject(
    spec: ProgramSpec, person: Person | None, org: Organization | None, values: dict[str, Any]
) -> str | None:
    if spec.benefit.subject == "person":
        return person.id_number_hash if person else None
    if spec.benefit.subject == "space":
        name = str(values.get("space_name") or "").strip()
        return space_subject(name, str(values.get("address") or "")) if name else None
    code = values.get("business_credit_code")
    if code:
        return str(code)
    return org.credit_code if org else None


def _other_claims(benefit: str, subject: str, case: Application | None) -> list[BenefitClaim]:
    stmt = sa.select(BenefitClaim).where(
        BenefitClaim.benefit == benefit, BenefitClaim.subject == subject, BenefitClaim.active
    )
    if case is not None and case.id is not None:
        stmt = stmt.where(BenefitClaim.application_id != case.id)
    return list(db.session.execute(stmt).scalars())


def _prior_benefits(
    spec: ProgramSpec,
    case: Application | None,
    person: Person | None,
    org: Organization | None,
    values: dict[str, Any],
) -> PriorBenefits:
    subject = _subject(spec, person, org, values)
    if subject is None or spec.roster:
        return PriorBenefits()
    key = spec.benefit.key
    claims = _other_claims(key, subject, case)
    grants = len({c.application_id for c in claims})
    if spec.benefit.subject == "space":
        grants += _recognised_elsewhere(values, {c.application_id for c in claims}, case)
    years = frozenset(int(c.period) for c in claims if c.period.isdigit())
    months = frozenset(
        parse_month(c.period) for c in claims if len(c.period) == 7 and c.period[4] == "-"
    )
    return PriorBenefits(grants={key: grants}, years={key: years}, months={key: months})


def _recognised_elsewhere(
    values: dict[str, Any], counted: set[int], case: Application | None
) -> int:
    """Recognised spaces of the same name and address not already counted by a claim
    (e.g. recognised before this system, or loaded by an administrator)."""
    name = str(values.get("space_name") or "").strip()
    address = str(values.get("address") or "")
    rows = db.session.execute(
        sa.select(MakerSpace.application_id, MakerSpace.name, MakerSpace.address).where(
            MakerSpace.name == name
        )
    ).all()
    mine = case.id if case is not None else None
    return sum(
        1
        for app_id, other_name, other_address in rows
        if app_id not in counted
        and (app_id is None or app_id != mine)
        and same_space(name, address, other_name, other_address)
    )


def roster_summary(case: Application) -> RosterSummary:
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(RosterRow.accepted),
            sa.func.count().filter(sa.not_(RosterRow.accepted)),
            sa.func.coalesce(sa.func.sum(RosterRow.amount).filter(RosterRow.accepted), 0),
        ).where(RosterRow.application_id == case.id)
    ).one()
    return RosterSummary(
        accepted_rows=int(row[0] or 0),
        rejected_rows=int(row[1] or 0),
        accepted_amount=Decimal(str(row[2] or 0)).quantize(Decimal("0.01")),
    )


# --- evaluation -------------------------------------------------------------------------


@dataclass
class CaseOutcome:
    eligible: bool
    amount: Decimal | None
    explanation: list[dict[str, Any]]
    snapshot: dict[str, Any]
    failures: list[str]
    policy_in_force: bool
    policy_message: str
    duplicate: str | None
    claims: list[tuple[str, str, str]] = field(default_factory=list)
    catalogue_version_id: int | None = None

    def submission_facts(self) -> dict[str, Any]:
        """What the submit guards judge (``workflow.guards.CaseFacts``): a field left blank
        or invalid is named by the field (``invalid_fields``), apart from the failed rules."""
        failed = [line for line in self.explanation if not line.get("passed")]
        fields = tuple(
            (str(line["rule"]).removeprefix("field:"), str(line.get("message") or ""))
            for line in failed
            if str(line.get("rule") or "").startswith("field:")
        )
        rules = tuple(
            str(line.get("message") or "")
            for line in failed
            if not str(line.get("rule") or "").startswith("field:")
        )
        return {
            "eligible": self.eligible,
            "eligibility_failures": rules,
            "invalid_fields": fields,
            "policy_in_force_on_submission": self.policy_in_force,
            "duplicate_benefit": self.duplicate,
            "computed_amount": self.amount,
        }


def evaluate_case(
    case: Application, as_of: date, params: ParameterTable | None = None
) -> CaseOutcome:
    """Judge a case as of its submission date (从旧) and collect what it would claim."""
    program = case.program
    spec = program_spec(program)
    params = params if params is not None else parameter_table(program)
    policy = _policy(program)
    facts = facts_for(program, as_of, case=case, values=case.data or {}, policy=policy)
    ev = evaluate(spec, case.data or {}, as_of, params, facts)
    in_force = is_in_force(policy.events, as_of)
    status = policy_status(policy.events, as_of)
    word = "已废止" if status == "repealed" else "尚未施行"
    policy_message = (
        "" if in_force else f"{policy.doc_number} 在 {as_of} {word}，不再受理新的申报。"
    )
    claims = claims_for(case, spec, ev)
    duplicate = find_duplicate(case, claims)
    if (
        duplicate is None
        and spec.benefit.subject == "space"
        and facts.prior_benefits.grants.get(spec.benefit.key)
    ):
        duplicate = "同名同址的众创空间已认定或正在申请认定，同一众创空间只认定一次。"
    if duplicate is None and spec.roster:
        duplicate = months_over_cap(case, spec, claims, params, as_of)
    snapshot = {
        **ev.as_json(),
        "catalogue_version_id": program.catalogue_version_id,
        "parameters": params.snapshot(as_of),
        "policy": {"doc_number": policy.doc_number, "status": status},
    }
    return CaseOutcome(
        eligible=ev.eligible,
        amount=ev.amount,
        explanation=[r.as_json() for r in ev.explanation],
        snapshot=snapshot,
        failures=[r.message for r in ev.failed],
        policy_in_force=in_force,
        policy_message=policy_message,
        duplicate=duplicate,
        claims=claims,
        catalogue_version_id=program.catalogue_version_id,
    )


def explain(user: User | None, program: Program, data: dict[str, Any], as_of: date) -> Evaluation:
    """The eligibility explanation for data not yet submitted (self-check, draft page, API)."""
    spec = program_spec(program)
    values, _invalid = parse_data(spec, data)
    facts = facts_for(program, as_of, user=user, values=values)
    return evaluate(spec, data, as_of, parameter_table(program), facts)


def self_check(program: Program, data: dict[str, Any], as_of: date) -> Evaluation:
    return explain(None, program, data, as_of)


# --- benefit claims ---------------------------------------------------------------------


def claims_for(case: Application, spec: ProgramSpec, ev: Evaluation) -> list[tuple[str, str, str]]:
    """The units of benefit a case claims: (benefit, subject, period)."""
    key = spec.benefit.key
    if spec.roster:
        rows = db.session.execute(
            sa.select(RosterRow.id_number_hash, RosterRow.month).where(
                RosterRow.application_id == case.id, RosterRow.accepted
            )
        ).all()
        return sorted({(key, h, m) for h, m in rows if h and m})
    values, _invalid = parse_data(spec, case.data or {})
    subject = _subject(spec, case.person, case.organization, values)
    if subject is None:
        return []
    per = spec.benefit.per
    if per == "once":
        return [(key, subject, "once")]
    if per == "year":
        year = values.get("year")
        return [(key, subject, str(year))] if year else []
    start = values.get("interest_period_start")
    end = values.get("interest_period_end")
    if isinstance(start, date) and isinstance(end, date) and start <= end:
        return [(key, subject, format_month(m)) for m in iter_months(start, end)]
    return []


def find_duplicate(case: Application, claims: Iterable[tuple[str, str, str]]) -> str | None:
    claims = list(claims)
    if not claims:
        return None
    conds = [
        sa.and_(BenefitClaim.benefit == b, BenefitClaim.subject == s, BenefitClaim.period == p)
        for b, s, p in claims
    ]
    found = []
    for i in range(0, len(conds), 500):
        found += db.session.execute(
            sa.select(BenefitClaim.period, Application.number)
            .join(Application, Application.id == BenefitClaim.application_id)
            .where(
                BenefitClaim.active,
                BenefitClaim.application_id != case.id,
                sa.or_(*conds[i : i + 500]),
            )
            .limit(5)
        ).all()
        if found:
            break
    if not found:
        return None
    period, number = found[0]
    when = "" if period == "once" else f"（{period}）"
    return f"同一补助{when}已由申报 {number} 申领或享受，不能重复享受。"


def months_over_cap(
    case: Application,
    spec: ProgramSpec,
    claims: list[tuple[str, str, str]],
    params: ParameterTable,
    as_of: date,
) -> str | None:
    """At most ``max_months`` subsidised months per person, across every enterprise's
    claims: checked again at submit, since two drafts may each pass on their own."""
    try:
        cap = int(params.value("max_months", as_of))
    except (ParameterError, KeyError):
        return None
    mine: dict[str, set[str]] = {}
    for _b, subject, period in claims:
        mine.setdefault(subject, set()).add(period)
    subjects = list(mine)
    others: dict[str, set[str]] = {}
    for i in range(0, len(subjects), 1000):
        rows = db.session.execute(
            sa.select(BenefitClaim.subject, BenefitClaim.period).where(
                BenefitClaim.benefit == spec.benefit.key,
                BenefitClaim.active,
                BenefitClaim.application_id != case.id,
                BenefitClaim.subject.in_(subjects[i : i + 1000]),
            )
        ).all()
        for subject, period in rows:
            others.setdefault(subject, set()).add(period)
    over = [h for h, months in mine.items() if len(months | others.get(h, set())) > cap]
    if not over:
        return None
    names = db.session.execute(
        sa.select(RosterRow.name)
        .where(RosterRow.application_id == case.id, RosterRow.id_number_hash.in_(over[:5]))
        .distinct()
    ).scalars()
    who = "、".join(names)
    return (
        f"{len(over)} 人的补贴月数连同其他申报已超过每人累计 {cap} 个月（{who}…），"
        "请从花名册中去掉超出的月份后重新上传。"
    )


def replace_claims(case: Application, claims: list[tuple[str, str, str]]) -> None:
    db.session.execute(sa.delete(BenefitClaim).where(BenefitClaim.application_id == case.id))
    db.session.add_all(
        BenefitClaim(application_id=case.id, benefit=b, subject=s, period=p, active=True)
        for b, s, p in claims
    )
    db.session.flush()


def release_claims(case: Application) -> None:
    db.session.execute(
        sa.update(BenefitClaim).where(BenefitClaim.application_id == case.id).values(active=False)
    )


def lookup_hash(id_number: str) -> str:
    return vault().lookup_hash(id_number)


# --- preview of a changed catalogue (变更预览) -------------------------------------------

#: Cases still waiting for a decision: a catalogue change could alter their outcome.


@dataclass(frozen=True)
class _Stored:
    """A case's stored outcome, shaped like an evaluation for ``policy.preview``."""

    eligible: bool
    amount: Decimal | None
    explanation: tuple[Any, ...]


@dataclass(frozen=True)
class _Line:
    rule: str
    passed: bool


@dataclass(frozen=True)
class CatalogueChange:
    """One pending case whose eligibility or amount would change under the new file."""

    case_id: int
    number: str
    program: str
    program_name: str
    applicant: str
    state: str
    change: CaseChange

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.change.change]

    def describe(self) -> str:
        c = self.change

        def yes_no(value: bool | None) -> str:
            return "—" if value is None else ("符合" if value else "不符合")

        def money(value: Decimal | None) -> str:
            return "—" if value is None else f"{value:.2f}"

        text = (
            f"{self.number} {self.program_name} {self.applicant}：{self.label}；"
            f"资格 {yes_no(c.old_eligible)} → {yes_no(c.new_eligible)}，"
            f"金额 {money(c.old_amount)} → {money(c.new_amount)}"
        )
        if c.newly_failed:
            text += f"；新增未通过规则：{'、'.join(c.newly_failed)}"
        if c.newly_passed:
            text += f"；新增通过规则：{'、'.join(c.newly_passed)}"
        return text


def _stored_outcome(case: Application) -> _Stored:
    lines = tuple(
        _Line(str(line.get("rule")), bool(line.get("passed")))
        for line in (case.explanation or [])
        if isinstance(line, dict) and line.get("rule")
    )
    return _Stored(bool(case.eligible), case.computed_amount, lines)


def preview_catalogue(text: str, filename: str) -> list[CatalogueChange]:
    """Judge every pending case under a catalogue file that is not loaded, and list those
    whose eligibility or amount would differ from what is stored. Writes nothing.

    A malformed file raises ``CatalogueError`` (location and reason). Each case is judged
    as of its submission date (从旧) by the new file's rules and parameters, as written."""

    catalogue = catalogue_from_text(text, filename)
    specs = {p.code: p for p in catalogue.programs}
    tables: dict[str, ParameterTable] = {}
    for code in specs:
        try:
            tables[code] = catalogue.parameter_table(code)
        except ValueError as exc:
            raise CatalogueError(filename, f"programs[{code}].parameters", str(exc)) from None
    events = catalogue.status_events()
    cases = db.session.execute(
        sa.select(Application)
        .join(Program, Program.id == Application.program_id)
        .join(Policy, Policy.id == Program.policy_id)
        .where(
            Application.state.in_(PREVIEW_STATES),
            sa.or_(
                Program.code.in_(list(specs)),
                Policy.doc_number == catalogue.policy.doc_number,
            ),
        )
        .order_by(Application.id)
    ).scalars()
    old: dict[int, _Stored] = {}
    new: dict[int, Evaluation] = {}
    by_id: dict[int, Application] = {}
    for case in cases:
        by_id[case.id] = case
        old[case.id] = _stored_outcome(case)
        spec = specs.get(case.program.code)
        if spec is None:
            continue  # the program is gone from the file: "removed"
        as_of = case.submitted_on or today()
        data = case.data or {}
        # The file's rules judge the case: look up the maker spaces its fields name.
        chosen = _chosen_space_ids(spec, data)
        facts = facts_for(case.program, as_of, case=case, values=data, space_ids=chosen)
        if case.program.policy.doc_number == catalogue.policy.doc_number:
            facts = replace(facts, policy_events=events)
        new[case.id] = evaluate(spec, case.data or {}, as_of, tables[spec.code], facts)
    preview = preview_change(old, new)
    out = []
    for ch in preview.changes:
        if ch.change == "unchanged":
            continue
        case = by_id[int(ch.case_id)]  # type: ignore[call-overload]
        out.append(
            CatalogueChange(
                case_id=case.id,
                number=case.number,
                program=case.program.code,
                program_name=case.program.name,
                applicant=case.applicant_name or "",
                state=case.state,
                change=ch,
            )
        )
    return out
