"""Cases (申报案件) and what hangs on them: attachments, roster rows, benefit claims,
expert assignments, and the recognised maker spaces they create."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhongchuang.extensions import db
from zhongchuang.models.base import JSONType, Money, UTCDateTime, sql_in
from zhongchuang.workflow import machine

STATES = tuple(machine.STATES)
PRE_APPROVAL_STATES = machine.PRE_APPROVAL_STATES
HOLDING_STATES = machine.HOLDING_STATES


class Application(db.Model):
    """申报案件. Nothing assigns ``state`` except the workflow service."""

    __tablename__ = "applications"
    __table_args__ = (
        sa.CheckConstraint(f"state IN {sql_in(STATES)}", name="state"),
        sa.CheckConstraint(
            f"state NOT IN {sql_in(PRE_APPROVAL_STATES)} OR approved_amount IS NULL",
            name="approved_amount_from_city_approval",
        ),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_applications_queue", "district", "state", "due_on", "id"),
        sa.Index("ix_applications_state_id", "state", "id"),
        sa.Index("ix_applications_program_state", "program_id", "state", "id"),
        sa.Index("ix_applications_correction_due", "state", "correction_due_on"),
        # 办理时限: the reminders and the city-wide 超期 / 即将超期 views read by due date.
        sa.Index("ix_applications_due_on", "due_on", "id"),
        sa.CheckConstraint("paused_working_days >= 0", name="paused_working_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    applicant_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(sa.String(200), index=True)
    district: Mapped[str] = mapped_column(sa.String(6))
    title: Mapped[str | None] = mapped_column(sa.String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft")
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    workflow_id: Mapped[str] = mapped_column(sa.String(40))
    eligible: Mapped[bool | None] = mapped_column(sa.Boolean)
    computed_amount: Mapped[Decimal | None] = mapped_column(Money)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    explanation: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    #: The rules the case was judged by at submission: parameters, explanation, version.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    catalogue_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_versions.id"))
    submitted_on: Mapped[date | None] = mapped_column(sa.Date)
    state_entered_on: Mapped[date | None] = mapped_column(sa.Date)
    #: 办理时限至: before 受理 the 受理时限's day; from 受理 on, while the clock runs, the
    #: promised limit's day moved by the paused working days (``workflow.clock``); ``None``
    #: while the clock stands still (补正, 专家评审, 公示) and once the case has ended.
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    #: The case's clock (``workflow.clock.ClockState``): the day of 受理, the day it ended
    #: (办结), the day the current pause began, the working days of the ended pauses.
    clock_started_on: Mapped[date | None] = mapped_column(sa.Date)
    clock_stopped_on: Mapped[date | None] = mapped_column(sa.Date)
    paused_since: Mapped[date | None] = mapped_column(sa.Date)
    paused_working_days: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: 法定时限 and 承诺时限 as the program's parameters gave them on the day of 受理.
    statutory_working_days: Mapped[int | None] = mapped_column(sa.Integer)
    promised_working_days: Mapped[int | None] = mapped_column(sa.Integer)
    first_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    score_average: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    payment_reference: Mapped[str | None] = mapped_column(sa.String(100))
    disbursed_on: Mapped[date | None] = mapped_column(sa.Date)
    #: 一次性告知: while ``returned``, ``{"reason", "items": [{"target", "label",
    #: "message"}], "due_on"}``; ``None`` once resubmitted.
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: 补正期限 (the last day to resubmit), for ``flask cases lapse-overdue``.
    correction_due_on: Mapped[date | None] = mapped_column(sa.Date)
    #: 查询码: six characters printed on the 受理通知书, asked with the number for 办件进度.
    query_code: Mapped[str | None] = mapped_column(sa.String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    program = relationship("Program", lazy="joined", innerjoin=True)
    batch = relationship("Batch")
    applicant = relationship("User", foreign_keys=[applicant_user_id])
    organization = relationship("Organization")
    person = relationship("Person")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", order_by="Attachment.id"
    )

    __mapper_args__ = {"version_id_col": version}


class Attachment(db.Model):
    """附件: stored outside static under a random name, with its SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    uploaded_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: False once replaced by a newer file of the same kind (kept for the record).
    current: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    application: Mapped[Application] = relationship(back_populates="attachments")


class RosterRow(db.Model):
    """One person-month of a 招用大学生社保补贴 roster."""

    __tablename__ = "roster_rows"
    __table_args__ = (sa.Index("ix_roster_rows_person_month", "id_number_hash", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    row_no: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    id_number_enc: Mapped[str | None] = mapped_column(sa.Text)
    id_number_hash: Mapped[str | None] = mapped_column(sa.String(64))
    id_number_masked: Mapped[str] = mapped_column(sa.String(18))
    school: Mapped[str | None] = mapped_column(sa.String(200))
    graduation_date: Mapped[date | None] = mapped_column(sa.Date)
    contract_start: Mapped[date | None] = mapped_column(sa.Date)
    contract_end: Mapped[date | None] = mapped_column(sa.Date)
    month: Mapped[str | None] = mapped_column(sa.String(7))
    pension: Mapped[Decimal | None] = mapped_column(Money)
    medical: Mapped[Decimal | None] = mapped_column(Money)
    unemployment: Mapped[Decimal | None] = mapped_column(Money)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    accepted: Mapped[bool] = mapped_column(sa.Boolean)
    errors: Mapped[list[str]] = mapped_column(JSONType, default=list)


class BenefitClaim(db.Model):
    """One unit of benefit a case claims: (benefit, subject, period). A subject is a person's
    keyed id hash or a business's credit code; a period is a month, a year or ``once``.
    A claim counts while its case holds it (submitted up to disbursed); duplicates across
    enterprises and batches are found here."""

    __tablename__ = "benefit_claims"
    __table_args__ = (
        sa.Index("ix_benefit_claims_key", "benefit", "subject", "period"),
        # The same unit of benefit is held by one case at most, even under concurrent submits.
        sa.Index(
            "uq_benefit_claims_active",
            "benefit",
            "subject",
            "period",
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    benefit: Mapped[str] = mapped_column(sa.String(60))
    subject: Mapped[str] = mapped_column(sa.String(64))
    period: Mapped[str] = mapped_column(sa.String(10))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class ExpertAssignment(db.Model):
    """专家评审: an expert assigned to a case, and their score."""

    __tablename__ = "expert_assignments"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "expert_id", name="uq_expert_assignments_pair"),
        sa.CheckConstraint(
            f"score IS NULL OR (score >= {machine.SCORE_MIN} AND score <= {machine.SCORE_MAX})",
            name="score",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The total: the sum of ``scores`` (computed, never typed).
    score: Mapped[int | None] = mapped_column(sa.Integer)
    #: 评审意见 (the expert's opinion).
    comment: Mapped[str | None] = mapped_column(sa.Text)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Points per criterion code of the program's 专家评审指标, ``{"premises": 20, ...}``.
    scores: Mapped[dict[str, int] | None] = mapped_column(JSONType)
    #: 回避: the expert declared a conflict of interest; they neither score nor count.
    recused: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false(), nullable=False
    )
    recused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    expert = relationship("User", foreign_keys=[expert_id])


class MakerSpace(db.Model):
    """市级众创空间: created when a makerspace_recognition case is approved."""

    __tablename__ = "maker_spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    space_type: Mapped[str] = mapped_column(sa.String(40))
    level: Mapped[str] = mapped_column(sa.String(20), default="city")
    district: Mapped[str] = mapped_column(sa.String(6), index=True)
    #: 地址 — with the name, what makes a space the same space (认定一次).
    address: Mapped[str | None] = mapped_column(sa.String(300))
    recognised_on: Mapped[date] = mapped_column(sa.Date)
    #: 认定证书编号.
    certificate_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id"), unique=True
    )

    operator = relationship("Organization")
