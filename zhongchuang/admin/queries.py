"""Read-only views for the administration pages: accounts, who holds which role, the
parameters with their sources, batches with their money, figures for the start page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zhongchuang.extensions import db
from zhongchuang.models import (
    ROLES,
    STAFF_ROLES,
    AuditEvent,
    Batch,
    CatalogueVersion,
    Organization,
    OutboxMail,
    Parameter,
    Person,
    Policy,
    Program,
    User,
    UserRole,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_cursor: int | None


def users_matching(
    *, role: str | None = None, active: bool | None = None, q: str | None = None
) -> sa.Select[tuple[User]]:
    """The accounts a filter names, for the admin page and the API alike: holding ``role``,
    active or not, ``q`` anywhere in the username, the name or the e-mail address."""
    stmt = sa.select(User)
    if role in ROLES:
        stmt = stmt.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    text = (q or "").strip().lower()
    if text:
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.username).contains(text, autoescape=True),
                sa.func.lower(User.display_name).contains(text, autoescape=True),
                sa.func.lower(User.email).contains(text, autoescape=True),
            )
        )
    return stmt


def list_users(
    *,
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    cursor: int | None = None,
    limit: int = PAGE_SIZE,
) -> UserPage:
    """Accounts in id order, filtered; ``cursor`` is the last id of the previous page."""
    stmt = users_matching(role=role, active=active, q=q)
    if cursor:
        stmt = stmt.where(User.id > cursor)
    rows = list(db.session.execute(stmt.order_by(User.id).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return UserPage(rows, rows[-1].id if more and rows else None)


def role_holders() -> dict[str, list[User]]:
    """For each staff role, the accounts holding it (active first)."""
    out: dict[str, list[User]] = {role: [] for role in STAFF_ROLES}
    rows = db.session.execute(
        sa.select(UserRole.role, User)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role.in_(STAFF_ROLES))
        .order_by(User.active.desc(), User.username)
    ).all()
    for role, user in rows:
        out[role].append(user)
    return out


def applicant_count() -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(UserRole).where(UserRole.role == "applicant")
    ).scalar_one()


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_person(person_id: int) -> Person | None:
    return db.session.get(Person, person_id)


def get_organization(organization_id: int) -> Organization | None:
    return db.session.get(Organization, organization_id)


@dataclass(frozen=True)
class ParameterRow:
    parameter: Parameter
    policy: str
    program_code: str | None
    program_name: str | None


def all_parameters() -> list[ParameterRow]:
    """Every parameter value over time, with its source, validity and whether it is
    confirmed by a published text."""
    rows = db.session.execute(
        sa.select(Parameter, Policy.doc_number, Program.code, Program.name)
        .join(Policy, Policy.id == Parameter.policy_id)
        .outerjoin(Program, Program.id == Parameter.program_id)
        .order_by(
            Policy.id, Program.id.is_not(None), Program.id, Parameter.name, Parameter.valid_from
        )
    ).all()
    return [ParameterRow(p, doc, code, name) for p, doc, code, name in rows]


@dataclass(frozen=True)
class CriteriaRow:
    """专家评审指标 of one program with expert review, as its catalogue entry gives them."""

    program_code: str
    program_name: str
    criteria: list[dict[str, Any]]
    confirmed: bool
    source: str | None


def expert_criteria_rows() -> list[CriteriaRow]:
    """The criteria of every program with expert review, and whether a published text
    confirms them (none does: they are shown as unconfirmed)."""
    programs = db.session.execute(
        sa.select(Program).where(Program.expert_review.is_(True)).order_by(Program.id)
    ).scalars()
    return [
        CriteriaRow(
            program_code=p.code,
            program_name=p.name,
            criteria=list(p.definition.get("expert_criteria") or []),
            confirmed=bool(p.definition.get("expert_criteria_confirmed", False)),
            source=p.definition.get("expert_criteria_source"),
        )
        for p in programs
    ]


def batches_matching(program: str | None = None) -> sa.Select[tuple[Batch]]:
    """The batches of one program (or all), for the admin page and the API alike."""
    stmt = sa.select(Batch).join(Program, Program.id == Batch.program_id)
    return stmt.where(Program.code == program) if program else stmt


def batches(program: str | None = None) -> list[Batch]:
    """Batches, the latest window first."""
    stmt = batches_matching(program).order_by(Batch.opens_on.desc(), Batch.id.desc())
    return list(db.session.execute(stmt).scalars())


def get_batch(batch_id: int) -> Batch | None:
    return db.session.get(Batch, batch_id)


def program_choices() -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in db.session.execute(
            sa.select(Program.code, Program.name).order_by(Program.id)
        ).all()
    ]


def overview() -> dict[str, Any]:
    def count(stmt: Any) -> int:
        return int(db.session.execute(stmt).scalar_one() or 0)

    return {
        "staff": count(
            sa.select(sa.func.count(sa.distinct(UserRole.user_id))).where(
                UserRole.role.in_(STAFF_ROLES)
            )
        ),
        "inactive": count(
            sa.select(sa.func.count()).select_from(User).where(User.active.is_(False))
        ),
        "applicants": applicant_count(),
        "unconfirmed": count(
            sa.select(sa.func.count()).select_from(Parameter).where(Parameter.confirmed.is_(False))
        ),
        "failed_mails": count(
            sa.select(sa.func.count()).select_from(OutboxMail).where(OutboxMail.status == "failed")
        ),
        "events": count(sa.select(sa.func.count()).select_from(AuditEvent)),
        "batches": count(sa.select(sa.func.count()).select_from(Batch)),
    }


def catalogue_versions(limit: int = 20) -> list[CatalogueVersion]:
    return list(
        db.session.execute(
            sa.select(CatalogueVersion).order_by(CatalogueVersion.id.desc()).limit(limit)
        ).scalars()
    )
