"""A documentation page for the API, rendered on the server from the OpenAPI document
(no JavaScript, nothing from the internet)."""

from __future__ import annotations

from flask import Blueprint, render_template

from zhongchuang.api.spec import api

bp = Blueprint("api_docs", __name__)


@bp.route("/api/v1/docs")
def docs():  # noqa: ANN201
    spec = api.spec.to_dict()
    return render_template("api/docs.html", spec=spec)
