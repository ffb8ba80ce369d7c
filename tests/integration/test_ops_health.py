"""Probes, and what users see when the database or Redis is gone: a clear 503, nothing saved."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
from datetime import date

import pytest
import sqlalchemy as sa
from flask import request

from tests.conftest import PASSWORD, build_app
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Person, User
from zhongchuang.policy.identity import make_id_number

DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_DATABASES = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
    "sqlite": "sqlite:////nonexistent-zc-dir/none/zhongchuang.sqlite3",
}


@pytest.fixture
def json_logs():
    """Apps built with LOG_JSON take over the ``zhongchuang`` logger; give it back after."""
    logger = logging.getLogger("zhongchuang")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers, logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture(params=sorted(DEAD_DATABASES))
def dead_app(request, tmp_path, json_logs):
    """An app whose database does not answer (closed port / unopenable file)."""
    app = build_app(DEAD_DATABASES[request.param], tmp_path, LOG_JSON=True)
    stream = io.StringIO()
    json_logs.handlers[0].setStream(stream)
    app.config["_LOG"] = stream
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_healthz_answers_without_touching_the_database(dead_app):
    resp = dead_app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_is_503_with_json_naming_the_database_when_it_is_down(dead_app):
    resp = dead_app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["redis"] == {"ok": None, "detail": "not configured"}
    assert "127.0.0.1" not in resp.get_data(as_text=True)  # no connection details leak


def test_database_down_gives_a_chinese_503_page_even_when_logged_in(dead_app):
    client = dead_app.test_client()
    resp = client.get("/")
    assert resp.status_code == 503
    html = resp.get_data(as_text=True)
    assert "数据库暂不可用" in html
    assert "未被保存" in html
    with client.session_transaction() as sess:  # a signed-in user: the loader needs the DB
        sess["_user_id"] = "1:token"
        sess["_fresh"] = True
    resp = client.get("/login")
    assert resp.status_code == 503
    assert "数据库暂不可用" in resp.get_data(as_text=True)


def test_database_down_gives_problem_json_in_the_api(dead_app):
    client = dead_app.test_client()
    resp = client.get("/api/v1/me", headers={"Authorization": "Bearer some-token"})
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "service_unavailable"
    resp = client.post("/api/v1/tokens", json={"username": "a", "password": "b"})
    assert resp.status_code == 503
    assert resp.get_json()["code"] == "service_unavailable"


def test_the_error_log_line_is_json_and_carries_the_request_id(dead_app):
    resp = dead_app.test_client().get("/", headers={"X-Request-ID": "rid-db-down-42"})
    assert resp.status_code == 503
    assert resp.headers["X-Request-ID"] == "rid-db-down-42"
    lines = [json.loads(x) for x in dead_app.config["_LOG"].getvalue().splitlines() if x]
    errors = [x for x in lines if x["level"] == "ERROR"]
    assert errors, lines
    assert errors[0]["message"].startswith("database unavailable")
    assert errors[0]["request_id"] == "rid-db-down-42"
    assert errors[0]["path"] == "/"
    assert errors[0]["pid"] == os.getpid()
    access = [x for x in lines if x["message"] == "request"]
    assert access[-1]["request_id"] == "rid-db-down-42"
    assert access[-1]["status"] == 503


def test_readyz_is_ok_with_a_live_database_and_503_when_redis_is_down(app, tmp_path):
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["database"] == {"ok": True}
    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, REDIS_URL=DEAD_REDIS)
    with other.app_context():
        resp = other.test_client().get("/readyz")
        db.session.remove()
        db.engine.dispose()
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"]["ok"] is False


def _person_payload(username: str) -> dict:
    return {
        "kind": "person",
        "username": username,
        "password": PASSWORD,
        "name": "断线测试",
        "id_number": make_id_number("330402", date(1995, 6, 1), 77),
        "phone": "13800000001",
        "email": "cut@example.test",
    }


def test_a_database_lost_mid_transaction_saves_nothing_and_says_so(app, client, backend):
    """The connection dies after the rows were flushed, before the commit."""
    events_before = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
    fired = []

    def cut(session, _flush_context):
        if fired:
            return
        fired.append(True)
        if backend == "postgresql":
            session.connection().exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
        raise sa.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    sa.event.listen(sa.orm.Session, "after_flush", cut)
    try:
        resp = client.post("/api/v1/registrations", json=_person_payload("cutoff"))
    finally:
        sa.event.remove(sa.orm.Session, "after_flush", cut)
    assert fired
    assert resp.status_code == 503, resp.get_json()
    assert resp.get_json()["code"] == "service_unavailable"
    assert "未被保存" in resp.get_json()["detail"]
    db.session.remove()
    assert db.session.execute(sa.select(User).where(User.username == "cutoff")).first() is None
    assert db.session.execute(sa.select(sa.func.count(Person.id))).scalar_one() == 0
    after = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
    assert after == events_before
    # The app recovers by itself once the database answers again.
    resp = client.post("/api/v1/registrations", json=_person_payload("cutoff"))
    assert resp.status_code == 201, resp.get_json()


def test_worker_pid_header_only_when_asked(app, tmp_path):
    assert "X-Worker" not in app.test_client().get("/healthz").headers
    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, EXPOSE_WORKER=True)
    with other.app_context():
        resp = other.test_client().get("/healthz")
        db.engine.dispose()
    assert resp.headers["X-Worker"] == str(os.getpid())


def test_behind_a_proxy_the_client_address_and_scheme_come_from_forwarded_headers(tmp_path):
    app = build_app("sqlite://", tmp_path, PROXY_COUNT=1)

    @app.get("/_probe_addr")
    def _probe_addr() -> str:
        return f"{request.remote_addr} {request.scheme}"

    resp = app.test_client().get(
        "/_probe_addr", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert resp.get_data(as_text=True) == "203.0.113.9 https"


def test_readyz_is_503_while_the_database_schema_lags_behind_this_release(app):
    """A release started before ``flask db upgrade`` ran is not sent traffic."""
    from zhongchuang.ops.backup import code_revision

    head = code_revision()
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'fe1f65ef846e'"))
    db.session.commit()
    try:
        resp = app.test_client().get("/readyz")
        assert resp.status_code == 503
        assert resp.get_json()["checks"]["database"] == {
            "ok": False,
            "error": "schema_out_of_date",
            "database_revision": "fe1f65ef846e",
            "code_revision": head,
        }
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()
    assert app.test_client().get("/readyz").status_code == 200
