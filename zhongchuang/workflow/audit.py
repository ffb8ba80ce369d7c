"""审计链 — the hash chain of the append-only audit log.

Each event carries the hash of the previous one: ``hash = SHA-256(prev_hash + "\\n" +
canonical JSON of its content)``, the first event chaining from :data:`GENESIS`. Editing
an event breaks its own hash; deleting or reordering events breaks a ``prev_hash`` link;
deleting the newest events is caught when the caller passes the head hash it keeps.
Store :func:`normalize` (content) so that what is read back hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal
from uuid import UUID

GENESIS: Final = "0" * 64

_HEX: Final = frozenset("0123456789abcdef")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot put {type(value).__name__} in an audit event")


def canonical_json(content: Mapping[str, Any]) -> str:
    """规范化 JSON: sorted keys, UTF-8 text unescaped, no whitespace, Decimals and dates as
    strings, no NaN."""
    return json.dumps(
        content,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_default,
    )


def normalize(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content as plain JSON values — what to store next to the hash."""
    result: dict[str, Any] = json.loads(canonical_json(content))
    return result


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """SHA-256 hex of the previous hash and the canonical content."""
    if not _is_hash(prev_hash):
        raise ValueError(f"not a SHA-256 hex digest: {prev_hash!r}")
    data = prev_hash + "\n" + canonical_json(content)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainResult:
    """``ok``; ``events`` checked; ``first_bad`` the id of the first broken event, and why
    (``hash_mismatch``: edited; ``broken_link``: one before it deleted or moved;
    ``head_mismatch``: the newest events deleted)."""

    ok: bool
    events: int
    first_bad: Hashable | None = None
    reason: Literal["hash_mismatch", "broken_link", "head_mismatch"] | None = None

    @property
    def message_zh(self) -> str:
        if self.ok:
            return f"审计链完整，共 {self.events} 条记录。"
        what = {
            "hash_mismatch": "内容被修改",
            "broken_link": "前序记录被删除或顺序被改动",
            "head_mismatch": "最新记录被删除",
        }[self.reason or "hash_mismatch"]
        return f"审计链损坏：记录 {self.first_bad} 处{what}（共检查 {self.events} 条）。"


def verify_chain(
    events: Iterable[tuple[Hashable, str, str, Mapping[str, Any]]],
    *,
    expected_head: str | None = None,
) -> ChainResult:
    """Check ``(id, prev_hash, hash, content)`` events in log order (by id)."""
    expected_prev = GENESIS
    count = 0
    first_bad: Hashable | None = None
    reason: Literal["hash_mismatch", "broken_link", "head_mismatch"] | None = None
    last_id: Hashable | None = None
    for event_id, prev_hash, stored_hash, content in events:
        count += 1
        last_id = event_id
        if first_bad is None:
            if prev_hash != expected_prev:
                first_bad, reason = event_id, "broken_link"
            elif not _is_hash(stored_hash) or event_hash(prev_hash, content) != stored_hash:
                first_bad, reason = event_id, "hash_mismatch"
        expected_prev = stored_hash
    if first_bad is None and expected_head is not None and expected_head != expected_prev:
        first_bad, reason = last_id, "head_mismatch"
    return ChainResult(first_bad is None, count, first_bad, reason)
