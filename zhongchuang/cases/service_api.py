"""API: the applicant's services beside their cases — 政策体检 (policy check)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import fields

from zhongchuang.api.auth import current_api_user, require_auth
from zhongchuang.api.schemas import ApiBlueprint, BaseSchema, MoneyField, document_problems
from zhongchuang.cases import policy_check

blp = ApiBlueprint(
    "api_services",
    __name__,
    url_prefix="/api/v1",
    description="办事服务 Services: policy check (政策体检)",
)


class EligibilityCheckArgs(BaseSchema):
    as_of = fields.Date(load_default=None, metadata={"description": "默认今天 / default today"})


class FailingSchema(BaseSchema):
    rule = fields.String()
    article = fields.String(allow_none=True)
    message = fields.String()
    values = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "规则所用的已知取值 / the known values the rule read"},
    )


class ProgramCheckSchema(BaseSchema):
    program = fields.String()
    program_name = fields.String()
    status = fields.String(metadata={"enum": ["eligible", "ineligible", "unknown"]})
    status_label = fields.String()
    amount = MoneyField(allow_none=True)
    failing = fields.List(fields.Nested(FailingSchema))
    missing = fields.List(fields.String())
    missing_labels = fields.List(fields.String())
    known = fields.Dict(keys=fields.String())
    apply_url = fields.String()


def check_json(row: policy_check.ProgramCheck) -> dict[str, Any]:
    r = row.result
    return {
        "program": r.program,
        "program_name": row.program.name,
        "status": r.status,
        "status_label": r.status_label,
        "amount": r.amount,
        "failing": [f.as_json() for f in r.failing],
        "missing": list(r.missing),
        "missing_labels": row.missing_labels,
        "known": dict(r.known),
        "apply_url": url_for("applicant.apply", code=r.program, prefill=1),
    }


@blp.route("/eligibility-check", methods=["POST"])
@require_auth("applicant")
@blp.arguments(EligibilityCheckArgs)
@blp.response(200, ProgramCheckSchema(many=True))
@document_problems(blp, 400, 401, 403, 422)
def eligibility_check(body: dict) -> list[dict[str, Any]]:
    """Every program open that day to the caller, judged on what the system holds. 政策体检

    ``eligible`` with the amount, ``ineligible`` with each failing rule (its article and
    the values it read) or ``unknown`` with the fields still ``missing``."""
    user = current_api_user()
    assert user is not None
    return [check_json(r) for r in policy_check.policy_check(user, body.get("as_of"))]
