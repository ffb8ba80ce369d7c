"""Administration pages (系统管理): accounts and roles, identity corrections, the audit
trail, the outbox, batches, parameters and the policy catalogue. Admins only.

Views load, authorise (every page: the ``admin`` role), call a service, render or redirect.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from pathlib import PurePath
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
    url_for,
)
from flask_login import current_user

from zhongchuang.accounts import operations as accounts
from zhongchuang.accounts import profiles
from zhongchuang.accounts.views import apply_field_errors
from zhongchuang.admin import queries as admin_queries
from zhongchuang.admin.forms import (
    ROLE_LABELS,
    ActionForm,
    AuditFilterForm,
    BatchEditForm,
    BatchForm,
    CatalogueLoadForm,
    CatalogueUploadForm,
    IssuerForm,
    OrganizationCorrectionForm,
    OutboxFilterForm,
    PersonCorrectionForm,
    UserCreateForm,
    UserFilterForm,
    UserRolesForm,
    options,
)
from zhongchuang.audit import chain as audit
from zhongchuang.audit import log as audit_log
from zhongchuang.cases.eligibility import preview_catalogue
from zhongchuang.catalogue import batches
from zhongchuang.catalogue.loading import load_catalogue_text
from zhongchuang.documents import issuers as issuer_service
from zhongchuang.errors import Conflict, NotFound, ValidationFailed
from zhongchuang.messages import outbox
from zhongchuang.policy.catalogue import CatalogueError
from zhongchuang.web.i18n import gettext as _

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

MAX_CATALOGUE_BYTES = 2 * 1024 * 1024
#: Audit kinds in words (the filter also takes a family: ``admin`` matches ``admin.*``).
KIND_LABELS = {**audit.FAMILY_LABELS, **audit.KIND_LABELS}


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.has_role("admin"):
        abort(403)
    return None


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"role_labels": ROLE_LABELS, "audit_kind_labels": KIND_LABELS}


def _me():  # noqa: ANN202
    return current_user._get_current_object()


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _next_url(cursor: int | None) -> str | None:
    if cursor is None:
        return None
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    return url_for(request.endpoint or "admin.index", cursor=cursor, **args)


@bp.route("")
def index():  # noqa: ANN201
    return render_template("admin/index.html", figures=admin_queries.overview())


# --- accounts ---------------------------------------------------------------------------


@bp.route("/users")
def users():  # noqa: ANN201
    form = UserFilterForm(formdata=request.args)
    valid = form.validate()
    active = {"1": True, "0": False}.get(form.active.data or "") if valid else None
    page = admin_queries.list_users(
        role=(form.role.data or None) if valid else None,
        active=active,
        q=form.q.data if valid else None,
        cursor=_int_arg("cursor"),
    )
    return render_template(
        "admin/users.html", form=form, page=page, next_url=_next_url(page.next_cursor)
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():  # noqa: ANN201
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.username.data.strip(),
                form.password.data,
                list(form.roles.data),
                form.district.data or None,
                by=_me(),
                display_name=form.display_name.data.strip(),
                email=(form.email.data or "").strip() or None,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(_("已创建账号 %(name)s。", name=user.username), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), (422 if form.errors else 200)


def _load_user(user_id: int):  # noqa: ANN202
    user = admin_queries.get_user(user_id)
    if user is None:
        raise NotFound()
    return user


def _user_page(user: Any, form: UserRolesForm | None = None, problem: str | None = None):  # noqa: ANN202
    if form is None:
        form = UserRolesForm(formdata=None, data={"roles": user.roles, "district": user.district})
    status = 409 if problem else (422 if form.errors else 200)
    return render_template(
        "admin/user.html", user=user, form=form, action_form=ActionForm(), problem=problem
    ), status


@bp.route("/users/<int:user_id>")
def user(user_id: int):  # noqa: ANN201
    return _user_page(_load_user(user_id))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def user_roles(user_id: int):  # noqa: ANN201
    target = _load_user(user_id)
    form = UserRolesForm()
    if form.validate_on_submit():
        try:
            accounts.set_user_roles(
                target, list(form.roles.data), form.district.data or "", by=_me()
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        except Conflict as exc:
            return _user_page(_load_user(user_id), form, exc.message)
        else:
            flash(_("已更新 %(name)s 的角色和区划。", name=target.username), "success")
            return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(target, form)


def _set_active(user_id: int, active: bool):  # noqa: ANN202
    target = _load_user(user_id)
    if ActionForm().validate_on_submit():
        try:
            accounts.set_user_active(target, active, by=_me())
        except Conflict as exc:
            return _user_page(_load_user(user_id), problem=exc.message)
        if active:
            flash(_("账号 %(name)s 已启用。", name=target.username), "success")
        else:
            flash(
                _("账号 %(name)s 已停用，其登录和接口令牌已立即失效。", name=target.username),
                "success",
            )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int):  # noqa: ANN201
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def user_reactivate(user_id: int):  # noqa: ANN201
    return _set_active(user_id, True)


@bp.route("/roles")
def roles():  # noqa: ANN201
    return render_template(
        "admin/roles.html",
        holders=admin_queries.role_holders(),
        applicants=admin_queries.applicant_count(),
    )


# --- identity corrections ---------------------------------------------------------------


@bp.route("/people/<int:person_id>/identity", methods=["GET", "POST"])
def person_identity(person_id: int):  # noqa: ANN201
    person = admin_queries.get_person(person_id)
    if person is None:
        raise NotFound()
    form = PersonCorrectionForm(data={"name": person.name})
    return _identity_correction(
        form,
        lambda: profiles.correct_person(
            _me(),
            person_id,
            name=form.name.data,
            id_number=form.id_number.data,
            reason=form.reason.data,
        ),
        _("身份信息已更正，并已记入审计日志。"),
        lambda: (
            url_for("admin.user", user_id=person.user.id)
            if person.user is not None
            else url_for("admin.person_identity", person_id=person_id)
        ),
        person=person,
        organization=None,
    )


@bp.route("/organizations/<int:organization_id>/identity", methods=["GET", "POST"])
def organization_identity(organization_id: int):  # noqa: ANN201
    org = admin_queries.get_organization(organization_id)
    if org is None:
        raise NotFound()
    form = OrganizationCorrectionForm(data={"name": org.name})
    return _identity_correction(
        form,
        lambda: profiles.correct_organization(
            _me(),
            organization_id,
            name=form.name.data,
            credit_code=form.credit_code.data,
            reason=form.reason.data,
        ),
        _("单位信息已更正，并已记入审计日志。"),
        lambda: url_for("admin.organization_identity", organization_id=organization_id),
        person=None,
        organization=org,
    )


def _identity_correction(
    form: Any,
    correct: Callable[[], object],
    done: str,
    done_url: Callable[[], str],
    **page: Any,
) -> Any:
    """The correction page of a person or an organisation: on a valid post, the service's
    audited correction, then back with ``done``; its refusals on the form (422)."""
    if form.validate_on_submit():
        try:
            correct()
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(done, "success")
            return redirect(done_url())
    return render_template("admin/identity.html", form=form, **page), (422 if form.errors else 200)


# --- audit trail ------------------------------------------------------------------------


def _audit_form() -> tuple[AuditFilterForm, audit_log.AuditFilter]:
    form = AuditFilterForm(formdata=request.args)
    present = audit_log.kinds()
    families = sorted({k.split(".", 1)[0] for k in present})
    choices = [("", _("全部"))]
    for fam in families:
        choices.append((fam, str(KIND_LABELS.get(fam, fam))))
        choices += [
            (k, "　" + str(KIND_LABELS.get(k, k))) for k in present if k.startswith(fam + ".")
        ]
    form.kind.choices = options(choices)
    form.validate()

    def clean(name: str) -> Any:
        return None if getattr(form, name).errors else getattr(form, name).data

    flt = audit_log.AuditFilter(
        case=clean("case") or None,
        actor=clean("actor") or None,
        kind=clean("kind") or None,
        date_from=clean("date_from"),
        date_to=clean("date_to"),
        event_id=int(form.event.data) if not form.event.errors and form.event.data else None,
    )
    return form, flt


@bp.route("/audit")
def audit_events():  # noqa: ANN201
    form, flt = _audit_form()
    page = audit_log.search(flt, cursor=_int_arg("cursor"))
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        next_url=_next_url(page.next_cursor),
        export_args=flt.query_args(),
    ), (422 if form.errors else 200)


@bp.route("/audit/export.<fmt>")
def audit_export(fmt: str):  # noqa: ANN201
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    _form, flt = _audit_form()
    data = audit_log.export(_me(), flt, fmt)
    mimetype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=audit-events.{fmt}"},
    )


@bp.route("/audit/verify")
def audit_verify():  # noqa: ANN201
    result = audit.verify()
    return render_template("admin/audit_verify.html", result=result)


# --- outbox -----------------------------------------------------------------------------


@bp.route("/outbox")
def outbox_page():  # noqa: ANN201
    form = OutboxFilterForm(formdata=request.args)
    status = form.status.data if form.validate() else None
    page = outbox.list_mails(_me(), status or None, cursor=_int_arg("cursor"))
    return render_template(
        "admin/outbox.html",
        form=form,
        page=page,
        next_url=_next_url(page.next_cursor),
        settings=outbox.mail_settings(),
        action_form=ActionForm(),
        redact=outbox.redact,
    )


@bp.route("/outbox/<int:mail_id>/resend", methods=["POST"])
def outbox_resend(mail_id: int):  # noqa: ANN201
    if ActionForm().validate_on_submit():
        mail = outbox.resend(_me(), mail_id)
        labels = {
            "sent": _("已发送"),
            "kept": _("未配置邮件服务器，邮件已保存在发件箱"),
            "pending": _("暂未发出，稍后重试"),
            "failed": _("发送失败"),
        }
        flash(
            _("邮件 #%(id)s 已重新发送：%(status)s。", id=mail.id, status=labels[mail.status]),
            "success" if mail.status in ("sent", "kept") else "warning",
        )
    return redirect(url_for("admin.outbox_page"))


# --- batches ----------------------------------------------------------------------------


@bp.route("/batches")
def batch_list():  # noqa: ANN201
    return render_template("admin/batches.html", batches=admin_queries.batches())


@bp.route("/batches/new", methods=["GET", "POST"])
def batch_new():  # noqa: ANN201
    form = BatchForm()
    form.program.choices = options([("", _("请选择")), *admin_queries.program_choices()])
    if form.validate_on_submit():
        try:
            batch = batches.create_batch(
                _me(),
                form.program.data,
                form.year.data,
                form.opens_on.data,
                form.closes_on.data,
                form.budget.data,
                name=(form.name.data or "").strip() or None,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(_("已创建批次“%(name)s”。", name=batch.name), "success")
            return redirect(url_for("admin.batch_list"))
    return render_template("admin/batch_form.html", form=form, batch=None), (
        422 if form.errors else 200
    )


@bp.route("/batches/<int:batch_id>", methods=["GET", "POST"])
def batch_edit(batch_id: int):  # noqa: ANN201
    batch = admin_queries.get_batch(batch_id)
    if batch is None:
        raise NotFound()
    form = BatchEditForm(
        data={
            "name": batch.name,
            "opens_on": batch.opens_on.isoformat(),
            "closes_on": batch.closes_on.isoformat(),
            "budget": f"{batch.budget:.2f}",
        }
    )
    if form.validate_on_submit():
        try:
            batches.update_batch(
                _me(),
                batch_id,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                budget=form.budget.data,
                name=(form.name.data or "").strip() or None,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(_("批次已更新。"), "success")
            return redirect(url_for("admin.batch_list"))
    return render_template("admin/batch_form.html", form=form, batch=batch), (
        422 if form.errors else 200
    )


# --- issuers (发文机关) ---------------------------------------------------------------


@bp.route("/issuers")
def issuer_list():  # noqa: ANN201
    return render_template("admin/issuers.html", issuers=issuer_service.all_issuers())


@bp.route("/issuers/<int:issuer_id>", methods=["GET", "POST"])
def issuer_edit(issuer_id: int):  # noqa: ANN201
    issuer = issuer_service.get_issuer(issuer_id)
    form = IssuerForm(obj=issuer)
    if form.validate_on_submit():
        try:
            issuer_service.update_issuer(
                _me(), issuer_id, {k: getattr(form, k).data for k in issuer_service.EDITABLE}
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(_("发文机关已更新。此后签发的文书使用新的信息，已签发的文书不变。"), "success")
            return redirect(url_for("admin.issuer_list"))
    return render_template("admin/issuer_form.html", form=form, issuer=issuer), (
        422 if form.errors else 200
    )


# --- catalogue and parameters -----------------------------------------------------------


@bp.route("/parameters")
def parameters():  # noqa: ANN201
    return render_template(
        "admin/parameters.html",
        rows=admin_queries.all_parameters(),
        criteria_rows=admin_queries.expert_criteria_rows(),
    )


def _catalogue_page(
    upload: CatalogueUploadForm | None = None,
    *,
    changes: list[Any] | None = None,
    load_form: CatalogueLoadForm | None = None,
    problems: list[tuple[str, str]] | None = None,
    filename: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "admin/catalogue.html",
        form=upload or CatalogueUploadForm(formdata=None),
        changes=changes,
        load_form=load_form,
        problems=problems,
        filename=filename,
        versions=admin_queries.catalogue_versions(),
    ), status


def _refused(exc: CatalogueError, filename: str):  # noqa: ANN202
    return _catalogue_page(problems=exc.problems, filename=filename, status=422)


@bp.route("/catalogue", methods=["GET", "POST"])
def catalogue():  # noqa: ANN201
    form = CatalogueUploadForm()
    if not form.validate_on_submit():
        return _catalogue_page(form, status=422 if form.errors else 200)
    upload = form.file.data
    filename = PurePath(upload.filename or "catalogue.yaml").name[:200] or "catalogue.yaml"
    raw = upload.read(MAX_CATALOGUE_BYTES + 1)
    if len(raw) > MAX_CATALOGUE_BYTES:
        form.file.errors = [_("目录文件不能超过 2 MB。")]
        return _catalogue_page(form, status=413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = [_("文件不是 UTF-8 编码的文本，请另存为 UTF-8 后再上传。")]
        return _catalogue_page(form, status=422)
    try:
        changes = preview_catalogue(text, filename)
    except CatalogueError as exc:
        return _refused(exc, filename)
    load_form = CatalogueLoadForm(
        formdata=None,
        data={
            "content": base64.b64encode(text.encode()).decode(),
            "filename": filename,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        },
    )
    return _catalogue_page(changes=changes, load_form=load_form, filename=filename)


@bp.route("/catalogue/load", methods=["POST"])
def catalogue_load():  # noqa: ANN201
    form = CatalogueLoadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        text = base64.b64decode(form.content.data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        abort(400)
    if hashlib.sha256(text.encode()).hexdigest() != form.sha256.data:
        abort(400)
    filename = PurePath(form.filename.data).name
    try:
        report = load_catalogue_text(text, filename, by=_me())
    except CatalogueError as exc:
        return _refused(exc, filename)
    flash(report.summary(), "success")
    return redirect(url_for("admin.parameters"))
