"""API: 文书 — a case's documents for whoever may see the case, their PDFs, and the public
verification of a file (no auth; rate limited)."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from zhongchuang.api.auth import current_api_user, require_auth
from zhongchuang.api.schemas import ApiBlueprint, BaseSchema, document_problems
from zhongchuang.documents import issuing, queries, verification
from zhongchuang.documents.http import document_download, read_upload
from zhongchuang.extensions import limiter
from zhongchuang.models import Document, User

blp = ApiBlueprint(
    "api_documents",
    __name__,
    url_prefix="/api/v1",
    description="文书 Documents: issued, signed, verifiable",
)
ID = "int(max=2147483647)"
VERIFY_LIMIT = "30 per minute"


class DocumentSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String(
        metadata={"description": "receipt, decline, correction, approval, rejection or certificate"}
    )
    title = fields.String()
    number = fields.String(metadata={"description": "文号, e.g. 嘉众创〔2021〕12号"})
    issued_on = fields.Date()
    issuer = fields.String()
    sha256 = fields.String()
    status = fields.String(metadata={"description": "valid or superseded"})
    url = fields.String()


class VerifyUploadSchema(BaseSchema):
    file = Upload(required=True, metadata={"description": "the PDF to check"})


class VerifyResultSchema(BaseSchema):
    valid = fields.Boolean()
    message = fields.String()
    number = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    issuer = fields.String(allow_none=True)
    application_number = fields.String(allow_none=True)
    status = fields.String(allow_none=True)


def document_json(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "number": doc.number,
        "issued_on": doc.issued_on,
        "issuer": doc.issuer_name,
        "sha256": doc.sha256,
        "status": doc.status,
        "url": url_for(
            "api_documents.download_document", case_id=doc.application_id, document_id=doc.id
        ),
    }


def _user() -> User:
    user = current_api_user()
    assert user is not None
    return user


@blp.route(f"/applications/<{ID}:case_id>/documents", methods=["GET"])
@require_auth()
@blp.response(200, DocumentSchema(many=True))
@document_problems(blp, 400, 401, 404)
def list_documents(case_id: int) -> list[dict[str, Any]]:
    """The documents issued on a case. 文书列表"""
    return [document_json(d) for d in queries.documents_of(_user(), case_id)]


@blp.route(f"/applications/<{ID}:case_id>/documents/<{ID}:document_id>", methods=["GET"])
@require_auth()
@blp.doc(
    responses={
        "200": {
            "description": "The signed PDF, as issued.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
@document_problems(blp, 401, 404)
def download_document(case_id: int, document_id: int) -> Response:
    """The signed PDF of one document. 下载文书"""
    found = queries.document_file(_user(), case_id, document_id)
    return document_download(found)


class ReissueSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@blp.route(f"/applications/<{ID}:case_id>/documents/<{ID}:document_id>/reissue", methods=["POST"])
@require_auth("city_reviewer", "admin")
@blp.arguments(ReissueSchema)
@blp.response(201, DocumentSchema)
@document_problems(blp, 400, 401, 403, 404, 409, 422)
def reissue_document(body: dict, case_id: int, document_id: int) -> dict[str, Any]:
    """Reissue a document: a new number, the old one ``superseded``. 重新签发"""
    return document_json(issuing.reissue(_user(), case_id, document_id, body["reason"]))


@blp.route("/documents/verify", methods=["POST"])
@limiter.limit(VERIFY_LIMIT)
@blp.arguments(VerifyUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(200, VerifyResultSchema)
@document_problems(blp, 400, 413, 415, 422, 429)
def verify_document(body: dict) -> dict[str, Any]:
    """Is this PDF a document this system issued, unchanged? 文书核验 (no auth)"""
    result = verification.verify_bytes(read_upload(body["file"]))
    doc = result.document
    return {
        "valid": result.valid,
        "message": result.message,
        "number": doc.number if doc else None,
        "kind": doc.kind if doc else None,
        "issued_on": doc.issued_on if doc else None,
        "issuer": doc.issuer if doc else None,
        "application_number": doc.application_number if doc else None,
        "status": doc.status if doc else None,
    }
