"""The policy catalogue as loaded into the database: policies, articles, programs,
parameters over time, and application batches with their budgets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhongchuang.extensions import db
from zhongchuang.models.base import JSONType, Money, UTCDateTime


class CatalogueVersion(db.Model):
    """Each distinct catalogue file ever loaded (by SHA-256); cases refer to the one they
    were judged by."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(300))
    content: Mapped[str] = mapped_column(sa.Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str | None] = mapped_column(sa.String(64))


class Policy(db.Model):
    """政策文件, e.g. 嘉政办发〔2015〕90号."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_number: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    issuer: Mapped[str] = mapped_column(sa.String(200))
    based_on: Mapped[list[str]] = mapped_column(JSONType, default=list)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    catalogue_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_versions.id"))

    events: Mapped[list[PolicyEvent]] = relationship(
        cascade="all, delete-orphan", order_by="PolicyEvent.date", lazy="selectin"
    )
    articles: Mapped[list[Article]] = relationship(
        cascade="all, delete-orphan", order_by="Article.position"
    )
    programs: Mapped[list[Program]] = relationship(back_populates="policy", order_by="Program.id")


class PolicyEvent(db.Model):
    """A dated step in a policy's life: issued, in force, confirmed valid, amended, repealed."""

    __tablename__ = "policy_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(30))
    document: Mapped[str | None] = mapped_column(sa.String(200))
    confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    note: Mapped[str | None] = mapped_column(sa.Text)


class Article(db.Model):
    """条款: its path inside the policy (``四(一)``) and its text."""

    __tablename__ = "articles"
    __table_args__ = (sa.UniqueConstraint("policy_id", "path", name="uq_articles_policy_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(sa.Integer)
    incomplete: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    note: Mapped[str | None] = mapped_column(sa.Text)


class Program(db.Model):
    """扶持事项. ``definition`` holds the program as the catalogue states it (fields,
    attachments, rules, amount); parameters live in their own table, over time."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    expert_review: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    workflow: Mapped[str] = mapped_column(sa.String(40))
    #: 办理结果: ``payment`` (an amount approved and paid) or ``recognition`` (a space).
    outcome: Mapped[str] = mapped_column(sa.String(20), default="payment", server_default="payment")
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    catalogue_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_versions.id"))

    policy: Mapped[Policy] = relationship(back_populates="programs")
    parameters: Mapped[list[Parameter]] = relationship(
        cascade="all, delete-orphan", order_by="(Parameter.name, Parameter.valid_from)"
    )
    batches: Mapped[list[Batch]] = relationship(back_populates="program", order_by="Batch.opens_on")

    @property
    def articles(self) -> list[str]:
        return list(self.definition.get("articles", []))


class Parameter(db.Model):
    """A named value with a validity period and the article it comes from (OpenFisca-style).
    A changed catalogue closes the old period and opens a new one: history is kept."""

    __tablename__ = "parameters"
    __table_args__ = (
        sa.UniqueConstraint(
            "policy_id", "program_id", "name", "valid_from", name="uq_parameters_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id", ondelete="CASCADE"))
    #: None for a parameter the catalogue shares between all its programs.
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str | None] = mapped_column(sa.String(100))
    value: Mapped[str] = mapped_column(sa.String(100))
    unit: Mapped[str | None] = mapped_column(sa.String(30))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    article: Mapped[str | None] = mapped_column(sa.String(30))
    source: Mapped[str | None] = mapped_column(sa.Text)
    confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    catalogue_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("catalogue_versions.id"))


class Batch(db.Model):
    """申报批次: a program's application window, fiscal year and budget.

    ``reserved`` is held by city approvals not yet paid, ``consumed`` has been paid; the
    database refuses ``reserved + consumed > budget``."""

    __tablename__ = "batches"
    __table_args__ = (
        sa.CheckConstraint("reserved >= 0 AND consumed >= 0", name="nonnegative"),
        sa.CheckConstraint("reserved + consumed <= budget", name="within_budget"),
        sa.CheckConstraint("closes_on >= opens_on", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    year: Mapped[int] = mapped_column(sa.Integer)
    opens_on: Mapped[date] = mapped_column(sa.Date)
    closes_on: Mapped[date] = mapped_column(sa.Date)
    budget: Mapped[Decimal] = mapped_column(Money)
    reserved: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    consumed: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    program: Mapped[Program] = relationship(back_populates="batches")

    def is_open(self, on: date) -> bool:
        return self.opens_on <= on <= self.closes_on

    @property
    def available(self) -> Decimal:
        return self.budget - self.reserved - self.consumed
