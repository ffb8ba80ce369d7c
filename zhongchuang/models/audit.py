"""The audit trail: append-only events chained by SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zhongchuang.extensions import db
from zhongchuang.models.base import JSONType, UTCDateTime


class AuditEvent(db.Model):
    """Who, in which role, when, what, from → to, cited articles, reason; ``hash`` covers
    the previous event's hash and this event's canonical content."""

    __tablename__ = "audit_events"
    #: 已办: the cases a user acted on, read by actor (the reviewer queues).
    __table_args__ = (sa.Index("ix_audit_events_actor_case", "actor_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(sa.String(64))
    actor_role: Mapped[str | None] = mapped_column(sa.String(20))
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    action: Mapped[str | None] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    articles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditHead(db.Model):
    """One row holding the last event's hash; locked while an event is appended so that
    the chain stays linear under concurrent writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int | None] = mapped_column(sa.Integer)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
