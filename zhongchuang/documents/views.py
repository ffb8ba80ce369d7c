"""Pages of the documents area: a case's signed PDFs for whoever may see the case, and the
public verification page (扫码核验) — by the QR code's token, by hash, or by upload."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from zhongchuang.documents import issuing, queries, verification
from zhongchuang.documents.forms import ReissueForm, VerifyForm
from zhongchuang.documents.http import document_download, read_upload
from zhongchuang.errors import DomainError, Forbidden
from zhongchuang.extensions import limiter
from zhongchuang.web.i18n import gettext as _

bp = Blueprint("documents", __name__, template_folder="templates")


@bp.route("/applications/<int:case_id>/documents/<int:document_id>.pdf")
@login_required
def download(case_id: int, document_id: int) -> Response:
    return document_download(queries.document_file(current_user, case_id, document_id))


@bp.route("/applications/<int:case_id>/documents/<int:document_id>/reissue", methods=["POST"])
@login_required
def reissue(case_id: int, document_id: int) -> Response:
    """重新签发 from the case page (city reviewers and administrators)."""
    if not current_user.has_role(*issuing.REISSUERS):
        raise Forbidden("只有市级审核人员或系统管理员可以重新签发文书。")
    form = ReissueForm()
    if not form.validate_on_submit():
        flash(_("请写明重新签发的理由。"), "error")
    else:
        try:
            new = issuing.reissue(current_user, case_id, document_id, form.reason.data or "")
        except DomainError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
        else:
            flash(
                _("已重新签发：%(number)s。原文书已标注为已被取代。", number=new.number), "success"
            )
    return redirect(url_for("cases.show", case_id=case_id, _anchor="h-documents"))


def _lookup_page(key: str):  # noqa: ANN202
    doc = verification.lookup(key)
    if doc is None:
        abort(404)
    return render_template(
        "documents/verify.html",
        found=doc,
        message=verification.status_message(doc),
        result=None,
        form=VerifyForm(formdata=None),
    )


@bp.route("/verify/d/<token>")
def by_token(token: str):  # noqa: ANN201
    return _lookup_page(token[:64])


@bp.route("/verify/<sha256>")
def by_hash(sha256: str):  # noqa: ANN201
    if not verification.SHA256_RE.match(sha256):
        abort(404)
    return _lookup_page(sha256)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def verify():  # noqa: ANN201
    form = VerifyForm()
    result = None
    status = 200
    if form.validate_on_submit():
        try:
            result = verification.verify_bytes(read_upload(form.file.data))
        except DomainError as exc:
            form.file.errors = [exc.message]
            status = exc.status
    elif form.errors:
        status = 422
    return render_template(
        "documents/verify.html",
        found=result.document if result else None,
        message=result.message if result else None,
        result=result,
        form=form,
    ), status
