"""One place where errors become responses: HTML pages for the site,
``application/problem+json`` for ``/api/``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from zhongchuang.errors import DomainError, VersionConflict
from zhongchuang.extensions import login_manager
from zhongchuang.uow import discard

log = logging.getLogger("zhongchuang")

TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权操作",
    404: "未找到",
    405: "不允许的请求方法",
    409: "冲突",
    413: "文件过大",
    415: "不支持的文件类型",
    422: "无法处理",
    429: "请求过于频繁",
    500: "系统内部错误",
    503: "服务暂不可用",
    507: "存储空间不足",
}
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "upload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def problem(
    status: int,
    code: str,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"/api/v1/problems/{code}",
        "title": TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or {},
    }
    body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def _respond(status: int, code: str, detail: str, errors: dict[str, list[str]] | None = None):  # noqa: ANN202
    if wants_problem_json():
        return problem(status, code, detail, errors)
    template = "errors/error.html"
    return render_template(template, status=status, code=code, detail=detail, errors=errors), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # noqa: ANN202
        discard()
        return _respond(exc.status, exc.code, exc.message, exc.errors)

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError):  # noqa: ANN202
        discard()
        err = VersionConflict()
        return _respond(err.status, err.code, err.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):  # noqa: ANN202
        return _respond(400, "csrf_failed", "表单已过期或缺少安全令牌，请刷新页面后重新提交。")

    @app.errorhandler(RateLimitExceeded)
    def _ratelimit(exc: RateLimitExceeded):  # noqa: ANN202
        return _respond(429, "rate_limited", "请求过于频繁，请稍后再试。")

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError):  # noqa: ANN202
        log.error("database unavailable: %s", exc.__class__.__name__)
        discard()
        _forget_user()
        return _respond(
            503, "service_unavailable", "数据库暂不可用，您的操作未被保存，请稍后再试。"
        )

    @app.errorhandler(DBAPIError)
    def _db_error(exc: DBAPIError):  # noqa: ANN202
        if exc.connection_invalidated:
            log.error("database connection lost: %s", exc.__class__.__name__)
            discard()
            _forget_user()
            return _respond(
                503, "service_unavailable", "数据库连接中断，您的操作未被保存，请稍后再试。"
            )
        log.exception("database error")
        discard()
        return _respond(
            500, "internal_error", "系统内部错误，操作未被保存。请稍后再试或联系管理员。"
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        messages = (getattr(exc, "data", None) or {}).get("messages")
        if status == 422 and isinstance(messages, dict):
            return _respond(
                422, "validation_failed", "提交的数据有误，请按提示修改。", _flatten(messages)
            )
        if status == 400 and isinstance(messages, dict):
            return _respond(400, "bad_request", "请求体不是有效的 JSON。", _flatten(messages))
        code = CODES.get(status, "error")
        detail = {
            404: "未找到该页面或记录，或您无权查看。",
            405: "不允许的请求方法。",
            413: "上传的文件超过大小限制。",
            401: "请先登录。",
            403: "您没有权限执行此操作。",
        }.get(status, exc.description or TITLES.get(status, ""))
        return _respond(status, code, detail)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # noqa: ANN202
        log.exception("unexpected error")
        discard()
        return _respond(
            500, "internal_error", "系统内部错误，操作未被保存。请稍后再试或联系管理员。"
        )


def _flatten(messages: dict) -> dict[str, list[str]]:
    """webargs nests errors by location (``json``, ``query``...); fields are what users see."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple):
            if all(isinstance(v, str) for v in value):
                out.setdefault(prefix or "_", []).extend(value)
            else:
                for v in value:
                    walk(prefix, v)
        else:
            out.setdefault(prefix or "_", []).append(str(value))

    for location, errs in messages.items():
        if location in ("json", "query", "form", "files", "headers", "view_args"):
            walk("", errs)
        else:
            walk(str(location), errs)
    return out


def _forget_user() -> None:
    """The error page must not look the user up in the database that just failed."""
    g._login_user = login_manager.anonymous_user()
