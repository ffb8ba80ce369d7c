"""The documents area's HTTP pieces shared by its pages and its API: a signed PDF as a
download, and a PDF uploaded for verification, checked by size and content."""

from __future__ import annotations

from typing import Any

from flask import Response

from zhongchuang.documents.queries import DocumentFile
from zhongchuang.errors import UnsupportedFileType, UploadTooLarge, ValidationFailed
from zhongchuang.web.downloads import pdf_download

#: A document of this system is a few hundred KB at most; a larger upload is not one.
MAX_VERIFY_BYTES = 10 * 1024 * 1024


def document_download(found: DocumentFile) -> Response:
    """The signed PDF as issued, as a private download."""
    doc = found.document
    return pdf_download(
        doc.pdf, found.filename, ascii_name=f"{found.case.number}-{doc.kind}-{doc.serial}.pdf"
    )


def read_upload(upload: Any) -> bytes:
    """An uploaded file's bytes, refused when too large or not a PDF (by its content)."""
    if not hasattr(upload, "stream"):
        raise ValidationFailed("请选择要核验的 PDF 文件。", errors={"file": ["须为上传的文件。"]})
    data = upload.stream.read(MAX_VERIFY_BYTES + 1)
    if len(data) > MAX_VERIFY_BYTES:
        raise UploadTooLarge("文件超过 10 MB，不是本系统签发的文书。")
    if not data.startswith(b"%PDF-"):
        raise UnsupportedFileType("只能核验 PDF 文件。")
    return bytes(data)
