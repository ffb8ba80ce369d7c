"""Identity numbers: encrypted at rest with key rotation, masked everywhere (see also
``test_security_access::test_the_access_matrix``, which reads every answer of the access
world for a full number), and shown whole only to a reviewer who asks — each time written
to the audit trail as ``pii.reveal``."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import build_app
from tests.helpers import attach_for_submit, attach_required
from tests.integration.roster_support import csv_bytes, graduate_id, make_world, person_rows
from tests.integration.security_support import caller
from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, Person, RosterRow
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.roster import operations as roster
from zhongchuang.runtime import vault
from zhongchuang.security import IdentityVault, VaultError, generate_fernet_key

# --- encryption at rest and key rotation -------------------------------------------------------


def _numbers(v: IdentityVault) -> dict[tuple[str, int], str]:
    out = {}
    for model in (Person, RosterRow):
        for row in db.session.scalars(sa.select(model)):
            if row.id_number_enc:
                out[(model.__name__, row.id)] = v.decrypt(row.id_number_enc)
    return out


def test_identity_numbers_are_stored_encrypted(app, factory):
    person = factory.person(name="陈小红", username="pii_p")
    row = db.session.get(Person, person.person_id)
    number = vault().decrypt(row.id_number_enc)
    assert re.fullmatch(r"\d{17}[\dX]", number)
    raw = db.session.execute(
        sa.text("SELECT id_number_enc, id_number_hash, id_number_masked FROM persons")
    ).one()
    assert number not in " ".join(raw)
    assert "*" in raw[2]
    assert raw[1] == vault().lookup_hash(number)


def test_rotate_key_re_encrypts_every_person_and_roster_row(app, factory, tmp_path):
    rw = make_world(factory)
    factory.person(name="陈小红", username="pii_p1")
    factory.person(name="李小明", username="pii_p2")
    case = rw.draft()
    rows = person_rows(graduate_id(11), ["2020-07", "2020-08"]) + person_rows(
        graduate_id(12), ["2020-07"], name="王小二"
    )
    roster.import_roster(rw.enterprise, case.id, "花名册.csv", io.BytesIO(csv_bytes(rows)))
    old_key = app.config["ZC_ID_KEYS"]
    hash_key = app.config["ZC_ID_HASH_KEY"]
    plain = _numbers(IdentityVault(old_key, hash_key))
    assert {k[0] for k in plain} == {"Person", "RosterRow"}
    assert len(plain) >= 5
    tokens_before = {
        (m.__name__, r.id): r.id_number_enc
        for m in (Person, RosterRow)
        for r in db.session.scalars(sa.select(m))
    }
    events_before = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
    db.session.remove()

    new_key = generate_fernet_key()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    rotating = build_app(url, tmp_path, ZC_ID_KEYS=f"{new_key},{old_key}")
    with rotating.app_context():  # the command runs in the app it is given
        result = rotating.test_cli_runner().invoke(args=["ids", "rotate-key"])
        assert result.exit_code == 0, result.output
        assert f"re-encrypted {len(plain)} identity numbers" in result.output
        db.session.remove()
        db.engine.dispose()

    # Only the new key from now on: every number still reads, and the old key reads none.
    new_only = IdentityVault(new_key, hash_key)
    db.session.remove()
    assert _numbers(new_only) == plain
    old_only = IdentityVault(old_key, hash_key)
    for model in (Person, RosterRow):
        for r in db.session.scalars(sa.select(model)):
            assert r.id_number_enc != tokens_before[(model.__name__, r.id)]
            with pytest.raises(VaultError):
                old_only.decrypt(r.id_number_enc)
    # Look-ups (duplicate detection) do not depend on the encryption key.
    for (kind, rid), number in plain.items():
        model = Person if kind == "Person" else RosterRow
        assert db.session.get(model, rid).id_number_hash == new_only.lookup_hash(number)
    events = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.kind == "admin.id_key_rotation")
    ).scalar_one()
    assert events.details == {"count": len(plain)}
    assert db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one() == (
        events_before + 1
    )
    assert audit.verify().ok

    # An app configured with the new key alone serves the pages as before.
    db.session.remove()  # SQLite: one writer at a time
    served = build_app(url, tmp_path, ZC_ID_KEYS=new_key)
    with served.app_context():
        assert _numbers(served.extensions["zc_vault"]) == plain
        db.session.remove()
        db.engine.dispose()


# --- the reveal -------------------------------------------------------------------------------


@pytest.fixture
def person_case(app, factory):
    """Person B's submitted grant in district 330411, and the staff around it."""
    admin = factory.staff("admin", username="pii_admin")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    person = factory.person(name="陈小红", username="pii_person")
    draft = cases.create_draft(
        person,
        "employment_driving_grant",
        {
            "business_credit_code": make_credit_code("330411", "MB0000555"),
            "year": 2020,
            "employees_insured": 5,
        },
    )
    attach_required(draft, person)
    attach_for_submit(draft, person)
    case = cases.act(person, draft.id, "submit")
    number = vault().decrypt(db.session.get(Person, person.person_id).id_number_enc)
    return {
        "case": case.id,
        "number": number,
        "person": person,
        "admin": admin,
        "county": factory.staff("county_reviewer", district="330411", username="pii_county"),
        "county_x": factory.staff("county_reviewer", district="330402", username="pii_nanhu"),
        "city": factory.staff("city_reviewer", username="pii_city"),
        "finance": factory.staff("finance", username="pii_fin"),
        "expert": factory.staff("expert", username="pii_expert"),
    }


def _reveals(case_id: int) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.kind == "pii.reveal", AuditEvent.application_id == case_id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_county_reviewer_reveals_the_number_on_the_case_page_and_it_is_audited(app, person_case):
    w = person_case
    c = caller(app, w["county"])
    page = c.client.get(f"/applications/{w['case']}").get_data(as_text=True)
    assert "显示完整身份证号" in page
    assert w["number"] not in page
    resp = c.client.post(f"/applications/{w['case']}/identity-reveal", data={"csrf_token": c.csrf})
    assert resp.status_code == 200
    assert w["number"] in resp.get_data(as_text=True)
    assert "no-store" in resp.headers["Cache-Control"]
    assert resp.headers["Pragma"] == "no-cache"
    (event,) = _reveals(w["case"])
    assert event.actor_id == w["county"].id
    assert event.actor_role == "county_reviewer"
    assert event.details["person_id"] == w["person"].person_id
    assert "*" in event.details["id_number_masked"]
    assert w["number"] not in str(event.details)  # the trail keeps whose, not the number
    # Shown for that answer only: the case page still masks it.
    again = c.client.get(f"/applications/{w['case']}").get_data(as_text=True)
    assert w["number"] not in again
    assert audit.verify().ok


def test_a_city_reviewer_reveals_through_the_api_each_time_audited(app, person_case):
    w = person_case
    c = caller(app, w["city"])
    url = f"/api/v1/applications/{w['case']}/identity-reveal"
    for _ in range(2):
        resp = c.client.post(url, headers=c.headers)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["id_number"] == w["number"]
        assert body["person_id"] == w["person"].person_id
        assert "no-store" in resp.headers["Cache-Control"]
    assert [e.actor_role for e in _reveals(w["case"])] == ["city_reviewer", "city_reviewer"]
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("person", 403),  # the applicant sees the case, but not through this door
        ("finance", 403),
        ("admin", 403),
        ("expert", 404),  # not assigned: cannot see the case at all
        ("county_x", 404),  # another district
    ],
)
def test_others_are_refused_and_nothing_is_recorded(app, person_case, who, status):
    w = person_case
    c = caller(app, w[who])
    page = c.client.get(f"/applications/{w['case']}")
    assert "显示完整身份证号" not in page.get_data(as_text=True)
    page.close()
    resp = c.client.post(f"/applications/{w['case']}/identity-reveal", data={"csrf_token": c.csrf})
    assert resp.status_code == status
    assert w["number"] not in resp.get_data(as_text=True)
    api = c.client.post(f"/api/v1/applications/{w['case']}/identity-reveal", headers=c.headers)
    assert api.status_code == status
    assert w["number"] not in api.get_data(as_text=True)
    assert _reveals(w["case"]) == []


def test_a_reveal_without_csrf_token_or_on_a_draft_is_refused(app, person_case):
    w = person_case
    c = caller(app, w["county"])
    resp = c.client.post(f"/applications/{w['case']}/identity-reveal")
    assert resp.status_code == 400
    draft = cases.create_draft(
        w["person"],
        "employment_driving_grant",
        {
            "business_credit_code": make_credit_code("330411", "MB0000556"),
            "year": 2020,
            "employees_insured": 4,
        },
    )
    resp = c.client.post(f"/applications/{draft.id}/identity-reveal", data={"csrf_token": c.csrf})
    assert resp.status_code == 404  # a county reviewer does not see drafts
    assert _reveals(w["case"]) == []
    assert _reveals(draft.id) == []
