"""Shared fixtures.

Integration tests take ``app`` and run once on SQLite and once on PostgreSQL (the server
named by TEST_DATABASE_URL, or 127.0.0.1:5432 as postgres or root). Each PostgreSQL
session gets a fresh database of its own, dropped at the end; when no server answers,
the PostgreSQL half is skipped with the reason printed.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue" / "jiaxing-2015-90.yaml"
PASSWORD = "Passw0rd-Test1"
#: Tests run on a date when 嘉政办发〔2015〕90号 is in force.
TEST_TODAY = date(2021, 3, 15)
CATALOGUE_TABLES = (
    "catalogue_versions",
    "policies",
    "policy_events",
    "articles",
    "programs",
    "parameters",
)


def _pg_candidates() -> list[str]:
    if os.environ.get("TEST_DATABASE_URL"):
        return [os.environ["TEST_DATABASE_URL"]]
    return [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://root@127.0.0.1:5432/test",
    ]


_PG_STATE: dict[str, object] = {}


def postgres_admin_url() -> tuple[str | None, str]:
    """The first PostgreSQL URL that answers, or None and why not."""
    if "url" in _PG_STATE:
        return _PG_STATE["url"], _PG_STATE["why"]  # type: ignore[return-value]
    import sqlalchemy as sa

    from config import normalise_database_url

    why = ""
    for url in _pg_candidates():
        url = normalise_database_url(url)
        try:
            eng = sa.create_engine(url, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            eng.dispose()
            _PG_STATE.update(url=url, why="")
            return url, ""
        except Exception as exc:  # noqa: BLE001
            why = f"{url.split('@')[-1]}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    _PG_STATE.update(url=None, why=why)
    return None, why


def create_postgres_database() -> tuple[str, str]:
    """Create a fresh database; return (its URL, the admin URL)."""
    import sqlalchemy as sa

    admin_url, why = postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"PostgreSQL not reachable, PostgreSQL tests skipped ({why})")
    name = f"zc_test_{uuid.uuid4().hex[:12]}"
    eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, admin_url


def drop_postgres_database(url: str, admin_url: str) -> None:
    import sqlalchemy as sa

    name = url.rsplit("/", 1)[1]
    eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def build_app(url: str, tmp: Path, **overrides: object):
    from zhongchuang import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "WTF_CSRF_ENABLED": True,
    }
    if url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    config.update(overrides)
    return create_app("test", overrides=config)


def migrate_and_load(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        from zhongchuang.catalogue.loading import load_catalogue_file

        load_catalogue_file(str(CATALOGUE), by=None)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _session_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(f"app-{request.param}")
    admin_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
    else:
        url, admin_url = create_postgres_database()
    app = build_app(url, tmp)
    app.config["_BACKEND"] = request.param
    migrate_and_load(app)
    yield app
    with app.app_context():
        from zhongchuang.extensions import db

        db.session.remove()
        db.engine.dispose()
    if admin_url:
        drop_postgres_database(url, admin_url)


def clean_tables(keep_catalogue: bool = True) -> None:
    import sqlalchemy as sa

    from zhongchuang.extensions import db

    db.session.remove()
    tables = [
        t
        for t in reversed(db.metadata.sorted_tables)
        if not (keep_catalogue and t.name in CATALOGUE_TABLES)
    ]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())


@pytest.fixture
def app(_session_app):
    """The app with an empty case database (the catalogue stays loaded)."""
    app = _session_app
    clock = app.extensions["zc_clock"]
    clock.set_today(TEST_TODAY)
    app.config["RATELIMIT_ENABLED"] = False
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        clean_tables()
        clean_uploads(app)
        clock.set_today(TEST_TODAY)
        ctx.pop()


def clean_uploads(app) -> None:
    """Each test starts with an empty uploads directory, as with an empty database."""
    import shutil

    upload_dir = Path(app.config["UPLOAD_DIR"])
    if upload_dir.exists():
        shutil.rmtree(upload_dir)
    upload_dir.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def backend(app) -> str:
    return app.config["_BACKEND"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock(app):
    return app.extensions["zc_clock"]


# --- factories -------------------------------------------------------------------------


class Factory:
    """``create_*`` helpers that go through the real services."""

    def __init__(self) -> None:
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def staff(self, role: str, district: str | None = None, username: str | None = None, **kw):
        from zhongchuang.accounts.operations import create_user

        if role == "county_reviewer" and district is None:
            district = "330402"
        roles = [role] if isinstance(role, str) else list(role)
        return create_user(username or f"{roles[0]}{self._next()}", PASSWORD, roles, district, **kw)

    def organization(
        self,
        kind: str = "enterprise",
        district: str = "330402",
        size: str | None = "small",
        username: str | None = None,
        name: str | None = None,
    ):
        from zhongchuang.accounts.operations import OrganizationRegistration, register_organization
        from zhongchuang.policy.identity import make_credit_code

        n = self._next()
        body = f"MA{n:07d}"
        return register_organization(
            OrganizationRegistration(
                username=username or f"org{n}",
                password=PASSWORD,
                org_name=name or f"测试单位{n}有限公司",
                credit_code=make_credit_code(district, body),
                org_kind=kind,
                district=district,
                enterprise_size=size if kind == "enterprise" else None,
                email=f"org{n}@example.test",
            )
        )

    def operator(self, district: str = "330402", **kw):
        return self.organization(kind="operator", district=district, size=None, **kw)

    def person(self, name: str = "张小三", birth: date = date(1998, 5, 1), username=None):
        from zhongchuang.accounts.operations import PersonRegistration, register_person
        from zhongchuang.policy.identity import make_id_number

        n = self._next()
        return register_person(
            PersonRegistration(
                username=username or f"person{n}",
                password=PASSWORD,
                name=name,
                id_number=make_id_number("330402", birth, n),
                phone="13800000000",
                email=f"person{n}@example.test",
            )
        )


@pytest.fixture
def factory(app) -> Factory:
    return Factory()


def login_as(client, user) -> None:
    """Log a test client in as ``user`` (the login page itself has its own tests)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def login():
    return login_as


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def form_post(client, url: str, data: dict, page: str | None = None, **kw):
    """POST a form the way a browser does: fetch the page, take its CSRF token."""
    html = client.get(page or url).get_data(as_text=True)
    payload = {"csrf_token": csrf_from(html), **data}
    return client.post(url, data=payload, **kw)


@pytest.fixture
def post_form():
    return form_post


def api_token(client, username: str, password: str = PASSWORD) -> dict[str, str]:
    resp = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert resp.status_code == 201, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


@pytest.fixture
def auth_headers():
    return api_token


def pytest_report_header(config: pytest.Config) -> list[str]:
    url, why = postgres_admin_url()
    if url:
        return [f"PostgreSQL: {url.split('@')[-1]}"]
    return [f"PostgreSQL: not reachable, PostgreSQL tests will be skipped ({why})"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None] | None:
    # Keep every test of one backend on the same xdist worker as far as possible.
    for item in items:
        if "_session_app" in getattr(item, "fixturenames", ()):
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "_session_app" in callspec.params:
                item.add_marker(pytest.mark.xdist_group(callspec.params["_session_app"]))
    return None
