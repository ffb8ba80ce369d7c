"""材料清单 — a program's checklist for applicants: the program, its articles, what to fill,
which materials to attach (required or optional as of a day, and what decides it), the
accepted file types and the size limit. One :class:`PdfDocument`, drawn as a printable
page and as a PDF (``documents.pdf``)."""

from __future__ import annotations

from zhongchuang.cases.attachments import ALLOWED_TEXT, max_upload_bytes
from zhongchuang.catalogue.queries import ProgramView
from zhongchuang.documents.pdf import PdfDocument, PdfSection
from zhongchuang.policy.catalogue import FieldSpec
from zhongchuang.policy.materials import Material
from zhongchuang.web.i18n import gettext as _


def _type_labels() -> dict[str, str]:
    return {
        "string": _("文字"),
        "text": _("文字"),
        "integer": _("整数"),
        "decimal": _("数字"),
        "money": _("金额（元）"),
        "date": _("日期（YYYY-MM-DD）"),
        "month": _("月份（YYYY-MM）"),
        "boolean": _("是／否"),
        "enum": _("选择一项"),
        "credit_code": _("统一社会信用代码"),
        "district": _("所属县（市、区）"),
        "maker_space": _("已认定的众创空间"),
    }


def _field_row(f: FieldSpec, types: dict[str, str]) -> tuple[str, str]:
    need = _("必填") if f.required else _("选填")
    text = f"{need} · {types.get(f.type, f.type)}"
    if f.choices:
        text += "：" + "、".join(c.label for c in f.choices)
    if f.help:
        text += f"。{f.help}"
    return f.label, text


def material_status(m: Material) -> str:
    """必需 / 可选, and what decides it where it is not the catalogue."""
    text = _("必需") if m.required else _("可选")
    if m.by_parameter and not m.confirmed:
        text += _("（参数未经确认：是否必需暂由参数 %(name)s 决定）", name=m.required_by)
    elif m.by_parameter:
        text += _("（由参数 %(name)s 决定）", name=m.required_by)
    if m.help:
        text += f"。{m.help}"
    return text


def materials_document(view: ProgramView) -> PdfDocument:
    """The program's 材料清单 as of ``view.as_of`` (today)."""
    program, spec = view.program, view.spec
    types = _type_labels()
    as_of = view.as_of.isoformat() if view.as_of else "—"
    basis = "、".join(spec.articles)
    sections = [
        PdfSection(
            _("扶持事项"),
            rows=[
                (_("事项名称"), program.name),
                (_("政策依据"), f"{view.policy.doc_number} {basis}"),
                (_("清单日期"), as_of),
            ],
        ),
        PdfSection(
            _("政策条款"),
            paragraphs=[f"{a.path}　{' '.join(a.text.split())}" for a in view.articles],
        ),
        PdfSection(_("填报信息"), rows=[_field_row(f, types) for f in spec.fields]),
        PdfSection(
            _("申报材料"),
            rows=[(m.label, material_status(m)) for m in view.materials]
            or [(_("（无）"), _("本事项不需要上传材料。"))],
        ),
    ]
    limit_mb = max_upload_bytes() // (1024 * 1024)
    notes = [
        _(
            "接受 %(types)s 格式的文件（按文件内容识别），单个文件不超过 %(mb)s MB。",
            types=ALLOWED_TEXT,
            mb=limit_mb,
        ),
        _("缺少任何一项必需材料时不能提交申报；系统会一次列出全部缺少的材料和信息。"),
    ]
    if spec.roster:
        notes.append(_("另须上传花名册（CSV 或 XLSX，每人每月一行），系统逐行核验。"))
    if any(m.by_parameter and not m.confirmed for m in view.materials):
        notes.append(
            _("标注“参数未经确认”的材料要求未见于已公开的政策文本，系暂定，以主管部门确认为准。")
        )
    sections.append(PdfSection(_("文件要求"), items=notes))
    return PdfDocument(
        title=_("申报材料清单"),
        subtitle=f"{program.name} · {view.policy.doc_number} · {as_of}",
        sections=sections,
    )
