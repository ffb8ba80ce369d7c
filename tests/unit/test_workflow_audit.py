"""The audit hash chain (审计链) detects edits, deletions and reordering."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from zhongchuang.workflow.audit import (
    GENESIS,
    canonical_json,
    event_hash,
    normalize,
    verify_chain,
)

Event = tuple[int, str, str, dict[str, Any]]


def _chain(n: int) -> list[Event]:
    events: list[Event] = []
    prev = GENESIS
    for i in range(1, n + 1):
        content = normalize(
            {
                "action": "accept",
                "case_id": i,
                "from": "submitted",
                "to": "accepted",
                "by": "审核员",
                "amount": Decimal("5000.00"),
                "at": datetime(2021, 3, 15, 8, i, tzinfo=UTC),
            }
        )
        digest = event_hash(prev, content)
        events.append((i, prev, digest, content))
        prev = digest
    return events


def test_canonical_json_is_sorted_compact_utf8_with_strings_for_decimals_and_dates() -> None:
    content = {"b": Decimal("12000.00"), "a": date(2021, 3, 15), "名": "张三", "l": [1, 2]}
    assert canonical_json(content) == '{"a":"2021-03-15","b":"12000.00","l":[1,2],"名":"张三"}'


def test_canonical_json_refuses_what_it_cannot_say_exactly() -> None:
    with pytest.raises(TypeError):
        canonical_json({"x": object()})
    with pytest.raises(ValueError, match="JSON"):
        canonical_json({"x": float("nan")})


def test_event_hash_is_sha256_of_prev_and_content() -> None:
    content = {"action": "submit"}
    expected = hashlib.sha256((GENESIS + "\n" + '{"action":"submit"}').encode()).hexdigest()
    assert event_hash(GENESIS, content) == expected
    assert len(GENESIS) == 64
    assert set(GENESIS) == {"0"}
    assert event_hash(GENESIS, {"action": "submit", "n": 1}) != expected
    with pytest.raises(ValueError, match="SHA-256"):
        event_hash("not-a-hash", content)


def test_key_order_does_not_change_the_hash() -> None:
    assert event_hash(GENESIS, {"a": 1, "b": 2}) == event_hash(GENESIS, {"b": 2, "a": 1})


def test_intact_chain_verifies() -> None:
    events = _chain(5)
    result = verify_chain(events)
    assert result.ok
    assert result.events == 5
    assert result.first_bad is None
    assert verify_chain(events, expected_head=events[-1][2]).ok
    assert verify_chain([]).ok
    assert "完整" in result.message_zh


def test_edited_event_is_detected() -> None:
    events = _chain(5)
    i, prev, digest, content = events[2]
    events[2] = (i, prev, digest, {**content, "to": "county_approved"})
    result = verify_chain(events)
    assert not result.ok
    assert (result.first_bad, result.reason, result.events) == (3, "hash_mismatch", 5)
    assert "内容被修改" in result.message_zh


def test_edited_event_with_recomputed_hash_breaks_the_next_link() -> None:
    events = _chain(5)
    i, prev, _, content = events[2]
    forged = {**content, "by": "冒名者"}
    events[2] = (i, prev, event_hash(prev, forged), forged)
    result = verify_chain(events)
    assert (result.first_bad, result.reason) == (4, "broken_link")


def test_deleted_event_is_detected() -> None:
    events = _chain(5)
    del events[1]
    result = verify_chain(events)
    assert (result.ok, result.first_bad, result.reason) == (False, 3, "broken_link")


def test_deleted_first_event_is_detected() -> None:
    result = verify_chain(_chain(3)[1:])
    assert (result.ok, result.first_bad) == (False, 2)


def test_deleted_newest_events_are_detected_with_the_head() -> None:
    events = _chain(5)
    head = events[-1][2]
    result = verify_chain(events[:-1], expected_head=head)
    assert (result.ok, result.first_bad, result.reason) == (False, 4, "head_mismatch")


def test_reordered_events_are_detected() -> None:
    events = _chain(5)
    events[1], events[2] = events[2], events[1]
    result = verify_chain(events)
    assert (result.ok, result.first_bad, result.reason) == (False, 3, "broken_link")


def test_normalized_content_hashes_like_the_original() -> None:
    content = {"amount": Decimal("1.50"), "on": date(2021, 1, 2), "roles": frozenset({"b", "a"})}
    assert event_hash(GENESIS, content) == event_hash(GENESIS, normalize(content))
    assert normalize(content)["roles"] == ["a", "b"]
