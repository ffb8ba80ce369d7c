"""API: public notices (公示) and objections (异议).

Publishing is ``services.notices.publish_notice`` (city reviewers), with a result per case.
Reading notices and lodging an objection need no token: what the public sees is the
notice items' already-masked names, never an identity number.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

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
from zhongchuang.errors import GuardFailed
from zhongchuang.extensions import limiter
from zhongchuang.models import Notice
from zhongchuang.notices import operations as notices
from zhongchuang.runtime import today
from zhongchuang.workflow import calendar as wcal

blp = ApiBlueprint(
    "api_notices",
    __name__,
    url_prefix="/api/v1",
    description="公示与异议 Public notices and objections",
)

ID = "int(max=2147483647)"
#: Objections per client address (the public needs no account, so the address is the key).
OBJECTION_LIMIT = "10 per hour"


class NoticeRequestSchema(BaseSchema):
    application_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        required=True,
        validate=validate.Length(min=1, max=200),
    )
    working_days = fields.Integer(
        load_default=wcal.NOTICE_DAYS_DEFAULT,
        validate=validate.Range(min=1, max=wcal.NOTICE_DAYS_MAX),
        metadata={"description": f"公示期（工作日），默认 {wcal.NOTICE_DAYS_DEFAULT}"},
    )
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class CaseResultSchema(BaseSchema):
    id = fields.Integer()
    published = fields.Boolean()
    message = fields.String(allow_none=True)


class PublishedSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    working_days = fields.Integer()
    applications = fields.List(fields.Nested(CaseResultSchema))


class NoticeItemSchema(BaseSchema):
    application_id = fields.Integer()
    applicant = fields.String(metadata={"description": "organisation, or masked person name"})
    program = fields.String()
    district = fields.String()
    amount = MoneyField(allow_none=True)


class NoticeSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    published_on = fields.Date()
    starts_on = fields.Date()
    ends_on = fields.Date()
    working_days = fields.Integer()
    state = fields.String(metadata={"description": "upcoming | running | ended"})
    calendar_certain = fields.Boolean()
    items = fields.List(fields.Nested(NoticeItemSchema))


class ContactSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(max=50))
    phone = fields.String(required=True, validate=validate.Length(max=30))


class ObjectionRequestSchema(BaseSchema):
    application_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    contact = fields.Nested(
        ContactSchema,
        required=True,
        metadata={"description": "异议人的真实姓名和电话（不受理匿名异议，对申请人保密）"},
    )
    text = fields.String(required=True, validate=validate.Length(max=5000))


class ObjectionSchema(BaseSchema):
    id = fields.Integer()
    notice_id = fields.Integer()
    application_id = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()


def notice_json(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "title": notice.title,
        "published_on": notice.published_on,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "working_days": notice.working_days,
        "state": notices.notice_state(notice, today()),
        "calendar_certain": notice.calendar_certain,
        "items": [
            {
                "application_id": i.application_id,
                "applicant": i.public_name,
                "program": i.program_name,
                "district": i.district,
                "amount": i.amount,
            }
            for i in notice.items
        ],
    }


@blp.route("/notices", methods=["POST"])
@require_auth("city_reviewer")
@blp.arguments(NoticeRequestSchema)
@blp.response(201, PublishedSchema)
@document_problems(blp, 400, 401, 403, 422)
def publish(body: dict) -> dict:
    """Publish a notice (city reviewer). 发布公示

    Each case goes ``in_notice``, or is reported with the reason it could not; when none
    can, nothing is published (422, each case's reason under ``errors``)."""
    user = current_api_user()
    assert user is not None
    result = notices.publish_notice(
        user, body["application_ids"], body["working_days"], body["title"]
    )
    if result.notice is None:
        raise GuardFailed(
            "所选申报均不能公示。",
            errors={f"application_ids.{i}": [msg] for i, msg in result.refused.items()},
        )
    notice = result.notice
    applications = [{"id": i, "published": True, "message": None} for i in result.published]
    applications += [
        {"id": i, "published": False, "message": msg} for i, msg in result.refused.items()
    ]
    return {
        "id": notice.id,
        "title": notice.title,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "working_days": notice.working_days,
        "applications": applications,
    }


@blp.route("/notices", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(NoticeSchema, "NoticePageSchema"))
@document_problems(blp, 400, 422)
def list_notices(args: dict) -> dict:
    """Public notices, newest first (no token needed). 公示列表"""
    rows, nxt = keyset_page(notices.notices_published(), Notice.id, args["limit"], args["cursor"])
    return {"items": [notice_json(n) for n in rows], "next_cursor": nxt}


@blp.route(f"/notices/<{ID}:notice_id>", methods=["GET"])
@blp.response(200, NoticeSchema)
@document_problems(blp, 404)
def get_notice(notice_id: int) -> dict:
    """One public notice (no token needed). 公示详情"""
    return notice_json(notices.get_notice(notice_id))


@blp.route(f"/notices/<{ID}:notice_id>/objections", methods=["POST"])
@limiter.limit(OBJECTION_LIMIT)
@blp.arguments(ObjectionRequestSchema)
@blp.response(201, ObjectionSchema)
@document_problems(blp, 400, 404, 409, 422, 429)
def lodge_objection(body: dict, notice_id: int) -> dict:
    """Lodge an objection while the notice runs (no token needed). 提出异议

    With the objector's real name and phone, kept confidential from the applicant. Outside
    the notice period: 409 ``notice_closed``. Rate limited per client address."""
    obj = notices.lodge_objection(
        notice_id,
        body["application_id"],
        body["contact"]["name"],
        body["contact"]["phone"],
        body["text"],
    )
    return {
        "id": obj.id,
        "notice_id": obj.notice_id,
        "application_id": obj.application_id,
        "status": obj.status,
        "created_at": obj.created_at,
    }
