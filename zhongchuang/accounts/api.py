"""API: registrations, tokens, me."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from zhongchuang.accounts import operations as accounts
from zhongchuang.api.auth import current_api_user, require_auth
from zhongchuang.api.schemas import BaseSchema, document_problems
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import limiter

blp = Blueprint(
    "api_accounts", __name__, url_prefix="/api/v1", description="账号 Accounts and tokens"
)


class RegistrationSchema(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["organization", "person"]))
    username = fields.String(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, validate=validate.Length(max=128), load_only=True)
    email = fields.String(validate=validate.Length(max=200), load_default=None)
    # organisation
    org_name = fields.String(validate=validate.Length(max=200))
    credit_code = fields.String(validate=validate.Length(max=30))
    org_kind = fields.String(validate=validate.Length(max=20))
    district = fields.String(validate=validate.Length(max=6))
    enterprise_size = fields.String(validate=validate.Length(max=10), load_default=None)
    # person
    name = fields.String(validate=validate.Length(max=50))
    id_number = fields.String(validate=validate.Length(max=30))
    phone = fields.String(validate=validate.Length(max=30))


class RegistrationResultSchema(BaseSchema):
    user_id = fields.Integer()
    username = fields.String()
    kind = fields.String()
    organization_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    district = fields.String(allow_none=True)


class TokenRequestSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, validate=validate.Length(max=128), load_only=True)


class TokenSchema(BaseSchema):
    token = fields.String()
    expires_at = fields.DateTime()


class MeSchema(BaseSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    district = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)


def _require(data: dict, names: tuple[str, ...]) -> None:
    missing = {n: ["此项必填。/ This field is required."] for n in names if not data.get(n)}
    if missing:
        raise ValidationFailed("注册信息不完整。", errors=missing)


@blp.route("/registrations", methods=["POST"])
@blp.arguments(RegistrationSchema)
@blp.response(201, RegistrationResultSchema)
@document_problems(blp, 400, 422, 429)
@limiter.limit("20 per hour")
def create_registration(data: dict) -> dict:
    """Register an applicant account (organisation or person). 注册申请人账号"""
    if data["kind"] == "organization":
        _require(data, ("org_name", "credit_code", "org_kind", "district"))
        user = accounts.register_organization(
            accounts.OrganizationRegistration(
                username=data["username"],
                password=data["password"],
                org_name=data["org_name"],
                credit_code=data["credit_code"],
                org_kind=data["org_kind"],
                district=data["district"],
                enterprise_size=data.get("enterprise_size"),
                email=data.get("email"),
                phone=data.get("phone"),
            )
        )
    else:
        _require(data, ("name", "id_number", "phone"))
        user = accounts.register_person(
            accounts.PersonRegistration(
                username=data["username"],
                password=data["password"],
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                email=data.get("email"),
            )
        )
    return {
        "user_id": user.id,
        "username": user.username,
        "kind": data["kind"],
        "organization_id": user.organization_id,
        "person_id": user.person_id,
        "district": user.district,
    }


@blp.route("/tokens", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@document_problems(blp, 400, 401, 422, 429)
@limiter.limit(lambda: "30 per minute")
def create_token(data: dict) -> dict:
    """Exchange a username and password for a bearer token. 获取访问令牌"""
    user = accounts.authenticate(data["username"], data["password"], via="api")
    token, expires = accounts.issue_token(user)
    return {"token": token, "expires_at": expires}


@blp.route("/tokens/current", methods=["DELETE"])
@blp.response(204)
@document_problems(blp, 401)
@require_auth()
def delete_token() -> None:
    """Revoke the token of this request. 撤销当前令牌"""
    accounts.revoke_token(g.api_token)


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@document_problems(blp, 401)
@require_auth()
def me() -> dict:
    """The caller's account. 当前用户"""
    user = current_api_user()
    assert user is not None
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.roles,
        "district": user.district,
        "organization_id": user.organization_id,
        "person_id": user.person_id,
    }
