"""Public forms: the objection form and the program self-check form (built from the
program's fields)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from zhongchuang.cases.form_fields import build_program_form
from zhongchuang.web.i18n import lazy_gettext as _l


class ProgressForm(FlaskForm):
    """办件进度查询: a GET form (it changes nothing), so no CSRF token."""

    class Meta:
        csrf = False

    number = StringField(
        _l("申报编号"),
        validators=[DataRequired(_l("请填写申报编号。")), Length(max=30)],
        description=_l("以 ZC 开头，见受理通知书或您的申报页面。"),
    )
    code = StringField(
        _l("查询码"),
        validators=[DataRequired(_l("请填写查询码。")), Length(max=10)],
        description=_l("6 位字母和数字，印在受理通知书上。"),
    )


class ObjectionForm(FlaskForm):
    application_id = SelectField(_l("对哪一件申报提出异议"), validators=[DataRequired()])
    contact_name = StringField(
        _l("您的真实姓名"),
        validators=[DataRequired(_l("请填写真实姓名，不受理匿名异议。")), Length(max=50)],
    )
    contact_phone = StringField(
        _l("联系电话"),
        validators=[DataRequired(_l("请填写联系电话。")), Length(max=30)],
        description=_l("仅用于核实，对申请人保密。"),
    )
    text = TextAreaField(
        _l("异议事实和理由"),
        validators=[DataRequired(_l("请写明异议的事实和理由。")), Length(max=5000)],
    )


def self_check_form(spec: Any) -> FlaskForm:
    return build_program_form(spec, prefix="check")()
