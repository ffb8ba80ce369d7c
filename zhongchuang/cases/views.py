"""The case page ``/applications/<id>`` (applicant and staff), its actions, the application
form for edits, attachments, the printable summary and decision letters.

Each view loads through the services (404 when absent or not visible), calls one service,
then renders or redirects. A refused action re-renders the page with the reason.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_required

from zhongchuang.accounts.views import apply_field_errors
from zhongchuang.cases import attachments, eligibility
from zhongchuang.cases import engine as cases
from zhongchuang.cases import queries as case_view
from zhongchuang.cases.forms import ActionForm, UploadForm, action_form, draft_form_class
from zhongchuang.catalogue import queries as catalogue_queries
from zhongchuang.documents import letters as letter_service
from zhongchuang.documents import pdf as pdf_service
from zhongchuang.documents import queries as document_queries
from zhongchuang.documents.forms import ReissueForm
from zhongchuang.documents.http import document_download
from zhongchuang.errors import (
    DomainError,
    Forbidden,
    UnsupportedFileType,
    UploadTooLarge,
    ValidationFailed,
    VersionConflict,
)
from zhongchuang.runtime import today
from zhongchuang.web.downloads import pdf_download
from zhongchuang.web.i18n import gettext as _
from zhongchuang.workflow.letters import DOCUMENT_KIND
from zhongchuang.workflow.machine import ACTIONS, action_label, state_label

bp = Blueprint("cases", __name__, template_folder="templates")

SUCCESS = {
    "submit": "申报已提交，请等待受理。您可以在本页查看办理进度。",
    "withdraw": "申报已撤回。",
}
#: Taken elsewhere: a case enters its notice only with the notice (reviewer.publish).
NOT_ON_CASE_PAGE = frozenset({"publish"})
#: Field names an action form may carry errors for (guard names match these).
ACTION_FIELDS = (
    "reason",
    "articles",
    "failed_rules",
    "amount",
    "score",
    "payment_reference",
    "opinion",
)


def _user() -> Any:
    return current_user._get_current_object()


# --- the page ------------------------------------------------------------------------------


def _action_forms(
    page: case_view.CasePage, posted: dict[str, ActionForm] | None = None
) -> dict[str, ActionForm]:
    posted = posted or {}
    choices = [(a.path, f"{a.path}{' ' + a.title if a.title else ''}") for a in page.articles]
    amount = page.case.approved_amount or page.case.computed_amount
    out = {}
    for action in page.actions.allowed:
        if action in NOT_ON_CASE_PAGE:
            continue
        form = posted.get(action)
        if form is None:
            form = action_form(
                action,
                version=page.case.version,
                articles=choices,
                failed_rules=page.failed_rules,
                amount=amount,
            )
        else:
            form.set_choices(choices, page.failed_rules)
        out[action] = form
    return out


def _upload_form(page: case_view.CasePage, form: UploadForm | None = None) -> UploadForm:
    form = form or UploadForm(formdata=None)
    form.kind.choices = [
        (i.kind, i.label + ("（必需）" if i.required else "")) for i in page.checklist
    ]
    if form.kind.data is None:
        form.kind.data = next((i.kind for i in page.checklist if i.required and not i.done), None)
    return form


def _render(
    page: case_view.CasePage,
    *,
    posted: dict[str, ActionForm] | None = None,
    upload_form: UploadForm | None = None,
    error: DomainError | None = None,
    failed_action: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    forms = _action_forms(page, posted)
    return (
        render_template(
            "cases/show.html",
            page=page,
            case=page.case,
            action_forms=forms,
            action_specs={a: case_view.action_spec(page.case, a) for a in forms},
            state_label=state_label,
            upload_form=_upload_form(page, upload_form),
            error=error,
            failed_action=failed_action,
            roster_url=_roster_url(page),
            publish_url=_publish_url(page),
            max_upload_mb=attachments.max_upload_bytes() // (1024 * 1024),
            accept=attachments.ACCEPT,
            reissue_form=ReissueForm(formdata=None) if page.can_reissue else None,
        ),
        status,
    )


def _roster_url(page: case_view.CasePage) -> str | None:
    """The roster page (its own blueprint), for programs claimed with a roster."""
    if not page.has_roster or "roster.show" not in current_app.view_functions:
        return None
    return url_for("roster.show", case_id=page.case.id)


def _publish_url(page: case_view.CasePage) -> str | None:
    if (
        "publish" not in page.actions.allowed
        or "reviewer.publish" not in current_app.view_functions
    ):
        return None
    return url_for("reviewer.publish")


@bp.route("/applications/<int:case_id>")
@login_required
def show(case_id: int):  # noqa: ANN201
    return _render(case_view.case_page(_user(), case_id))


@bp.route("/applications/<int:case_id>/actions/<action>", methods=["POST"])
@login_required
def act(case_id: int, action: str):  # noqa: ANN201
    user = _user()
    if action not in ACTIONS:
        abort(404)
    case = cases.get_visible(user, case_id)
    form = action_form(
        action, version=case.version, articles=[], failed_rules=[], formdata=request.form
    )
    if not form.validate():
        return _render(
            case_view.case_page(user, case_id),
            posted={action: form},
            error=ValidationFailed(_("请按提示修改后再提交。")),
            failed_action=action,
            status=422,
        )
    try:
        cases.act(user, case_id, action, form.to_input(request.form))
    except DomainError as exc:
        for name, messages in exc.errors.items():
            if name in ACTION_FIELDS:
                getattr(form, name).errors = list(messages)
            elif name.startswith("scores."):  # 专家评审指标: next to the criterion's input
                form.criterion_errors[name.removeprefix("scores.")] = list(messages)
        page = case_view.case_page(user, case_id)
        return _render(
            page,
            posted={} if isinstance(exc, VersionConflict) else {action: form},
            error=exc,
            failed_action=action,
            status=exc.status if 400 <= exc.status < 500 else 422,
        )
    if action == "expert_score" and form.conflict_declared.data:
        # 回避: the case is no longer the expert's to see.
        flash(_("您已声明回避，本案件将由市级审核人员另行指派专家评审。"), "success")
        return redirect(url_for("reviewer.queue"))
    label = action_label(action, "en" if _locale_en() else "zh")
    flash(SUCCESS.get(action) or _("已完成“%(label)s”。", label=label), "success")
    return redirect(url_for("cases.show", case_id=case_id))


def _locale_en() -> bool:

    return str(get_locale()) == "en"


# --- editing -------------------------------------------------------------------------------


def _draft_form(program: Any, formdata: Any = None) -> Any:
    spec = eligibility.program_spec(program)
    cls = draft_form_class(spec, catalogue_queries.maker_space_choices())
    return cls() if formdata is None else cls(formdata=formdata)


@bp.route("/applications/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int):  # noqa: ANN201
    user = _user()
    case = cases.get_visible(user, case_id)
    if not case_view.can_edit(user, case):
        raise Forbidden(_("只有申请人本人可以修改草稿或退回补正的申报。"))
    form = _draft_form(case.program)
    status = 200
    result = None
    if request.method == "GET":
        form.fill(case.data or {})
        form.version.data = str(case.version)
    elif form.validate_on_submit():
        values = {name: (getattr(form, name).data or "") for name in form.field_names}
        values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        if request.form.get("do") == "check":
            result = eligibility.explain(user, case.program, form.values(), today())
        else:
            version = form.version.data
            try:
                cases.update_draft(
                    user, case.id, values, int(version) if str(version).isdigit() else None
                )
            except ValidationFailed as exc:
                apply_field_errors(form, exc)
                status = 422
            else:
                flash(_("已保存。请检查资格条件和申报材料，然后提交。"), "success")
                return redirect(url_for("cases.show", case_id=case.id))
    else:
        status = 422
    return (
        render_template(
            "cases/form.html",
            form=form,
            program=case.program,
            case=case,
            result=result,
            policy_id=case.program.policy_id,
            articles=case_view.article_refs(case.program),
            action_url=url_for("cases.edit", case_id=case.id),
        ),
        status,
    )


# --- attachments ---------------------------------------------------------------------------


@bp.route("/applications/<int:case_id>/attachments", methods=["POST"])
@login_required
def upload(case_id: int):  # noqa: ANN201
    user = _user()
    form = UploadForm()
    file = request.files.get(form.file.name)
    try:
        if file is None or not file.filename:
            raise ValidationFailed(
                _("请选择要上传的文件。"), errors={"file": [_("请选择要上传的文件。")]}
            )
        att = attachments.upload(user, case_id, form.kind.data or "", file.filename, file.stream)
    except (ValidationFailed, UnsupportedFileType, UploadTooLarge) as exc:
        page = case_view.case_page(user, case_id)
        form = _upload_form(page, form)
        apply_field_errors(form, exc)
        return _render(page, upload_form=form, error=exc, failed_action="upload", status=exc.status)
    flash(_("已上传“%(name)s”。", name=att.filename), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="attachments"))


@bp.route("/applications/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download(case_id: int, attachment_id: int) -> Response:
    found = attachments.for_download(_user(), case_id, attachment_id)
    resp = send_file(
        found.path,
        mimetype=found.attachment.content_type,
        as_attachment=True,
        download_name=found.attachment.filename,
        max_age=0,
        etag=False,
        conditional=False,
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


# --- printing: the summary and decision letters ---------------------------------------------


@bp.route("/applications/<int:case_id>/summary")
@login_required
def summary(case_id: int):  # noqa: ANN201
    page = case_view.case_page(_user(), case_id)
    return render_template(
        "cases/summary.html", doc=case_view.summary_document(page), case=page.case
    )


@bp.route("/applications/<int:case_id>/summary.pdf")
@login_required
def summary_pdf(case_id: int) -> Response:
    page = case_view.case_page(_user(), case_id)
    data = pdf_service.render(case_view.summary_document(page))
    return pdf_download(data, f"{page.case.number}-申报摘要.pdf")


@bp.route("/applications/<int:case_id>/letters/<int:event_id>")
@login_required
def letter(case_id: int, event_id: int):  # noqa: ANN201
    view = letter_service.letter_for(_user(), case_id, event_id)
    return render_template(
        "cases/letter.html",
        view=view,
        letter=view.letter,
        case=view.case,
        doc=letter_service.letter_document(view),
    )


@bp.route("/applications/<int:case_id>/letters/<int:event_id>.pdf")
@login_required
def letter_pdf(case_id: int, event_id: int) -> Response:
    view = letter_service.letter_for(_user(), case_id, event_id)
    issued = document_queries.issued_for_event(view.case, event_id, DOCUMENT_KIND[view.letter.kind])
    if issued is not None:  # the signed 文书, as issued
        return document_download(document_queries.DocumentFile(view.case, issued))
    data = letter_service.letter_pdf(view)
    return pdf_download(data, f"{view.case.number}-{view.letter.title}.pdf")
