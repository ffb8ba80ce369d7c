"""The count waiting in a staff member's queue, for the navigation."""

from __future__ import annotations

from typing import Any


def queue_count(user: Any) -> int | None:
    try:
        from zhongchuang.services.queues import waiting_count
    except ModuleNotFoundError:
        return None
    return waiting_count(user)
