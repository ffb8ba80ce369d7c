"""Forms of one's own account: contact data, password, recovery, organisation members."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from zhongchuang.web.i18n import lazy_gettext as _l

NEW_PASSWORD_HELP = _l("至少10位，须同时包含字母和数字，不能包含用户名。")


class ContactForm(FlaskForm):
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=30)])
    email = EmailField(
        _l("电子邮箱"),
        validators=[Optional(), Length(max=200)],
        description=_l("用于接收办理进度通知和找回密码。"),
    )
    address = StringField(_l("联系地址"), validators=[Optional(), Length(max=300)])


class _NewPassword(FlaskForm):
    new_password = PasswordField(
        _l("新密码"),
        validators=[DataRequired(_l("请输入新密码。")), Length(max=128)],
        description=NEW_PASSWORD_HELP,
    )
    new_password_again = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码。")),
            EqualTo("new_password", _l("两次输入的新密码不一致。")),
        ],
    )


class PasswordChangeForm(_NewPassword):
    current_password = PasswordField(
        _l("当前密码"), validators=[DataRequired(_l("请输入当前密码。")), Length(max=128)]
    )


class PasswordResetForm(_NewPassword):
    pass


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(
        _l("用户名或电子邮箱"),
        validators=[DataRequired(_l("请输入用户名或注册时填写的电子邮箱。")), Length(max=200)],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("被邀请人的电子邮箱"),
        validators=[DataRequired(_l("请填写被邀请人的电子邮箱。")), Length(max=200)],
        description=_l("邀请链接将发送到该邮箱，有效期内只能使用一次。"),
    )


class AcceptInvitationForm(FlaskForm):
    display_name = StringField(
        _l("姓名"), validators=[DataRequired(_l("请填写您的姓名。")), Length(max=50)]
    )
    username = StringField(
        _l("用户名"),
        validators=[DataRequired(_l("请填写用户名。")), Length(3, 64, _l("用户名为3至64位。"))],
        description=_l("字母、数字或 _ . @ -，用于登录。"),
    )
    password = PasswordField(
        _l("密码"),
        validators=[DataRequired(_l("请设置密码。")), Length(max=128)],
        description=NEW_PASSWORD_HELP,
    )
    password_again = PasswordField(
        _l("确认密码"),
        validators=[
            DataRequired(_l("请再次输入密码。")),
            EqualTo("password", _l("两次输入的密码不一致。")),
        ],
    )
