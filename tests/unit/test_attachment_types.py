"""An uploaded file is judged by its content: magic numbers, and Office packages opened
with care (zip bombs, macros, encrypted or foreign archives refused)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.helpers import JPEG, MINIMAL_PDF, PNG, office_file
from zhongchuang.cases.attachments import detect_type, sanitise_filename
from zhongchuang.errors import UnsupportedFileType


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (MINIMAL_PDF, "pdf"),
        (JPEG, "jpeg"),
        (PNG, "png"),
        (office_file("xlsx"), "xlsx"),
        (office_file("docx"), "docx"),
    ],
)
def test_accepted_types_are_recognised_by_content(tmp_path, data, key):
    assert detect_type(_file(tmp_path, data)).key == key


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><html><script>alert(1)</script></html>",
        b"MZ\x90\x00" + b"\x00" * 60,  # a Windows executable
        b"GIF89a" + b"\x00" * 20,
        b" %PDF-1.4 not at the start",
        b"",
    ],
)
def test_other_content_is_refused(tmp_path, data):
    with pytest.raises(UnsupportedFileType) as err:
        detect_type(_file(tmp_path, data))
    assert err.value.status == 415
    assert "按文件内容识别" in err.value.message


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_without_being_unpacked(tmp_path):
    bomb = office_file("xlsx", extra={"xl/worksheets/sheet1.xml": b"0" * 5_000_000})
    with pytest.raises(UnsupportedFileType) as err:
        detect_type(_file(tmp_path, bomb))
    assert "压缩炸弹" in err.value.message


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_zip({"readme.txt": b"hello"}), "Office"),  # a plain zip
        (office_file("xlsx", extra={"xl/vbaProject.bin": b"macro"}), "宏"),
        (b"PK\x03\x04" + b"\x00" * 40, "损坏"),
    ],
)
def test_foreign_macro_or_broken_archives_are_refused(tmp_path, data, why):
    with pytest.raises(UnsupportedFileType) as err:
        detect_type(_file(tmp_path, data))
    assert why in err.value.message


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("营业执照.pdf", "营业执照.pdf"),
        ("C:\\Users\\张三\\Desktop\\营业执照.pdf", "营业执照.pdf"),
        ("../../etc/passwd", "passwd"),
        ("bad\x00name\x1b[31m.pdf", "badname[31m.pdf"),
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("", "附件"),
        ("a" * 300 + ".pdf", "a" * 110 + ".pdf"),
    ],
)
def test_display_names_are_sanitised(raw, shown):
    assert sanitise_filename(raw) == shown
