"""The reads of the documents area, shared by the case page, the downloads and the API:
a case's documents for whoever may see the case (404 otherwise, as for the case)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from zhongchuang.cases.visibility import get_visible
from zhongchuang.errors import NotFound
from zhongchuang.extensions import db
from zhongchuang.models import Application, Document, User


@dataclass(frozen=True)
class DocumentFile:
    case: Application
    document: Document

    @property
    def filename(self) -> str:
        return f"{self.case.number}-{self.document.title}-{self.document.serial}.pdf"


def documents_of(user: User, case_id: int) -> list[Document]:
    """The documents of a case ``user`` may see, in the order they were issued."""
    return documents_of_case(get_visible(user, case_id))


def documents_of_case(case: Application) -> list[Document]:
    """A case's documents (the caller has checked that the case may be seen)."""
    return list(
        db.session.execute(
            sa.select(Document).where(Document.application_id == case.id).order_by(Document.id)
        ).scalars()
    )


def document_file(user: User, case_id: int, document_id: int) -> DocumentFile:
    """One document of a case ``user`` may see, with its PDF bytes."""
    case = get_visible(user, case_id)
    doc = db.session.execute(
        sa.select(Document)
        .options(undefer(Document.pdf))
        .where(Document.id == document_id, Document.application_id == case.id)
    ).scalar_one_or_none()
    if doc is None:
        raise NotFound("未找到该文书。")
    return DocumentFile(case, doc)


def issued_for_event(case: Application, event_id: int, kind: str) -> Document | None:
    """The valid document of ``kind`` a decision issued, with its PDF (``None`` for a
    decision taken before documents were issued)."""
    return db.session.execute(
        sa.select(Document)
        .options(undefer(Document.pdf))
        .where(
            Document.application_id == case.id,
            Document.event_id == event_id,
            Document.kind == kind,
            Document.status == "valid",
        )
        .order_by(Document.id.desc())
        .limit(1)
    ).scalar_one_or_none()
