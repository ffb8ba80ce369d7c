"""Showing a person's full identity number on the case page (显示完整身份证号).

A POST (never a link: it writes an audit event) answers a small page with the number,
marked not to be cached anywhere. Who may: ``services.reveal``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from zhongchuang.accounts import reveal

bp = Blueprint("reveal", __name__)

NO_STORE = {"Cache-Control": "no-store, private, max-age=0", "Pragma": "no-cache", "Expires": "0"}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    def may_reveal_identity(case: Any) -> bool:
        if not current_user.is_authenticated or getattr(case, "id", None) is None:
            return False
        return reveal.may_reveal(current_user._get_current_object(), case)

    return {"may_reveal_identity": may_reveal_identity}


@bp.route("/applications/<int:case_id>/identity-reveal", methods=["POST"])
@login_required
def reveal_identity(case_id: int):  # noqa: ANN201
    shown = reveal.reveal_identity(current_user._get_current_object(), case_id)
    html = render_template("cases/identity_reveal.html", shown=shown)
    return html, 200, NO_STORE
