"""Public pages: policies, programs (with the self-check), notices and objections,
recognised maker spaces. No login needed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from zhongchuang.accounts.views import apply_field_errors
from zhongchuang.cases import progress as case_progress
from zhongchuang.cases.eligibility import self_check
from zhongchuang.catalogue import queries as catalogue_queries
from zhongchuang.catalogue.materials import materials_document
from zhongchuang.documents import pdf
from zhongchuang.errors import DomainError, ValidationFailed
from zhongchuang.extensions import limiter
from zhongchuang.forms.choices import to_choices
from zhongchuang.notices import operations as notices
from zhongchuang.public.forms import ObjectionForm, ProgressForm, self_check_form
from zhongchuang.runtime import today
from zhongchuang.web.downloads import pdf_download
from zhongchuang.web.i18n import gettext as _
from zhongchuang.workflow.machine import to_svg

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/policies/<int:policy_id>")
def policy(policy_id: int):  # noqa: ANN201
    view = catalogue_queries.policy_view(policy_id)
    if view is None:
        abort(404)
    return render_template("public/policy.html", view=view)


@bp.route("/programs/<code>", methods=["GET", "POST"])
def program(code: str):  # noqa: ANN201
    view = catalogue_queries.program_view(code)
    if view is None:
        abort(404)
    form = self_check_form(view.spec)
    result = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = self_check(view.program, form.values(), today())
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template("public/program.html", view=view, form=form, result=result), status


@bp.route("/programs/<code>/materials")
def program_materials(code: str):  # noqa: ANN201
    """材料清单, printable (the same document as the PDF)."""
    view = catalogue_queries.program_view(code)
    if view is None:
        abort(404)
    return render_template(
        "public/materials.html", view=view, doc=materials_document(view), code=code
    )


@bp.route("/programs/<code>/materials.pdf")
def program_materials_pdf(code: str) -> Response:
    """材料清单 as a PDF download (503 with the reason when no CJK font is installed)."""
    view = catalogue_queries.program_view(code)
    if view is None:
        abort(404)
    data = pdf.render(materials_document(view))
    return pdf_download(
        data,
        f"{view.program.name}-材料清单.pdf",
        ascii_name=f"{view.program.code}-materials.pdf",
        private=False,
    )


@bp.route("/programs/<code>/workflow.svg")
def program_workflow_svg(code: str) -> Response:

    view = catalogue_queries.program_view(code)
    if view is None:
        abort(404)
    svg = to_svg(view.program.workflow_id_current)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


@bp.route("/notices")
def notices_index():  # noqa: ANN201
    items = notices.list_notices(limit=100)
    return render_template(
        "public/notices.html", notices=items, today=today(), state=notices.notice_state
    )


# ``public.notices`` is the endpoint the navigation links to.
bp.add_url_rule("/notices", endpoint="notices", view_func=notices_index)


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def notice(notice_id: int):  # noqa: ANN201
    try:
        item = notices.get_notice(notice_id)
    except DomainError:
        abort(404)
    form = ObjectionForm()
    form.application_id.choices = to_choices(
        (str(i.application_id), i.public_name) for i in item.items
    )
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                notices.lodge_objection(
                    item.id,
                    int(form.application_id.data),
                    form.contact_name.data,
                    form.contact_phone.data,
                    form.text.data,
                )
            except ValidationFailed as exc:
                apply_field_errors(form, exc)
                status = 422
            except DomainError as exc:
                flash(exc.message, "error")
                status = exc.status
            else:
                flash(_("您的异议已提交。我们将依法核实并对您的身份信息保密。"), "success")
                return redirect(url_for("public.notice", notice_id=item.id))
        else:
            status = 422
    return (
        render_template(
            "public/notice.html",
            notice=item,
            form=form,
            today=today(),
            state=notices.notice_state(item, today()),
        ),
        status,
    )


@bp.route("/maker-spaces")
def maker_spaces():  # noqa: ANN201
    return render_template("public/maker_spaces.html", spaces=catalogue_queries.maker_spaces())


#: 办件进度查询 per client address: enough for a person, too few to guess codes.
PROGRESS_LIMIT = "10 per minute"


@bp.route("/progress")
@limiter.limit(PROGRESS_LIMIT, exempt_when=lambda: "number" not in request.args)
def progress():  # noqa: ANN201
    """办件进度查询 without login: number + 查询码 → the case's steps, nothing personal."""
    form = ProgressForm(request.args)
    result = None
    status = 200
    if "number" in request.args:
        if form.validate():
            result = case_progress.progress_of(form.number.data, form.code.data)
            if result is None:
                status = 404
        else:
            status = 422
    return render_template("public/progress.html", form=form, result=result, status=status), status
