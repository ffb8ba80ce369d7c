"""文书 — the official documents a case's decisions issue, the offices that issue them, and
each office's own yearly sequence of document numbers (文号).

An issuer (发文机关) is data: its name, the short name its numbers begin with, and the
bodies an adverse decision names for 行政复议 and 行政诉讼 — marked unconfirmed until a
published source gives them. A document, once issued, never changes: its PDF bytes and
their SHA-256 are kept as issued; a reissue is a new document with a new number, and the
old one is ``superseded``.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhongchuang.extensions import db
from zhongchuang.models.base import UTCDateTime, sql_in

#: The kinds of document (API names), in the order a case meets them.
DOCUMENT_KINDS = ("receipt", "decline", "correction", "approval", "rejection", "certificate")
DOCUMENT_STATUSES = ("valid", "superseded")
ISSUER_LEVELS = ("county", "city")


class Issuer(db.Model):
    """发文机关: the office that issues a level's documents for a district (or the city)."""

    __tablename__ = "issuers"
    __table_args__ = (
        sa.CheckConstraint(f"level IN {sql_in(ISSUER_LEVELS)}", name="level"),
        sa.CheckConstraint(
            "(level = 'city' AND district IS NULL) OR (level = 'county' AND district IS NOT NULL)",
            name="district_by_level",
        ),
        sa.UniqueConstraint("level", "district", name="uq_issuers_level_district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code (``city``, ``county-330402``): names the signing certificate's files.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    level: Mapped[str] = mapped_column(sa.String(10))
    district: Mapped[str | None] = mapped_column(sa.String(6))
    name: Mapped[str] = mapped_column(sa.String(200))
    #: 机关代字: what its numbers begin with (``嘉科创`` → 嘉科创〔2021〕12号).
    short_name: Mapped[str] = mapped_column(sa.String(40))
    #: 复议机关 and the court for 行政诉讼, as an adverse decision names them.
    reconsideration_body: Mapped[str] = mapped_column(sa.String(200))
    litigation_court: Mapped[str] = mapped_column(sa.String(200))
    confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    source: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DocumentSequence(db.Model):
    """An issuer's document numbers of one year: ``last`` is the last number given. The
    row is locked while a number is taken, so numbers are gapless and unique."""

    __tablename__ = "document_sequences"
    __table_args__ = (sa.CheckConstraint("last >= 0", name="last"),)

    issuer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("issuers.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(sa.Integer, default=0)


class Document(db.Model):
    """One issued document (文书) of a case: numbered, signed, kept as issued."""

    __tablename__ = "documents"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {sql_in(DOCUMENT_KINDS)}", name="kind"),
        sa.CheckConstraint(f"status IN {sql_in(DOCUMENT_STATUSES)}", name="status"),
        sa.UniqueConstraint("issuer_id", "year", "serial", name="uq_documents_issuer_year_serial"),
        sa.Index("ix_documents_case", "application_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    #: The decision (audit event ``case.action``) that issued it.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit_events.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    issuer_id: Mapped[int] = mapped_column(sa.ForeignKey("issuers.id"))
    year: Mapped[int] = mapped_column(sa.Integer)
    serial: Mapped[int] = mapped_column(sa.Integer)
    #: 文号 as printed (the issuer's short name may change later; this does not).
    number: Mapped[str] = mapped_column(sa.String(60), unique=True)
    #: The issuer's name as printed.
    issuer_name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(100))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: What the QR code on each page carries (``/verify/d/<token>``): the hash of the file
    #: cannot be printed in the file itself.
    verify_token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="valid")
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))

    issuer: Mapped[Issuer] = relationship(lazy="joined")
