"""PDF documents (application summaries, decision letters) drawn with fpdf2 and an
embedded CJK font.

Callers describe a document as plain sections (:class:`PdfDocument`); :func:`render`
draws it. The font is found at run time: the ``PDF_FONT_PATH`` setting when given (with
``PDF_FONT_INDEX`` for a collection), else fontconfig's choice for zh-CN, else a list of
common install paths (Debian's fonts-noto-cjk and fonts-wqy-microhei first). fpdf2 2.8
reads TrueType/OpenType collections (``.ttc``) through ``add_font(collection_font_number=)``;
for Noto Sans CJK the Simplified Chinese face is picked by its family name. Without a
usable font the answer is 503 "PDF 字体缺失", never a PDF full of boxes.

Speed. Parsing a CJK face (Noto Sans CJK has 65,535 glyphs) and letting fpdf2/fontTools
subset it cost about 0.4 s per document. So the face is parsed once per process
(:func:`_loaded_font`, keyed by path, face index, mtime and size) and each document gets a
light copy of fpdf2's font object with its own used-glyph map. At output, for a CID-keyed
CFF face (Noto CJK, Source Han) the document's font is a small OpenType font holding only
the glyphs it uses, its CFF written by :class:`_CidCffSubset` from the parsed face (each
glyph's charstring desubroutinized once and kept; CIDs, widths, hints and private dicts as
in the face), which fpdf2's subsetting step passes by (:class:`_ReadyCff`). Other fonts
(TrueType outlines such as WenQuanYi) are opened afresh per document and subset by fpdf2
as before. The text stays real text (ToUnicode), the font is embedded as a subset.

Layout, in the spirit of GB/T 9704 (党政机关公文格式) as far as a letter needs: title centred
and larger, 文号 centred under it, 主送 left-aligned before the body, paragraphs left-aligned
with an optional two-character first-line indent, numbered items with a hanging indent,
closing (issuer, date) right-aligned; optionally a verification QR code on every page and
the place of the seal (a red circle over the issuer and date — the legal seal is the
digital signature). Lines are broken by :func:`wrap_text`, which keeps closing
punctuation off the start of a line and opening brackets off its end (避头尾).
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import math
import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qrcode
from fontTools.cffLib.transforms import desubroutinizeCharString
from fontTools.misc.psCharStrings import T2CharString
from fontTools.ttLib import TTCollection, TTFont, newTable
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables.C_F_F_ import table_C_F_F_
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import OutputProducer

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

#: The seal's red (GB/T 9704: 印章用红色) and the red of the rule under the 文号.
SEAL_RED = (200, 30, 30)
#: Side of the verification QR code, in mm, and the caption under it.
QR_SIZE = 22.0
QR_CAPTION = "扫码核验"
SEAL_DIAMETER = 40.0
SEAL_WORDS = "电子印章"

MARGIN = 18.0
PT = 25.4 / 72  # mm per point


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int = 0


@dataclass
class PdfSection:
    """A heading followed by paragraphs, label/value rows, and/or a numbered list."""

    heading: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    #: Drawn numbered "1．", "2．" with a hanging indent.
    items: list[str] = field(default_factory=list)
    #: Indent the first line of each paragraph by two characters (body text of letters).
    indent: bool = False


@dataclass
class PdfDocument:
    title: str
    subtitle: str | None = None
    sections: list[PdfSection] = field(default_factory=list)
    #: Right-aligned closing lines (issuer, date) — for letters.
    closing: list[str] = field(default_factory=list)
    footer: str = "嘉兴市众创空间政策申报系统"
    #: 文号, e.g. "嘉科创〔2021〕12号": centred under the title.
    number: str | None = None
    #: 主送: drawn left-aligned as "{recipient}：" before the body sections.
    recipient: str | None = None
    #: A verification address: its QR code on every page, bottom right, "扫码核验" under it.
    qr_url: str | None = None
    #: The issuer's name: the place of the seal (a red circle with the name) is drawn over
    #: the closing lines. It marks where the seal is; the legal seal is the signature.
    seal: str | None = None
    #: Body text size in points (letters: 14–15; summaries and lists keep 10.5).
    body_size: float = 10.5


# --- finding the font -------------------------------------------------------------------

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
    """Whether face ``index`` of the file covers Chinese (reads that face only)."""
    try:
        if path.lower().endswith((".ttc", ".otc")):
            with TTCollection(path, lazy=True) as collection:
                return index < len(collection.fonts) and _describe(collection.fonts[index])[1]
        return index == 0 and _faces(path)[0][2]
    except Exception:  # noqa: BLE001
        return False


# --- the font, loaded once per process --------------------------------------------------


class _LoadedFont:
    """One face, parsed once: fpdf2's font object (metrics, cmap) to copy per document,
    and for a CID-keyed CFF face the glyph store the documents' subsets are written from."""

    def __init__(self, choice: FontChoice) -> None:
        self.choice = choice
        holder = FPDF()
        holder.add_font("cjk", fname=choice.path, collection_font_number=choice.index)
        template = holder.fonts["cjk"]
        assert isinstance(template, TTFFont)
        self.template = template
        self.cff: _CidCffSubset | None = None
        if template.is_cff and template.is_cid_keyed and "CFF " in template.ttfont:
            try:
                self.cff = _CidCffSubset(template.ttfont)
            except Exception:  # noqa: BLE001 - an unusual CFF: subset by fpdf2 as before
                log.warning("font %s: CFF not prepared, subsetting per document", choice.path)
        if self.cff is None:
            template.ttfont.close()  # each document opens its own
        # (else the face was closed once read: no file stays open)

    def font_for(self, pdf: FPDF) -> TTFFont:
        """A copy of the font object for one document: shared metrics, its own glyph map."""
        t = self.template
        font = TTFFont.__new__(TTFFont)
        for slot in TTFFont.__slots__:
            if hasattr(t, slot):
                setattr(font, slot, getattr(t, slot))
        font.i = len(pdf.fonts) + 1
        font.desc = copy.copy(t.desc)  # fpdf2 writes the object's id and file into it
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.ttfont = None if self.cff is not None else self.open_face()
        font.subset = SubsetMap(font)
        return font

    def open_face(self) -> TTFont:
        return TTFont(
            self.choice.path,
            recalcTimestamp=False,
            fontNumber=self.choice.index,
            lazy=True,
        )

    def prepare_output(self, font: TTFFont) -> None:
        """Give the document's font the glyphs it used, just before fpdf2 writes it."""
        if self.cff is None:
            return
        glyphs = [(g.glyph_name, g.unicode) for g, _code in font.subset.items() if g is not None]
        try:
            font.ttfont = self.cff.font_with(glyphs, f"MPDFAA+{font.name}")
        except Exception:  # never fail a document over the fast path: subset as before
            log.warning("font %s: fast subset failed", self.choice.path, exc_info=True)
            font.ttfont = self.open_face()


_LOADED: dict[tuple[str, int, int, int], _LoadedFont] = {}
_LOADED_LOCK = threading.Lock()


def _load_font(choice: FontChoice) -> _LoadedFont:
    return _LoadedFont(choice)


def _loaded_font(choice: FontChoice) -> _LoadedFont:
    """The face, parsed once per process (again when the file changes)."""
    st = os.stat(choice.path)
    key = (choice.path, choice.index, st.st_mtime_ns, st.st_size)
    found = _LOADED.get(key)
    if found is not None:
        return found
    with _LOADED_LOCK:
        found = _LOADED.get(key)
        if found is None:
            found = _load_font(choice)
            _LOADED.clear()  # one face in use at a time: drop a replaced file's
            _LOADED[key] = found
        return found


def clear_font_cache() -> None:
    """Forget the parsed faces (and the font choice): the next document loads afresh."""
    with _LOADED_LOCK:
        _LOADED.clear()
    _FONT_CACHE.clear()


# --- subsets of a CID-keyed CFF face ----------------------------------------------------


def _read_index(data: bytes, pos: int) -> tuple[list[bytes], int]:
    """A CFF INDEX at ``pos``: its items and the position after it."""
    (count,) = struct.unpack_from(">H", data, pos)
    if count == 0:
        return [], pos + 2
    off_size = data[pos + 2]
    start = pos + 3
    offsets = [
        int.from_bytes(data[start + i * off_size : start + (i + 1) * off_size], "big")
        for i in range(count + 1)
    ]
    base = start + (count + 1) * off_size - 1
    items = [data[base + offsets[i] : base + offsets[i + 1]] for i in range(count)]
    return items, base + offsets[-1]


def _index(items: Sequence[bytes]) -> bytes:
    if not items:
        return b"\x00\x00"
    offsets = [1]
    for item in items:
        offsets.append(offsets[-1] + len(item))
    off_size = 1 if offsets[-1] < 0x100 else 2 if offsets[-1] < 0x10000 else 3
    if offsets[-1] >= 0x1000000:
        off_size = 4
    head = struct.pack(">HB", len(items), off_size)
    return head + b"".join(o.to_bytes(off_size, "big") for o in offsets) + b"".join(items)


def _dict_tokens(data: bytes) -> list[tuple[int, bytes]]:
    """A CFF DICT as (operator, raw operand bytes); escaped operators are 1200 + b1."""
    out = []
    pos = start = 0
    while pos < len(data):
        b0 = data[pos]
        if b0 == 12:
            out.append((1200 + data[pos + 1], data[start:pos]))
            pos += 2
            start = pos
        elif b0 <= 21:
            out.append((b0, data[start:pos]))
            pos += 1
            start = pos
        elif b0 == 28:
            pos += 3
        elif b0 == 29:
            pos += 5
        elif b0 == 30:
            pos += 1
            while pos < len(data):
                byte = data[pos]
                pos += 1
                if (byte & 0x0F) == 0x0F or (byte >> 4) == 0x0F:
                    break
        elif 32 <= b0 <= 246:
            pos += 1
        elif 247 <= b0 <= 254:
            pos += 2
        else:
            raise ValueError(f"bad CFF DICT byte {b0}")
    return out


def _dict_ints(operands: bytes) -> list[int]:
    out = []
    pos = 0
    while pos < len(operands):
        b0 = operands[pos]
        if b0 == 28:
            out.append(struct.unpack_from(">h", operands, pos + 1)[0])
            pos += 3
        elif b0 == 29:
            out.append(struct.unpack_from(">i", operands, pos + 1)[0])
            pos += 5
        elif 32 <= b0 <= 246:
            out.append(b0 - 139)
            pos += 1
        elif 247 <= b0 <= 250:
            out.append((b0 - 247) * 256 + operands[pos + 1] + 108)
            pos += 2
        elif 251 <= b0 <= 254:
            out.append(-(b0 - 251) * 256 - operands[pos + 1] - 108)
            pos += 2
        else:
            raise ValueError("a real where an integer was expected")
    return out


def _int5(value: int) -> bytes:
    """An integer operand in the fixed five-byte form (offsets known only later)."""
    return b"\x1d" + struct.pack(">i", value)


def _op(code: int) -> bytes:
    return bytes([12, code - 1200]) if code >= 1200 else bytes([code])


#: Top DICT entries copied as they are (no string ids, no offsets).
_TOP_KEEP = {5, 1201, 1202, 1203, 1204, 1205, 1206, 1207, 1208, 1231, 1232, 1233, 1234}
#: Font DICT (FDArray) entries copied as they are.
_FD_KEEP = {1205, 1207, 1208}
_SUBRS = 19
_PRIVATE = 18


class _CidCffSubset:
    """Writes small CID-keyed CFF fonts holding given glyphs of a parsed face.

    Each glyph's charstring is desubroutinized once (kept for the process), so a subset
    needs no subroutines; the private dicts are copied without their Subrs. CIDs, widths
    and hints stay as in the face. Reading the face is serialised by a lock (fontTools
    reads charstrings lazily from a shared buffer)."""

    def __init__(self, face: TTFont) -> None:
        self._lock = threading.Lock()
        self._face = face
        raw = face.reader["CFF "]
        cff = face["CFF "].cff
        top = cff.topDictIndex[0]
        self._ros = top.ROS
        self._charstrings = top.CharStrings
        self._metrics = face["hmtx"].metrics
        # The face's own Top DICT and Font DICTs, as bytes.
        pos = raw[2]  # header size
        _names, pos = _read_index(raw, pos)
        tops, pos = _read_index(raw, pos)
        top_tokens = _dict_tokens(tops[0])
        self._top_kept = b"".join(v + _op(k) for k, v in top_tokens if k in _TOP_KEEP)
        fdarray_at = next(_dict_ints(v)[0] for k, v in top_tokens if k == 1236)
        fds, _end = _read_index(raw, fdarray_at)
        self._fd_kept: list[bytes] = []
        self._privates: list[bytes] = []
        for fd in fds:
            tokens = _dict_tokens(fd)
            self._fd_kept.append(b"".join(v + _op(k) for k, v in tokens if k in _FD_KEEP))
            size, offset = next(_dict_ints(v) for k, v in tokens if k == _PRIVATE)
            private = raw[offset : offset + size]
            self._privates.append(
                b"".join(v + _op(k) for k, v in _dict_tokens(private) if k != _SUBRS)
            )
        self._tables = {tag: face.reader[tag] for tag in ("head", "hhea", "OS/2", "post", "name")}
        self._glyphs: dict[str, tuple[int, int, bytes]] = {}
        with self._lock:
            self._glyph(".notdef")
        # Everything needed is read: the charstrings come from the CFF table's bytes.
        face.close()

    def _glyph(self, name: str) -> tuple[int, int, bytes]:
        """(CID, font dict, desubroutinized charstring) of a glyph; under the lock."""
        found = self._glyphs.get(name)
        if found is None:
            cs, fd = self._charstrings.getItemAndSelector(name)
            plain = T2CharString(
                bytecode=cs.bytecode, private=cs.private, globalSubrs=cs.globalSubrs
            )
            desubroutinizeCharString(plain)
            plain.compile()
            cid = 0 if name == ".notdef" else int(name[3:])
            found = (cid, fd or 0, plain.bytecode)
            self._glyphs[name] = found
        return found

    def font_with(self, glyphs: Iterable[tuple[str, Any]], name: str) -> TTFont:
        """An OpenType font of ``glyphs`` ((name, unicodes) pairs), .notdef first; its
        CFF named ``name`` (the PDF's BaseFont)."""
        unicodes: dict[str, tuple[int, ...]] = {}
        for glyph, codes in glyphs:
            unicodes[glyph] = codes if isinstance(codes, tuple) else ()
        with self._lock:
            entries = {n: self._glyph(n) for n in {".notdef", *unicodes}}
        names = sorted(entries, key=lambda n: entries[n][0])
        cff_data = self._cff(names, entries, name.encode("latin-1", "replace"))
        font = TTFont(recalcBBoxes=False, recalcTimestamp=False)
        font.sfntVersion = "OTTO"
        font.setGlyphOrder(names)
        for tag, data in self._tables.items():
            table = newTable(tag)
            table.decompile(data, font)
            font[tag] = table
        maxp = newTable("maxp")
        maxp.tableVersion = 0x00005000
        maxp.numGlyphs = len(names)
        font["maxp"] = maxp
        hmtx = newTable("hmtx")
        hmtx.metrics = {n: self._metrics[n] for n in names}
        font["hmtx"] = hmtx
        font["cmap"] = _cmap({c: n for n, codes in unicodes.items() for c in codes})
        font["CFF "] = _ReadyCff(cff_data)
        return font

    def _cff(
        self, names: list[str], entries: dict[str, tuple[int, int, bytes]], font_name: bytes
    ) -> bytes:
        fds = sorted({entries[n][1] for n in names})
        fd_new = {fd: i for i, fd in enumerate(fds)}
        charset = b"\x00" + b"".join(struct.pack(">H", entries[n][0]) for n in names[1:])
        fdselect = b"\x00" + bytes(fd_new[entries[n][1]] for n in names)
        charstrings = _index([entries[n][2] for n in names])
        strings = _index([self._ros[0].encode("latin-1"), self._ros[1].encode("latin-1")])
        header = bytes([1, 0, 4, 4])
        name_index = _index([font_name])

        def top(charset_at: int, fdselect_at: int, cs_at: int, fdarray_at: int) -> bytes:
            ros = _int5(391) + _int5(392) + _int5(int(self._ros[2])) + _op(1230)
            return (
                ros
                + self._top_kept
                + _int5(charset_at)
                + _op(15)
                + _int5(fdselect_at)
                + _op(1237)
                + _int5(cs_at)
                + _op(17)
                + _int5(fdarray_at)
                + _op(1236)
            )

        top_len = len(_index([top(0, 0, 0, 0)]))
        charset_at = len(header) + len(name_index) + top_len + len(strings) + 2
        fdselect_at = charset_at + len(charset)
        cs_at = fdselect_at + len(fdselect)
        fdarray_at = cs_at + len(charstrings)

        def fd_dicts(private_at: int) -> list[bytes]:
            out = []
            for fd in fds:
                size = len(self._privates[fd])
                out.append(self._fd_kept[fd] + _int5(size) + _int5(private_at) + _op(_PRIVATE))
                private_at += size
            return out

        private_at = fdarray_at + len(_index(fd_dicts(0)))
        fdarray = _index(fd_dicts(private_at))
        return b"".join(
            [
                header,
                name_index,
                _index([top(charset_at, fdselect_at, cs_at, fdarray_at)]),
                strings,
                b"\x00\x00",  # no global subroutines
                charset,
                fdselect,
                charstrings,
                fdarray,
                *(self._privates[fd] for fd in fds),
            ]
        )


class _ReadyCff(table_C_F_F_):
    """A CFF table already cut to the document's glyphs: fpdf2's subsetting step passes
    it by (there is nothing to close over, drop or renumber — its glyphs are exactly the
    ones asked for), and it is written as the bytes it was made of."""

    def __init__(self, data: bytes) -> None:
        super().__init__("CFF ")
        self.data = data

    def prune_pre_subset(self, font: Any, options: Any) -> bool:
        return True

    def closure_glyphs(self, subsetter: Any) -> None:
        return None

    def subset_glyphs(self, subsetter: Any) -> bool:
        return True

    def prune_post_subset(self, font: Any, options: Any) -> bool:
        return True

    def compile(self, otFont: Any) -> bytes:
        return self.data


def _cmap(mapping: dict[int, str]) -> Any:
    table = newTable("cmap")
    table.tableVersion = 0
    table.tables = []
    bmp = {c: n for c, n in mapping.items() if c <= 0xFFFF}
    sub = CmapSubtable.newSubtable(4)
    sub.platformID, sub.platEncID, sub.language, sub.cmap = 3, 1, 0, bmp
    table.tables.append(sub)
    if len(bmp) < len(mapping):
        full = CmapSubtable.newSubtable(12)
        full.platformID, full.platEncID, full.language, full.cmap = 3, 10, 0, dict(mapping)
        table.tables.append(full)
    return table


# --- line breaking ----------------------------------------------------------------------

#: Not at the start of a line (避头): closing punctuation and brackets.
NO_LINE_START = frozenset("，。、；：？！）」』】〕》〉”’〗〙〛〞…‥·・～%‰,.;:?!)]}>")
#: Not at the end of a line (避尾): opening brackets and quotes.
NO_LINE_END = frozenset("（「『【〔《〈“‘〖〘〚〝([{<")
#: Runs of these stay together and break as one word (numbers, Latin words, addresses).
_WORD = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    "-_./:@#&+=~%?,;'\"!*$^|\\<>[]{}()"
)


def _ideograph(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _units(text: str) -> list[str]:
    """Breakable units: one CJK character, a Latin word or number (a number with the
    character after it: "90号", "3月"), a space, a run of "—" or "…" (never split)."""
    out: list[str] = []
    for ch in text:
        last = out[-1][-1] if out else ""
        if out and (
            (ch in _WORD and last in _WORD)
            or (ch in "—…" and last == ch)
            or (_ideograph(ch) and last.isdigit() and out[-1].isascii())
        ):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def wrap_text(
    text: str, width: float, measure: Callable[[str], float], first_width: float | None = None
) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (the first: ``first_width``) as
    measured by ``measure``: CJK between any two characters, Latin at spaces or between
    words, never a closing punctuation mark at a line's start nor an opening bracket at
    its end (the character before is carried down with it). Newlines are kept."""
    lines: list[str] = []
    avail = width if first_width is None else first_width
    for hard in text.split("\n"):
        lines.extend(_wrap_line(_units(hard), avail, width, measure))
        avail = width
    return lines


def _wrap_line(
    units: list[str], first: float, width: float, measure: Callable[[str], float]
) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    cur_w = 0.0
    avail = first
    queue = list(reversed(units))
    while queue:
        unit = queue.pop()
        if unit == " " and not cur:
            continue
        w = measure(unit)
        if cur_w + w <= avail + 1e-6:
            cur.append(unit)
            cur_w += w
            continue
        if not cur:  # a word wider than the line: split it
            if len(unit) > 1:
                queue.extend(reversed(list(unit)))
            else:
                out.append(unit)
                avail = width
            continue
        carry = _carry(cur, unit)
        out.append("".join(cur).rstrip(" "))
        cur, avail = carry, width
        cur_w = sum(measure(u) for u in cur)
        queue.append(unit)
    if cur or not out:
        out.append("".join(cur).rstrip(" "))
    return out


def _carry(cur: list[str], nxt: str) -> list[str]:
    """Units taken off the end of a full line so that neither it ends with an opening
    bracket nor the next line starts with closing punctuation (``cur`` is shortened)."""
    carry: list[str] = []
    if nxt[0] in NO_LINE_START:
        while len(cur) > 1 and (not carry or carry[0][0] in NO_LINE_START):
            carry.insert(0, cur.pop())
    while len(cur) > 1 and cur[-1][-1] in NO_LINE_END:
        carry.insert(0, cur.pop())
    while len(cur) > 1 and cur[-1] == " ":
        cur.pop()
    return carry


# --- drawing ----------------------------------------------------------------------------


class _Producer(OutputProducer):
    """fpdf2's writer, first giving the document's font its glyphs: it runs after the
    last footer and the page-count substitution, when every glyph is known."""

    def bufferize(self) -> bytearray:
        before = getattr(self.fpdf, "before_output", None)
        if before is not None:
            before()
        return super().bufferize()


class _Pdf(FPDF):
    footer_text = ""
    qr_png: bytes | None = None
    before_output: Callable[[], None] | None = None

    def footer(self) -> None:
        if self.qr_png is not None:
            self._qr()
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"{self.footer_text}    第 {self.page_no()} / {{nb}} 页", align="C")
        self.set_text_color(0, 0, 0)

    def _qr(self) -> None:
        x = self.w - self.r_margin - QR_SIZE
        y = self.h - MARGIN - QR_SIZE - 4.5
        assert self.qr_png is not None
        self.image(io.BytesIO(self.qr_png), x=x, y=y, w=QR_SIZE, h=QR_SIZE)
        self.set_font("cjk", size=7)
        self.set_text_color(80, 80, 80)
        self.set_xy(x - 4, y + QR_SIZE + 0.5)
        self.cell(QR_SIZE + 8, 4, QR_CAPTION, align="C")
        self.set_text_color(0, 0, 0)


@functools.lru_cache(maxsize=64)
def _qr_png(url: str) -> bytes:
    """The QR code of ``url`` as PNG (kept for the process: a letter is often fetched
    again; fpdf2 embeds it once per document however many pages show it)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=1)
    code.add_data(url)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buf)
    return buf.getvalue()


def _line_height(size: float) -> float:
    """Line pitch in mm for text of ``size`` points (10.5 pt → 6.5 mm, as before)."""
    return round(size * PT * 1.75, 2)


class _Writer:
    """Draws a document's parts at the current position of ``pdf``."""

    def __init__(self, pdf: _Pdf, doc: PdfDocument) -> None:
        self.pdf = pdf
        self.doc = doc
        self.body = doc.body_size
        self.width = pdf.epw
        self._widths: dict[tuple[float, str], float] = {}

    def measure(self, text: str) -> float:
        """The width of ``text`` in the current font size (kept: units repeat a lot)."""
        key = (self.pdf.font_size_pt, text)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = float(self.pdf.get_string_width(text))
        return found

    def lines(
        self,
        text: str,
        size: float,
        align: str = "L",
        indent: float = 0.0,
        hang: float = 0.0,
        lead: str = "",
    ) -> None:
        """Wrapped text; ``indent`` on the first line, ``hang`` on every line, ``lead``
        (a list number) drawn in the hanging space of the first."""
        pdf = self.pdf
        pdf.set_font("cjk", size=size)
        lh = _line_height(size)
        width = self.width - hang - 2 * pdf.c_margin  # a cell pads its text by c_margin
        for n, line in enumerate(wrap_text(text, width, self.measure, width - indent)):
            if pdf.will_page_break(lh):
                pdf.add_page()
            x = pdf.l_margin + hang + (indent if n == 0 else 0.0)
            if n == 0 and lead:
                pdf.set_x(pdf.l_margin)
                pdf.cell(hang, lh, lead)
            pdf.set_x(x)
            pdf.cell(pdf.l_margin + self.width - x, lh, line, align=align)
            pdf.ln(lh)

    def head(self) -> None:
        doc, pdf = self.doc, self.pdf
        title_size = min(22.0, max(17.0, self.body * 1.5))
        self.lines(doc.title, title_size, align="C")
        if doc.number:
            pdf.ln(1)
            self.lines(doc.number, max(10.5, self.body), align="C")
        if doc.subtitle:
            self.lines(doc.subtitle, max(10.0, self.body - 3), align="C")
        if doc.number:
            pdf.ln(1.5)
            pdf.set_draw_color(*SEAL_RED)
            pdf.set_line_width(0.5)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
            pdf.set_line_width(0.2)
            pdf.set_draw_color(0, 0, 0)
            pdf.ln(3)
        pdf.ln(4)
        if doc.recipient:
            self.lines(f"{doc.recipient}：", self.body)
            pdf.ln(1)

    def section(self, section: PdfSection) -> None:
        pdf, body = self.pdf, self.body
        lh = _line_height(body)
        if section.heading:
            pdf.ln(2)
            self.lines(section.heading, body + 2.5)
            pdf.set_draw_color(179, 38, 30)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
            pdf.set_draw_color(0, 0, 0)
            pdf.ln(2)
        indent = 2 * body * PT if section.indent else 0.0
        for para in section.paragraphs:
            self.lines(para, body, indent=indent)
            pdf.ln(1.5)
        if section.rows:
            pdf.set_font("cjk", size=body)
            with pdf.table(
                col_widths=(34, 66),
                width=self.width,
                first_row_as_headings=False,
                line_height=lh,
                text_align="LEFT",
                borders_layout="HORIZONTAL_LINES",
                padding=1.2,
            ) as table:
                for label, value in section.rows:
                    row = table.row()
                    row.cell(label)
                    row.cell(value or "—")
            pdf.ln(2)
        if section.items:
            pdf.set_font("cjk", size=body)
            labels = [f"{n}．" for n in range(1, len(section.items) + 1)]
            hang = max(self.measure(label) for label in labels)
            for label, item in zip(labels, section.items, strict=True):
                self.lines(item, body, hang=hang, lead=label)
            pdf.ln(1.5)

    def closing(self) -> None:
        doc, pdf = self.doc, self.pdf
        size = max(11.0, self.body)
        lh = _line_height(size)
        pdf.set_font("cjk", size=size)
        if not doc.seal:
            pdf.ln(8)
            for line in doc.closing:
                self.lines(line, size, align="R")
            return
        # GB/T 9704: the date right-indented by four characters, the issuer centred over
        # it, the seal centred over both with them a little below its centre.
        radius = SEAL_DIAMETER / 2
        lines = doc.closing or [doc.seal]
        block = max(self.measure(line) for line in lines)
        right = pdf.l_margin + self.width - 4 * size * PT
        left = max(pdf.l_margin, right - block)
        above = radius - 0.55 * lh + 2
        pdf.ln(max(8.0, above))
        if pdf.will_page_break(max(len(lines) * lh, 0.55 * lh + radius) + 2):
            pdf.add_page()
            pdf.ln(above)
        top = pdf.get_y()
        for line in lines:
            pdf.set_x(left)
            pdf.cell(right - left, lh, line, align="C")
            pdf.ln(lh)
        end = pdf.get_y()
        self.seal((left + right) / 2, top + 0.55 * lh, doc.seal)
        pdf.set_y(max(end, top + 0.55 * lh + radius + 2))

    def seal(self, cx: float, cy: float, issuer: str) -> None:
        """The seal's place: a red ring, the issuer along its upper edge, a star, and
        "电子印章" near the bottom."""
        pdf = self.pdf
        radius = SEAL_DIAMETER / 2
        pdf.set_draw_color(*SEAL_RED)
        pdf.set_fill_color(*SEAL_RED)
        pdf.set_text_color(*SEAL_RED)
        pdf.set_line_width(1.0)
        pdf.circle(cx, cy, radius - 0.5)
        pdf.set_line_width(0.2)
        pdf.star(cx, cy - 8.5, 1.4, 3.6, 5, rotate_degrees=-90, style="F")
        chars = list(issuer)
        span = min(210.0, 19.0 * max(1, len(chars) - 1))
        step = span / max(1, len(chars) - 1)
        ring = radius - 4.2
        size = min(11.0, max(6.0, math.radians(step) * ring * 0.85 / PT))
        pdf.set_font("cjk", size=size)
        box = size * PT * 1.2
        for n, ch in enumerate(chars):
            angle = -span / 2 + n * step if len(chars) > 1 else 0.0
            x = cx + ring * math.sin(math.radians(angle))
            y = cy - ring * math.cos(math.radians(angle))
            with pdf.rotation(-angle, x, y):
                pdf.set_xy(x - box / 2, y - box / 2)
                pdf.cell(box, box, ch, align="C")
        pdf.set_font("cjk", size=7)
        pdf.set_xy(cx - 10, cy + radius - 8)
        pdf.cell(20, 3.5, SEAL_WORDS, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)


def render(doc: PdfDocument) -> bytes:
    """The document as PDF bytes; ServiceUnavailable when no CJK font can be embedded."""
    choice = find_cjk_font()
    if choice is None:
        raise ServiceUnavailable(FONT_MISSING, code="pdf_font_missing")
    try:
        loaded = _loaded_font(choice)
    except Exception as exc:
        log.exception("cannot load font %s", choice.path)
        raise ServiceUnavailable(FONT_MISSING, code="pdf_font_missing") from exc
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    font = loaded.font_for(pdf)
    pdf.fonts["cjk"] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")
    pdf.footer_text = doc.footer
    pdf.qr_png = _qr_png(doc.qr_url) if doc.qr_url else None
    pdf.set_title(doc.title)
    pdf.set_author(doc.footer)
    pdf.set_creator(doc.footer)
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(now())
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    bottom = MARGIN + (QR_SIZE + 7 if doc.qr_url else 0)
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.alias_nb_pages()
    pdf.add_page()
    writer = _Writer(pdf, doc)
    writer.head()
    for section in doc.sections:
        writer.section(section)
    if doc.closing or doc.seal:
        writer.closing()
    pdf.before_output = lambda: loaded.prepare_output(font)
    return bytes(pdf.output(output_producer_class=_Producer))
