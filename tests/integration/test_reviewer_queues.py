"""Reviewer queues: who sees what, filters, keyset pagination, due dates, statement count."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.integration.reviewer_support import World, expert_score, recognition_case
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import Application, Batch
from zhongchuang.review import queues
from zhongchuang.review.experts import assign_experts
from zhongchuang.review.queues import QueueFilters


@pytest.fixture
def world(app, factory):
    return World(factory)


def ids(page) -> list[int]:
    return [r.case.id for r in page.rows]


@contextmanager
def count_statements():
    """Counts the SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement.split("\n")[0][:120])

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


# --- scope -----------------------------------------------------------------------------


def test_county_reviewer_sees_their_district_waiting_and_no_other(world, client, login):
    mine = world.submitted(district="330411")
    accepted = world.submitted(district="330411")
    cases.act(world.county, accepted.id, "accept")
    theirs = world.submitted(district="330402")
    page = queues.queue_page(world.county)
    assert set(ids(page)) == {mine.id, accepted.id}
    assert queues.waiting_count(world.county) == 2
    other = queues.queue_page(world.other_county)
    assert ids(other) == [theirs.id]
    # A filter naming the other district cannot widen the scope.
    assert ids(queues.queue_page(world.county, QueueFilters(district="330402"))) == []

    login(client, world.other_county)
    html = client.get("/review").get_data(as_text=True)
    assert theirs.number in html
    assert mine.number not in html
    assert accepted.number not in html
    # ... and the case itself is "not found" at every URL that names it.
    assert client.get(f"/applications/{mine.id}").status_code == 404
    resp = client.post(
        f"/review/applications/{mine.id}/disburse",
        data={"csrf_token": _token(client), "payment_reference": "X"},
    )
    assert resp.status_code == 404


def _token(client) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get("/review").get_data(as_text=True))


def test_city_expert_and_finance_queues_hold_their_stages(world, factory, clock):
    submitted = world.submitted()
    approved = world.approved()  # city_approved: the city's
    county_ok = world.submitted()
    cases.act(world.county, county_ok.id, "accept")
    cases.act(world.county, county_ok.id, "county_approve")
    assert set(ids(queues.queue_page(world.city))) == {approved.id, county_ok.id}
    assert submitted.id not in ids(queues.queue_page(world.city))
    assert ids(queues.queue_page(world.finance)) == []

    # An expert sees only the cases assigned to them and not yet scored.
    nanhu = world.other_county
    rec = recognition_case(factory, nanhu)
    e1, e2 = factory.staff("expert"), factory.staff("expert")
    assert queues.waiting_count(e1) == 0
    assign_experts(world.city, rec.id, [e1.id])
    assert ids(queues.queue_page(e1)) == [rec.id]
    assert ids(queues.queue_page(e2)) == []
    cases.act(e1, rec.id, "expert_score", expert_score(90, "好"))
    assert queues.waiting_count(e1) == 0

    # Finance: approved cases (the notice period over).
    from zhongchuang.notices import operations as notices

    notices.publish_notice(world.city, [approved.id], 5)
    assert approved.id in ids(queues.queue_page(world.city))  # in_notice stays with the city
    clock.set_today(date(2021, 3, 22))
    notices.close_due_notices()
    page = queues.queue_page(world.finance)
    assert ids(page) == [approved.id]
    assert page.rows[0].actions == ["disburse"]
    assert queues.waiting_count(world.finance) == 1


def test_applicants_and_admins_have_no_queue(world, client, login):
    world.submitted()
    assert queues.waiting_count(world.applicant) == 0
    assert queues.waiting_count(world.admin) == 0
    login(client, world.applicant)
    assert client.get("/review").status_code == 403
    assert client.get("/review/stats").status_code == 403


def test_navigation_badge_counts_the_queue(world, client, login):
    world.submitted()
    world.submitted()
    login(client, world.county)
    html = client.get("/review").get_data(as_text=True)
    assert 'class="badge"' in html
    assert "待办 2 件" in html


# --- filters and search ----------------------------------------------------------------


def test_filters_and_search(world, factory, clock):
    small = world.submitted(employees=3)  # 2000.00
    clock.set_today(date(2021, 3, 17))
    big = world.submitted(employees=10)  # 9000.00
    other_person = factory.person(name="王大明")
    wang = world.submitted(employees=5, applicant=other_person)  # 4000.00
    cases.act(world.county, wang.id, "accept")
    u = world.county

    def page(**kw):
        return set(ids(queues.queue_page(u, QueueFilters(**kw))))

    assert page(state="accepted") == {wang.id}
    assert page(state="submitted") == {small.id, big.id}
    assert page(program="employment_driving_grant") == {small.id, big.id, wang.id}
    assert page(program="makerspace_recognition") == set()
    assert page(batch_id=world.batch.id) == {small.id, big.id, wang.id}
    assert page(amount_min=Decimal("3000")) == {big.id, wang.id}
    assert page(amount_min=Decimal("3000"), amount_max=Decimal("5000")) == {wang.id}
    assert page(submitted_from=date(2021, 3, 16)) == {big.id, wang.id}
    assert page(submitted_to=date(2021, 3, 15)) == {small.id}
    assert page(q="王大") == {wang.id}
    assert page(q=big.number) == {big.id}
    assert page(q=big.number[:6].lower()) == {small.id, big.id, wang.id}
    assert page(q="%") == set()  # wildcards are searched for literally
    with pytest.raises(ValidationFailed):
        queues.queue_page(u, QueueFilters(amount_min=Decimal("5"), amount_max=Decimal("1")))
    with pytest.raises(ValidationFailed):
        queues.queue_page(u, QueueFilters(role="finance"))


def test_queue_page_filters_by_query_string_and_refuses_bad_input(world, client, login):
    a = world.submitted(employees=3)
    b = world.submitted(employees=9)
    login(client, world.county)
    html = client.get("/review?amount_min=5000").get_data(as_text=True)
    assert b.number in html
    assert a.number not in html
    for bad in (
        "/review?amount_min=abc",
        "/review?submitted_from=2021-03-20&submitted_to=2021-03-01",
        "/review?state=no_such_state",  # every state is offered (release 2), not this
        "/review?view=evil",
        "/review?sort=evil",
        "/review?cursor=not-a-cursor",
        "/review?cursor=WyJkdWUiLDEsMl0",  # a well-formed cursor of the wrong shape
    ):
        resp = client.get(bad)
        assert resp.status_code == 422, bad
        assert "筛选条件有误" in resp.get_data(as_text=True) or "翻页参数无效" in resp.get_data(
            as_text=True
        )


def test_a_query_string_seen_before_is_read_alike_and_still_refuses_a_bad_cursor(
    world, client, login
):
    a = world.submitted(employees=3)
    b = world.submitted(employees=9)
    login(client, world.county)
    url = "/review?amount_min=5000&sort=-amount"
    first = client.get(url).get_data(as_text=True)
    again = client.get(url).get_data(as_text=True)  # the query string is remembered now
    for html in (first, again):
        assert b.number in html
        assert a.number not in html
        assert 'name="amount_min" type="text" value="5000"' in html or 'value="5000"' in html
    # The same filters with a cursor that was never given out: refused, the filters kept.
    resp = client.get(url + "&cursor=not-a-cursor")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "翻页参数无效" in html
    assert "Cursor" not in html  # the hidden field's name is no label for a reviewer
    assert 'value="5000"' in html
    # And the query string still answers as before afterwards.
    assert b.number in client.get(url).get_data(as_text=True)


def test_the_count_tests_each_condition_once(world):
    """The district and state a county reviewer filters by are also their queue's scope
    and their visibility rule: the database is asked to test each once per case, not
    three times."""
    world.submitted(district="330411")
    world.submitted(district="330411")
    statements: list[str] = []

    def listener(conn, cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = queues.queue_page(world.county, QueueFilters(state="submitted", district="330411"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert (page.total, page.waiting, len(page.rows)) == (2, 2, 2)
    count = next(s for s in statements if "count(" in s.lower())
    rows = next(s for s in statements if "FROM applications JOIN programs" in s)
    for statement in (count, rows):
        assert statement.count("applications.district =") == 1, statement
        assert statement.count("applications.state =") <= 1, statement


def test_a_reviewer_moved_to_another_district_sees_that_district_at_once(world):
    """A queue's statements are kept per process by who asks and the filters: a change of
    district (or roles) is a different queue, not the one kept."""
    from zhongchuang.accounts import operations as accounts

    mine = world.submitted(district="330411")
    theirs = world.submitted(district="330402")
    assert ids(queues.queue_page(world.county)) == [mine.id]
    accounts.set_user_roles(world.county, ["county_reviewer"], "330402", by=world.admin)
    page = queues.queue_page(world.county)
    assert ids(page) == [theirs.id]
    assert page.waiting == 1
    accounts.set_user_roles(world.county, ["city_reviewer"], "", by=world.admin)
    assert ids(queues.queue_page(world.county)) == []  # nothing at the city's stages yet


# --- keyset pagination -----------------------------------------------------------------


SORTS = ("due", "-due", "-amount", "amount", "number", "-submitted", "submitted")


def test_keyset_pages_cover_every_case_once_in_order(world, clock):
    made = []
    for i in range(13):
        clock.set_today(date(2021, 3, 15 + i % 4))  # equal dates and amounts: ties
        made.append(world.submitted(employees=3 + i % 3).id)
    # Seven cases without a due date (a stage whose time limit is not set): last by due
    # date, first when descending; pages of five cross from dated to undated (and back)
    # in the middle of a page and also start inside the undated ones.
    db.session.execute(
        sa.update(Application).where(Application.id.in_(made[::2])).values(due_on=None)
    )
    db.session.commit()
    everything = {r.case.id: r.case for r in queues.queue_page(world.county, limit=50).rows}
    for sort in SORTS:
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            page = queues.queue_page(world.county, sort=sort, cursor=cursor, limit=5)
            assert page.total == 13
            seen += ids(page)
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == 3, sort
        assert len(seen) == len(set(seen)) == 13, sort
        assert set(seen) == set(made)
        # The concatenated pages are in the order of one unpaged query, sorted by the key.
        assert seen == ids(queues.queue_page(world.county, sort=sort, limit=50)), sort
        key = sort.lstrip("-")
        values = [queues._sort_value(key, everything[i]) for i in seen]
        assert values == sorted(values, reverse=sort.startswith("-")), sort


def test_next_links_walk_the_queue_on_the_page(world, client, login):
    for _ in range(53):
        world.submitted()
    login(client, world.county)
    numbers = set()
    url = "/review?sort=number"
    pages = 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        found = {n for n in _numbers(html)}
        assert not (found & numbers)
        numbers |= found
        pages += 1
        url = _next_link(html)
    assert pages == 2
    assert len(numbers) == 53


def _numbers(html: str) -> list[str]:
    import re

    return re.findall(r">(ZC2021\d{7})</a>", html)


def _next_link(html: str) -> str | None:
    import html as h
    import re

    m = re.search(r'<a class="button" href="([^"]+)" rel="next">', html)
    return h.unescape(m.group(1)) if m else None


def test_a_cursor_is_bound_to_its_sort_order(world):
    for _ in range(3):
        world.submitted()
    page = queues.queue_page(world.county, sort="number", limit=1)
    with pytest.raises(ValidationFailed):
        queues.queue_page(world.county, sort="due", cursor=page.next_cursor, limit=1)


# --- due dates -------------------------------------------------------------------------


def test_due_date_and_overdue_flag_follow_the_clock(world, clock, client, login):
    case = world.submitted()  # Mon 2021-03-15: 受理 within 5 working days
    row = queues.queue_page(world.county).rows[0]
    assert row.due_on == date(2021, 3, 22)
    assert row.overdue is False
    assert row.days_left == 5
    assert ids(queues.queue_page(world.county, QueueFilters(overdue=True))) == []

    clock.set_today(date(2021, 3, 24))
    row = queues.queue_page(world.county).rows[0]
    assert row.overdue is True
    assert row.days_left == -2
    assert ids(queues.queue_page(world.county, QueueFilters(overdue=True))) == [case.id]
    login(client, world.county)
    html = client.get("/review").get_data(as_text=True)
    assert "超期 2 个工作日" in html

    # Acting moves the case into the next waiting state with a new due date.
    cases.act(world.county, case.id, "accept")
    row = queues.queue_page(world.county).rows[0]
    assert row.overdue is False
    assert row.due_on > date(2021, 3, 24)


# --- statement count -------------------------------------------------------------------


def test_a_page_of_fifty_costs_a_fixed_number_of_statements(world, client, login):
    for i in range(55):
        world.submitted(employees=3 + i % 5)
    db.session.expire_all()
    assert world.county.roles == ["county_reviewer"]  # the logged-in user is loaded already
    with count_statements() as seen:
        page = queues.queue_page(world.county, limit=50)
        for row in page.rows:  # what the template touches
            _ = (row.case.program.name, row.case.number, row.case.version, row.amount)
    assert len(page.rows) == 50
    assert len(seen) <= 5, seen

    login(client, world.county)
    client.get("/review?limit=5")
    db.session.expire_all()
    with count_statements() as full_page:
        resp = client.get("/review")
    assert resp.status_code == 200
    assert len(_numbers(resp.get_data(as_text=True))) == 50
    assert len(full_page) <= 12, full_page


# --- filter choices, kept a while ------------------------------------------------------


def test_filter_choices_are_kept_a_while_and_read_again_when_a_batch_changes_here(
    world, app, client, login
):
    app.config["ZC_FILTER_CHOICES_TTL"] = 30
    queues.forget_filter_choices()
    try:
        login(client, world.county)
        assert world.batch.name in client.get("/review").get_data(as_text=True)
        # Renamed by another process (straight in the database): kept for a while …
        db.session.execute(
            sa.update(Batch).where(Batch.id == world.batch.id).values(name="外部改名批次")
        )
        db.session.commit()
        assert "外部改名批次" not in client.get("/review").get_data(as_text=True)
        # … then read again.
        kept_at, choices = app.extensions["zc_queue_filter_choices"]
        app.extensions["zc_queue_filter_choices"] = (kept_at - 31, choices)
        assert "外部改名批次" in client.get("/review").get_data(as_text=True)
        # A batch made in this process is offered at once.
        batches.create_batch(
            world.admin,
            "graduate_startup_grant",
            2021,
            date(2021, 3, 1),
            date(2021, 4, 30),
            Decimal("50000.00"),
            name="本进程新建批次",
        )
        assert "本进程新建批次" in client.get("/review").get_data(as_text=True)
    finally:
        app.config["ZC_FILTER_CHOICES_TTL"] = 0
        queues.forget_filter_choices()
