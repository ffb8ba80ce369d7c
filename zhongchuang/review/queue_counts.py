"""The count waiting in a staff member's queue, for the navigation."""

from __future__ import annotations

from typing import Any

from flask import g

from zhongchuang.review.queues import waiting_count


def remember_queue_count(user: Any, count: int | None) -> None:
    """The queue page counted the user's waiting cases along with its own total: the
    navigation of the same request shows that figure rather than counting again."""
    if count is not None:
        g.queue_count = (user.id, count)


def queue_count(user: Any) -> int | None:
    known = g.get("queue_count")
    if known is not None and known[0] == getattr(user, "id", None):
        return int(known[1])
    return waiting_count(user)
