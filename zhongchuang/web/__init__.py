"""Blueprints of the site. Views load (404 if absent or not visible), authorise, call a
service, then render or redirect; they never change state themselves."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import get_locale
from flask_login import current_user

from zhongchuang.policy.identity import district_name
from zhongchuang.web import filters


def register_web(app: Flask) -> None:
    """The site: the home page, then each area's pages (their templates beside them)."""
    from zhongchuang.accounts import account_views, reveal_views
    from zhongchuang.accounts import views as accounts_views
    from zhongchuang.admin import views as admin_views
    from zhongchuang.cases import applicant_views
    from zhongchuang.cases import views as cases_views
    from zhongchuang.documents import views as documents_views
    from zhongchuang.ops import health
    from zhongchuang.public import views as public_views
    from zhongchuang.review import views as review_views
    from zhongchuang.roster import views as roster_views
    from zhongchuang.web import main

    for module in (
        main,
        accounts_views,
        public_views,
        cases_views,
        documents_views,
        applicant_views,
        review_views,
        admin_views,
        account_views,
        health,
        roster_views,
        reveal_views,
    ):
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
