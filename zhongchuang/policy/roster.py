"""The roster (花名册) of a ``graduate_social_insurance`` claim: one row per person-month.

Pure per-row rules (国发〔2015〕23号, 财社〔2017〕164号 as DOMAIN.md states them): a valid
identity number; hired in the graduation year (毕业年度, the calendar year of graduation);
a labour contract of at least ``min_contract_months``; the month inside the claim period
and the contract; at most ``max_months`` months per person in total; the same person-month
never twice, whoever claims it; employer amounts numeric and ≥ 0. Reading the file
(CSV/XLSX) is the services' job; they hand rows of cells to :func:`row_from_cells`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from zhongchuang.policy.dates import (
    format_month,
    months_between,
    parse_date,
)
from zhongchuang.policy.dates import (
    parse_month as _parse_month,
)
from zhongchuang.policy.facts import RosterSummary
from zhongchuang.policy.fields import FieldValueError, is_blank, to_money
from zhongchuang.policy.identity import IdentityError, IdNumber, parse_id_number

#: Roster columns in order, with their Chinese headers (the template's header row).
ROSTER_FIELDS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "school": "毕业院校",
    "graduation_date": "毕业时间",
    "contract_start": "劳动合同起始",
    "contract_end": "劳动合同终止",
    "month": "补贴月份",
    "pension": "单位养老",
    "medical": "单位医疗",
    "unemployment": "单位失业",
}
AMOUNT_FIELDS: tuple[str, ...] = ("pension", "medical", "unemployment")
REQUIRED_COLUMNS: tuple[str, ...] = tuple(ROSTER_FIELDS)
#: Longest name and school a row may give (the roster table's columns hold these).
MAX_TEXT: dict[str, int] = {"name": 50, "school": 100}
#: Largest employer contribution one row may claim per kind (yuan): a plausibility bound
#: well above any monthly contribution, so a mistyped figure is refused, not stored.
MAX_ROW_AMOUNT = Decimal("100000.00")
#: What a contract end may say for a contract without a fixed term (无固定期限劳动合同).
OPEN_ENDED = frozenset({"无固定期限", "无", "长期", "open", "open-ended", "none"})

_ALIASES: dict[str, str] = {
    **{zh: name for name, zh in ROSTER_FIELDS.items()},
    **{name: name for name in ROSTER_FIELDS},
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "id": "id_number",
    "idnumber": "id_number",
    "毕业日期": "graduation_date",
    "劳动合同起始日期": "contract_start",
    "合同起始日期": "contract_start",
    "劳动合同终止日期": "contract_end",
    "合同终止日期": "contract_end",
    "单位养老保险": "pension",
    "单位医疗保险": "medical",
    "单位失业保险": "unemployment",
}
_PAREN = re.compile(r"[（(][^）)]*[)）]")


def parse_month(value: object) -> date:
    """``'2020-03'`` → ``date(2020, 3, 1)``; ``ValueError`` (Chinese) when not a month."""
    return _parse_month(value)


def _normalise_header(cell: object) -> str:
    text = "" if cell is None else str(cell)
    text = _PAREN.sub("", text.replace("\ufeff", ""))
    text = re.sub(r"\s+", "", text).lower().replace("-", "_")
    return text


class RosterHeaderError(ValueError):
    """The header row lacks required columns or names one twice."""

    def __init__(self, missing: Sequence[str], duplicates: Sequence[str]) -> None:
        parts_zh: list[str] = []
        parts_en: list[str] = []
        if missing:
            parts_zh.append("缺少列：" + "、".join(ROSTER_FIELDS[m] for m in missing))
            parts_en.append("missing columns: " + ", ".join(missing))
        if duplicates:
            parts_zh.append("重复的列：" + "、".join(ROSTER_FIELDS[d] for d in duplicates))
            parts_en.append("duplicate columns: " + ", ".join(duplicates))
        self.message = "花名册表头有误，" + "；".join(parts_zh) + "。"
        self.message_en = "Roster header: " + "; ".join(parts_en) + "."
        self.missing = tuple(missing)
        self.duplicates = tuple(duplicates)
        super().__init__(f"{self.message} / {self.message_en}")


def map_headers(header_row: Sequence[object]) -> dict[int, str]:
    """Column index → roster field, from a header row in Chinese or English.

    Unknown columns (序号, 备注 …) are ignored; a missing or repeated required column
    raises :class:`RosterHeaderError`.
    """
    mapping: dict[int, str] = {}
    duplicates: list[str] = []
    for index, cell in enumerate(header_row):
        name = _ALIASES.get(_normalise_header(cell))
        if name is None:
            continue
        if name in mapping.values():
            if name not in duplicates:
                duplicates.append(name)
            continue
        mapping[index] = name
    missing = [n for n in REQUIRED_COLUMNS if n not in mapping.values()]
    if missing or duplicates:
        raise RosterHeaderError(missing, duplicates)
    return mapping


@dataclass(frozen=True)
class RosterRow:
    """One row as read (raw cells: strings, numbers, dates); ``row_number`` as the user
    sees it in the file (the header is row 1)."""

    row_number: int
    name: Any = None
    id_number: Any = None
    school: Any = None
    graduation_date: Any = None
    contract_start: Any = None
    contract_end: Any = None
    month: Any = None
    pension: Any = None
    medical: Any = None
    unemployment: Any = None


def row_from_cells(
    cells: Sequence[object], mapping: Mapping[int, str], row_number: int
) -> RosterRow:
    values = {name: cells[index] if index < len(cells) else None for index, name in mapping.items()}
    return RosterRow(row_number=row_number, **values)


@lru_cache(maxsize=16384)
def parse_roster_id(value: str) -> IdNumber:
    """:func:`parse_id_number`, remembered: a roster repeats each person's number on every
    month row, and the check (address code look-up) is the slowest step of a row."""
    return parse_id_number(value)


def normalise_id(number: str) -> str:
    return str(number).strip().upper().replace(" ", "")


@dataclass(frozen=True)
class RosterHistory:
    """Months already claimed per person, keyed by ``key(id_number)`` — the services pass
    their keyed hash, so plain numbers never need to leave the database."""

    months_by_person: Mapping[str, AbstractSet[date]] = field(default_factory=dict)
    key: Callable[[str], str] = normalise_id

    def months_for(self, id_number: str) -> AbstractSet[date]:
        return self.months_by_person.get(self.key(normalise_id(id_number)), frozenset())

    def with_month(self, id_number: str, month: date) -> RosterHistory:
        person = self.key(normalise_id(id_number))
        months = dict(self.months_by_person)
        months[person] = frozenset(months.get(person, frozenset())) | {month}
        return RosterHistory(months_by_person=months, key=self.key)


def row_amount(row: RosterRow) -> Decimal:
    """Employer contributions of the row: ``pension + medical + unemployment`` (yuan).

    Raises ``ValueError`` (Chinese) when an amount is missing, not numeric or negative.
    """
    total = Decimal("0.00")
    for name in AMOUNT_FIELDS:
        total += _amount(name, getattr(row, name))
    return total


def _amount(name: str, raw: object) -> Decimal:
    label = ROSTER_FIELDS[name]
    if is_blank(raw):
        raise ValueError(f"{label}为空（无缴费请填0）。")
    try:
        value = to_money(raw)
    except FieldValueError as exc:
        raise ValueError(f"{label}{exc.message}") from None
    if value < 0:
        raise ValueError(f"{label}不得为负数。")
    if value > MAX_ROW_AMOUNT:
        raise ValueError(f"{label}{value}元明显超出单月缴费，请核对。")
    return value


def _date_or_month(raw: object) -> date:
    try:
        return parse_date(raw)
    except ValueError:
        return parse_month(raw)


def _param(params: Mapping[str, Any], name: str) -> int:
    if name not in params:
        raise ValueError(f"缺少参数 {name} / parameter {name} missing")
    return int(params[name])


def check_roster_row(
    row: RosterRow,
    claim_start: date,
    claim_end: date,
    params: Mapping[str, Any],
    history: RosterHistory,
) -> list[str]:
    """Why the row is refused, in Chinese; an empty list means accepted.

    ``claim_start``/``claim_end`` are months (first days); ``params`` the values of
    ``graduation_window_years``, ``min_contract_months`` and ``max_months``; ``history``
    the months already claimed per person (elsewhere, and earlier rows of this file).
    """
    window = _param(params, "graduation_window_years")
    min_contract = _param(params, "min_contract_months")
    max_months = _param(params, "max_months")
    reasons: list[str] = []

    id_number = _check_person(row, reasons)
    dates = _row_dates(row, reasons)
    reasons += _hiring_year_reasons(dates.graduated, dates.start, window)
    reasons += _contract_reasons(dates.start, dates.end, min_contract)
    reasons += _month_reasons(dates, claim_start, claim_end)
    reasons += _amount_reasons(row)
    reasons += _history_reasons(id_number, dates.month, history, max_months)
    return reasons


def _check_person(row: RosterRow, reasons: list[str]) -> str | None:
    """Name, identity number and school present, texts not too long (appending the
    reasons); the row's valid identity number, ``None`` when blank or invalid."""
    if is_blank(row.name):
        reasons.append("姓名为空。")
    id_number: str | None = None
    if is_blank(row.id_number):
        reasons.append("身份证号为空。")
    else:
        try:
            id_number = parse_roster_id(str(row.id_number)).number
        except IdentityError as exc:
            reasons.append(exc.message)
    if is_blank(row.school):
        reasons.append("毕业院校为空。")
    for name, limit in MAX_TEXT.items():
        value = getattr(row, name)
        if not is_blank(value) and len(str(value).strip()) > limit:
            reasons.append(f"{ROSTER_FIELDS[name]}过长（不超过{limit}个字）。")
    return id_number


@dataclass(frozen=True)
class _RowDates:
    """The dates of a row, each ``None`` when blank or unreadable (``end`` also when the
    contract has no fixed term)."""

    graduated: date | None
    start: date | None
    end: date | None
    month: date | None


def _row_dates(row: RosterRow, reasons: list[str]) -> _RowDates:
    """Parse the row's dates in column order, appending a reason for each bad one."""
    graduated = _parsed(row.graduation_date, _date_or_month, "毕业时间", reasons)
    start = _parsed(row.contract_start, parse_date, "劳动合同起始", reasons)
    end: date | None = None
    open_ended = (
        isinstance(row.contract_end, str) and row.contract_end.strip().lower() in OPEN_ENDED
    )
    if not open_ended:
        end = _parsed(row.contract_end, parse_date, "劳动合同终止", reasons)
    month = _parsed(row.month, parse_month, "补贴月份", reasons)
    return _RowDates(graduated=graduated, start=start, end=end, month=month)


def _hiring_year_reasons(graduated: date | None, start: date | None, window: int) -> list[str]:
    """毕业年度招用: the contract starts within ``window`` years from graduation."""
    if not (graduated and start):
        return []
    last_year = graduated.year + window - 1
    if graduated.year <= start.year <= last_year:
        return []
    return [
        f"非毕业年度招用：{graduated.year}年毕业，劳动合同自{start.isoformat()}起"
        f"（须于{graduated.year}年内招用）。"
        if window == 1
        else f"非毕业年度招用：须于{graduated.year}至{last_year}年内招用。"
    ]


def _contract_reasons(start: date | None, end: date | None, min_contract: int) -> list[str]:
    """劳动合同期限: the end not before the start, and at least ``min_contract`` months."""
    if not (start and end):
        return []
    if end < start:
        return ["劳动合同终止日早于起始日。"]
    length = months_between(start, end + timedelta(days=1))
    if length < min_contract:
        return [f"劳动合同期限{length}个月，不足{min_contract}个月。"]
    return []


def _month_reasons(dates: _RowDates, claim_start: date, claim_end: date) -> list[str]:
    """补贴月份: inside the claim period and inside the contract."""
    month, start, end = dates.month, dates.start, dates.end
    if not month:
        return []
    reasons: list[str] = []
    if not claim_start <= month <= claim_end:
        reasons.append(
            f"补贴月份{format_month(month)}不在申请期间{format_month(claim_start)}至"
            f"{format_month(claim_end)}内。"
        )
    if start and (month < start.replace(day=1) or (end and month > end.replace(day=1))):
        reasons.append(f"补贴月份{format_month(month)}不在劳动合同期内。")
    return reasons


def _amount_reasons(row: RosterRow) -> list[str]:
    """Employer amounts: each present, numeric, not negative and plausible."""
    reasons: list[str] = []
    for name in AMOUNT_FIELDS:
        try:
            _amount(name, getattr(row, name))
        except ValueError as exc:
            reasons.append(str(exc))
    return reasons


def _history_reasons(
    id_number: str | None, month: date | None, history: RosterHistory, max_months: int
) -> list[str]:
    """The same person-month never twice, and at most ``max_months`` months per person."""
    if not (id_number and month):
        return []
    claimed = history.months_for(id_number)
    if month in claimed:
        return [f"该人员{format_month(month)}已享受过社保补贴，同一人同一月份不得重复。"]
    if len(claimed) >= max_months:
        return [f"该人员已累计补贴{len(claimed)}个月，达到上限{max_months}个月。"]
    return []


def _parsed(
    raw: object, parse: Callable[[object], date], label: str, reasons: list[str]
) -> date | None:
    if is_blank(raw):
        reasons.append(f"{label}为空。")
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        reasons.append(f"{label}：{exc}")
        return None


@dataclass(frozen=True)
class RosterCheck:
    """The outcome of a whole roster: accepted rows with amounts, refused rows with
    reasons, and the total of the accepted ones (rejected rows do not block the rest)."""

    accepted: tuple[tuple[RosterRow, Decimal], ...]
    rejected: tuple[tuple[int, tuple[str, ...]], ...]
    amount: Decimal
    history: RosterHistory

    def summary(self) -> RosterSummary:
        return RosterSummary(len(self.accepted), len(self.rejected), self.amount)

    def as_json(self) -> dict[str, Any]:
        """The API's ``{"accepted", "rejected": [{"row", "errors"}], "amount"}``."""
        return {
            "accepted": len(self.accepted),
            "rejected": [{"row": n, "errors": list(errors)} for n, errors in self.rejected],
            "amount": str(self.amount),
        }


def check_roster(
    rows: Iterable[RosterRow],
    claim_start: date,
    claim_end: date,
    params: Mapping[str, Any],
    history: RosterHistory | None = None,
) -> RosterCheck:
    """Check rows in file order; each accepted row counts in the history of the next."""
    current = history or RosterHistory()
    accepted: list[tuple[RosterRow, Decimal]] = []
    rejected: list[tuple[int, tuple[str, ...]]] = []
    total = Decimal("0.00")
    for row in rows:
        reasons = check_roster_row(row, claim_start, claim_end, params, current)
        if reasons:
            rejected.append((row.row_number, tuple(reasons)))
            continue
        amount = row_amount(row)
        accepted.append((row, amount))
        total += amount
        current = current.with_month(str(row.id_number), parse_month(row.month))
    return RosterCheck(tuple(accepted), tuple(rejected), total.quantize(Decimal("0.01")), current)
