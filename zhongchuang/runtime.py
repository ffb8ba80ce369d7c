"""What services need from the running app: the clock, the identity vault, settings."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

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


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ProcessCache(Generic[K, V]):
    """Values kept in this process under a key that names everything they are made of.
    Emptied whole once it holds ``most`` values: a bound on memory, with no bookkeeping
    on the hot paths that ask it."""

    def __init__(self, most: int) -> None:
        self._values: dict[K, V] = {}
        self._most = most

    def find(self, key: K) -> V | None:
        return self._values.get(key)

    def keep(self, key: K, value: V) -> V:
        if len(self._values) >= self._most:
            self._values.clear()
        self._values[key] = value
        return value

    def get(self, key: K, build: Callable[[], V]) -> V:
        found = self._values.get(key)
        return self.keep(key, build()) if found is None else found
