"""站内消息 — the in-app notifications a user has received, and which steps send them.

The notifications themselves are written by :mod:`zhongchuang.messages.notify` after each
action; here they are listed, counted and marked read (each user only their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from zhongchuang.errors import NotFound
from zhongchuang.extensions import db
from zhongchuang.messages.notify import APPLICANT_MESSAGES
from zhongchuang.models import Notification, User
from zhongchuang.runtime import now
from zhongchuang.uow import operation
from zhongchuang.workflow.machine import action_label


def list_for(user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.session.execute(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        ).scalars()
    )


def unread_count(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


@operation
def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; another user's is not found."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound("未找到该消息。")
    if note.read_at is None:
        note.read_at = now()
    return note


@operation
def mark_all_read(user: User) -> int:
    done = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now())
    )
    return int(cast("sa.CursorResult[Any]", done).rowcount or 0)


@dataclass(frozen=True)
class NotifyingStep:
    action: str
    label: str
    text: str


def applicant_steps() -> list[NotifyingStep]:
    """Which steps notify the applicant (in the app, and by e-mail when one is on file)."""
    return [
        NotifyingStep(
            action,
            action_label(action),
            template.format(number="（申报编号）", program="（扶持事项）"),
        )
        for action, template in APPLICANT_MESSAGES.items()
    ]
