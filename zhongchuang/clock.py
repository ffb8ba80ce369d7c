"""The one clock. Rules and services ask it for today, never ``date.today()``.

``ZC_TODAY=YYYY-MM-DD`` (or the ``ZC_TODAY`` config key) fixes the date for demonstrations,
training and tests; the time of day still runs, so audit events keep their order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Clock:
    """Gives today's date (Asia/Shanghai) and the current UTC time.

    ``fixed_today`` pins the date; ``now()`` then returns that date with the real time of
    day, so events written in a session stay ordered.
    """

    fixed_today: date | None = None
    _offset: timedelta = field(default=timedelta(0), repr=False)

    @classmethod
    def from_value(cls, value: str | date | None) -> Clock:
        if value in (None, ""):
            return cls()
        if isinstance(value, date):
            return cls(fixed_today=value)
        try:
            return cls(fixed_today=date.fromisoformat(str(value).strip()))
        except ValueError as exc:
            raise ValueError(f"ZC_TODAY 必须是 YYYY-MM-DD 格式的日期，而不是 {value!r}") from exc

    @classmethod
    def from_env(cls) -> Clock:
        return cls.from_value(os.environ.get("ZC_TODAY"))

    def today(self) -> date:
        if self.fixed_today is not None:
            return self.fixed_today
        return datetime.now(SHANGHAI).date()

    def now(self) -> datetime:
        """Timezone-aware UTC now; on a fixed date, that date at the current local time."""
        real = datetime.now(UTC)
        if self.fixed_today is None:
            return real
        local = real.astimezone(SHANGHAI)
        pinned = datetime.combine(self.fixed_today, local.timetz())
        return pinned.astimezone(UTC)

    def set_today(self, value: date | None) -> None:
        """Move the date (tests and training)."""
        self.fixed_today = value

    @staticmethod
    def start_of_day(day: date) -> datetime:
        return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)
