"""Public notices (公示) and objections (异议)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhongchuang.extensions import db
from zhongchuang.models.base import UTCDateTime


class Notice(db.Model):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    published_on: Mapped[date] = mapped_column(sa.Date)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date, index=True)
    working_days: Mapped[int] = mapped_column(sa.Integer)
    published_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    calendar_certain: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    items: Mapped[list[NoticeItem]] = relationship(
        cascade="all, delete-orphan", order_by="NoticeItem.id"
    )


class NoticeItem(db.Model):
    """One case on a notice, with what the public may see of it (already masked)."""

    __tablename__ = "notice_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), unique=True)
    public_name: Mapped[str] = mapped_column(sa.String(200))
    program_name: Mapped[str] = mapped_column(sa.String(200))
    district: Mapped[str] = mapped_column(sa.String(6))
    amount: Mapped[str | None] = mapped_column(sa.String(20))

    application = relationship("Application")


class Objection(db.Model):
    """异议: lodged by a named member of the public during the notice period; confidential
    from the applicant."""

    __tablename__ = "objections"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'dismissed', 'upheld')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(30))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    ruling_reason: Mapped[str | None] = mapped_column(sa.Text)
    ruled_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
