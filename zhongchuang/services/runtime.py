"""What services need from the running app: the clock, the identity vault, settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app

from zhongchuang.clock import Clock
from zhongchuang.security import IdentityVault


def clock() -> Clock:
    return current_app.extensions["zc_clock"]


def today() -> date:
    return clock().today()


def now() -> datetime:
    return clock().now()


def vault() -> IdentityVault:
    return current_app.extensions["zc_vault"]


def setting(key: str, default: Any = None) -> Any:
    return current_app.config.get(key, default)
