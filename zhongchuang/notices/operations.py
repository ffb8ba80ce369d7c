"""Public notices (公示) and objections (异议).

Publishing moves each case ``city_approved → in_notice`` through the same engine as every
other action, case by case, and reports a result per case. Objections come from the
public, with a real name and phone, only while the notice runs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.cases.engine import ActionInput, act, apply_action, get_visible
from zhongchuang.errors import DomainError, Forbidden, NotFound, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.messages import notify
from zhongchuang.models import Application, Notice, NoticeItem, Objection, User
from zhongchuang.policy.identity import mask_name
from zhongchuang.runtime import now, today
from zhongchuang.uow import operation, separately
from zhongchuang.workflow import calendar as wcal

job_log = logging.getLogger("zhongchuang.jobs")

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


@dataclass
class PublishResult:
    notice: Notice | None
    published: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def public_name(case: Application) -> str:
    """What the public sees of the applicant: an organisation's name, a person's masked."""
    if case.person_id is not None:
        return mask_name(case.applicant_name)
    return case.applicant_name


@operation
def publish_notice(
    user: User,
    application_ids: list[int],
    working_days: int = wcal.NOTICE_DAYS_DEFAULT,
    title: str | None = None,
) -> PublishResult:
    """Publish one notice for several cases; each case goes ``in_notice`` or is reported."""
    if not user.has_role("city_reviewer"):
        raise Forbidden("只有市级审核人员可以发布公示。")
    ids = list(dict.fromkeys(int(i) for i in application_ids))
    if not ids:
        raise ValidationFailed(
            "请选择要公示的申报。", errors={"application_ids": ["至少选择一件。"]}
        )
    if not 1 <= int(working_days) <= wcal.NOTICE_DAYS_MAX:
        raise ValidationFailed(
            "公示期天数不正确。",
            errors={"working_days": [f"公示期须为1至{wcal.NOTICE_DAYS_MAX}个工作日。"]},
        )
    published_on = today()
    period = wcal.notice_period(published_on, int(working_days))
    notice = Notice(
        title=title or f"{published_on.year}年众创空间政策扶持事项拟支持名单公示",
        published_on=published_on,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        working_days=int(working_days),
        published_by=user.id,
        created_at=now(),
        calendar_certain=wcal.calendar_certain(period.starts_on)
        and wcal.calendar_certain(period.ends_on),
    )
    result = PublishResult(notice=None)
    published: list[Application] = []
    whole = db.session.begin_nested()  # undone whole when no case could be published
    db.session.add(notice)
    db.session.flush()
    for case_id in ids:
        try:
            with separately():
                case = apply_action(user, case_id, "publish", ActionInput())
                db.session.add(
                    NoticeItem(
                        notice_id=notice.id,
                        application_id=case.id,
                        public_name=public_name(case),
                        program_name=case.program.name,
                        district=case.district,
                        amount=f"{case.approved_amount:.2f}" if case.approved_amount else None,
                    )
                )
                db.session.flush()
            result.published.append(case_id)
            published.append(case)
        except DomainError as exc:
            result.refused[case_id] = exc.message
    if not result.published:
        whole.rollback()
        return result
    whole.commit()
    audit.record(
        "notice.publish",
        actor=user,
        role="city_reviewer",
        details={
            "notice_id": notice.id,
            "applications": result.published,
            "starts_on": notice.starts_on.isoformat(),
            "ends_on": notice.ends_on.isoformat(),
        },
    )
    result.notice = notice
    for case in published:
        notify.after_action(case, "publish")
    return result


def get_notice(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("未找到该公示。")
    return notice


def notices_published() -> sa.Select[tuple[Notice]]:
    """The public notices, for the public page and the API alike."""
    return sa.select(Notice)


def list_notices(limit: int = 50, before_id: int | None = None) -> list[Notice]:
    """Notices newest first; ``before_id`` pages on."""
    stmt = notices_published().order_by(Notice.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Notice.id < before_id)
    return list(db.session.execute(stmt).scalars())


def notice_running(notice: Notice, on: date) -> bool:
    return notice.starts_on <= on <= notice.ends_on


def notice_state(notice: Notice, on: date) -> str:
    if on < notice.starts_on:
        return "upcoming"
    if on <= notice.ends_on:
        return "running"
    return "ended"


@operation
def lodge_objection(
    notice_id: int, application_id: int, contact_name: str, contact_phone: str, text: str
) -> Objection:
    """An objection from the public: named, with a phone, during the notice period."""
    notice = get_notice(notice_id)
    item = db.session.execute(
        sa.select(NoticeItem).where(
            NoticeItem.notice_id == notice.id, NoticeItem.application_id == application_id
        )
    ).scalar_one_or_none()
    errors: dict[str, list[str]] = {}
    if item is None:
        errors["application_id"] = ["该公示中没有这件申报。"]
    name = (contact_name or "").strip()
    if not 2 <= len(name) <= 50:
        errors["contact"] = ["请填写您的真实姓名（不受理匿名异议）。"]
    phone = (contact_phone or "").strip()
    if not PHONE_RE.match(phone):
        errors.setdefault("contact", []).append("请填写有效的联系电话，以便核实。")
    body = (text or "").strip()
    if not 10 <= len(body) <= 5000:
        errors["text"] = ["请写明异议的事实和理由（10至5000字）。"]
    if errors:
        raise ValidationFailed("异议内容不完整。", errors=errors)
    if not notice_running(notice, today()):
        raise DomainError(
            f"公示期为 {notice.starts_on} 至 {notice.ends_on}，当前不在公示期内，不能提出异议。",
            code="notice_closed",
            status=409,
        )
    obj = Objection(
        notice_id=notice.id,
        application_id=application_id,
        contact_name=name,
        contact_phone=phone,
        text=body,
        status="open",
        created_at=now(),
    )
    db.session.add(obj)
    db.session.flush()
    audit.record(
        "notice.objection",
        application_id=application_id,
        actor_name="public",
        details={"notice_id": notice.id, "objection_id": obj.id},
    )
    return obj


def objections_for(user: User, case_id: int) -> list[Objection]:
    """Objections of a case: staff only (kept confidential from the applicant)."""
    case = get_visible(user, case_id)
    if not (user.has_role("city_reviewer", "admin") or user.has_role("county_reviewer")):
        return []
    return list(
        db.session.execute(
            sa.select(Objection).where(Objection.application_id == case.id).order_by(Objection.id)
        ).scalars()
    )


@dataclass
class CloseResult:
    concluded: list[int] = field(default_factory=list)
    waiting: dict[int, str] = field(default_factory=dict)


def close_due_notices() -> CloseResult:
    """Conclude every case whose notice period is over and has no open objection.
    Idempotent: meant for cron (``flask notices close-due``)."""
    t = today()
    ids = list(
        db.session.execute(
            sa.select(Application.id)
            .join(NoticeItem, NoticeItem.application_id == Application.id)
            .join(Notice, Notice.id == NoticeItem.notice_id)
            .where(Application.state == "in_notice", Notice.ends_on < t)
            .order_by(Application.id)
        ).scalars()
    )
    result = CloseResult()
    for case_id in ids:
        try:
            with separately():  # each case concluded, or left waiting, on its own
                act(None, case_id, "conclude_notice")
            result.concluded.append(case_id)
        except DomainError as exc:
            result.waiting[case_id] = exc.message
    return result


def close_due_notices_job() -> dict[str, Any]:
    """公示期满自动办结: the cron / worker form of ``flask notices close-due``
    (``flask jobs run close-due-notices``)."""
    result = close_due_notices()
    if result.concluded or result.waiting:
        job_log.info(
            "close-due notices: concluded=%s waiting=%s", result.concluded, sorted(result.waiting)
        )
    return {
        "concluded": result.concluded,
        "waiting": {str(k): v for k, v in result.waiting.items()},
    }
