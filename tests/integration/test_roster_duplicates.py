"""A person-month is never paid twice, whoever claims it, and nobody gets more than the
cap of months across enterprises (重复享受)."""

from __future__ import annotations

import io

import pytest

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
from zhongchuang.cases import eligibility
from zhongchuang.cases import engine as cases
from zhongchuang.errors import DomainError
from zhongchuang.extensions import db
from zhongchuang.models import Application
from zhongchuang.roster import operations as roster


@pytest.fixture
def world(app, factory):
    return make_world(factory)


def upload(user, case, rows):
    return roster.import_roster(user, case.id, "花名册.csv", io.BytesIO(csv_bytes(rows)))


def test_a_person_month_held_by_another_enterprise_is_refused_naming_its_case(world):
    number = graduate_id(1)
    first = world.draft()
    upload(world.enterprise, first, person_rows(number, months(7, 9)))
    attach_for_submit(first, world.enterprise)
    cases.act(world.enterprise, first.id, "submit")

    second = world.draft(world.other_enterprise)
    result = upload(
        world.other_enterprise, second, person_rows(number, months(9, 10)) + [row(graduate_id(2))]
    )
    assert result.accepted == 2  # 2020-10 of the same person, and another person
    assert [n for n, _ in result.rejected] == [2]
    reasons = result.rejected[0][1]
    assert any("不得重复" in r for r in reasons)
    assert f"该月份已由申报 {first.number} 申领。" in reasons
    assert result.amount == ROW_AMOUNT * 2


def test_the_second_of_two_drafts_claiming_a_person_month_cannot_be_submitted(world):
    number = graduate_id(1)
    first = world.draft()
    second = world.draft(world.other_enterprise)
    # Drafts claim nothing yet: both rosters pass.
    assert upload(world.enterprise, first, person_rows(number, months(7, 8))).accepted == 2
    assert upload(world.other_enterprise, second, person_rows(number, months(8, 9))).accepted == 2
    attach_for_submit(first, world.enterprise)
    cases.act(world.enterprise, first.id, "submit")

    page = roster.roster_page(world.other_enterprise, second.id)
    assert [(w.kind, w.month, w.other_numbers) for w in page.warnings] == [
        ("month", "2020-08", (first.number,))
    ]
    attach_for_submit(second, world.other_enterprise)
    with pytest.raises(DomainError) as err:
        cases.act(world.other_enterprise, second.id, "submit")
    assert err.value.code == "duplicate_benefit"
    assert first.number in err.value.message
    assert cases.get_visible(world.other_enterprise, second.id).state == "draft"


def test_the_unique_index_refuses_the_duplicate_even_when_both_were_judged_at_once(
    world, monkeypatch
):
    number = graduate_id(1)
    first = world.draft()
    second = world.draft(world.other_enterprise)
    upload(world.enterprise, first, person_rows(number, months(7, 7)))
    upload(world.other_enterprise, second, person_rows(number, months(7, 7)))
    attach_for_submit(first, world.enterprise)
    cases.act(world.enterprise, first.id, "submit")
    # As if the second submit had been judged before the first one committed.
    monkeypatch.setattr(eligibility, "find_duplicate", lambda case, claims: None)
    attach_for_submit(second, world.other_enterprise)
    with pytest.raises(DomainError) as err:
        cases.act(world.other_enterprise, second.id, "submit")
    assert err.value.code == "duplicate_benefit"
    assert cases.get_visible(world.other_enterprise, second.id).state == "draft"


def test_a_withdrawn_case_no_longer_blocks_its_months(world):
    number = graduate_id(1)
    first = world.draft()
    upload(world.enterprise, first, person_rows(number, months(7, 8)))
    attach_for_submit(first, world.enterprise)
    cases.act(world.enterprise, first.id, "submit")
    cases.act(world.enterprise, first.id, "withdraw")
    second = world.draft(world.other_enterprise)
    assert upload(world.other_enterprise, second, person_rows(number, months(7, 8))).accepted == 2


def graduated_2019(number: str, month: str):
    return row(
        number,
        month,
        graduation_date="2019-06-30",
        contract_start="2019-07-01",
        contract_end="2022-06-30",
    )


def test_twelve_months_at_most_across_two_enterprises(world):
    number = graduate_id(1)
    first = world.draft(period_start="2019-07", period_end="2020-02")
    rows = [graduated_2019(number, m) for m in months(7, 12, 2019) + months(1, 2)]
    assert upload(world.enterprise, first, rows).accepted == 8
    attach_for_submit(first, world.enterprise)
    cases.act(world.enterprise, first.id, "submit")

    second = world.draft(world.other_enterprise, period_start="2020-03", period_end="2020-08")
    rows = [graduated_2019(number, m) for m in months(3, 8)]
    result = upload(world.other_enterprise, second, rows)
    assert result.accepted == 4  # 2020-03 … 2020-06: months 9 to 12
    assert [n for n, _ in result.rejected] == [6, 7]
    for _n, reasons in result.rejected:
        assert any("达到上限12个月" in r for r in reasons)
        assert any(first.number in r for r in reasons)
    assert result.per_person[0].months == 4


def test_two_drafts_that_together_exceed_the_cap_cannot_both_be_submitted(world):
    number = graduate_id(1)
    first = world.draft(period_start="2019-07", period_end="2020-02")
    second = world.draft(world.other_enterprise, period_start="2020-03", period_end="2020-08")
    # Both uploaded while the other was still a draft, so each passed on its own.
    upload(
        world.enterprise,
        first,
        [graduated_2019(number, m) for m in months(7, 12, 2019) + months(1, 2)],
    )
    upload(world.other_enterprise, second, [graduated_2019(number, m) for m in months(3, 8)])
    attach_for_submit(first, world.enterprise)
    cases.act(world.enterprise, first.id, "submit")
    attach_for_submit(second, world.other_enterprise)
    with pytest.raises(DomainError) as err:
        cases.act(world.other_enterprise, second.id, "submit")
    assert err.value.code == "duplicate_benefit"
    assert "累计 12 个月" in err.value.message
    db.session.expire_all()
    assert db.session.get(Application, second.id).state == "draft"
    assert db.session.get(Application, first.id).state == "submitted"
