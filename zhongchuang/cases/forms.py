"""Forms of the case page: the application form (built from the program's fields), the
attachment upload, and the generic action form (reason, cited articles, amount, score,
payment reference, version) whose fields are shown only for actions that need them.

Shape only: whether a reason or an article is required is the workflow guards' answer.
The action and upload forms leave the CSRF check to ``CSRFProtect`` (every POST is
checked) because several of them share one page; their templates render the token.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from zhongchuang.cases.engine import ActionInput
from zhongchuang.cases.form_fields import build_program_form
from zhongchuang.web.i18n import lazy_gettext as _l
from zhongchuang.workflow.machine import SCORE_MAX, SCORE_MIN


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _decimal(text: str | None) -> Decimal | None:
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


def _whole(text: str) -> bool:
    """Whole points as typed: ASCII digits only, at most three."""
    return text.isascii() and text.isdigit() and len(text) <= 3


class ActionForm(FlaskForm):
    class Meta:
        csrf = False

    version = HiddenField()
    objection_id = HiddenField()
    reason = TextAreaField(
        _l("理由"),
        validators=[Optional(), Length(max=2000, message=_l("理由不超过2000字。"))],
        description=_l("请写明事实和理由，申请人将看到这段文字。"),
    )
    articles = MultiCheckboxField(_l("引用的政策条款"), choices=[], validate_choice=False)
    failed_rules = MultiCheckboxField(_l("未通过的审查规则"), choices=[], validate_choice=False)
    amount = StringField(
        _l("核定金额（元）"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "decimal"},
    )
    score = StringField(
        _l("评分（%(low)s–%(high)s）", low=SCORE_MIN, high=SCORE_MAX),
        validators=[Optional(), Length(max=3)],
        render_kw={"inputmode": "numeric"},
    )
    comment = TextAreaField(_l("评审意见"), validators=[Optional(), Length(max=2000)])
    opinion = TextAreaField(
        _l("审核意见"),
        validators=[Optional(), Length(max=2000, message=_l("审核意见不超过2000字。"))],
        description=_l("记入办理过程，申请人可以看到。"),
    )
    payment_reference = StringField(_l("拨付凭证号"), validators=[Optional(), Length(max=100)])
    #: 回避 (expert_score): declared, and confirmed in its own box.
    conflict_declared = BooleanField(_l("本人与该申报存在利害关系，申请回避"))
    conflict_confirm = BooleanField(
        _l("我确认回避：回避后不能再评审本案件，由市级审核人员另行指派专家。")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._raw = kwargs.get("formdata")
        #: 专家评审指标: errors per criterion code (shown next to its input).
        self.criterion_errors: dict[str, list[str]] = {}

    def _criterion_inputs(self) -> dict[str, str]:
        """The posted points per criterion (inputs named ``<action>-crit-<code>``)."""
        if self._raw is None:
            return {}
        lead = f"{self._prefix}crit-"
        return {
            key[len(lead) :]: str(self._raw.get(key) or "").strip()
            for key in self._raw
            if key.startswith(lead)
        }

    def criterion_value(self, code: str) -> str:
        """What was posted for a criterion (to show it again with the errors)."""
        return self._criterion_inputs().get(code, "")

    def criterion_total(self) -> int | None:
        """The total of the posted points (computed, never typed); None before posting."""
        points = [int(v) for v in self._criterion_inputs().values() if _whole(v)]
        return sum(points) if points else None

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for code, text in self._criterion_inputs().items():
            if text and not _whole(text):
                self.criterion_errors[code] = [str(_l("得分须为 0 至满分之间的整数。"))]
                ok = False
        return ok

    def validate_conflict_confirm(self, field: Any) -> None:
        if self.conflict_declared.data and not field.data:
            raise ValidationError(_l("请勾选确认回避。"))

    def validate_amount(self, field: Any) -> None:
        try:
            value = _decimal(field.data)
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(_l("请填写金额数字，如 12000.00。")) from exc
        if value is not None and (value < 0 or value != value.quantize(Decimal("0.01"))):
            raise ValidationError(_l("金额须为非负数，最多两位小数。"))

    def validate_score(self, field: Any) -> None:
        text = (field.data or "").strip()
        if text and (not text.isdigit() or not SCORE_MIN <= int(text) <= SCORE_MAX):
            raise ValidationError(
                _l("评分须为%(low)s至%(high)s的整数。", low=SCORE_MIN, high=SCORE_MAX)
            )

    def validate_version(self, field: Any) -> None:
        if field.data and not str(field.data).isdigit():
            raise ValidationError(_l("版本号无效，请刷新页面。"))

    def validate_objection_id(self, field: Any) -> None:
        if field.data and not str(field.data).isdigit():
            raise ValidationError(_l("异议编号无效。"))

    def set_choices(
        self, articles: list[tuple[str, str]], failed_rules: list[tuple[str, str]]
    ) -> None:
        self.articles.choices = articles
        self.failed_rules.choices = failed_rules

    def items(self, formdata: Any) -> list[dict[str, str]]:
        """一次性告知: the return's items, one per target the reviewer wrote a message for
        (inputs named ``<action>-item-<target>``), in the page's order."""
        if formdata is None:
            return []
        lead = f"{self._prefix}item-"
        out = []
        for key in formdata:
            if key.startswith(lead):
                message = " ".join(str(formdata.get(key) or "").split())
                if message:
                    out.append({"target": key[len(lead) :], "message": message[:500]})
        return out

    def to_input(self, formdata: Any = None) -> ActionInput:
        score = (self.score.data or "").strip()
        return ActionInput(
            version=int(self.version.data) if self.version.data else None,
            reason=(self.reason.data or "").strip() or None,
            articles=[a for a in self.articles.data or [] if a],
            failed_rules=[r for r in self.failed_rules.data or [] if r],
            amount=_decimal(self.amount.data),
            score=int(score) if score else None,
            comment=(self.comment.data or "").strip() or None,
            payment_reference=(self.payment_reference.data or "").strip() or None,
            objection_id=int(self.objection_id.data) if self.objection_id.data else None,
            opinion=(self.opinion.data or "").strip() or None,
            items=self.items(formdata),
            scores=self._scores(),
            conflict_declared=bool(self.conflict_declared.data),
        )

    def _scores(self) -> dict[str, int] | None:
        """专家评分: the criteria's points as posted (blank ones left for the guards to
        name); None when the form has no criteria (any other action, or 回避)."""
        inputs = self._criterion_inputs()
        if not inputs or self.conflict_declared.data:
            return None
        return {code: int(text) for code, text in inputs.items() if _whole(text)}


def action_form(
    action: str,
    *,
    version: int,
    articles: list[tuple[str, str]],
    failed_rules: list[tuple[str, str]],
    amount: Decimal | None = None,
    formdata: Any = None,
) -> ActionForm:
    """The form of one action; ``formdata`` None renders it fresh (articles preselected)."""
    if formdata is None:
        form = ActionForm(
            formdata=None,
            prefix=action,
            version=str(version),
            articles=[path for path, _label in articles],
            amount=f"{amount:.2f}" if amount is not None else "",
        )
    else:
        form = ActionForm(formdata=formdata, prefix=action)
    form.set_choices(articles, failed_rules)
    return form


class UploadForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("材料类别"), choices=[], validate_choice=False)
    file = FileField(_l("选择文件"))


def draft_form_class(spec: Any, maker_spaces: list[tuple[str, str]]) -> type[FlaskForm]:
    """The application form: the program's fields plus the case version (for edits)."""
    base: Any = build_program_form(spec, maker_spaces=maker_spaces)
    required = [f.name for f in spec.fields if f.required]

    class DraftForm(base):
        version = HiddenField()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Marked (*) as needed at submission; a draft may still be saved without them.
            for name in required:
                getattr(self, name).flags.required = True

    return DraftForm
