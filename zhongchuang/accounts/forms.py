"""Forms for login and registration: shape only (required, length, format).
Whether a credit code is valid and unique is the accounts service's answer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from zhongchuang.forms.choices import to_choices
from zhongchuang.policy.identity import JIAXING_DISTRICTS
from zhongchuang.web.i18n import lazy_gettext as _l

DISTRICT_CHOICES = to_choices(
    [("", _l("请选择"))] + [(k, f"{v}（{k}）") for k, v in JIAXING_DISTRICTS.items()]
)


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=64)]
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)]
    )


class LogoutForm(FlaskForm):
    pass


class _AccountFields(FlaskForm):
    username = StringField(
        _l("用户名"),
        validators=[DataRequired(_l("请填写用户名。")), Length(3, 64, _l("用户名为3至64位。"))],
        description=_l("字母、数字或 _ . @ -，用于登录。"),
    )
    password = PasswordField(
        _l("密码"),
        validators=[DataRequired(_l("请设置密码。")), Length(max=128)],
        description=_l("至少10位，须同时包含字母和数字。"),
    )
    password_again = PasswordField(
        _l("确认密码"),
        validators=[
            DataRequired(_l("请再次输入密码。")),
            EqualTo("password", _l("两次输入的密码不一致。")),
        ],
    )
    email = EmailField(
        _l("电子邮箱"),
        validators=[Optional(), Length(max=200)],
        description=_l("用于接收办理进度通知和找回密码。"),
    )


class OrganizationForm(_AccountFields):
    org_name = StringField(
        _l("单位全称"), validators=[DataRequired(_l("请填写单位全称。")), Length(max=200)]
    )
    credit_code = StringField(
        _l("统一社会信用代码"),
        validators=[DataRequired(_l("请填写统一社会信用代码。")), Length(max=30)],
        description=_l("18位，见营业执照。"),
    )
    org_kind = SelectField(
        _l("单位类型"),
        choices=to_choices(
            [
                ("", _l("请选择")),
                ("operator", _l("众创空间运营机构")),
                ("enterprise", _l("企业")),
            ]
        ),
        validators=[DataRequired(_l("请选择单位类型。"))],
    )
    enterprise_size = SelectField(
        _l("企业规模"),
        choices=to_choices(
            [
                ("", _l("不适用")),
                ("micro", _l("微型")),
                ("small", _l("小型")),
                ("medium", _l("中型")),
                ("large", _l("大型")),
            ]
        ),
        validators=[Optional()],
        description=_l("企业必填；按国家中小企业划型标准。"),
    )
    district = SelectField(
        _l("所在县（市、区）"),
        choices=DISTRICT_CHOICES,
        validators=[DataRequired(_l("请选择所在县（市、区）。"))],
    )
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=30)])


class PersonForm(_AccountFields):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=50)])
    id_number = StringField(
        _l("公民身份号码"),
        validators=[DataRequired(_l("请填写身份证号。")), Length(max=30)],
        description=_l("18位；加密保存，页面上只显示部分号码。"),
    )
    phone = StringField(
        _l("手机号"), validators=[DataRequired(_l("请填写手机号。")), Length(max=30)]
    )
