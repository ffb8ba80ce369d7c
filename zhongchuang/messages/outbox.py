"""The outbox of e-mails as admins see it (发件箱): sent, kept and failed mails, resending,
and the mail settings in effect (set by the operator's environment, read-only here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.errors import Conflict, Forbidden, NotFound
from zhongchuang.extensions import db
from zhongchuang.messages import notify
from zhongchuang.models import OutboxMail, User
from zhongchuang.runtime import setting
from zhongchuang.uow import after_commit, operation

PAGE_SIZE = 50
STATUSES = ("pending", "sent", "kept", "failed")
#: One-time links must not be usable by whoever reads the outbox.
_SECRET_LINK = re.compile(r"(/(?:password/reset|invitations)/)[A-Za-z0-9_\-]+")


def redact(body: str) -> str:
    return _SECRET_LINK.sub(r"\1……（一次性链接，已隐藏）", body or "")


@dataclass(frozen=True)
class OutboxPage:
    mails: list[OutboxMail]
    next_cursor: int | None
    counts: dict[str, int]


def _require_admin(user: User) -> None:
    if not user.has_role("admin"):
        raise Forbidden("只有系统管理员可以查看发件箱。")


def list_mails(
    user: User, status: str | None = None, cursor: int | None = None, limit: int = PAGE_SIZE
) -> OutboxPage:
    _require_admin(user)
    stmt = sa.select(OutboxMail)
    if status in STATUSES:
        stmt = stmt.where(OutboxMail.status == status)
    if cursor:
        stmt = stmt.where(OutboxMail.id < cursor)
    rows = list(db.session.execute(stmt.order_by(OutboxMail.id.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    counts: dict[str, int] = dict(
        db.session.execute(
            sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)
        )
        .tuples()
        .all()
    )
    return OutboxPage(rows, rows[-1].id if more and rows else None, counts)


@operation
def resend(user: User, mail_id: int) -> OutboxMail:
    """Put a mail back in the queue and try to send the queue now (once it is committed;
    the mail answered is read again after the sending)."""
    _require_admin(user)
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFound()
    if mail.status == "pending":
        raise Conflict("该邮件已在待发送队列中。")
    previous = mail.status
    mail.status = "pending"
    mail.attempts = 0
    mail.error = None
    audit.record(
        "admin.mail_resend",
        actor=user,
        role="admin",
        details={"mail_id": mail.id, "from_status": previous, "to": mail.to_address},
    )
    after_commit(notify.send_pending)
    return mail


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    use_tls: bool
    sender: str
    authenticated: bool
    jobs_inline: bool
    notifying_steps: dict[str, str]


def mail_settings() -> MailSettings:
    return MailSettings(
        server=setting("MAIL_SERVER"),
        port=int(setting("MAIL_PORT", 25)),
        use_tls=bool(setting("MAIL_USE_TLS")),
        sender=setting("MAIL_SENDER") or "",
        authenticated=bool(setting("MAIL_USERNAME")),
        jobs_inline=bool(setting("JOBS_INLINE", True)),
        notifying_steps=notify.notifying_steps(),
    )
