"""The OpenAPI object of the JSON API and its document's settings (flask-smorest)."""

from __future__ import annotations

from flask_smorest import Api as SmorestApi
from werkzeug.routing import AnyConverter


class Api(SmorestApi):
    """flask-smorest without its app-wide error handlers: errors are mapped once, in
    ``zhongchuang.web.errors``, for pages and API alike."""

    #: No catch-all ``default`` response: every status an operation may answer is listed,
    #: each with ``application/problem+json``.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        return None


api = Api()
# ``<any(a, b):name>`` path parameters are documented with their values.
api.register_converter(AnyConverter, lambda conv: {"type": "string", "enum": sorted(conv.items)})

SPEC_KWARGS = {
    "info": {
        "description": (
            "嘉兴市众创空间政策申报系统 JSON API. Auth: POST /api/v1/tokens, then "
            "`Authorization: Bearer <token>`. Errors are application/problem+json with a "
            "stable `code`. Money is a string of yuan with two decimals."
        )
    },
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
}
