"""Members of an applicant organisation (单位成员).

The organisation's first registered user (``is_org_owner``) invites colleagues by a link
with an expiry; whoever opens it registers an applicant account in that organisation and
then acts for it (``cases.visibility_filter`` shows members the organisation's cases).
The owner removes members: a removed member leaves the organisation and is deactivated at
once — session and API tokens stop working on their next request.

Only a digest of an invitation token is stored; the token itself is shown once to the
owner and mailed to the invitee.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from zhongchuang.accounts.operations import _check_username, _new_user, password_problems
from zhongchuang.audit import chain as audit
from zhongchuang.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.messages import notify
from zhongchuang.models import ApiToken, Invitation, Organization, User
from zhongchuang.runtime import now, setting
from zhongchuang.security import new_token, token_digest
from zhongchuang.uow import after_commit, operation

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class LinkInvalid(DomainError):
    """An invitation or recovery link that was used, has expired or never existed."""

    code = "link_invalid"
    status = 410


def _owned_organization(user: User) -> Organization:
    if (
        not user.active
        or not user.has_role("applicant")
        or user.organization_id is None
        or not user.is_org_owner
    ):
        raise Forbidden("只有单位的注册人可以邀请或移除单位成员。")
    org = db.session.get(Organization, user.organization_id)
    assert org is not None
    return org


def members_of(owner: User) -> list[User]:
    org = _owned_organization(owner)
    return list(
        db.session.execute(
            sa.select(User).where(User.organization_id == org.id).order_by(User.id)
        ).scalars()
    )


def open_invitations(owner: User) -> list[Invitation]:
    org = _owned_organization(owner)
    return list(
        db.session.execute(
            sa.select(Invitation)
            .where(
                Invitation.organization_id == org.id,
                Invitation.used_at.is_(None),
                Invitation.expires_at > now(),
            )
            .order_by(Invitation.id)
        ).scalars()
    )


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    #: shown once to the owner; only its digest is stored
    token: str
    link: str


@operation
def create_invitation(
    owner: User, email: str, *, link_for: Callable[[str], str]
) -> IssuedInvitation:
    """Invite a colleague: the link is mailed through the outbox and returned once."""
    org = _owned_organization(owner)
    address = (email or "").strip()
    if not EMAIL_RE.match(address) or len(address) > 200:
        raise ValidationFailed(
            "邀请信息有误。", errors={"email": ["请填写被邀请人的有效电子邮箱。"]}
        )
    token = new_token()
    days = int(setting("INVITATION_DAYS", 7))
    t = now()
    inv = Invitation(
        organization_id=org.id,
        token_hash=token_digest(token),
        email=address,
        invited_by=owner.id,
        created_at=t,
        expires_at=t + timedelta(days=days),
    )
    db.session.add(inv)
    db.session.flush()
    link = link_for(token)
    notify.queue_mail(
        address,
        f"【众创空间申报】{org.name} 邀请您加入",
        f"{owner.display_name or owner.username} 邀请您作为“{org.name}”的成员使用嘉兴市众创空间"
        f"政策申报系统。\n\n请在 {days} 天内打开以下链接注册账号（链接只能使用一次）：\n{link}\n\n"
        "如果您不认识邀请人，请忽略本邮件。",
    )
    audit.record(
        "account.invitation_create",
        actor=owner,
        role="applicant",
        details={
            "organization_id": org.id,
            "invitation_id": inv.id,
            "email": address,
            "expires_at": inv.expires_at.isoformat(),
        },
    )
    after_commit(notify.deliver_pending, once=True)
    return IssuedInvitation(inv, token, link)


@operation
def revoke_invitation(owner: User, invitation_id: int) -> None:
    org = _owned_organization(owner)
    inv = db.session.get(Invitation, invitation_id)
    if inv is None or inv.organization_id != org.id:
        raise NotFound()
    if inv.used_at is not None:
        raise Conflict("该邀请已被使用，无法撤回；如需要，请移除该成员。")
    inv.expires_at = now()
    audit.record(
        "account.invitation_revoke",
        actor=owner,
        role="applicant",
        details={"organization_id": org.id, "invitation_id": inv.id},
    )


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The invitation a link stands for; a used, expired or unknown link is refused."""
    stmt = sa.select(Invitation).where(Invitation.token_hash == token_digest(token or ""))
    if lock:
        stmt = stmt.with_for_update()
    inv = db.session.execute(stmt).scalar_one_or_none()
    if inv is None:
        raise LinkInvalid("邀请链接无效，请核对链接是否完整，或联系单位重新邀请。")
    if inv.used_at is not None:
        raise LinkInvalid("该邀请链接已被使用，不能再次使用。如需账号，请联系单位重新邀请。")
    if inv.expires_at <= now():
        raise LinkInvalid("该邀请链接已过期或已被撤回。如需账号，请联系单位重新邀请。")
    return inv


def organization_of(inv: Invitation) -> Organization:
    org = db.session.get(Organization, inv.organization_id)
    assert org is not None
    return org


@dataclass(frozen=True)
class MemberRegistration:
    username: str
    password: str
    display_name: str


@operation
def accept_invitation(token: str, reg: MemberRegistration) -> User:
    """Register a new applicant account in the inviting organisation; the link is spent."""
    inv = invitation_for_token(token, lock=True)
    org = db.session.get(Organization, inv.organization_id)
    assert org is not None
    errors: dict[str, list[str]] = {}
    _check_username(reg.username, errors)
    if problems := password_problems(reg.password, reg.username):
        errors["password"] = problems
    name = (reg.display_name or "").strip()
    if not 2 <= len(name) <= 50:
        errors["display_name"] = ["请填写您的姓名（2至50字）。"]
    if errors:
        raise ValidationFailed("注册信息有误，请按提示修改。", errors=errors)
    user = _new_user(
        reg.username,
        reg.password,
        ["applicant"],
        organization=org,
        is_org_owner=False,
        district=org.district,
        email=inv.email,
        display_name=name,
    )
    db.session.flush()
    inv.used_at = now()
    inv.used_by = user.id
    audit.record(
        "account.invitation_accept",
        actor=user,
        role="applicant",
        details={"organization_id": org.id, "invitation_id": inv.id, "user_id": user.id},
    )
    return user


@operation
def remove_member(owner: User, member_id: int) -> User:
    """The member leaves the organisation and is deactivated: no more access to its cases."""
    org = _owned_organization(owner)
    member = db.session.get(User, member_id)
    if member is None or member.organization_id != org.id:
        raise NotFound()
    if member.id == owner.id or member.is_org_owner:
        raise Conflict("不能移除单位的注册人。")
    member.organization_id = None
    member.active = False
    member.session_token = secrets.token_hex(16)
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == member.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    audit.record(
        "account.member_remove",
        actor=owner,
        role="applicant",
        details={"organization_id": org.id, "user_id": member.id, "username": member.username},
    )
    return member
