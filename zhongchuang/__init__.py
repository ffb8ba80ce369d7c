"""Zhongchuang 众创空间政策申报与审批系统: the application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from config import config_for
from zhongchuang.clock import Clock
from zhongchuang.extensions import MIGRATIONS_DIR, babel, csrf, db, limiter, login_manager, migrate
from zhongchuang.security import IdentityVault


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_for(config_name))
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    app.extensions["zc_clock"] = Clock.from_value(app.config.get("ZC_TODAY"))
    app.extensions["zc_vault"] = IdentityVault(
        app.config["ZC_ID_KEYS"], app.config["ZC_ID_HASH_KEY"]
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)

    from zhongchuang.web.i18n import install_template_gettext, select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)

    from zhongchuang import models  # noqa: F401 - register the tables
    from zhongchuang.db_events import install_engine_events

    with app.app_context():
        install_engine_events(db.engine)

    from zhongchuang.accounts.views import init_login

    init_login(app, login_manager)

    from zhongchuang.web import register_web

    register_web(app)

    from zhongchuang.api import register_api

    register_api(app)

    from zhongchuang.web.errors import register_error_handlers

    register_error_handlers(app)

    from zhongchuang.web.hardening import register_hardening

    register_hardening(app)

    from zhongchuang.cases import cli as cases_cli
    from zhongchuang.catalogue import cli as catalogue_cli
    from zhongchuang.cli import register_cli
    from zhongchuang.documents import cli as documents_cli
    from zhongchuang.ops import cli as ops_cli
    from zhongchuang.ops import demo_commands

    register_cli(app, (cases_cli, catalogue_cli, documents_cli, ops_cli, demo_commands))
    return app
