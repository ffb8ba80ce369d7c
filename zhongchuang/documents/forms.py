"""Forms of the documents area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from zhongchuang.web.i18n import lazy_gettext as _l


class VerifyForm(FlaskForm):
    file = FileField(
        _l("要核验的文书（PDF）"),
        validators=[FileRequired(_l("请选择要核验的 PDF 文件。"))],
        description=_l("上传您收到的文书 PDF：系统核对它是否由本系统签发、是否一字未改。"),
    )
