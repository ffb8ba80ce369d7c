"""Eligibility and amount (资格审查与金额测算): a pure function of the program, the
application's data, the as-of date (the submission date: 从旧), the parameters and the facts.

Every line of the explanation names the rule, the article it cites, whether it passed, and
why, in Chinese. Bad input never raises: a missing or invalid field is a failed line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from zhongchuang.policy.amounts import AMOUNT_KINDS
from zhongchuang.policy.catalogue import ProgramSpec, SubRuleSpec
from zhongchuang.policy.facts import Facts, PriorBenefits, RosterSummary
from zhongchuang.policy.fields import FieldValueError, is_blank, parse_field
from zhongchuang.policy.parameters import ParameterError, ParameterTable, ParameterValue
from zhongchuang.policy.rules import RULE_KINDS, Outcome, RuleContext, RuleKind, Undecidable
from zhongchuang.policy.status import STATUS_LABELS, policy_status

__all__ = [
    "Evaluation",
    "Facts",
    "PriorBenefits",
    "RosterSummary",
    "RuleResult",
    "evaluate",
    "parse_data",
]


@dataclass(frozen=True)
class RuleResult:
    """One line of the explanation."""

    rule: str
    article: str | None
    passed: bool
    message: str
    #: ``False`` when the rule could not be judged (a field missing or invalid, no roster
    #: yet): the policy check answers “unknown” rather than “ineligible” for it.
    decided: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "article": self.article,
            "passed": self.passed,
            "message": self.message,
        }


@dataclass(frozen=True)
class Evaluation:
    """Eligible or not, the amount (``None``: no amount, or not eligible), the explanation,
    and the parameter values the rules and the formula used."""

    eligible: bool
    amount: Decimal | None
    explanation: list[RuleResult]
    parameters_used: dict[str, ParameterValue] = field(default_factory=dict)
    program: str = ""
    as_of: date | None = None

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.explanation if not r.passed]

    def as_json(self) -> dict[str, Any]:
        """The API's ``{"eligible", "amount", "explanation"}`` plus what a snapshot keeps."""
        return {
            "program": self.program,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "eligible": self.eligible,
            "amount": None if self.amount is None else str(self.amount),
            "explanation": [r.as_json() for r in self.explanation],
            "parameters_used": {
                k: str(v) if isinstance(v, Decimal) else v
                for k, v in sorted(self.parameters_used.items())
            },
        }


def cite(message: str, article: str | None) -> str:
    """Append the article a line relies on: ``……（依据：四(一)）``."""
    return f"{message}（依据：{article}）" if article else message


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "—"


def render(template: str, outcome: Outcome) -> str:
    """Fill a message template; a broken template falls back to the outcome's summary."""
    values = _Blank(outcome.context)
    values["summary"] = outcome.summary
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return outcome.summary + "。"


def parse_data(
    program: ProgramSpec, data: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the application's raw data: (values that parsed, field → why the others not).

    A blank optional field is simply absent from both.
    """
    raw = data if isinstance(data, Mapping) else {}
    values: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    for spec in program.fields:
        value = raw.get(spec.name)
        if is_blank(value):
            if spec.required:
                invalid[spec.name] = "未填写"
            continue
        try:
            values[spec.name] = parse_field(spec, value)
        except FieldValueError as exc:
            invalid[spec.name] = f"无效（{exc.message.rstrip('。')}）"
    return values, invalid


class _Evaluator:
    def __init__(
        self,
        program: ProgramSpec,
        data: Mapping[str, Any] | None,
        as_of: date,
        params: ParameterTable,
        facts: Facts,
    ) -> None:
        self.program = program
        self.as_of = as_of
        self.params = params
        self.facts = facts
        self.values, self.invalid = parse_data(program, data)
        self.labels = {f.name: f.label for f in program.fields}
        self.types = {f.name: f.type for f in program.fields}
        self.choices = {
            f.name: {c.value: c.label for c in f.choices or ()}
            for f in program.fields
            if f.type == "enum"
        }
        self.used: dict[str, ParameterValue] = {}
        self.lines: list[RuleResult] = []
        self.default_article = program.articles[0] if program.articles else None

    def resolve(self, refs: Mapping[str, str]) -> dict[str, ParameterValue]:
        """Parameter values by role; :class:`ParameterError` when one has none that day."""
        out: dict[str, ParameterValue] = {}
        for role, name in refs.items():
            value = self.params.value(name, self.as_of)
            self.used[name] = value
            out[role] = value
        return out

    def context(
        self, args: Mapping[str, Any], params: Mapping[str, ParameterValue], subrules: tuple = ()
    ) -> RuleContext:
        return RuleContext(
            args=args,
            params=params,
            values=self.values,
            invalid=self.invalid,
            labels=self.labels,
            field_types=self.types,
            facts=self.facts,
            as_of=self.as_of,
            applicant_kinds=self.program.applicant_kinds,
            benefit_key=self.program.benefit.key,
            choice_labels=self.choices,
            subrules=subrules,
        )

    def field_lines(self) -> None:
        for spec in self.program.fields:
            why = self.invalid.get(spec.name)
            if why is not None:
                message = f"「{spec.label}」{why}。"
                self.lines.append(
                    RuleResult(
                        f"field:{spec.name}",
                        self.default_article,
                        False,
                        cite(message, self.default_article),
                        decided=False,
                    )
                )

    def sub_context(self, sub: SubRuleSpec) -> tuple[RuleKind, RuleContext]:
        kind = RULE_KINDS[sub.kind]
        return kind, self.context(sub.args, self.resolve(sub.params))

    def rule_lines(self) -> None:
        for spec in self.program.rules:
            kind = RULE_KINDS.get(spec.kind)
            if kind is None:  # a checked catalogue never has one
                self.fail(spec.id, spec.article, f"未知的规则类型 {spec.kind}。")
                continue
            try:
                subs = tuple(self.sub_context(s) for s in spec.rules or ())
                ctx = self.context(spec.args, self.resolve(spec.params), subs)
                outcome: Outcome = kind.check(ctx)
            except ParameterError as exc:
                self.fail(spec.id, spec.article, exc.message)
                continue
            except Undecidable as exc:
                self.fail(spec.id, spec.article, exc.message, decided=False)
                continue
            template = spec.message.passed if outcome.passed else spec.message.failed
            message = render(template, outcome)
            self.lines.append(
                RuleResult(spec.id, spec.article, outcome.passed, cite(message, spec.article))
            )

    def fail(self, rule: str, article: str | None, message: str, *, decided: bool = True) -> None:
        self.lines.append(RuleResult(rule, article, False, cite(message, article), decided))

    def amount(self) -> Decimal | None:
        spec = self.program.amount
        kind = AMOUNT_KINDS.get(spec.kind)
        article = self.default_article
        if kind is None:
            self.fail("amount", article, f"未知的金额类型 {spec.kind}。")
            return None
        try:
            ctx = self.context(spec.args, self.resolve(spec.params))
            return kind.compute(ctx)
        except (ParameterError, Undecidable) as exc:
            self.fail("amount", article, f"无法计算金额：{exc.message}")
            return None

    def policy_line(self) -> None:
        """The policy's status on the as-of day: not in force, nothing is eligible — the
        same answer for the self-check, the draft page and the submission."""
        if not self.facts.policy_events:
            return
        status = policy_status(self.facts.policy_events, self.as_of)
        if status == "in_force":
            return
        self.lines.append(
            RuleResult(
                "policy_in_force",
                None,
                False,
                f"{self.as_of.isoformat()}政策{STATUS_LABELS[status]}，不能据此申报。",
            )
        )

    def run(self) -> Evaluation:
        self.policy_line()
        self.field_lines()
        self.rule_lines()
        amount: Decimal | None = None
        if all(line.passed for line in self.lines):
            amount = self.amount()
        eligible = all(line.passed for line in self.lines)
        return Evaluation(
            eligible=eligible,
            amount=amount if eligible else None,
            explanation=self.lines,
            parameters_used=dict(sorted(self.used.items())),
            program=self.program.code,
            as_of=self.as_of,
        )


def evaluate(
    program: ProgramSpec,
    data: Mapping[str, Any],
    as_of: date,
    params: ParameterTable,
    facts: Facts,
) -> Evaluation:
    """Judge ``data`` under ``program`` on ``as_of`` (the submission date).

    ``params`` holds the program's parameters (``Catalogue.parameter_table(code)``);
    ``facts`` what the database knows. The amount is ``None`` for programs without one and
    whenever the case is not eligible.
    """
    return _Evaluator(program, data, as_of, params, facts).run()
