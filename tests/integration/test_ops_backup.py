"""``flask backup`` / ``flask restore``: cases, attachment files and the audit chain come back
whole, on SQLite and PostgreSQL; a damaged or foreign bundle is refused before anything
changes; restoring asks first."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.clock import SHANGHAI
from zhongchuang.extensions import db
from zhongchuang.models import Application, Attachment, AuditEvent, User
from zhongchuang.ops.backup import MANIFEST, UPLOADS_PART
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.runtime import now

FILE_BYTES = "参保名单\n张三,2020-01\n".encode()


@pytest.fixture
def world(app, factory):
    admin = factory.staff("admin", username="admin")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("10000.00"),
    )
    applicant = factory.person(name="陈小红")
    county = factory.staff("county_reviewer", district="330411", username="xiuzhou")
    city = factory.staff("city_reviewer", username="city")
    data = {
        "business_credit_code": make_credit_code("330411", "MA1000001"),
        "year": 2020,
        "employees_insured": 5,
    }
    case = cases.create_draft(applicant, "employment_driving_grant", data)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    (upload_dir / "ab").mkdir(parents=True, exist_ok=True)
    (upload_dir / "ab" / "ab12cd.bin").write_bytes(FILE_BYTES)
    db.session.add(
        Attachment(
            application_id=case.id,
            kind="insured_employee_list",  # the material the program requires
            filename="参保名单.csv",
            content_type="text/csv",
            size=len(FILE_BYTES),
            sha256=hashlib.sha256(FILE_BYTES).hexdigest(),
            storage_name="ab/ab12cd.bin",
            uploaded_by=applicant.id,
            uploaded_at=now(),
        )
    )
    db.session.commit()
    cases.act(applicant, case.id, "submit")
    cases.act(county, case.id, "accept")
    case = cases.act(county, case.id, "county_approve")
    yield {"case_id": case.id, "city_id": city.id, "upload_dir": upload_dir}
    for path in sorted(upload_dir.rglob("*"), reverse=True):  # the next test starts empty
        path.unlink() if path.is_file() else path.rmdir()


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)  # sessions are dropped around restores


def _events() -> int:
    return db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()


def _cli(app, *args: str, input: str | None = None):
    db.session.remove()  # the test's own session must not hold locks during a restore
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_backup_and_restore_bring_back_cases_files_and_a_verifying_audit_chain(
    app, world, tmp_path
):
    events = _events()
    result = _cli(app, "backup", "-o", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    bundle = Path(result.output.splitlines()[0])
    assert bundle.is_file()
    assert bundle.stat().st_mode & 0o077 == 0  # personal data: owner-only

    # Life goes on after the backup: another step, a lost file, a stray file.
    cases.act(
        _user(world["city_id"]),
        world["case_id"],
        "city_approve",
        ActionInput(amount=Decimal("4000")),
    )
    (world["upload_dir"] / "ab" / "ab12cd.bin").unlink()
    (world["upload_dir"] / "stray.bin").write_bytes(b"x")
    assert _events() == events + 1

    refused = _cli(app, "restore", str(bundle), input="n\n")
    assert refused.exit_code != 0
    assert "OVERWRITES" in refused.output
    assert db.session.get(Application, world["case_id"]).state == "city_approved"

    result = _cli(app, "restore", str(bundle), "--yes")
    assert result.exit_code == 0, result.output
    assert "audit chain" in result.output
    db.session.remove()
    assert db.session.get(Application, world["case_id"]).state == "county_approved"
    assert _events() == events
    assert audit.verify().ok
    attachment = db.session.execute(sa.select(Attachment)).scalar_one()
    restored = world["upload_dir"] / attachment.storage_name
    assert hashlib.sha256(restored.read_bytes()).hexdigest() == attachment.sha256
    assert not (world["upload_dir"] / "stray.bin").exists()
    # The restored database is a working one: the case moves on.
    case = cases.act(
        _user(world["city_id"]),
        world["case_id"],
        "city_approve",
        ActionInput(amount=Decimal("4000")),
    )
    assert case.state == "city_approved"
    assert audit.verify().ok


def test_the_manifest_describes_the_bundle(app, world, tmp_path, backend):
    from zhongchuang.ops.backup import code_revision, create_backup

    bundle = create_backup(tmp_path)
    with tarfile.open(bundle.path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(MANIFEST))
    assert names[0] == MANIFEST
    assert manifest["db_kind"] == backend
    assert manifest["alembic_revision"] == code_revision()
    assert manifest["counts"]["applications"] == 1
    assert manifest["counts"]["upload_files"] == 1
    assert set(manifest["parts"]) == set(names) - {MANIFEST}
    for info in manifest["parts"].values():
        assert len(info["sha256"]) == 64
    created = datetime.fromisoformat(manifest["created_at"])
    assert created.astimezone(SHANGHAI).date() == date(2021, 3, 15)  # the app's clock


def _rewrite(bundle: Path, dest: Path, change) -> Path:
    """Copy a bundle, passing each member's (name, bytes) through ``change``."""
    with tarfile.open(bundle) as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            name, data = change(member.name, src.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return dest


def test_a_bundle_of_another_schema_revision_is_refused_and_nothing_changes(app, world, tmp_path):
    from zhongchuang.ops.backup import create_backup

    bundle = create_backup(tmp_path).path

    def older(name: str, data: bytes) -> tuple[str, bytes]:
        if name == MANIFEST:
            manifest = json.loads(data)
            manifest["alembic_revision"] = "0123456789ab"
            data = json.dumps(manifest).encode()
        return name, data

    foreign = _rewrite(bundle, tmp_path / "older.tar.gz", older)
    cases.act(
        _user(world["city_id"]),
        world["case_id"],
        "city_approve",
        ActionInput(amount=Decimal("4000")),
    )
    result = _cli(app, "restore", str(foreign), "--yes")
    assert result.exit_code == 1
    assert "revision mismatch" in result.output
    assert "0123456789ab" in result.output
    assert db.session.get(Application, world["case_id"]).state == "city_approved"


def test_a_damaged_bundle_is_refused(app, world, tmp_path):
    from zhongchuang.ops.backup import create_backup

    bundle = create_backup(tmp_path).path

    def damage(name: str, data: bytes) -> tuple[str, bytes]:
        return name, (data[:-1] + b"!" if name == UPLOADS_PART else data)

    damaged = _rewrite(bundle, tmp_path / "damaged.tar.gz", damage)
    result = _cli(app, "restore", str(damaged), "--yes")
    assert result.exit_code == 1
    assert "checksum mismatch" in result.output

    def smuggle(name: str, data: bytes) -> tuple[str, bytes]:
        return ("../../evil" if name == UPLOADS_PART else name), data

    result = _cli(app, "restore", str(_rewrite(bundle, tmp_path / "evil.tar.gz", smuggle)), "--yes")
    assert result.exit_code == 1
    assert "unexpected entries" in result.output
    assert not (tmp_path.parent / "evil").exists()

    result = _cli(app, "restore", str(bundle), "--check")
    assert result.exit_code == 0, result.output
    assert "bundle verified" in result.output
