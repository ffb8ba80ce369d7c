"""政策体检 — every program open on a day to the caller's kind of applicant, judged on
what the system already holds about them: their registration (kind, size, district,
credit code), the maker spaces recognised that day, their earlier cases (the fields that
describe the applicant, ``profile`` in the catalogue) and the benefits already claimed.
Reads only; the verdicts are ``policy.check``'s."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from zhongchuang.cases import engine as cases
from zhongchuang.cases.eligibility import facts_for, parameter_table, program_spec
from zhongchuang.errors import Forbidden
from zhongchuang.extensions import db
from zhongchuang.models import Application, Batch, Program, User
from zhongchuang.policy.catalogue import ProgramSpec
from zhongchuang.policy.check import ROSTER, STATUS_LABELS, CheckResult, profile_values, verdict
from zhongchuang.policy.evaluate import evaluate, parse_data
from zhongchuang.runtime import today

STATUSES = tuple(STATUS_LABELS)

#: How many of the applicant's latest cases are read for what they said about themselves.
EARLIER_CASES = 200


@dataclass(frozen=True)
class ProgramCheck:
    program: Program
    batch: Batch
    result: CheckResult
    labels: Mapping[str, str]

    @property
    def missing_labels(self) -> list[str]:
        return [
            "花名册" if name == ROSTER else self.labels.get(name, name)
            for name in self.result.missing
        ]


def kind_matches(user: User, spec: ProgramSpec) -> bool:
    """The program is for this kind of applicant (a person, or an organisation of the
    right kind). Size is a condition, not a kind: a medium enterprise is told it fails."""
    for kind in spec.applicant_kinds:
        if kind.kind == "person" and user.person_id is not None:
            return True
        org = user.organization
        if (
            kind.kind == "organization"
            and org is not None
            and (not kind.org_kinds or org.kind in kind.org_kinds)
        ):
            return True
    return False


def earlier_data(user: User) -> list[dict[str, Any]]:
    """The data of the applicant's own cases (their organisation's, or their own as a
    person), newest first: submitted ones before drafts."""
    if user.organization_id is not None:
        mine = Application.organization_id == user.organization_id
    elif user.person_id is not None:
        mine = Application.person_id == user.person_id
    else:
        return []
    rows = db.session.execute(
        sa.select(Application.data)
        .where(mine)
        .order_by((Application.state == "draft").asc(), Application.id.desc())
        .limit(EARLIER_CASES)
    ).scalars()
    return [d for d in rows if isinstance(d, dict)]


def known_values(user: User, program: Program, sources: list[dict[str, Any]] | None = None) -> dict:
    """What a new form of ``program`` can be pre-filled with for ``user``."""
    spec = program_spec(program)
    return profile_values(spec, earlier_data(user) if sources is None else sources)


def check_program(
    user: User, program: Program, on: date, sources: list[dict[str, Any]]
) -> CheckResult:
    spec = program_spec(program)
    known = profile_values(spec, sources)
    values, _invalid = parse_data(spec, known)
    facts = facts_for(program, on, user=user, values=values)
    ev = evaluate(spec, known, on, parameter_table(program), facts)
    return verdict(spec, ev, known)


def policy_check(user: User, on: date | None = None) -> list[ProgramCheck]:
    """Every program open on ``on`` (today by default) to the applicant's kind."""
    if not user.has_role("applicant"):
        raise Forbidden("政策体检仅供申请人使用。")
    on = on or today()
    sources = earlier_data(user)
    out = []
    programs = db.session.execute(sa.select(Program).order_by(Program.id)).scalars()
    for program in programs:
        spec = program_spec(program)
        if not kind_matches(user, spec):
            continue
        batch = cases.open_batch_for(program, on)
        if batch is None:
            continue
        result = check_program(user, program, on, sources)
        out.append(ProgramCheck(program, batch, result, {f.name: f.label for f in spec.fields}))
    return out
