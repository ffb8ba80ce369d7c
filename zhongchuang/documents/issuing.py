"""签发文书 — the documents a decision issues, as the workflow declares them
(``workflow.machine.DOCUMENTS``): numbered from the issuing office's own sequence of the
year (gapless and unique: the sequence row is locked, in the action's unit of work, so a
refused or failed action gives its number back), drawn, signed with the office's
certificate, kept as issued, and their SHA-256 written to the audit chain.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhongchuang.audit import chain as audit
from zhongchuang.cases.visibility import get_visible
from zhongchuang.clock import SHANGHAI
from zhongchuang.documents import issuers, signing
from zhongchuang.documents.letters import (
    Issuance,
    build_view,
    letter_document,
    recognised_space,
    render,
)
from zhongchuang.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from zhongchuang.extensions import db
from zhongchuang.models import (
    Application,
    AuditEvent,
    Document,
    DocumentSequence,
    Issuer,
    User,
)
from zhongchuang.runtime import now, setting, today
from zhongchuang.uow import operation
from zhongchuang.workflow.letters import LETTER_KIND, document_number

#: Where the QR code of a document points: its public verification page.
VERIFY_PATH = "/verify/d/"
#: Who may reissue a document (重新签发).
REISSUERS = ("city_reviewer", "admin")
#: Documents issued by the city's office whatever role took the decision.
CITY_KINDS = frozenset({"approval", "certificate"})


def verify_url(token: str) -> str:
    base = str(setting("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}{VERIFY_PATH}{token}"


def take_serial(issuer_id: int, year: int) -> int:
    """The next number of ``issuer_id`` in ``year``: the sequence row, locked until the
    caller's transaction ends (two issuers never wait on each other)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(DocumentSequence)
        .values(issuer_id=issuer_id, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["issuer_id", "year"])
    )
    row = db.session.execute(
        sa.select(DocumentSequence)
        .where(DocumentSequence.issuer_id == issuer_id, DocumentSequence.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    row.last += 1
    db.session.flush()
    return row.last


def issue_declared(case: Application, event: AuditEvent, kinds: Sequence[str]) -> list[Document]:
    """The documents ``event`` (a decision on ``case``) issues, in declared order; a
    certificate only where a space was recognised."""
    return [issue(case, event, kind) for kind in kinds if _fits(case, kind)]


def _fits(case: Application, kind: str) -> bool:
    if kind != "certificate":
        return True
    return case.program.outcome == "recognition" and recognised_space(case) is not None


def issue(
    case: Application, event: AuditEvent, kind: str, *, supersedes: Document | None = None
) -> Document:
    """Issue one document of ``kind`` for the decision ``event``, in the caller's unit of
    work. ``supersedes``: the document this one replaces (marked ``superseded``); the new
    one is dated today, the decision it states stays the same."""
    role = "city_reviewer" if kind in CITY_KINDS else event.actor_role
    issuer: Issuer = issuers.issuer_of(case, role)
    issued_on = today() if supersedes is not None else event.at.astimezone(SHANGHAI).date()
    serial = take_serial(issuer.id, issued_on.year)
    number = document_number(issuer.short_name, issued_on.year, serial)
    token = secrets.token_urlsafe(12)
    view = build_view(case, event, LETTER_KIND[kind], issuer, on=issued_on)
    drawn = render(letter_document(view, Issuance(number, verify_url(token), issuer.name)))
    try:
        signed = signing.sign_pdf(
            drawn, issuer.code, issuer.name, reason=f"{view.letter.title} {number}"
        )
    except signing.SigningUnavailable as exc:  # the decision waits: nothing is saved
        raise ServiceUnavailable(
            f"暂时不能签发文书，本次办理未保存，请稍后重试或联系系统管理员。（{exc.message}）",
            code="signing_unavailable",
        ) from exc
    digest = hashlib.sha256(signed).hexdigest()
    doc = Document(
        application_id=case.id,
        event_id=event.id,
        kind=kind,
        issuer_id=issuer.id,
        year=issued_on.year,
        serial=serial,
        number=number,
        issuer_name=issuer.name,
        title=view.letter.title,
        issued_on=issued_on,
        issued_at=now(),
        sha256=digest,
        verify_token=token,
        size=len(signed),
        pdf=signed,
        status="valid",
    )
    db.session.add(doc)
    db.session.flush()
    if supersedes is not None:
        supersedes.status = "superseded"
        supersedes.superseded_by_id = doc.id
    audit.record(
        "document.issue",
        actor_name="system",
        application_id=case.id,
        details={
            "document_id": doc.id,
            "kind": kind,
            "number": number,
            "issuer": issuer.code,
            "sha256": digest,
            "supersedes": supersedes.number if supersedes is not None else None,
        },
    )
    return doc


@operation
def reissue(user: User, case_id: int, document_id: int, reason: str) -> Document:
    """重新签发: a new document (new number, today's date, the office as it is now) in
    place of ``document_id``, which becomes ``superseded``. The city's reviewers and the
    administrators may; the reason is required and audited."""
    if not user.has_role(*REISSUERS):
        raise Forbidden("只有市级审核人员或系统管理员可以重新签发文书。")
    case = get_visible(user, case_id)
    old = db.session.execute(
        sa.select(Document)
        .where(Document.id == document_id, Document.application_id == case.id)
        .with_for_update(of=Document)
    ).scalar_one_or_none()
    if old is None:
        raise NotFound("未找到该文书。")
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed("请写明重新签发的理由。", errors={"reason": ["请写明理由。"]})
    if len(text) > 500:
        raise ValidationFailed("理由不能超过 500 字。", errors={"reason": ["不能超过 500 字。"]})
    if old.status != "valid" or old.event_id is None:
        raise Conflict("该文书已被取代，不能再次重新签发；请重新签发取代它的文书。")
    event = db.session.get(AuditEvent, old.event_id)
    assert event is not None
    new = issue(case, event, old.kind, supersedes=old)
    audit.record(
        "document.supersede",
        actor=user,
        role="admin" if user.has_role("admin") else "city_reviewer",
        application_id=case.id,
        reason=text,
        details={"superseded": old.number, "by": new.number, "document_id": new.id},
    )
    return new


# --- reads --------------------------------------------------------------------------------


def by_hash(sha256: str) -> Document | None:
    return db.session.execute(
        sa.select(Document).where(Document.sha256 == sha256.lower())
    ).scalar_one_or_none()


def by_token(token: str) -> Document | None:
    return db.session.execute(
        sa.select(Document).where(Document.verify_token == token)
    ).scalar_one_or_none()
