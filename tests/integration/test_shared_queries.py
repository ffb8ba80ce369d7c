"""Pages and API share their queries: the same filter gives the same rows through both,
for each list — the reviewer queue, staff accounts, batches, public notices, the audit
trail — on the demo data."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_TODAY, api_token, clean_tables, clean_uploads, login_as
from zhongchuang.extensions import db
from zhongchuang.models import User
from zhongchuang.ops import demo

NUMBER = re.compile(r">(ZC\d{11})<")


@pytest.fixture(scope="module")
def seeded(_session_app):
    """The demo, seeded once for the module (the tests only read); emptied after it."""
    app = _session_app
    app.extensions["zc_clock"].set_today(TEST_TODAY)
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        demo.seed()
        yield app
        clean_tables()
        clean_uploads(app)


@pytest.fixture
def client(seeded):
    return seeded.test_client()


def _user(username: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def _page(client, username: str, url: str) -> str:
    login_as(client, _user(username))
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def _api(client, username: str, url: str) -> list[dict]:
    headers = api_token(client, username, demo.DEMO_PASSWORD)
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["next_cursor"] is None, "one page is enough for the demo"
    return body["items"]


@pytest.mark.parametrize(
    ("query", "expect_rows"),
    [
        ("state=county_approved", True),
        ("state=county_approved&q=ZC2021", True),  # the number from its start
        ("state=county_approved&q=0000010", False),  # inside a number: no match on either
        ("state=in_notice&q=磊", True),  # the applicant's name anywhere
    ],
)
def test_the_queue_and_the_api_list_give_the_same_cases(client, seeded, query, expect_rows):
    on_page = set(NUMBER.findall(_page(client, "city", f"/review?{query}")))
    in_api = {c["number"] for c in _api(client, "city", f"/api/v1/applications?{query}&limit=200")}
    assert on_page == in_api
    assert bool(on_page) is expect_rows


@pytest.mark.parametrize(
    ("page_query", "api_query"),
    [
        ("q=南湖", "q=南湖"),  # in the name, not the username
        ("q=NANHU", "q=NANHU"),
        ("role=expert", "role=expert"),
        ("role=finance&active=1", "role=finance&active=true"),  # a select on the page
    ],
)
def test_the_users_page_and_the_api_give_the_same_accounts(client, seeded, page_query, api_query):
    html = _page(client, "admin", f"/admin/users?{page_query}")
    on_page = {int(i) for i in re.findall(r'href="/admin/users/(\d+)"', html)}
    in_api = {u["id"] for u in _api(client, "admin", f"/api/v1/users?{api_query}&limit=200")}
    assert on_page == in_api
    assert 0 < len(on_page) < 11


def test_the_batches_page_and_the_api_give_the_same_batches(client, seeded):
    html = _page(client, "admin", "/admin/batches")
    on_page = {int(i) for i in re.findall(r'href="/admin/batches/(\d+)', html)}
    in_api = {b["id"] for b in _api(client, "admin", "/api/v1/batches?limit=200")}
    assert on_page == in_api
    assert len(on_page) == 7  # one per program


def test_the_notices_page_and_the_api_give_the_same_notices(client, seeded):
    html = client.get("/notices").get_data(as_text=True)
    on_page = {int(i) for i in re.findall(r'href="/notices/(\d+)"', html)}
    in_api = {n["id"] for n in _api(client, "admin", "/api/v1/notices?limit=200")}
    assert on_page == in_api
    assert len(on_page) == 3


@pytest.mark.parametrize(
    "query", ["actor=nanhu&kind=case.action", "kind=admin", "case=ZC2021000000"]
)
def test_the_audit_page_and_the_api_give_the_same_events(client, seeded, query):
    html = _page(client, "admin", f"/admin/audit?{query}")
    on_page = {int(i) for i in re.findall(r'id="event-(\d+)"', html)}
    in_api = {e["id"] for e in _api(client, "admin", f"/api/v1/audit?{query}&limit=200")}
    assert on_page == in_api
    assert on_page or query.startswith("case=")
