"""Forms of the documents area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from zhongchuang.web.i18n import lazy_gettext as _l


class VerifyForm(FlaskForm):
    file = FileField(
        _l("要核验的文书（PDF）"),
        validators=[FileRequired(_l("请选择要核验的 PDF 文件。"))],
        description=_l("上传您收到的文书 PDF：系统核对它是否由本系统签发、是否一字未改。"),
    )


class ReissueForm(FlaskForm):
    reason = TextAreaField(
        _l("重新签发的理由"),
        validators=[DataRequired(_l("请写明重新签发的理由。")), Length(max=500)],
        description=_l("原文书作废（标注“已被取代”），新文书取新的文号，记入审计日志。"),
    )
