"""Notifications to applicants: in the app, and by e-mail through the outbox.

Written in the action's own unit of work, in a savepoint: a failed notification never undoes
a state change, and mail is delivered only after the commit. E-mail goes through SMTP when
MAIL_SERVER is set; in the embedded default it stays in the outbox, which admins can read.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa

from zhongchuang.extensions import db
from zhongchuang.models import Application, Notification, OutboxMail, User
from zhongchuang.ops.jobs import enqueue
from zhongchuang.runtime import now, setting
from zhongchuang.uow import operation, unit_of_work

log = logging.getLogger("zhongchuang.notify")

#: The steps that notify the applicant, and what they are told (申请人可见的通知).
APPLICANT_MESSAGES: dict[str, str] = {
    "accept": "您的申报 {number}（{program}）已受理。",
    "return": "您的申报 {number}（{program}）被退回补正，请查看退回理由并修改后重新提交。",
    "county_approve": "您的申报 {number}（{program}）已通过初审。",
    "county_reject": "您的申报 {number}（{program}）初审未通过，请查看理由。",
    "city_approve": "您的申报 {number}（{program}）已通过复审。",
    "city_reject": "您的申报 {number}（{program}）复审未通过，请查看理由。",
    "publish": "您的申报 {number}（{program}）已进入公示。",
    "conclude_notice": "您的申报 {number}（{program}）公示期满，已核准。",
    "uphold_objection": "您的申报 {number}（{program}）因公示异议成立，不予支持。",
    "disburse": "您的申报 {number}（{program}）补助资金已拨付。",
    "decline": "您的申报 {number}（{program}）不予受理，请查看不予受理决定书。",
    "lapse": "您的申报 {number}（{program}）逾期未补正，已视为撤回。",
}


#: What a recognition's applicant is told instead (认定, not 核准 of money).
RECOGNITION_MESSAGES: dict[str, str] = {
    "conclude_notice": "您的申报 {number}（{program}）公示期满无异议，已予认定。",
}


def notifying_steps() -> dict[str, str]:
    return dict(APPLICANT_MESSAGES)


def after_action(case: Application, action: str) -> None:
    """Tell the case's applicant about a step, in the step's own unit of work: the
    notification and its mail are written with the step (a failure to write them is
    logged and undoes nothing else), the mail leaves once the step is committed."""
    template = APPLICANT_MESSAGES.get(action)
    if case.program.outcome == "recognition":
        template = RECOGNITION_MESSAGES.get(action, template)
    if template is None:
        return
    with unit_of_work() as work:
        with work.savepoint(f"notification for case {case.id}"):
            text = template.format(number=case.number, program=case.program.name)
            t = now()
            for user in _applicant_users(case):
                db.session.add(
                    Notification(
                        user_id=user.id,
                        application_id=case.id,
                        kind=action,
                        text=text,
                        created_at=t,
                    )
                )
                if user.email:
                    queue_mail(user.email, f"【众创空间申报】{case.number} 办理进度", text)
            db.session.flush()
        work.after_commit(deliver_pending, once=True)


def _applicant_users(case: Application) -> list[User]:
    if case.organization_id is not None:
        return list(
            db.session.execute(
                sa.select(User).where(
                    User.organization_id == case.organization_id, User.active.is_(True)
                )
            ).scalars()
        )
    user = db.session.get(User, case.applicant_user_id)
    return [user] if user is not None and user.active else []


@operation
def queue_mail(to: str, subject: str, body: str) -> OutboxMail:
    """A mail in the outbox, sent once the unit it is written in commits."""
    mail = OutboxMail(
        to_address=to, subject=subject, body=body, status="pending", attempts=0, created_at=now()
    )
    db.session.add(mail)
    db.session.flush()
    return mail


def deliver_pending(limit: int = 50) -> int:
    """Send pending mails now (inline) or hand them to the worker (production)."""
    if not setting("JOBS_INLINE", True):
        enqueue("zhongchuang.messages.notify.send_pending_job")
        return 0
    return send_pending(limit)


def send_pending_job() -> int:
    return send_pending()


@operation
def send_pending(limit: int = 50) -> int:
    mails = list(
        db.session.execute(
            sa.select(OutboxMail)
            .where(OutboxMail.status == "pending")
            .order_by(OutboxMail.id)
            .limit(limit)
        ).scalars()
    )
    sent = 0
    server = setting("MAIL_SERVER")
    for mail in mails:
        mail.attempts += 1
        if not server:
            mail.status = "kept"
            continue
        try:
            _smtp_send(mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.status = "failed" if mail.attempts >= 3 else "pending"
            mail.error = f"{exc.__class__.__name__}: {exc}"[:500]
            continue
        mail.status = "sent"
        mail.sent_at = now()
        sent += 1
    return sent


def _smtp_send(mail: OutboxMail) -> None:
    msg = EmailMessage()
    msg["From"] = setting("MAIL_SENDER")
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    with smtplib.SMTP(setting("MAIL_SERVER"), int(setting("MAIL_PORT", 25)), timeout=10) as smtp:
        if setting("MAIL_USE_TLS"):
            smtp.starttls()
        if setting("MAIL_USERNAME"):
            smtp.login(setting("MAIL_USERNAME"), setting("MAIL_PASSWORD") or "")
        smtp.send_message(msg)
