"""The English catalogue is complete: every interface string has a reviewed English text.

Policy texts, program names and other catalogue data come from the database and stay in
Chinese; they are not in the catalogue and not checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "zhongchuang" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Kept in Chinese on purpose: document numbers (嘉政办发〔2015〕90号) and article numbers (四(一)).
KEPT = re.compile(
    r"[\u4e00-\u9fff]+〔\d{4}〕\d+号|[一二三四五六七八九十]+\([一二三四五六七八九十]+\)"
)


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _messages(catalog):
    return [m for m in catalog if m.id]


def test_catalogue_header_is_english_and_final(catalog):
    assert str(catalog.locale) == "en"
    assert not catalog.fuzzy


def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    messages = _messages(catalog)
    assert len(messages) > 700
    untranslated = [m.id for m in messages if not m.string]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_every_placeholder(catalog):
    wrong = [
        (m.id, m.string)
        for m in _messages(catalog)
        if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))
    ]
    assert wrong == []


def test_translations_are_english(catalog):
    chinese = [m.string for m in _messages(catalog) if CJK.search(KEPT.sub("", m.string))]
    assert chinese == []


def test_catalogue_covers_every_string_in_the_code(catalog):
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    in_code = {
        message
        for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords)
        if isinstance(message, str)
    }
    missing = sorted(in_code - {m.id for m in _messages(catalog)})
    assert missing == [], "run `make translations` and translate the new entries"
