"""Home page."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from zhongchuang.catalogue import queries as catalogue_queries

bp = Blueprint("main", __name__)


@bp.route("/")
def home():  # noqa: ANN201
    if current_user.is_authenticated:
        roles = set(current_user.roles)
        if "applicant" in roles and _has("applicant.cases"):
            return redirect(url_for("applicant.cases"))
        if roles & {"county_reviewer", "city_reviewer", "expert", "finance"} and _has(
            "reviewer.queue"
        ):
            return redirect(url_for("reviewer.queue"))
        if "admin" in roles and _has("admin.index"):
            return redirect(url_for("admin.index"))
    return render_template("main/home.html", overview=catalogue_queries.public_overview())


def _has(endpoint: str) -> bool:

    return endpoint in current_app.view_functions
