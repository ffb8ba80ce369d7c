"""Blueprints of the site. Views load (404 if absent or not visible), authorise, call a
service, then render or redirect; they never change state themselves."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import get_locale
from flask_login import current_user

from zhongchuang.policy.identity import district_name
from zhongchuang.web import filters


def register_web(app: Flask) -> None:
    from zhongchuang.web import auth, main

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    for name in (
        "public",
        "cases",
        "applicant",
        "reviewer",
        "admin",
        "account",
        "health",
        "roster",
        "reveal",
    ):
        module = _optional(name)
        if module is not None:
            app.register_blueprint(module.bp)

    filters.register(app)

    @app.context_processor
    def _globals() -> dict:
        from zhongchuang.web.nav import navigation

        return {
            "district_name": district_name,
            "current_locale": str(get_locale()),
            "nav_items": navigation(current_user) if request else [],
        }


def _optional(name: str):  # noqa: ANN202
    import importlib

    try:
        return importlib.import_module(f"zhongchuang.web.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"zhongchuang.web.{name}":
            return None
        raise
