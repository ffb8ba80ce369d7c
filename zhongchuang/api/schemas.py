"""Shared marshmallow pieces: Chinese error messages, money, problem+json."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from zhongchuang.errors import DomainError
from zhongchuang.paging import keyset_rows

# Messages users see for malformed input: Chinese first, English after.
fields.Field.default_error_messages.update(
    {
        "required": "此项必填。/ This field is required.",
        "null": "此项不能为空。/ This field may not be null.",
        "validator_failed": "取值无效。/ Invalid value.",
    }
)
fields.String.default_error_messages["invalid"] = "须为文本。/ Not a valid string."
fields.Integer.default_error_messages["invalid"] = "须为整数。/ Not a valid integer."
fields.Boolean.default_error_messages["invalid"] = "须为 true 或 false。/ Not a valid boolean."
fields.Date.default_error_messages["invalid"] = "日期格式须为 YYYY-MM-DD。/ Not a valid date."
fields.List.default_error_messages["invalid"] = "须为数组。/ Not a valid list."
fields.Dict.default_error_messages["invalid"] = "须为对象。/ Not a valid mapping."
Schema.error_messages = {
    "unknown": "未知字段。/ Unknown field.",
    "type": "请求体须为 JSON 对象。/ Invalid input type.",
}


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True


class MoneyField(fields.String):
    """Money as a string of yuan with two decimals (``"12000.00"``), never a float."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> str | None:
        if value is None:
            return None
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError('金额须为字符串，如 "12000.00"。/ Money must be a string.')
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValidationError("金额格式不正确。/ Not a valid amount.") from exc
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise ValidationError("金额超出范围。/ Amount out of range.")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("金额最多两位小数。/ At most two decimals.")
        return amount.quantize(Decimal("0.01"))


class ProblemSchema(BaseSchema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


PROBLEM_RESPONSES = (400, 401, 403, 404, 409, 422, 429)


def document_problems(blp: Any, *statuses: int) -> Any:
    """Declare problem+json answers on an operation (for the OpenAPI document)."""

    def deco(fn: Any) -> Any:
        for st in statuses or PROBLEM_RESPONSES:
            fn = blp.alt_response(
                st, schema=ProblemSchema, content_type="application/problem+json"
            )(fn)
        return fn

    return deco


# --- blueprints, lists and cursors --------------------------------------------------------


class _Parser(FlaskParser):
    """``form`` also carries the uploaded files, so one schema describes a multipart body
    (``kind`` and ``file`` together); the field errors keep plain names."""

    def load_form(self, req: Any, schema: Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose ``form`` location reads multipart bodies."""

    ARGUMENTS_PARSER = _Parser()


MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class PageArgs(BaseSchema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT, error="limit 须为 1 至 200。"),
        metadata={"description": "每页条数，至多 200。/ Page size, at most 200."},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "上一页返回的 next_cursor（不透明）。/ Opaque cursor."},
    )


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The list envelope of API.md: ``{"items": [...], "next_cursor": null|"..."}``."""
    return type(
        name,
        (BaseSchema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        },
    )


class BadCursor(DomainError):
    code = "bad_request"
    status = 400


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt="zc-api-cursor")


def encode_cursor(*values: Any) -> str:
    """An opaque, signed cursor holding the sort key of the last item returned."""
    return _serializer().dumps(list(values))


def decode_cursor(cursor: str | None, arity: int = 1) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = _serializer().loads(cursor)
    except BadData as exc:
        raise BadCursor(
            "翻页游标无效。", errors={"cursor": ["无效的 cursor，请使用上一页返回的 next_cursor。"]}
        ) from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadCursor("翻页游标无效。", errors={"cursor": ["无效的 cursor。"]})
    return values


def keyset_page(
    stmt: Any, key: Any, limit: int, cursor: str | None, *, descending: bool = True
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` ordered by the unique integer column ``key``; returns the rows
    and the cursor of the next page (``None`` on the last page)."""
    after = decode_cursor(cursor)
    last = None
    if after is not None:
        last = after[0]
        if isinstance(last, bool) or not isinstance(last, int):
            raise BadCursor("翻页游标无效。", errors={"cursor": ["无效的 cursor。"]})
    rows = keyset_rows(stmt, key, limit, last, descending=descending)
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].id)
    return rows, None
