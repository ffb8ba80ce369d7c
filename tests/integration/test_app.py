"""The app itself: configuration, migrations against models, the clock, pages, headers."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from config import ConfigError, config_for
from zhongchuang.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    needed = ("SECRET_KEY", "DATABASE_URL", "ZC_ID_KEYS", "ZC_ID_HASH_KEY", "ZC_SIGNING_DIR")
    for key in needed:
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ConfigError) as err:
        config_for("production")
    for key in needed:
        assert key in str(err.value)


def test_database_url_switches_to_psycopg(monkeypatch, tmp_path):
    monkeypatch.setenv("ZC_SIGNING_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/db")
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("ZC_ID_KEYS", "k")
    monkeypatch.setenv("ZC_ID_HASH_KEY", "h")
    values = config_for("production")
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/db"


def test_zc_today_fixes_the_date(monkeypatch):
    from zhongchuang.clock import Clock

    monkeypatch.setenv("ZC_TODAY", "2019-09-27")
    assert Clock.from_env().today() == date(2019, 9, 27)
    assert Clock.from_env().now().astimezone().date() in (
        date(2019, 9, 26),
        date(2019, 9, 27),
        date(2019, 9, 28),
    )
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        Clock.from_value("27/09/2019")


def test_home_is_in_chinese_and_english_is_switchable(client):
    html = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "众创空间" in html
    resp = client.get("/lang/en?next=/")
    assert resp.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html


def test_pages_send_security_headers_and_no_inline_script(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)


def test_every_asset_is_local(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html


def test_unknown_page_is_a_chinese_404_and_api_is_problem_json(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "未找到" in resp.get_data(as_text=True)
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "not_found"
