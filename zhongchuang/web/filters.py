"""Template filters: money, dates and times on screen (Asia/Shanghai), a state's name in
the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import get_locale

from zhongchuang.clock import SHANGHAI
from zhongchuang.web.i18n import gettext as _
from zhongchuang.workflow.machine import state_label


def money(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{value if isinstance(value, Decimal) else Decimal(str(value)):,.2f}"


def local_dt(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def ymd(value: date | None) -> str:
    return value.isoformat() if value else "—"


UNIT_LABELS = {
    "yuan": "元",
    "sqm": "平方米",
    "months": "个月",
    "years": "年",
    "count": "",
    "working_days": "个工作日",
    "days": "天",
}


def parameter_value(par: object) -> str:
    """``20000.00 yuan`` → ``20,000.00 元``; ``18 months`` → ``18 个月``."""
    unit = getattr(par, "unit", None) or ""
    raw = str(getattr(par, "value", ""))
    if unit == "flag":  # a yes/no setting: 1 or 0
        return f"{_('是') if raw.split('.')[0] == '1' else _('否')}（{raw.split('.')[0]}）"
    text = money(raw) if unit == "yuan" else raw
    label = UNIT_LABELS.get(unit, unit)
    return f"{text} {label}".strip()


def state_name(state: str) -> str:
    """The workflow's own name of a state, in the page's language."""
    return state_label(state, "en" if str(get_locale()) == "en" else "zh")


def register(app: Flask) -> None:
    app.jinja_env.filters["state_name"] = state_name
    app.jinja_env.filters["parameter_value"] = parameter_value
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_dt"] = local_dt
    app.jinja_env.filters["ymd"] = ymd
