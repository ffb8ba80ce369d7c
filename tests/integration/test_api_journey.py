"""A whole case through the JSON API alone: registration, token, draft, attachment, submit,
acceptance, county and city approval, public notice, conclusion, disbursement, and an
intact audit chain."""

from __future__ import annotations

import io
from datetime import date

from tests.conftest import PASSWORD, api_token
from zhongchuang.policy.identity import make_credit_code

API = "/api/v1"
BUSINESS = make_credit_code("330411", "MA1000001")  # 秀洲区
APPLICANT_ID = "11010519491231002X"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def bearer(client, username: str) -> dict[str, str]:
    return api_token(client, username)


def ok(resp, status: int = 200) -> dict:
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def test_a_case_goes_from_registration_to_disbursement_through_the_api(client, factory, clock):
    factory.staff("admin", username="admin")
    admin = bearer(client, "admin")

    # The admin makes the staff accounts and opens a batch.
    for username, roles, district in (
        ("xiuzhou", ["county_reviewer"], "330411"),
        ("city", ["city_reviewer"], None),
        ("fin", ["finance"], None),
    ):
        body = {"username": username, "password": PASSWORD, "roles": roles}
        if district:
            body["district"] = district
        ok(client.post(f"{API}/users", json=body, headers=admin), 201)
    batch = ok(
        client.post(
            f"{API}/batches",
            json={
                "program": "employment_driving_grant",
                "year": 2021,
                "opens_on": "2021-03-01",
                "closes_on": "2021-04-30",
                "budget": "10000.00",
            },
            headers=admin,
        ),
        201,
    )
    assert batch["budget"] == "10000.00"
    assert batch["open"] is True

    # A graduate registers and takes a token.
    ok(
        client.post(
            f"{API}/registrations",
            json={
                "kind": "person",
                "username": "grad01",
                "password": PASSWORD,
                "name": "陈小红",
                "id_number": APPLICANT_ID,
                "phone": "13800000001",
            },
        ),
        201,
    )
    me = bearer(client, "grad01")

    # Draft, with the data and an attachment.
    case = ok(
        client.post(
            f"{API}/applications",
            json={
                "program": "employment_driving_grant",
                "data": {"business_credit_code": BUSINESS, "year": 2020, "employees_insured": 5},
            },
            headers=me,
        ),
        201,
    )
    case_id = case["id"]
    assert case["state"] == "draft"
    assert case["district"] == "330411"
    assert case["batch_id"] == batch["id"]
    url = f"{API}/applications/{case_id}"

    att = ok(
        client.post(
            f"{url}/attachments",
            data={"kind": "insured_employee_list", "file": (io.BytesIO(PDF), "名单.pdf")},
            headers=me,
            content_type="multipart/form-data",
        ),
        201,
    )
    assert att["content_type"] == "application/pdf"
    download = client.get(att["url"], headers=me)
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()
    assert "submit" in ok(client.get(url, headers=me))["allowed_actions"]

    case = ok(client.post(f"{url}/actions/submit", json={"version": case["version"]}, headers=me))
    assert case["state"] == "submitted"
    assert case["computed_amount"] == "4000.00"  # 2000 + 2 × 1000
    assert case["explanation"]
    assert all(line["passed"] for line in case["explanation"])

    # County: accept and approve at first instance.
    county = bearer(client, "xiuzhou")
    queue = ok(client.get(f"{API}/applications?state=submitted", headers=county))
    assert [c["id"] for c in queue["items"]] == [case_id]
    case = ok(client.post(f"{url}/actions/accept", json={}, headers=county))
    case = ok(
        client.post(
            f"{url}/actions/county_approve", json={"version": case["version"]}, headers=county
        )
    )
    assert case["state"] == "county_approved"

    # City: approve the amount, then publish the notice.
    city = bearer(client, "city")
    case = ok(client.post(f"{url}/actions/city_approve", json={"amount": "4000.00"}, headers=city))
    assert case["approved_amount"] == "4000.00"
    assert "publish" in case["allowed_actions"]
    notice = ok(
        client.post(f"{API}/notices", json={"application_ids": [case_id]}, headers=city), 201
    )
    assert notice["starts_on"] == "2021-03-15"
    assert notice["ends_on"] == "2021-03-19"
    assert notice["applications"] == [{"id": case_id, "published": True, "message": None}]

    public = client.get(f"{API}/notices/{notice['id']}")
    text = public.get_data(as_text=True)
    item = ok(public)["items"][0]
    assert item["applicant"] == "陈*红"
    assert item["amount"] == "4000.00"
    assert "陈小红" not in text
    assert APPLICANT_ID not in text
    assert APPLICANT_ID[-6:] not in text

    # While the notice runs the case cannot be concluded; after it, it can.
    refused = client.post(f"{url}/actions/conclude_notice", json={}, headers=city)
    assert refused.status_code == 422
    clock.set_today(date(2021, 3, 22))
    # A week later the tokens of the 15th have expired: everyone signs in again.
    assert client.get(f"{API}/me", headers=city).status_code == 401
    admin, me, city = bearer(client, "admin"), bearer(client, "grad01"), bearer(client, "city")
    case = ok(client.post(f"{url}/actions/conclude_notice", json={}, headers=city))
    assert case["state"] == "approved"

    # Finance pays.
    fin = bearer(client, "fin")
    case = ok(
        client.post(
            f"{url}/actions/disburse", json={"payment_reference": "PAY-2021-001"}, headers=fin
        )
    )
    assert case["state"] == "disbursed"
    assert case["payment_reference"] == "PAY-2021-001"
    assert case["allowed_actions"] == []
    assert [h["action"] for h in case["history"] if h["action"]] == [
        "submit",
        "accept",
        "county_approve",
        "city_approve",
        "publish",
        "conclude_notice",
        "disburse",
    ]
    steps = [h for h in case["history"] if h["action"]]
    assert steps[0]["from"] == "draft"
    assert steps[0]["to"] == "submitted"
    assert steps[-1]["by"] == "fin"
    assert "insured_employee_list" not in {h["note"] for h in case["history"]}

    batch = ok(client.get(f"{API}/batches/{batch['id']}", headers=admin))
    assert (batch["reserved"], batch["consumed"]) == ("0.00", "4000.00")

    audit = ok(client.get(f"{url}/audit", headers=admin))
    events = audit["items"]
    assert all(len(e["hash"]) == 64 for e in events)
    assert all(len(e["prev_hash"]) == 64 for e in events)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert "case.upload" in {e["kind"] for e in events}

    verify = ok(client.get(f"{API}/audit/verify", headers=admin))
    assert verify["ok"] is True
    assert verify["first_bad"] is None
    assert verify["events"] >= len(events)

    # The applicant still sees their case, now paid.
    mine = ok(client.get(f"{API}/applications", headers=me))
    assert [(c["id"], c["state"]) for c in mine["items"]] == [(case_id, "disbursed")]
    seen_by_applicant = ok(client.get(url, headers=me))["history"]
    assert {h["by"] for h in seen_by_applicant} == {None}  # staff names are not shown
    assert ok(client.get(f"{API}/me", headers=me))["username"] == "grad01"
