"""The API's resources as a client sees them: the catalogue, paged lists, masked public
notices and objections, experts, batches, users, statistics."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD, api_token
from tests.helpers import attach_for_submit
from tests.integration.reviewer_support import recognition_scores
from zhongchuang.cases import attachments
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"
PROGRAMS = {
    "makerspace_recognition",
    "famous_space_introduction",
    "graduate_social_insurance",
    "graduate_self_employed_insurance",
    "graduate_startup_grant",
    "graduate_loan_interest",
    "employment_driving_grant",
}
BUSINESS = make_credit_code("330411", "MA1000001")
PDF = b"%PDF-1.4\n%%EOF\n"


def grant(year: int = 2020, employees: int = 5) -> dict:
    return {"business_credit_code": BUSINESS, "year": year, "employees_insured": employees}


def ok(resp, status: int = 200):
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()


@pytest.fixture
def world(app, factory):
    admin = factory.staff("admin", username="admin")
    batch = batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    return {
        "admin": admin,
        "batch": batch,
        "applicant": factory.person(name="陈小红", username="grad1"),
        "county": factory.staff("county_reviewer", district="330411", username="xiuzhou"),
        "city": factory.staff("city_reviewer", username="city"),
    }


# --- catalogue ----------------------------------------------------------------------------


def test_programs_carry_fields_as_json_schema_workflow_batches_and_parameters(client, world):
    page = ok(client.get(f"{API}/programs"))
    assert {p["code"] for p in page["items"]} == PROGRAMS
    assert page["next_cursor"] is None
    prog = ok(client.get(f"{API}/programs/employment_driving_grant"))
    assert prog["articles"] == ["四(一)"]
    assert prog["fields"]["type"] == "object"
    assert "employees_insured" in prog["fields"]["properties"]
    assert prog["workflow"]["id"] == "standard-v2"  # release 2: 不予受理, 补正, 时限
    assert prog["workflow"]["svg"].endswith("/workflow.svg")
    assert [b["budget"] for b in prog["batches"]] == ["100000.00"]
    assert prog["batches"][0]["reserved"] == "0.00"
    assert prog["batches"][0]["open"] is True
    params = {p["name"]: p for p in prog["parameters"]}
    assert params["base"]["confirmed"] is False
    assert [(a["kind"], a["required"], a["required_by"]) for a in prog["attachments"]] == [
        ("insured_employee_list", True, "require_insured_employee_list"),
        ("business_license", False, "require_business_license"),
    ]
    expert = ok(client.get(f"{API}/programs/makerspace_recognition"))
    assert expert["workflow"]["id"] == "recognition-v1"  # ends 已认定, no 拨付
    assert {"kind": "business_license", "required": True}.items() <= expert["attachments"][
        0
    ].items()
    svg = client.get(f"{API}/programs/makerspace_recognition/workflow.svg")
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    assert client.get(f"{API}/programs/nothing").status_code == 404


def test_policies_and_articles(client, world):
    policy = ok(client.get(f"{API}/policies"))["items"][0]
    assert policy["doc_number"] == "嘉政办发〔2015〕90号"
    assert policy["status"] == "in_force"  # on 2021-03-15
    confirmed = [e for e in policy["events"] if e["kind"] == "confirmed_valid"]
    assert [(e["date"], e["document"]) for e in confirmed] == [("2019-12-30", "嘉政发〔2019〕22号")]
    articles = ok(client.get(f"{API}/policies/{policy['id']}/articles"))
    assert "四(一)" in [a["path"] for a in articles]
    assert client.get(f"{API}/policies/9999/articles").status_code == 404


def test_answers_are_utf8_with_chinese_unescaped(client, world):
    raw = client.get(f"{API}/programs/employment_driving_grant").get_data(as_text=True)
    assert "带动就业" in raw
    assert "\\u" not in raw


def test_eligibility_explains_rule_by_rule(client, world):
    url = f"{API}/programs/employment_driving_grant/eligibility"
    me = api_token(client, "grad1")
    good = ok(client.post(url, json={"data": grant()}, headers=me))
    assert good["eligible"] is True
    assert good["amount"] == "4000.00"
    assert good["as_of"] == "2021-03-15"
    assert all(
        {"rule", "article", "passed", "message"} <= line.keys() for line in good["explanation"]
    )
    # Without a token the applicant's kind is unknown, and the answer says so.
    anonymous = ok(client.post(url, json={"data": grant()}))
    assert anonymous["eligible"] is False
    assert [line["rule"] for line in anonymous["explanation"] if not line["passed"]] == [
        "applicant"
    ]
    bad = ok(client.post(url, json={"data": grant(employees=2)}, headers=me))
    assert bad["eligible"] is False
    assert any(not line["passed"] and "不足3人" in line["message"] for line in bad["explanation"])
    # The date the data are judged on is the caller's choice (rules over time).
    dated = ok(client.post(url, json={"data": grant(), "as_of": "2020-06-30"}, headers=me))
    assert dated["as_of"] == "2020-06-30"
    assert client.post(url, json={"data": {}, "as_of": "1800-01-01"}).status_code == 422
    resp = client.post(url, json={"data": "nope"})
    assert resp.status_code == 422
    assert "data" in resp.get_json()["errors"]


# --- lists --------------------------------------------------------------------------------


def test_the_case_list_is_paged_by_an_opaque_cursor_and_filtered(client, world, factory):
    ids = [
        cases.create_draft(world["applicant"], "employment_driving_grant", grant(2015 + i)).id
        for i in range(5)
    ]
    attach_for_submit(ids[0], world["applicant"])
    cases.act(world["applicant"], ids[0], "submit")
    me = api_token(client, "grad1")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = ok(client.get(f"{API}/applications", query_string=query, headers=me))
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert not cursor.isdigit()  # opaque and signed: a forged one is refused
        assert (
            client.get(f"{API}/applications?cursor={cursor[:-2]}xx", headers=me).status_code == 400
        )
    assert pages == 3
    assert seen == sorted(ids, reverse=True)

    def listed(**query) -> list[int]:
        return [
            c["id"]
            for c in ok(client.get(f"{API}/applications", query_string=query, headers=me))["items"]
        ]

    assert listed(state="submitted") == [ids[0]]
    assert listed(program="employment_driving_grant", district="330411") == sorted(
        ids, reverse=True
    )
    assert listed(program="makerspace_recognition") == []
    number = ok(client.get(f"{API}/applications/{ids[1]}", headers=me))["number"]
    assert listed(q=number) == [ids[1]]
    assert listed(q="小红") == sorted(ids, reverse=True)
    assert listed(q="%") == []
    # The county reviewer sees the submitted case, never the drafts.
    county = api_token(client, "xiuzhou")
    assert [c["id"] for c in ok(client.get(f"{API}/applications", headers=county))["items"]] == [
        ids[0]
    ]


# --- notices and objections -------------------------------------------------------------


def _to_city_approved(world, data: dict, applicant=None) -> int:
    applicant = applicant or world["applicant"]
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    attach_for_submit(case, applicant)
    cases.act(applicant, case.id, "submit")
    cases.act(world["county"], case.id, "accept")
    cases.act(world["county"], case.id, "county_approve")
    cases.act(world["city"], case.id, "city_approve", ActionInput())
    return case.id


def test_public_notices_mask_persons_and_objections_run_only_during_the_period(
    client, world, clock
):
    case_id = _to_city_approved(world, grant())
    city = api_token(client, "city")
    published = ok(
        client.post(
            f"{API}/notices",
            json={"application_ids": [case_id, 999999], "working_days": 3},
            headers=city,
        ),
        201,
    )
    results = {r["id"]: r for r in published["applications"]}
    assert results[case_id]["published"] is True
    assert results[999999]["published"] is False
    assert results[999999]["message"]
    listing = client.get(f"{API}/notices")
    raw = listing.get_data(as_text=True)
    notice = ok(listing)["items"][0]
    assert notice["state"] == "running"
    assert notice["items"][0]["applicant"] == "陈*红"
    assert "陈小红" not in raw
    person = world["applicant"].person
    assert person.id_number_masked not in raw
    assert person.id_number_masked[-4:] not in raw

    # All refused: nothing is published, each reason told.
    body = client.post(f"{API}/notices", json={"application_ids": [case_id]}, headers=city)
    assert body.status_code == 422
    assert f"application_ids.{case_id}" in body.get_json()["errors"]

    url = f"{API}/notices/{notice['id']}/objections"
    objection = {
        "application_id": case_id,
        "contact": {"name": "王五", "phone": "13900000000"},
        "text": "该企业参保人数与实际不符，请核实。",
    }
    lodged = ok(client.post(url, json=objection), 201)
    assert lodged["status"] == "open"
    assert "contact" not in lodged
    anonymous = client.post(url, json=objection | {"contact": {"name": "", "phone": "1"}})
    assert anonymous.status_code == 422
    assert "contact" in anonymous.get_json()["errors"]

    # The applicant never learns who objected.
    me = api_token(client, "grad1")
    assert "王五" not in client.get(f"{API}/applications/{case_id}", headers=me).get_data(
        as_text=True
    )

    clock.set_today(date(2021, 3, 25))
    late = client.post(url, json=objection)
    assert late.status_code == 409
    assert late.get_json()["code"] == "notice_closed"
    city = api_token(client, "city")
    case_url = f"{API}/applications/{case_id}"
    blocked = client.post(f"{case_url}/actions/conclude_notice", json={}, headers=city)
    assert blocked.status_code == 422
    dismissed = client.post(
        f"{case_url}/actions/dismiss_objection",
        json={"objection_id": lodged["id"], "reason": "经核实参保人数属实。"},
        headers=city,
    )
    assert dismissed.status_code == 200, dismissed.get_json()
    assert (
        ok(client.post(f"{case_url}/actions/conclude_notice", json={}, headers=city))["state"]
        == "approved"
    )
    assert ok(client.get(f"{API}/notices/{notice['id']}"))["state"] == "ended"
    assert client.get(f"{API}/notices/424242").status_code == 404
    # The applicant's history leaves out the objection and its ruling, as the page does.
    seen = ok(client.get(case_url, headers=api_token(client, "grad1")))
    assert "dismiss_objection" not in [h["action"] for h in seen["history"]]
    assert "王五" not in str(seen)
    staff = ok(client.get(case_url, headers=city))
    assert "dismiss_objection" in [h["action"] for h in staff["history"]]


# --- experts ------------------------------------------------------------------------------


def test_experts_are_assigned_score_and_conclude_through_the_api(client, world, factory):
    batches.create_batch(
        world["admin"],
        "makerspace_recognition",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("0"),
    )
    operator = factory.operator(district="330402")
    data = {
        "space_name": "南湖创客汇",
        "space_type": "maker_incubation",
        "address": "南湖区某路1号",
        "district": "330402",
        "area_sqm": "800",
        "workstations": 60,
        "resident_teams": 25,
        "mentors": 5,
        "staff": 4,
        "events_last_year": 12,
        "operating_since": "2019-01-01",
    }
    case = cases.create_draft(operator, "makerspace_recognition", data)
    for kind in ("business_license", "lease_or_deed", "resident_list", "operations_report"):
        attachments.upload(operator, case.id, kind, f"{kind}.pdf", io.BytesIO(PDF))
    attach_for_submit(case, operator)
    cases.act(operator, case.id, "submit")
    county = factory.staff("county_reviewer", district="330402", username="nanhu")
    cases.act(county, case.id, "accept")
    cases.act(county, case.id, "county_approve")
    experts = [factory.staff("expert", username=f"expert{i}") for i in range(3)]
    city = api_token(client, "city")
    url = f"{API}/applications/{case.id}"
    assigned = ok(
        client.post(f"{url}/experts", json={"user_ids": [e.id for e in experts]}, headers=city)
    )
    assert [e["user_id"] for e in assigned["experts"]] == [e.id for e in experts]
    refused = client.post(f"{url}/experts", json={"user_ids": [world["admin"].id]}, headers=city)
    assert refused.status_code == 422
    assert "user_ids" in refused.get_json()["errors"]
    for i, expert in enumerate(experts):
        headers = api_token(client, expert.username)
        assert "expert_score" in ok(client.get(url, headers=headers))["allowed_actions"]
        scored = client.post(
            f"{url}/actions/expert_score",
            json={"scores": recognition_scores(80 + i), "opinion": "好"},
            headers=headers,
        )
        assert scored.status_code == 200, scored.get_json()
        assert scored.get_json()["state"] == "county_approved"
    concluded = ok(client.post(f"{url}/actions/expert_conclude", json={}, headers=city))
    assert concluded["state"] == "expert_reviewed"
    assert concluded["score_average"] == "81.00"
    # A case not in expert review cannot get experts.
    other = _to_city_approved(world, grant())
    assert (
        client.post(
            f"{API}/applications/{other}/experts", json={"user_ids": [experts[0].id]}, headers=city
        ).status_code
        == 409
    )
    assert ok(client.get(f"{API}/maker-spaces")) == []


# --- administration -----------------------------------------------------------------------


def test_batches_are_listed_created_and_changed_by_the_admin(client, world):
    admin = api_token(client, "admin")
    page = ok(client.get(f"{API}/batches?program=employment_driving_grant", headers=admin))
    assert [b["id"] for b in page["items"]] == [world["batch"].id]
    body = {
        "program": "graduate_startup_grant",
        "year": 2021,
        "opens_on": "2021-05-01",
        "closes_on": "2021-04-01",
        "budget": "1000.00",
    }
    bad = client.post(f"{API}/batches", json=body, headers=admin)
    assert bad.status_code == 422
    assert "closes_on" in bad.get_json()["errors"]
    created = ok(
        client.post(f"{API}/batches", json=body | {"closes_on": "2021-06-30"}, headers=admin), 201
    )
    assert created["open"] is False
    assert created["available"] == "1000.00"
    changed = ok(
        client.put(f"{API}/batches/{created['id']}", json={"budget": "2500.50"}, headers=admin)
    )
    assert changed["budget"] == "2500.50"
    assert changed["closes_on"] == "2021-06-30"
    # The budget never drops below what is held.
    _to_city_approved(world, grant())
    held = client.put(
        f"{API}/batches/{world['batch'].id}", json={"budget": "100.00"}, headers=admin
    )
    assert held.status_code == 422
    assert "budget" in held.get_json()["errors"]
    assert client.get(f"{API}/batches/999999", headers=admin).status_code == 404
    city = api_token(client, "city")
    assert client.get(f"{API}/batches", headers=city).status_code == 200
    assert client.post(f"{API}/batches", json=body, headers=city).status_code == 403


def test_users_are_made_changed_and_deactivated_with_their_tokens(client, world):
    admin = api_token(client, "admin")
    made = ok(
        client.post(
            f"{API}/users",
            json={
                "username": "haiyan",
                "password": PASSWORD,
                "roles": ["county_reviewer"],
                "district": "330424",
            },
            headers=admin,
        ),
        201,
    )
    assert made["roles"] == ["county_reviewer"]
    assert "password" not in made
    weak = client.post(
        f"{API}/users",
        json={"username": "weak", "password": "short", "roles": ["finance"]},
        headers=admin,
    )
    assert weak.status_code == 422
    assert "password" in weak.get_json()["errors"]
    no_district = client.post(
        f"{API}/users",
        json={"username": "nodist", "password": PASSWORD, "roles": ["county_reviewer"]},
        headers=admin,
    )
    assert "district" in no_district.get_json()["errors"]
    listed = ok(client.get(f"{API}/users?role=county_reviewer&limit=1", headers=admin))
    assert len(listed["items"]) == 1
    assert listed["next_cursor"]
    second = ok(
        client.get(
            f"{API}/users?role=county_reviewer&limit=1&cursor={listed['next_cursor']}",
            headers=admin,
        )
    )
    assert second["items"][0]["id"] != listed["items"][0]["id"]

    theirs = api_token(client, "haiyan")
    assert client.get(f"{API}/me", headers=theirs).status_code == 200
    changed = ok(
        client.patch(
            f"{API}/users/{made['id']}",
            json={"roles": ["county_reviewer", "expert"]},
            headers=admin,
        )
    )
    assert changed["roles"] == ["county_reviewer", "expert"]
    off = ok(client.patch(f"{API}/users/{made['id']}", json={"active": False}, headers=admin))
    assert off["active"] is False
    assert client.get(f"{API}/me", headers=theirs).status_code == 401
    last = client.patch(f"{API}/users/{world['admin'].id}", json={"active": False}, headers=admin)
    assert last.status_code == 409
    assert client.get(f"{API}/users/999999", headers=admin).status_code == 404


def test_statistics_count_money_as_strings_and_track_the_2020_targets(client, world):
    _to_city_approved(world, grant())
    city = api_token(client, "city")
    stats = ok(client.get(f"{API}/stats", headers=city))
    assert stats["totals"]["count"] == 1
    assert stats["totals"]["approved_amount"] == "4000.00"
    assert [p["program"] for p in stats["by_program"]] == ["employment_driving_grant"]
    targets = {t["key"]: t for t in stats["targets"]}
    assert targets["maker_spaces"]["target"] == 100
    assert targets["maker_spaces"]["actual"] == 0
    assert targets["mentors"]["actual"] is None  # not recorded here: no figure invented
    assert all(t["article"].startswith("二") for t in stats["targets"])
    me = api_token(client, "grad1")
    assert client.get(f"{API}/stats", headers=me).status_code == 403


# --- the document -------------------------------------------------------------------------

CONTRACT = {
    ("post", "/api/v1/registrations"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/current"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users"),
    ("patch", "/api/v1/users/{user_id}"),
    ("get", "/api/v1/policies"),
    ("get", "/api/v1/policies/{policy_id}/articles"),
    ("get", "/api/v1/programs"),
    ("get", "/api/v1/programs/{code}"),
    ("get", "/api/v1/programs/{code}/workflow.svg"),
    ("post", "/api/v1/programs/{code}/eligibility"),
    ("post", "/api/v1/applications"),
    ("get", "/api/v1/applications"),
    ("get", "/api/v1/applications/{case_id}"),
    ("patch", "/api/v1/applications/{case_id}"),
    ("post", "/api/v1/applications/{case_id}/attachments"),
    ("post", "/api/v1/applications/{case_id}/roster"),
    ("get", "/api/v1/applications/{case_id}/attachments/{attachment_id}"),
    ("post", "/api/v1/applications/{case_id}/actions/{action}"),
    ("post", "/api/v1/applications/{case_id}/experts"),
    ("get", "/api/v1/applications/{case_id}/audit"),
    ("get", "/api/v1/applications/{case_id}/documents"),
    ("get", "/api/v1/applications/{case_id}/documents/{document_id}"),
    ("post", "/api/v1/applications/{case_id}/documents/{document_id}/reissue"),
    ("post", "/api/v1/documents/verify"),
    ("get", "/api/v1/progress"),
    ("post", "/api/v1/eligibility-check"),
    ("get", "/api/v1/maker-spaces"),
    ("post", "/api/v1/notices"),
    ("get", "/api/v1/notices"),
    ("get", "/api/v1/notices/{notice_id}"),
    ("post", "/api/v1/notices/{notice_id}/objections"),
    ("get", "/api/v1/batches"),
    ("post", "/api/v1/batches"),
    ("get", "/api/v1/batches/{batch_id}"),
    ("put", "/api/v1/batches/{batch_id}"),
    ("get", "/api/v1/audit/verify"),
    ("get", "/api/v1/stats"),
}
PUBLIC = {
    "/api/v1/registrations",
    "/api/v1/tokens",
    "/api/v1/policies",
    "/api/v1/policies/{policy_id}",
    "/api/v1/policies/{policy_id}/articles",
    "/api/v1/programs",
    "/api/v1/programs/{code}",
    "/api/v1/programs/{code}/workflow.svg",
    "/api/v1/programs/{code}/eligibility",
    "/api/v1/maker-spaces",
    "/api/v1/notices/{notice_id}",
    "/api/v1/notices/{notice_id}/objections",
    "/api/v1/documents/verify",
    "/api/v1/progress",
}


def test_the_openapi_document_describes_every_operation_and_the_docs_page_shows_them(client):
    spec = ok(client.get(f"{API}/openapi.json"))
    ops = {
        (method, path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert set(ops) >= CONTRACT
    for (method, path), op in ops.items():
        public = path in PUBLIC or (path == "/api/v1/notices" and method == "get")
        if not public:
            assert op.get("security") == [{"bearerAuth": []}], (method, path)
            assert "401" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (method, path)
    params = spec["paths"]["/api/v1/applications/{case_id}/actions/{action}"]["parameters"]
    enum = next(p for p in params if p["name"] == "action")["schema"]["enum"]
    assert {"submit", "county_approve", "city_approve", "disburse", "expert_score"} <= set(enum)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get(f"{API}/docs").get_data(as_text=True)
    for method, path in ops:
        assert f"{method.upper()} {path}" in page


# --- roster -------------------------------------------------------------------------------


def test_a_roster_is_uploaded_and_answers_accepted_rejected_and_amount(client, world, factory):
    from zhongchuang.policy.identity import make_id_number

    batches.create_batch(
        world["admin"],
        "graduate_social_insurance",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("50000.00"),
    )
    factory.organization(kind="enterprise", size="small", username="firm")
    firm = api_token(client, "firm")
    case = ok(
        client.post(
            f"{API}/applications",
            json={
                "program": "graduate_social_insurance",
                "data": {"period_start": "2020-07", "period_end": "2020-12"},
            },
            headers=firm,
        ),
        201,
    )
    graduate = make_id_number("330402", date(1997, 5, 1), 7)
    csv_text = (
        "姓名,身份证号,毕业院校,毕业时间,劳动合同起始,劳动合同终止,补贴月份,单位养老,单位医疗,单位失业\n"
        f"张小三,{graduate},嘉兴学院,2020-06-30,2020-07-01,2022-06-30,2020-08,320.00,160.00,10.00\n"
        f"张小三,{graduate},嘉兴学院,2020-06-30,2020-07-01,2022-06-30,2020-09,320.00,160.00,10.00\n"
        "李四,360426199101010072,嘉兴学院,2020-06-30,2020-07-01,2022-06-30,2020-08,1,1,1\n"
    )
    url = f"{API}/applications/{case['id']}/roster"
    result = ok(
        client.post(
            url,
            data={"file": (io.BytesIO(csv_text.encode("utf-8")), "花名册.csv")},
            headers=firm,
            content_type="multipart/form-data",
        )
    )
    assert result["accepted"] == 2
    assert result["amount"] == "980.00"
    assert [r["row"] for r in result["rejected"]] == [4]
    assert result["rejected"][0]["errors"]
    assert graduate not in str(result)
    refused = client.post(
        url,
        data={"file": (io.BytesIO(PDF), "x.csv")},
        headers=firm,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415
    assert refused.mimetype == "application/problem+json"
    # A program without a roster has none to upload.
    other = cases.create_draft(world["applicant"], "employment_driving_grant", grant())
    me = api_token(client, "grad1")
    assert (
        client.post(
            f"{API}/applications/{other.id}/roster",
            data={"file": (io.BytesIO(csv_text.encode()), "r.csv")},
            headers=me,
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
