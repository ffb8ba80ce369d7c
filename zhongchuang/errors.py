"""Domain errors with stable machine codes.

Raised by the policy rules, the workflow engine and the services; mapped once, in
``zhongchuang.web.errors``, to HTML pages and to ``application/problem+json``.
This module imports nothing from Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """An error a user can cause and understand.

    ``code`` is the stable machine code of API.md, ``message`` is Chinese text for the
    user, ``status`` the HTTP status the API answers with, ``errors`` field errors.
    """

    code: str = "domain_error"
    status: int = 422

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
        self.detail = detail or message


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422


class NotFound(DomainError):
    """Absent, or not visible to the caller: the two are never told apart."""

    code = "not_found"
    status = 404

    def __init__(self, message: str = "未找到该记录，或您无权查看。", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409

    def __init__(self, message: str = "该案件已被他人更新，请刷新后重试。", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]


class GuardFailed(DomainError):
    """A workflow guard refused the action; ``code`` says which kind of guard."""

    code = "guard_failed"
    status = 422


class BudgetExhausted(GuardFailed):
    code = "budget_exhausted"


class DuplicateBenefit(GuardFailed):
    code = "duplicate_benefit"


class PolicyNotInForce(GuardFailed):
    code = "policy_not_in_force"


class BatchClosed(GuardFailed):
    code = "batch_closed"


class Conflict(DomainError):
    code = "conflict"
    status = 409


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    status = 413


class UnsupportedFileType(DomainError):
    code = "unsupported_media_type"
    status = 415


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status = 503
