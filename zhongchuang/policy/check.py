"""政策体检 (policy check): one program judged on what is already known about an applicant,
and the verdict — eligible (with the amount), ineligible (each rule that failed on known
values, with its article and the values it read) or unknown (the fields still missing).

Pure: the services gather the known values and the facts; ``policy.evaluate`` judges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from zhongchuang.policy.catalogue import ProgramSpec
from zhongchuang.policy.evaluate import Evaluation, RuleResult, parse_data
from zhongchuang.policy.fields import display, is_blank

Status = Literal["eligible", "ineligible", "unknown"]

#: The pseudo-field a roster program is missing until its 花名册 is uploaded.
ROSTER = "roster"

STATUS_LABELS: dict[str, str] = {
    "eligible": "符合条件",
    "ineligible": "不符合条件",
    "unknown": "尚需补充信息",
}


@dataclass(frozen=True)
class Failing:
    """A rule that failed on known values: its line and the values it read (label → text)."""

    line: RuleResult
    values: Mapping[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.line.rule,
            "article": self.line.article,
            "message": self.line.message,
            "values": dict(self.values),
        }


@dataclass(frozen=True)
class CheckResult:
    program: str
    status: Status
    amount: Decimal | None
    failing: tuple[Failing, ...]
    #: fields (names, in the catalogue's order) still needed to judge, and ``roster``
    missing: tuple[str, ...]
    #: what is known of the program's fields (stored form: strings, ISO dates)
    known: Mapping[str, Any]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def profile_values(spec: ProgramSpec, sources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The program's ``profile`` fields from earlier data, the first source holding a
    valid value winning (sources newest first). Claim fields (years, periods, amounts)
    are never carried over: they describe one case, not the applicant."""
    wanted = [f for f in spec.fields if f.profile]
    out: dict[str, Any] = {}
    for data in sources:
        for f in wanted:
            if f.name in out:
                continue
            value = data.get(f.name)
            if is_blank(value):
                continue
            parsed, invalid = parse_data(_only(spec, f.name), {f.name: value})
            if f.name in parsed and f.name not in invalid:
                out[f.name] = value
        if len(out) == len(wanted):
            break
    return out


def _only(spec: ProgramSpec, name: str) -> ProgramSpec:
    return spec.model_copy(update={"fields": [f for f in spec.fields if f.name == name]})


def _rule_fields(spec: ProgramSpec) -> dict[str, list[str]]:
    """Rule id → the fields its arguments name (sub-rules included)."""
    names = {f.name for f in spec.fields}
    out: dict[str, list[str]] = {}
    for rule in spec.rules:
        args: list[Mapping[str, Any]] = [rule.args, *(s.args for s in rule.rules or ())]
        out[rule.id] = [
            str(v) for a in args for v in a.values() if isinstance(v, str) and v in names
        ]
    return out


def verdict(spec: ProgramSpec, ev: Evaluation, known: Mapping[str, Any]) -> CheckResult:
    """Classify an evaluation of ``known`` values: a failure on values held → ineligible;
    otherwise anything undecided → unknown; otherwise eligible."""
    values, _invalid = parse_data(spec, known)
    labels = {f.name: f.label for f in spec.fields}
    types = {f.name: f.type for f in spec.fields}
    reads = _rule_fields(spec)
    failing = tuple(
        Failing(
            line,
            {
                labels[n]: display(types[n], values[n])
                for n in reads.get(line.rule, ())
                if n in values
            },
        )
        for line in ev.explanation
        if not line.passed and line.decided
    )
    missing = [f.name for f in spec.fields if f.required and f.name not in values]
    if spec.roster:
        missing.append(ROSTER)
    undecided = any(not line.passed and not line.decided for line in ev.explanation)
    if failing:
        status: Status = "ineligible"
    elif undecided or missing:
        status = "unknown"
    else:
        status = "eligible" if ev.eligible else "unknown"
    return CheckResult(
        program=spec.code,
        status=status,
        amount=ev.amount if status == "eligible" else None,
        failing=failing,
        missing=tuple(missing) if status != "eligible" else (),
        known=dict(known),
    )
