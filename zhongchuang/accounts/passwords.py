"""Password change and recovery (修改密码、找回密码).

Recovery sends a one-time link to the e-mail address registered for the account, through
the outbox. The link expires after an hour, works once, and only its digest is stored.
Asking for a link answers the same whether or not the name or address is known.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from zhongchuang.accounts.members import LinkInvalid
from zhongchuang.accounts.operations import password_problems
from zhongchuang.audit import chain as audit
from zhongchuang.errors import ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.messages import notify
from zhongchuang.models import ApiToken, PasswordReset, User
from zhongchuang.runtime import now, setting
from zhongchuang.security import new_token, token_digest
from zhongchuang.uow import after_commit, operation

RESET_LINK_REFUSED = "该找回密码链接无效、已使用或已过期，请重新申请。"


@operation
def change_password(user: User, current: str, new: str) -> User:
    """Change one's own password; every other session of the account ends."""
    errors: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = ["当前密码不正确。"]
    problems = password_problems(new, user.username)
    if new and new == current:
        problems.append("新密码不能与当前密码相同。")
    if problems:
        errors["new_password"] = problems
    if errors:
        raise ValidationFailed("密码未修改，请按提示修改。", errors=errors)
    user.password_hash = generate_password_hash(new)
    user.session_token = secrets.token_hex(16)
    audit.record("account.password_change", actor=user)
    return user


@operation
def request_reset(identifier: str, *, link_for: Callable[[str], str]) -> None:
    """Mail a recovery link to the account(s) with this username or e-mail address.

    Returns nothing and raises nothing a caller could tell apart: unknown names, accounts
    without an address and deactivated accounts get no mail and the same answer."""
    ident = (identifier or "").strip()
    if not ident or len(ident) > 200:
        return
    users = list(
        db.session.execute(
            sa.select(User)
            .where(
                sa.or_(
                    sa.func.lower(User.username) == ident.lower(),
                    sa.func.lower(User.email) == ident.lower(),
                ),
                User.active.is_(True),
                User.email.is_not(None),
            )
            .order_by(User.id)
            .limit(5)
        ).scalars()
    )
    t = now()
    minutes = int(setting("PASSWORD_RESET_MINUTES", 60))
    for user in users:
        token = new_token()
        reset = PasswordReset(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=t,
            expires_at=t + timedelta(minutes=minutes),
        )
        db.session.add(reset)
        notify.queue_mail(
            user.email or "",
            "【众创空间申报】找回密码",
            f"您好，{user.display_name or user.username}：\n\n有人（可能是您本人）申请重设账号"
            f"“{user.username}”的密码。请在 {minutes} 分钟内打开以下链接设置新密码"
            f"（链接只能使用一次）：\n{link_for(token)}\n\n如果不是您本人申请，请忽略本邮件，"
            "您的密码不会改变。",
        )
        db.session.flush()
        audit.record("account.password_reset_request", actor=user, details={"reset_id": reset.id})
    if users:
        after_commit(notify.deliver_pending, once=True)


def _valid_reset(token: str, *, lock: bool = False) -> tuple[PasswordReset, User]:
    stmt = sa.select(PasswordReset).where(PasswordReset.token_hash == token_digest(token or ""))
    if lock:
        stmt = stmt.with_for_update()
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now():
        raise LinkInvalid(RESET_LINK_REFUSED)
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise LinkInvalid(RESET_LINK_REFUSED)
    return row, user


def check_reset_link(token: str) -> None:
    """Refuse a used, expired or unknown link before the new-password form is shown."""
    _valid_reset(token)


@operation
def reset_password(token: str, new: str) -> User:
    """Set a new password through a recovery link; the link and its siblings are spent,
    sessions and API tokens end, a lockout is lifted."""
    row, user = _valid_reset(token, lock=True)
    if problems := password_problems(new, user.username):
        raise ValidationFailed("密码未修改，请按提示修改。", errors={"new_password": problems})
    t = now()
    user.password_hash = generate_password_hash(new)
    user.session_token = secrets.token_hex(16)
    user.failed_logins = 0
    user.locked_until = None
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=t)
    )
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=t)
    )
    audit.record("account.password_reset", actor=user, details={"reset_id": row.id})
    return user
