"""Demo data: accounts (one per role), open batches, and cases in every state, so a
newcomer sees a living system. Demo only: the password is printed and documented."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zhongchuang.accounts import operations as accounts
from zhongchuang.cases import attachments
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import Application, Policy, Program, User
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code, make_id_number
from zhongchuang.policy.status import event_record, in_force_period, is_in_force
from zhongchuang.review.experts import assign_experts
from zhongchuang.runtime import clock
from zhongchuang.workflow.calendar import subtract_working_days

#: The demo's history, in working days before the demo day: it fits in four weeks, so that
#: the demo seeds in full on any day from four weeks after the policy came into force.
STORY_DAYS: dict[str, int] = {
    "start": 20,  # accounts and batches; the maker space applies and is recognised
    "paid": 19,  # two employment grants approved and put on notice
    "notices_closed": 13,  # both notices over; one grant paid
    "overdue": 8,  # submitted and never accepted (受理时限 5 working days)
    "recent": 2,  # returned, rejected, withdrawn
}


class DemoDateError(ValueError):
    """The demo day is not one on which the policy was in force."""


DEMO_PASSWORD = "Demo-2021-zc"  # noqa: S105 - demo accounts only, printed and documented

STAFF = [
    ("admin", ["admin"], None, "系统管理员"),
    ("city", ["city_reviewer"], None, "市科技局 审核员"),
    ("nanhu", ["county_reviewer"], "330402", "南湖区科技局 审核员"),
    ("xiuzhou", ["county_reviewer"], "330411", "秀洲区人社局 审核员"),
    ("expert1", ["expert"], None, "专家 甲"),
    ("expert2", ["expert"], None, "专家 乙"),
    ("expert3", ["expert"], None, "专家 丙"),
    ("expert4", ["expert"], None, "专家 丁"),
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
    #: Stories left out because they would start before the policy came into force.
    left_out: list[str] = field(default_factory=list)


def is_empty() -> bool:
    return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def _attach(case: Application, user: User) -> None:
    """A demo file for every material the case's program requires on the submission day."""
    for m in attachments.missing(case):
        attachments.upload(user, case.id, m.kind, f"{m.label}.pdf", io.BytesIO(DEMO_PDF))


def check_demo_day(day: date) -> tuple[date, date]:
    """The first and last day of the catalogue's policy in force, or why the demo cannot be
    seeded on ``day`` (it must be one of them)."""
    policy = db.session.execute(sa.select(Policy).order_by(Policy.id)).scalars().first()
    if policy is None:
        raise DemoDateError("政策目录尚未载入 / the policy catalogue is not loaded")
    events = [event_record(e.date, e.kind, e.document) for e in policy.events]
    first, ended = in_force_period(events)
    last = ended - timedelta(days=1) if ended else date.max
    if first is None or not is_in_force(events, day):
        until = "" if last == date.max else f" 至 {last}"
        raise DemoDateError(
            f"演示数据须在 {policy.doc_number} 施行期间的日期生成（{first}{until}），"
            f"{day} 不在其中，请设置 ZC_TODAY / the demo needs a day on which the policy "
            f"was in force ({first}{until.replace(' 至 ', ' to ')}): set ZC_TODAY"
        )
    return first, last


class _Seeder:
    def __init__(self, demo_today: date) -> None:
        self.today = demo_today
        self.first_day, self.last_day = check_demo_day(demo_today)
        self.report = SeedReport()
        self.users: dict[str, User] = {}
        self.n = 0

    def day(self, story: str) -> date:
        """The day a story of the demo happens: working days before the demo day."""
        return subtract_working_days(self.today, STORY_DAYS[story])

    def fits(self, story: str, label: str) -> bool:
        """Whether a story's first day falls while the policy was in force."""
        if self.day(story) >= self.first_day:
            return True
        self.report.left_out.append(label)
        return False

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
            "year": self.today.year - 1,
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
        start = max(self.day("start"), self.first_day)
        self.on(start)
        self.staff()
        self.applicants()
        admin = self.users["admin"]
        # Open from the demo's first day to three months after the demo day (within the
        # policy's period), so that the demo day and the weeks after it can take claims.
        closes = min(self.today + timedelta(days=91), self.last_day)
        for prog in db.session.execute(sa.select(Program).order_by(Program.id)).scalars():
            budget = (
                Decimal("0.00") if prog.code == "makerspace_recognition" else Decimal("500000.00")
            )
            batches.create_batch(admin, prog.code, self.today.year, start, closes, budget)
        if self.fits("start", "approved (maker space recognised)"):
            self.recognised_space()
        self.cases_in_every_state()
        self.on(self.today)
        return self.report

    def recognised_space(self) -> None:
        """A maker space recognised early in the year (expert review, notice, approval)."""
        op = self.users["operator"]
        self.on(self.day("start"))
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
            "operating_since": date(self.today.year - 3, 6, 1).isoformat(),
        }
        case = cases.create_draft(op, "makerspace_recognition", data)
        _attach(case, op)
        self.submit(op, case)
        self.through_county(case, "nanhu")

        city = self.users["city"]
        experts = [self.users[f"expert{i}"] for i in (1, 2, 3)]
        assign_experts(city, case.id, [e.id for e in experts])
        # 专家评审指标 of the catalogue (totals 86, 90, 82).
        recognition_points = (
            {"premises": 22, "team_mentors": 22, "services": 21, "incubation": 21},
            {"premises": 23, "team_mentors": 23, "services": 22, "incubation": 22},
            {"premises": 21, "team_mentors": 21, "services": 20, "incubation": 20},
        )
        for points, e in zip(recognition_points, experts, strict=True):
            cases.act(
                e,
                case.id,
                "expert_score",
                ActionInput(scores=points, opinion="运营规范，服务能力较强。"),
            )
        cases.act(city, case.id, "expert_conclude")
        cases.act(city, case.id, "city_approve")
        notices.publish_notice(city, [case.id], 5)
        self.on(self.day("notices_closed"))
        notices.close_due_notices()
        self.report.cases["approved (maker space recognised)"] = case.id

    def people(self) -> list[User]:
        names = [
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
        return [self.person(f"demo{i}", n, 1995 + i % 5) for i, n in enumerate(names)]

    def cases_in_every_state(self) -> None:
        people = self.people()
        if self.fits("paid", "disbursed, approved"):
            self.finished(people[:2])
        if self.fits("overdue", "submitted (overdue)"):
            self.on(self.day("overdue"))
            overdue = self.employment_case(people[2], "330411", 2)
            self.submit(people[2], overdue)
            self.report.cases["submitted (overdue)"] = overdue.id
        # Just before the demo day (or on it, in the policy's first days).
        self.on(max(self.day("recent"), self.first_day))
        self.recent(people[3:6])
        self.on(self.today)
        self.current(people[6:10])
        self.expert_reviewed()

    def finished(self, people: list[User]) -> None:
        """Approved, on notice, then one paid and one waiting for payment."""
        city, finance = self.users["city"], self.users["finance"]
        self.on(self.day("paid"))
        done = []
        for i, user in enumerate(people):
            case = self.employment_case(user, "330402", i, employees=4 + i)
            self.submit(user, case)
            self.through_county(case, "nanhu")
            cases.act(city, case.id, "city_approve")
            done.append(case)
        notices.publish_notice(city, [c.id for c in done], 5)
        self.on(self.day("notices_closed"))
        notices.close_due_notices()
        reference = f"JXCZ-{self.today.year}-0001"
        cases.act(finance, done[0].id, "disburse", ActionInput(payment_reference=reference))
        self.report.cases["disbursed"] = done[0].id
        self.report.cases["approved"] = done[1].id

    def recent(self, people: list[User]) -> None:
        nanhu = self.users["nanhu"]
        returned = self.employment_case(people[0], "330402", 3)
        self.submit(people[0], returned)
        # 一次性告知: every item at once, with the 补正期限.
        cases.act(
            nanhu,
            returned.id,
            "return",
            ActionInput(
                reason="申报材料不齐全，请一次补齐以下三项后重新提交。",
                articles=["四(一)"],
                items=[
                    {"target": "employees_insured", "message": "参保人数与社保缴费清单不一致。"},
                    {"target": "year", "message": "请确认申报年度（应为上一年度）。"},
                    {
                        "target": "business_credit_code",
                        "message": "统一社会信用代码与营业执照不一致。",
                    },
                ],
                opinion="材料补齐后予以受理。",
            ),
        )
        self.report.cases["returned"] = returned.id
        # 不予受理: a case the district cannot take, ended with a decision.
        declined = self.employment_case(people[1], "330402", 11)
        self.submit(people[1], declined)
        cases.act(
            nanhu,
            declined.id,
            "decline",
            ActionInput(
                reason="经核查，申请人不是该经营主体的登记经营者，不具备本事项的申请资格。",
                articles=["四(一)"],
                opinion="请由经营主体的登记经营者本人申报。",
            ),
        )
        self.report.cases["declined"] = declined.id
        rejected = self.employment_case(people[1], "330402", 4)
        self.submit(people[1], rejected)
        cases.act(nanhu, rejected.id, "accept")
        cases.act(
            nanhu,
            rejected.id,
            "county_reject",
            ActionInput(reason="经核查，参保人数与社保记录不符。", articles=["四(一)"]),
        )
        self.report.cases["rejected"] = rejected.id
        withdrawn = self.employment_case(people[2], "330411", 5)
        self.submit(people[2], withdrawn)
        cases.act(people[2], withdrawn.id, "withdraw")
        self.report.cases["withdrawn"] = withdrawn.id

    def current(self, people: list[User]) -> None:
        """On the demo day: a notice published, and a case at each step before it."""
        city, grad = self.users["city"], self.users["graduate"]
        in_notice = self.employment_case(people[0], "330402", 6, employees=7)
        self.submit(people[0], in_notice)
        self.through_county(in_notice, "nanhu")
        cases.act(city, in_notice.id, "city_approve")
        notices.publish_notice(city, [in_notice.id], 5)
        self.report.cases["in_notice"] = in_notice.id
        city_ok = self.employment_case(people[1], "330411", 7)
        self.submit(people[1], city_ok)
        self.through_county(city_ok, "xiuzhou")
        cases.act(city, city_ok.id, "city_approve")
        self.report.cases["city_approved"] = city_ok.id
        county_ok = self.employment_case(people[2], "330402", 8)
        self.submit(people[2], county_ok)
        self.through_county(county_ok, "nanhu")
        self.report.cases["county_approved"] = county_ok.id
        accepted = self.employment_case(people[3], "330411", 9)
        self.submit(people[3], accepted)
        cases.act(self.users["xiuzhou"], accepted.id, "accept")
        self.report.cases["accepted"] = accepted.id
        submitted = self.employment_case(grad, "330402", 10, employees=3)
        self.submit(grad, submitted)
        self.report.cases["submitted"] = submitted.id
        graduated = date(self.today.year - 2, 6, 30)
        draft = cases.create_draft(
            grad,
            "graduate_startup_grant",
            {
                "school": "嘉兴学院",
                "graduation_date": graduated.isoformat(),
                "business_name": "嘉兴晓雨文化创意工作室",
                "business_credit_code": make_credit_code("330402", "MA28D0001"),
                "business_registered_on": date(self.today.year - 1, 5, 18).isoformat(),
                "is_legal_representative": True,
            },
        )
        self.report.cases["draft"] = draft.id

    def expert_reviewed(self) -> None:
        op = self.users["operator"]
        # The branch opened while the policy was in force (rule 五(一)), before the demo day.
        opened = max(self.first_day, self.today - timedelta(days=180))
        data: dict[str, Any] = {
            "brand_name": "星河众创",
            "parent_credit_code": make_credit_code("330402", "MA28E0009"),
            "parent_level": "national",
            "branch_name": "星河众创（嘉兴南湖）空间",
            "address": "嘉兴市南湖区广益路88号",
            "district": "330402",
            "area_sqm": "2000",
            "opened_on": opened.isoformat(),
            "investment_amount": "3000000.00",
            "requested_amount": "800000.00",
        }
        case = cases.create_draft(op, "famous_space_introduction", data)
        _attach(case, op)
        self.submit(op, case)
        self.through_county(case, "nanhu")

        experts = [self.users[f"expert{i}"] for i in (1, 2, 3)]
        assign_experts(self.users["city"], case.id, [e.id for e in experts])
        # 专家评审指标 of the catalogue (totals 88, 91, 79).
        introduction_points = (
            {
                "brand_operations": 27,
                "investment_premises": 22,
                "service_resources": 22,
                "expected_results": 17,
            },
            {
                "brand_operations": 28,
                "investment_premises": 23,
                "service_resources": 22,
                "expected_results": 18,
            },
            {
                "brand_operations": 24,
                "investment_premises": 20,
                "service_resources": 20,
                "expected_results": 15,
            },
        )
        for points, e in zip(introduction_points, experts, strict=True):
            cases.act(
                e, case.id, "expert_score", ActionInput(scores=points, opinion="品牌影响力较强。")
            )
        cases.act(self.users["city"], case.id, "expert_conclude")
        self.report.cases["expert_reviewed"] = case.id


def seed(demo_today: date | None = None) -> SeedReport:
    """Seed the demo data (the catalogue must be loaded). Run on an empty database, on a
    day on which the policy was in force; the history before it is dated relative to it."""
    day = demo_today or clock().today()
    original = clock().fixed_today
    try:
        return _Seeder(day).run()
    finally:
        clock().set_today(original)
