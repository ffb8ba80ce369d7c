"""API: a person's full identity number for the reviewers who must check it
(查看完整身份证号). Every call writes the audit event ``pii.reveal``; the answer is
never cached."""

from __future__ import annotations

from flask import Response, jsonify
from marshmallow import fields

from zhongchuang.accounts import reveal
from zhongchuang.api.auth import current_api_user, require_auth
from zhongchuang.api.schemas import ApiBlueprint, BaseSchema, document_problems

blp = ApiBlueprint(
    "api_reveal",
    __name__,
    url_prefix="/api/v1",
    description="身份证号 Identity numbers: audited reveal for reviewers",
)
ID = "int(max=2147483647)"


class RevealedIdentitySchema(BaseSchema):
    application_id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String()
    id_number = fields.String(metadata={"description": "the full 18-character number"})
    id_number_masked = fields.String()


@blp.route(f"/applications/<{ID}:case_id>/identity-reveal", methods=["POST"])
@require_auth()
@blp.response(200, RevealedIdentitySchema)
@document_problems(blp, 401, 403, 404)
def reveal_identity(case_id: int) -> Response:
    """The applicant's full identity number (county or city reviewers). 查看完整身份证号

    A county reviewer: submitted cases of their district; a city reviewer: any case.
    Each call is recorded in the audit trail (``pii.reveal``); ``Cache-Control: no-store``."""
    user = current_api_user()
    assert user is not None
    shown = reveal.reveal_identity(user, case_id)
    resp = jsonify(RevealedIdentitySchema().dump(shown))
    resp.headers["Cache-Control"] = "no-store, private, max-age=0"
    resp.headers["Pragma"] = "no-cache"
    return resp
