"""Demo data: accounts (one per role), open batches, and cases in every state, so a
newcomer sees a living system. Demo only: the password is printed and documented."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zhongchuang.extensions import db
from zhongchuang.models import Application, Program, User
from zhongchuang.policy.identity import make_credit_code, make_id_number
from zhongchuang.services import accounts, batches, cases, notices
from zhongchuang.services.cases import ActionInput
from zhongchuang.services.runtime import clock

DEMO_PASSWORD = "Demo-2021-zc"  # noqa: S105 - demo accounts only, printed and documented

STAFF = [
    ("admin", ["admin"], None, "系统管理员"),
    ("city", ["city_reviewer"], None, "市科技局 审核员"),
    ("nanhu", ["county_reviewer"], "330402", "南湖区科技局 审核员"),
    ("xiuzhou", ["county_reviewer"], "330411", "秀洲区人社局 审核员"),
    ("expert1", ["expert"], None, "专家 甲"),
    ("expert2", ["expert"], None, "专家 乙"),
    ("expert3", ["expert"], None, "专家 丙"),
    ("finance", ["finance"], None, "市财政局 拨付员"),
]

#: A minimal valid PDF used as every demo attachment.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class SeedReport:
    accounts: list[tuple[str, str]] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)
    skipped: bool = False


def is_empty() -> bool:
    return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def _attach(case: Application, user: User) -> None:
    from zhongchuang.services import attachments
    from zhongchuang.services.eligibility import program_spec

    for spec in program_spec(case.program).attachments:
        if spec.required:
            attachments.upload(user, case.id, spec.kind, f"{spec.label}.pdf", io.BytesIO(DEMO_PDF))


class _Seeder:
    def __init__(self, demo_today: date) -> None:
        self.today = demo_today
        self.report = SeedReport()
        self.users: dict[str, User] = {}
        self.n = 0

    def on(self, day: date) -> None:
        clock().set_today(day)

    def staff(self) -> None:
        for username, roles, district, name in STAFF:
            self.users[username] = accounts.create_user(
                username, DEMO_PASSWORD, roles, district, display_name=name
            )
            self.report.accounts.append((username, name))

    def applicants(self) -> None:
        self.users["operator"] = accounts.register_organization(
            accounts.OrganizationRegistration(
                username="operator",
                password=DEMO_PASSWORD,
                org_name="嘉兴南湖创客汇运营管理有限公司",
                credit_code=make_credit_code("330402", "MA28A0001"),
                org_kind="operator",
                district="330402",
                email="operator@demo.invalid",
            )
        )
        self.users["enterprise"] = accounts.register_organization(
            accounts.OrganizationRegistration(
                username="enterprise",
                password=DEMO_PASSWORD,
                org_name="嘉兴智造小微科技有限公司",
                credit_code=make_credit_code("330402", "MA28B0002"),
                org_kind="enterprise",
                district="330402",
                enterprise_size="small",
                email="enterprise@demo.invalid",
            )
        )
        self.users["graduate"] = self.person("graduate", "林晓雨", 1997)
        self.report.accounts += [
            ("operator", "众创空间运营机构（南湖区）"),
            ("enterprise", "小型企业（南湖区）"),
            ("graduate", "自主创业大学生"),
        ]

    def person(self, username: str, name: str, birth_year: int) -> User:
        self.n += 1
        return accounts.register_person(
            accounts.PersonRegistration(
                username=username,
                password=DEMO_PASSWORD,
                name=name,
                id_number=make_id_number("330402", date(birth_year, 3, 8), 100 + self.n),
                phone=f"1380000{self.n:04d}",
                email=f"{username}@demo.invalid",
            )
        )

    def employment_case(self, user: User, district: str, n: int, employees: int = 5) -> Application:
        data = {
            "business_credit_code": make_credit_code(district, f"MA28C{n:04d}"),
            "year": 2020,
            "employees_insured": employees,
        }
        case = cases.create_draft(user, "employment_driving_grant", data)
        _attach(case, user)
        return case

    def submit(self, user: User, case: Application) -> Application:
        return cases.act(user, case.id, "submit")

    def through_county(self, case: Application, county: str) -> None:
        cases.act(self.users[county], case.id, "accept")
        cases.act(self.users[county], case.id, "county_approve")

    def run(self) -> SeedReport:
        start = date(self.today.year, 1, 4)
        self.on(start)
        self.staff()
        self.applicants()
        admin = self.users["admin"]
        for prog in db.session.execute(sa.select(Program).order_by(Program.id)).scalars():
            budget = (
                Decimal("0.00") if prog.code == "makerspace_recognition" else Decimal("500000.00")
            )
            batches.create_batch(
                admin,
                prog.code,
                self.today.year,
                start,
                date(self.today.year, 6, 30),
                budget,
            )
        self.recognised_space()
        self.cases_in_every_state()
        self.on(self.today)
        return self.report

    def recognised_space(self) -> None:
        """A maker space recognised early in the year (expert review, notice, approval)."""
        op = self.users["operator"]
        self.on(date(self.today.year, 1, 5))
        data = {
            "space_name": "南湖创客汇",
            "space_type": "maker_incubation",
            "address": "嘉兴市南湖区云东路1号",
            "district": "330402",
            "area_sqm": "1200",
            "workstations": 120,
            "resident_teams": 32,
            "mentors": 8,
            "staff": 6,
            "events_last_year": 24,
            "operating_since": "2018-06-01",
        }
        case = cases.create_draft(op, "makerspace_recognition", data)
        _attach(case, op)
        self.submit(op, case)
        self.through_county(case, "nanhu")
        from zhongchuang.services.experts import assign_experts

        city = self.users["city"]
        experts = [self.users[f"expert{i}"] for i in (1, 2, 3)]
        assign_experts(city, case.id, [e.id for e in experts])
        for score, e in zip((86, 90, 82), experts, strict=True):
            cases.act(
                e,
                case.id,
                "expert_score",
                ActionInput(score=score, comment="运营规范，服务能力较强。"),
            )
        cases.act(city, case.id, "expert_conclude")
        cases.act(city, case.id, "city_approve")
        notices.publish_notice(city, [case.id], 5)
        self.on(date(self.today.year, 1, 20))
        notices.close_due_notices()
        self.report.cases["approved (maker space recognised)"] = case.id

    def cases_in_every_state(self) -> None:
        t = self.today
        city, finance = self.users["city"], self.users["finance"]
        grad = self.users["graduate"]
        people = [
            self.person(f"demo{i}", n, 1995 + i % 5)
            for i, n in enumerate(
                [
                    "张伟",
                    "王静",
                    "李强",
                    "刘洋",
                    "陈晨",
                    "杨帆",
                    "赵磊",
                    "黄敏",
                    "周杰",
                    "吴桐",
                    "徐航",
                ]
            )
        ]
        # Finished cases: approved at the start of February, paid or approved since.
        self.on(date(t.year, 2, 1))
        done = []
        for i, user in enumerate(people[:2]):
            case = self.employment_case(user, "330402", i, employees=4 + i)
            self.submit(user, case)
            self.through_county(case, "nanhu")
            cases.act(city, case.id, "city_approve")
            done.append(case)
        notices.publish_notice(city, [c.id for c in done], 5)
        self.on(date(t.year, 3, 1))
        notices.close_due_notices()
        cases.act(finance, done[0].id, "disburse", ActionInput(payment_reference="JXCZ-2021-0001"))
        self.report.cases["disbursed"] = done[0].id
        self.report.cases["approved"] = done[1].id
        # An overdue case waiting for acceptance since 1 March.
        overdue = self.employment_case(people[2], "330411", 2)
        self.submit(people[2], overdue)
        self.report.cases["submitted (overdue)"] = overdue.id
        # On the demo day itself and just before it.
        self.on(t.replace(day=max(1, t.day - 3)))
        returned = self.employment_case(people[3], "330402", 3)
        self.submit(people[3], returned)
        cases.act(
            self.users["nanhu"],
            returned.id,
            "return",
            ActionInput(reason="请补充当年参保从业人员名单。", articles=["四(一)"]),
        )
        self.report.cases["returned"] = returned.id
        rejected = self.employment_case(people[4], "330402", 4)
        self.submit(people[4], rejected)
        cases.act(self.users["nanhu"], rejected.id, "accept")
        cases.act(
            self.users["nanhu"],
            rejected.id,
            "county_reject",
            ActionInput(reason="经核查，参保人数与社保记录不符。", articles=["四(一)"]),
        )
        self.report.cases["rejected"] = rejected.id
        withdrawn = self.employment_case(people[5], "330411", 5)
        self.submit(people[5], withdrawn)
        cases.act(people[5], withdrawn.id, "withdraw")
        self.report.cases["withdrawn"] = withdrawn.id
        in_notice = self.employment_case(people[6], "330402", 6, employees=7)
        self.submit(people[6], in_notice)
        self.through_county(in_notice, "nanhu")
        cases.act(city, in_notice.id, "city_approve")
        self.on(t)
        notices.publish_notice(city, [in_notice.id], 5)
        self.report.cases["in_notice"] = in_notice.id
        city_ok = self.employment_case(people[7], "330411", 7)
        self.submit(people[7], city_ok)
        self.through_county(city_ok, "xiuzhou")
        cases.act(city, city_ok.id, "city_approve")
        self.report.cases["city_approved"] = city_ok.id
        county_ok = self.employment_case(people[8], "330402", 8)
        self.submit(people[8], county_ok)
        self.through_county(county_ok, "nanhu")
        self.report.cases["county_approved"] = county_ok.id
        accepted = self.employment_case(people[9], "330411", 9)
        self.submit(people[9], accepted)
        cases.act(self.users["xiuzhou"], accepted.id, "accept")
        self.report.cases["accepted"] = accepted.id
        submitted = self.employment_case(grad, "330402", 10, employees=3)
        self.submit(grad, submitted)
        self.report.cases["submitted"] = submitted.id
        draft = cases.create_draft(
            grad,
            "graduate_startup_grant",
            {
                "school": "嘉兴学院",
                "graduation_date": "2019-06-30",
                "business_name": "嘉兴晓雨文化创意工作室",
                "business_credit_code": make_credit_code("330402", "MA28D0001"),
                "business_registered_on": "2020-05-18",
                "is_legal_representative": True,
            },
        )
        self.report.cases["draft"] = draft.id
        self.expert_reviewed(people[10])

    def expert_reviewed(self, _user: User) -> None:
        op = self.users["operator"]
        data: dict[str, Any] = {
            "brand_name": "星河众创",
            "parent_credit_code": make_credit_code("330402", "MA28E0009"),
            "parent_level": "national",
            "branch_name": "星河众创（嘉兴南湖）空间",
            "address": "嘉兴市南湖区广益路88号",
            "district": "330402",
            "area_sqm": "2000",
            "opened_on": "2020-09-01",
            "investment_amount": "3000000.00",
            "requested_amount": "800000.00",
        }
        case = cases.create_draft(op, "famous_space_introduction", data)
        _attach(case, op)
        self.submit(op, case)
        if case.state != "submitted":
            return
        self.through_county(case, "nanhu")
        from zhongchuang.services.experts import assign_experts

        experts = [self.users[f"expert{i}"] for i in (1, 2, 3)]
        assign_experts(self.users["city"], case.id, [e.id for e in experts])
        for score, e in zip((88, 91, 79), experts, strict=True):
            cases.act(
                e, case.id, "expert_score", ActionInput(score=score, comment="品牌影响力较强。")
            )
        cases.act(self.users["city"], case.id, "expert_conclude")
        self.report.cases["expert_reviewed"] = case.id


def seed(demo_today: date | None = None) -> SeedReport:
    """Seed the demo data (the catalogue must be loaded). Run on an empty database."""
    day = demo_today or clock().today()
    original = clock().fixed_today
    try:
        return _Seeder(day).run()
    finally:
        clock().set_today(original)
