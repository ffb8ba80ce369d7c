"""Which cases a user may see, and whose a case is: the lowest layer of the case services.

It reads the models and nothing of the engine, so that the modules the engine itself calls
(attachments, statistics, …) can ask it without importing ``services.cases``.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongchuang.errors import NotFound
from zhongchuang.extensions import db
from zhongchuang.models import Application, ExpertAssignment, Program, User

CITY_WIDE_ROLES = frozenset({"city_reviewer", "finance", "admin"})


def visibility_filter(user: User) -> sa.ColumnElement[bool]:
    """Which cases a user may see: applicants their own (or their organisation's), county
    reviewers their district, experts the cases assigned to them, city roles all — finance
    only the programs that pay (a recognition never reaches finance)."""
    roles = set(user.roles)
    clauses: list[sa.ColumnElement[bool]] = []
    if roles & (CITY_WIDE_ROLES - {"finance"}):
        return sa.true()
    if "finance" in roles:
        clauses.append(
            Application.program_id.in_(sa.select(Program.id).where(Program.outcome == "payment"))
        )
    if "county_reviewer" in roles and user.district:
        clauses.append(sa.and_(Application.district == user.district, Application.state != "draft"))
    if "expert" in roles:
        clauses.append(
            Application.id.in_(
                sa.select(ExpertAssignment.application_id).where(
                    ExpertAssignment.expert_id == user.id,
                    # 回避: an expert who declared a conflict no longer sees the case.
                    ExpertAssignment.recused.is_(False),
                )
            )
        )
    if "applicant" in roles:
        # An applicant acts for an organisation or as a person; one with neither (e.g. a
        # member removed from their organisation) sees no case, not even their own drafts.
        if user.organization_id is not None:
            clauses.append(Application.organization_id == user.organization_id)
        elif user.person_id is not None:
            clauses.append(Application.person_id == user.person_id)
    return sa.or_(*clauses) if clauses else sa.false()


def case_search(q: str | None) -> sa.ColumnElement[bool] | None:
    """What a search for cases matches, on the reviewers' queue and in the API alike: the
    case number from its start, or the applicant's name anywhere (``None``: no search)."""
    text = (q or "").strip()
    if not text:
        return None
    return sa.or_(
        Application.number.istartswith(text, autoescape=True),
        Application.applicant_name.contains(text, autoescape=True),
    )


def get_visible(user: User, case_id: int, *, lock: bool = False) -> Application:
    """The case, or NotFound when it does not exist or the user may not see it."""
    stmt = sa.select(Application).where(Application.id == case_id, visibility_filter(user))
    if lock:
        stmt = stmt.with_for_update(of=Application)
    case = db.session.execute(stmt).unique().scalar_one_or_none()
    if case is None:
        raise NotFound()
    return case


def is_own(user: User, case: Application) -> bool:
    """Whether the case is the user's: their organisation's, their person's, or theirs."""
    if case.organization_id is not None:
        return user.organization_id == case.organization_id
    if case.person_id is not None:
        return user.person_id == case.person_id
    return case.applicant_user_id == user.id
