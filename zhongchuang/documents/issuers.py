"""发文机关 — the offices documents are issued by, as data.

The defaults (``catalogue/issuers-jiaxing.yaml``) are loaded where an office is missing —
by ``flask issuers load`` and on the first document that office issues — and never
overwrite what an administrator has edited since (every edit audited). A county decision
is issued by the office of the case's district; the city's decisions, and a county
decision in a district with no office of its own, by the city's office.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from zhongchuang.audit import chain as audit
from zhongchuang.errors import NotFound, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import Application, Issuer, User
from zhongchuang.runtime import now
from zhongchuang.uow import operation

DEFAULTS = Path(__file__).resolve().parents[2] / "catalogue" / "issuers-jiaxing.yaml"
#: The roles whose decisions a county office issues.
COUNTY_ROLES = frozenset({"county_reviewer", "applicant"})
EDITABLE = ("name", "short_name", "reconsideration_body", "litigation_court", "confirmed", "source")
_LIMITS = {"name": 200, "short_name": 40, "reconsideration_body": 200, "litigation_court": 200}


@dataclass(frozen=True)
class IssuerSpec:
    code: str
    level: str
    district: str | None
    name: str
    short_name: str
    reconsideration_body: str
    litigation_court: str
    confirmed: bool
    source: str | None


def read_defaults(path: Path = DEFAULTS) -> list[IssuerSpec]:
    """The offices a file names (``issuers:`` list)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for item in raw.get("issuers") or []:
        out.append(
            IssuerSpec(
                code=str(item["code"]),
                level=str(item["level"]),
                district=str(item["district"]) if item.get("district") else None,
                name=str(item["name"]),
                short_name=str(item["short_name"]),
                reconsideration_body=str(item["reconsideration_body"]),
                litigation_court=str(item["litigation_court"]),
                confirmed=bool(item.get("confirmed", False)),
                source=item.get("source"),
            )
        )
    return out


def ensure_defaults(path: Path = DEFAULTS, by: User | None = None) -> int:
    """Add the offices of ``path`` that are missing (by code or by level and district), in
    the caller's unit of work; returns how many were added."""
    have = {
        (row.code, row.level, row.district)
        for row in db.session.execute(sa.select(Issuer)).scalars()
    }
    codes = {c for c, _l, _d in have}
    places = {(lvl, d) for _c, lvl, d in have}
    added = 0
    for spec in read_defaults(path):
        if spec.code in codes or (spec.level, spec.district) in places:
            continue
        db.session.add(Issuer(**spec.__dict__, updated_at=now()))
        audit.record(
            "admin.issuer_create",
            actor=by,
            actor_name=None if by else "system",
            details={"code": spec.code, "name": spec.name, "short_name": spec.short_name},
        )
        added += 1
    db.session.flush()
    return added


@operation
def load_defaults(path: Path = DEFAULTS) -> int:
    """``flask issuers load``: idempotent."""
    return ensure_defaults(path)


def _find(level: str, district: str | None) -> Issuer | None:
    stmt = sa.select(Issuer).where(Issuer.level == level)
    stmt = stmt.where(Issuer.district == district if district else Issuer.district.is_(None))
    return db.session.execute(stmt).scalar_one_or_none()


def issuer_of(case: Application, role: str | None) -> Issuer:
    """The office that issues a decision taken in ``role`` on ``case``."""
    if role in COUNTY_ROLES:
        found = _find("county", case.district)
        if found is not None:
            return found
    found = _find("city", None)
    if found is None:
        ensure_defaults()
        if role in COUNTY_ROLES and (county := _find("county", case.district)) is not None:
            return county
        found = _find("city", None)
    if found is None:
        raise NotFound("未配置市级发文机关，请系统管理员在“发文机关”中添加。")
    return found


def all_issuers() -> list[Issuer]:
    return list(
        db.session.execute(
            sa.select(Issuer).order_by(
                sa.case((Issuer.level == "city", 0), else_=1), Issuer.district, Issuer.id
            )
        ).scalars()
    )


def get_issuer(issuer_id: int) -> Issuer:
    found = db.session.get(Issuer, issuer_id)
    if found is None:
        raise NotFound("未找到该发文机关。")
    return found


@operation
def update_issuer(admin: User, issuer_id: int, values: dict[str, Any]) -> Issuer:
    """An administrator corrects an office (audited: what changed, before and after). A
    short name already used by another office is refused: numbers must stay unique."""
    issuer = db.session.execute(
        sa.select(Issuer).where(Issuer.id == issuer_id).with_for_update()
    ).scalar_one_or_none()
    if issuer is None:
        raise NotFound("未找到该发文机关。")
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key in EDITABLE:
        if key not in values:
            continue
        value = values[key]
        if key == "confirmed":
            clean[key] = bool(value)
            continue
        text = (str(value) if value is not None else "").strip()
        if key in _LIMITS and not text:
            errors.setdefault(key, []).append("此项不能为空。")
        elif key in _LIMITS and len(text) > _LIMITS[key]:
            errors.setdefault(key, []).append(f"不能超过 {_LIMITS[key]} 个字。")
        clean[key] = text or None if key == "source" else text
    short = clean.get("short_name")
    if short and short != issuer.short_name:
        taken = db.session.execute(
            sa.select(Issuer.id).where(Issuer.short_name == short, Issuer.id != issuer.id)
        ).first()
        if taken:
            errors.setdefault("short_name", []).append("该机关代字已由其他发文机关使用。")
    if errors:
        raise ValidationFailed("发文机关信息有误，请按提示修改。", errors=errors)
    changes = {
        k: {"from": getattr(issuer, k), "to": v}
        for k, v in clean.items()
        if getattr(issuer, k) != v
    }
    for key, change in changes.items():
        setattr(issuer, key, change["to"])
    if changes:
        issuer.updated_at = now()
        audit.record(
            "admin.issuer_update",
            actor=admin,
            role="admin",
            details={"code": issuer.code, "changes": changes},
        )
    return issuer
