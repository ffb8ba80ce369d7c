"""Catalogue administration: a changed catalogue is previewed against the pending cases
before it is loaded; parameters show their source and whether they are confirmed;
batches are created and edited with their money in view."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import CATALOGUE, clean_tables
from tests.helpers import attach_for_submit
from zhongchuang.cases import engine as cases
from zhongchuang.cases.eligibility import preview_catalogue
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Batch, Parameter, Program
from zhongchuang.policy.catalogue import CatalogueError
from zhongchuang.policy.identity import make_credit_code

BUSINESS = make_credit_code("330411", "MA1000001")
MIN_EMPLOYEES = re.compile(r"(- name: min_employees\n(?:[ ]+\w+: .*\n)*?[ ]+value: )3\b")


def raised_threshold(text: str, value: int = 6) -> str:
    changed, n = MIN_EMPLOYEES.subn(rf"\g<1>{value}", text)
    assert n == 1
    return changed


@pytest.fixture
def world(app, factory, login):
    admin = factory.staff("admin", username="root")
    batch = batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    applicant = factory.person(name="陈小红")
    case = cases.create_draft(
        applicant,
        "employment_driving_grant",
        {"business_credit_code": BUSINESS, "year": 2020, "employees_insured": 5},
    )
    attach_for_submit(case, applicant)
    case = cases.act(applicant, case.id, "submit")
    assert case.eligible
    assert case.computed_amount == Decimal("4000.00")
    client = app.test_client()
    login(client, admin)
    return {"admin": admin, "batch": batch, "case": case, "client": client}


@pytest.fixture
def restore_catalogue(app):
    """A test that loads a changed catalogue puts the original back afterwards."""
    yield
    from zhongchuang.catalogue.loading import load_catalogue_file

    clean_tables(keep_catalogue=False)
    load_catalogue_file(str(CATALOGUE), by=None)


def upload(client, post_form, text: str, name: str = "changed.yaml"):
    return post_form(
        client,
        "/admin/catalogue",
        {"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert m, name
    return m.group(1)


def test_preview_shows_a_case_losing_eligibility_when_a_threshold_is_raised(
    world, post_form, tmp_path
):
    text = raised_threshold(CATALOGUE.read_text(encoding="utf-8"))
    changes = preview_catalogue(text, "changed.yaml")
    assert [c.case_id for c in changes] == [world["case"].id]
    ch = changes[0]
    assert ch.change.change == "lost"
    assert (ch.change.old_eligible, ch.change.new_eligible) == (True, False)
    assert (ch.change.old_amount, ch.change.new_amount) == (Decimal("4000.00"), None)
    assert "employees" in ch.change.newly_failed
    assert world["case"].number in ch.describe()

    resp = upload(world["client"], post_form, text)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert world["case"].number in html
    assert "不再符合条件" in html
    assert "4,000.00" in html
    # Nothing was loaded by the preview.
    value = db.session.execute(
        sa.select(Parameter.value)
        .join(Program)
        .where(Program.code == "employment_driving_grant", Parameter.name == "min_employees")
    ).scalars()
    assert set(value) == {"3"}

    # The command line shows the same.
    path = tmp_path / "changed.yaml"
    path.write_text(text, encoding="utf-8")
    result = (
        world["client"].application.test_cli_runner().invoke(args=["policy", "preview", str(path)])
    )
    assert world["case"].number in result.output
    assert "不再符合条件" in result.output


def test_preview_of_an_unchanged_catalogue_lists_nothing(world, post_form):
    resp = upload(world["client"], post_form, CATALOGUE.read_text(encoding="utf-8"))
    assert resp.status_code == 200
    assert "没有待办案件的资格或金额会因此改变" in resp.get_data(as_text=True)


def test_a_raised_amount_parameter_shows_the_new_amount(world):
    text = CATALOGUE.read_text(encoding="utf-8")
    text, n = re.subn(
        r"(- name: base\n(?:[ ]+\w+: .*\n)*?[ ]+value: )\"2000\.00\"", r'\g<1>"3000.00"', text
    )
    assert n == 1
    (ch,) = preview_catalogue(text, "richer.yaml")
    assert ch.change.change == "amount_changed"
    assert ch.change.new_amount == Decimal("5000.00")


def test_a_malformed_catalogue_is_refused_with_location_and_reason(world, post_form):
    text = CATALOGUE.read_text(encoding="utf-8").replace(
        "kind: employment_tiered", "kind: no_such_formula", 1
    )
    with pytest.raises(CatalogueError):
        preview_catalogue(text, "bad.yaml")
    resp = upload(world["client"], post_form, text, "bad.yaml")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "bad.yaml" in html
    assert "amount" in html  # where in the file
    assert "确认载入" not in html
    resp = upload(world["client"], post_form, "\xff\xfe not yaml: [", "garbage.yaml")
    assert resp.status_code == 422


def test_the_previewed_catalogue_is_loaded_by_the_admin(world, post_form, restore_catalogue):
    text = raised_threshold(CATALOGUE.read_text(encoding="utf-8"))
    html = upload(world["client"], post_form, text).get_data(as_text=True)
    data = {name: hidden(html, name) for name in ("content", "filename", "sha256")}
    tampered = world["client"].post(
        "/admin/catalogue/load",
        data={**data, "sha256": "0" * 64, "csrf_token": hidden(html, "csrf_token")},
    )
    assert tampered.status_code == 400
    resp = post_form(world["client"], "/admin/catalogue/load", data, page="/admin/catalogue")
    assert resp.status_code == 302
    rows = db.session.execute(
        sa.select(Parameter)
        .join(Program)
        .where(Program.code == "employment_driving_grant", Parameter.name == "min_employees")
        .order_by(Parameter.valid_from)
    ).scalars()
    assert [(r.value, r.valid_from) for r in rows][-1] == ("6", date(2021, 3, 15))
    ev = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "catalogue.load")
    ).scalar_one()
    assert ev.actor_name == "root"
    # The case keeps the snapshot it was judged by.
    case = cases.get_visible(world["admin"], world["case"].id)
    assert case.snapshot["parameters"]["min_employees"]["value"] == 3


def test_parameters_page_marks_unconfirmed_values(world):
    html = world["client"].get("/admin/parameters").get_data(as_text=True)
    assert "min_employees" in html
    assert "未经证实" in html
    assert "未见公开文本" in html  # the source is shown
    unconfirmed = db.session.execute(
        sa.select(sa.func.count()).select_from(Parameter).where(Parameter.confirmed.is_(False))
    ).scalar()
    assert html.count('class="param-unconfirmed"') == unconfirmed


def test_batches_are_created_and_edited_with_their_money_in_view(world, post_form):
    client = world["client"]
    html = client.get("/admin/batches").get_data(as_text=True)
    assert "100,000.00" in html
    resp = post_form(
        client,
        "/admin/batches/new",
        {
            "program": "graduate_startup_grant",
            "name": "",
            "year": "2021",
            "opens_on": "2021-04-01",
            "closes_on": "2021-03-01",
            "budget": "50000",
        },
    )
    assert resp.status_code == 422
    assert "截止日期不能早于开始日期" in resp.get_data(as_text=True)
    resp = post_form(
        client,
        "/admin/batches/new",
        {
            "program": "graduate_startup_grant",
            "name": "",
            "year": "2021",
            "opens_on": "2021-04-01",
            "closes_on": "2021-06-30",
            "budget": "50,000.00",
        },
    )
    assert resp.status_code == 302
    batch = db.session.execute(
        sa.select(Batch).join(Program).where(Program.code == "graduate_startup_grant")
    ).scalar_one()
    assert batch.budget == Decimal("50000.00")

    url = f"/admin/batches/{world['batch'].id}"
    for bad in ("abc", "-5"):
        resp = post_form(
            client,
            url,
            {"name": "", "opens_on": "2021-03-01", "closes_on": "2021-05-31", "budget": bad},
        )
        assert resp.status_code == 422
    resp = post_form(
        client,
        url,
        {"name": "", "opens_on": "2021-03-01", "closes_on": "2021-05-31", "budget": "120000"},
    )
    assert resp.status_code == 302
    batch = db.session.get(Batch, world["batch"].id)
    db.session.refresh(batch)
    assert (batch.closes_on, batch.budget) == (date(2021, 5, 31), Decimal("120000.00"))
    assert "120,000.00" in client.get("/admin/batches").get_data(as_text=True)
