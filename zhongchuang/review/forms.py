"""Reviewer workspace forms: shape only. Who may do what is the engine's answer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from zhongchuang.forms.choices import QuickSelect
from zhongchuang.forms.choices import to_choices as options
from zhongchuang.policy.identity import JIAXING_CITY, JIAXING_DISTRICTS
from zhongchuang.web.i18n import lazy_gettext as _l
from zhongchuang.workflow import machine
from zhongchuang.workflow.calendar import NOTICE_DAYS_MAX

SORT_CHOICES = [
    ("due", _l("到期日（最早在前）")),
    ("-submitted", _l("提交日期（最新在前）")),
    ("submitted", _l("提交日期（最早在前）")),
    ("-amount", _l("金额（从高到低）")),
    ("amount", _l("金额（从低到高）")),
    ("number", _l("申报编号")),
]
RULING_CHOICES = [("dismiss", _l("异议不成立")), ("uphold", _l("异议成立"))]
ROLE_LABELS = {role: _l(label) for role, label in machine.QUEUE_LABELS.items()}
#: 视图 of the queue (``review.queues.VIEWS``).
VIEW_LABELS = {
    "waiting": _l("待办"),
    "done": _l("已办"),
    "all": _l("全部"),
    "overdue": _l("超期"),
    "due_soon": _l("即将超期"),
}


def district_choices() -> list[SelectChoice]:
    return options(
        [("", _l("全部"))]
        + [(k, v) for k, v in JIAXING_DISTRICTS.items()]
        + [(JIAXING_CITY, _l("市本级"))]
    )


class QueueFilterForm(FlaskForm):
    """The queue's filters (a GET form: no CSRF token, nothing changes)."""

    class Meta:
        csrf = False

    role = SelectField(_l("队列"), widget=QuickSelect(), validators=[Optional()])
    program = SelectField(_l("扶持事项"), widget=QuickSelect(), validators=[Optional()])
    state = SelectField(_l("状态"), widget=QuickSelect(), validators=[Optional()])
    district = SelectField(_l("县（市、区）"), widget=QuickSelect(), validators=[Optional()])
    batch = SelectField(_l("申报批次"), widget=QuickSelect(), validators=[Optional()])
    submitted_from = DateField(_l("提交日期自"), validators=[Optional()])
    submitted_to = DateField(_l("至"), validators=[Optional()])
    amount_min = DecimalField(
        _l("金额不低于（元）"),
        places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("金额不能为负数。"))],
    )
    amount_max = DecimalField(
        _l("金额不高于（元）"),
        places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("金额不能为负数。"))],
    )
    q = StringField(
        _l("编号或申请人"), validators=[Optional(), Length(max=100, message=_l("最多100字。"))]
    )
    overdue = BooleanField(_l("只看超期"))
    view = SelectField(
        _l("视图"),
        choices=options([(v, label) for v, label in VIEW_LABELS.items()]),
        default="waiting",
        widget=QuickSelect(),
        validators=[Optional()],
    )
    sort = SelectField(
        _l("排序"),
        choices=options(SORT_CHOICES),
        default="due",
        widget=QuickSelect(),
        validators=[Optional()],
    )
    cursor = HiddenField()


class BatchActionForm(FlaskForm):
    action = SelectField(_l("批量操作"), choices=options([("accept", _l("受理"))]))
    selected = SelectMultipleField(_l("选择"), validate_choice=False)


class PublishForm(FlaskForm):
    selected = SelectMultipleField(_l("拟公示的申报"), validate_choice=False)
    working_days = IntegerField(
        _l("公示期（工作日）"),
        validators=[
            InputRequired(_l("请填写公示期天数。")),
            NumberRange(
                1,
                NOTICE_DAYS_MAX,
                _l("公示期须为1至%(max)s个工作日。", max=NOTICE_DAYS_MAX),
            ),
        ],
    )
    title = StringField(
        _l("公示标题"),
        validators=[Optional(), Length(max=300, message=_l("标题最多300字。"))],
        description=_l("留空则使用默认标题。"),
    )
    # Which button was pressed (计算公示期 / 确认发布) comes from the button's own name="op";
    # a hidden field of that name would shadow it.


class RulingForm(FlaskForm):
    decision = SelectField(
        _l("处理结果"),
        choices=options(RULING_CHOICES),
        validators=[DataRequired(_l("请选择处理结果。"))],
    )
    reason = TextAreaField(
        _l("理由"),
        validators=[DataRequired(_l("请填写理由。")), Length(max=2000, message=_l("最多2000字。"))],
    )
    articles = StringField(
        _l("引用条款"),
        validators=[Optional(), Length(max=200)],
        description=_l("如 四(一)，多条以逗号分隔；异议成立时必填。"),
    )
    version = IntegerField(validators=[Optional()])


class AssignExpertsForm(FlaskForm):
    experts = SelectMultipleField(_l("指派专家"), coerce=int, validate_choice=False)


class DisburseForm(FlaskForm):
    payment_reference = StringField(
        _l("支付凭证号"),
        validators=[
            DataRequired(_l("请填写支付凭证号。")),
            Length(max=100, message=_l("最多100字。")),
        ],
    )
    version = IntegerField(validators=[Optional()])


class ExportForm(FlaskForm):
    """The export's filters (GET: a download changes nothing but the audit trail)."""

    class Meta:
        csrf = False

    program = SelectField(_l("扶持事项"), validators=[Optional()])
    state = SelectField(
        _l("状态"),
        choices=options(
            [("", _l("核准及已拨付")), ("approved", _l("核准")), ("disbursed", _l("已拨付"))]
        ),
        validators=[Optional()],
    )
    district = SelectField(_l("县（市、区）"), validators=[Optional()])
    year = IntegerField(_l("申报年度"), validators=[Optional(), NumberRange(2015, 2100)])
