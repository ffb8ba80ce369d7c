"""PDF documents (application summaries, decision letters) drawn with fpdf2 and an
embedded CJK font.

Callers describe a document as plain sections (:class:`PdfDocument`); :func:`render`
draws it. The font is found at run time: the ``PDF_FONT_PATH`` setting when given (with
``PDF_FONT_INDEX`` for a collection), else fontconfig's choice for zh-CN, else a list of
common install paths (Debian's fonts-noto-cjk and fonts-wqy-microhei first). fpdf2 2.8
reads TrueType/OpenType collections (``.ttc``) through ``add_font(collection_font_number=)``;
for Noto Sans CJK the Simplified Chinese face is picked by its family name. Without a
usable font the answer is 503 "PDF 字体缺失", never a PDF full of boxes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF

from zhongchuang.errors import ServiceUnavailable
from zhongchuang.runtime import now, setting

log = logging.getLogger("zhongchuang.pdf")

FONT_MISSING = (
    "PDF 字体缺失：服务器未安装可用的中文字体（如 fonts-noto-cjk），暂时不能生成 PDF。"
    "您可以先使用网页的打印功能，或联系系统管理员。"
)
#: Characters a font must have to be used (a CJK font, not a Latin fallback).
PROBE_CHARS = "中申报众创"
#: (path, preferred family inside a collection) — tried in order after fontconfig.
KNOWN_FONTS: tuple[tuple[str, str | None], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", None),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None),
)
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int = 0


@dataclass
class PdfSection:
    """A heading followed by paragraphs, label/value rows, and/or a bulleted list."""

    heading: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass
class PdfDocument:
    title: str
    subtitle: str | None = None
    sections: list[PdfSection] = field(default_factory=list)
    #: Right-aligned closing lines (issuer, date) — for letters.
    closing: list[str] = field(default_factory=list)
    footer: str = "嘉兴市众创空间政策申报系统"


# --- the font ---------------------------------------------------------------------------

_FONT_CACHE: dict[tuple[str | None, int | None], FontChoice | None] = {}


def _faces(path: str) -> list[tuple[int, str, bool]]:
    """(index, family name, covers Chinese) for each face of a font file or collection."""

    out = []
    if path.lower().endswith((".ttc", ".otc")):
        with TTCollection(path, lazy=True) as collection:
            for i, face in enumerate(collection.fonts):
                out.append((i, *_describe(face)))
    else:
        with TTFont(path, lazy=True) as face:
            out.append((0, *_describe(face)))
    return out


def _describe(face: Any) -> tuple[str, bool]:
    cmap = face.getBestCmap() or {}
    name = str(face["name"].getDebugName(1) or "")
    return name, all(ord(ch) in cmap for ch in PROBE_CHARS)


def _face_index(path: str, family: str | None) -> int | None:
    """The face of a font file that covers Chinese (preferring ``family``); None if none."""
    try:
        usable = [(i, name) for i, name, ok in _faces(path) if ok]
    except Exception:
        log.warning("font %s unreadable", path, exc_info=True)
        return None
    if not usable:
        return None
    for i, name in usable:
        if family and name == family:
            return i
    for i, name in usable:  # Simplified Chinese faces first
        if name.endswith(" SC"):
            return i
    return usable[0][0]


def _fontconfig() -> list[tuple[str, int]]:
    exe = shutil.which("fc-match")
    if not exe:
        return []
    try:
        done = subprocess.run(  # noqa: S603 - fixed binary and arguments
            [exe, "-s", "-f", "%{file}|%{index}\\n", ":lang=zh-cn"],
            capture_output=True,
            timeout=10,
            check=True,
            text=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    out = []
    for line in done.stdout.splitlines()[:10]:
        path, _sep, index = line.partition("|")
        if path.lower().endswith(FONT_SUFFIXES):
            out.append((path, int(index) if index.isdigit() else 0))
    return out


def find_cjk_font() -> FontChoice | None:
    """The CJK font to embed, or None when the server has none."""
    configured = setting("PDF_FONT_PATH")
    cfg_index = setting("PDF_FONT_INDEX")
    key = (configured, cfg_index)
    if key in _FONT_CACHE:
        return _FONT_CACHE[key]
    choice: FontChoice | None = None
    if configured:
        path = str(configured)
        if Path(path).is_file() and path.lower().endswith(FONT_SUFFIXES):
            index = int(cfg_index) if cfg_index is not None else _face_index(path, None)
            choice = FontChoice(path, index) if index is not None else None
    else:
        for path, index in _fontconfig():
            if Path(path).is_file() and _covers(path, index):
                choice = FontChoice(path, index)
                break
        else:
            for path, family in KNOWN_FONTS:
                found = _face_index(path, family) if Path(path).is_file() else None
                if found is not None:
                    choice = FontChoice(path, found)
                    break
    _FONT_CACHE[key] = choice
    return choice


def _covers(path: str, index: int) -> bool:
    try:
        return any(i == index and ok for i, _name, ok in _faces(path))
    except Exception:  # noqa: BLE001
        return False


# --- drawing ----------------------------------------------------------------------------


def _pdf_class():  # noqa: ANN202 - fpdf is imported lazily (it is heavy)

    class _Pdf(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, f"{self.footer_text}    第 {self.page_no()} / {{nb}} 页", align="C")
            self.set_text_color(0, 0, 0)

    return _Pdf


def render(doc: PdfDocument) -> bytes:
    """The document as PDF bytes; ServiceUnavailable when no CJK font can be embedded."""
    font = find_cjk_font()
    if font is None:
        raise ServiceUnavailable(FONT_MISSING, code="pdf_font_missing")
    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    try:
        pdf.add_font("cjk", fname=font.path, collection_font_number=font.index)
    except Exception as exc:
        log.exception("cannot load font %s", font.path)
        raise ServiceUnavailable(FONT_MISSING, code="pdf_font_missing") from exc
    pdf.footer_text = doc.footer
    pdf.set_title(doc.title)
    pdf.set_author(doc.footer)
    pdf.set_creator(doc.footer)
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(now())
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("cjk", size=17)
    pdf.multi_cell(width, 10, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    if doc.subtitle:
        pdf.set_font("cjk", size=10)
        pdf.multi_cell(width, 6, doc.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in doc.sections:
        _section(pdf, section, width)
    if doc.closing:
        pdf.ln(8)
        pdf.set_font("cjk", size=11)
        for line in doc.closing:
            pdf.multi_cell(width, 7, line, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _section(pdf, section: PdfSection, width: float) -> None:  # noqa: ANN001
    if section.heading:
        pdf.ln(2)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(width, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(179, 38, 30)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(2)
    pdf.set_font("cjk", size=10.5)
    for para in section.paragraphs:
        pdf.multi_cell(width, 6.5, para, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    if section.rows:
        with pdf.table(
            col_widths=(34, 66),
            width=width,
            first_row_as_headings=False,
            line_height=6.5,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            padding=1.2,
        ) as table:
            for label, value in section.rows:
                row = table.row()
                row.cell(label)
                row.cell(value or "—")
        pdf.ln(2)
    for item in section.items:
        pdf.multi_cell(width, 6.5, f"• {item}", new_x="LMARGIN", new_y="NEXT")
    if section.items:
        pdf.ln(1.5)
