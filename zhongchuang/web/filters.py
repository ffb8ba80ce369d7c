"""Template filters: money, dates and times on screen (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask

from zhongchuang.clock import SHANGHAI


def money(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.2f}"


def local_dt(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def ymd(value: date | None) -> str:
    return value.isoformat() if value else "—"


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_dt"] = local_dt
    app.jinja_env.filters["ymd"] = ymd
