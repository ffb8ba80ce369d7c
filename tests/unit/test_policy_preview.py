"""Preview of a catalogue change against pending cases: who gains or loses, amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from zhongchuang.policy.evaluate import Evaluation, RuleResult
from zhongchuang.policy.preview import preview_change


def result(eligible: bool, amount: str | None, failed: tuple[str, ...] = ()) -> Evaluation:
    lines = [RuleResult(rule, "四(一)", rule not in failed, "…") for rule in ("a", "b")]
    return Evaluation(
        eligible=eligible,
        amount=Decimal(amount) if amount else None,
        explanation=lines,
        program="graduate_startup_grant",
        as_of=date(2019, 1, 1),
    )


def test_each_case_is_classified_by_what_changed() -> None:
    old = {
        1: result(False, None, failed=("a",)),
        2: result(True, "5000.00"),
        3: result(True, "5000.00"),
        4: result(True, "5000.00"),
        5: result(True, "100.00"),
    }
    new = {
        1: result(True, "6000.00"),
        2: result(False, None, failed=("b",)),
        3: result(True, "6000.00"),
        4: result(True, "5000.00"),
        6: result(True, "1.00"),
    }
    preview = preview_change(old, new)
    changes = {c.case_id: c for c in preview.changes}
    assert changes[1].change == "gained"
    assert changes[1].newly_passed == ("a",)
    assert changes[2].change == "lost"
    assert changes[2].newly_failed == ("b",)
    assert (changes[2].old_amount, changes[2].new_amount) == (Decimal("5000.00"), None)
    assert changes[3].change == "amount_changed"
    assert changes[3].amount_delta == Decimal("1000.00")
    assert changes[4].change == "unchanged"
    assert changes[5].change == "removed"
    assert changes[6].change == "added"
    assert [c.case_id for c in preview.changes] == [1, 2, 3, 4, 5, 6]
    assert [c.case_id for c in preview.gained] == [1]
    assert [c.case_id for c in preview.lost] == [2]
    assert preview.count("unchanged") == 1
    assert preview.total_delta == Decimal("6000.00") - Decimal("5000.00") + Decimal(
        "1000.00"
    ) - Decimal("100.00") + Decimal("1.00")


def test_the_preview_is_json_ready() -> None:
    data = preview_change(
        {7: result(True, "5000.00")}, {7: result(False, None, failed=("a",))}
    ).as_json()
    assert data["summary"]["lost"] == 1
    assert data["changes"][0] == {
        "case_id": 7,
        "change": "lost",
        "old_eligible": True,
        "new_eligible": False,
        "old_amount": "5000.00",
        "new_amount": None,
        "amount_delta": "-5000.00",
        "newly_failed": ["a"],
        "newly_passed": [],
    }


def test_no_cases_no_changes() -> None:
    assert preview_change({}, {}).changes == ()
