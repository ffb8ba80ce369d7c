"""Reading the audit trail (审计日志): filter by case, actor, kind and date, page by key,
export as CSV or XLSX. Read-only; appending is ``services.audit.record``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook

from zhongchuang.audit import chain as audit
from zhongchuang.clock import SHANGHAI, Clock
from zhongchuang.errors import Forbidden
from zhongchuang.extensions import db
from zhongchuang.models import Application, AuditEvent, User
from zhongchuang.uow import operation

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = (
    ("id", "编号"),
    ("at", "时间"),
    ("actor", "操作人"),
    ("role", "角色"),
    ("kind", "类别"),
    ("case", "案件"),
    ("action", "操作"),
    ("from_state", "原状态"),
    ("to_state", "新状态"),
    ("reason", "理由"),
    ("articles", "引用条款"),
    ("details", "详情"),
    ("hash", "哈希"),
)


@dataclass(frozen=True)
class AuditFilter:
    """Every part optional. ``case`` is a case number (申报编号) or id; ``actor`` a username;
    ``kind`` a kind (``case.action``) or its family (``admin``); dates are local days."""

    case: str | None = None
    actor: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    event_id: int | None = None

    def query_args(self) -> dict[str, str]:
        out = {
            "case": self.case or "",
            "actor": self.actor or "",
            "kind": self.kind or "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "event": str(self.event_id) if self.event_id else "",
        }
        return {k: v for k, v in out.items() if v}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(f: AuditFilter) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if f.event_id:
        conds.append(AuditEvent.id == f.event_id)
    case = (f.case or "").strip()
    if case:
        by_number = sa.select(Application.id).where(Application.number == case)
        if case.isdigit() and len(case) < 10:
            conds.append(
                sa.or_(
                    AuditEvent.application_id == int(case), AuditEvent.application_id.in_(by_number)
                )
            )
        else:
            conds.append(AuditEvent.application_id.in_(by_number))
    actor = (f.actor or "").strip()
    if actor:
        conds.append(sa.func.lower(AuditEvent.actor_name) == actor.lower())
    kind = (f.kind or "").strip()
    if kind:
        conds.append(
            sa.or_(
                AuditEvent.kind == kind,
                AuditEvent.kind.like(_like_escape(kind) + ".%", escape="\\"),
            )
        )
    if f.date_from:
        conds.append(AuditEvent.at >= Clock.start_of_day(f.date_from))
    if f.date_to:
        conds.append(AuditEvent.at < Clock.start_of_day(f.date_to + timedelta(days=1)))
    return conds


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    numbers: dict[int, str]
    #: id to pass as ``cursor`` for the next (older) page, or None on the last page
    next_cursor: int | None


def _numbers(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Application.id, Application.number).where(Application.id.in_(ids))
        )
        .tuples()
        .all()
    )


def events_matching(f: AuditFilter) -> sa.Select[tuple[AuditEvent]]:
    """The events a filter names, for the audit page, its exports and the API alike."""
    return sa.select(AuditEvent).where(*_conditions(f))


def search(f: AuditFilter, cursor: int | None = None, limit: int | None = None) -> AuditPage:
    """Newest first; ``cursor`` is the last id of the previous page (keyset pagination)."""
    limit = limit or PAGE_SIZE
    stmt = events_matching(f)
    if cursor:
        stmt = stmt.where(AuditEvent.id < cursor)
    rows = list(db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    numbers = _numbers({r.application_id for r in rows if r.application_id})
    return AuditPage(rows, numbers, rows[-1].id if more and rows else None)


def kinds() -> list[str]:
    return list(
        db.session.execute(
            sa.select(AuditEvent.kind).distinct().order_by(AuditEvent.kind)
        ).scalars()
    )


def _cell(value: Any) -> str:
    """Text for a spreadsheet cell; a leading = + - @ is defused (formula injection)."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_rows(f: AuditFilter) -> Iterator[list[str]]:
    """Rows in id order (oldest first), at most ``EXPORT_LIMIT``, fetched in batches."""

    conds = _conditions(f)
    last = 0
    sent = 0
    while sent < EXPORT_LIMIT:
        batch = list(
            db.session.execute(
                sa.select(AuditEvent)
                .where(*conds, AuditEvent.id > last)
                .order_by(AuditEvent.id)
                .limit(min(1000, EXPORT_LIMIT - sent))
            ).scalars()
        )
        if not batch:
            return
        numbers = _numbers({r.application_id for r in batch if r.application_id})
        for ev in batch:
            yield [
                str(ev.id),
                ev.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                _cell(ev.actor_name),
                _cell(ev.actor_role),
                _cell(ev.kind),
                _cell(numbers.get(ev.application_id or 0, ev.application_id)),
                _cell(ev.action),
                _cell(ev.from_state),
                _cell(ev.to_state),
                _cell(ev.reason),
                _cell("、".join(ev.articles or [])),
                _cell(json.dumps(ev.details or {}, ensure_ascii=False, sort_keys=True)),
                ev.hash,
            ]
        sent += len(batch)
        last = batch[-1].id


def export_csv(f: AuditFilter) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([label for _key, label in EXPORT_COLUMNS])
    writer.writerows(export_rows(f))
    return buf.getvalue().encode("utf-8-sig")  # the BOM lets Excel read Chinese


def export_xlsx(f: AuditFilter) -> bytes:

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append([label for _key, label in EXPORT_COLUMNS])
    for row in export_rows(f):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@operation
def export(user: User, f: AuditFilter, fmt: str) -> bytes:
    """The filtered events as CSV or XLSX; the export itself is recorded."""
    if not user.has_role("admin"):
        raise Forbidden("只有系统管理员可以导出审计日志。")
    data = export_csv(f) if fmt == "csv" else export_xlsx(f)
    audit.record(
        "admin.audit_export",
        actor=user,
        role="admin",
        details={"format": fmt, "filter": f.query_args()},
    )
    return data
