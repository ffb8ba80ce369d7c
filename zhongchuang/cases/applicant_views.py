"""The applicant's workspace (申报工作台): their cases, notifications, the programs open to
them today, and a new application."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from zhongchuang.accounts.views import apply_field_errors
from zhongchuang.cases import eligibility, policy_check, workspace
from zhongchuang.cases import engine as cases
from zhongchuang.cases.forms import draft_form_class
from zhongchuang.catalogue import queries as catalogue_queries
from zhongchuang.errors import Forbidden, ValidationFailed
from zhongchuang.messages import inbox
from zhongchuang.runtime import today
from zhongchuang.web.i18n import gettext as _

bp = Blueprint("applicant", __name__, template_folder="templates")


def _applicant() -> Any:
    user = current_user._get_current_object()
    if not user.has_role("applicant"):
        raise Forbidden(_("申报工作台仅供申请人使用。"))
    return user


@bp.route("/applicant", endpoint="cases")
@bp.route("/me", endpoint="cases")
@login_required
def cases_index():  # noqa: ANN201
    user = _applicant()
    return render_template(
        "applicant/cases.html",
        rows=workspace.my_cases(user),
        offers=workspace.offers(user),
        notes=inbox.list_for(user, limit=5),
        unread=inbox.unread_count(user),
        today=today(),
    )


@bp.route("/me/notifications")
@login_required
def notifications():  # noqa: ANN201
    user = current_user._get_current_object()
    return render_template(
        "applicant/notifications.html",
        notes=inbox.list_for(user),
        unread=inbox.unread_count(user),
        steps=inbox.applicant_steps(),
    )


@bp.route("/me/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):  # noqa: ANN201
    note = inbox.mark_read(current_user._get_current_object(), notification_id)
    if request.form.get("open") and note.application_id:
        return redirect(url_for("cases.show", case_id=note.application_id))
    return redirect(url_for("applicant.notifications"))


@bp.route("/me/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():  # noqa: ANN201
    n = inbox.mark_all_read(current_user._get_current_object())
    flash(_("已将 %(n)s 条消息标为已读。", n=n), "success")
    return redirect(url_for("applicant.notifications"))


@bp.route("/me/policy-check")
@login_required
def check():  # noqa: ANN201
    """政策体检: every program open today, judged on what the system holds."""
    user = _applicant()
    rows = policy_check.policy_check(user)
    counts = {s: sum(1 for r in rows if r.result.status == s) for s in policy_check.STATUSES}
    return render_template("applicant/policy_check.html", rows=rows, counts=counts, on=today())


@bp.route("/apply/<code>", methods=["GET", "POST"])
@login_required
def apply(code: str):  # noqa: ANN201
    user = _applicant()
    program = workspace.program_by_code(code)
    batch = workspace.check_may_apply(user, program)
    spec = eligibility.program_spec(program)
    form = draft_form_class(spec, catalogue_queries.maker_space_choices())()
    status = 200
    result = None
    if request.method == "GET" and request.args.get("prefill"):
        form.fill(policy_check.known_values(user, program))
    if request.method == "POST":
        if form.validate_on_submit():
            if request.form.get("do") == "check":
                result = eligibility.explain(user, program, form.values(), today())
            else:
                try:
                    case = cases.create_draft(user, program.code, form.values(), batch.id)
                except ValidationFailed as exc:
                    apply_field_errors(form, exc)
                    status = 422
                else:
                    flash(
                        _(
                            "草稿已保存（编号 %(n)s）。请上传申报材料，检查资格条件后提交。",
                            n=case.number,
                        ),
                        "success",
                    )
                    return redirect(url_for("cases.show", case_id=case.id))
        else:
            status = 422
    return (
        render_template(
            "cases/form.html",
            form=form,
            program=program,
            case=None,
            batch=batch,
            result=result,
            policy_id=program.policy_id,
            articles=workspace.article_refs(program),
            action_url=url_for("applicant.apply", code=program.code),
        ),
        status,
    )
