"""The PDF renderer as a reader sees it: drawn with pypdfium2 and read back (text layer,
images, pixels), plus the line breaking and the font cache on their own.

Page PNGs are written to screenshots/pdf/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from zhongchuang.clock import Clock
from zhongchuang.documents import pdf
from zhongchuang.documents.pdf import (
    KNOWN_FONTS,
    NO_LINE_END,
    NO_LINE_START,
    PdfDocument,
    PdfSection,
    render,
    wrap_text,
)
from zhongchuang.errors import ServiceUnavailable

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots" / "pdf"
MM = 72 / 25.4  # PDF points per mm
#: Where text starts: the 18 mm margin and fpdf2's 1 mm cell padding.
TEXT_LEFT = 19 * MM
SCALE = 2.0  # pixels per PDF point in the PNGs

needs_font = pytest.mark.skipif(
    not any(Path(path).exists() for path, _family in KNOWN_FONTS) and not shutil.which("fc-match"),
    reason="no CJK font installed (apt install fonts-noto-cjk)",
)

NUMBER = "嘉科创〔2021〕12号"
RECIPIENT = "嘉兴某某科技有限公司"
ISSUER = "嘉兴市众创空间政策主管部门"
DATE = "二〇二一年三月十五日"
QR_URL = "https://zc.example.gov.cn/verify/letters/20210315-000123?sig=3f9a1c"
#: A long body paragraph: punctuation everywhere, numbers and brackets in between.
PARAGRAPH = (
    "经审查，你单位于2021年3月1日申报的众创空间认定事项，符合《嘉兴市人民政府办公室关于"
    "加快发展众创空间的若干意见》（嘉政办发〔2015〕90号）第三条、第四条规定的条件：场地面积"
    "不少于500平方米，入驻创业团队和企业不少于10家，具备公共服务、创业辅导、投融资对接等"
    "功能。经研究，现予以认定，并按规定给予一次性奖励；请你单位自收到本决定之日起，按照"
    "“边建设、边服务、边完善”的要求，持续做好运营管理，每年1月底前报送上一年度运营情况。"
)
ITEMS = [
    "营业执照副本复印件（加盖公章）；",
    "场地租赁合同或产权证明，合同剩余期限不少于两年，并附场地平面图及功能分区说明；",
    "入驻团队和企业名单。",
]


@pytest.fixture
def app():
    """A bare Flask app: the renderer reads its settings and the clock, nothing else."""
    from flask import Flask

    app = Flask("pdf-layout")
    app.extensions["zc_clock"] = Clock.from_value("2021-03-15")
    with app.app_context():
        yield app


def _letter(**overrides) -> PdfDocument:
    fields = {
        "title": "众创空间认定决定书",
        "subtitle": "依据《嘉兴市人民政府办公室关于加快发展众创空间的若干意见》",
        "number": NUMBER,
        "recipient": RECIPIENT,
        "qr_url": QR_URL,
        "seal": ISSUER,
        "body_size": 14,
        "sections": [
            PdfSection(rows=[("申报编号", "ZC-2021-000123"), ("申请人", RECIPIENT)]),
            PdfSection(paragraphs=[PARAGRAPH], indent=True),
            PdfSection("需补正事项", items=ITEMS),
            PdfSection("所依据的条款", paragraphs=[PARAGRAPH, PARAGRAPH], indent=True),
        ],
        "closing": [ISSUER, DATE],
    }
    fields.update(overrides)
    return PdfDocument(**fields)


class Page:
    """One page of a rendered PDF: its text, its characters with boxes, its pixels."""

    def __init__(self, page: pdfium.PdfPage, name: str) -> None:
        self.width, self.height = page.get_size()
        self.textpage = page.get_textpage()
        self.text = self.textpage.get_text_range()
        self.images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
        self.image = page.render(scale=SCALE).to_pil().convert("RGB")
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.png = SHOTS / f"{name}.png"
        self.image.save(self.png)
        self.chars = []  # (char, left, bottom, right, top, font size), PDF points
        for i in range(self.textpage.count_chars()):
            ch = self.textpage.get_text_range(i, 1)
            if not ch.strip():
                continue
            box = self.textpage.get_charbox(i, loose=True)
            size = pdfium_c.FPDFText_GetFontSize(self.textpage.raw, i)
            self.chars.append((ch, *box, size))

    def lines(self) -> list[list[tuple]]:
        """The characters grouped by line (the same loose box bottom), left to right."""
        rows: dict[int, list[tuple]] = {}
        for c in self.chars:
            rows.setdefault(round(c[2]), []).append(c)
        return [sorted(r, key=lambda c: c[1]) for _y, r in sorted(rows.items(), reverse=True)]

    def find(self, text: str) -> list[tuple]:
        """The characters of the first occurrence of ``text``."""
        joined = "".join(c[0] for c in self.chars)
        at = joined.index(text)
        return self.chars[at : at + len(text)]

    def red_box(self, region: tuple[float, float, float, float]) -> tuple[float, ...] | None:
        """Bounding box (PDF points, top-down) of seal-red pixels inside ``region``."""
        r, g, b = self.image.split()
        mask = ImageChops.multiply(
            ImageChops.multiply(
                r.point(lambda v: 255 if v > 150 else 0), g.point(lambda v: 255 if v < 110 else 0)
            ),
            b.point(lambda v: 255 if v < 110 else 0),
        )
        left, top, right, bottom = (round(v * SCALE) for v in region)
        box = mask.crop((left, top, right, bottom)).getbbox()
        if box is None:
            return None
        return tuple(
            v / SCALE + off for v, off in zip(box, (region[0], region[1]) * 2, strict=True)
        )


def _pages(data: bytes, name: str) -> list[Page]:
    doc = pdfium.PdfDocument(data)
    return [Page(doc[i], f"{name}-page{i + 1}") for i in range(len(doc))]


@pytest.fixture
def letter_pages(app):
    return _pages(render(_letter()), "letter")


@needs_font
def test_the_letter_reads_as_a_letter(letter_pages):
    first = letter_pages[0]
    lines = first.text.splitlines()
    assert NUMBER in lines
    assert f"{RECIPIENT}：" in lines
    every = "\n".join(p.text for p in letter_pages)
    assert "1．营业执照副本复印件" in every
    assert "2．场地租赁合同" in every
    assert "3．入驻团队和企业名单。" in every
    assert "•" not in every
    # The title is large and centred, the 文号 centred under it, the body at 14 pt.
    title = first.find("众创空间认定决定书")
    assert 20 <= title[0][5] <= 22.5
    number = first.find(NUMBER)
    centre = (number[0][1] + number[-1][3]) / 2
    assert abs(centre - first.width / 2) < 2 * MM
    assert number[0][4] < title[0][2]  # under the title
    body = first.find(PARAGRAPH[:10])
    assert body[0][5] == pytest.approx(14, abs=0.1)
    # 主送 at the left margin; the paragraph's first line indented by two characters.
    recipient = first.find(RECIPIENT + "：")
    assert abs(recipient[0][1] - TEXT_LEFT) < 1.5
    assert body[0][1] - TEXT_LEFT == pytest.approx(2 * 14, abs=2)


@needs_font
def test_long_paragraphs_have_no_gaps_and_no_orphaned_punctuation(letter_pages):
    flat = PARAGRAPH.replace(" ", "")
    checked = 0
    for page in letter_pages:
        for line in page.lines():
            text = "".join(c[0] for c in line)
            if len(text) < 8 or text not in flat:
                continue
            checked += 1
            for a, b in zip(line, line[1:], strict=False):
                assert b[1] - a[1] <= 1.5 * a[5], f"gap between {a[0]} and {b[0]} in {text}"
    assert checked >= 8  # three copies of the paragraph, several lines each
    for page in letter_pages:
        for line in page.text.splitlines():
            assert line.strip()[:1] not in "，。、；：？！）」』", line


@needs_font
def test_numbered_items_hang(letter_pages):
    page = next(p for p in letter_pages if "2．场地租赁合同" in p.text)
    lines = page.lines()
    texts = ["".join(c[0] for c in line) for line in lines]
    at = next(i for i, t in enumerate(texts) if t.startswith("2．"))
    assert not texts[at + 1].startswith("3．")  # the second item wraps
    text_start = lines[at][2][1]  # the first character after "2．"
    assert lines[at + 1][0][1] == pytest.approx(text_start, abs=1)
    assert lines[at][0][1] == pytest.approx(TEXT_LEFT, abs=1.5)


@needs_font
def test_every_page_has_the_qr_code_bottom_right(letter_pages):
    assert len(letter_pages) == 2
    for page in letter_pages:
        assert len(page.images) == 1
        left, bottom, right, top = page.images[0].get_bounds()
        assert right - left == pytest.approx(22 * MM, abs=1)
        assert top - bottom == pytest.approx(22 * MM, abs=1)
        assert right == pytest.approx(page.width - 18 * MM, abs=1)
        assert 18 * MM <= bottom <= 30 * MM  # inside the bottom margin's edge
        assert "扫码核验" in page.text
        caption = page.find("扫码核验")
        assert caption[0][4] <= bottom + 1  # under the code
        assert left <= caption[0][1]
        assert caption[-1][3] <= right


@needs_font
def test_the_seal_is_drawn_over_the_issuer_and_date(letter_pages):
    page = next(p for p in letter_pages if DATE in p.text)
    assert "电子印章" in page.text
    date = page.find(DATE)
    issuer = page.find(ISSUER)
    # The issuer centred over the date, the block right of the page's middle.
    date_x = (date[0][1] + date[-1][3]) / 2
    issuer_x = (issuer[0][1] + issuer[-1][3]) / 2
    assert abs(date_x - issuer_x) < 1.5
    assert date_x > page.width / 2
    # Red pixels: a ring of about 40 mm centred on the block, across both lines.
    top = page.height - issuer[0][4]
    region = (date_x - 30 * MM, top - 30 * MM, date_x + 30 * MM, top + 40 * MM)
    box = page.red_box(region)
    assert box is not None
    left, upper, right, lower = box
    assert right - left == pytest.approx(40 * MM, abs=2 * MM)
    assert lower - upper == pytest.approx(40 * MM, abs=2 * MM)
    assert (left + right) / 2 == pytest.approx(date_x, abs=1.5 * MM)
    date_y = page.height - (date[0][2] + date[0][4]) / 2
    issuer_y = page.height - (issuer[0][2] + issuer[0][4]) / 2
    assert upper < issuer_y < date_y < lower
    # ... and nowhere else on the page.
    other = page.red_box((0, region[1], page.width / 2 - 25 * MM, region[3]))
    assert other is None


@needs_font
def test_existing_documents_keep_their_look(app):
    doc = PdfDocument(
        title="申报摘要",
        subtitle="带动就业补贴 · ZC-2021-000123",
        sections=[
            PdfSection("基本信息", rows=[("申报编号", "ZC-2021-000123"), ("申请人", "陈小红")]),
            PdfSection("资格审查：符合条件", items=["【符合】申请人为高校毕业生（依据：第五条）"]),
        ],
    )
    (page,) = _pages(render(doc), "summary")
    assert page.images == []
    assert "1．【符合】申请人为高校毕业生（依据：第五条）" in page.text
    assert "•" not in page.text
    assert page.find("申报摘要")[0][5] == pytest.approx(17, abs=0.1)
    assert page.find("申报编号")[0][5] == pytest.approx(10.5, abs=0.1)
    assert page.red_box((0, page.height * 0.6, page.width, page.height)) is None


def _embedded_cff(data: bytes) -> CFFFontSet:
    at = data.index(b"/Subtype /CIDFontType0C")
    start = data.index(b"stream", at) + len(b"stream")
    start += 2 if data[start : start + 2] == b"\r\n" else 1
    end = data.index(b"endstream", start)
    raw = zlib.decompress(data[start:end].rstrip(b"\r\n"))
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(raw), None)
    return cff


@needs_font
def test_the_font_is_an_embedded_subset_with_the_faces_glyphs(app):
    choice = pdf.find_cjk_font()
    assert choice is not None
    data = render(_letter())
    base = re.search(rb"/BaseFont /(MPDFAA\+[^\s/>]+)", data)  # a subset, named as such
    assert base is not None
    assert b"/ToUnicode" in data
    loaded = pdf._loaded_font(choice)
    if loaded.cff is None:
        pytest.skip("the font is not a CID-keyed CFF face: fpdf2 subsets it")
    cff = _embedded_cff(data)
    assert cff.fontNames == [base.group(1).decode()]
    top = cff.topDictIndex[0]
    assert top.ROS == ("Adobe", "Identity", 0)
    assert 50 < len(top.charset) < 400  # the glyphs used, not the face's 65,535
    face = TTFont(choice.path, fontNumber=choice.index, lazy=True)
    glyphs = face["CFF "].cff.topDictIndex[0].CharStrings
    for name in top.charset:
        ours, theirs = RecordingPen(), RecordingPen()
        top.CharStrings[name].draw(ours)
        glyphs[name].draw(theirs)
        assert ours.value == theirs.value, name
        assert top.CharStrings[name].width == glyphs[name].width, name
    face.close()
    assert len(data) < 120_000


@needs_font
def test_the_face_is_loaded_once_per_process(app, monkeypatch):
    pdf.clear_font_cache()
    loads = []
    real = pdf._load_font

    def counting(choice):
        loads.append(choice)
        return real(choice)

    monkeypatch.setattr(pdf, "_load_font", counting)
    first = render(_letter())
    second = render(_letter(title="不予认定决定书"))
    assert len(loads) == 1
    assert len(pdf._LOADED) == 1
    assert "不予认定决定书" in _pages(second, "second")[0].text
    assert first != second


@needs_font
def test_without_the_fast_subset_the_text_is_the_same(app, monkeypatch):
    fast = [p.text for p in _pages(render(_letter()), "fast")]

    def refuse(self, face):
        raise ValueError("no")

    monkeypatch.setattr(pdf._CidCffSubset, "__init__", refuse)
    pdf.clear_font_cache()
    try:
        data = render(_letter())
        assert pdf._loaded_font(pdf.find_cjk_font()).cff is None
    finally:
        pdf.clear_font_cache()
    assert [p.text for p in _pages(data, "plain")] == fast


@needs_font
def test_documents_drawn_at_once_in_threads_come_out_whole(app):
    from concurrent.futures import ThreadPoolExecutor

    docs = [
        _letter(title=f"决定书第{n}号", recipient=f"申请人{n}", seal=None if n % 2 else ISSUER)
        for n in range(6)
    ]

    def texts(data: bytes) -> list[str]:
        doc = pdfium.PdfDocument(data)
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]

    alone = [texts(render(d)) for d in docs]

    def job(n: int) -> bytes:
        with app.app_context():
            return render(docs[n % 6])

    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(job, range(24)))
    # (read back here: pdfium itself is not for threads)
    assert [texts(data) for data in together] == [alone[n % 6] for n in range(24)]


def test_no_font_is_still_503(app):
    app.config["PDF_FONT_PATH"] = "/nonexistent/NoFont.ttc"
    with pytest.raises(ServiceUnavailable):
        render(_letter())


# --- line breaking, on its own -----------------------------------------------------------


def _one(text: str) -> float:
    """Every character one unit wide (a Latin letter half)."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


@pytest.mark.parametrize("mark", sorted("，。、；：？！）」』"))
def test_closing_punctuation_never_starts_a_line(mark):
    text = "一二三四五六七八九十" + mark + "十一十二十三"
    lines = wrap_text(text, 10, _one)
    assert all(line[0] not in NO_LINE_START for line in lines)
    assert lines[0] == "一二三四五六七八九"  # the 十 goes down with the mark
    assert lines[1].startswith("十" + mark)
    assert "".join(lines) == text


def test_opening_brackets_never_end_a_line():
    text = "一二三四五六七八九（十）"
    lines = wrap_text(text, 10, _one)
    assert lines == ["一二三四五六七八九", "（十）"]
    assert all(line[-1] not in NO_LINE_END for line in lines)


def test_words_and_numbers_stay_whole():
    assert wrap_text("编号ZC-2021-000123的申请", 8, _one) == ["编号", "ZC-2021-000123的", "申请"]
    assert wrap_text("at most 10 MB each", 5, _one) == ["at most 10", "MB each"]


def test_a_number_keeps_its_measure_word():
    lines = wrap_text("嘉政办发〔2015〕90号第三条", 9, _one)
    assert lines == ["嘉政办发〔2015〕", "90号第三条"]
    assert wrap_text("于2021年3月1日申报", 4, _one) == ["于2021年", "3月1日申", "报"]


def test_a_word_longer_than_the_line_is_split():
    lines = wrap_text("https://example.org/a/very/long/path", 6, _one)
    assert all(_one(line) <= 6 for line in lines)
    assert "".join(lines) == "https://example.org/a/very/long/path"


def test_first_line_width_and_newlines():
    lines = wrap_text("一二三四五六七八\n九十", 6, _one, first_width=4)
    assert lines == ["一二三四", "五六七八", "九十"]
    assert wrap_text("", 6, _one) == [""]


def test_ellipsis_and_dashes_are_not_split():
    lines = wrap_text("一二三四五……六七", 6, _one)
    assert "……" in "".join(line for line in lines if "…" in line)
    assert all(line.count("…") in (0, 2) for line in lines)


def test_a_png_of_the_letter_is_kept_for_people(letter_pages):
    for page in letter_pages:
        assert page.png.exists()
        with Image.open(page.png) as img:
            assert img.size == (round(page.width * SCALE), round(page.height * SCALE))
