"""Probes for load balancers and orchestrators.

``/healthz``: the process answers (liveness; touches nothing else).
``/readyz``: the database and Redis answer, and the database's schema is the one this code's
migrations end at (readiness); 503 with the failing check when not — a release started
before ``flask db upgrade`` ran is not sent traffic.
Neither reads the session or needs a CSRF token, and neither is rate limited.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify
from redis import Redis

from zhongchuang.extensions import csrf, db, limiter
from zhongchuang.ops import backup

bp = Blueprint("health", __name__)
csrf.exempt(bp)
limiter.exempt(bp)

log = logging.getLogger("zhongchuang.health")


def _json(body: dict[str, Any], status: int) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/healthz")
def healthz() -> Response:
    return _json({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Response:
    checks = {"database": _check_database(), "redis": _check_redis()}
    ready = all(check["ok"] is not False for check in checks.values())
    return _json(
        {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503
    )


def _check_database() -> dict[str, Any]:
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness: database unavailable: %s: %s", exc.__class__.__name__, exc)
        return {"ok": False, "error": exc.__class__.__name__}
    expected, actual = backup.code_revision(), backup.database_revision()
    if actual != expected:
        log.warning(
            "readiness: database schema at %s, this release needs %s: run flask db upgrade",
            actual,
            expected,
        )
        return {
            "ok": False,
            "error": "schema_out_of_date",
            "database_revision": actual,
            "code_revision": expected,
        }
    return {"ok": True}


def _check_redis() -> dict[str, Any]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": None, "detail": "not configured"}

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: redis unavailable: %s: %s", exc.__class__.__name__, exc)
        return {"ok": False, "error": exc.__class__.__name__}
    finally:
        client.close()
    return {"ok": True}
