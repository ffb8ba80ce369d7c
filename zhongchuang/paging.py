"""Keyset paging (按键分页) of a read: one page of a statement ordered by a unique integer
key, for the API's lists (the cursor itself, signed and opaque, is the API's)."""

from __future__ import annotations

from typing import Any

from zhongchuang.extensions import db


def keyset_rows(
    stmt: Any, key: Any, limit: int, after: int | None, *, descending: bool = True
) -> list[Any]:
    """Up to ``limit + 1`` rows of ``stmt`` ordered by ``key``, those past ``after`` (the
    key of the last row of the previous page); the extra row says another page follows."""
    if after is not None:
        stmt = stmt.where(key < after if descending else key > after)
    stmt = stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    return list(db.session.execute(stmt).unique().scalars())
