"""Hostile input on every form and every JSON endpoint, and hostile files.

Every form the site renders (found by fetching every page of the access matrix as every
actor who may see it, and reading its ``<form>`` elements) and every JSON body the API
documents (read from the served OpenAPI document) is sent scripts, attribute breakers,
SQL, control characters and NUL bytes, very long Unicode, and values of the wrong type.
The answer is never a 5xx; a refusal is a 4xx with a Chinese message and stores nothing;
whatever is shown back is escaped. Files: traversal in names, contents that contradict
their names, ZIP bombs, files above the upload limit.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import MINIMAL_PDF, office_file
from tests.integration.security_support import (
    World,
    build_world,
    caller,
    snapshot,
    upload_file_count,
)
from tests.integration.test_security_access import EXPECT, _parse, _path
from zhongchuang.extensions import db
from zhongchuang.models import Attachment, RosterRow

XSS = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
SQL = "' OR 1=1 --"
#: One hostile value per request, in every field at once.
PAYLOADS = {
    "script": f"{XSS}{SQL}",
    "attribute": ATTR,
    "nul": "a\x00b",
    "control": "\x01\x08\x1b[31m\u202e\u200b\r\n\t末尾",
    "long": "𠀀" * 2000 + "长" * 4000 + "A" * 14000,
    "wrong type": "NaN",
    "huge number": "9" * 40,
}
UNESCAPED = (XSS, "<img src=x onerror", "<script>")
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- reading forms off the pages --------------------------------------------------------------


class Forms(HTMLParser):
    """The ``<form>`` elements of a page: action, method, and their named fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "enctype": a.get("enctype", ""),
                "fields": {},
                "hidden": {},
                "files": [],
            }
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "hidden":
                self._form["hidden"][a["name"]] = a.get("value", "")
            elif kind == "file":
                self._form["files"].append(a["name"])
            elif kind not in ("submit", "button", "reset", "image"):
                self._form["fields"][a["name"]] = kind
        elif tag in ("textarea", "select"):
            self._form["fields"][a["name"]] = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def forms_of(html: str) -> list[dict[str, Any]]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def world(app, factory) -> World:
    return build_world(factory)


def _callers(app: Any, world: World) -> dict[int | None, Any]:
    out: dict[int | None, Any] = {None: caller(app, None)}
    for user in world.users.values():
        out[user.id] = caller(app, user)
    return out


def every_form(app: Any, world: World, callers: dict) -> list[tuple[Any, str, dict]]:
    """(caller, page, form) for every distinct form any actor is shown."""
    found: dict[tuple, tuple[Any, str, dict]] = {}
    for method, rule, case, codes, opts in EXPECT:
        if method != "GET" or rule.startswith(("/api/", "/static", "/lang", "/healthz", "/readyz")):
            continue
        for actor, status in _parse(codes).items():
            if status != 200:
                continue
            user = world.user(actor, case if case != "-" else "M")
            c = callers[user.id if user else None]
            page = _path(world, rule, case, opts, None)
            db.session.rollback()  # requests share the test's session: hold no lock
            resp = c.client.get(page)
            if resp.mimetype != "text/html":
                resp.close()
                continue
            for form in forms_of(resp.get_data(as_text=True)):
                if not form["fields"] and set(form["hidden"]) <= {"csrf_token"}:
                    continue  # a button: nothing a user types
                action = form["action"] or page
                key = (action.split("?")[0], form["method"], tuple(sorted(form["fields"])))
                found.setdefault(key, (c, page, form))
    return list(found.values())


def _hostile(form: dict, value: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, current in form["hidden"].items():
        data[name] = current if name == "csrf_token" else value
    for name in form["fields"]:
        data[name] = value
    return data


def _assert_escaped(text: str, where: str) -> None:
    for raw in UNESCAPED:
        assert raw not in text, f"{where}: {raw!r} shown unescaped"


def test_every_form_refuses_or_escapes_hostile_text(app, world):
    callers = _callers(app, world)
    forms = every_form(app, world, callers)
    actions = {(f["action"] or page).split("?")[0] for _c, page, f in forms}
    # The forms this test must at least have found (a broken parser finds none).
    for must in ("/login", "/register/person", "/account", "/review", "/admin/users/new"):
        assert must in actions, (must, sorted(actions))
    assert len(forms) >= 25, sorted(actions)
    problems: list[str] = []
    for c, page, form in forms:
        for label, value in PAYLOADS.items():
            data = _hostile(form, value)
            action = form["action"] or page
            db.session.rollback()
            before = snapshot()
            if form["method"] == "get":
                resp = c.client.get(action.split("?")[0], query_string=data)
            else:
                resp = c.client.post(action, data=data)
            text = resp.get_data().decode("utf-8", "replace")
            resp.close()
            db.session.rollback()
            where = f"{form['method'].upper()} {action} ({label})"
            if resp.status_code >= 500:
                problems.append(f"{where}: {resp.status_code}")
                continue
            try:
                _assert_escaped(text, where)
            except AssertionError as exc:
                problems.append(str(exc))
            if 400 <= resp.status_code < 500:
                if not CJK.search(text):
                    problems.append(f"{where}: {resp.status_code} without a Chinese message")
                if snapshot() != before:
                    problems.append(f"{where}: refused with {resp.status_code} but stored")
            elif resp.status_code in (302, 303) and resp.location:
                shown = c.client.get(resp.location)
                _assert_escaped(shown.get_data().decode("utf-8", "replace"), where + " → page")
                shown.close()
    assert not problems, "\n".join(problems)


def test_text_stored_from_a_form_comes_back_escaped(app, world, post_form, login):
    """A hostile value that is accepted (an address) is shown back as text, not markup."""
    from zhongchuang.models import Person

    user = world.users["person_b"]
    client = app.test_client()
    login(client, user)
    resp = post_form(
        client, "/account", {"email": "b@example.test", "phone": "13800000000", "address": ATTR}
    )
    assert resp.status_code in (200, 302), resp.get_data(as_text=True)[:300]
    db.session.rollback()
    person = db.session.get(Person, user.person_id)
    assert person.address == ATTR
    html = client.get("/account").get_data(as_text=True)
    _assert_escaped(html, "/account")
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html or "&quot;&gt;&lt;img" in html


# --- the JSON API: every documented body ---------------------------------------------------

#: Who calls each operation (the role that reaches its checks), by path prefix and method.
API_CALLER = {
    "POST /api/v1/applications": "person_b",
    "POST /api/v1/eligibility-check": "ent_e",
    "PATCH /api/v1/applications/{case_id}": "ent_e",
    "POST /api/v1/applications/{case_id}/actions/{action}": "county",
    "POST /api/v1/applications/{case_id}/experts": "city",
    "POST /api/v1/notices": "city",
    "POST /api/v1/batches": "admin",
    "PUT /api/v1/batches/{batch_id}": "admin",
    "POST /api/v1/users": "admin",
    "PATCH /api/v1/users/{user_id}": "admin",
    "POST /api/v1/applications/{case_id}/documents/{document_id}/reissue": "city",
}


def _value(schema: dict, spec: dict, hostile: str) -> Any:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {"x": {"type": "string"}}
        return {k: _value(v, spec, hostile) for k, v in props.items()}
    if kind == "array":
        return [_value(schema.get("items", {"type": "string"}), spec, hostile)] * 3
    return hostile  # strings, and the wrong type for numbers, booleans, dates


def _json_operations(spec: dict) -> list[tuple[str, str, dict]]:
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if body:
                out.append((method.upper(), path, body["schema"]))
    return out


def test_every_json_body_is_refused_clearly_or_handled(app, world):
    callers = _callers(app, world)
    anon = callers[None]
    spec = anon.client.get("/api/v1/openapi.json").get_json()
    operations = _json_operations(spec)
    assert len(operations) >= 12, operations
    case_r, case_p = world.cases["R"].id, world.cases["P"].id
    values = {
        "case_id": case_r,
        "action": "accept",
        "batch_id": world.ids["batch_id"],
        "user_id": world.ids["user_id"],
        "notice_id": world.ids["notice_id"],
        "document_id": world.ids["document_id"],
        "code": "employment_driving_grant",
    }
    problems: list[str] = []
    extra_bodies = {
        "nested": "[" * 50_000 + "]" * 50_000,
        "not json": "{'data': ",
        "array": "[1, 2, 3]",
        "huge int": '{"version": ' + "9" * 5000 + "}",
    }
    for method, path, schema in operations:
        who = API_CALLER.get(f"{method} {path}")
        c = callers[world.users[who].id] if who else anon
        url = re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)
        if "{case_id}/actions" in path:
            url = url.replace(str(case_r), str(case_p))
        bodies: dict[str, Any] = {
            label: {"json": _value(schema, spec, v)} for label, v in PAYLOADS.items()
        }
        bodies.update(
            {k: {"data": v, "content_type": "application/json"} for k, v in extra_bodies.items()}
        )
        for label, body in bodies.items():
            db.session.rollback()
            before = snapshot()
            resp = c.client.open(url, method=method, headers=c.headers, **body)
            db.session.rollback()
            where = f"{method} {path} ({label})"
            if resp.status_code >= 500:
                problems.append(f"{where}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
                continue
            if resp.mimetype == "text/html":
                problems.append(f"{where}: answered with HTML")
            if 400 <= resp.status_code < 500:
                answer = resp.get_json(silent=True)
                detail = answer.get("detail", "") if isinstance(answer, dict) else str(answer)
                if resp.mimetype != "application/problem+json" or not CJK.search(detail):
                    problems.append(f"{where}: {resp.status_code} {resp.mimetype} {detail!r}")
                if snapshot() != before:
                    problems.append(f"{where}: refused with {resp.status_code} but stored")
    assert not problems, "\n".join(problems)


# --- files ---------------------------------------------------------------------------------------


@functools.cache
def _zip_bomb() -> bytes:
    """A valid-looking XLSX whose one sheet unpacks to 60 MB of zeros (ratio ≈ 1000)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        zf.writestr("xl/workbook.xml", "<x/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b"\0" * (1024 * 1024)
            for _ in range(60):
                fh.write(block)
    return buf.getvalue()


@functools.cache
def _many_entries(n: int = 3000) -> bytes:
    return office_file("xlsx", {f"xl/media/{i}.xml": b"<x/>" for i in range(n)})


HOSTILE_FILES: dict[str, Any] = {
    "html named .pdf": ("申报书.pdf", b"<!doctype html><script>alert(1)</script>"),
    "exe named .png": ("photo.png", b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program"),
    "svg with script named .png": (
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "zip bomb named .xlsx": ("名单.xlsx", _zip_bomb),
    "zip with 3000 entries": ("名单.xlsx", _many_entries),
    "docm (macros) named .docx": (
        "a.docx",
        office_file("docx", {"word/vbaProject.bin": b"\x00" * 64}),
    ),
    "truncated pdf header": ("a.pdf", b"%PD"),
}


def _counts() -> tuple[int, int]:
    db.session.rollback()
    n_att = db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one()
    n_rows = db.session.execute(sa.select(sa.func.count()).select_from(RosterRow)).scalar_one()
    db.session.rollback()
    return n_att, n_rows


@pytest.fixture
def draft(app, factory):
    """A draft that takes attachments (person B's) and a roster draft (enterprise E's)."""
    from datetime import date
    from decimal import Decimal

    from tests.integration.roster_support import make_world
    from zhongchuang.cases import engine as cases
    from zhongchuang.catalogue import batches
    from zhongchuang.policy.identity import make_credit_code

    admin = factory.staff("admin", username="sec_admin")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    person = factory.person(name="陈小红", username="sec_person_b")
    case = cases.create_draft(
        person,
        "employment_driving_grant",
        {
            "business_credit_code": make_credit_code("330411", "MB0000902"),
            "year": 2020,
            "employees_insured": 5,
        },
    )
    rw = make_world(factory)
    return {"case": case.id, "person": person, "roster": rw.draft().id, "ent": rw.enterprise}


@pytest.mark.parametrize("label", sorted(HOSTILE_FILES))
def test_files_are_judged_by_their_content_and_refusals_store_nothing(app, draft, label):
    name, content = HOSTILE_FILES[label]
    content = content() if callable(content) else content
    c = caller(app, draft["person"])
    before, files = _counts(), upload_file_count(app)
    resp = c.client.post(
        f"/api/v1/applications/{draft['case']}/attachments",
        headers=c.headers,
        data={"kind": "business_license", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    body = resp.get_json()
    assert resp.status_code == 415, body
    assert resp.mimetype == "application/problem+json"
    assert "不支持该文件" in body["detail"]
    assert _counts() == before
    assert upload_file_count(app) == files
    # The same file through the page: a Chinese message on the re-rendered case page.
    resp = c.client.post(
        f"/applications/{draft['case']}/attachments",
        data={
            "csrf_token": c.csrf,
            "kind": "business_license",
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 415
    assert "不支持该文件" in resp.get_data(as_text=True)
    assert _counts() == before
    assert upload_file_count(app) == files


@pytest.mark.parametrize("label", ["zip bomb named .xlsx", "zip with 3000 entries"])
def test_zip_bombs_are_refused_as_rosters_too(app, draft, label):
    name, content = HOSTILE_FILES[label]
    content = content() if callable(content) else content
    owner = draft["ent"]
    c = caller(app, owner)
    before, files = _counts(), upload_file_count(app)
    resp = c.client.post(
        f"/api/v1/applications/{draft['roster']}/roster",
        headers=c.headers,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 415, resp.get_json()
    assert CJK.search(resp.get_json()["detail"])
    assert _counts() == before
    assert upload_file_count(app) == files


TRAVERSAL_NAMES = [
    "../../etc/passwd",
    "..\\..\\x.pdf",
    "/etc/passwd",
    "C:\\Windows\\system32\\x.pdf",
    "a\x00.pdf",
    "..",
    "x.pdf\x00.exe",
    "<script>alert(1)</script>.pdf",
    "\u202egpj.exe",
]


def test_traversal_in_file_names_never_leaves_the_upload_directory(app, draft, tmp_path):
    c = caller(app, draft["person"])
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    outside_before = {p for p in upload_dir.parent.rglob("*") if upload_dir not in p.parents}
    for name in TRAVERSAL_NAMES:
        resp = c.client.post(
            f"/api/v1/applications/{draft['case']}/attachments",
            headers=c.headers,
            data={"kind": "business_license", "file": (io.BytesIO(MINIMAL_PDF), name)},
            content_type="multipart/form-data",
        )
        assert resp.status_code in (201, 422), (name, resp.get_json())
        if resp.status_code != 201:
            assert CJK.search(resp.get_json()["detail"])
            continue
        shown = resp.get_json()["filename"]
        assert not any(ch in shown for ch in "/\\\x00\u202e"), (name, shown)
        assert not shown.startswith(".."), (name, shown)
        assert shown.endswith(".pdf"), (name, shown)  # named by its content
        att = db.session.get(Attachment, resp.get_json()["id"])
        assert re.fullmatch(r"[0-9a-f]{40}", att.storage_name)
        assert (upload_dir / att.storage_name).is_file()
        download = c.client.get(resp.get_json()["url"], headers=c.headers)
        disposition = download.headers["Content-Disposition"]
        download.close()
        assert disposition.startswith("attachment")
        assert "/" not in disposition.split("filename*=")[0]
        assert not re.search(r"[\r\n\x00]", disposition)
    outside_after = {p for p in upload_dir.parent.rglob("*") if upload_dir not in p.parents}
    assert outside_after == outside_before
    page = c.client.get(f"/applications/{draft['case']}").get_data(as_text=True)
    _assert_escaped(page, "case page")


def test_uploads_above_the_limit_are_413_in_chinese_and_store_nothing(app, draft, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 64 * 1024)
    c = caller(app, draft["person"])
    owner = caller(app, draft["ent"])
    before, files = _counts(), upload_file_count(app)
    big_pdf = MINIMAL_PDF + b"%" * (100 * 1024)
    header = (
        "姓名,公民身份号码,毕业院校,毕业时间,劳动合同起始,劳动合同终止,缴费月份,养老,医疗,失业\n"
    )
    big_csv = (
        header + "张三,330402199805010014,嘉兴学院,2020-06-30,2020-07-01,2023-06-30,"
        "2020-07,320.00,160.00,10.00\n" * 2000
    ).encode()
    assert len(big_csv) > 64 * 1024
    attempts = [
        (
            c,
            f"/api/v1/applications/{draft['case']}/attachments",
            {"kind": "business_license", "file": (io.BytesIO(big_pdf), "big.pdf")},
        ),
        (
            owner,
            f"/api/v1/applications/{draft['roster']}/roster",
            {"file": (io.BytesIO(big_csv), "花名册.csv")},
        ),
    ]
    for who, url, data in attempts:
        resp = who.client.post(
            url, headers=who.headers, data=data, content_type="multipart/form-data"
        )
        assert resp.status_code == 413, resp.get_json()
        assert resp.get_json()["code"] == "upload_too_large"
        assert "大小限制" in resp.get_json()["detail"]
    page = owner.client.post(
        f"/applications/{draft['roster']}/roster",
        data={"csrf_token": owner.csrf, "file": (io.BytesIO(big_csv), "花名册.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 413
    assert "大小限制" in page.get_data(as_text=True)
    assert _counts() == before
    assert upload_file_count(app) == files


def test_a_request_body_above_the_server_limit_is_413_in_chinese(app, draft, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 128 * 1024)
    c = caller(app, draft["person"])
    before, files = _counts(), upload_file_count(app)
    for url, headers, extra in (
        (f"/api/v1/applications/{draft['case']}/attachments", c.headers, {}),
        (f"/applications/{draft['case']}/attachments", {}, {"csrf_token": c.csrf}),
    ):
        resp = c.client.post(
            url,
            headers=headers,
            data={
                **extra,
                "kind": "business_license",
                "file": (io.BytesIO(MINIMAL_PDF + b"%" * 200_000), "big.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert resp.status_code == 413
        assert "超过大小限制" in resp.get_data(as_text=True)
    assert _counts() == before
    assert upload_file_count(app) == files
