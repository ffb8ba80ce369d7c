"""API: the policy catalogue — policies, articles, programs (with their fields as JSON
Schema, batches and parameters), workflow diagrams, and the eligibility check.

Read-only and public; everything comes from ``services.catalogue_queries`` and
``services.eligibility``, the same services the public pages use.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, url_for
from marshmallow import fields, validate

from zhongchuang.api.auth import OPTIONAL_BEARER, current_api_user
from zhongchuang.api.schemas import (
    ApiBlueprint,
    BaseSchema,
    MoneyField,
    PageArgs,
    document_problems,
    keyset_page,
    page_of,
)
from zhongchuang.cases import eligibility
from zhongchuang.catalogue import queries as catalogue_queries
from zhongchuang.errors import NotFound
from zhongchuang.models import Batch, Policy, Program
from zhongchuang.runtime import today
from zhongchuang.workflow.machine import get_workflow, state_label, to_svg

ID = "int(max=2147483647)"

blp = ApiBlueprint(
    "api_catalogue",
    __name__,
    url_prefix="/api/v1",
    description="政策目录 Policies, articles, programs and the eligibility check",
)

# --- schemas ------------------------------------------------------------------------------


class PolicyEventSchema(BaseSchema):
    date = fields.Date()
    kind = fields.String()
    document = fields.String(allow_none=True)
    confirmed = fields.Boolean()


class PolicySchema(BaseSchema):
    id = fields.Integer()
    doc_number = fields.String()
    title = fields.String()
    issuer = fields.String()
    status = fields.String(
        metadata={"description": "in_force | not_yet | repealed (on today's date)"}
    )
    events = fields.List(fields.Nested(PolicyEventSchema))
    based_on = fields.List(fields.String())
    programs = fields.List(fields.String(), metadata={"description": "program codes"})


class ArticleSchema(BaseSchema):
    path = fields.String(metadata={"example": "四(一)"})
    title = fields.String(allow_none=True)
    text = fields.String()
    incomplete = fields.Boolean()


class ApplicantKindSchema(BaseSchema):
    kind = fields.String()
    org_kinds = fields.List(fields.String(), allow_none=True)
    enterprise_sizes = fields.List(fields.String(), allow_none=True)


class AttachmentKindSchema(BaseSchema):
    kind = fields.String()
    label = fields.String()
    required = fields.Boolean(metadata={"description": "required as of today"})
    required_by = fields.String(
        metadata={
            "description": "what decides it: catalogue, or the name of a flag parameter "
            "(1 required, 0 optional)"
        }
    )
    confirmed = fields.Boolean(
        metadata={"description": "false: no published text backs the decision (yet)"}
    )


class WorkflowStateSchema(BaseSchema):
    state = fields.String()
    label = fields.String()


class WorkflowActionSchema(BaseSchema):
    action = fields.String()
    label = fields.String()
    sources = fields.List(fields.String(), data_key="from")
    dest = fields.String(allow_none=True, data_key="to")
    roles = fields.List(fields.String())


class WorkflowSchema(BaseSchema):
    id = fields.String()
    name = fields.String()
    states = fields.List(fields.Nested(WorkflowStateSchema))
    actions = fields.List(fields.Nested(WorkflowActionSchema))
    svg = fields.String(metadata={"description": "URL of the drawn state machine"})


class ProgramBatchSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    year = fields.Integer()
    opens_on = fields.Date()
    closes_on = fields.Date()
    budget = MoneyField()
    reserved = MoneyField()
    open = fields.Boolean()


class ParameterSchema(BaseSchema):
    name = fields.String()
    value = fields.String(metadata={"description": "decimal as a string"})
    unit = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    article = fields.String(allow_none=True)
    confirmed = fields.Boolean()
    source = fields.String(allow_none=True)


class ExpertCriterionSchema(BaseSchema):
    code = fields.String()
    label = fields.String()
    label_en = fields.String(allow_none=True)
    max = fields.Integer(metadata={"description": "the criterion's maximum (whole points)"})
    confirmed = fields.Boolean(metadata={"description": "false: no published text gives it"})


class ProgramSchema(BaseSchema):
    code = fields.String()
    name = fields.String()
    policy_id = fields.Integer()
    articles = fields.List(fields.String())
    applicant_kinds = fields.List(fields.Nested(ApplicantKindSchema))
    expert_review = fields.Boolean()
    outcome = fields.String(
        metadata={"description": "payment (an amount approved and paid) | recognition"}
    )
    roster = fields.Boolean()
    expert_criteria = fields.List(
        fields.Nested(ExpertCriterionSchema),
        metadata={"description": "专家评审指标 (empty without expert review); maxima sum to 100"},
    )
    data_schema = fields.Dict(
        data_key="fields",
        metadata={"description": "JSON Schema (draft 2020-12) of the application's data"},
    )
    attachments = fields.List(fields.Nested(AttachmentKindSchema))
    workflow = fields.Nested(WorkflowSchema)
    batches = fields.List(fields.Nested(ProgramBatchSchema))
    parameters = fields.List(fields.Nested(ParameterSchema))
    open = fields.Boolean(metadata={"description": "a batch is open today"})


class EligibilityRequestSchema(BaseSchema):
    data = fields.Dict(keys=fields.String(), required=True)
    as_of = fields.Date(
        load_default=None,
        validate=validate.Range(
            min=date(1990, 1, 1), max=date(2100, 12, 31), error="日期超出范围。"
        ),
        metadata={"description": "judge as of this date (default: today)"},
    )


class RuleLineSchema(BaseSchema):
    rule = fields.String()
    article = fields.String(allow_none=True)
    passed = fields.Boolean()
    message = fields.String()


class EligibilitySchema(BaseSchema):
    program = fields.String()
    as_of = fields.Date()
    eligible = fields.Boolean()
    amount = MoneyField(allow_none=True)
    explanation = fields.List(fields.Nested(RuleLineSchema))


# --- helpers ------------------------------------------------------------------------------


def policy_json(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "doc_number": policy.doc_number,
        "title": policy.title,
        "issuer": policy.issuer,
        "status": catalogue_queries.policy_state(policy),
        "events": [
            {"date": e.date, "kind": e.kind, "document": e.document, "confirmed": e.confirmed}
            for e in policy.events
        ],
        "based_on": list(policy.based_on or []),
        "programs": [p.code for p in policy.programs],
    }


def workflow_json(workflow_id: str, code: str) -> dict[str, Any]:
    wf = get_workflow(workflow_id)
    return {
        "id": wf.id,
        "name": wf.label(),
        "states": [{"state": s, "label": state_label(s, workflow_id=wf.id)} for s in wf.states],
        "actions": [
            {
                "action": spec.action,
                "label": spec.label_zh,
                "sources": sorted(spec.sources, key=wf.states.index),
                "dest": spec.dest,
                "roles": sorted(spec.roles),
            }
            for spec in wf.actions.values()
        ],
        "svg": url_for("api_catalogue.program_workflow_svg", code=code),
    }


def batch_json(batch: Batch, on: date) -> dict[str, Any]:
    return {
        "id": batch.id,
        "name": batch.name,
        "year": batch.year,
        "opens_on": batch.opens_on,
        "closes_on": batch.closes_on,
        "budget": batch.budget,
        "reserved": batch.reserved,
        "open": batch.is_open(on),
    }


def program_json(view: catalogue_queries.ProgramView) -> dict[str, Any]:
    spec = view.spec
    t = today()
    return {
        "code": view.program.code,
        "name": view.program.name,
        "policy_id": view.program.policy_id,
        "articles": list(spec.articles),
        "applicant_kinds": [k.model_dump() for k in spec.applicant_kinds],
        "expert_review": spec.expert_review,
        "outcome": spec.outcome,
        "roster": spec.roster,
        "expert_criteria": [
            {
                "code": c.code,
                "label": c.label,
                "label_en": c.label_en,
                "max": c.max,
                "confirmed": spec.expert_criteria_confirmed,
            }
            for c in spec.expert_criteria
        ],
        "data_schema": spec.json_schema(),
        "attachments": [
            {
                "kind": m.kind,
                "label": m.label,
                "required": m.required,
                "required_by": m.required_by,
                "confirmed": m.confirmed,
            }
            for m in view.materials
        ],
        "workflow": workflow_json(view.workflow_id, view.program.code),
        "batches": [batch_json(b, t) for b in view.batches],
        "parameters": [
            {
                "name": p.name,
                "value": p.value,
                "unit": p.unit,
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
                "article": p.article,
                "confirmed": p.confirmed,
                "source": p.source,
            }
            for p in view.parameters
        ],
        "open": view.open_batch is not None,
    }


def _program_view(code: str) -> catalogue_queries.ProgramView:
    view = catalogue_queries.program_view(code)
    if view is None:
        raise NotFound("没有这一扶持事项。")
    return view


# --- routes -------------------------------------------------------------------------------


@blp.route("/policies", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PolicySchema, "PolicyPageSchema"))
@document_problems(blp, 400, 422)
def list_policies(args: dict) -> dict:
    """Policies with their status and dated events. 政策文件"""
    rows, nxt = keyset_page(
        sa.select(Policy), Policy.id, args["limit"], args["cursor"], descending=False
    )
    return {"items": [policy_json(p) for p in rows], "next_cursor": nxt}


@blp.route(f"/policies/<{ID}:policy_id>", methods=["GET"])
@blp.response(200, PolicySchema)
@document_problems(blp, 404)
def get_policy(policy_id: int) -> dict:
    """One policy. 政策文件详情"""
    policy = catalogue_queries.get_policy(policy_id)
    if policy is None:
        raise NotFound("没有这一政策文件。")
    return policy_json(policy)


@blp.route(f"/policies/<{ID}:policy_id>/articles", methods=["GET"])
@blp.response(200, ArticleSchema(many=True))
@document_problems(blp, 404)
def list_articles(policy_id: int) -> list:
    """The articles of a policy, in order. 条款"""
    view = catalogue_queries.policy_view(policy_id)
    if view is None:
        raise NotFound("没有这一政策文件。")
    return view.articles


@blp.route("/programs", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(ProgramSchema, "ProgramPageSchema"))
@document_problems(blp, 400, 422)
def list_programs(args: dict) -> dict:
    """Programs (扶持事项) with fields, attachments, workflow, batches and parameters."""
    rows, nxt = keyset_page(
        sa.select(Program), Program.id, args["limit"], args["cursor"], descending=False
    )
    items = [program_json(_program_view(p.code)) for p in rows]
    return {"items": items, "next_cursor": nxt}


@blp.route("/programs/<code>", methods=["GET"])
@blp.response(200, ProgramSchema)
@document_problems(blp, 404)
def get_program(code: str) -> dict:
    """One program. 扶持事项详情"""
    return program_json(_program_view(code))


@blp.route("/programs/<code>/workflow.svg", methods=["GET"])
@blp.response(
    200,
    {"type": "string"},
    content_type="image/svg+xml",
    description="The program's state machine, drawn. 审批流程图",
)
@document_problems(blp, 404)
def program_workflow_svg(code: str) -> Response:
    """The program's workflow as an SVG diagram. 审批流程图"""
    view = _program_view(code)
    return Response(
        to_svg(view.workflow_id),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "max-age=3600"},
    )


@blp.route("/programs/<code>/eligibility", methods=["POST"])
@blp.arguments(EligibilityRequestSchema)
@blp.response(200, EligibilitySchema)
@blp.doc(security=OPTIONAL_BEARER)
@document_problems(blp, 400, 401, 404, 422)
def check_eligibility(body: dict, code: str) -> dict:
    """Check eligibility and amount. 资格自测

    Rule by rule, each with the article it rests on. With a token, the caller's own facts
    (organisation, earlier benefits) count too; ``as_of`` defaults to today."""
    view = _program_view(code)
    user = current_api_user(optional=True)
    as_of = body["as_of"] or today()
    ev = eligibility.explain(user, view.program, body["data"], as_of)
    return {
        "program": view.program.code,
        "as_of": as_of,
        "eligible": ev.eligible,
        "amount": ev.amount,
        "explanation": [r.as_json() for r in ev.explanation],
    }
