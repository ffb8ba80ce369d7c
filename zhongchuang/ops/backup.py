"""Backups: one ``.tar.gz`` bundle holding the database and the uploads directory.

A bundle contains ``manifest.json`` (database kind, Alembic revision, creation time, the
SHA-256 and size of every part, row counts), the database (``database.pgdump`` made by
``pg_dump -Fc``, or ``database.sqlite3`` made with SQLite's online backup API) and
``uploads.tar`` (the attachment files). The database is dumped before the files are
archived, so every attachment row in the dump has its file in the bundle.

Restoring checks the bundle whole before touching anything: its parts' checksums, the
database kind, and that its revision is the one this code's migrations end at. The
database is then replaced in one transaction (``pg_restore --single-transaction``) and the
uploads directory is swapped in by renaming, so a failed restore leaves the old data.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app

from zhongchuang.extensions import MIGRATIONS_DIR, db
from zhongchuang.models import Application, Attachment, AuditEvent, User
from zhongchuang.runtime import now
from zhongchuang.uow import unit_of_work

FORMAT = "zhongchuang-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_PARTS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
UPLOADS_PART = "uploads.tar"
#: Every name a bundle may contain; anything else is refused.
ALLOWED = {MANIFEST, UPLOADS_PART, *DB_PARTS.values()}


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class Bundle:
    path: Path
    manifest: dict[str, Any]
    directory: Path  # where the verified parts were unpacked

    def part(self, name: str) -> Path:
        return self.directory / name


# --- facts about the running system ----------------------------------------------------


def database_kind() -> str:
    name = db.engine.dialect.name
    if name not in DB_PARTS:
        raise BackupError(f"不支持的数据库 / unsupported database: {name}")
    return name


@functools.cache
def code_revision() -> str:
    """The revision this code's migrations end at (what ``flask db upgrade`` reaches);
    read once per process (the code does not change under it)."""

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    return ",".join(sorted(ScriptDirectory.from_config(cfg).get_heads()))


def database_revision() -> str | None:
    """The revision the database is at (through the session: on SQLite a second connection
    would wait for the session's write lock). Ends the session's transaction: the read is
    its own unit of work, which ends it (and rolls it back when the read fails)."""
    try:
        with unit_of_work():
            rows = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            return ",".join(sorted(rows)) or None
    except sa.exc.ProgrammingError:
        return None
    except sa.exc.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise


def _counts() -> dict[str, int]:

    out = {}
    with unit_of_work():  # its own transaction, ended before dumping
        for name, model in (
            ("users", User),
            ("applications", Application),
            ("attachments", Attachment),
            ("audit_events", AuditEvent),
        ):
            out[name] = db.session.execute(
                sa.select(sa.func.count()).select_from(model)
            ).scalar_one()
    return out


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


# --- backup ----------------------------------------------------------------------------


def create_backup(output: str | Path | None = None) -> Bundle:
    """Write a bundle; ``output`` is a file name or a directory (default instance/backups)."""
    kind = database_kind()
    revision = database_revision()
    if revision is None:
        raise BackupError("数据库尚未迁移 / the database has no schema: run `flask db upgrade`")
    created = now()
    name = f"zhongchuang-{created.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
    target = Path(output) if output else Path(current_app.instance_path) / "backups"
    if target.is_dir() or not target.suffix:
        target = target / name
    target.parent.mkdir(parents=True, exist_ok=True)
    counts = _counts()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as tmp:
        work = Path(tmp)
        db_part = work / DB_PARTS[kind]
        if kind == "postgresql":
            _pg_dump(db_part)
        else:
            _sqlite_copy(_sqlite_path(), db_part)
        files = _tar_uploads(work / UPLOADS_PART)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "db_kind": kind,
            "alembic_revision": revision,
            "created_at": created.isoformat(),
            "counts": {**counts, "upload_files": files},
            "parts": {
                p.name: {"sha256": _sha256(p), "size": p.stat().st_size}
                for p in (db_part, work / UPLOADS_PART)
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for part in (MANIFEST, DB_PARTS[kind], UPLOADS_PART):
                tar.add(work / part, arcname=part)
        partial.chmod(0o600)  # personal data: readable by the operator only
        partial.replace(target)
    return Bundle(path=target, manifest=manifest, directory=target.parent)


def _tar_uploads(dest: Path) -> int:
    root = _upload_dir()
    count = 0
    with tarfile.open(dest, "w") as tar:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
                    count += 1
    return count


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- PostgreSQL ------------------------------------------------------------------------


def _pg_target() -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (which goes in PGPASSWORD)."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 {name} / {name} not found: install the PostgreSQL client "
            "(postgresql-client) of the server's major version"
        )
    return found


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise BackupError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _pg_dump(dest: Path) -> None:
    conn, env = _pg_target()
    _run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={dest}", f"--dbname={conn}"],
        env,
        "pg_dump",
    )


def _pg_restore(source: Path) -> None:
    conn, env = _pg_target()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conn}",
            str(source),
        ],
        env,
        "pg_restore",
    )


# --- SQLite ----------------------------------------------------------------------------


def _sqlite_path() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError("内存数据库无法备份 / an in-memory SQLite database cannot be backed up")
    return Path(name)


def _sqlite_copy(source: Path, dest: Path) -> None:
    """SQLite's online backup API: a consistent copy even while the app writes."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


# --- restore ---------------------------------------------------------------------------


@contextlib.contextmanager
def open_bundle(path: str | Path) -> Iterator[Bundle]:
    """Unpack and verify a bundle (format, names, checksums); nothing else is touched."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件 / no such bundle: {path}")
    with tempfile.TemporaryDirectory(prefix="zc-restore-") as tmp:
        work = Path(tmp)
        try:
            with tarfile.open(path, "r:gz") as tar:
                members = tar.getmembers()
                bad = [m.name for m in members if m.name not in ALLOWED or not m.isfile()]
                if bad:
                    raise BackupError(f"备份包含意外的内容 / unexpected entries: {bad}")
                tar.extractall(work, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"不是有效的备份文件 / not a readable bundle: {exc}") from exc
        try:
            manifest = json.loads((work / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise BackupError("备份缺少清单 / the bundle has no readable manifest") from exc
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError("不是本系统的备份 / not a Zhongchuang backup bundle")
        kind = manifest.get("db_kind")
        expected = {DB_PARTS.get(kind, "?"), UPLOADS_PART}
        if set(manifest.get("parts", {})) != expected:
            raise BackupError("备份清单不完整 / the manifest does not list the expected parts")
        for name, info in manifest["parts"].items():
            part = work / name
            if not part.is_file() or _sha256(part) != info.get("sha256"):
                raise BackupError(f"备份已损坏 / checksum mismatch in {name}: bundle is damaged")
        yield Bundle(path=path, manifest=manifest, directory=work)


def check_compatible(bundle: Bundle) -> None:
    """Refuse a bundle that this installation cannot take as it is."""
    m = bundle.manifest
    kind = database_kind()
    if m["db_kind"] != kind:
        raise BackupError(
            f"备份来自 {m['db_kind']} 数据库，当前是 {kind} / the bundle holds a {m['db_kind']} "
            f"database but DATABASE_URL points at {kind}"
        )
    expected = code_revision()
    if m["alembic_revision"] != expected:
        raise BackupError(
            f"数据库版本不符 / schema revision mismatch: bundle {m['alembic_revision']}, "
            f"this release expects {expected}. Restore with the release that made the backup, "
            "then upgrade with `flask db upgrade`."
        )


def restore_bundle(bundle: Bundle) -> None:
    """Replace the database and the uploads directory with the bundle's (verified) copy.

    Stop the app servers and workers first: open connections block PostgreSQL's DROPs and
    would see a half-swapped uploads directory.
    """
    check_compatible(bundle)
    kind = bundle.manifest["db_kind"]
    db.session.remove()
    db.engine.dispose()
    if kind == "postgresql":
        _pg_restore(bundle.part(DB_PARTS[kind]))
    else:
        target = _sqlite_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(bundle.part(DB_PARTS[kind]), target)
    db.engine.dispose()
    _swap_uploads(bundle.part(UPLOADS_PART))
    restored = database_revision()
    if restored != bundle.manifest["alembic_revision"]:
        raise BackupError(f"恢复后版本不符 / after restore the database is at {restored}")


def _swap_uploads(archive: Path) -> None:
    root = _upload_dir()
    root.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.restore-"))
    if root.is_dir():
        fresh.chmod(root.stat().st_mode & 0o7777)
    with tarfile.open(archive, "r") as tar:
        tar.extractall(fresh, filter="data")
    old = None
    if root.exists():
        old = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.old-"))
        old.rmdir()
        root.rename(old)
    fresh.rename(root)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
