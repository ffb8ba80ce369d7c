"""Locale: Chinese by default; English when the user chose it (cookie ``lang``)."""

from __future__ import annotations

from flask import current_app, request


def select_locale() -> str:
    lang = request.cookies.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"
