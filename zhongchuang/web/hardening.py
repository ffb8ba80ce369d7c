"""HTTP hardening: security headers, a CSP without inline scripts, request ids, logs."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from zhongchuang.errors import DomainError


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key in ("request_id", "method", "path", "status", "duration_ms", "user_id"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class RequestContextFilter(logging.Filter):
    """Stamps every record made while serving a request (errors too) with its request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if not hasattr(record, "request_id"):
                record.request_id = g.get("request_id", "")
            if not hasattr(record, "path"):
                record.method = request.method
                record.path = request.path
        return True


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; frame-src 'self'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'"
)


def refuse_unreadable_input() -> None:
    """Input no page or endpoint can use is refused up front with a 400, not a 500 later:
    a NUL character in any field, path or query (PostgreSQL cannot store one), and a JSON
    body nested too deep or with a number too long to convert."""
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [v for _k, v in request.form.items(multi=True)]
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise DomainError(NUL_MESSAGE, code="bad_request", status=400)
    if request.is_json:
        data = request.get_data(cache=True)
        if b"\\u0000" in data:
            raise DomainError(NUL_MESSAGE, code="bad_request", status=400)
        if data.strip():
            try:
                json.loads(data)
            except (ValueError, RecursionError) as exc:
                raise DomainError(
                    "请求体不是有效的 JSON（格式错误、嵌套过深或数字过长）。",
                    code="bad_request",
                    status=400,
                ) from exc


NUL_MESSAGE = "请求中含有不允许的控制字符（NUL），请删除后重试。"


def register_hardening(app: Flask) -> None:
    log = logging.getLogger("zhongchuang.request")
    if app.config.get("LOG_JSON"):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestContextFilter())
        root = logging.getLogger("zhongchuang")
        root.handlers = [handler]
        root.setLevel(logging.INFO)
        root.propagate = False
    if app.config.get("PROXY_COUNT"):
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    @app.before_request
    def _start() -> None:
        # A request never inherits who the previous one was (an app context shared by
        # several requests, as in tests and CLI-driven calls, keeps ``g``).
        for key in ("_login_user", "api_user", "api_token", "csrf_token", "queue_count"):
            g.pop(key, None)
        rid = request.headers.get("X-Request-ID", "")
        g.request_id = rid if 0 < len(rid) <= 64 and rid.isprintable() else uuid.uuid4().hex
        g.started = time.perf_counter()
        refuse_unreadable_input()

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            resp.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.path.startswith("/api/") or resp.mimetype == "text/html":
            resp.headers.setdefault("Cache-Control", "no-store")
        resp.headers["X-Request-ID"] = getattr(g, "request_id", "")
        if app.config.get("EXPOSE_WORKER"):
            resp.headers["X-Worker"] = str(os.getpid())
        probe = request.path in ("/healthz", "/readyz") and resp.status_code < 400
        if app.config.get("LOG_JSON") and not probe:
            log.info(
                "request",
                extra={
                    "request_id": getattr(g, "request_id", ""),
                    "method": request.method,
                    "path": request.path,
                    "status": resp.status_code,
                    "duration_ms": round((time.perf_counter() - g.get("started", 0)) * 1000, 1),
                },
            )
        return resp
