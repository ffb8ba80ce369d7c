"""The bare baseline: Flask + SQLAlchemy Core and nothing else — no login, no forms, no
templates, no ORM — running the same indexed queries as the pages it is compared with and
serialising the same rows as JSON. Served the same way as the app
(``gunicorn -c gunicorn.conf.py bench.baseline:app``, DATABASE_URL from the environment).

``/queue?district=&state=[&after_due=&after_id=]``  a queue page (keyset, 50 rows)
``/list?district=&state=[&before=]``  the API list (newest first, keyset on id, 50 rows)
``/case/<id>``   one case with its attachments and its history (audit events)
``/stats``       counts and amounts by program, state, district and year
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, jsonify, request

from config import normalise_database_url

PAGE = 50


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(result: sa.CursorResult[Any]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


QUEUE = """
SELECT a.id, a.number, a.applicant_name, a.district, a.state, a.version, a.due_on,
       a.submitted_on, a.computed_amount, a.approved_amount, p.code AS program, p.name AS
       program_name
FROM applications a JOIN programs p ON p.id = a.program_id
WHERE a.district = :district AND a.state = :state {after}
ORDER BY a.due_on, a.id
LIMIT :limit
"""
LIST = """
SELECT a.id, a.number, a.batch_id, a.applicant_name, a.applicant_user_id, a.organization_id,
       a.person_id, a.district, a.state, a.version, a.computed_amount, a.approved_amount,
       a.submitted_on, a.due_on, a.created_at, a.updated_at, p.code AS program,
       p.name AS program_name
FROM applications a JOIN programs p ON p.id = a.program_id
WHERE a.district = :district AND a.state = :state {before}
ORDER BY a.id DESC
LIMIT :limit
"""
AFTER = "AND (a.due_on, a.id) > (:due, :id)"  # a row comparison: an index condition
CASE = """
SELECT a.id, a.number, a.applicant_name, a.district, a.state, a.version, a.data,
       a.explanation, a.computed_amount, a.approved_amount, a.submitted_on, a.due_on,
       p.code AS program, p.name AS program_name
FROM applications a JOIN programs p ON p.id = a.program_id WHERE a.id = :id
"""
ATTACHMENTS = """
SELECT id, kind, filename, size, uploaded_at FROM attachments
WHERE application_id = :id AND current ORDER BY id
"""
HISTORY = """
SELECT action, from_state, to_state, actor_name, actor_role, at, reason, articles
FROM audit_events WHERE application_id = :id ORDER BY id
"""
AMOUNTS = """
count(a.id) AS count, sum(a.computed_amount) AS requested,
sum(CASE WHEN a.state IN ('city_approved', 'in_notice', 'approved', 'disbursed')
    THEN a.approved_amount END) AS approved,
sum(CASE WHEN a.state = 'disbursed' THEN a.approved_amount END) AS disbursed
"""
STATS = {
    "by_program": f"SELECT p.code, {AMOUNTS} FROM applications a JOIN programs p "  # noqa: S608
    "ON p.id = a.program_id WHERE a.state != 'draft' GROUP BY p.id, p.code ORDER BY p.id",
    "by_state": "SELECT state, count(*) AS count FROM applications WHERE state != 'draft' "
    "GROUP BY state",
    "by_district": f"SELECT a.district, {AMOUNTS} FROM applications a WHERE a.state != 'draft' "  # noqa: S608
    "GROUP BY a.district ORDER BY a.district",
    "by_year": f"SELECT b.year, {AMOUNTS} FROM applications a LEFT JOIN batches b "  # noqa: S608
    "ON b.id = a.batch_id WHERE a.state != 'draft' GROUP BY b.year ORDER BY b.year",
}


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = sa.create_engine(normalise_database_url(url or os.environ["DATABASE_URL"]))

    @app.get("/healthz")
    def healthz():  # noqa: ANN202
        return {"status": "ok"}

    @app.get("/queue")
    def queue():  # noqa: ANN202
        params: dict[str, Any] = {
            "district": request.args["district"],
            "state": request.args["state"],
            "limit": PAGE + 1,
        }
        after = ""
        if request.args.get("after_id"):
            after = AFTER
            params["due"] = date.fromisoformat(request.args["after_due"])
            params["id"] = int(request.args["after_id"])
        with engine.connect() as conn:
            rows = _rows(conn.execute(sa.text(QUEUE.format(after=after)), params))
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        last = rows[-1] if more else None
        return jsonify(items=rows, next={"due": last["due_on"], "id": last["id"]} if last else None)

    @app.get("/list")
    def listing():  # noqa: ANN202
        params: dict[str, Any] = {
            "district": request.args["district"],
            "state": request.args["state"],
            "limit": PAGE + 1,
        }
        before = ""
        if request.args.get("before"):
            before = "AND a.id < :before"
            params["before"] = int(request.args["before"])
        with engine.connect() as conn:
            rows = _rows(conn.execute(sa.text(LIST.format(before=before)), params))
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        return jsonify(items=rows, next=rows[-1]["id"] if more else None)

    @app.get("/case/<int:case_id>")
    def case(case_id: int):  # noqa: ANN202
        with engine.connect() as conn:
            found = _rows(conn.execute(sa.text(CASE), {"id": case_id}))
            if not found:
                abort(404)
            item = found[0]
            item["attachments"] = _rows(conn.execute(sa.text(ATTACHMENTS), {"id": case_id}))
            item["history"] = _rows(conn.execute(sa.text(HISTORY), {"id": case_id}))
        return jsonify(item)

    @app.get("/stats")
    def stats():  # noqa: ANN202
        with engine.connect() as conn:
            return jsonify({k: _rows(conn.execute(sa.text(q))) for k, q in STATS.items()})

    return app


app = create_app() if os.environ.get("DATABASE_URL") else None
