"""Audit trail: append events in the caller's transaction; verify the chain.

Every transition, edit, upload, login and admin change calls ``record``. The chain's head
row is locked while an event is appended (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writers with ``BEGIN IMMEDIATE``), so the chain stays linear.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from zhongchuang.extensions import db
from zhongchuang.models import AuditEvent, AuditHead, User
from zhongchuang.runtime import now
from zhongchuang.workflow.audit import GENESIS, event_hash, verify_chain

#: Every kind of audit event, in words (审计事项). One list for the case page, the audit
#: viewer and exports; a kind missing here shows as its code.
KIND_LABELS: dict[str, str] = {
    "case.action": "案件办理",
    "case.create": "创建申报（草稿）",
    "case.edit": "修改申报信息",
    "case.upload": "上传附件",
    "case.roster": "上传花名册",
    "case.experts_assigned": "指派评审专家",
    "notice.publish": "发布公示",
    "notice.objection": "收到公示异议",
    "pii.reveal": "查看完整身份证号",
    "export.cases": "导出案件清单",
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出",
    "account.register": "注册",
    "account.contact_update": "修改联系信息",
    "account.password_change": "修改密码",
    "account.password_reset_request": "申请找回密码",
    "account.password_reset": "重设密码",
    "account.invitation_create": "邀请成员",
    "account.invitation_revoke": "撤回邀请",
    "account.invitation_accept": "接受邀请",
    "account.member_remove": "移除成员",
    "admin.user_create": "新建账号",
    "admin.user_active": "停用/启用账号",
    "admin.user_roles": "调整角色",
    "admin.identity_correction": "更正身份信息",
    "admin.batch_create": "新建批次",
    "admin.batch_update": "修改批次",
    "admin.mail_resend": "重发邮件",
    "admin.audit_export": "导出审计日志",
    "admin.id_key_rotation": "更换加密密钥",
    "catalogue.load": "载入政策目录",
    "document.issue": "签发文书",
    "document.supersede": "文书作废（重新签发）",
    "admin.issuer_create": "新增发文机关",
    "admin.issuer_update": "修改发文机关",
}
#: The families of kinds (the part before the dot), for filters.
FAMILY_LABELS: dict[str, str] = {
    "case": "案件（全部）",
    "notice": "公示（全部）",
    "pii": "个人信息（全部）",
    "export": "导出（全部）",
    "auth": "登录（全部）",
    "account": "账号（全部）",
    "admin": "系统管理（全部）",
    "catalogue": "政策目录（全部）",
    "document": "文书（全部）",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind) or FAMILY_LABELS.get(kind) or kind


def event_content(ev: AuditEvent) -> dict[str, Any]:
    """The canonical content an event's hash covers (everything but the hashes)."""
    return {
        "at": ev.at.isoformat(),
        "actor_id": ev.actor_id,
        "actor_name": ev.actor_name,
        "actor_role": ev.actor_role,
        "kind": ev.kind,
        "application_id": ev.application_id,
        "action": ev.action,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "reason": ev.reason,
        "articles": list(ev.articles or []),
        "details": ev.details or {},
    }


def _lock_head() -> AuditHead:
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_event_id=None, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def record(
    kind: str,
    *,
    actor: User | None = None,
    role: str | None = None,
    application_id: int | None = None,
    action: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    articles: Sequence[str] = (),
    details: dict[str, Any] | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (no commit)."""
    head = _lock_head()
    ev = AuditEvent(
        at=now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else actor_name,
        actor_role=role,
        kind=kind,
        application_id=application_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        articles=list(articles),
        details=details or {},
        prev_hash=head.last_hash,
        hash="",
    )
    ev.hash = event_hash(head.last_hash, event_content(ev))
    db.session.add(ev)
    db.session.flush()
    head.last_event_id = ev.id
    head.last_hash = ev.hash
    return ev


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    first_bad: int | None
    message: str


_COLUMNS = (
    AuditEvent.id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
    AuditEvent.at,
    AuditEvent.actor_id,
    AuditEvent.actor_name,
    AuditEvent.actor_role,
    AuditEvent.kind,
    AuditEvent.application_id,
    AuditEvent.action,
    AuditEvent.from_state,
    AuditEvent.to_state,
    AuditEvent.reason,
    AuditEvent.articles,
    AuditEvent.details,
)


def _iter_events(batch: int = 5000) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """Every event in chain order, read in pages of plain rows (no ORM objects kept)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(*_COLUMNS).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            content = {
                "at": r.at.isoformat(),
                "actor_id": r.actor_id,
                "actor_name": r.actor_name,
                "actor_role": r.actor_role,
                "kind": r.kind,
                "application_id": r.application_id,
                "action": r.action,
                "from_state": r.from_state,
                "to_state": r.to_state,
                "reason": r.reason,
                "articles": list(r.articles or []),
                "details": r.details or {},
            }
            yield r.id, r.prev_hash, r.hash, content
        last_id = rows[-1].id


def _event_id(first_bad: Hashable | None) -> int | None:
    """The chain rule names an event by what it was given: here, its id."""
    return cast("int | None", first_bad)


def verify() -> VerifyResult:
    """Recompute the whole chain; name the first event that does not fit."""
    head = db.session.get(AuditHead, 1)
    expected = head.last_hash if head is not None else None
    result = verify_chain(_iter_events(), expected_head=expected)
    if not result.ok and result.reason == "head_mismatch":
        first_bad = head.last_event_id if head is not None else _event_id(result.first_bad)
        return VerifyResult(
            False,
            result.events,
            first_bad,
            f"审计链末尾的事件（#{first_bad}）被删除或改动。",
        )
    if result.ok:
        return VerifyResult(True, result.events, None, f"审计链完整，共 {result.events} 个事件。")
    return VerifyResult(
        False,
        result.events,
        _event_id(result.first_bad),
        f"审计链在事件 #{result.first_bad} 处断裂：该事件或其前一事件被改动或删除。",
    )
