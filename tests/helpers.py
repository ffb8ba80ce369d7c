"""Helpers shared by tests (not fixtures): files to upload, required attachments."""

from __future__ import annotations

import io
import zipfile

#: The smallest file the upload check accepts as a PDF (it is judged by its first bytes).
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def office_file(kind: str = "xlsx", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML package (``xlsx`` or ``docx``)."""
    part, ctype = {
        "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
        "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    }[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{part}" '
        f'ContentType="application/vnd.openxmlformats-officedocument.{ctype}"/></Types>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr(part, "<x/>")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def attach_required(case, user) -> list:
    """Upload a small PDF for every required attachment kind the case still lacks."""
    from zhongchuang.cases import attachments

    done = []
    for item in attachments.checklist(case):
        if item.required and not item.done:
            done.append(
                attachments.upload(
                    user, case.id, item.kind, f"{item.kind}.pdf", io.BytesIO(MINIMAL_PDF)
                )
            )
    return done


def open_batch(factory, code: str, **kw):
    """An application batch for ``code`` open on the test date (2021-03-15)."""
    from datetime import date
    from decimal import Decimal

    from zhongchuang.catalogue import batches

    admin = factory.staff("admin")
    return batches.create_batch(
        admin,
        code,
        kw.get("year", 2021),
        kw.get("opens_on", date(2021, 3, 1)),
        kw.get("closes_on", date(2021, 4, 30)),
        Decimal(kw.get("budget", "100000.00")),
    )


def attach_for_submit(case, user) -> None:
    """Before a submission in a test that is not about materials: upload a small PDF for
    each material the program requires, where ``user`` may upload (their own case, in
    草稿 or 退回补正); otherwise nothing, so the submission fails as the test expects."""
    from zhongchuang.cases import attachments
    from zhongchuang.extensions import db
    from zhongchuang.models import Application

    found = case if isinstance(case, Application) else db.session.get(Application, case)
    if found is None:
        return
    db.session.refresh(found)
    if attachments.can_upload(user, found):
        attach_required(found, user)


def production_signing_dir(root) -> str:
    """A signing directory as production wants it (``ca.crt`` and each default issuer's
    ``<code>.key`` / ``<code>.crt``), made with the demo CA of ``root`` — for tests that
    start the app in production mode."""
    from pathlib import Path

    from zhongchuang.documents import issuers, signing

    directory = Path(root) / "signing"
    for spec in issuers.read_defaults():
        signing.demo_signer(directory, spec.code, spec.name)
    return str(directory)
