"""HTTP hardening: security headers, a CSP without inline scripts, request ids, logs."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix


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
        for key in ("_login_user", "api_user", "api_token", "csrf_token"):
            g.pop(key, None)
        rid = request.headers.get("X-Request-ID", "")
        g.request_id = rid if 0 < len(rid) <= 64 and rid.isprintable() else uuid.uuid4().hex
        g.started = time.perf_counter()

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
