"""The number of SQL statements a page runs is bounded and does not grow with the number
of cases (no N+1): the reviewer's queue page, the case page, the API list and the API
detail, counted with 10 cases present and again with 50."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from tests.helpers import attach_for_submit
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import Application, User
from zhongchuang.policy.identity import make_credit_code

DISTRICT = "330402"
#: Upper bounds per page, whatever the number of cases (measured: 4, 16, 2 and 8 on
#: PostgreSQL; SQLite adds its BEGIN IMMEDIATE). The case page's 16th is its documents.
BOUNDS = {
    "queue page": 5,
    "case page": 17,
    "API list": 3,
    "API detail": 9,
}


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def _on(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _on)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _on)


def _submit_cases(applicant_id: int, start: int, n: int) -> list[int]:
    applicant = db.session.get(User, applicant_id)
    ids = []
    for k in range(start, start + n):
        case = cases.create_draft(
            applicant,
            "employment_driving_grant",
            {
                "business_credit_code": make_credit_code(DISTRICT, f"MA9{k:06d}"),
                "year": 2020,
                "employees_insured": 5,
            },
        )
        attach_for_submit(case, applicant)
        cases.act(applicant, case.id, "submit")
        ids.append(case.id)
    return ids


def _statements(client, url: str, headers: dict[str, str] | None = None) -> int:
    client.get(url, headers=headers)  # once first: per-process caches are warm in production
    db.session.remove()  # each request starts with an empty session, as in production
    with counting() as statements:
        resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code)
    return len(statements)


@pytest.fixture
def world(app, client, factory, login, auth_headers):
    admin = factory.staff("admin")
    reviewer = factory.staff("county_reviewer", district=DISTRICT, username="counter_rev")
    applicant = factory.person()
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 1, 4),
        date(2021, 6, 30),
        Decimal("10000000.00"),
    )
    login(client, reviewer)
    return applicant.id, auth_headers(client, "counter_rev")


def test_statements_per_page_are_bounded_and_do_not_grow_with_the_cases(client, world) -> None:
    applicant, api = world
    first = _submit_cases(applicant, 0, 10)
    pages = {
        "queue page": (f"/review?state=submitted&district={DISTRICT}", None),
        "case page": (f"/applications/{first[0]}", None),
        "API list": (f"/api/v1/applications?state=submitted&district={DISTRICT}&limit=50", api),
        "API detail": (f"/api/v1/applications/{first[0]}", api),
    }
    with_10 = {name: _statements(client, url, h) for name, (url, h) in pages.items()}

    more = _submit_cases(applicant, 10, 40)
    with_50 = {name: _statements(client, url, h) for name, (url, h) in pages.items()}

    listed = client.get(pages["API list"][0], headers=api).get_json()["items"]
    assert len(listed) == 50, "the API list shows all fifty cases"
    queue = client.get(pages["queue page"][0]).get_data(as_text=True)
    last = db.session.get(Application, more[-1])
    assert last.number in queue, "the queue page shows the fiftieth case"
    for name in pages:
        assert with_50[name] == with_10[name], (
            f"{name}: {with_10[name]} statements with 10 cases, {with_50[name]} with 50"
        )
        assert with_50[name] <= BOUNDS[name], f"{name}: {with_50[name]} statements"
