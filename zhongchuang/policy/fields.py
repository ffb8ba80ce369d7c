"""Application fields (申报字段): their types, parsing raw input, and a JSON Schema.

Raw values come from forms, JSON or spreadsheets (strings, numbers, dates); each type turns
them into one plain value or refuses them with a Chinese message (``FieldValueError``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from zhongchuang.policy.dates import format_month, parse_date, parse_month
from zhongchuang.policy.identity import JIAXING_DISTRICTS, IdentityError, parse_credit_code

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "text",
    "integer",
    "decimal",
    "money",
    "date",
    "month",
    "boolean",
    "enum",
    "credit_code",
    "district",
    "maker_space",
)
NUMERIC_TYPES = frozenset({"integer", "decimal", "money"})
CENT = Decimal("0.01")
#: Larger numbers are refused (money is stored as Numeric(14, 2)).
MAX_NUMBER = Decimal("1e15")
_DISTRICT_RE = re.compile(r"^\d{6}$")
_TRUE = frozenset({"true", "1", "yes", "y", "是", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "否", "f"})


class ChoiceLike(Protocol):
    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...


class FieldLike(Protocol):
    """What parsing needs of a field spec (``catalogue.FieldSpec`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def required(self) -> bool: ...

    @property
    def min(self) -> Decimal | None: ...

    @property
    def max(self) -> Decimal | None: ...

    @property
    def choices(self) -> Sequence[ChoiceLike] | None: ...


class FieldValueError(ValueError):
    """A raw value the field cannot take; ``message`` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def to_decimal(raw: object) -> Decimal:
    """A finite Decimal from int, Decimal, float or numeric string; never from bool."""
    if isinstance(raw, bool):
        raise FieldValueError("应为数字，而不是是/否。")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise FieldValueError(f"应为数字，而不是 {raw!r}。") from None
    else:
        raise FieldValueError(f"应为数字，而不是 {type(raw).__name__}。")
    if not value.is_finite():
        raise FieldValueError("应为有限的数字。")
    if abs(value) >= MAX_NUMBER:
        raise FieldValueError("数值过大。")
    return value


def to_money(raw: object) -> Decimal:
    """Yuan with at most two decimals, as ``Decimal('12.50')``."""
    value = to_decimal(raw)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(CENT):
        raise FieldValueError("金额最多保留两位小数。")
    return value.quantize(CENT)


def to_int(raw: object) -> int:
    value = to_decimal(raw)
    if value != value.to_integral_value():
        raise FieldValueError("应为整数。")
    return int(value)


def to_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise FieldValueError("应为“是”或“否”。")


def parse_field(field: FieldLike, raw: object) -> Any:
    """Turn a raw value into the field's plain value; ``FieldValueError`` if it cannot.

    A blank value is refused here; callers decide whether blank is allowed.
    """
    if is_blank(raw):
        raise FieldValueError(f"「{field.label}」为必填项。")
    kind = field.type
    parser = _PARSERS.get(kind)
    if parser is None:  # a catalogue never gets here: types are checked when it is loaded
        raise FieldValueError(f"未知的字段类型 {kind}。")
    try:
        value = parser(field, raw)
    except IdentityError as exc:
        raise FieldValueError(exc.message) from None
    except FieldValueError:
        raise
    except ValueError as exc:  # dates and months: their messages are already Chinese
        raise FieldValueError(str(exc)) from None
    if kind in NUMERIC_TYPES:
        if field.min is not None and value < field.min:
            raise FieldValueError(f"不得小于 {_plain(field.min)}。")
        if field.max is not None and value > field.max:
            raise FieldValueError(f"不得大于 {_plain(field.max)}。")
    return value


def _text(_field: FieldLike, raw: object) -> str:
    if not isinstance(raw, str | int | Decimal) or isinstance(raw, bool):
        raise FieldValueError("应为文字。")
    return str(raw).strip()


def _enum(field: FieldLike, raw: object) -> str:
    value = str(raw).strip()
    if value not in [c.value for c in field.choices or ()]:
        labels = "、".join(f"{c.label}（{c.value}）" for c in field.choices or ())
        raise FieldValueError(f"取值 {value!r} 不在可选范围内：{labels}。")
    return value


def _credit_code(_field: FieldLike, raw: object) -> str:
    if not isinstance(raw, str):
        raise FieldValueError("统一社会信用代码应为文字。")
    return parse_credit_code(raw).code


def _district(_field: FieldLike, raw: object) -> str:
    value = str(raw).strip()
    if not _DISTRICT_RE.match(value):
        raise FieldValueError("行政区划代码应为6位数字。")
    return value


def _plainly(convert: Callable[[object], Any]) -> Callable[[FieldLike, object], Any]:
    return lambda _field, raw: convert(raw)


#: How each field type turns a raw value into its plain value (``parse_field``).
_PARSERS: dict[str, Callable[[FieldLike, object], Any]] = {
    "string": _text,
    "text": _text,
    "integer": _plainly(to_int),
    "decimal": _plainly(to_decimal),
    "money": _plainly(to_money),
    "date": _plainly(parse_date),
    "month": _plainly(parse_month),
    "boolean": _plainly(to_bool),
    "enum": _enum,
    "credit_code": _credit_code,
    "district": _district,
    "maker_space": _plainly(lambda raw: maker_space_key(raw)),  # defined below
}


def maker_space_key(raw: object) -> str:
    """A maker space id as a comparable string (``12``, ``"12"`` → ``"12"``)."""
    if isinstance(raw, bool):
        raise FieldValueError("众创空间编号无效。")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    raise FieldValueError("众创空间编号无效。")


def _plain(value: Decimal | int) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def format_value(value: object) -> str:
    """A parsed value as shown in messages: months ``YYYY-MM``, numbers without noise."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def json_schema(fields: Sequence[Any], *, title: str | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of an application's ``data`` for the API."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        prop: dict[str, Any] = dict(_SCHEMA_TYPES[field.type])
        prop["title"] = field.label
        if getattr(field, "label_en", None):
            prop["x-label-en"] = field.label_en
        if getattr(field, "help", None):
            prop["description"] = field.help
        if field.type == "enum":
            prop["enum"] = [c.value for c in field.choices or ()]
            prop["x-choices"] = {c.value: c.label for c in field.choices or ()}
        if field.type == "district":
            prop["x-choices"] = dict(JIAXING_DISTRICTS)
        if field.type == "integer":
            if field.min is not None:
                prop["minimum"] = int(field.min)
            if field.max is not None:
                prop["maximum"] = int(field.max)
        elif field.type in NUMERIC_TYPES:
            if field.min is not None:
                prop["x-minimum"] = str(field.min)
            if field.max is not None:
                prop["x-maximum"] = str(field.max)
        properties[field.name] = prop
        if field.required:
            required.append(field.name)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
    }
    if title:
        schema["title"] = title
    return schema


_NUMBER_STRING = r"^-?\d+(\.\d+)?$"
_SCHEMA_TYPES: Mapping[str, Mapping[str, Any]] = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": ["string", "number"], "pattern": _NUMBER_STRING},
    "money": {"type": ["string", "number"], "pattern": r"^-?\d+(\.\d{1,2})?$"},
    "date": {"type": "string", "format": "date"},
    "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
    "boolean": {"type": "boolean"},
    "enum": {"type": "string"},
    "credit_code": {"type": "string", "pattern": r"^[0-9A-HJ-NPQRTUW-Y]{18}$"},
    "district": {"type": "string", "pattern": r"^\d{6}$"},
    "maker_space": {"type": ["integer", "string"]},
}


def display(field_type: str, value: object) -> str:
    """Like :func:`format_value`, with months as ``YYYY-MM``."""
    if field_type == "month" and isinstance(value, date):
        return format_month(value)
    if field_type == "money" and isinstance(value, Decimal):
        return format_money(value)
    return format_value(value)
