"""办理时限提醒 — the reminders sent when a case's clock reaches 80 % and 100 % of its
promised limit: one row per (case, threshold), so that two workers never send twice."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zhongchuang.extensions import db
from zhongchuang.models.base import UTCDateTime


class TimeLimitReminder(db.Model):
    """A reminder sent (or settled) for a case at a share of its promised limit."""

    __tablename__ = "time_limit_reminders"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "threshold", name="uq_time_limit_reminders_case"),
        sa.CheckConstraint("threshold IN (80, 100)", name="threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    #: Percent of the promised limit: 80 or 100.
    threshold: Mapped[int] = mapped_column(sa.Integer)
    #: The case's due date when it was sent (its clock may have paused since).
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    #: How many staff members were told.
    recipients: Mapped[int] = mapped_column(sa.Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
