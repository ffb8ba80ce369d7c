"""API: 办件进度查询 — a case's progress by number and 查询码, no auth, rate limited."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from zhongchuang.api.schemas import ApiBlueprint, BaseSchema, document_problems
from zhongchuang.cases import progress as case_progress
from zhongchuang.errors import NotFound
from zhongchuang.extensions import limiter
from zhongchuang.public.views import PROGRESS_LIMIT

blp = ApiBlueprint(
    "api_public",
    __name__,
    url_prefix="/api/v1",
    description="公共服务 Public services: progress without login",
)


class ProgressArgs(BaseSchema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=30))
    code = fields.String(required=True, validate=validate.Length(min=1, max=10))


class StepSchema(BaseSchema):
    label = fields.String()
    on = fields.Date()


class ProgressSchema(BaseSchema):
    number = fields.String()
    program = fields.String()
    state = fields.String()
    state_label = fields.String()
    submitted_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    steps = fields.List(fields.Nested(StepSchema))


@blp.route("/progress", methods=["GET"])
@limiter.limit(PROGRESS_LIMIT)
@blp.arguments(ProgressArgs, location="query")
@blp.response(200, ProgressSchema)
@document_problems(blp, 400, 404, 422, 429)
def progress(args: dict) -> dict[str, Any]:
    """A case's progress by its number and 查询码. 办件进度查询 (no auth)

    A wrong code answers exactly as an unknown number: 404."""
    found = case_progress.progress_of(args["number"], args["code"])
    if found is None:
        raise NotFound("未找到该申报，请核对申报编号和查询码。")
    return {
        "number": found.number,
        "program": found.program,
        "state": found.state,
        "state_label": found.state_label,
        "submitted_on": found.submitted_on,
        "due_on": found.due_on,
        "steps": [{"label": s.label, "on": s.on} for s in found.steps],
    }
