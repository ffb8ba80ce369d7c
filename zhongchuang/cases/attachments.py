"""Attachments (附件): the program's required kinds, uploads checked by their content, and
downloads for those who may see the case.

A file is judged by its bytes, never by its name: PDF, JPEG, PNG, and the Office Open XML
formats XLSX and DOCX (ZIP archives opened with care: the entry count, the total
uncompressed size and the compression ratio are capped, macros are refused). It is stored
under ``UPLOAD_DIR`` with a random name and its SHA-256; the name the user gave is kept
only for display. Replacing a kind keeps the old row (``current=False``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.cases.eligibility import parameter_table, program_spec
from zhongchuang.cases.visibility import get_visible, is_own
from zhongchuang.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    UnsupportedFileType,
    UploadTooLarge,
    ValidationFailed,
)
from zhongchuang.extensions import db
from zhongchuang.models import Application, Attachment, User
from zhongchuang.policy.catalogue import AttachmentSpec
from zhongchuang.policy.materials import Material, materials_on
from zhongchuang.policy.materials import missing as policy_missing
from zhongchuang.policy.parameters import ParameterTable
from zhongchuang.runtime import now, setting, today
from zhongchuang.uow import operation
from zhongchuang.workflow.machine import EDITABLE_STATES

#: States in which the applicant may add or replace files (草稿、退回补正).
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024

#: ZIP (XLSX/DOCX) limits: a zip bomb is refused before anyone opens it.
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_CONTENT_TYPES_XML = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    key: str
    mimetype: str
    extensions: tuple[str, ...]
    label: str


FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType("pdf", "application/pdf", (".pdf",), "PDF"),
    "jpeg": FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG 图片"),
    "png": FileType("png", "image/png", (".png",), "PNG 图片"),
    "xlsx": FileType(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
        "Excel（XLSX）",
    ),
    "docx": FileType(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
        "Word（DOCX）",
    ),
}
ACCEPT = ",".join(ext for t in FILE_TYPES.values() for ext in t.extensions)
ALLOWED_TEXT = "PDF、JPG、PNG、XLSX、DOCX"


# --- what a program asks for ------------------------------------------------------------


@dataclass
class ChecklistItem:
    """One kind of attachment the program asks for, and the file that answers it."""

    kind: str
    label: str
    required: bool
    help: str | None
    current: Attachment | None = None
    #: ``"catalogue"`` or the ``flag`` parameter that decides ``required``.
    required_by: str = "catalogue"
    #: ``False`` when no published text backs the decision (参数未经确认).
    confirmed: bool = True
    history: list[Attachment] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.current is not None


def _specs(case: Application) -> list[AttachmentSpec]:
    return list(program_spec(case.program).attachments)


def materials_date(case: Application) -> date:
    """The day a case's materials are judged by: today while the applicant may still
    (re)submit it, else its submission date (从旧)."""
    if case.state in EDITABLE_STATES or case.submitted_on is None:
        return today()
    return case.submitted_on


def materials(
    case: Application, on: date | None = None, params: ParameterTable | None = None
) -> list[Material]:
    """The program's materials, each required or optional on ``on`` (default
    :func:`materials_date`) — ``policy.materials``' one answer."""
    table = params if params is not None else parameter_table(case.program)
    return materials_on(_specs(case), table, on or materials_date(case))


def _current_kinds(case: Application) -> set[str]:
    return set(
        db.session.execute(
            sa.select(Attachment.kind).where(
                Attachment.application_id == case.id, Attachment.current.is_(True)
            )
        ).scalars()
    )


def missing(
    case: Application, on: date | None = None, params: ParameterTable | None = None
) -> list[Material]:
    """The materials required on ``on`` that have no current file (提交前必备)."""
    return policy_missing(materials(case, on, params), _current_kinds(case))


def _rows(case: Application) -> list[Attachment]:
    return list(
        db.session.execute(
            sa.select(Attachment)
            .where(Attachment.application_id == case.id)
            .order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())
        ).scalars()
    )


def checklist(
    case: Application, on: date | None = None, params: ParameterTable | None = None
) -> list[ChecklistItem]:
    """The program's kinds in catalogue order, each required or optional on ``on``
    (:func:`materials`), with its current file and older ones."""
    rows = _rows(case)
    items = []
    for m in materials(case, on, params):
        mine = [a for a in rows if a.kind == m.kind]
        items.append(
            ChecklistItem(
                kind=m.kind,
                label=m.label,
                required=m.required,
                help=m.help,
                current=next((a for a in mine if a.current), None),
                history=[a for a in mine if not a.current],
                required_by=m.required_by,
                confirmed=m.confirmed,
            )
        )
    return items


def kind_label(case: Application, kind: str) -> str:
    return next((s.label for s in _specs(case) if s.kind == kind), kind)


# --- who may upload -----------------------------------------------------------------------


def can_upload(user: User, case: Application) -> bool:
    """Only the case's own applicant, only in 草稿 or 退回补正."""
    return user.has_role("applicant") and is_own(user, case) and case.state in EDITABLE_STATES


# --- checking a file by its content -------------------------------------------------------


def sanitise_filename(name: str | None, default: str = "附件") -> str:
    """The name to show: no directories, no control characters, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:120]
    return name or default


def _with_extension(name: str, ftype: FileType) -> str:
    stem, dot, ext = name.rpartition(".")
    if dot and f".{ext.lower()}" in ftype.extensions:
        return name
    base = stem if dot and stem and len(ext) <= 5 else name
    return base + ftype.extensions[0]


def _refuse(detail: str) -> UnsupportedFileType:
    return UnsupportedFileType(
        f"不支持该文件：{detail}请上传 {ALLOWED_TEXT} 格式的文件（按文件内容识别，而非文件名）。",
        errors={"file": [detail]},
    )


def office_kind(path: Path) -> str:
    """``xlsx`` or ``docx`` for a well-formed Office Open XML archive; else refuse."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if not infos or len(infos) > MAX_ZIP_ENTRIES:
                raise _refuse("压缩包条目数量异常。")
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos)
            if total > MAX_ZIP_UNCOMPRESSED or total > MAX_ZIP_RATIO * max(packed, 1):
                raise _refuse("文件解压后过大，疑似压缩炸弹。")
            if any(i.flag_bits & 0x1 for i in infos):
                raise _refuse("文件已加密，无法审查。")
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                raise _refuse("不是有效的 Office 文档。")
            ct = zf.getinfo("[Content_Types].xml")
            if ct.file_size > MAX_CONTENT_TYPES_XML:
                raise _refuse("不是有效的 Office 文档。")
            with zf.open(ct) as fh:
                types = fh.read(MAX_CONTENT_TYPES_XML + 1).decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise _refuse("压缩包已损坏或格式不正确。") from exc
    if "macroenabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _refuse("含宏的文档不被接受，请另存为不含宏的格式。")
    if any(n.startswith("xl/") for n in names) and "spreadsheetml" in types:
        return "xlsx"
    if any(n.startswith("word/") for n in names) and "wordprocessingml" in types:
        return "docx"
    raise _refuse("只接受 Excel（XLSX）或 Word（DOCX）格式的 Office 文档。")


def detect_type(path: Path) -> FileType:
    """The file's type from its first bytes (magic numbers); ZIP-based types opened safely."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return FILE_TYPES["pdf"]
    if head.startswith(b"\xff\xd8\xff"):
        return FILE_TYPES["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FILE_TYPES["png"]
    if head.startswith(b"PK\x03\x04"):
        return FILE_TYPES[office_kind(path)]
    raise _refuse("文件内容不是可接受的格式。")


# --- storing ---------------------------------------------------------------------------


def upload_dir() -> Path:
    path = Path(setting("UPLOAD_DIR"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(setting("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES) or DEFAULT_MAX_UPLOAD_BYTES)


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def receive_upload(stream: BinaryIO, target: Path) -> tuple[int, str]:
    """Copy the stream to ``target`` (no more than the limit); return (size, sha256).

    A full disk (or any other failure to write) is a clear 507/503, never a 500; the
    caller removes the partial file."""
    try:
        return _copy_to(stream, target)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ServiceUnavailable(
                "服务器存储空间已满，文件未能保存，申报未作任何改动。请稍后再试或联系管理员。",
                code="insufficient_storage",
                status=507,
                errors={"file": ["服务器存储空间不足，文件未保存。"]},
            ) from exc
        raise ServiceUnavailable(
            "文件存储暂不可用，文件未能保存，申报未作任何改动。请稍后再试。",
            errors={"file": ["文件未保存。"]},
        ) from exc


def _copy_to(stream: BinaryIO, target: Path) -> tuple[int, str]:
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge(
                    f"文件超过 {_size_text(limit)} 的大小限制，请压缩或拆分后再上传。",
                    errors={"file": [f"单个文件不得超过 {_size_text(limit)}。"]},
                )
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def upload(
    user: User, case_id: int, kind: str, filename: str | None, stream: BinaryIO
) -> Attachment:
    """Add (or replace) the file of one kind; only the applicant, in 草稿 or 退回补正."""
    case = _load_for_upload(user, case_id)
    labels = {s.kind: s.label for s in _specs(case)}
    if kind not in labels:
        raise ValidationFailed("请选择附件类别。", errors={"kind": ["该事项不需要这类材料。"]})
    directory = upload_dir()
    storage_name = secrets.token_hex(20)
    part = directory / f"{storage_name}.part"
    final = directory / storage_name
    try:
        size, sha256 = receive_upload(stream, part)
        if size == 0:
            raise ValidationFailed("文件为空。", errors={"file": ["请选择要上传的文件。"]})
        ftype = detect_type(part)
        os.replace(part, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    try:
        att = _record(user, case, kind, labels[kind], filename, ftype, size, sha256, storage_name)
    except BaseException:
        # Nothing was recorded (the unit rolled back): the stored file goes too.
        with contextlib.suppress(FileNotFoundError):
            final.unlink()
        raise
    return att


def _load_for_upload(user: User, case_id: int) -> Application:
    case = get_visible(user, case_id, lock=True)
    if not user.has_role("applicant") or not is_own(user, case):
        raise Forbidden("只有申请人本人可以上传附件。")
    if case.state not in EDITABLE_STATES:
        raise Forbidden(
            "只有草稿或退回补正的申报可以上传附件。", code="invalid_transition", status=409
        )
    return case


@operation
def _record(
    user: User,
    case: Application,
    kind: str,
    label: str,
    filename: str | None,
    ftype: FileType,
    size: int,
    sha256: str,
    storage_name: str,
) -> Attachment:
    shown = _with_extension(sanitise_filename(filename, default=label), ftype)
    previous = list(
        db.session.execute(
            sa.select(Attachment).where(
                Attachment.application_id == case.id,
                Attachment.kind == kind,
                Attachment.current.is_(True),
            )
        ).scalars()
    )
    for old in previous:
        old.current = False
    att = Attachment(
        application_id=case.id,
        kind=kind,
        filename=shown,
        content_type=ftype.mimetype,
        size=size,
        sha256=sha256,
        storage_name=storage_name,
        uploaded_by=user.id,
        uploaded_at=now(),
        current=True,
    )
    db.session.add(att)
    db.session.flush()
    audit.record(
        "case.upload",
        actor=user,
        role="applicant",
        application_id=case.id,
        details={
            "attachment_id": att.id,
            "kind": kind,
            "filename": shown,
            "content_type": ftype.mimetype,
            "size": size,
            "sha256": sha256,
            "replaced": [o.id for o in previous],
        },
    )
    return att


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    path: Path


def for_download(user: User, case_id: int, attachment_id: int) -> Download:
    """The file, for anyone who may see the case; NotFound otherwise (never 403)."""
    case = get_visible(user, case_id)
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.application_id != case.id:
        raise NotFound()
    path = upload_dir() / att.storage_name
    if not att.storage_name.isalnum() or not path.is_file():
        raise NotFound("该附件的文件已不存在，请联系管理员。")
    return Download(att, path)


def current_for(case: Application) -> Iterable[Attachment]:
    return [a for a in _rows(case) if a.current]
