"""API: administration and figures — batches and budgets, staff accounts, the audit chain,
statistics, and the public list of recognised maker spaces.

Changes go through ``services.batches`` and ``services.accounts`` (which write the audit
events); deactivating a user revokes their sessions and tokens at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields, validate

from zhongchuang.accounts import operations as accounts
from zhongchuang.admin import queries as admin_queries
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
from zhongchuang.audit import chain as audit
from zhongchuang.audit import log as audit_log
from zhongchuang.cases.api import AuditEventSchema, audit_event_json
from zhongchuang.catalogue import batches
from zhongchuang.catalogue import queries as catalogue_queries
from zhongchuang.errors import NotFound
from zhongchuang.models import ROLES, AuditEvent, Batch, User
from zhongchuang.runtime import today
from zhongchuang.stats import queries as stats_service

blp = ApiBlueprint(
    "api_admin",
    __name__,
    url_prefix="/api/v1",
    description="管理与统计 Batches, users, audit chain, statistics, maker spaces",
)

ID = "int(max=2147483647)"
BATCH_READERS = ("admin", "city_reviewer", "finance")
STATS_READERS = ("admin", "city_reviewer", "county_reviewer", "finance")
DATE_RANGE = validate.Range(
    min=date(2000, 1, 1),
    max=date(2100, 12, 31),
    error="日期须在 2000-01-01 至 2100-12-31 之间。",
)


def _user() -> User:
    user = current_api_user()
    assert user is not None
    return user


# --- batches ------------------------------------------------------------------------------


class BatchSchema(BaseSchema):
    id = fields.Integer()
    program = fields.String()
    program_name = fields.String()
    name = fields.String(allow_none=True)
    year = fields.Integer()
    opens_on = fields.Date()
    closes_on = fields.Date()
    budget = MoneyField()
    reserved = MoneyField()
    consumed = MoneyField()
    available = MoneyField()
    open = fields.Boolean()


class BatchCreateSchema(BaseSchema):
    program = fields.String(required=True, validate=validate.Length(min=1, max=60))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    opens_on = fields.Date(required=True, validate=DATE_RANGE)
    closes_on = fields.Date(required=True, validate=DATE_RANGE)
    budget = MoneyField(required=True, metadata={"example": "500000.00"})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BatchUpdateSchema(BaseSchema):
    opens_on = fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    closes_on = fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    budget = MoneyField(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BatchListArgs(PageArgs):
    program = fields.String(load_default=None, validate=validate.Length(max=60))


def batch_json(batch: Batch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "program": batch.program.code,
        "program_name": batch.program.name,
        "name": batch.name,
        "year": batch.year,
        "opens_on": batch.opens_on,
        "closes_on": batch.closes_on,
        "budget": batch.budget,
        "reserved": batch.reserved,
        "consumed": batch.consumed,
        "available": batch.available,
        "open": batch.is_open(today()),
    }


@blp.route("/batches", methods=["GET"])
@require_auth(*BATCH_READERS)
@blp.arguments(BatchListArgs, location="query")
@blp.response(200, page_of(BatchSchema, "BatchPageSchema"))
@document_problems(blp, 400, 401, 403, 422)
def list_batches(args: dict) -> dict:
    """Application batches with their budgets, newest first. 申报批次"""
    stmt = admin_queries.batches_matching(args["program"])
    rows, nxt = keyset_page(stmt, Batch.id, args["limit"], args["cursor"])
    return {"items": [batch_json(b) for b in rows], "next_cursor": nxt}


@blp.route("/batches", methods=["POST"])
@require_auth("admin")
@blp.arguments(BatchCreateSchema)
@blp.response(201, BatchSchema)
@document_problems(blp, 400, 401, 403, 422)
def create_batch(body: dict) -> dict:
    """Open a batch: program, fiscal year, window and budget (admin). 新建申报批次"""
    batch = batches.create_batch(
        _user(),
        body["program"],
        body["year"],
        body["opens_on"],
        body["closes_on"],
        body["budget"],
        name=body["name"],
    )
    return batch_json(batch)


@blp.route(f"/batches/<{ID}:batch_id>", methods=["GET"])
@require_auth(*BATCH_READERS)
@blp.response(200, BatchSchema)
@document_problems(blp, 401, 403, 404)
def get_batch(batch_id: int) -> dict:
    """One batch. 申报批次详情"""
    batch = admin_queries.get_batch(batch_id)
    if batch is None:
        raise NotFound("未找到该批次。")
    return batch_json(batch)


@blp.route(f"/batches/<{ID}:batch_id>", methods=["PUT"])
@require_auth("admin")
@blp.arguments(BatchUpdateSchema)
@blp.response(200, BatchSchema)
@document_problems(blp, 400, 401, 403, 404, 422)
def update_batch(body: dict, batch_id: int) -> dict:
    """Change a batch's window or budget (admin). 调整申报批次

    Fields left out keep their value; the budget never drops below what is reserved
    and paid."""
    batch = batches.update_batch(
        _user(),
        batch_id,
        opens_on=body["opens_on"],
        closes_on=body["closes_on"],
        budget=body["budget"],
        name=body["name"],
    )
    return batch_json(batch)


# --- users --------------------------------------------------------------------------------


class UserSchema(BaseSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    district = fields.String(allow_none=True)
    active = fields.Boolean()
    organization_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class UserCreateSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)),
        required=True,
        validate=validate.Length(min=1, max=len(ROLES)),
    )
    district = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=6))
    display_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class UserPatchSchema(BaseSchema):
    active = fields.Boolean(load_default=None, allow_none=True)
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=len(ROLES)),
    )
    district = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=6))


class UserListArgs(PageArgs):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    active = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=64))


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "roles": user.roles,
        "district": user.district,
        "active": user.active,
        "organization_id": user.organization_id,
        "person_id": user.person_id,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


def _get_user(user_id: int) -> User:
    user = admin_queries.get_user(user_id)
    if user is None:
        raise NotFound("未找到该用户。")
    return user


@blp.route("/users", methods=["POST"])
@require_auth("admin")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@document_problems(blp, 400, 401, 403, 422)
def create_user(body: dict) -> dict:
    """Create a staff account (admin). 新建工作人员账号"""
    user = accounts.create_user(
        body["username"],
        body["password"],
        list(body["roles"]),
        body["district"],
        by=_user(),
        display_name=body["display_name"],
        email=body["email"],
    )
    return user_json(user)


@blp.route("/users", methods=["GET"])
@require_auth("admin")
@blp.arguments(UserListArgs, location="query")
@blp.response(200, page_of(UserSchema, "UserPageSchema"))
@document_problems(blp, 400, 401, 403, 422)
def list_users(args: dict) -> dict:
    """Accounts, oldest first (admin). 账号列表"""
    stmt = admin_queries.users_matching(role=args["role"], active=args["active"], q=args["q"])
    rows, nxt = keyset_page(stmt, User.id, args["limit"], args["cursor"], descending=False)
    return {"items": [user_json(u) for u in rows], "next_cursor": nxt}


@blp.route(f"/users/<{ID}:user_id>", methods=["GET"])
@require_auth("admin")
@blp.response(200, UserSchema)
@document_problems(blp, 401, 403, 404)
def get_user(user_id: int) -> dict:
    """One account (admin). 账号详情"""
    return user_json(_get_user(user_id))


@blp.route(f"/users/<{ID}:user_id>", methods=["PATCH"])
@require_auth("admin")
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 422)
def update_user(body: dict, user_id: int) -> dict:
    """Change roles, district or active (admin). 修改账号

    Deactivation revokes the user's sessions and API tokens at once; the last active
    admin cannot be deactivated or lose the role (409)."""
    admin = _user()
    user = _get_user(user_id)
    accounts.update_user(
        user, roles=body["roles"], district=body["district"], active=body["active"], by=admin
    )
    return user_json(user)


# --- audit --------------------------------------------------------------------------------


class AuditListArgs(PageArgs):
    case = fields.String(
        load_default=None,
        validate=validate.Length(max=40, error="案件至多 40 字。/ At most 40 characters."),
        metadata={"description": "申报编号或案件 id / case number or id"},
    )
    actor = fields.String(
        load_default=None,
        validate=validate.Length(max=64, error="用户名至多 64 字。/ At most 64 characters."),
        metadata={"description": "用户名"},
    )
    kind = fields.String(
        load_default=None,
        validate=validate.Length(max=40, error="类别至多 40 字。/ At most 40 characters."),
        metadata={"description": "类别（如 case.action）或其大类（如 admin）/ kind or family"},
    )
    date_from = fields.Date(load_default=None, metadata={"description": "起始日（含）"})
    date_to = fields.Date(load_default=None, metadata={"description": "截止日（含）"})


@blp.route("/audit", methods=["GET"])
@require_auth("admin")
@blp.arguments(AuditListArgs, location="query")
@blp.response(200, page_of(AuditEventSchema, "AuditTrailPageSchema"))
@document_problems(blp, 400, 401, 403, 422)
def list_audit(args: dict) -> dict:
    """The audit trail, newest first, filtered as on the audit page (admin). 审计日志"""
    flt = audit_log.AuditFilter(
        case=(args["case"] or "").strip() or None,
        actor=(args["actor"] or "").strip() or None,
        kind=(args["kind"] or "").strip() or None,
        date_from=args["date_from"],
        date_to=args["date_to"],
    )
    stmt = audit_log.events_matching(flt)
    rows, nxt = keyset_page(stmt, AuditEvent.id, args["limit"], args["cursor"])
    return {"items": [audit_event_json(ev) for ev in rows], "next_cursor": nxt}


class VerifySchema(BaseSchema):
    ok = fields.Boolean()
    events = fields.Integer()
    first_bad = fields.Integer(allow_none=True)
    message = fields.String()


@blp.route("/audit/verify", methods=["GET"])
@require_auth("admin")
@blp.response(200, VerifySchema)
@document_problems(blp, 401, 403)
def verify_audit() -> dict:
    """Recompute the audit hash chain (admin). 审计链校验"""
    result = audit.verify()
    return {
        "ok": result.ok,
        "events": result.events,
        "first_bad": result.first_bad,
        "message": result.message,
    }


# --- statistics ---------------------------------------------------------------------------


class AmountsSchema(BaseSchema):
    count = fields.Integer()
    requested_amount = MoneyField()
    approved_amount = MoneyField()
    disbursed_amount = MoneyField()


class ProgramStatsSchema(AmountsSchema):
    program = fields.String()
    name = fields.String()


class StateCountSchema(BaseSchema):
    state = fields.String()
    label = fields.String()
    count = fields.Integer()


class DistrictStatsSchema(AmountsSchema):
    district = fields.String()
    name = fields.String()


class YearStatsSchema(AmountsSchema):
    year = fields.Integer(allow_none=True)


class StageSchema(BaseSchema):
    state = fields.String()
    label = fields.String()
    stays = fields.Integer()
    median_days = fields.Float()
    median_working_days = fields.Float()


class DistrictCountSchema(BaseSchema):
    district = fields.String()
    name = fields.String()
    count = fields.Integer()


class OverdueSchema(BaseSchema):
    total = fields.Integer()
    by_state = fields.List(fields.Nested(StateCountSchema))
    by_district = fields.List(fields.Nested(DistrictCountSchema))


class TargetSchema(BaseSchema):
    key = fields.String()
    label = fields.String()
    target = fields.Integer()
    unit = fields.String()
    article = fields.String()
    actual = fields.Integer(
        allow_none=True, metadata={"description": "null where the system records nothing"}
    )
    progress_percent = fields.Float(allow_none=True)
    source = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class StatsSchema(BaseSchema):
    as_of = fields.Date()
    computed_at = fields.String(
        metadata={
            "description": "When these figures were computed (ISO 8601, UTC). They are "
            "kept for ZC_STATS_TTL seconds (default 300) per scope."
        }
    )
    scope = fields.String(metadata={"description": "city, or the caller's district"})
    totals = fields.Nested(AmountsSchema)
    by_program = fields.List(fields.Nested(ProgramStatsSchema))
    by_state = fields.List(fields.Nested(StateCountSchema))
    by_district = fields.List(fields.Nested(DistrictStatsSchema))
    by_year = fields.List(fields.Nested(YearStatsSchema))
    stage_durations = fields.List(fields.Nested(StageSchema))
    overdue = fields.Nested(OverdueSchema)
    targets = fields.List(fields.Nested(TargetSchema))


@blp.route("/stats", methods=["GET"])
@require_auth(*STATS_READERS)
@blp.response(200, StatsSchema)
@document_problems(blp, 401, 403)
def stats() -> dict:
    """Counts and amounts by program, state, district and year; 2020 targets. 统计

    Submitted cases the caller may see (a county reviewer: their district). Progress
    against the targets of article 二: ``actual`` is null where the system records
    nothing — no figure is invented."""

    on = today()
    return {**stats_service.cached_summary(_user(), on), "as_of": on}


# --- maker spaces -------------------------------------------------------------------------


class MakerSpaceSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    space_type = fields.String()
    level = fields.String()
    district = fields.String()
    recognised_on = fields.Date()
    address = fields.String(allow_none=True)
    certificate_number = fields.String(allow_none=True, metadata={"description": "认定证书编号"})
    operator = fields.String(allow_none=True)
    application_id = fields.Integer(allow_none=True)


@blp.route("/maker-spaces", methods=["GET"])
@blp.response(200, MakerSpaceSchema(many=True))
def list_maker_spaces() -> list:
    """Recognised maker spaces (no token needed). 市级众创空间名录"""
    return [
        {
            "id": s.id,
            "name": s.name,
            "space_type": s.space_type,
            "level": s.level,
            "district": s.district,
            "recognised_on": s.recognised_on,
            "address": s.address,
            "certificate_number": s.certificate_number,
            "operator": s.operator.name if s.operator is not None else None,
            "application_id": s.application_id,
        }
        for s in catalogue_queries.maker_spaces()
    ]
