"""Bearer-token authentication for the API. The API never uses the session cookie,
so it needs no CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_smorest import Blueprint

from zhongchuang.accounts import operations as accounts
from zhongchuang.errors import DomainError, Forbidden
from zhongchuang.models import User


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_api_user(optional: bool = False) -> User | None:
    if "api_user" in g:
        return g.api_user
    token = _bearer()
    found = accounts.user_for_token(token) if token else None
    if found is None:
        if optional and token is None:
            g.api_user = None
            return None
        raise Unauthorized("缺少有效的访问令牌，或令牌已过期、已撤销。")
    g.api_user, g.api_token = found
    return g.api_user


BEARER = [{"bearerAuth": []}]
#: Either anonymous or with a token (e.g. the eligibility check uses the caller's facts).
OPTIONAL_BEARER = [{}, {"bearerAuth": []}]


def require_auth(*roles: str) -> Callable:
    """Authenticate by bearer token; with roles, also require one of them (403 if not).
    The operation is documented with the ``bearerAuth`` security scheme."""

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_api_user()
            if roles and not user.has_role(*roles):
                raise Forbidden("您的角色无权执行此操作。")
            return fn(*args, **kwargs)

        return Blueprint.doc(security=BEARER)(wrapper)

    return deco
