"""HTTP hardening: a CSP that inline script cannot pass (and templates that need none),
HSTS and Secure/HttpOnly/SameSite cookies in production, no stack trace in any error
answer, and a fresh session at every sign-in."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, csrf_from, migrate_and_load
from tests.helpers import production_signing_dir

PACKAGE = Path(__file__).resolve().parents[2] / "zhongchuang"
#: The site's own templates and each area's, beside its views.
TEMPLATES = [PACKAGE / "templates", *sorted(PACKAGE.glob("*/templates"))]
TRACE_MARKERS = ("Traceback", 'File "', "RuntimeError", "kaboom-42", "zhongchuang/", ".py")


# --- CSP and the templates -------------------------------------------------------------------


def _templates() -> list[Path]:
    found = [p for root in TEMPLATES for p in sorted(root.rglob("*.html"))] + [
        p for root in TEMPLATES for p in sorted(root.rglob("*.svg"))
    ]
    assert len(found) > 30
    return found


def test_no_template_has_inline_script_handlers_or_styles():
    """The CSP (script-src 'self'; style-src 'self') would block them; none may exist."""
    script = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
    style_attr = re.compile(r"<[^>]*\sstyle\s*=", re.I)
    style_block = re.compile(r"<style\b", re.I)
    js_url = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)
    problems = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in (
            ("inline <script>", script),
            ("on*= handler", handler),
            ("style= attribute", style_attr),
            ("<style> block", style_block),
            ("javascript: URL", js_url),
        ):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: {name}")
    assert not problems, "\n".join(problems)


def test_scripts_are_local_files_that_exist():
    src = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", re.I)
    for path in _templates():
        for m in src.finditer(path.read_text(encoding="utf-8")):
            assert "//" not in m.group(1) or "url_for" in m.group(1), (path, m.group(1))


def test_every_kind_of_answer_carries_the_policy_headers(client):
    for url in ("/", "/login", "/api/v1/programs", "/no-such-page", "/api/v1/nothing"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "object-src 'none'" in csp
        assert "frame-ancestors 'self'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["Cache-Control"] == "no-store", url
        # Not production: no HSTS on a plain-HTTP development server.
        assert "Strict-Transport-Security" not in resp.headers


# --- production ------------------------------------------------------------------------------


@pytest.fixture
def prod_app(tmp_path, monkeypatch):
    """The app as ``ZC_ENV=production`` builds it from its environment (SQLite file)."""
    from zhongchuang import create_app
    from zhongchuang.security import generate_fernet_key

    monkeypatch.setenv("SECRET_KEY", "prod-secret-for-tests-only")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("ZC_ID_KEYS", generate_fernet_key())
    monkeypatch.setenv("ZC_ID_HASH_KEY", "prod-hash-key")
    monkeypatch.setenv("ZC_SIGNING_DIR", production_signing_dir(tmp_path))
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("ZC_TODAY", "2021-03-15")
    logger = logging.getLogger("zhongchuang")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    app = create_app("production")
    assert app.config["ENV_NAME"] == "production"
    assert not app.debug
    migrate_and_load(app)
    with app.app_context():
        from zhongchuang.accounts.operations import create_user

        create_user("prod_admin", PASSWORD, ["admin"], None)
        from zhongchuang.extensions import db

        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()
    logger.handlers, logger.level, logger.propagate = saved


def _https(app):
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def test_production_sends_hsts(prod_app):
    client = _https(prod_app)
    for url in ("/", "/login", "/api/v1/programs", "/no-such-page"):
        resp = client.get(url)
        assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _sign_in(client, username: str = "prod_admin"):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    scheme = client.environ_base.get("wsgi.url_scheme", "http")
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": PASSWORD},
        # Over HTTPS, Flask-WTF also checks that the form came from this site.
        headers={"Referer": f"{scheme}://localhost/login"},
    )


def test_production_cookies_are_secure_httponly_and_samesite(prod_app):
    client = _https(prod_app)
    cookies = list(client.get("/login").headers.getlist("Set-Cookie"))
    resp = _sign_in(client)
    assert resp.status_code == 302
    cookies += resp.headers.getlist("Set-Cookie")
    cookies += client.get("/lang/en").headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") for c in cookies)
    assert any(c.startswith("lang=") for c in cookies)
    for cookie in cookies:
        attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite"} <= attrs, cookie
        assert "samesite=lax" in cookie.lower() or "samesite=strict" in cookie.lower(), cookie


def test_production_refuses_a_plain_http_session_cookie_to_the_browser(prod_app):
    """The session cookie is marked Secure: a browser never sends it over plain HTTP."""
    resp = _sign_in(_https(prod_app))
    session_cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "; Secure" in session_cookie


def test_production_refuses_a_form_posted_from_another_site(prod_app):
    client = _https(prod_app)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login",
        data={"csrf_token": token, "username": "prod_admin", "password": PASSWORD},
        headers={"Referer": "https://evil.example/login"},
    )
    assert resp.status_code == 400
    assert "安全令牌" in resp.get_data(as_text=True)
    assert client.get("/admin").status_code == 302  # not signed in


# --- no stack traces -------------------------------------------------------------------------


def _boom(*_args, **_kwargs):
    raise RuntimeError("kaboom-42 in /srv/zhongchuang/secret.py line 7")


def _no_trace_anywhere(client, monkeypatch) -> None:
    monkeypatch.setattr("zhongchuang.catalogue.queries.public_overview", _boom)
    monkeypatch.setattr("zhongchuang.catalogue.queries.policy_view", _boom)
    page = client.get("/")
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert "系统内部错误" in html
    for marker in TRACE_MARKERS:
        assert marker not in html, marker
    api = client.get("/api/v1/policies/1/articles")
    assert api.status_code == 500
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["code"] == "internal_error"
    body = api.get_data(as_text=True)
    for marker in TRACE_MARKERS:
        assert marker not in body, marker


def test_an_unexpected_error_shows_no_stack_trace(client, monkeypatch):
    _no_trace_anywhere(client, monkeypatch)


def test_an_unexpected_error_shows_no_stack_trace_in_production(prod_app, monkeypatch):
    _no_trace_anywhere(_https(prod_app), monkeypatch)


# --- sessions --------------------------------------------------------------------------------


def test_sign_in_starts_a_fresh_session(app, client, factory):
    """A session cookie (and its CSRF token) from before the sign-in, e.g. one an attacker
    planted, is worth nothing after it; an earlier signed-in cookie neither."""
    factory.staff("admin", username="sess_admin")
    client.get("/login")
    with client.session_transaction() as sess:
        planted = dict(sess)
    assert planted.get("csrf_token")
    before = client.get_cookie("session").value
    resp = _sign_in(client, "sess_admin")
    assert resp.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as sess:
        assert sess.get("csrf_token") != planted["csrf_token"]
        assert "_user_id" in sess
    assert client.get("/admin").status_code == 200

    # The same account signs in elsewhere: the first session ends.
    other = app.test_client()
    assert _sign_in(other, "sess_admin").status_code == 302
    assert other.get("/admin").status_code == 200
    stale = client.get("/admin")
    assert stale.status_code == 302
    assert "/login" in stale.location


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, client, factory):
    factory.staff("admin", username="sess_admin2")
    assert _sign_in(client, "sess_admin2").status_code == 302
    copied = client.get_cookie("session").value
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    resp = thief.get("/admin")
    assert resp.status_code == 302
    assert "/login" in resp.location


def test_a_post_without_csrf_token_changes_nothing(app, client, factory, login):
    from zhongchuang.extensions import db
    from zhongchuang.models import User

    admin = factory.staff("admin", username="csrf_admin")
    target = factory.staff("finance", username="csrf_target")
    login(client, admin)
    resp = client.post(f"/admin/users/{target.id}/deactivate")
    assert resp.status_code == 400
    assert "安全令牌" in resp.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, target.id).active is True
