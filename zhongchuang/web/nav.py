"""Navigation per role. Queue counts are added by the reviewer workspace."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from zhongchuang.review.queue_counts import queue_count
from zhongchuang.web.i18n import gettext as _


def navigation(user: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"label": _("首页"), "href": url_for("main.home")}]
    endpoints = _endpoints()
    if "public.notices" in endpoints:
        items.append({"label": _("公示公告"), "href": url_for("public.notices")})
    if "public.maker_spaces" in endpoints:
        items.append({"label": _("众创空间名录"), "href": url_for("public.maker_spaces")})
    if "public.progress" in endpoints:
        items.append({"label": _("办件进度查询"), "href": url_for("public.progress")})
    if not getattr(user, "is_authenticated", False):
        return items
    roles = set(user.roles)
    if "applicant" in roles and "applicant.cases" in endpoints:
        items.append({"label": _("我的申报"), "href": url_for("applicant.cases")})
        items.append({"label": _("政策体检"), "href": url_for("applicant.check")})
    staff = roles & {"county_reviewer", "city_reviewer", "expert", "finance"}
    if staff and "reviewer.queue" in endpoints:
        count = queue_count(user)
        items.append({"label": _("待办事项"), "href": url_for("reviewer.queue"), "badge": count})
    if staff and "reviewer.stats" in endpoints:
        items.append({"label": _("统计"), "href": url_for("reviewer.stats")})
    if "admin" in roles and "admin.index" in endpoints:
        items.append({"label": _("系统管理"), "href": url_for("admin.index")})
    if "account.profile" in endpoints:
        items.append({"label": _("我的账号"), "href": url_for("account.profile")})
    return items


def _endpoints() -> set[str]:

    return set(current_app.view_functions)
