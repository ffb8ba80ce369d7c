"""API: applications (申报案件) — drafts, the list the caller may see, one case with what the
caller may do next and its history, edits, attachments, workflow actions, experts and the
case's audit trail.

Every rule lives in the services (``services.cases``, ``attachments``, ``experts``): this
module loads, authorises by role, calls the service and shapes the answer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, send_file, url_for
from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate
from sqlalchemy.orm import joinedload, load_only

from zhongchuang.api.auth import current_api_user, require_auth
from zhongchuang.api.schemas import (
    ApiBlueprint,
    BaseSchema,
    MoneyField,
    PageArgs,
    document_problems,
    keyset_page,
    page_of,
)
from zhongchuang.cases import attachments, eligibility, time_limits
from zhongchuang.cases import engine as cases
from zhongchuang.cases import queries as case_view
from zhongchuang.cases.engine import ActionInput
from zhongchuang.cases.visibility import case_search
from zhongchuang.catalogue.api import RuleLineSchema
from zhongchuang.errors import ValidationFailed
from zhongchuang.models import STATES, Application, AuditEvent, Program, User
from zhongchuang.review import experts, queues
from zhongchuang.roster import operations as roster
from zhongchuang.runtime import today
from zhongchuang.workflow.clock import DUE_SOON_WORKING_DAYS
from zhongchuang.workflow.machine import SCORE_MAX, SCORE_MIN, state_label

blp = ApiBlueprint(
    "api_applications",
    __name__,
    url_prefix="/api/v1",
    description="申报案件 Applications: drafts, actions, attachments, history",
)

#: The workflow actions a client may take here (API.md); ``publish`` is POST /notices.
ACTIONS = (
    "submit",
    "withdraw",
    "accept",
    "decline",
    "return",
    "county_approve",
    "county_reject",
    "expert_score",
    "expert_conclude",
    "city_approve",
    "city_reject",
    "conclude_notice",
    "uphold_objection",
    "dismiss_objection",
    "disburse",
)
STAFF = ("county_reviewer", "expert", "city_reviewer", "finance", "admin")
ID = "int(max=2147483647)"


# --- schemas ------------------------------------------------------------------------------


class ApplicantSchema(BaseSchema):
    name = fields.String()
    kind = fields.String(metadata={"description": "organization | person"})
    organization_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    user_id = fields.Integer()


class AttachmentSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    current = fields.Boolean()
    url = fields.String()


class CorrectionItemSchema(BaseSchema):
    target = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "a field name or an attachment kind of the program"},
    )
    label = fields.String(dump_only=True)
    message = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CorrectionSchema(BaseSchema):
    reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(CorrectionItemSchema))
    due_on = fields.String(allow_none=True, metadata={"description": "补正期限, YYYY-MM-DD"})


class HistorySchema(BaseSchema):
    action = fields.String(allow_none=True, metadata={"description": "null: not a workflow step"})
    title = fields.String()
    from_state = fields.String(allow_none=True, data_key="from")
    to_state = fields.String(allow_none=True, data_key="to")
    by = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    at = fields.DateTime()
    reason = fields.String(allow_none=True)
    opinion = fields.String(allow_none=True, metadata={"description": "审核意见"})
    articles = fields.List(fields.String())
    rules = fields.List(fields.String(), metadata={"description": "failed rules cited"})
    items = fields.List(
        fields.Nested(CorrectionItemSchema), metadata={"description": "return: the items"}
    )
    note = fields.String(allow_none=True)


class ApplicationSummarySchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    program = fields.String()
    program_name = fields.String()
    batch_id = fields.Integer(allow_none=True)
    state = fields.String()
    state_label = fields.String()
    version = fields.Integer()
    applicant = fields.Nested(ApplicantSchema)
    district = fields.String()
    computed_amount = MoneyField(allow_none=True)
    approved_amount = MoneyField(allow_none=True)
    submitted_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TimeLimitSchema(BaseSchema):
    """办理时限: 法定 / 承诺 working days, counted from 受理, paused in 特殊环节."""

    statutory_working_days = fields.Integer()
    promised_working_days = fields.Integer()
    started_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    elapsed_working_days = fields.Integer()
    paused_working_days = fields.Integer()
    paused = fields.Boolean()
    overdue = fields.Boolean()


class ApplicationSchema(ApplicationSummarySchema):
    data = fields.Dict()
    query_code = fields.String(
        allow_none=True, metadata={"description": "查询码 of 办件进度查询 (from 受理 on)"}
    )
    eligible = fields.Boolean(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    explanation = fields.List(fields.Nested(RuleLineSchema), allow_none=True)
    score_average = fields.Decimal(as_string=True, allow_none=True)
    payment_reference = fields.String(allow_none=True)
    disbursed_on = fields.Date(allow_none=True)
    outcome = fields.String(metadata={"description": "payment | recognition (the program's)"})
    expert_review = fields.Nested(
        lambda: ExpertReviewSchema(),
        allow_none=True,
        metadata={
            "description": "专家评审 (staff; programs with expert review), scores hidden "
            "between experts until all have scored"
        },
    )
    correction = fields.Nested(
        CorrectionSchema,
        allow_none=True,
        metadata={"description": "while returned: every item to correct and the 补正期限"},
    )
    allowed_actions = fields.List(
        fields.String(),
        metadata={
            "description": "what the caller may do now, asked of the same guards as the case "
            "page (publish: via POST /notices)"
        },
    )
    submit_blockers = fields.List(
        fields.String(),
        metadata={"description": "why the applicant cannot submit yet (rules, attachments)"},
    )
    history = fields.List(fields.Nested(HistorySchema))
    time_limit = fields.Nested(
        TimeLimitSchema,
        allow_none=True,
        metadata={
            "description": "办理时限, from 受理 on (null before): paused while returned, in "
            "expert review and in notice; stopped for good when the case ends"
        },
    )


class ApplicationCreateSchema(BaseSchema):
    program = fields.String(required=True, validate=validate.Length(min=1, max=60))
    batch_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    data = fields.Dict(keys=fields.String(), load_default=dict)


class ApplicationPatchSchema(BaseSchema):
    data = fields.Dict(keys=fields.String(), required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class ApplicationListArgs(PageArgs):
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    view = fields.String(
        load_default=None,
        validate=validate.OneOf(queues.VIEWS),
        metadata={
            "description": "staff: waiting (待办), done (已办: I or my district acted), all, "
            "overdue (超期: clock running, past due), due_soon (即将超期: due within "
            f"{DUE_SOON_WORKING_DAYS} working days)"
        },
    )
    program = fields.String(load_default=None, validate=validate.Length(max=60))
    district = fields.String(load_default=None, validate=validate.Length(max=6))
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "申报编号或申请人名称的一部分 / number or applicant name"},
    )


def _whole_points(value: Any) -> None:
    """A criterion's points: a whole number (``true`` is no score), 0 to the maximum."""
    if isinstance(value, bool):
        raise ValidationError("得分须为整数。/ Points must be a whole number.")
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationError(f"得分须在 {SCORE_MIN} 至 {SCORE_MAX} 之间。/ Points out of range.")


class ActionSchema(BaseSchema):
    version = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    articles = fields.List(
        fields.String(validate=validate.Length(max=30)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"example": ["四(一)"]},
    )
    failed_rules = fields.List(
        fields.String(validate=validate.Length(max=60)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    amount = MoneyField(load_default=None, allow_none=True, metadata={"example": "12000.00"})
    score = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=SCORE_MIN, max=SCORE_MAX),
    )
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    payment_reference = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    objection_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    opinion = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "审核意见, kept in the history (decisions)"},
    )
    items = fields.List(
        fields.Nested(CorrectionItemSchema),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "return: every item to correct at once (一次性告知)"},
    )
    scores = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=60)),
        values=fields.Integer(strict=True, validate=_whole_points),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=50),
        metadata={
            "description": "expert_score: points per criterion code (GET /programs/<code> "
            "expert_criteria); the total is computed",
            "example": {"premises": 20, "team_mentors": 18},
        },
    )
    conflict_declared = fields.Boolean(
        load_default=False,
        metadata={"description": "expert_score: 回避 — the expert declares a conflict"},
    )


class ExpertsRequestSchema(BaseSchema):
    user_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )


class ExpertSchema(BaseSchema):
    user_id = fields.Integer()
    username = fields.String()
    assigned_at = fields.DateTime()
    score = fields.Integer(allow_none=True, metadata={"description": "the total (computed)"})
    scores = fields.Dict(
        keys=fields.String(), values=fields.Integer(), allow_none=True, dump_default=None
    )
    opinion = fields.String(allow_none=True, dump_default=None)
    scored_at = fields.DateTime(allow_none=True)
    recused = fields.Boolean(dump_default=False, metadata={"description": "回避 declared"})
    recused_at = fields.DateTime(allow_none=True, dump_default=None)


class ExpertCriterionRefSchema(BaseSchema):
    code = fields.String()
    label = fields.String()
    max = fields.Integer()


class ExpertReviewSchema(BaseSchema):
    criteria = fields.List(fields.Nested(ExpertCriterionRefSchema))
    scored = fields.Integer()
    recused = fields.Integer()
    pending = fields.Integer()
    revealed = fields.Boolean(
        metadata={
            "description": "false: an expert sees only their own score until every expert "
            "still assigned has scored"
        }
    )
    experts = fields.List(fields.Nested(ExpertSchema))


class ExpertListSchema(BaseSchema):
    application_id = fields.Integer()
    experts = fields.List(fields.Nested(ExpertSchema))


class AuditEventSchema(BaseSchema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    application_id = fields.Integer(allow_none=True)
    action = fields.String(allow_none=True)
    from_state = fields.String(allow_none=True, data_key="from")
    to_state = fields.String(allow_none=True, data_key="to")
    by = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    articles = fields.List(fields.String())
    details = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class UploadSchema(BaseSchema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=40))
    file = Upload(required=True)


# --- shaping ------------------------------------------------------------------------------


def applicant_json(case: Application) -> dict[str, Any]:
    return {
        "name": case.applicant_name,
        "kind": "organization" if case.organization_id is not None else "person",
        "organization_id": case.organization_id,
        "person_id": case.person_id,
        "user_id": case.applicant_user_id,
    }


def summary_json(case: Application) -> dict[str, Any]:
    return {
        "id": case.id,
        "number": case.number,
        "program": case.program.code,
        "program_name": case.program.name,
        "batch_id": case.batch_id,
        "state": case.state,
        "state_label": state_label(case.state, workflow_id=case.workflow_id),
        "version": case.version,
        "applicant": applicant_json(case),
        "district": case.district,
        "computed_amount": case.computed_amount,
        "approved_amount": case.approved_amount,
        "submitted_on": case.submitted_on,
        "due_on": case.due_on,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


#: What ``summary_json`` reads, and nothing else: a list loads neither the case's data, its
#: explanation and rule snapshot nor its program's definition (JSON it does not return).
SUMMARY_LOAD = (
    load_only(
        Application.id,
        Application.number,
        Application.program_id,
        Application.batch_id,
        Application.state,
        Application.version,
        Application.workflow_id,
        Application.applicant_name,
        Application.organization_id,
        Application.person_id,
        Application.applicant_user_id,
        Application.district,
        Application.computed_amount,
        Application.approved_amount,
        Application.submitted_on,
        Application.due_on,
        Application.created_at,
        Application.updated_at,
    ),
    joinedload(Application.program, innerjoin=True).load_only(Program.code, Program.name),
)


def attachment_json(att: Any) -> dict[str, Any]:
    return {
        "id": att.id,
        "kind": att.kind,
        "filename": att.filename,
        "content_type": att.content_type,
        "size": att.size,
        "sha256": att.sha256,
        "uploaded_at": att.uploaded_at,
        "current": att.current,
        "url": url_for(
            "api_applications.download_attachment",
            case_id=att.application_id,
            attachment_id=att.id,
        ),
    }


def history(user: User, case: Application) -> list[dict[str, Any]]:
    """The case's timeline as the case page shows it to this user (applicants do not see
    objections, expert scores or who acted), with states and roles as codes."""
    loaded = case_view.case_events(case)
    entries = case_view.timeline(user, case, loaded)
    events = {ev.id: ev for ev in loaded}
    out = []
    for entry in entries:
        ev = events[entry.event_id]
        out.append(
            {
                "action": ev.action,
                "title": entry.title,
                "from_state": ev.from_state,
                "to_state": ev.to_state,
                "by": entry.actor,
                "role": ev.actor_role,
                "at": ev.at,
                "reason": entry.reason,
                "opinion": entry.opinion,
                "articles": entry.articles,
                "rules": entry.rules,
                "items": entry.items,
                "note": entry.note,
            }
        )
    return out


def detail_json(user: User, case: Application) -> dict[str, Any]:
    # A case just loaded (GET) is current; one returned by a write was expired by its
    # commit and reloads on first use.
    now = case_view.actions_now(user, case)
    out = summary_json(case)
    out.update(
        data=dict(case.data or {}),
        eligible=case.eligible,
        attachments=[attachment_json(a) for a in case.attachments],
        explanation=case.explanation,
        score_average=case.score_average,
        payment_reference=case.payment_reference,
        disbursed_on=case.disbursed_on,
        outcome=case.program.outcome,
        correction=case.correction if case.state == "returned" else None,
        expert_review=expert_review_json(user, case),
        allowed_actions=now.allowed,
        submit_blockers=now.submit_blockers,
        history=history(user, case),
        query_code=case.query_code,
    )
    limit = time_limits.time_limit(case, today())
    out["time_limit"] = limit.as_json() if limit is not None else None
    return out


def expert_json(row: Any, *, revealed: bool = True) -> dict[str, Any]:
    """One expert's assignment; ``revealed`` False leaves out the score and opinion."""
    return {
        "user_id": row.expert_id,
        "username": row.expert.username,
        "assigned_at": row.assigned_at,
        "score": row.score if revealed else None,
        "scores": dict(row.scores) if revealed and row.scores else None,
        "opinion": row.comment if revealed else None,
        "scored_at": row.scored_at,
        "recused": row.recused,
        "recused_at": row.recused_at,
    }


def expert_review_json(user: User, case: Application) -> dict[str, Any] | None:
    """专家评审 as ``user`` may see it (``experts.expert_review``); None for applicants and
    programs without expert review."""
    if not case.program.expert_review or not case_view.is_staff_view(user):
        return None
    seen = experts.expert_review(user, case.id)
    spec = eligibility.program_spec(case.program)
    return {
        "criteria": [
            {"code": c.code, "label": c.label, "max": c.max} for c in spec.expert_criteria
        ],
        "scored": seen.scored,
        "recused": seen.recused,
        "pending": seen.pending,
        "revealed": seen.revealed,
        "experts": [
            expert_json(r, revealed=seen.revealed or r.expert_id == user.id) for r in seen.rows
        ],
    }


def _user() -> User:
    user = current_api_user()
    assert user is not None
    return user


# --- routes -------------------------------------------------------------------------------


@blp.route("/applications", methods=["POST"])
@require_auth("applicant")
@blp.arguments(ApplicationCreateSchema)
@blp.response(201, ApplicationSchema)
@document_problems(blp, 400, 401, 403, 422)
def create_application(body: dict) -> dict:
    """Start an application (a ``draft``) in a program's open batch. 新建申报草稿"""
    user = _user()
    case = cases.create_draft(user, body["program"], body["data"], body["batch_id"])
    return detail_json(user, case)


@blp.route("/applications", methods=["GET"])
@require_auth()
@blp.arguments(ApplicationListArgs, location="query")
@blp.response(200, page_of(ApplicationSummarySchema, "ApplicationPageSchema"))
@document_problems(blp, 400, 401, 422)
def list_applications(args: dict) -> dict:
    """The cases the caller may see, newest first. 申报列表

    Applicants see their own, county reviewers their district, experts their assignments,
    city roles all. Paged with ``limit`` and the opaque ``cursor``."""
    user = _user()
    stmt = sa.select(Application).options(*SUMMARY_LOAD).where(cases.visibility_filter(user))
    if args["state"]:
        stmt = stmt.where(Application.state == args["state"])
    if args["program"]:
        stmt = stmt.where(
            Application.program_id.in_(sa.select(Program.id).where(Program.code == args["program"]))
        )
    if args["district"]:
        stmt = stmt.where(Application.district == args["district"])
    if args["view"]:
        visible = cases.visibility_filter(user)
        stmt = stmt.where(queues.view_scope(user, visible, args["view"], state=args["state"]))
    search = case_search(args["q"])
    if search is not None:
        stmt = stmt.where(search)
    rows, nxt = keyset_page(stmt, Application.id, args["limit"], args["cursor"])
    return {"items": [summary_json(c) for c in rows], "next_cursor": nxt}


@blp.route(f"/applications/<{ID}:case_id>", methods=["GET"])
@require_auth()
@blp.response(200, ApplicationSchema)
@document_problems(blp, 401, 404)
def get_application(case_id: int) -> dict:
    """One case, with what the caller may do now and its history. 申报详情"""
    user = _user()
    return detail_json(user, cases.get_visible(user, case_id))


@blp.route(f"/applications/<{ID}:case_id>", methods=["PATCH"])
@require_auth("applicant")
@blp.arguments(ApplicationPatchSchema)
@blp.response(200, ApplicationSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 422)
def update_application(body: dict, case_id: int) -> dict:
    """Change a draft's (or a returned case's) data; only its applicant. 修改申报"""
    user = _user()
    case = cases.update_draft(user, case_id, body["data"], body["version"])
    return detail_json(user, case)


@blp.route(
    f"/applications/<{ID}:case_id>/actions/<any({', '.join(ACTIONS)}):action>", methods=["POST"]
)
@require_auth()
@blp.arguments(ActionSchema)
@blp.response(200, ApplicationSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 422)
def act(body: dict, case_id: int, action: str) -> dict:
    """Take a workflow action. 办理

    Answers the case after the transition. A refused action says which guard failed (422,
    with the explanation), a wrong state is 409 ``invalid_transition``, a stale ``version``
    409 ``version_conflict``. Publishing is POST /notices."""
    user = _user()
    inp = ActionInput(
        version=body["version"],
        reason=body["reason"],
        articles=list(body["articles"]),
        failed_rules=list(body["failed_rules"]),
        amount=body["amount"],
        score=body["score"],
        comment=body["comment"],
        payment_reference=body["payment_reference"],
        objection_id=body["objection_id"],
        opinion=body["opinion"],
        items=[dict(i) for i in body["items"]],
        scores=dict(body["scores"]) if body["scores"] is not None else None,
        conflict_declared=body["conflict_declared"],
    )
    case = cases.act(user, case_id, action, inp)
    return detail_json(user, case)


@blp.route(f"/applications/<{ID}:case_id>/experts", methods=["POST"])
@require_auth("city_reviewer")
@blp.arguments(ExpertsRequestSchema)
@blp.response(200, ExpertListSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 422)
def assign_experts(body: dict, case_id: int) -> dict:
    """Assign experts to a case (city reviewer); each then acts ``expert_score``. 指派专家"""
    user = _user()
    experts.assign_experts(user, case_id, body["user_ids"])
    rows = experts.assignments(case_id)
    return {"application_id": case_id, "experts": [expert_json(r) for r in rows]}


@blp.route(f"/applications/<{ID}:case_id>/audit", methods=["GET"])
@require_auth(*STAFF)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(AuditEventSchema, "AuditEventPageSchema"))
@document_problems(blp, 400, 401, 403, 404, 422)
def case_audit(args: dict, case_id: int) -> dict:
    """The case's audit events with their hashes (staff). 案件审计记录

    Oldest first; each event carries its own hash and the previous event's."""
    user = _user()
    case = cases.get_visible(user, case_id)
    stmt = sa.select(AuditEvent).where(AuditEvent.application_id == case.id)
    rows, nxt = keyset_page(stmt, AuditEvent.id, args["limit"], args["cursor"], descending=False)
    # Another expert's scores stay hidden until every expert has scored.
    details = experts.visible_details(user, case.id, rows)
    return {
        "items": [audit_event_json(ev, details=details[ev.id]) for ev in rows],
        "next_cursor": nxt,
    }


def audit_event_json(ev: AuditEvent, *, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """One audit event as the API gives it, with its hash and its predecessor's
    (``details``: the details as the caller may read them, when not all)."""
    return {
        "id": ev.id,
        "at": ev.at,
        "kind": ev.kind,
        "application_id": ev.application_id,
        "action": ev.action,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "by": ev.actor_name,
        "role": ev.actor_role,
        "reason": ev.reason,
        "articles": list(ev.articles or []),
        "details": dict(ev.details or {}) if details is None else details,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


# --- attachments --------------------------------------------------------------------------

DOWNLOAD_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)


@blp.route(f"/applications/<{ID}:case_id>/attachments", methods=["POST"])
@require_auth("applicant")
@blp.arguments(UploadSchema, location="form", content_type="multipart/form-data")
@blp.response(201, AttachmentSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def upload_attachment(body: dict, case_id: int) -> dict:
    """Upload an attachment. 上传附件

    Multipart ``kind`` (one of the program's attachment kinds) and ``file``; judged by its
    content: PDF, JPEG, PNG, XLSX or DOCX. Only the applicant, in draft or returned."""

    user = _user()
    upload = body["file"]
    if not hasattr(upload, "stream"):
        raise ValidationFailed("请选择要上传的文件。", errors={"file": ["须为上传的文件。"]})
    att = attachments.upload(user, case_id, body["kind"], upload.filename, upload.stream)
    return attachment_json(att)


@blp.route(f"/applications/<{ID}:case_id>/attachments/<{ID}:attachment_id>", methods=["GET"])
@require_auth()
@blp.doc(
    responses={
        "200": {
            "description": "The file, as an attachment (never shown inline).",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in DOWNLOAD_TYPES
            },
        }
    }
)
@document_problems(blp, 401, 404)
def download_attachment(case_id: int, attachment_id: int) -> Response:
    """Download an attachment, for anyone who may see the case. 下载附件"""

    user = _user()
    found = attachments.for_download(user, case_id, attachment_id)
    resp = send_file(
        found.path,
        mimetype=found.attachment.content_type,
        as_attachment=True,
        download_name=found.attachment.filename,
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# --- roster -------------------------------------------------------------------------------


class RosterUploadSchema(BaseSchema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8 or GBK) or XLSX"})


class RejectedRowSchema(BaseSchema):
    row = fields.Integer(metadata={"description": "row number in the file"})
    errors = fields.List(fields.String())


class RosterPersonSchema(BaseSchema):
    name = fields.String()
    id_number = fields.String(metadata={"description": "masked"})
    months = fields.Integer()
    amount = MoneyField()


class RosterResultSchema(BaseSchema):
    accepted = fields.Integer()
    rejected = fields.List(fields.Nested(RejectedRowSchema))
    rejected_count = fields.Integer()
    amount = MoneyField()
    per_person = fields.List(fields.Nested(RosterPersonSchema))


@blp.route(f"/applications/<{ID}:case_id>/roster", methods=["POST"])
@require_auth("applicant")
@blp.arguments(RosterUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(200, RosterResultSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def upload_roster(body: dict, case_id: int) -> dict:
    """Upload the roster (花名册) of a 招用大学生社保补贴 claim. 上传花名册

    One row per person-month, CSV or XLSX, header in Chinese or English. Replaces the
    case's roster at once; refused rows are listed with their reasons and do not count;
    ``amount`` is the employer contributions of the accepted rows."""

    upload = body["file"]
    if not hasattr(upload, "stream"):
        raise ValidationFailed("请选择花名册文件。", errors={"file": ["须为上传的文件。"]})
    result = roster.import_roster(_user(), case_id, upload.filename, upload.stream)
    return result.as_json()
