"""Pages of one's own account: profile and contact data, password change, password
recovery, and an organisation's members and invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from zhongchuang.accounts import members, passwords, profiles
from zhongchuang.accounts.account_forms import (
    AcceptInvitationForm,
    ContactForm,
    ForgotPasswordForm,
    InviteForm,
    PasswordChangeForm,
    PasswordResetForm,
)
from zhongchuang.accounts.views import apply_field_errors, start_session
from zhongchuang.admin.forms import ActionForm
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import limiter
from zhongchuang.web.i18n import gettext as _

bp = Blueprint("account", __name__, template_folder="templates")


def _me():  # noqa: ANN202
    return current_user._get_current_object()


def _reset_rate() -> str:
    return current_app.config.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():  # noqa: ANN201
    user = _me()
    editable = profiles.editable_contact_fields(user)
    contact = profiles.current_contact(user)
    form = ContactForm(
        data={"phone": contact.phone, "email": contact.email, "address": contact.address}
    )
    if form.validate_on_submit():
        try:
            profiles.update_contact(
                user,
                profiles.Contact(
                    phone=form.phone.data if "phone" in editable else None,
                    email=form.email.data,
                    address=form.address.data if "address" in editable else None,
                ),
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(_("联系信息已保存。"), "success")
            return redirect(url_for("account.profile"))
    status = 422 if form.errors else 200
    return render_template("account/profile.html", user=user, form=form, editable=editable), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # noqa: ANN201
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = passwords.change_password(
                _me(), form.current_password.data, form.new_password.data
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            login_user(user)  # this session goes on; every other one has ended
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("account.profile"))
    status = 422 if form.errors else 200
    return render_template("account/password.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_rate, methods=["POST"])
def forgot_password():  # noqa: ANN201
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.request_reset(
            form.identifier.data,
            link_for=lambda token: url_for("account.reset_password", token=token, _external=True),
        )
        # The same page whether or not the account exists.
        return render_template("account/forgot_sent.html")
    status = 422 if form.errors else 200
    return render_template("account/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_rate, methods=["POST"])
def reset_password(token: str):  # noqa: ANN201
    passwords.check_reset_link(token)  # a used or expired link: refused before the form
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            passwords.reset_password(token, form.new_password.data)
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(_("密码已重设，请用新密码登录。"), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("account/reset.html", form=form), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):  # noqa: ANN201
    invitation = members.invitation_for_token(token)
    organization = members.organization_of(invitation).name
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = members.accept_invitation(
                token,
                members.MemberRegistration(
                    username=form.username.data.strip(),
                    password=form.password.data,
                    display_name=form.display_name.data,
                ),
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            start_session(user)
            flash(_("注册成功，您已加入“%(org)s”。", org=organization), "success")
            return redirect(url_for("main.home"))
    status = 422 if form.errors else 200
    return render_template(
        "account/invitation.html", form=form, invitation=invitation, organization=organization
    ), status


@bp.route("/account/members", methods=["GET", "POST"])
@login_required
def members_page():  # noqa: ANN201
    owner = _me()
    form = InviteForm()
    issued = None
    if form.validate_on_submit():
        try:
            issued = members.create_invitation(
                owner,
                form.email.data,
                link_for=lambda token: url_for(
                    "account.accept_invitation", token=token, _external=True
                ),
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            form = InviteForm(formdata=None)
    return render_template(
        "account/members.html",
        form=form,
        action_form=ActionForm(),
        issued=issued,
        members=members.members_of(owner),
        invitations=members.open_invitations(owner),
    ), (422 if form.errors else 200)


@bp.route("/account/members/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_member(user_id: int):  # noqa: ANN201
    if ActionForm().validate_on_submit():
        member = members.remove_member(_me(), user_id)
        flash(_("已移除成员 %(name)s，其账号已停用。", name=member.username), "success")
    return redirect(url_for("account.members_page"))


@bp.route("/account/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(invitation_id: int):  # noqa: ANN201
    if ActionForm().validate_on_submit():
        members.revoke_invitation(_me(), invitation_id)
        flash(_("邀请已撤回。"), "success")
    return redirect(url_for("account.members_page"))
