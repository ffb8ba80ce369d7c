"""Forms of the administration pages: shape only. Whether a role needs a district, a
budget covers what is held, or a catalogue file is valid is the services' answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from zhongchuang.accounts.forms import DISTRICT_CHOICES
from zhongchuang.forms.choices import to_choices as options
from zhongchuang.models import ROLES
from zhongchuang.web.i18n import lazy_gettext as _l
from zhongchuang.workflow import machine

ROLE_LABELS = {role: _l(label) for role, label in machine.ROLE_LABELS.items()}


STAFF_DISTRICT_CHOICES = [
    ("", _l("不绑定（市级角色）")),
    ("330400", _l("嘉兴市（市本级）")),
    *DISTRICT_CHOICES[1:],
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def iso_date(form: Any, field: Any) -> None:
    """A date as YYYY-MM-DD (the browser's date input sends that)."""
    if isinstance(field.data, date):
        return
    raw = (field.data or "").strip()
    if not raw:
        field.data = None
        return
    try:
        field.data = date.fromisoformat(raw)
    except ValueError:
        field.data = None
        raise ValidationError(_l("日期格式应为 年-月-日，例如 2021-03-15。")) from None


def money(form: Any, field: Any) -> None:
    if isinstance(field.data, Decimal):
        return
    raw = (field.data or "").replace(",", "").replace("，", "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_l("请填写金额（元），例如 100000.00。")) from None
    if not value.is_finite():
        raise ValidationError(_l("请填写金额（元），例如 100000.00。"))
    field.data = value


def year(form: Any, field: Any) -> None:
    if isinstance(field.data, int):
        return
    raw = (field.data or "").strip()
    if not raw.isdigit() or len(raw) != 4:
        raise ValidationError(_l("年度为四位数字，例如 2021。"))
    field.data = int(raw)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class UserCreateForm(FlaskForm):
    username = StringField(
        _l("用户名"),
        validators=[DataRequired(_l("请填写用户名。")), Length(3, 64, _l("用户名为3至64位。"))],
        description=_l("字母、数字或 _ . @ -，用于登录。"),
    )
    display_name = StringField(
        _l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=100)]
    )
    email = EmailField(
        _l("电子邮箱"),
        validators=[Optional(), Length(max=200)],
        description=_l("用于找回密码。"),
    )
    roles = MultiCheckboxField(
        _l("角色"),
        choices=options((r, ROLE_LABELS[r]) for r in ROLES if r != "applicant"),
        validators=[DataRequired(_l("请至少选择一个角色。"))],
        description=_l("一个账号可以同时担任多个角色。"),
    )
    district = SelectField(
        _l("所属区划"),
        choices=options(STAFF_DISTRICT_CHOICES),
        validators=[Optional()],
        description=_l("县级审核员必须绑定一个县（市、区）。"),
    )
    password = PasswordField(
        _l("初始密码"),
        validators=[DataRequired(_l("请设置初始密码。")), Length(max=128)],
        description=_l("至少10位，须同时包含字母和数字；请线下告知本人并提醒其修改。"),
    )
    password_again = PasswordField(
        _l("确认密码"),
        validators=[
            DataRequired(_l("请再次输入密码。")),
            EqualTo("password", _l("两次输入的密码不一致。")),
        ],
    )


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField(
        _l("角色"),
        choices=options((r, ROLE_LABELS[r]) for r in ROLES),
        validators=[DataRequired(_l("请至少选择一个角色。"))],
    )
    district = SelectField(
        _l("所属区划"), choices=options(STAFF_DISTRICT_CHOICES), validators=[Optional()]
    )


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("查找"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("角色"),
        choices=options([("", _l("全部"))] + [(r, ROLE_LABELS[r]) for r in ROLES]),
        validators=[Optional()],
    )
    active = SelectField(
        _l("状态"),
        choices=options([("", _l("全部")), ("1", _l("在用")), ("0", _l("已停用"))]),
        validators=[Optional()],
    )


class _CorrectionFields(FlaskForm):
    reason = TextAreaField(
        _l("更正理由"),
        validators=[DataRequired(_l("请写明更正理由。")), Length(max=500)],
        description=_l("写明所核对的证件或文书，例如“经核对营业执照原件”。将记入审计日志。"),
    )


class PersonCorrectionForm(_CorrectionFields):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=50)])
    id_number = StringField(
        _l("公民身份号码"),
        validators=[Optional(), Length(max=30)],
        description=_l("不更正号码时留空；填写时将重新校验并加密保存。"),
    )


class OrganizationCorrectionForm(_CorrectionFields):
    name = StringField(
        _l("单位全称"), validators=[DataRequired(_l("请填写单位全称。")), Length(max=200)]
    )
    credit_code = StringField(
        _l("统一社会信用代码"),
        validators=[Optional(), Length(max=30)],
        description=_l("不更正代码时留空；所在县（市、区）随代码中的登记地更新。"),
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    case = StringField(
        _l("案件"), validators=[Optional(), Length(max=30)], description=_l("申报编号或案件号")
    )
    actor = StringField(_l("操作人"), validators=[Optional(), Length(max=64)])
    kind = SelectField(_l("类别"), choices=options([("", _l("全部"))]), validators=[Optional()])
    date_from = StringField(_l("起始日期"), validators=[iso_date], render_kw={"type": "date"})
    date_to = StringField(_l("截止日期"), validators=[iso_date], render_kw={"type": "date"})
    event = StringField(_l("事件编号"), validators=[Optional(), Length(max=12)])

    def validate_event(self, field: Any) -> None:
        raw = (field.data or "").strip()
        if raw and not raw.isdigit():
            raise ValidationError(_l("事件编号为数字。"))


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("状态"),
        choices=options(
            [
                ("", _l("全部")),
                ("pending", _l("待发送")),
                ("sent", _l("已发送")),
                ("kept", _l("已保存（未配置邮件服务器）")),
                ("failed", _l("发送失败")),
            ]
        ),
        validators=[Optional()],
    )


def _opens_on() -> StringField:
    return StringField(
        _l("申报开始日期"),
        validators=[DataRequired(_l("请填写开始日期。")), iso_date],
        render_kw={"type": "date"},
    )


def _closes_on() -> StringField:
    return StringField(
        _l("申报截止日期"),
        validators=[DataRequired(_l("请填写截止日期。")), iso_date],
        render_kw={"type": "date"},
    )


def _budget(**kwargs: Any) -> StringField:
    return StringField(
        _l("预算（元）"),
        validators=[DataRequired(_l("请填写预算。")), money],
        render_kw={"inputmode": "decimal"},
        **kwargs,
    )


class BatchForm(FlaskForm):
    program = SelectField(
        _l("扶持事项"), choices=options([]), validators=[DataRequired(_l("请选择扶持事项。"))]
    )
    name = StringField(
        _l("批次名称"),
        validators=[Optional(), Length(max=200)],
        description=_l("留空时按“年度 + 事项名称”命名。"),
    )
    year = StringField(_l("年度"), validators=[DataRequired(_l("请填写年度。")), year])
    opens_on = _opens_on()
    closes_on = _closes_on()
    budget = _budget()


class BatchEditForm(FlaskForm):
    name = StringField(_l("批次名称"), validators=[Optional(), Length(max=200)])
    opens_on = _opens_on()
    closes_on = _closes_on()
    budget = _budget(description=_l("不能低于已占用（已核定待拨付与已拨付之和）的金额。"))


class CatalogueUploadForm(FlaskForm):
    file = FileField(
        _l("政策目录文件（YAML）"),
        validators=[FileRequired(_l("请选择要上传的目录文件。"))],
        description=_l("上传后先预览对待办案件的影响，确认后再载入。"),
    )


class CatalogueLoadForm(FlaskForm):
    content = HiddenField(validators=[DataRequired()])
    filename = HiddenField(validators=[DataRequired(), Length(max=300)])
    sha256 = HiddenField(validators=[DataRequired(), Length(64, 64)])


class IssuerForm(FlaskForm):
    """发文机关: what an administrator may correct (the level and district stay)."""

    name = StringField(
        _l("机关名称"), validators=[DataRequired(_l("请填写机关名称。")), Length(max=200)]
    )
    short_name = StringField(
        _l("机关代字"),
        validators=[DataRequired(_l("请填写机关代字。")), Length(max=40)],
        description=_l("文号以此开头，如“嘉科创”→ 嘉科创〔2021〕12号；各机关不得相同。"),
    )
    reconsideration_body = StringField(
        _l("行政复议机关"),
        validators=[DataRequired(_l("请填写行政复议机关。")), Length(max=200)],
    )
    litigation_court = StringField(
        _l("行政诉讼法院"),
        validators=[DataRequired(_l("请填写行政诉讼法院。")), Length(max=200)],
    )
    source = TextAreaField(_l("来源说明"), validators=[Optional(), Length(max=2000)])
    confirmed = BooleanField(_l("已由公开文本或主管部门确认"))
