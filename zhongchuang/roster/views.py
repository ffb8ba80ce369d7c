"""Roster pages (花名册): the table of a case's roster (identity numbers masked), the
upload form for its applicant, the blank template and the refused rows as XLSX."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from zhongchuang.errors import Forbidden, UnsupportedFileType, UploadTooLarge, ValidationFailed
from zhongchuang.roster import operations as roster
from zhongchuang.roster.forms import RosterUploadForm
from zhongchuang.web.i18n import gettext as _

bp = Blueprint("roster", __name__, template_folder="templates")


def _xlsx(data: bytes, filename: str) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode() or "roster.xlsx"
    return Response(
        data,
        mimetype=roster.XLSX_MIMETYPE,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/applications/<int:case_id>/roster", methods=["GET", "POST"])
@login_required
def show(case_id: int):  # noqa: ANN201
    case = roster.get_roster_case(current_user, case_id)
    form = RosterUploadForm()
    status = 200
    if request.method == "POST":
        if not roster.can_upload(current_user, case):
            raise Forbidden(_("只有申请企业在草稿或退回补正时可以上传花名册。"))
        if form.validate_on_submit():
            upload = form.file.data
            try:
                result = roster.import_roster(current_user, case_id, upload.filename, upload.stream)
            except (ValidationFailed, UnsupportedFileType, UploadTooLarge) as exc:
                form.file.errors = [*form.file.errors, exc.message]
                status = exc.status
            else:
                flash(
                    _(
                        "花名册已导入：%(a)s 行通过核验，%(r)s 行未通过，补贴金额合计 %(m)s 元。",
                        a=result.accepted,
                        r=result.rejected_count,
                        m=f"{result.amount:,.2f}",
                    ),
                    "warning" if result.rejected_count else "success",
                )
                view = "rejected" if result.rejected_count else "rows"
                return redirect(url_for("roster.show", case_id=case_id, view=view))
        else:
            status = 422
    page = roster.roster_page(
        current_user,
        case_id,
        view=request.args.get("view", "rows"),
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template("roster/show.html", p=page, form=form), status


@bp.route("/applications/<int:case_id>/roster/rejected.xlsx")
@login_required
def rejected(case_id: int) -> Response:
    filename, data = roster.rejected_xlsx(current_user, case_id)
    return _xlsx(data, filename)


@bp.route("/roster/template.xlsx")
def template() -> Response:
    return _xlsx(roster.template_xlsx(), "招用大学生社保补贴花名册模板.xlsx")
