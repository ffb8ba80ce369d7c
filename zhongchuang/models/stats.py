"""What the statistics page reads instead of replaying the audit trail: one row per
completed stay of a case in a state, and the computed figures of each scope, kept for a
few minutes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zhongchuang.extensions import db
from zhongchuang.models.base import JSONType, UTCDateTime


class CaseStay(db.Model):
    """环节停留: a case's time in one state, from the day it entered to the day it left
    (written by the workflow engine with the transition that ends it; see
    ``workflow.stays``). District and program are copied from the case so that the
    statistics of a district read this table alone."""

    __tablename__ = "case_stays"
    __table_args__ = (
        sa.Index("ix_case_stays_state", "state", "days", "working_days"),
        sa.Index("ix_case_stays_district_state", "district", "state", "days", "working_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    district: Mapped[str] = mapped_column(sa.String(6))
    program_id: Mapped[int] = mapped_column(sa.Integer)
    state: Mapped[str] = mapped_column(sa.String(20))
    entered_on: Mapped[date] = mapped_column(sa.Date)
    left_on: Mapped[date] = mapped_column(sa.Date)
    days: Mapped[int] = mapped_column(sa.Integer)
    working_days: Mapped[int] = mapped_column(sa.Integer)


class StatsSnapshot(db.Model):
    """统计快照: the figures of one scope (the city, a district, one user's cases) as
    computed at ``computed_at`` for the date ``as_of``; reused until they are older than
    ``ZC_STATS_TTL`` seconds."""

    __tablename__ = "stats_snapshots"

    scope: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    as_of: Mapped[date] = mapped_column(sa.Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
