"""Uploading again replaces the whole roster at once; a failed upload changes nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.helpers import attach_for_submit
from tests.integration.roster_support import (
    ROW_AMOUNT,
    csv_bytes,
    graduate_id,
    make_world,
    months,
    person_rows,
    row,
)
from zhongchuang.cases import engine as cases
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent, RosterRow
from zhongchuang.roster import operations as roster


@pytest.fixture
def world(app, factory):
    return make_world(factory)


def upload(world, case, rows, user=None):
    return roster.import_roster(
        user or world.enterprise, case.id, "花名册.csv", io.BytesIO(csv_bytes(rows))
    )


def roster_of(case) -> list[tuple[int, str, bool]]:
    db.session.rollback()
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(RosterRow.row_no, RosterRow.month, RosterRow.accepted)
            .where(RosterRow.application_id == case.id)
            .order_by(RosterRow.row_no)
        )
    ]


def amount_of(case):
    db.session.rollback()
    return db.session.get(Application, case.id).computed_amount


def roster_events() -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.kind == "case.roster")
    ).scalar_one()


def test_a_second_upload_replaces_the_first(world):
    case = world.draft()
    upload(world, case, person_rows(graduate_id(1), months(7, 12)))
    assert len(roster_of(case)) == 6
    result = upload(world, case, [row(graduate_id(2), "2020-09"), row("")])
    assert (result.accepted, result.rejected_count) == (1, 1)
    assert roster_of(case) == [(2, "2020-09", True), (3, "2020-07", False)]
    assert amount_of(case) == ROW_AMOUNT
    assert roster_events() == 2
    last = (
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.kind == "case.roster")
            .order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert last.details["replaced_rows"] == 6


def test_months_of_the_replaced_roster_do_not_count_against_the_new_one(world):
    case = world.draft()
    number = graduate_id(1)
    upload(world, case, person_rows(number, months(7, 12)))
    assert upload(world, case, person_rows(number, months(7, 12))).accepted == 6


def test_an_upload_failing_midway_leaves_the_first_roster_intact(world, monkeypatch):
    case = world.draft()
    upload(world, case, person_rows(graduate_id(1), months(7, 12)))
    before = roster_of(case)

    monkeypatch.setattr(roster, "CHUNK_ROWS", 2)
    real_insert = roster._insert_rows
    calls = []

    def failing(rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_insert(rows)

    monkeypatch.setattr(roster, "_insert_rows", failing)
    with pytest.raises(RuntimeError):
        upload(world, case, person_rows(graduate_id(2), months(7, 11)))
    assert calls == [2, 2]  # the first chunk had been written before the failure
    assert roster_of(case) == before
    assert amount_of(case) == ROW_AMOUNT * 6
    assert roster_events() == 1


def test_a_refused_file_leaves_the_first_roster_intact(world):
    case = world.draft()
    upload(world, case, person_rows(graduate_id(1), months(7, 12)))
    with pytest.raises(ValidationFailed):
        roster.import_roster(
            world.enterprise, case.id, "x.csv", io.BytesIO("姓名,身份证号\n张三,1\n".encode())
        )
    assert len(roster_of(case)) == 6
    assert amount_of(case) == ROW_AMOUNT * 6


def test_a_returned_case_takes_a_new_roster_and_its_claims_follow_at_resubmission(world):
    from zhongchuang.cases.engine import ActionInput
    from zhongchuang.models import BenefitClaim

    case = world.draft()
    upload(world, case, person_rows(graduate_id(1), months(7, 12)))
    attach_for_submit(case, world.enterprise)
    cases.act(world.enterprise, case.id, "submit")
    cases.act(
        world.county,
        case.id,
        "return",
        ActionInput(
            reason="花名册有误",
            articles=["四(一)"],
            items=[{"target": "period_end", "message": "花名册月份超出申报期间"}],
        ),
    )
    upload(world, case, person_rows(graduate_id(1), months(7, 9)))
    attach_for_submit(case, world.enterprise)
    submitted = cases.act(world.enterprise, case.id, "submit")
    assert submitted.computed_amount == ROW_AMOUNT * 3
    periods = db.session.execute(
        sa.select(BenefitClaim.period)
        .where(BenefitClaim.application_id == case.id, BenefitClaim.active)
        .order_by(BenefitClaim.period)
    ).scalars()
    assert list(periods) == months(7, 9)
