"""Preview of a catalogue change (变更预览): pending cases judged under the current and the
new catalogue, compared. Pure: the services evaluate both sides and hand the results here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

Change = Literal["gained", "lost", "amount_changed", "unchanged", "added", "removed"]

CHANGE_LABELS: dict[str, str] = {
    "gained": "新增符合条件",
    "lost": "不再符合条件",
    "amount_changed": "金额变化",
    "unchanged": "无变化",
    "added": "仅新目录可评估",
    "removed": "新目录无法评估",
}


class ResultLike(Protocol):
    @property
    def eligible(self) -> bool: ...

    @property
    def amount(self) -> Decimal | None: ...


@dataclass(frozen=True)
class CaseChange:
    """One case: eligibility and amount before and after, and which rules flipped."""

    case_id: Hashable
    change: Change
    old_eligible: bool | None
    new_eligible: bool | None
    old_amount: Decimal | None
    new_amount: Decimal | None
    newly_failed: tuple[str, ...] = ()
    newly_passed: tuple[str, ...] = ()

    @property
    def amount_delta(self) -> Decimal | None:
        if self.old_amount is None and self.new_amount is None:
            return None
        return (self.new_amount or Decimal("0.00")) - (self.old_amount or Decimal("0.00"))

    def as_json(self) -> dict[str, Any]:
        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "case_id": self.case_id,
            "change": self.change,
            "old_eligible": self.old_eligible,
            "new_eligible": self.new_eligible,
            "old_amount": money(self.old_amount),
            "new_amount": money(self.new_amount),
            "amount_delta": money(self.amount_delta),
            "newly_failed": list(self.newly_failed),
            "newly_passed": list(self.newly_passed),
        }


@dataclass(frozen=True)
class ChangePreview:
    changes: tuple[CaseChange, ...]

    def count(self, change: Change) -> int:
        return sum(1 for c in self.changes if c.change == change)

    @property
    def gained(self) -> list[CaseChange]:
        return [c for c in self.changes if c.change == "gained"]

    @property
    def lost(self) -> list[CaseChange]:
        return [c for c in self.changes if c.change == "lost"]

    @property
    def amount_changed(self) -> list[CaseChange]:
        return [c for c in self.changes if c.change == "amount_changed"]

    @property
    def total_delta(self) -> Decimal:
        return sum((c.amount_delta or Decimal("0.00") for c in self.changes), Decimal("0.00"))

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": {name: self.count(name) for name in CHANGE_LABELS}  # type: ignore[arg-type]
            | {"total_delta": str(self.total_delta)},
            "changes": [c.as_json() for c in self.changes],
        }


def _rule_outcomes(result: Any) -> dict[str, bool]:
    lines = getattr(result, "explanation", None) or ()
    return {line.rule: line.passed for line in lines}


def _one(case_id: Hashable, old: ResultLike | None, new: ResultLike | None) -> CaseChange:
    if old is None or new is None:
        if new is not None:
            return CaseChange(case_id, "added", None, new.eligible, None, new.amount)
        if old is not None:
            return CaseChange(case_id, "removed", old.eligible, None, old.amount, None)
        return CaseChange(case_id, "unchanged", None, None, None, None)
    before, after = _rule_outcomes(old), _rule_outcomes(new)
    newly_failed = tuple(r for r, ok in after.items() if not ok and before.get(r, True))
    newly_passed = tuple(r for r, ok in after.items() if ok and before.get(r) is False)
    change: Change
    if new.eligible and not old.eligible:
        change = "gained"
    elif old.eligible and not new.eligible:
        change = "lost"
    elif old.amount != new.amount:
        change = "amount_changed"
    else:
        change = "unchanged"
    return CaseChange(
        case_id,
        change,
        old.eligible,
        new.eligible,
        old.amount,
        new.amount,
        newly_failed,
        newly_passed,
    )


def preview_change(
    old_results: Mapping[Hashable, ResultLike], new_results: Mapping[Hashable, ResultLike]
) -> ChangePreview:
    """Compare per case id; cases are listed in the order of ``old_results``, then new ones."""
    ids = list(old_results) + [k for k in new_results if k not in old_results]
    return ChangePreview(
        tuple(_one(case_id, old_results.get(case_id), new_results.get(case_id)) for case_id in ids)
    )
