"""Shared marshmallow pieces: Chinese error messages, money, problem+json."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

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
