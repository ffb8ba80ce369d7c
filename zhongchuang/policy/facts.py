"""What the rules need to know besides the application's own data, filled by the services
from the database: the applicant, recognised maker spaces, earlier benefits, the roster.

Counts and sets never include the case being judged itself.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final, Literal, get_args

from zhongchuang.policy.status import EventLike


@dataclass(frozen=True)
class PriorBenefits:
    """Earlier benefits of the same subject, by the program's ``benefit.key``.

    The subject is the one the program's ``benefit.subject`` names: the applicant person
    for per-person benefits (``graduate_startup_grant``), the business for per-business
    ones (``employment_driving_grant``). Count approved and pending cases alike.
    """

    #: benefit key → number of grants already held or pending (一次性补助, 带动就业补助).
    grants: Mapping[str, int] = field(default_factory=dict)
    #: benefit key → years already granted (per-year benefits).
    years: Mapping[str, frozenset[int]] = field(default_factory=dict)
    #: benefit key → months (first days) already subsidised (per-month benefits, 贷款贴息).
    months: Mapping[str, frozenset[date]] = field(default_factory=dict)


@dataclass(frozen=True)
class RosterSummary:
    """The checked roster of a ``graduate_social_insurance`` claim (花名册)."""

    accepted_rows: int
    rejected_rows: int
    accepted_amount: Decimal


#: 企业规模 — the sizes an enterprise registers with (划型), smallest first.
EnterpriseSize = Literal["micro", "small", "medium", "large"]
ENTERPRISE_SIZES: Final[tuple[EnterpriseSize, ...]] = get_args(EnterpriseSize)
ENTERPRISE_SIZE_LABELS: Final[dict[str, str]] = dict(
    zip(ENTERPRISE_SIZES, ("微型", "小型", "中型", "大型"), strict=True)
)


@dataclass(frozen=True)
class Facts:
    """The applicant and the world on the as-of date, as plain values.

    ``applicant_kind`` is ``organization`` or ``person``; ``org_kind`` ``operator`` or
    ``enterprise``; ``enterprise_size`` ``micro``/``small``/``medium``/``large``.
    ``recognised_maker_space_ids`` holds the ids of the 市级众创空间 recognised on the as-of
    date (ints or strings; compared as strings) — at least those the data name: the
    services look up only the chosen ones. ``policy_events`` are the events of the
    policy the program belongs to (for “opened while the policy is in force”): any objects
    with ``kind`` and ``date`` (``status.PolicyEvent``, or database rows).
    """

    applicant_kind: str | None = None
    org_kind: str | None = None
    enterprise_size: str | None = None
    org_district: str | None = None
    org_credit_code: str | None = None
    recognised_maker_space_ids: frozenset[int | str] = frozenset()
    prior_benefits: PriorBenefits = field(default_factory=PriorBenefits)
    roster_summary: RosterSummary | None = None
    policy_events: tuple[EventLike, ...] = ()

    def maker_space_recognised(self, space_id: int | str) -> bool:
        wanted = str(space_id).strip()
        return any(str(s).strip() == wanted for s in self.recognised_maker_space_ids)


def _normal(text: str) -> str:
    """Full-width folded (NFKC), without spaces, case-folded: 同名同址 however typed."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def space_subject(name: str, address: str) -> str:
    """The subject of a recognition: the space, by its name and address (同一众创空间),
    never the operator, who may run several. A short stable key for the claim index."""
    digest = hashlib.sha256(f"{_normal(name)}|{_normal(address)}".encode()).hexdigest()
    return f"space:{digest[:40]}"


def same_space(name_a: str, address_a: str | None, name_b: str, address_b: str | None) -> bool:
    """Whether two records name the same space (a missing address: the name decides)."""
    if _normal(name_a) != _normal(name_b):
        return False
    if not address_a or not address_b:
        return True
    return _normal(address_a) == _normal(address_b)
