"""The roster upload form (花名册上传): a file, checked by its content in the service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from zhongchuang.web.i18n import lazy_gettext as _l


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("花名册文件"),
        validators=[FileRequired(_l("请选择要上传的花名册文件。"))],
        description=_l(
            "CSV（UTF-8 或 GBK 编码）或 Excel（XLSX），表头用中文或英文列名均可。"
            "重新上传会整体替换原花名册。"
        ),
        render_kw={"accept": ".csv,.xlsx"},
    )
