"""The access matrix: every route of the app (pages and API, read from ``app.url_map`` at
test time) × every kind of actor → the expected status.

A route added without an entry in ``EXPECT`` fails the test, so new routes are covered as
soon as they exist. Another applicant's case, or a case outside a reviewer's district, is
answered exactly like a case that does not exist (404 — or, where the actor's role may
never use the route at all, the same role refusal for any id). Writes (POST, PATCH, PUT,
DELETE) are sent by the actors who must be refused, with a valid CSRF token and a
well-formed body, and must change nothing: every table's row count, every case's state and
version, sessions, tokens, reads.

Columns: anon owner other county county_x expert expert_x city finance admin (see
``security_support``: owner/other are relative to the case the row names). A cell is the
exact status, or ``-`` for an actor who may do it (not exercised here: the feature tests
do). Cases: M (operator A's recognition case, county_approved, expert assigned), P (person
B's grant, in a public notice), R (enterprise E's draft with a roster); ``-`` = no case.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.security_support import (
    ACTORS,
    World,
    build_world,
    caller,
    snapshot,
)

MISSING_ID = 2147480000
#: Who may see each case (everyone else must get exactly what a missing case gets).
VISIBLE = {
    # A recognition (outcome "recognition") never reaches finance.
    "M": {"owner", "county", "expert", "city", "admin"},
    "P": {"owner", "county", "city", "finance", "admin"},
    "R": {"owner", "city", "finance", "admin"},
}

#: One line per (method, rule, case): the expected status per actor; ``-`` not exercised;
#: trailing ``name=value`` fill other parts of the path.
TABLE = """
# method rule                                                     case anon own oth cty ctx exp exx city fin adm
# --- public pages ---------------------------------------------------------------------------------------------
GET    /                                                          -   200 302 302 302 302 302 302 302 302 302
GET    /healthz                                                   -   200 200 200 200 200 200 200 200 200 200
GET    /readyz                                                    -   200 200 200 200 200 200 200 200 200 200
GET    /maker-spaces                                              -   200 200 200 200 200 200 200 200 200 200
GET    /notices                                                   -   200 200 200 200 200 200 200 200 200 200
GET    /notices/<notice_id>                                       -   200 200 200 200 200 200 200 200 200 200
POST   /notices/<notice_id>                                       -   422 422 422 422 422 422 422 422 422 422
GET    /policies/<policy_id>                                      -   200 200 200 200 200 200 200 200 200 200
GET    /programs/<code>                                           -   200 200 200 200 200 200 200 200 200 200
POST   /programs/<code>                                           -   200 200 200 200 200 200 200 200 200 200
GET    /programs/<code>/materials                                 -   200 200 200 200 200 200 200 200 200 200
GET    /programs/<code>/materials.pdf                             -   200 200 200 200 200 200 200 200 200 200
GET    /programs/<code>/workflow.svg                              -   200 200 200 200 200 200 200 200 200 200
GET    /verify                                                    -   200 200 200 200 200 200 200 200 200 200
POST   /verify                                                    -   422 422 422 422 422 422 422 422 422 422
GET    /verify/<sha256>                                           -   200 200 200 200 200 200 200 200 200 200
GET    /verify/d/<token>                                          -   404 404 404 404 404 404 404 404 404 404
GET    /progress                                                  -   200 200 200 200 200 200 200 200 200 200
GET    /roster/template.xlsx                                      -   200 200 200 200 200 200 200 200 200 200
GET    /static/<filename>                                         -   200 200 200 200 200 200 200 200 200 200
GET    /lang/<code>                                               -   302 302 302 302 302 302 302 302 302 302
# --- accounts -------------------------------------------------------------------------------------------------
GET    /login                                                     -   200 302 302 302 302 302 302 302 302 302
POST   /login                                                     -   401 302 302 302 302 302 302 302 302 302
GET    /logout                                                    -   302 200 200 200 200 200 200 200 200 200
POST   /logout                                                    -   302   -   -   -   -   -   -   -   -   -
GET    /register                                                  -   200 200 200 200 200 200 200 200 200 200
GET    /register/organization                                     -   200 200 200 200 200 200 200 200 200 200
POST   /register/organization                                     -   422 422 422 422 422 422 422 422 422 422
GET    /register/person                                           -   200 200 200 200 200 200 200 200 200 200
POST   /register/person                                           -   422 422 422 422 422 422 422 422 422 422
GET    /password/forgot                                           -   200 200 200 200 200 200 200 200 200 200
POST   /password/forgot                                           -   200 200 200 200 200 200 200 200 200 200
GET    /password/reset/<token>                                    -   410 410 410 410 410 410 410 410 410 410
POST   /password/reset/<token>                                    -   410 410 410 410 410 410 410 410 410 410
GET    /invitations/<token>                                       -   410 410 410 410 410 410 410 410 410 410
POST   /invitations/<token>                                       -   410 410 410 410 410 410 410 410 410 410
GET    /account                                                   -   302 200 200 200 200 200 200 200 200 200
POST   /account                                                   -   302   -   -   -   -   -   -   -   -   -
GET    /account/password                                          -   302 200 200 200 200 200 200 200 200 200
POST   /account/password                                          -   302   -   -   -   -   -   -   -   -   -
GET    /account/members                                           R   302 200 200 403 403 403 403 403 403 403
POST   /account/members                                           R   302   -   -   -   -   -   -   -   -   -
# the owner of R removing someone who is not a member of E: not found, nothing changes
POST   /account/members/<user_id>/remove                          R   302 404 404 403 403 403 403 403 403 403
POST   /account/invitations/<invitation_id>/revoke                R   302   - 404 403 403 403 403 403 403 403
GET    /me/notifications                                          -   302 200 200 200 200 200 200 200 200 200
POST   /me/notifications/read-all                                 -   302   -   -   -   -   -   -   -   -   -
POST   /me/notifications/<notification_id>/read                   M   302   - 404 404 404 404 404 404 404 404
# --- the applicant's workspace --------------------------------------------------------------------------------
GET    /applicant                                                 -   302 200 200 403 403 403 403 403 403 403
GET    /me                                                        -   302 200 200 403 403 403 403 403 403 403
GET    /me/policy-check                                           -   302 200 200 403 403 403 403 403 403 403
GET    /apply/<code>                                              M   302 200 403 403 403 403 403 403 403 403
POST   /apply/<code>                                              M   302   - 403 403 403 403 403 403 403 403
# --- one case -------------------------------------------------------------------------------------------------
GET    /applications/<case_id>                                    M   302 200 404 200 404 200 404 200 404 200
GET    /applications/<case_id>                                    P   302 200 404 200 404 404 404 200 200 200
GET    /applications/<case_id>                                    R   302 200 404 404 404 404 404 200 200 200
GET    /applications/<case_id>/summary                            M   302 200 404 200 404 200 404 200 404 200
GET    /applications/<case_id>/summary.pdf                        P   302 200 404 200 404 404 404 200 200 200
GET    /applications/<case_id>/letters/<event_id>                 M   302 200 404 200 404 200 404 200 404 200
GET    /applications/<case_id>/letters/<event_id>.pdf             M   302 200 404 200 404 200 404 200 404 200
GET    /applications/<case_id>/documents/<document_id>.pdf        M   302 200 404 200 404 200 404 200 404 200
POST   /applications/<case_id>/documents/<document_id>/reissue    M   302 403 403 403 403 403 403   - 403   -
GET    /applications/<case_id>/attachments/<attachment_id>        M   302 200 404 200 404 200 404 200 404 200
POST   /applications/<case_id>/attachments                        M   302 409 404 403 404 403 404 403 404 403
POST   /applications/<case_id>/attachments                        R   302   - 404 404 404 404 404 403 403 403
GET    /applications/<case_id>/edit                               M   302 403 404 403 404 403 404 403 404 403
GET    /applications/<case_id>/edit                               R   302 200 404 404 404 404 404 403 403 403
POST   /applications/<case_id>/edit                               R   302   - 404 404 404 404 404 403 403 403
POST   /applications/<case_id>/actions/<action>                   M   302 403 404 403 404 403 404   - 404 403  action=city_approve
POST   /applications/<case_id>/actions/<action>                   P   302 403 404 403 404 404 404 403 409 403  action=disburse
GET    /applications/<case_id>/roster                             R   302 200 404 404 404 404 404 200 200 200
GET    /applications/<case_id>/roster                             M   302 404 404 404 404 404 404 404 404 404
POST   /applications/<case_id>/roster                             R   302   - 404 404 404 404 404 403 403 403
GET    /applications/<case_id>/roster/rejected.xlsx               R   302 200 404 404 404 404 404 200 200 200
POST   /applications/<case_id>/identity-reveal                    P   302 403 404   - 404 404 404   - 403 403
POST   /applications/<case_id>/identity-reveal                    M   302 403 404 404 404 403 404 404 404 403
# --- the reviewer's workspace ---------------------------------------------------------------------------------
GET    /review                                                    -   302 403 403 200 200 200 200 200 200 302
POST   /review/batch                                              M   302 403 403 200 200 200 200 200 200 200
POST   /review/applications/<case_id>/disburse                    P   302 403 403 403 404 404 404 403 409 403
POST   /review/applications/<case_id>/experts                     M   302 403 403 403 404 403 404   - 404 403
GET    /review/notices                                            -   302 403 403 403 403 403 403 200 403 200
GET    /review/notices/new                                        -   302 403 403 403 403 403 403 200 403 403
POST   /review/notices/new                                        P   302 403 403 403 403 403 403   - 403 403
POST   /review/objections/<objection_id>/rule                     P   302 403 403 403 404 404 404   - 403 403
GET    /review/exports                                            -   302 403 403 403 403 403 403 200 200 200
GET    /review/exports/approved.xlsx                              -   302 403 403 403 403 403 403 200 200 200
GET    /review/stats                                              -   302 403 403 200 200 200 200 200 200 200
# --- administration -------------------------------------------------------------------------------------------
GET    /admin                                                     -   302 403 403 403 403 403 403 403 403 200
GET    /admin/audit                                               -   302 403 403 403 403 403 403 403 403 200
GET    /admin/audit/export.<fmt>                                  -   302 403 403 403 403 403 403 403 403 200
GET    /admin/audit/verify                                        -   302 403 403 403 403 403 403 403 403 200
GET    /admin/batches                                             -   302 403 403 403 403 403 403 403 403 200
GET    /admin/batches/new                                         -   302 403 403 403 403 403 403 403 403 200
POST   /admin/batches/new                                         -   302 403 403 403 403 403 403 403 403   -
GET    /admin/batches/<batch_id>                                  -   302 403 403 403 403 403 403 403 403 200
POST   /admin/batches/<batch_id>                                  -   302 403 403 403 403 403 403 403 403   -
GET    /admin/catalogue                                           -   302 403 403 403 403 403 403 403 403 200
POST   /admin/catalogue                                           -   302 403 403 403 403 403 403 403 403   -
POST   /admin/catalogue/load                                      -   302 403 403 403 403 403 403 403 403   -
GET    /admin/issuers                                             -   302 403 403 403 403 403 403 403 403 200
GET    /admin/issuers/<issuer_id>                                 -   302 403 403 403 403 403 403 403 403 200
POST   /admin/issuers/<issuer_id>                                 -   302 403 403 403 403 403 403 403 403   -
GET    /admin/organizations/<organization_id>/identity            -   302 403 403 403 403 403 403 403 403 200
POST   /admin/organizations/<organization_id>/identity            -   302 403 403 403 403 403 403 403 403   -
GET    /admin/people/<person_id>/identity                         -   302 403 403 403 403 403 403 403 403 200
POST   /admin/people/<person_id>/identity                         -   302 403 403 403 403 403 403 403 403   -
GET    /admin/outbox                                              -   302 403 403 403 403 403 403 403 403 200
POST   /admin/outbox/<mail_id>/resend                             -   302 403 403 403 403 403 403 403 403   -
GET    /admin/parameters                                          -   302 403 403 403 403 403 403 403 403 200
GET    /admin/roles                                               -   302 403 403 403 403 403 403 403 403 200
GET    /admin/users                                               -   302 403 403 403 403 403 403 403 403 200
GET    /admin/users/new                                           -   302 403 403 403 403 403 403 403 403 200
POST   /admin/users/new                                           -   302 403 403 403 403 403 403 403 403   -
GET    /admin/users/<user_id>                                     -   302 403 403 403 403 403 403 403 403 200
POST   /admin/users/<user_id>/deactivate                          -   302 403 403 403 403 403 403 403 403   -
POST   /admin/users/<user_id>/reactivate                          -   302 403 403 403 403 403 403 403 403   -
POST   /admin/users/<user_id>/roles                               -   302 403 403 403 403 403 403 403 403   -
# --- API: accounts and catalogue ------------------------------------------------------------------------------
GET    /api/v1/docs                                               -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/openapi.json                                       -   200 200 200 200 200 200 200 200 200 200
POST   /api/v1/registrations                                      -   422 422 422 422 422 422 422 422 422 422
POST   /api/v1/tokens                                             -   401 401 401 401 401 401 401 401 401 401
DELETE /api/v1/tokens/current                                     -   401   -   -   -   -   -   -   -   -   -
GET    /api/v1/me                                                 -   401 200 200 200 200 200 200 200 200 200
GET    /api/v1/policies                                           -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/policies/<policy_id>                               -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/policies/<policy_id>/articles                      -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/programs                                           -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/programs/<code>                                    -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/programs/<code>/workflow.svg                       -   200 200 200 200 200 200 200 200 200 200
POST   /api/v1/programs/<code>/eligibility                        -   200 200 200 200 200 200 200 200 200 200
GET    /api/v1/maker-spaces                                       -   200 200 200 200 200 200 200 200 200 200
# --- API: applications ----------------------------------------------------------------------------------------
GET    /api/v1/applications                                       -   401 200 200 200 200 200 200 200 200 200
POST   /api/v1/applications                                       M   401   -   - 403 403 403 403 403 403 403
GET    /api/v1/applications/<case_id>                             M   401 200 404 200 404 200 404 200 404 200
GET    /api/v1/applications/<case_id>                             P   401 200 404 200 404 404 404 200 200 200
GET    /api/v1/applications/<case_id>                             R   401 200 404 404 404 404 404 200 200 200
PATCH  /api/v1/applications/<case_id>                             M   401 409 404 403 403 403 403 403 403 403
PATCH  /api/v1/applications/<case_id>                             R   401   - 404 403 403 403 403 403 403 403
POST   /api/v1/applications/<case_id>/actions/<action>            M   401 403 404 403 404 403 404   - 404 403  action=city_approve
POST   /api/v1/applications/<case_id>/actions/<action>            P   401 403 404 403 404 404 404 403 409 403  action=disburse
POST   /api/v1/applications/<case_id>/attachments                 M   401 409 404 403 403 403 403 403 403 403
GET    /api/v1/applications/<case_id>/attachments/<attachment_id> M   401 200 404 200 404 200 404 200 404 200
GET    /api/v1/applications/<case_id>/audit                       M   401 403 403 200 404 200 404 200 404 200
GET    /api/v1/applications/<case_id>/documents                   M   401 200 404 200 404 200 404 200 404 200
GET    /api/v1/applications/<case_id>/documents/<document_id>     M   401 200 404 200 404 200 404 200 404 200
POST   /api/v1/applications/<case_id>/documents/<document_id>/reissue M   401 403 403 403 403 403 403   - 403   -
POST   /api/v1/documents/verify                                   -   422 422 422 422 422 422 422 422 422 422
GET    /api/v1/progress                                           -   422 422 422 422 422 422 422 422 422 422
POST   /api/v1/eligibility-check                                  -   401   -   - 403 403 403 403 403 403 403
POST   /api/v1/applications/<case_id>/experts                     M   401 403 403 403 403 403 403   - 403 403
POST   /api/v1/applications/<case_id>/roster                      R   401   - 404 403 403 403 403 403 403 403
POST   /api/v1/applications/<case_id>/identity-reveal             P   401 403 404   - 404 404 404   - 403 403
# --- API: notices, administration -----------------------------------------------------------------------------
GET    /api/v1/notices                                            -   200 200 200 200 200 200 200 200 200 200
POST   /api/v1/notices                                            P   401 403 403 403 403 403 403   - 403 403
GET    /api/v1/notices/<notice_id>                                -   200 200 200 200 200 200 200 200 200 200
POST   /api/v1/notices/<notice_id>/objections                     -   422 422 422 422 422 422 422 422 422 422
GET    /api/v1/batches                                            -   401 403 403 403 403 403 403 200 200 200
POST   /api/v1/batches                                            -   401 403 403 403 403 403 403 403 403   -
GET    /api/v1/batches/<batch_id>                                 -   401 403 403 403 403 403 403 200 200 200
PUT    /api/v1/batches/<batch_id>                                 -   401 403 403 403 403 403 403 403 403   -
GET    /api/v1/audit                                              -   401 403 403 403 403 403 403 403 403 200
GET    /api/v1/audit/verify                                       -   401 403 403 403 403 403 403 403 403 200
GET    /api/v1/stats                                              -   401 403 403 200 200 403 403 200 200 200
GET    /api/v1/users                                              -   401 403 403 403 403 403 403 403 403 200
POST   /api/v1/users                                              -   401 403 403 403 403 403 403 403 403   -
GET    /api/v1/users/<user_id>                                    -   401 403 403 403 403 403 403 403 403 200
PATCH  /api/v1/users/<user_id>                                    -   401 403 403 403 403 403 403 403 403   -
"""  # noqa: E501


def _table() -> list[tuple[str, str, str, str, dict[str, str]]]:
    rows = []
    for line in TABLE.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, rule, case, *rest = line.split()
        codes, opts = rest[: len(ACTORS)], rest[len(ACTORS) :]
        rows.append((method, rule, case, " ".join(codes), dict(o.split("=", 1) for o in opts)))
    return rows


EXPECT = _table()


WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
CONVERTER = re.compile(r"<(?:[^<>]*:)?(\w+)>")


def normalise(rule: str) -> str:
    """``/a/<int(max=9):case_id>`` → ``/a/<case_id>``."""
    return CONVERTER.sub(r"<\1>", rule)


def app_routes(app: Any) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((method, normalise(rule.rule)))
    return out


@dataclass
class Outcome:
    status: int
    raw: bytes
    location: str

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")


def _path(world: World, rule: str, case: str, opts: dict[str, Any], case_id: int | None) -> str:
    values: dict[str, Any] = {
        **world.ids,
        "code": "makerspace_recognition",
        "fmt": "csv",
        "token": "not-a-real-link-token",
        "filename": "css/app.css",
        **opts,
    }
    if rule == "/lang/<code>":
        values["code"] = "zh_CN"
    if case != "-":
        values["case_id"] = case_id if case_id is not None else world.cases[case].id
    return CONVERTER.sub(lambda m: str(values[m.group(1)]), rule)


def _body(world: World, method: str, rule: str, case: str, opts: dict[str, Any]) -> dict:
    """A well-formed body, so that only who is asking decides the answer."""
    from zhongchuang.extensions import db
    from zhongchuang.models import Application

    version = db.session.get(Application, world.cases[case].id).version if case != "-" else 1
    case_id = world.cases[case].id if case != "-" else None
    api: dict[str, Any] = {
        "/api/v1/registrations": {"kind": "person"},
        "/api/v1/tokens": {"username": "nobody-here", "password": "Wrong-Passw0rd"},
        "/api/v1/applications": {"program": "employment_driving_grant", "data": {}},
        "/api/v1/applications/<case_id>": {"data": {}, "version": version},
        "/api/v1/applications/<case_id>/actions/<action>": {
            "version": version,
            "payment_reference": "PAY-1",
        },
        "/api/v1/applications/<case_id>/experts": {"user_ids": [world.users["expert_x"].id]},
        "/api/v1/applications/<case_id>/identity-reveal": {},
        "/api/v1/notices": {"application_ids": [case_id], "working_days": 5},
        "/api/v1/notices/<notice_id>/objections": {"application_id": case_id},
        "/api/v1/applications/<case_id>/documents/<document_id>/reissue": {"reason": "重新签发"},
        "/api/v1/batches": {
            "program": "employment_driving_grant",
            "year": 2022,
            "opens_on": "2022-01-01",
            "closes_on": "2022-02-01",
            "budget": "1.00",
        },
        "/api/v1/batches/<batch_id>": {"budget": "1.00"},
        "/api/v1/users": {"username": "intruder", "password": "Passw0rd-Test1", "roles": ["admin"]},
        "/api/v1/users/<user_id>": {"active": False},
        "/api/v1/programs/<code>/eligibility": {"data": {}},
    }
    if rule in api:
        return {"json": api[rule]}
    if rule.endswith(("/attachments", "/roster")):
        from tests.helpers import MINIMAL_PDF

        return {
            "data": {"kind": "operations_report", "file": (io.BytesIO(MINIMAL_PDF), "x.pdf")},
            "content_type": "multipart/form-data",
        }
    form: dict[str, Any] = {
        "/login": {"username": "nobody-here", "password": "Wrong-Passw0rd"},
        "/password/forgot": {"identifier": "nobody-here@example.test"},
        "/applications/<case_id>/actions/<action>": {
            f"{opts.get('action')}-version": str(version),
            f"{opts.get('action')}-payment_reference": "PAY-1",
        },
        "/review/batch": {"action": "accept", "selected": [f"{case_id}:{version}"]},
        "/review/applications/<case_id>/disburse": {
            "payment_reference": "PAY-1",
            "version": str(version),
        },
        "/review/applications/<case_id>/experts": {"experts": [str(world.users["expert_x"].id)]},
        "/review/notices/new": {
            "selected": [f"{case_id}:{version}"],
            "working_days": "5",
            "op": "publish",
        },
        "/review/objections/<objection_id>/rule": {
            "decision": "uphold",
            "reason": "异议属实，经核查企业未实际招用。",
            "articles": "四(一)",
            "version": str(version),
        },
    }
    return {"data": form.get(rule, {})}


def _send(app: Any, who: Any, method: str, path: str, body: dict | None) -> Outcome:
    kw: dict[str, Any] = dict(body or {})
    if path.startswith("/api/"):
        kw["headers"] = who.headers
    elif method in WRITE_METHODS:
        data = dict(kw.get("data") or {})
        data["csrf_token"] = who.csrf
        kw["data"] = data
    from zhongchuang.extensions import db

    db.session.rollback()  # requests share the test's session: hold no lock across them
    resp = who.client.open(path, method=method, **kw)
    db.session.rollback()
    raw = resp.get_data()
    resp.close()
    return Outcome(resp.status_code, raw, resp.headers.get("Location", ""))


def _parse(codes: str) -> dict[str, int | None]:
    cells = codes.split()
    assert len(cells) == len(ACTORS), codes
    return {a: (None if c == "-" else int(c)) for a, c in zip(ACTORS, cells, strict=True)}


def test_every_route_has_an_expectation(tmp_path):
    from zhongchuang import create_app

    app = create_app("test", overrides={"UPLOAD_DIR": str(tmp_path / "uploads")})
    table = {(m, r) for m, r, *_rest in EXPECT}
    missing = sorted(app_routes(app) - table)
    assert not missing, f"routes without an entry in EXPECT (add one): {missing}"
    stale = sorted(table - app_routes(app))
    assert not stale, f"EXPECT names routes that no longer exist: {stale}"


def test_refusals_never_reveal_that_a_case_exists():
    """Read off the table itself: an actor who cannot see a case is never answered 200, and
    403 only where the role may never use the route (checked against a missing id below)."""
    for method, rule, case, codes, _opts in EXPECT:
        if case == "-" or "<case_id>" not in rule:
            continue
        for actor, status in _parse(codes).items():
            if actor in VISIBLE[case] or actor == "anon":
                continue
            assert status in (403, 404), (method, rule, case, actor, status)


@pytest.fixture
def world(app, factory) -> World:
    return build_world(factory)


def _refusal(got: Outcome) -> str:
    """The words of a refusal: problem+json ``code`` and ``detail``, or the error page's."""
    if got.raw.startswith(b"{"):
        body = json.loads(got.raw)
        return f"{body.get('code')}: {body.get('detail')}"
    m = re.search(r'<p class="lead">(.*?)</p>', got.text, re.S)
    return m.group(1).strip() if m else got.location.split("?")[0]


INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
}


def _inline_code(html: str) -> list[str]:
    """What the CSP would block in a rendered page (templates, charts, user data)."""
    return [name for name, pattern in INLINE.items() if pattern.search(html)]


def _texts(body: bytes) -> list[str]:
    """What a person could read in an answer: its text, or every member of an XLSX."""
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [body.decode("utf-8", "replace")]


def test_the_access_matrix(app, world, monkeypatch):
    """Also: no answer anyone gets here shows a full identity number (pages, API, XLSX
    exports, and the documents PDFs are drawn from), and no page carries code the CSP
    would block (inline scripts, handlers, styles)."""
    drawn: list[str] = []

    def draw(doc: Any) -> bytes:  # PDFs: the access decision is made before drawing
        drawn.append(repr(doc))
        return b"%PDF-1.4 drawn elsewhere"

    monkeypatch.setattr("zhongchuang.documents.pdf.render", draw)
    monkeypatch.setattr("zhongchuang.documents.letters.render", draw)
    callers = {a: caller(app, world.user(a)) for a in ACTORS if a not in ("owner", "other")}
    by_user: dict[int, Any] = {}

    def who(actor: str, case: str) -> Any:
        if actor not in ("owner", "other"):
            return callers[actor]
        user = world.user(actor, case if case != "-" else "M")
        if user.id not in by_user:
            by_user[user.id] = caller(app, user)
        return by_user[user.id]

    problems: list[str] = []
    seen_ids: list[str] = []
    for method, rule, case, codes, opts in EXPECT:
        expected = _parse(codes)
        before = snapshot() if method in WRITE_METHODS else None
        for actor, status in expected.items():
            if status is None:
                continue
            path = _path(world, rule, case, opts, None)
            body = _body(world, method, rule, case, opts) if method in WRITE_METHODS else None
            got = _send(app, who(actor, case), method, path, body)
            if got.status != status:
                problems.append(
                    f"{method} {rule} [{case}] as {actor}: {got.status}, expected {status}"
                    f" {got.location} {got.text[:160]!r}"
                )
            if got.raw.lstrip().startswith(b"<!doctype html"):
                problems += [f"{method} {path} as {actor}: {m}" for m in _inline_code(got.text)]
            for text in [*_texts(got.raw), *drawn]:
                seen_ids += [f"{method} {path} as {actor}" for n in world.full_ids if n in text]
            drawn.clear()
            to_login = status == 302 and actor == "anon" and rule != "/lang/<code>"
            if to_login and "/login" not in got.location:
                problems.append(f"{method} {rule} as anon: redirected to {got.location}")
            if case != "-" and "<case_id>" in rule and actor not in VISIBLE[case]:
                # Exactly what a case that does not exist gets.
                ghost_body = (
                    _body(world, method, rule, case, opts) if method in WRITE_METHODS else None
                )
                ghost = _send(
                    app,
                    who(actor, case),
                    method,
                    _path(world, rule, case, opts, MISSING_ID),
                    ghost_body,
                )
                if (ghost.status, _refusal(ghost)) != (got.status, _refusal(got)):
                    problems.append(
                        f"{method} {rule} [{case}] as {actor}: {got.status} {_refusal(got)} "
                        f"for the case but {ghost.status} {_refusal(ghost)} for a missing one"
                    )
        if before is not None and snapshot() != before:
            problems.append(f"{method} {rule} [{case}]: a refused write changed the database")
    assert not problems, "\n".join(problems)
    assert not seen_ids, f"full identity numbers shown: {seen_ids}"


def test_the_api_lists_only_what_each_actor_may_see(app, world):
    """The list answers the same question as the case page: no case appears in a list
    that its page would refuse."""
    people = {u.id: u for u in world.users.values()}
    for user in people.values():
        c = caller(app, user)
        resp = c.client.get("/api/v1/applications?limit=200", headers=c.headers)
        listed = {item["id"] for item in resp.get_json()["items"]}
        may = {
            w.id
            for key, w in world.cases.items()
            if any((u := world.user(a, key)) is not None and u.id == user.id for a in VISIBLE[key])
        }
        assert listed == may, (user.username, listed, may)
