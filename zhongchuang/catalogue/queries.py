"""Read-only views of the catalogue for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from zhongchuang.cases.eligibility import parameter_record, program_spec
from zhongchuang.extensions import db
from zhongchuang.models import Article, Batch, MakerSpace, Parameter, Policy, Program
from zhongchuang.policy.materials import Material, materials_on
from zhongchuang.policy.parameters import ParameterTable
from zhongchuang.policy.status import event_record, policy_status
from zhongchuang.runtime import today
from zhongchuang.workflow.machine import current_workflow_for


@dataclass
class Overview:
    policies: list[dict[str, Any]] = field(default_factory=list)
    programs: list[dict[str, Any]] = field(default_factory=list)


def policy_state(policy: Policy) -> str:
    return policy_status([_event_tuple(e) for e in policy.events], today())


def _event_tuple(e: Any) -> Any:

    return event_record(e.date, e.kind, e.document)


def public_overview() -> Overview:
    ov = Overview()
    policies = db.session.execute(sa.select(Policy).order_by(Policy.id)).scalars().all()
    for p in policies:
        ov.policies.append({"policy": p, "status": policy_state(p)})
    programs = db.session.execute(sa.select(Program).order_by(Program.id)).scalars().all()
    t = today()
    open_batches = {
        b.program_id
        for b in db.session.execute(
            sa.select(Batch).where(Batch.opens_on <= t, Batch.closes_on >= t)
        ).scalars()
    }
    for prog in programs:
        ov.programs.append({"program": prog, "open": prog.id in open_batches})
    return ov


def get_policy(policy_id: int) -> Policy | None:
    return db.session.get(Policy, policy_id)


@dataclass
class PolicyView:
    policy: Policy
    status: str
    events: list[Any]
    articles: list[Any]
    programs_by_article: dict[str, list[Program]]


def policy_view(policy_id: int) -> PolicyView | None:

    policy = get_policy(policy_id)
    if policy is None:
        return None
    articles = list(
        db.session.execute(
            sa.select(Article).where(Article.policy_id == policy.id).order_by(Article.position)
        ).scalars()
    )
    by_article: dict[str, list[Program]] = {}
    for prog in policy.programs:
        for path in prog.articles:
            by_article.setdefault(path, []).append(prog)
    return PolicyView(
        policy=policy,
        status=policy_state(policy),
        events=list(policy.events),
        articles=articles,
        programs_by_article=by_article,
    )


@dataclass
class ProgramView:
    program: Program
    spec: Any
    policy: Policy
    articles: list[Any]
    parameters: list[Any]
    batches: list[Batch]
    open_batch: Batch | None
    workflow_id: str
    #: 申报材料, each required or optional as of today (``policy.materials``).
    materials: list[Material] = field(default_factory=list)
    #: The day ``materials`` are judged by.
    as_of: date | None = None


def program_view(code: str) -> ProgramView | None:

    program = db.session.execute(
        sa.select(Program).where(Program.code == code)
    ).scalar_one_or_none()
    if program is None:
        return None
    articles = list(
        db.session.execute(
            sa.select(Article)
            .where(Article.policy_id == program.policy_id, Article.path.in_(program.articles))
            .order_by(Article.position)
        ).scalars()
    )
    params = list(
        db.session.execute(
            sa.select(Parameter)
            .where(
                Parameter.policy_id == program.policy_id,
                sa.or_(Parameter.program_id == program.id, Parameter.program_id.is_(None)),
            )
            .order_by(Parameter.name, Parameter.valid_from)
        ).scalars()
    )
    batches = list(
        db.session.execute(
            sa.select(Batch).where(Batch.program_id == program.id).order_by(Batch.opens_on.desc())
        ).scalars()
    )
    t = today()
    open_batch = next((b for b in batches if b.is_open(t)), None)
    spec = program_spec(program)
    table = ParameterTable(parameter_record(p) for p in params)
    program.workflow_id_current = current_workflow_for(  # type: ignore[attr-defined]
        program.expert_review, "recognition" if program.outcome == "recognition" else "payment"
    )
    return ProgramView(
        program=program,
        spec=spec,
        policy=program.policy,
        articles=articles,
        parameters=params,
        batches=batches,
        open_batch=open_batch,
        workflow_id=program.workflow_id_current,  # type: ignore[attr-defined]
        materials=materials_on(spec.attachments, table, t),
        as_of=t,
    )


def maker_spaces() -> list[Any]:

    return list(db.session.execute(sa.select(MakerSpace).order_by(MakerSpace.id)).scalars())


def maker_space_choices() -> list[tuple[str, str]]:
    return [(str(s.id), f"{s.name}（{s.recognised_on}）") for s in maker_spaces()]
