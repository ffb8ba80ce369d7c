"""One small world for the security tests, built through the real services.

Three cases of district 330411 (秀洲区), each owned by another kind of applicant:

- ``M`` — the maker-space recognition case of operator A: returned once (a decision letter),
  resubmitted, accepted, approved at first instance and given to one expert; it has
  attachments, and A has notifications about it.
- ``P`` — the employment-driving grant of person B (an identity number): approved by the
  city and in a public notice, with an objection from the public.
- ``R`` — the graduate social-insurance claim of enterprise E: a draft with a roster
  (identity numbers of graduates).

Actors are named relative to a case: ``owner`` is the case's applicant, ``other`` another
applicant; ``county`` reviews 330411, ``county_x`` 330402; ``expert`` is assigned to M,
``expert_x`` to nothing.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tests.conftest import login_as
from tests.helpers import MINIMAL_PDF, attach_for_submit, attach_required
from tests.integration.reviewer_support import RECOGNITION_DATA
from tests.integration.roster_support import PERIOD, csv_bytes, graduate_id, person_rows
from zhongchuang.accounts import members
from zhongchuang.accounts import operations as accounts
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import (
    Attachment,
    AuditEvent,
    Batch,
    Document,
    MakerSpace,
    Notification,
    Objection,
    OutboxMail,
    Person,
    Program,
    RosterRow,
)
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.review import experts
from zhongchuang.roster import operations as roster
from zhongchuang.runtime import now, vault

ACTORS = (
    "anon",
    "owner",
    "other",
    "county",
    "county_x",
    "expert",
    "expert_x",
    "city",
    "finance",
    "admin",
)
DISTRICT = "330411"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: Graduates on R's roster (their numbers must never be shown whole).
ROSTER_IDS = (graduate_id(901), graduate_id(902), graduate_id(903))


@dataclass
class Case:
    key: str
    id: int
    owner: Any
    other: Any


@dataclass
class World:
    users: dict[str, Any]
    cases: dict[str, Case]
    ids: dict[str, int | str]
    full_ids: list[str] = field(default_factory=list)

    def user(self, actor: str, subject: str = "M") -> Any:
        """The user behind an actor name, for a case (owner/other depend on the case)."""
        if actor == "anon":
            return None
        if actor in ("owner", "other"):
            return getattr(self.cases[subject], actor)
        return self.users[actor]


def build_world(factory: Any) -> World:
    admin = factory.staff("admin", username="sec_admin")
    batch = batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    batches.create_batch(
        admin, "makerspace_recognition", 2021, date(2021, 3, 1), date(2021, 4, 30), Decimal("0")
    )
    _roster_batch_and_space()
    op_a = factory.operator(district=DISTRICT, username="sec_op_a")
    person_b = factory.person(name="陈小红", username="sec_person_b")
    ent_e = factory.organization(
        kind="enterprise", size="small", district=DISTRICT, username="sec_ent_e"
    )
    county = factory.staff("county_reviewer", district=DISTRICT, username="sec_xiuzhou")
    county_x = factory.staff("county_reviewer", district="330402", username="sec_nanhu")
    expert = factory.staff("expert", username="sec_expert")
    expert_x = factory.staff("expert", username="sec_expert_x")
    city = factory.staff("city_reviewer", username="sec_city")
    finance = factory.staff("finance", username="sec_fin")

    # M: recognition case of operator A, returned once, then at county_approved with an expert.
    m = cases.create_draft(
        op_a, "makerspace_recognition", {**RECOGNITION_DATA, "district": DISTRICT}
    )
    attach_required(m, op_a)
    attach_for_submit(m, op_a)
    cases.act(op_a, m.id, "submit")
    cases.act(
        county,
        m.id,
        "return",
        ActionInput(
            reason="请补充运营报告。",
            articles=["四(一)"],
            items=[{"target": "operations_report", "message": "运营报告缺少上年度活动记录"}],
        ),
    )
    attach_for_submit(m, op_a)
    cases.act(op_a, m.id, "submit")
    cases.act(county, m.id, "accept")
    cases.act(county, m.id, "county_approve")
    experts.assign_experts(city, m.id, [expert.id])

    # P: employment-driving grant of person B, in a public notice with an objection.
    p = cases.create_draft(
        person_b,
        "employment_driving_grant",
        {
            "business_credit_code": make_credit_code(DISTRICT, "MB0000901"),
            "year": 2020,
            "employees_insured": 5,
        },
    )
    attach_required(p, person_b)
    attach_for_submit(p, person_b)
    cases.act(person_b, p.id, "submit")
    cases.act(county, p.id, "accept")
    cases.act(county, p.id, "county_approve")
    cases.act(city, p.id, "city_approve", ActionInput(amount=Decimal("4000.00")))
    notice = notices.publish_notice(city, [p.id], 5).notice
    objection = notices.lodge_objection(
        notice.id, p.id, "王五", "13900000000", "该企业去年并未实际招用员工，申报不实。"
    )

    # R: a draft graduate social-insurance claim of enterprise E, with its roster.
    space = db.session.execute(sa.select(MakerSpace)).scalars().first()
    r = cases.create_draft(
        ent_e, "graduate_social_insurance", {"maker_space_id": space.id, **PERIOD}
    )
    rows = [*person_rows(ROSTER_IDS[0], ["2020-07", "2020-08"])]
    rows += person_rows(ROSTER_IDS[1], ["2020-07"], name="李小四")
    rows += person_rows(ROSTER_IDS[2], ["2019-01"], name="赵小五")  # outside the period: refused
    roster.import_roster(ent_e, r.id, "花名册.csv", io.BytesIO(csv_bytes(rows)))
    invitation = members.create_invitation(
        ent_e, "colleague@example.test", link_for=lambda token: f"/invitations/{token}"
    )

    letter_event = db.session.execute(
        sa.select(AuditEvent.id).where(
            AuditEvent.application_id == m.id, AuditEvent.action == "return"
        )
    ).scalar_one()
    attachment = db.session.execute(
        sa.select(Attachment.id).where(Attachment.application_id == m.id).limit(1)
    ).scalar_one()
    note = db.session.execute(
        sa.select(Notification.id).where(Notification.user_id == op_a.id).limit(1)
    ).scalar_one()
    mail = db.session.execute(sa.select(OutboxMail.id).limit(1)).scalar_one()
    document = db.session.execute(
        sa.select(Document).where(Document.application_id == m.id).limit(1)
    ).scalar_one()
    full_ids = [vault().decrypt(p.id_number_enc) for p in db.session.scalars(sa.select(Person))]
    full_ids += [
        vault().decrypt(r.id_number_enc)
        for r in db.session.scalars(sa.select(RosterRow))
        if r.id_number_enc
    ]
    return World(
        users={
            "county": county,
            "county_x": county_x,
            "expert": expert,
            "expert_x": expert_x,
            "city": city,
            "finance": finance,
            "admin": admin,
            "op_a": op_a,
            "person_b": person_b,
            "ent_e": ent_e,
        },
        cases={
            "M": Case("M", m.id, owner=op_a, other=person_b),
            "P": Case("P", p.id, owner=person_b, other=op_a),
            "R": Case("R", r.id, owner=ent_e, other=op_a),
        },
        ids={
            "batch_id": batch.id,
            "notice_id": notice.id,
            "objection_id": objection.id,
            "event_id": letter_event,
            "attachment_id": attachment,
            "notification_id": note,
            "mail_id": mail,
            "document_id": document.id,
            "sha256": document.sha256,
            "issuer_id": document.issuer_id,
            "invitation_id": invitation.invitation.id,
            "person_id": person_b.person_id,
            "organization_id": op_a.organization_id,
            "user_id": person_b.id,
            "policy_id": db.session.execute(sa.select(Program.policy_id).limit(1)).scalar_one(),
        },
        full_ids=sorted(set(full_ids)),
    )


def _roster_batch_and_space() -> None:
    """A 招用大学生社保补贴 batch and a recognised maker space (as the roster tests have)."""
    from zhongchuang.models import Organization

    program = db.session.execute(
        sa.select(Program).where(Program.code == "graduate_social_insurance")
    ).scalar_one()
    t = now()
    db.session.add(
        Batch(
            program_id=program.id,
            year=2021,
            opens_on=date(2021, 3, 1),
            closes_on=date(2021, 4, 30),
            budget=Decimal("1000000.00"),
            created_at=t,
        )
    )
    operator = Organization(
        name="秀洲创客汇运营有限公司",
        credit_code=make_credit_code(DISTRICT, "MA9000001"),
        kind="operator",
        district=DISTRICT,
        created_at=t,
    )
    db.session.add(operator)
    db.session.flush()
    db.session.add(
        MakerSpace(
            name="秀洲创客汇",
            space_type="maker_incubation",
            level="city",
            district=DISTRICT,
            recognised_on=date(2019, 1, 1),
            operator_id=operator.id,
        )
    )
    db.session.commit()


# --- clients --------------------------------------------------------------------------------


@dataclass
class Caller:
    """A test client signed in as one user (or anonymous), with its CSRF token and an
    API token."""

    client: Any
    csrf: str
    headers: dict[str, str]


def caller(app: Any, user: Any) -> Caller:
    client = app.test_client()
    if user is None:
        html = client.get("/login").get_data(as_text=True)
        return Caller(client, _csrf(html), {})
    login_as(client, user)
    html = client.get("/account").get_data(as_text=True)
    token, _expires = accounts.issue_token(user)
    return Caller(client, _csrf(html), {"Authorization": f"Bearer {token}"})


def _csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def snapshot() -> tuple:
    """Everything a write could change, in one query: the row count of every table, and
    the columns that change in place (versions, states, reads, revocations, activity)."""
    from zhongchuang.models import ApiToken, Application, User

    parts: list[Any] = [
        sa.select(sa.func.count()).select_from(t).scalar_subquery()
        for t in db.metadata.sorted_tables
    ]
    parts += [
        sa.select(sa.func.coalesce(sa.func.sum(Application.version), 0)).scalar_subquery(),
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.read_at.is_not(None))
        .scalar_subquery(),
        sa.select(sa.func.count())
        .select_from(ApiToken)
        .where(ApiToken.revoked_at.is_not(None))
        .scalar_subquery(),
        sa.select(sa.func.count()).select_from(User).where(User.active.is_(True)).scalar_subquery(),
        sa.select(sa.func.count())
        .select_from(Objection)
        .where(Objection.status == "open")
        .scalar_subquery(),
    ]
    db.session.rollback()
    row = db.session.execute(sa.select(*parts)).one()
    states = tuple(
        db.session.execute(
            sa.select(Application.id, Application.state, Application.version).order_by(
                Application.id
            )
        ).all()
    )
    tokens = tuple(db.session.execute(sa.select(User.id, User.session_token)).all())
    db.session.rollback()
    return tuple(row), states, tokens


def upload_file_count(app: Any) -> int:
    from pathlib import Path

    return sum(1 for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


PDF = MINIMAL_PDF
