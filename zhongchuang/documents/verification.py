"""文书核验 — whether a file, a hash or a QR code's token is a document this system issued.

A file is valid when its SHA-256 is that of a document issued here AND its signature is
intact and by a certificate of this install's trust roots; a file changed by one byte
has another hash and a broken signature. What the public sees of a document: its
number, kind, issuer, date, status, the case number and the applicant's name masked
(a person's or an organisation's alike: whoever holds the document reads it there) —
nothing else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from zhongchuang.documents import issuing, signing
from zhongchuang.extensions import db
from zhongchuang.models import Application, Document
from zhongchuang.policy.identity import mask_name

SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")

SUPERSEDED = "该文书确由本系统签发，但已被重新签发的文书取代，请以新文书为准。"


@dataclass(frozen=True)
class PublicDocument:
    """What anyone may read of an issued document."""

    number: str
    kind: str
    title: str
    issuer: str
    issued_on: date
    status: str
    application_number: str
    applicant: str
    sha256: str


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    message: str
    document: PublicDocument | None = None


def _public(doc: Document) -> PublicDocument:
    case = db.session.execute(
        sa.select(Application).where(Application.id == doc.application_id)
    ).scalar_one()
    return PublicDocument(
        number=doc.number,
        kind=doc.kind,
        title=doc.title,
        issuer=doc.issuer_name,
        issued_on=doc.issued_on,
        status=doc.status,
        application_number=case.number,
        applicant=mask_name(case.applicant_name),
        sha256=doc.sha256,
    )


def lookup(sha256_or_token: str) -> PublicDocument | None:
    """The document a hash (``/verify/<sha256>``) or a QR token names; ``None`` if none."""
    key = sha256_or_token.strip()
    doc = issuing.by_hash(key) if SHA256_RE.match(key) else issuing.by_token(key)
    return _public(doc) if doc is not None else None


def verify_bytes(data: bytes) -> VerifyResult:
    """Whether ``data`` is, byte for byte, a document issued here with a valid signature."""
    doc = issuing.by_hash(hashlib.sha256(data).hexdigest())
    check = signing.verify_pdf(data)
    if doc is None:
        if check.valid:
            return VerifyResult(False, "签名有效，但本系统没有签发过这个文件，请核对文书原件。")
        return VerifyResult(
            False,
            "本系统没有签发过这个文件，或文件已被修改。"
            + (f"（{check.problem}）" if check.problem else ""),
        )
    if not check.valid:
        return VerifyResult(False, check.problem or "签名无效。", _public(doc))
    public = _public(doc)
    if doc.status == "superseded":
        return VerifyResult(True, SUPERSEDED, public)
    return VerifyResult(True, "该文书由本系统签发，内容完整，签章有效。", public)


def status_message(doc: PublicDocument) -> str:
    """What the verification page says of a document found by hash or QR token."""
    if doc.status == "superseded":
        return SUPERSEDED
    return "该文书由本系统签发。可上传您收到的 PDF 文件，核验其内容是否完整、签章是否有效。"
