"""Locale: Chinese by default; English when the user chose it (cookie ``lang``).

Texts are translated with Flask-Babel's catalogues, found once per request and language
(:func:`translations`) rather than on every call: Flask-Babel looks them up through five
context-local proxies for each text (about 8 µs), and a page asks for fifty or more.
:func:`gettext` and :func:`lazy_gettext` are Flask-Babel's, with that one difference;
templates use them too (:func:`install_template_gettext`).
"""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


def select_locale() -> str:
    lang = request.cookies.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"


def translations() -> NullTranslations:
    """The translations of the current request's language. Kept on Flask-Babel's own
    per-request state next to the locale they were found for, so that a language forced
    for part of a request (``flask_babel.force_locale``) is honoured."""
    try:
        state = g._flask_babel
    except (AttributeError, RuntimeError):  # not made yet this request; no app context
        return get_translations()
    kept = getattr(state, "zc_translations", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    found = get_translations()
    state.zc_translations = (get_locale(), found)
    return found


def gettext(string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    return LazyString(gettext, string, **variables)


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """``_()`` in templates, as Jinja's own "newstyle" gettext does it (the translation is
    markup where the template escapes, the variables are escaped into it, and ``%%`` is
    always a percent sign) without its two indirect calls through the context."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the translator's text, as Jinja's own gettext
    return text % variables


def install_template_gettext(app: Flask) -> None:
    """``_()`` and friends in templates through :func:`translations` (after Flask-Babel,
    which installs its own)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
