"""English is switchable: with the ``lang=en`` cookie the interface speaks English (policy and
case data stay as recorded, in Chinese); without it everything is Chinese."""

from __future__ import annotations

import re

import pytest
from flask_babel import refresh

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NAV = re.compile(r"<nav\b.*?</nav>", re.S)
LABEL = re.compile(r"<label\b.*?</label>", re.S)
TAGS = re.compile(r"<[^>]+>")


def _english(client) -> None:
    client.set_cookie("lang", "en")


def _text(fragment: str) -> str:
    return " ".join(TAGS.sub(" ", fragment).split())


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["Jiaxing Maker Space Policy Application System", "Policy documents", "Sign in"]),
        ("/login", ["Sign in", "Username", "Password", "Forgotten your password?"]),
        ("/register", ["Register an account", "Individual", "Organization"]),
        (
            "/programs/employment_driving_grant",
            ["Self-check", "Required documents", "Procedure", "Legal basis"],
        ),
        ("/notices", ["Public notices", "Public notice period", "No public notices."]),
    ],
)
def test_public_pages_speak_english_when_chosen(client, path, expected):
    _english(client)
    resp = client.get(path)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html
    for words in expected:
        assert words in html, f"{words!r} missing from {path}"
    nav = NAV.search(html)
    assert nav, f"no <nav> on {path}"
    assert not CJK.search(_text(nav.group())), _text(nav.group())
    assert "Home" in nav.group()


def test_login_form_has_no_chinese_left_in_english(client):
    _english(client)
    html = client.get("/login").get_data(as_text=True)
    labels = [_text(m) for m in LABEL.findall(html)]
    assert labels == ["Username", "Password"]
    main = html[html.index("<main") : html.index("</main>")]
    assert not CJK.search(_text(main)), _text(main)
    assert "<title>Sign in · Jiaxing Maker Space Policy Application System</title>" in html


def test_validation_messages_are_english_too(client, post_form):
    _english(client)
    resp = post_form(client, "/login", {"username": "", "password": ""})
    html = resp.get_data(as_text=True)
    assert "Please enter your username." in html
    assert "Please correct the items marked below and submit again." in html


def test_language_switch_offers_the_other_language(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/lang/en?next=' in html
    assert ">English</a>" in html
    resp = client.get("/lang/en?next=/login")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    # The test keeps one app context for all its requests, so Flask-Babel's per-context cache
    # of the locale must be dropped here; a real request always starts a fresh context.
    refresh()
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/lang/zh_CN?next=' in html
    assert 'lang="zh-CN">中文</a>' in html
    assert "<h1>Sign in</h1>" in html


def test_chinese_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<h1>登录</h1>" in html
    assert [_text(m) for m in LABEL.findall(html)] == ["用户名", "密码"]
    assert "Sign in" not in html


def test_an_unknown_language_falls_back_to_chinese(client):
    client.set_cookie("lang", "fr")
    html = client.get("/login").get_data(as_text=True)
    assert "<h1>登录</h1>" in html


def test_signed_in_navigation_is_english(client, factory, login):
    user = factory.operator()
    login(client, user)
    _english(client)
    resp = client.get("/", follow_redirects=True)
    html = resp.get_data(as_text=True)
    nav = _text(NAV.search(html).group())
    assert "My applications" in nav
    assert "My account" in nav
    assert not CJK.search(nav), nav
    assert "Sign out" in html


def test_a_language_forced_for_part_of_a_request_is_honoured_and_then_restored(app):
    """Texts are looked up once per request and language (web.i18n.translations): a
    language forced for a moment (an e-mail in the recipient's language, say) is used for
    that moment only, in code and in templates alike."""
    from flask import render_template_string
    from flask_babel import force_locale

    from zhongchuang.web.i18n import gettext

    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert gettext("待办队列") == "Work queue"
        assert render_template_string("{{ _('待办队列') }}") == "Work queue"
        with force_locale("zh_CN"):
            assert gettext("待办队列") == "待办队列"
            assert render_template_string("{{ _('待办队列') }}") == "待办队列"
        assert gettext("待办队列") == "Work queue"
        # The variables are escaped into the translated text, as Jinja's own gettext does.
        assert render_template_string("{{ _('共 %(n)s 件', n='<b>') }}") == "&lt;b&gt; in total"
