"""Builders for the reviewer workspace tests: cases through the real services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.helpers import attach_for_submit, attach_required
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.policy.identity import make_credit_code

RECOGNITION_DATA = {
    "space_name": "南湖创客汇",
    "space_type": "maker_incubation",
    "address": "南湖区某路1号",
    "district": "330402",
    "area_sqm": "800",
    "workstations": 60,
    "resident_teams": 25,
    "mentors": 5,
    "staff": 4,
    "events_last_year": 12,
    "operating_since": "2019-01-01",
}


class World:
    """An admin, open batches, a graduate applicant, and reviewers of two districts."""

    def __init__(self, factory) -> None:
        self.factory = factory
        self.admin = factory.staff("admin", username="admin")
        self.batch = batches.create_batch(
            self.admin,
            "employment_driving_grant",
            2021,
            date(2021, 3, 1),
            date(2021, 4, 30),
            Decimal("1000000.00"),
        )
        self.applicant = factory.person(name="陈小红")
        self.county = factory.staff("county_reviewer", district="330411", username="xiuzhou")
        self.other_county = factory.staff("county_reviewer", district="330402", username="nanhu")
        self.city = factory.staff("city_reviewer", username="city")
        self.finance = factory.staff("finance", username="fin")
        self._n = 0

    def submitted(self, employees: int = 5, district: str = "330411", applicant=None):
        """A submitted employment-driving grant (amount 2000 + 1000 per employee over 3)."""
        self._n += 1
        code = make_credit_code(district, f"MB{self._n:07d}")
        who = applicant or self.applicant
        case = cases.create_draft(
            who,
            "employment_driving_grant",
            {"business_credit_code": code, "year": 2020, "employees_insured": employees},
        )
        attach_required(case, who)
        return cases.act(who, case.id, "submit")

    def approved(self, employees: int = 5, district: str = "330411"):
        """A case taken to ``city_approved``."""
        case = self.submitted(employees, district)
        county = self.county if district == "330411" else self.other_county
        cases.act(county, case.id, "accept")
        cases.act(county, case.id, "county_approve")
        return cases.act(
            self.city, case.id, "city_approve", ActionInput(amount=case.computed_amount)
        )


#: 专家评审指标 of makerspace_recognition in the catalogue (code, max).
RECOGNITION_CRITERIA = (
    ("premises", 25),
    ("team_mentors", 25),
    ("services", 25),
    ("incubation", 25),
)


def recognition_scores(total: int) -> dict[str, int]:
    """Points per criterion of a recognition case adding up to ``total`` (0–100)."""
    out, left = {}, total
    for i, (code, top) in enumerate(RECOGNITION_CRITERIA):
        share = -(-left // (len(RECOGNITION_CRITERIA) - i))  # the rest, spread evenly
        out[code] = min(top, share)
        left -= out[code]
    assert left == 0
    return out


def expert_score(total: int, opinion: str = "运营规范，服务能力较强。") -> ActionInput:
    """An expert's score of a recognition case (criteria adding up to ``total``)."""
    return ActionInput(scores=recognition_scores(total), opinion=opinion)


def recognition_case(factory, county, district: str = "330402"):
    """A maker-space recognition case (expert review) at ``county_approved``."""
    admin = factory.staff("admin")
    batches.create_batch(
        admin, "makerspace_recognition", 2021, date(2021, 3, 1), date(2021, 4, 30), Decimal("0")
    )
    operator = factory.operator(district=district)
    case = cases.create_draft(operator, "makerspace_recognition", dict(RECOGNITION_DATA))
    attach_required(case, operator)
    attach_for_submit(case, operator)
    cases.act(operator, case.id, "submit")
    cases.act(county, case.id, "accept")
    return cases.act(county, case.id, "county_approve")
