"""Faults: a worker killed in the middle of an action, the database gone, the disk full
during an upload, two people editing the same case. Each time: all or nothing, a clear
message, and the audit chain still verifies."""

from __future__ import annotations

import errno
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, build_app
from tests.helpers import MINIMAL_PDF, attach_for_submit, attach_required
from tests.integration.security_support import caller, upload_file_count
from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import Application, Attachment, AuditEvent, RosterRow, User
from zhongchuang.policy.identity import make_credit_code


@pytest.fixture
def grant(app, factory):
    """Person B's employment-driving grant, submitted in district 330411, and its reviewer."""
    admin = factory.staff("admin", username="f_admin")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    person = factory.person(name="陈小红", username="f_person")
    county = factory.staff("county_reviewer", district="330411", username="f_county")
    case = cases.create_draft(
        person,
        "employment_driving_grant",
        {
            "business_credit_code": make_credit_code("330411", "MB0000777"),
            "year": 2020,
            "employees_insured": 5,
        },
    )
    return {"person": person, "county": county, "case": case.id, "admin": admin}


def _state(case_id: int) -> tuple[str, int, int]:
    db.session.rollback()
    case = db.session.get(Application, case_id)
    events = db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.application_id == case_id)
    ).scalar_one()
    db.session.rollback()
    return case.state, case.version, events


# --- a worker killed mid-action ----------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.conftest import build_app
    url, tmp, case_id, user_id, where = sys.argv[1:6]
    app = build_app(url, Path(tmp), ZC_TODAY="2021-03-15")
    with app.app_context():
        from zhongchuang.extensions import db
        from zhongchuang.models import User
        from zhongchuang.audit import chain as audit
        from zhongchuang.cases import engine as cases

        real = audit.record

        def record(*args, **kwargs):
            if where == "before_audit":
                db.session.flush()  # the state change is in the database, uncommitted
                print("READY", flush=True)
                time.sleep(120)
            event = real(*args, **kwargs)
            db.session.flush()  # the audit event too
            print("READY", flush=True)
            time.sleep(120)
            return event

        audit.record = record
        cases.act(db.session.get(User, int(user_id)), int(case_id), "accept")
        print("COMMITTED", flush=True)
    """
)


@pytest.mark.parametrize("where", ["before_audit", "after_audit"])
def test_a_worker_killed_between_the_state_change_and_the_commit(
    app, grant, backend, tmp_path, where
):
    if backend != "postgresql":
        pytest.skip("a second process on the same database: PostgreSQL")
    attach_required(db.session.get(Application, grant["case"]), grant["person"])
    attach_for_submit(grant["case"], grant["person"])
    cases.act(grant["person"], grant["case"], "submit")
    before = _state(grant["case"])
    assert before[0] == "submitted"
    county_id = grant["county"].id
    db.session.remove()  # the child must be able to lock the row
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            app.config["SQLALCHEMY_DATABASE_URI"],
            str(tmp_path),
            str(grant["case"]),
            str(county_id),
            where,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "READY", (line, child.stderr.read() if child.poll() else "")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    # Both absent: the state did not move and no event was written.
    assert _state(grant["case"]) == before
    accepted = db.session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.application_id == grant["case"], AuditEvent.action == "accept"
        )
    ).first()
    assert accepted is None
    result = audit.verify()
    assert result.ok, result.message
    # Nothing is left locked: the reviewer simply does it again.
    case = cases.act(db.session.get(User, county_id), grant["case"], "accept")
    assert case.state == "accepted"
    assert audit.verify().ok


# --- the database unavailable -------------------------------------------------------------------


@pytest.fixture
def dead_db_app(tmp_path):
    """An app whose database is a closed port."""
    app = build_app("postgresql+psycopg://postgres@127.0.0.1:1/zc", tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_database_unavailable_is_a_503_page_and_problem_json(dead_db_app):
    client = dead_db_app.test_client()
    page = client.get("/programs/employment_driving_grant")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "数据库暂不可用" in html
    assert "未被保存" in html
    assert "psycopg" not in html
    assert "127.0.0.1" not in html
    api = client.post("/api/v1/tokens", json={"username": "a", "password": "b"})
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    body = api.get_json()
    assert body["code"] == "service_unavailable"
    assert "数据库" in body["detail"]
    assert "127.0.0.1" not in api.get_data(as_text=True)
    assert client.get("/readyz").status_code == 503


# --- the disk full during an upload ---------------------------------------------------------


class _FullDisk:
    """A file that takes one chunk, then the disk is full (ENOSPC)."""

    def __init__(self, fh) -> None:
        self._fh = fh
        self._writes = 0

    def write(self, data: bytes) -> int:
        self._writes += 1
        if self._writes > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._fh.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()


@pytest.fixture
def full_disk(app, monkeypatch):
    """``os.fdopen`` for the upload code's files: the disk fills after the first chunk."""
    from zhongchuang.cases import attachments

    real = os.fdopen
    upload_dir = str(Path(app.config["UPLOAD_DIR"]).resolve())
    hits = []

    def fdopen(fd, mode="r", *args, **kwargs):
        fh = real(fd, mode, *args, **kwargs)
        target = os.readlink(f"/proc/self/fd/{fd}")
        if "w" in mode and (target.startswith(upload_dir) or "zc-roster-" in target):
            hits.append(target)
            return _FullDisk(fh)
        return fh

    monkeypatch.setattr(attachments.os, "fdopen", fdopen)
    return hits


def _upload_counts() -> tuple[int, int]:
    db.session.rollback()
    n = db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one()
    r = db.session.execute(sa.select(sa.func.count()).select_from(RosterRow)).scalar_one()
    db.session.rollback()
    return n, r


def test_a_full_disk_during_an_upload_is_507_and_leaves_nothing(app, grant, full_disk):
    c = caller(app, grant["person"])
    before, files, state = _upload_counts(), upload_file_count(app), _state(grant["case"])
    big = MINIMAL_PDF + b"%" * (300 * 1024)  # several chunks
    resp = c.client.post(
        f"/api/v1/applications/{grant['case']}/attachments",
        headers=c.headers,
        data={"kind": "business_license", "file": (io.BytesIO(big), "营业执照.pdf")},
        content_type="multipart/form-data",
    )
    assert full_disk, "the upload never wrote"
    assert resp.status_code == 507, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "insufficient_storage"
    assert "存储空间" in resp.get_json()["detail"]
    page = c.client.post(
        f"/applications/{grant['case']}/attachments",
        data={
            "csrf_token": c.csrf,
            "kind": "business_license",
            "file": (io.BytesIO(big), "营业执照.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 507
    assert "存储空间" in page.get_data(as_text=True)
    assert _upload_counts() == before
    assert upload_file_count(app) == files  # no partial file, no .part left behind
    assert _state(grant["case"]) == state
    assert audit.verify().ok


def test_a_full_disk_during_a_roster_upload_is_507_and_leaves_nothing(app, factory, full_disk):
    from tests.integration.roster_support import csv_bytes, graduate_id, make_world, person_rows

    rw = make_world(factory)
    case = rw.draft()
    c = caller(app, rw.enterprise)
    before = _upload_counts()
    rows = person_rows(graduate_id(1), ["2020-07", "2020-08"]) * 400
    resp = c.client.post(
        f"/api/v1/applications/{case.id}/roster",
        headers=c.headers,
        data={"file": (io.BytesIO(csv_bytes(rows)), "花名册.csv")},
        content_type="multipart/form-data",
    )
    assert full_disk
    assert resp.status_code == 507, resp.get_data(as_text=True)
    assert "存储空间" in resp.get_json()["detail"]
    assert _upload_counts() == before


# --- two people editing at once ------------------------------------------------------------------


def test_two_patches_with_the_same_version_one_is_a_409_not_an_overwrite(app, grant):
    c = caller(app, grant["person"])
    url = f"/api/v1/applications/{grant['case']}"
    version = c.client.get(url, headers=c.headers).get_json()["version"]
    first = c.client.patch(
        url, headers=c.headers, json={"data": {"employees_insured": 7}, "version": version}
    )
    second = c.client.patch(
        url, headers=c.headers, json={"data": {"employees_insured": 9}, "version": version}
    )
    assert first.status_code == 200, first.get_json()
    assert second.status_code == 409, second.get_json()
    assert second.get_json()["code"] == "version_conflict"
    assert "刷新" in second.get_json()["detail"]
    assert c.client.get(url, headers=c.headers).get_json()["data"]["employees_insured"] == 7


def test_two_browsers_saving_the_same_form_one_is_told_of_the_conflict(app, grant):
    from tests.conftest import csrf_from

    c = caller(app, grant["person"])
    url = f"/applications/{grant['case']}/edit"
    html = c.client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert version, "the edit form carries the version it was loaded at"
    token = csrf_from(html)
    form = {
        "csrf_token": token,
        "version": version.group(1),
        "business_credit_code": make_credit_code("330411", "MB0000777"),
        "year": "2020",
    }
    first = c.client.post(url, data={**form, "employees_insured": "6"})
    second = c.client.post(url, data={**form, "employees_insured": "8"})
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    assert second.status_code == 409
    assert "刷新" in second.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Application, grant["case"]).data["employees_insured"] == 6


def test_two_reviewers_acting_on_the_same_version_one_is_a_409(app, grant, factory):
    attach_required(db.session.get(Application, grant["case"]), grant["person"])
    attach_for_submit(grant["case"], grant["person"])
    case = cases.act(grant["person"], grant["case"], "submit")
    other = factory.staff("county_reviewer", district="330411", username="f_county2")
    a, b = caller(app, grant["county"]), caller(app, other)
    url = f"/api/v1/applications/{case.id}/actions/accept"
    first = a.client.post(url, headers=a.headers, json={"version": case.version})
    second = b.client.post(url, headers=b.headers, json={"version": case.version})
    assert first.status_code == 200, first.get_json()
    assert second.status_code == 409
    assert second.get_json()["code"] in ("version_conflict", "invalid_transition")
    accepts = db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.application_id == case.id, AuditEvent.action == "accept")
    ).scalar_one()
    assert accepts == 1
