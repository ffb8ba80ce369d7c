"""Helpers shared by integration tests."""

from __future__ import annotations

import io

#: A minimal, valid one-page PDF.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def attach_required(case, user) -> None:  # noqa: ANN001
    """Upload a small PDF for every attachment kind the case's program requires."""
    from zhongchuang.services import attachments
    from zhongchuang.services.eligibility import program_spec

    for spec in program_spec(case.program).attachments:
        if spec.required:
            attachments.upload(user, case.id, spec.kind, f"{spec.kind}.pdf", io.BytesIO(PDF_BYTES))
