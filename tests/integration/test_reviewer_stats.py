"""Statistics on a small known dataset: counts and amounts, median days per stage from the
audit trail, overdue counts, the 2020 targets of article 二, and the page with its charts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.reviewer_support import World
from zhongchuang.accounts import operations as accounts
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.cases.stays import rebuild_stays
from zhongchuang.extensions import db
from zhongchuang.models import CaseStay, MakerSpace, StatsSnapshot
from zhongchuang.policy.identity import JIAXING_DISTRICTS
from zhongchuang.stats import queries as stats


@pytest.fixture
def world(app, factory, clock):
    """A: 2 days submitted, 5 (3 working) accepted, 1 county-approved, now city-approved.
    B: 4 days submitted, now accepted. C: submitted, overdue by the end. D (南湖区): 1 day
    submitted, 0 accepted, rejected."""
    w = World(factory)
    clock.set_today(date(2021, 3, 15))  # Monday
    w.a = w.submitted(employees=5)  # 4000.00
    w.b = w.submitted(employees=3)  # 2000.00
    w.c = w.submitted(employees=4)  # 3000.00
    w.d = w.submitted(employees=3, district="330402")  # 2000.00
    clock.set_today(date(2021, 3, 16))
    cases.act(w.other_county, w.d.id, "accept")
    cases.act(
        w.other_county,
        w.d.id,
        "county_reject",
        ActionInput(reason="经营地址不实", articles=["四(一)"]),
    )
    clock.set_today(date(2021, 3, 17))
    cases.act(w.county, w.a.id, "accept")
    clock.set_today(date(2021, 3, 19))
    cases.act(w.county, w.b.id, "accept")
    clock.set_today(date(2021, 3, 22))
    cases.act(w.county, w.a.id, "county_approve")
    clock.set_today(date(2021, 3, 23))
    cases.act(w.city, w.a.id, "city_approve", ActionInput(amount=w.a.computed_amount))
    operator = factory.operator(district="330402")
    for name, day in (("甲空间", date(2020, 6, 1)), ("乙空间", date(2021, 1, 5))):
        db.session.add(
            MakerSpace(
                name=name,
                space_type="demonstration",
                level="city",
                district="330402",
                recognised_on=day,
                operator_id=operator.organization_id,
            )
        )
    db.session.commit()
    return w


def test_counts_and_amounts(world):
    data = stats.summary()
    assert data["as_of"] == "2021-03-23"
    assert data["totals"] == {
        "count": 4,
        "requested_amount": "11000.00",
        "approved_amount": "4000.00",
        "disbursed_amount": "0.00",
    }
    (program,) = data["by_program"]
    assert program["program"] == "employment_driving_grant"
    assert program["count"] == 4
    assert {s["state"]: s["count"] for s in data["by_state"]} == {
        "submitted": 1,
        "accepted": 1,
        "city_approved": 1,
        "rejected": 1,
    }
    assert {d["district"]: (d["count"], d["approved_amount"]) for d in data["by_district"]} == {
        "330411": (3, "4000.00"),
        "330402": (1, "0.00"),
    }
    assert [(y["year"], y["count"]) for y in data["by_year"]] == [(2021, 4)]
    json.dumps(data, ensure_ascii=False)  # JSON-ready, money as strings


def test_median_days_per_stage_from_the_audit_trail(world):
    by_state = {s["state"]: s for s in stats.summary()["stage_durations"]}
    assert by_state["submitted"]["stays"] == 3
    assert by_state["submitted"]["median_days"] == 2.0  # 1, 2, 4
    assert by_state["submitted"]["median_working_days"] == 2.0
    assert by_state["accepted"]["stays"] == 2
    assert by_state["accepted"]["median_days"] == 2.5  # 0 and 5
    assert by_state["accepted"]["median_working_days"] == 1.5  # 0 and 3
    assert by_state["county_approved"]["median_days"] == 1.0
    assert "city_approved" not in by_state  # still there: not counted


def test_overdue_counts(world, clock):
    overdue = stats.summary()["overdue"]
    assert overdue["total"] == 1  # C: submitted 03-15, due 03-22
    assert overdue["by_state"] == [{"state": "submitted", "label": "已提交", "count": 1}]
    clock.set_today(date(2021, 3, 22))
    assert stats.overdue()["total"] == 0


def test_targets_of_article_two(world):
    targets = {t["key"]: t for t in stats.summary()["targets"]}
    assert targets["maker_spaces"]["target"] == 100
    assert targets["maker_spaces"]["actual"] == 2
    assert targets["maker_spaces"]["progress_percent"] == 2.0
    for key, target in (
        ("vc_institutions", 20),
        ("talents", 50000),
        ("mentors", 500),
        ("tech_smes", 3000),
        ("high_tech_enterprises", 800),
    ):
        assert targets[key]["target"] == target
        assert targets[key]["actual"] is None
        assert targets[key]["note"] == "暂无数据来源"


def test_a_county_reviewer_sees_figures_of_their_district_only(world):
    data = stats.summary(world.county)
    assert data["scope"] == "330411"
    assert data["totals"]["count"] == 3
    assert [d["district"] for d in data["by_district"]] == ["330411"]
    assert data["targets"][0]["actual"] == 2  # the city's maker spaces: public anyway


def test_the_statistics_page_draws_its_charts_on_the_server(world, client, login):
    login(client, world.city)
    resp = client.get("/review/stats")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html.count("<svg") >= 4
    assert "<script" not in html
    assert 'style="' not in html
    assert "暂无数据来源" in html
    assert "2 / 100 家" in html
    assert "11,000.00" in html
    assert 'id="kpi-overdue">1<' in html
    login(client, world.county)
    html = client.get("/review/stats").get_data(as_text=True)
    assert "秀洲区" in html
    assert 'id="kpi-count">3<' in html


def test_each_transition_writes_the_stay_it_ends(world):
    rows = db.session.execute(
        sa.select(
            CaseStay.application_id, CaseStay.state, CaseStay.days, CaseStay.working_days
        ).order_by(CaseStay.application_id, CaseStay.id)
    ).all()
    a = [(s, d, w) for case_id, s, d, w in rows if case_id == world.a.id]
    # submitted 03-15 → accepted 03-17 → county_approved 03-22 → city_approved 03-23
    assert a == [("submitted", 2, 2), ("accepted", 5, 3), ("county_approved", 1, 1)]
    assert all(case_id != world.c.id for case_id, *_ in rows)  # still in its first stage
    assert {r.district for r in db.session.scalars(sa.select(CaseStay))} == {"330411", "330402"}


def test_stays_rebuilt_from_the_audit_trail_equal_those_the_engine_wrote(world):
    def stays() -> list[tuple]:
        return sorted(
            db.session.execute(
                sa.select(
                    CaseStay.application_id,
                    CaseStay.district,
                    CaseStay.program_id,
                    CaseStay.state,
                    CaseStay.entered_on,
                    CaseStay.left_on,
                    CaseStay.days,
                    CaseStay.working_days,
                )
            ).all()
        )

    written = stays()
    assert len(written) == 6  # A: 3, B: 1, D: 2
    assert rebuild_stays(db.session.connection()) == 6
    db.session.commit()
    assert stays() == written


def test_figures_are_reused_for_the_configured_time_then_computed_again(world, app):
    app.config["ZC_STATS_TTL"] = 300
    first = stats.cached_summary(world.city)
    assert first["totals"]["count"] == 4
    world.submitted(employees=3)  # a fifth case
    again = stats.cached_summary(world.city)
    assert again["totals"]["count"] == 4  # the kept figures
    assert again["computed_at"] == first["computed_at"]
    assert stats.cached_summary(world.county)["totals"]["count"] == 4  # its own scope, fresh
    snapshot = db.session.get(StatsSnapshot, "city")
    snapshot.computed_at -= timedelta(seconds=301)
    db.session.commit()
    assert stats.cached_summary(world.city)["totals"]["count"] == 5
    app.config["ZC_STATS_TTL"] = 0
    world.submitted(employees=3)
    assert stats.cached_summary(world.city)["totals"]["count"] == 6  # no cache at all


def test_figures_of_another_day_are_not_reused(world, app, clock):
    app.config["ZC_STATS_TTL"] = 300
    assert stats.cached_summary(world.city)["overdue"]["total"] == 1
    clock.set_today(date(2021, 3, 22))  # C is no longer overdue on this day
    assert stats.cached_summary(world.city)["overdue"]["total"] == 0


def test_refresh_keeps_the_city_and_every_district_warm(
    world,
    app,
    factory,
):
    cli_runner = app.test_cli_runner()
    app.config["ZC_STATS_TTL"] = 300
    result = cli_runner.invoke(args=["stats", "refresh"])
    assert result.exit_code == 0, result.output
    assert "refreshed 8 scopes" in result.output
    kept = {s.scope: s for s in db.session.scalars(sa.select(StatsSnapshot))}
    assert set(kept) == {"city", *(f"district:{d}" for d in JIAXING_DISTRICTS)}
    assert kept["district:330411"].payload["totals"]["count"] == 3
    assert kept["district:330402"].payload["totals"]["count"] == 1
    assert stats.cached_summary(world.county)["totals"]["count"] == 3
    result = cli_runner.invoke(args=["stats", "rebuild-stays"])
    assert result.exit_code == 0, result.output
    assert "stays: 6" in result.output


def test_the_page_and_the_api_say_when_the_figures_were_computed(world, app, client, login):
    app.config["ZC_STATS_TTL"] = 300
    login(client, world.city)
    html = client.get("/review/stats").get_data(as_text=True)
    assert "统计生成于 2021-03-23 " in html
    assert "最多每 5 分钟重新计算一次" in html
    token, _expires = accounts.issue_token(world.city)
    body = client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["computed_at"].startswith("2021-03-2")
    assert body["totals"]["count"] == 4
