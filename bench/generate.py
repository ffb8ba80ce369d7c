"""Generate a benchmark database: ``python -m bench.generate --cases 1000000``.

A realistic spread: seven programs, seven districts, six years (2016–2021) of batches;
most cases finished (disbursed, rejected, withdrawn), the current year's cases spread over
every waiting state with a few thousand waiting per district queue at 1,000,000 cases, due
dates spread and some overdue. Organisations, persons (identity numbers encrypted and
hashed with the bench keys), their user accounts, attachments, expert scores, notices,
benefit claims, recognised maker spaces — and every case's audit events, chained with
``zhongchuang.workflow.audit.event_hash`` exactly as ``services.audit.record`` does, so
that ``audit verify`` has a real chain to check.

The database is made first with ``flask db upgrade`` and ``flask policy load``; staff,
batches and the rule snapshots are made through the services; the bulk is then written
with COPY on PostgreSQL (indexes and unique constraints rebuilt after the load, foreign-key
triggers off during it) and executemany on SQLite. A finished database is kept and
``--reuse`` takes it as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_DIR,
    BENCH_TODAY,
    CATALOGUE,
    DISTRICTS,
    PASSWORD,
    PG_SERVER,
    PYTHON,
    ROOT,
    database_url,
    make_app,
    marker_path,
    read_marker,
    server_env,
)
from zhongchuang.workflow.audit import GENESIS
from zhongchuang.workflow.machine import STATES
from zhongchuang.workflow.stays import NOT_A_STAGE, Stay

TODAY = date.fromisoformat(BENCH_TODAY)
YEARS = (2016, 2017, 2018, 2019, 2020, 2021)
CURRENT_YEAR = 2021
SHANGHAI_OFFSET = timedelta(hours=8)

DISTRICT_WEIGHTS = {
    "330402": 0.20,
    "330411": 0.17,
    "330421": 0.13,
    "330424": 0.10,
    "330481": 0.14,
    "330482": 0.11,
    "330483": 0.15,
}
#: program → (share of cases, who applies). The graduates' subsidies are the bulk; the city
#: recognises maker spaces by the hundred, not the thousand (二(一): 100 by 2020).
PROGRAMS = {
    "employment_driving_grant": (0.30, "person"),
    "graduate_startup_grant": (0.25, "person"),
    "graduate_self_employed_insurance": (0.15, "person"),
    "graduate_loan_interest": (0.11, "person"),
    "graduate_social_insurance": (0.19, "enterprise"),
    "makerspace_recognition": (0.0006, "operator"),
    "famous_space_introduction": (0.0002, "operator"),
}
#: Cases of past years: almost all finished.
PAST_STATES = {
    "disbursed": 0.735,
    "rejected": 0.16,
    "withdrawn": 0.07,
    "draft": 0.03,
    "approved": 0.005,
}
#: Cases of the current year: every stage.
CURRENT_STATES = {
    "submitted": 0.22,
    "accepted": 0.13,
    "returned": 0.03,
    "draft": 0.12,
    "county_approved": 0.08,
    "expert_reviewed": 0.01,
    "city_approved": 0.04,
    "in_notice": 0.03,
    "approved": 0.08,
    "disbursed": 0.10,
    "rejected": 0.10,
    "withdrawn": 0.05,
}
WAITING_SHARE = CURRENT_STATES["submitted"] + CURRENT_STATES["accepted"]
#: Days before today the current-year cases entered their present state (mean).
RECENT_MEAN_DAYS = {
    "submitted": 6,
    "accepted": 14,
    "county_approved": 12,
    "expert_reviewed": 6,
    "city_approved": 5,
    "in_notice": 3,
    "approved": 8,
    "returned": 10,
    "draft": 20,
}
#: The states whose cases hold their benefit claims: claims are made on submit and released
#: when a case is rejected or withdrawn (services.cases.act).
ACTIVE_CLAIM_STATES = frozenset(STATES) - {"draft", "rejected", "withdrawn"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲飞鹏辉建国海波宁晨晓雨欣怡浩然子轩梓涵一诺宇航佳琪思远"  # noqa: E501
SCHOOLS = ("嘉兴学院", "嘉兴南湖学院", "浙江大学", "浙江工业大学", "杭州电子科技大学", "宁波大学")
STREETS = ("中山路", "南湖路", "广益路", "云东路", "长水路", "庆丰路", "纺工路", "秀洲大道")
ORG_WORDS = ("智造", "数科", "云创", "新材", "联创", "慧谷", "星河", "嘉禾", "南湖", "禾城")
REASONS = {
    "return": ("请补充当年参保从业人员名单。", ["四(一)"]),
    "county_reject": ("经核查，参保人数与社保记录不符。", ["四(一)"]),
    "city_reject": ("经复审，不符合扶持条件。", ["四(一)", "五(一)"]),
}
BLOCK = 5000  # cases per block (the unit of work of a generator process)
PERSON_BLOCK = 50_000
CREATED = datetime(2015, 12, 1, 2, tzinfo=UTC)
BIRTH_BASE = date(1980, 1, 1)
#: Ids are a function of the case's number, so that blocks can be made in any process:
#: a case has at most 12 audit events, 4 attachments, 3 expert scores.
EVENT_STRIDE = 16
ATTACHMENT_STRIDE = 4
EXPERT_STRIDE = 3
NOTICE_EPOCH = date(2015, 1, 1)
SIZES = ("micro", "small", "medium", "large")


# --- output: COPY on PostgreSQL, executemany on SQLite ---------------------------------


class Pre:
    """A value formatted once for COPY (the rule snapshots shared by many cases)."""

    __slots__ = ("obj", "text")

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.text = _json_text(obj)


def _esc(s: str) -> str:
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_text(v: Any) -> str:
    return _esc(_JSON(v))


_FMT = {
    str: _esc,
    int: str,
    bool: lambda v: "t" if v else "f",
    Decimal: str,
    date: date.isoformat,
    datetime: datetime.isoformat,
    dict: _json_text,
    list: _json_text,
    Pre: lambda v: v.text,
}


def _copy_line(row: tuple[Any, ...]) -> str:
    return (
        "\t".join("\\N" if v is None else _FMT[type(v)](v) for v in row)  # type: ignore[operator]
        + "\n"
    )


class Sink:
    """Rows per table, written in chunks."""

    def __init__(self, columns: dict[str, tuple[str, ...]]) -> None:
        self.columns = columns
        self.rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)

    def add_text(self, table: str, line: str) -> None:
        """A row already formatted as a COPY line (PostgreSQL only)."""
        self.rows[table].append(line)  # type: ignore[arg-type]

    def flush(self) -> None:
        for table in self.columns:  # in the order of the foreign keys
            rows = self.rows.get(table)
            if rows:
                self.counts[table] += len(rows)
                self.write(table, rows)
        self.rows = defaultdict(list)

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.flush()


def pg_connect(dsn: str) -> Any:
    """A connection for the bulk load: foreign-key triggers off (the data are consistent
    by construction; superuser only), more memory for index builds, no commit wait."""
    import psycopg

    conn = psycopg.connect(dsn, autocommit=False)
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET synchronous_commit = off")
    return conn


class PgSink(Sink):
    """COPY … FROM STDIN (text format). ``threaded``: in a writer thread, so that
    PostgreSQL ingests one chunk while Python makes the next."""

    def __init__(self, columns: dict[str, tuple[str, ...]], conn: Any, threaded: bool) -> None:
        super().__init__(columns)
        self.conn = conn
        self.threaded = threaded
        self.error: BaseException | None = None
        if threaded:
            self.q: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=4)
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def _copy(self, table: str, text: str) -> None:
        cols = ", ".join(self.columns[table])
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
            cp.write(text)

    def _run(self) -> None:
        try:
            while (item := self.q.get()) is not None:
                self._copy(*item)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        text = "".join(r if type(r) is str else _copy_line(r) for r in rows)
        if not self.threaded:
            self._copy(table, text)
            return
        if self.error:
            raise RuntimeError("COPY failed") from self.error
        self.q.put((table, text))

    def close(self) -> None:
        self.flush()
        if self.threaded:
            self.q.put(None)
            self.thread.join()
            if self.error:
                raise RuntimeError("COPY failed") from self.error


class SqliteSink(Sink):
    """executemany through SQLAlchemy Core (its type handling: JSON, dates, UTC times)."""

    def __init__(self, columns: dict[str, tuple[str, ...]], engine: Any, tables: Any) -> None:
        super().__init__(columns)
        self.conn = engine.connect()
        self.tables = tables

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        cols = self.columns[table]
        plain = [
            {c: (v.obj if isinstance(v, Pre) else v) for c, v in zip(cols, r, strict=True)}
            for r in rows
        ]
        self.conn.execute(self.tables[table].insert(), plain)

    def close(self) -> None:
        self.flush()
        self.conn.commit()
        self.conn.close()


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split())


#: The columns each bulk table is written with (the rest keep their defaults).
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": _cols(
        "id name credit_code kind district enterprise_size contact_phone address created_at"
    ),
    "persons": _cols(
        "id name id_number_enc id_number_hash id_number_masked birth_date phone created_at"
    ),
    "users": _cols(
        "id username password_hash display_name active organization_id person_id "
        "is_org_owner failed_logins session_token created_at"
    ),
    "user_roles": _cols("user_id role"),
    "notices": _cols(
        "id title published_on starts_on ends_on working_days published_by created_at "
        "calendar_certain"
    ),
    "applications": _cols(
        "id number program_id batch_id applicant_user_id organization_id person_id "
        "applicant_name district data state version workflow_id eligible computed_amount "
        "approved_amount explanation snapshot catalogue_version_id submitted_on "
        "state_entered_on due_on first_approver_id score_average payment_reference "
        "disbursed_on created_at updated_at"
    ),
    "attachments": _cols(
        "id application_id kind filename content_type size sha256 storage_name "
        "uploaded_by uploaded_at current"
    ),
    "benefit_claims": _cols("id application_id benefit subject period active"),
    "expert_assignments": _cols(
        "id application_id expert_id assigned_by assigned_at score comment scored_at"
    ),
    "notice_items": _cols("id notice_id application_id public_name program_name district amount"),
    "maker_spaces": _cols(
        "id name space_type level district recognised_on operator_id application_id"
    ),
    "audit_events": _cols(
        "id at actor_id actor_name actor_role kind application_id action from_state "
        "to_state reason articles details prev_hash hash"
    ),
    "case_stays": _cols(
        "application_id district program_id state entered_on left_on days working_days"
    ),
}
BULK_TABLES = tuple(COLUMNS)


# --- the plan --------------------------------------------------------------------------


@dataclass
class Template:
    """What one program's cases of one year share: the rules they were judged by."""

    program_id: int
    code: str
    name: str
    workflow_id: str
    money: bool
    expert: bool
    benefit: str
    per: str
    attachments: list[tuple[str, str, bool]]
    explanation: Pre | None
    snapshot: Pre | None
    amount: Decimal | None
    eligible: bool
    catalogue_version_id: int | None


@dataclass
class Context:
    n: int
    seed: int
    staff: dict[str, Any]
    batches: dict[tuple[str, int], int]
    templates: dict[tuple[str, int], Template]
    time_limits: dict[tuple[str, str], int | None]
    password_hash: str
    ids: dict[str, int] = field(default_factory=dict)
    persons: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    orgs: dict[tuple[str, str], list[tuple[int, int, str]]] = field(default_factory=dict)
    head_hash: str = ""
    head_id: int = 0


def _zero2() -> list[Decimal]:
    return [Decimal("0.00"), Decimal("0.00")]


def plan_counts(n: int) -> tuple[int, int]:
    """(current-year cases, past cases): a few thousand waiting per district queue at a
    million cases (0.3 % of all cases per district, at least 60, at most 3,000)."""
    per_district = min(3000, max(60, round(n * 0.003)))
    current = min(n // 2, round(per_district * len(DISTRICTS) / WAITING_SHARE))
    return current, n - current


def _pick(rnd: random.Random, weights: dict[str, float]) -> str:
    return rnd.choices(list(weights), weights=list(weights.values()))[0]


def _name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))


_OPENING: dict[date, datetime] = {}


def _at(day: date, rnd: random.Random, minute: int = 0) -> datetime:
    """A moment in office hours (Asia/Shanghai) on ``day``, as UTC."""
    base = _OPENING.get(day)
    if base is None:
        local = datetime.combine(day, dtime(8, 30))
        base = _OPENING[day] = (local - SHANGHAI_OFFSET).replace(tzinfo=UTC)
    return base + timedelta(minutes=rnd.randrange(540) + minute)


# --- case data -------------------------------------------------------------------------


def case_data(code: str, rnd: random.Random, district: str, year: int, i: int) -> dict[str, Any]:
    from zhongchuang.policy.identity import make_credit_code

    body = f"MB{i % 10_000_000:07d}"
    school = rnd.choice(SCHOOLS)
    street = f"嘉兴市{rnd.choice(STREETS)}{rnd.randrange(1, 999)}号"
    if code == "makerspace_recognition":
        return {
            "space_name": f"{rnd.choice(ORG_WORDS)}创客空间{i}",
            "space_type": "maker_incubation",
            "address": street,
            "district": district,
            "area_sqm": str(rnd.randrange(600, 3000)),
            "workstations": rnd.randrange(40, 300),
            "resident_teams": rnd.randrange(20, 60),
            "mentors": rnd.randrange(3, 20),
            "staff": rnd.randrange(3, 15),
            "events_last_year": rnd.randrange(10, 60),
            "operating_since": f"{year - 3}-06-01",
        }
    if code == "famous_space_introduction":
        return {
            "brand_name": f"{rnd.choice(ORG_WORDS)}众创",
            "parent_credit_code": make_credit_code("330100", body),
            "parent_level": rnd.choice(("national", "provincial")),
            "branch_name": f"{rnd.choice(ORG_WORDS)}众创（嘉兴）空间{i}",
            "address": street,
            "district": district,
            "area_sqm": str(rnd.randrange(600, 3000)),
            "opened_on": f"{year}-01-02",
            "investment_amount": "3000000.00",
            "requested_amount": f"{rnd.randrange(2, 10) * 100000}.00",
        }
    if code == "graduate_social_insurance":
        return {
            "maker_space_id": rnd.randrange(1, 200),
            "period_start": f"{year - 1}-07",
            "period_end": f"{year - 1}-12",
        }
    if code == "graduate_startup_grant":
        return {
            "school": school,
            "graduation_date": f"{year - 2}-06-30",
            "business_name": f"嘉兴{rnd.choice(ORG_WORDS)}工作室{i}",
            "business_credit_code": make_credit_code(district, body),
            "business_registered_on": f"{year - 1}-05-18",
            "is_legal_representative": True,
        }
    if code == "graduate_self_employed_insurance":
        return {
            "school": school,
            "graduation_date": f"{year - 2}-06-30",
            "business_credit_code": make_credit_code(district, body),
            "business_registered_on": f"{year - 2}-09-01",
            "insured_from": f"{year - 2}-10",
            "insured_months": rnd.randrange(12, 30),
        }
    if code == "graduate_loan_interest":
        return {
            "school": school,
            "graduation_date": f"{year - 2}-06-30",
            "business_credit_code": make_credit_code(district, body),
            "bank": "中国农业银行嘉兴分行",
            "loan_amount": f"{rnd.randrange(5, 50) * 10000}.00",
            "loan_start": f"{year - 1}-03-01",
            "loan_end": f"{year + 1}-02-28",
            "interest_paid": f"{rnd.randrange(20, 200) * 100}.00",
            "interest_period_start": f"{year - 1}-03",
            "interest_period_end": f"{year - 1}-12",
        }
    return {
        "business_credit_code": make_credit_code(district, body),
        "year": year - 1,
        "employees_insured": rnd.randrange(3, 12),
    }


# --- set-up through the services -------------------------------------------------------


def create_database(backend: str, url: str) -> None:
    import sqlalchemy as sa

    if backend == "postgresql":
        name = url.rsplit("/", 1)[1]
        eng = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
    else:
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def drop_database(backend: str, n: int) -> None:
    import sqlalchemy as sa

    url = database_url(backend, n)
    if backend == "postgresql":
        name = url.rsplit("/", 1)[1]
        eng = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    marker_path(backend, n).unlink(missing_ok=True)


def migrate(url: str) -> None:
    """``flask db upgrade`` and ``flask policy load``, as ``make migrate`` does."""
    env = server_env(url, ZC_ENV="development")
    flask = [PYTHON, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["policy", "load", str(CATALOGUE)]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True)


STAFF = (
    ("bench_admin", ["admin"], None),
    ("bench_city", ["city_reviewer"], None),
    ("bench_city2", ["city_reviewer"], None),
    ("bench_finance", ["finance"], None),
    *((f"bench_expert{i}", ["expert"], None) for i in range(1, 6)),
    *((f"county_{d}", ["county_reviewer"], d) for d in DISTRICTS),
)


def setup_services() -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Staff accounts and one batch per program and year, through the services."""
    from zhongchuang.accounts import operations as accounts
    from zhongchuang.catalogue import batches
    from zhongchuang.models import Program
    from zhongchuang.runtime import clock

    staff = {}
    for username, roles, district in STAFF:
        staff[username] = accounts.create_user(
            username, PASSWORD, roles, district, display_name=username
        )
    from zhongchuang.extensions import db

    ids: dict[tuple[str, int], int] = {}
    original = clock().fixed_today
    try:
        for year in YEARS:
            opens = date(year, 1, 4)
            closes = date(year, 6, 30) if year == CURRENT_YEAR else date(year, 11, 30)
            clock().set_today(opens - timedelta(days=2))
            for prog in db.session.query(Program).order_by(Program.id):
                b = batches.create_batch(
                    staff["bench_admin"],
                    prog.code,
                    year,
                    opens,
                    closes,
                    Decimal("100000000.00"),
                    name=f"{year}年度{prog.name}",
                )
                ids[(prog.code, year)] = b.id
    finally:
        clock().set_today(original)
    return staff, ids


def build_templates() -> dict[tuple[str, int], Template]:
    """Per program and year: the rules a case of that year was judged by (evaluated once
    with the real eligibility service, as ``act(submit)`` does)."""
    from zhongchuang.cases.eligibility import evaluate_case, program_spec
    from zhongchuang.extensions import db
    from zhongchuang.models import Application, Organization, Person, Program

    out = {}
    rnd = random.Random(7)
    for prog in db.session.query(Program).order_by(Program.id):
        spec = program_spec(prog)
        kind = PROGRAMS[prog.code][1]
        for year in YEARS:
            as_of = date(year, 3, 1) if year < CURRENT_YEAR else date(year, 2, 1)
            data = case_data(prog.code, rnd, "330402", year, 1)
            case = Application(data=data, district="330402", state="draft")
            case.program = prog
            if kind == "person":
                case.person = Person(name="张伟", id_number_hash="0" * 64)
            else:
                case.organization = Organization(
                    name="嘉兴样例有限公司",
                    kind="operator" if kind == "operator" else "enterprise",
                    enterprise_size=None if kind == "operator" else "small",
                    district="330402",
                    credit_code="",
                )
            with db.session.no_autoflush:
                outcome = evaluate_case(case, as_of)
            money = prog.definition.get("amount", {}).get("kind", "none") != "none"
            amount = outcome.amount
            if money and not amount:
                amount = Decimal("5000.00")
            out[(prog.code, year)] = Template(
                program_id=prog.id,
                code=prog.code,
                name=prog.name,
                workflow_id="expert-v1" if prog.expert_review else "standard-v1",
                money=money,
                expert=bool(prog.expert_review),
                benefit=spec.benefit.key,
                per=spec.benefit.per,
                attachments=[(a.kind, a.label, bool(a.required)) for a in spec.attachments],
                explanation=Pre(outcome.explanation),
                snapshot=Pre(outcome.snapshot),
                amount=amount if money else None,
                eligible=bool(outcome.eligible),
                catalogue_version_id=outcome.catalogue_version_id,
            )
    db.session.rollback()
    return out


def time_limits() -> dict[tuple[str, str], int | None]:
    """(program, state) → working days, as ``cases._time_limit`` finds them."""
    from zhongchuang.cases.eligibility import time_limit
    from zhongchuang.extensions import db
    from zhongchuang.models import Program
    from zhongchuang.workflow.machine import DEFAULT_TIME_LIMITS, waiting_role

    out = {}
    for prog in db.session.query(Program):
        for state in CURRENT_STATES:
            if waiting_role(state) in (None, "applicant"):
                out[(prog.code, state)] = None
                continue
            limit = time_limit(prog, state, TODAY)
            out[(prog.code, state)] = limit if limit is not None else DEFAULT_TIME_LIMITS.get(state)
    return out


# --- applicants ------------------------------------------------------------------------

Pools = dict[Any, list[tuple[int, int, str]]]


def applicant_counts(n: int) -> tuple[int, int]:
    """(organisations, persons) for ``n`` cases."""
    return max(80, n // 20), max(300, n * 3 // 10)


def organisations(ctx: Context, sink: Sink) -> Pools:
    """Organisations, each with its owner's account (role applicant)."""
    from zhongchuang.policy.identity import make_credit_code

    rnd = random.Random(ctx.seed)
    n_orgs, _n_persons = applicant_counts(ctx.n)
    districts, dweights = list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values())
    pools: Pools = {}
    for k in range(n_orgs):
        oid = ctx.ids["organizations"] + k + 1
        uid = ctx.ids["users"] + k + 1
        # The first 49: an operator and a small enterprise in every district.
        d = districts[k // 7] if k < 49 else rnd.choices(districts, dweights)[0]
        kind = "operator" if k % 7 == 0 else "enterprise"
        size = None if kind == "operator" else rnd.choices(SIZES, (50, 35, 10, 5))[0]
        if k < 49 and k % 7 == 1:
            size = "small"
        what = "众创空间运营管理" if kind == "operator" else "科技"
        name = f"嘉兴{rnd.choice(ORG_WORDS)}{what}有限公司{oid}"
        sink.add(
            "organizations",
            (oid, name, make_credit_code(d, f"MA{oid:07d}"), kind, d, size,
             f"0573-8{oid % 10_000_000:07d}", f"嘉兴市{rnd.choice(STREETS)}{oid % 999}号", CREATED),
        )  # fmt: skip
        sink.add(
            "users",
            (uid, f"org{oid}", ctx.password_hash, name, True, oid, None, True, 0,
             hashlib.md5(f"s{uid}".encode()).hexdigest(), CREATED),  # noqa: S324 - not security
        )  # fmt: skip
        sink.add("user_roles", (uid, "applicant"))
        pools.setdefault(("operator" if kind == "operator" else "enterprise", d), []).append(
            (oid, uid, name)
        )
        if size in ("micro", "small"):
            pools.setdefault(("small", d), []).append((oid, uid, name))
    sink.flush()
    return pools


def persons(ctx: Context, sink: Sink, k: int, start: int, end: int) -> Pools:
    """Persons ``start`` ≤ i < ``end`` with their accounts; identity numbers encrypted and
    hashed with the bench keys, unique by construction (the birth date steps with the
    sequence number's thousands)."""
    from bench.common import ID_HASH_KEY, ID_KEYS
    from zhongchuang.policy.identity import make_id_number, mask_id_number
    from zhongchuang.security import IdentityVault

    vault = IdentityVault(ID_KEYS, ID_HASH_KEY)
    rnd = random.Random(ctx.seed * 7919 + k)
    n_orgs, n_persons = applicant_counts(ctx.n)
    stride = max(1, 7665 // (n_persons // 1000 + 1))
    districts, dweights = list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values())
    pools: Pools = {}
    for i in range(start, end):
        pid = ctx.ids["persons"] + i + 1
        uid = ctx.ids["users"] + n_orgs + i + 1
        d = rnd.choices(districts, dweights)[0]
        birth = BIRTH_BASE + timedelta(days=(i // 1000) * stride + rnd.randrange(stride))
        number = make_id_number(d, birth, i)
        name = _name(rnd)
        sink.add(
            "persons",
            (pid, name, vault.encrypt(number), vault.lookup_hash(number), mask_id_number(number),
             birth, f"138{pid % 100_000_000:08d}", CREATED),
        )  # fmt: skip
        sink.add(
            "users",
            (uid, f"p{pid}", ctx.password_hash, name, True, None, pid, False, 0,
             hashlib.md5(f"s{uid}".encode()).hexdigest(), CREATED),  # noqa: S324 - not security
        )  # fmt: skip
        sink.add("user_roles", (uid, "applicant"))
        pools.setdefault(d, []).append((pid, uid, name))
    sink.flush()
    return pools


# --- cases -----------------------------------------------------------------------------


def _path(state: str, expert: bool, reject_at_city: bool) -> list[tuple[str, str, str, str]]:
    """The actions that brought a case to ``state``: (action, from, to, role)."""
    steps = [("submit", "draft", "submitted", "applicant")]
    if state == "draft":
        return []
    if state == "submitted":
        return steps
    if state == "returned":
        return [*steps, ("return", "submitted", "returned", "county_reviewer")]
    if state == "withdrawn":
        return [*steps, ("withdraw", "submitted", "withdrawn", "applicant")]
    steps.append(("accept", "submitted", "accepted", "county_reviewer"))
    if state == "accepted":
        return steps
    if state == "rejected" and not reject_at_city:
        return [*steps, ("county_reject", "accepted", "rejected", "county_reviewer")]
    steps.append(("county_approve", "accepted", "county_approved", "county_reviewer"))
    if state == "county_approved":
        return steps
    src = "county_approved"
    if expert:
        steps += [("expert_score", src, src, "expert")] * 3
        steps.append(("expert_conclude", src, "expert_reviewed", "city_reviewer"))
        src = "expert_reviewed"
    if state == "expert_reviewed":
        return steps
    if state == "rejected":
        return [*steps, ("city_reject", src, "rejected", "city_reviewer")]
    steps.append(("city_approve", src, "city_approved", "city_reviewer"))
    if state == "city_approved":
        return steps
    steps.append(("publish", "city_approved", "in_notice", "city_reviewer"))
    if state == "in_notice":
        return steps
    steps.append(("conclude_notice", "in_notice", "approved", "system"))
    if state == "approved":
        return steps
    steps.append(("disburse", "approved", "disbursed", "finance"))
    return steps


GAPS = {
    "submit": (0, 10),
    "return": (1, 5),
    "withdraw": (1, 20),
    "accept": (1, 5),
    "county_reject": (3, 15),
    "county_approve": (3, 15),
    "expert_score": (2, 10),
    "expert_conclude": (1, 5),
    "city_reject": (3, 12),
    "city_approve": (3, 12),
    "publish": (1, 5),
    "conclude_notice": (7, 9),
    "disburse": (5, 20),
}


def _days(rnd: random.Random, steps: list[tuple[str, str, str, str]]) -> list[int]:
    return [rnd.randint(*GAPS[a]) for a, *_ in steps]


class Cases:
    """Writes the cases and everything that hangs on them, chunk by chunk."""

    def __init__(self, ctx: Context, sink: Sink, rnd: random.Random, *, defer: bool) -> None:
        from zhongchuang.workflow import calendar as wcal
        from zhongchuang.workflow.audit import canonical_json, event_hash

        self.ctx = ctx
        self.sink = sink
        self.rnd = rnd
        self.defer = defer
        self.wcal = wcal
        self.event_hash = event_hash
        self.canonical_json = canonical_json
        self.due_cache: dict[tuple[date, int], date] = {}
        self.work_cache: dict[tuple[date, date], int] = {}
        self.prev = ctx.head_hash
        #: defer: (COPY line up to the hashes, canonical JSON of the content) per event,
        #: chained later in order by the main process.
        self.deferred: list[tuple[str, str]] = []
        self.notice_days: set[date] = set()
        self.written_notices: set[date] = set()
        self.budget: dict[int, list[Decimal]] = defaultdict(_zero2)
        self.last_event_id = ctx.head_id
        self.staff_ids = ctx.staff
        self.experts = [self.staff_ids[f"bench_expert{i}"] for i in range(1, 6)]
        self.pdf_sha = hashlib.sha256(b"bench").hexdigest()

    def working_days(self, start: date, end: date) -> int:
        key = (start, end)
        if key not in self.work_cache:
            self.work_cache[key] = Stay("", start, end).working_days
        return self.work_cache[key]

    def due(self, day: date, limit: int) -> date:
        key = (day, limit)
        if key not in self.due_cache:
            self.due_cache[key] = self.wcal.due_date(day, limit)
        return self.due_cache[key]

    def event(
        self,
        ev_id: int,
        at: datetime,
        actor: tuple[int, str] | None,
        role: str | None,
        kind: str,
        case_id: int,
        action: str | None,
        from_state: str | None,
        to_state: str | None,
        reason: str | None = None,
        articles: list[str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """One audit event, with the content ``services.audit.event_content`` gives."""
        articles = articles or []
        details = details or {}
        self.last_event_id = ev_id
        actor_id, actor_name = actor if actor else (None, "system")
        content = {
            "at": at.isoformat(),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "actor_role": role,
            "kind": kind,
            "application_id": case_id,
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "reason": reason,
            "articles": articles,
            "details": details,
        }
        if self.defer:
            # The hot path of a million-case load: the COPY line up to the two hashes (the
            # generated names, states and reasons need no escaping) and what is hashed.
            n = "\\N"
            self.deferred.append(
                (
                    f"{ev_id}\t{content['at']}\t{n if actor_id is None else actor_id}\t"
                    f"{actor_name}\t{role or n}\t{kind}\t{case_id}\t{action or n}\t"
                    f"{from_state or n}\t{to_state or n}\t{reason or n}\t"
                    f"{_json_text(articles)}\t{_json_text(details)}\t",
                    self.canonical_json(content),
                )
            )
            if len(self.deferred) == 1:
                # The chain is made with event_hash's own formula: check it on each block.
                assert chain_hash(GENESIS, self.deferred[0][1]) == self.event_hash(GENESIS, content)
            return
        h = self.event_hash(self.prev, content)
        self.sink.add(
            "audit_events",
            (ev_id, at, actor_id, actor_name, role, kind, case_id, action, from_state, to_state,
             reason, articles, details, self.prev, h),
        )  # fmt: skip
        self.prev = h

    def notice_for(self, day: date) -> int:
        """The notice published on ``day`` (one a day; its id is the day's number)."""
        self.notice_days.add(day)
        if not self.defer and day not in self.written_notices:
            self.written_notices.add(day)
            self.sink.add("notices", notice_row(self.ctx, day))
        return notice_id(day)

    def one(self, case_id: int, year: int, state: str) -> None:  # noqa: C901
        ctx, rnd, sink = self.ctx, self.rnd, self.sink
        code = _pick(rnd, {c: w for c, (w, _k) in PROGRAMS.items()})
        t = ctx.templates[(code, year)]
        kind = PROGRAMS[code][1]
        if state == "expert_reviewed" and not t.expert:
            state = "county_approved"
        if state == "disbursed" and not t.money:
            state = "approved"
        district = rnd.choices(list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values()))[0]
        if kind == "person":
            pid, uid, name = rnd.choice(ctx.persons[district])
            org_id = None
        else:
            pool = ctx.orgs.get(("small" if kind == "enterprise" else "operator", district))
            if not pool:
                pool = ctx.orgs[("enterprise" if kind == "enterprise" else "operator", district)]
            org_id, uid, name = rnd.choice(pool)
            pid = None
        applicant = (uid, f"p{pid}" if pid else f"org{org_id}")
        steps = _path(state, t.expert, reject_at_city=rnd.random() < 0.3)
        gaps = _days(rnd, steps)
        # The days: past cases run forward from their creation; current ones end recently.
        if year < CURRENT_YEAR:
            created = date(year, 1, 10) + timedelta(days=rnd.randrange(290))
            days = []
            d = created
            for g in gaps:
                d += timedelta(days=g)
                days.append(d)
        else:
            mean = RECENT_MEAN_DAYS.get(state, 30)
            back = min(int(rnd.expovariate(1 / mean)), 69) if mean else rnd.randrange(70)
            last = TODAY - timedelta(days=back)
            first_allowed = date(year, 1, 4)
            days = []
            d = last
            for g in reversed(gaps):
                days.append(max(d, first_allowed))
                d -= timedelta(days=g)
            days.reverse()
            created = max(first_allowed, min(d, days[0] if days else last))
        ev_id = ctx.head_id + (case_id - 1) * EVENT_STRIDE + 1
        created_at = _at(created, rnd)
        data = case_data(code, rnd, district, year, case_id)
        batch_id = ctx.batches[(code, year)]
        # The audit trail, as the services write it.
        self.event(
            ev_id, created_at, applicant, "applicant", "case.create", case_id, None, None,
            "draft", details={"program": code, "batch_id": batch_id},
        )  # fmt: skip
        version = 1
        submitted_on = first_approver = score_avg = approved = None
        payment_ref = disbursed_on = None
        entered = created
        expert_scores: list[tuple[tuple[int, str], int, datetime]] = []
        assigned_at = None
        for minute, ((action, frm, to, role), day) in enumerate(zip(steps, days, strict=True), 1):
            at = _at(day, rnd, minute) if day != created else created_at + timedelta(minutes=minute)
            actor: tuple[int, str] | None
            if role == "applicant":
                actor = applicant
            elif role == "county_reviewer":
                actor = self.staff_ids[f"county_{district}"]
            elif role == "city_reviewer":
                actor = self.staff_ids["bench_city"]
            elif role == "finance":
                actor = self.staff_ids["bench_finance"]
            elif role == "expert":
                actor = self.experts[len(expert_scores) % len(self.experts)]
            else:
                actor = None
            details: dict[str, Any] = {}
            reason, articles = REASONS.get(action, (None, None))
            if action == "submit":
                submitted_on = day
                details = {
                    "computed_amount": f"{t.amount:.2f}" if t.amount is not None else None,
                    "eligible": t.eligible,
                }
            elif action == "county_approve":
                first_approver = actor
            elif action == "expert_score":
                score = rnd.randrange(60, 96)
                assigned_at = assigned_at or at - timedelta(days=1)
                expert_scores.append((actor, score, at))  # type: ignore[arg-type]
                details = {"score": score}
            elif action == "expert_conclude":
                avg = sum(s for _e, s, _a in expert_scores) / len(expert_scores)
                score_avg = Decimal(str(avg)).quantize(Decimal("0.01"))
                details = {"score_average": f"{score_avg:.2f}"}
            elif action == "city_approve":
                approved = t.amount if t.money else Decimal("0.00")
                details = {"approved_amount": f"{approved:.2f}"}
            elif action == "disburse":
                payment_ref = f"JXCZ-{day.year}-{case_id:07d}"
                disbursed_on = day
                details = {"payment_reference": payment_ref, "amount": f"{approved:.2f}"}
            elif action == "city_reject" and approved:
                details = {"released": f"{approved:.2f}"}
            elif action == "publish":
                sink.add(
                    "notice_items",
                    (case_id, self.notice_for(day), case_id,
                     name if kind != "person" else name[0] + "*" * (len(name) - 1), t.name,
                     district, f"{approved:.2f}" if approved else None),
                )  # fmt: skip
            elif action == "conclude_notice" and code == "makerspace_recognition":
                sid = case_id
                sink.add(
                    "maker_spaces",
                    (sid, data["space_name"], data["space_type"], "city", district, day,
                     org_id, case_id),
                )  # fmt: skip
                details = {"maker_space_id": sid}
            ev_id += 1
            self.event(
                ev_id, at, actor, role, "case.action", case_id, action, frm, to, reason,
                list(articles or []), details,
            )  # fmt: skip
            version += 1
            if to != frm:
                if frm not in NOT_A_STAGE:  # the stay this transition ends, as the engine writes it
                    sink.add(
                        "case_stays",
                        (case_id, district, t.program_id, frm, entered, day,
                         (day - entered).days, self.working_days(entered, day)),
                    )  # fmt: skip
                entered = day
        # The row.
        limit = ctx.time_limits.get((code, state))
        due = self.due(entered, limit) if limit else None
        submitted = state != "draft"
        row = (
            case_id, f"ZC{year}{case_id:07d}", t.program_id, batch_id, uid, org_id, pid, name,
            district, data, state, version, t.workflow_id,
            t.eligible if submitted else None,
            t.amount if submitted else None,
            approved if state in ("city_approved", "in_notice", "approved", "disbursed") else None,
            t.explanation if submitted else None,
            t.snapshot if submitted else None,
            t.catalogue_version_id if submitted else None,
            submitted_on, entered, due,
            first_approver[0] if first_approver else None,
            score_avg, payment_ref, disbursed_on, created_at,
            _at(days[-1] if days else created, rnd) if days else created_at,
        )  # fmt: skip
        sink.add("applications", row)
        if approved and t.money:
            if state in ("city_approved", "in_notice", "approved"):
                self.budget[batch_id][0] += approved
            elif state == "disbursed":
                self.budget[batch_id][1] += approved
        # Attachments: every required kind, most optional ones (drafts: half of them).
        if submitted or rnd.random() < 0.5:
            for k, (akind, alabel, required) in enumerate(t.attachments[:ATTACHMENT_STRIDE]):
                if required or rnd.random() < 0.6:
                    sink.add(
                        "attachments",
                        ((case_id - 1) * ATTACHMENT_STRIDE + k + 1, case_id, akind, f"{alabel}.pdf",
                         "application/pdf", rnd.randrange(40_000, 900_000), self.pdf_sha,
                         f"bench-{case_id}-{akind}", uid, created_at, True),
                    )  # fmt: skip
        # Benefit claims (roster programs claim per person-month: no roster rows here).
        if submitted and t.code != "graduate_social_insurance":
            period = "once" if t.per == "once" else str(year - 1)
            subject = hashlib.sha256(f"{t.code}:{case_id}".encode()).hexdigest()
            sink.add(
                "benefit_claims",
                (case_id, case_id, t.benefit, subject, period,
                 state in ACTIVE_CLAIM_STATES),
            )  # fmt: skip
        # Experts: three scores for the cases past expert review, three assigned and not
        # yet scored for those waiting in county_approved.
        first_ea = (case_id - 1) * EXPERT_STRIDE + 1
        if t.expert and expert_scores:
            for k, (expert, score, at) in enumerate(expert_scores):
                sink.add(
                    "expert_assignments",
                    (first_ea + k, case_id, expert[0],
                     self.staff_ids["bench_city"][0], assigned_at, score, "评审意见。", at),
                )  # fmt: skip
        elif t.expert and state == "county_approved":
            for k, expert in enumerate(rnd.sample(self.experts, 3)):
                sink.add(
                    "expert_assignments",
                    (first_ea + k, case_id, expert[0],
                     self.staff_ids["bench_city"][0], _at(entered, rnd), None, None, None),
                )  # fmt: skip

    def block(self, start: int, end: int, plan: list[tuple[int, int]]) -> None:
        """Cases ``start`` < number ≤ ``end`` (numbers count from 1 in plan order)."""
        bounds = []
        total = 0
        for year, count in plan:
            total += count
            bounds.append((total, year))
        for i in range(start, end):
            year = next(y for upto, y in bounds if i < upto)
            states = CURRENT_STATES if year == CURRENT_YEAR else PAST_STATES
            self.one(i + 1, year, self.rnd.choices(list(states), list(states.values()))[0])
        self.sink.flush()


def year_plan(n: int) -> list[tuple[int, int]]:
    """Cases per year: past years first (2016 → 2020, growing), then the current year."""
    current, past = plan_counts(n)
    weights = [1.0, 1.3, 1.6, 1.9, 2.2]
    per_year = [round(past * w / sum(weights)) for w in weights]
    per_year[-1] = past - sum(per_year[:-1])
    return [*zip(YEARS[:-1], per_year, strict=True), (CURRENT_YEAR, current)]


def chain_hash(prev: str, canonical: str) -> str:
    """``event_hash(prev, content)`` given ``canonical_json(content)`` (checked against
    ``event_hash`` itself on every block)."""
    return hashlib.sha256((prev + "\n" + canonical).encode("utf-8")).hexdigest()


def notice_id(day: date) -> int:
    return (day - NOTICE_EPOCH).days + 1


def notice_row(ctx: Context, day: date) -> tuple[Any, ...]:
    from zhongchuang.workflow import calendar as wcal

    period = wcal.notice_period(day, 5)
    return (
        notice_id(day), f"{day.year}年众创空间政策扶持事项拟支持名单公示", day, period.starts_on,
        period.ends_on, 5, ctx.staff["bench_city"][0], _at(day, random.Random(day.toordinal())),
        True,
    )  # fmt: skip


# --- the load: in worker processes on PostgreSQL, in process on SQLite -----------------

_W: dict[str, Any] = {}  # what the forked worker processes inherit


@dataclass
class Loaded:
    counts: dict[str, int]
    last_hash: str
    last_event_id: int
    budget: dict[int, list[Decimal]]


def _merge_pools(into: Pools, pools: Pools) -> None:
    for key, rows in pools.items():
        into.setdefault(key, []).extend(rows)


def _merge_budget(into: dict[int, list[Decimal]], budget: dict[int, list[Decimal]]) -> None:
    for batch_id, (reserved, consumed) in budget.items():
        into[batch_id][0] += reserved
        into[batch_id][1] += consumed


def _person_chunks(n: int) -> list[tuple[int, int, int]]:
    _n_orgs, n_persons = applicant_counts(n)
    starts = range(0, n_persons, PERSON_BLOCK)
    return [(k, s, min(s + PERSON_BLOCK, n_persons)) for k, s in enumerate(starts)]


def _case_blocks(n: int) -> list[tuple[int, int, int]]:
    return [(k, s, min(s + BLOCK, n)) for k, s in enumerate(range(0, n, BLOCK))]


def _worker_conn() -> Any:
    if "conn" not in _W:
        _W["conn"] = pg_connect(_W["dsn"])
    return _W["conn"]


def _w_persons(chunk: tuple[int, int, int]) -> tuple[Pools, dict[str, int]]:
    conn = _worker_conn()
    sink = PgSink(COLUMNS, conn, threaded=False)
    pools = persons(_W["ctx"], sink, *chunk)
    conn.commit()
    return pools, dict(sink.counts)


def _w_cases(block: tuple[int, int, int]) -> tuple[Any, ...]:
    ctx: Context = _W["ctx"]
    k, start, end = block
    conn = _worker_conn()
    sink = PgSink(COLUMNS, conn, threaded=False)
    cases = Cases(ctx, sink, random.Random(ctx.seed * 1_000_003 + k), defer=True)
    cases.block(start, end, _W["plan"])
    conn.commit()
    return (
        cases.deferred,
        cases.notice_days,
        dict(cases.budget),
        dict(sink.counts),
        cases.last_event_id,
    )


def _in_order(pool: Any, fn: Any, items: list[Any], window: int) -> Iterable[Any]:
    """``pool.imap`` with at most ``window`` results waiting (memory stays bounded)."""
    from collections import deque

    pending: deque[Any] = deque()
    it = iter(items)
    for item in it:
        pending.append(pool.apply_async(fn, (item,)))
        if len(pending) >= window:
            break
    while pending:
        yield pending.popleft().get()
        for item in it:
            pending.append(pool.apply_async(fn, (item,)))
            break


def _progress(done: int, total: int, events: int, t0: float) -> None:
    rate = done / max(time.monotonic() - t0, 1e-9)
    print(f"  {done:>9,} / {total:,} cases  ({rate:,.0f}/s, {events:,} events)", flush=True)


def load_postgresql(ctx: Context, conn: Any, dsn: str, workers: int) -> Loaded:
    """Organisations in process; persons and cases in ``workers`` forked processes, each
    writing its blocks with COPY on its own connection; the audit events chained here, in
    case order, and written with COPY by a writer thread."""
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    counts: dict[str, int] = defaultdict(int)
    sink = PgSink(COLUMNS, conn, threaded=False)
    ctx.orgs = organisations(ctx, sink)
    conn.commit()
    for t, c in sink.counts.items():
        counts[t] += c
    t0 = time.monotonic()
    _W.update(ctx=ctx, dsn=dsn, plan=year_plan(ctx.n))
    people: Pools = {}
    with fork.Pool(workers) as pool:
        for pools, c in pool.imap(_w_persons, _person_chunks(ctx.n)):
            _merge_pools(people, pools)
            for t, n in c.items():
                counts[t] += n
    ctx.persons = people
    print(f"  applicants: {time.monotonic() - t0:.0f}s", flush=True)
    t0 = time.monotonic()
    prev, last_id = ctx.head_hash, ctx.head_id
    budget: dict[int, list[Decimal]] = defaultdict(_zero2)
    written: set[date] = set()
    done = n_events = 0
    with fork.Pool(workers) as pool:  # forked again: the workers inherit the applicants
        events = PgSink(COLUMNS, conn, threaded=True)
        blocks = _case_blocks(ctx.n)
        for k, (deferred, days, b, c, last) in enumerate(
            _in_order(pool, _w_cases, blocks, 2 * workers)
        ):
            for day in sorted(days - written):
                events.add("notices", notice_row(ctx, day))
            written |= days
            for line, canonical in deferred:
                h = chain_hash(prev, canonical)
                events.add_text("audit_events", f"{line}{prev}\t{h}\n")
                prev = h
            last_id = last
            n_events += len(deferred)
            _merge_budget(budget, b)
            for t, n in c.items():
                counts[t] += n
            events.flush()
            done = blocks[k][2]
            if (k + 1) % 20 == 0:
                _progress(done, ctx.n, n_events, t0)
        events.close()
    conn.commit()
    for t, n in events.counts.items():
        counts[t] += n
    return Loaded(dict(counts), prev, last_id, budget)


def load_sqlite(ctx: Context, engine: Any, tables: Any) -> Loaded:
    """The same blocks, in process, through executemany (foreign keys checked)."""
    sink = SqliteSink(COLUMNS, engine, tables)
    ctx.orgs = organisations(ctx, sink)
    people: Pools = {}
    for chunk in _person_chunks(ctx.n):
        _merge_pools(people, persons(ctx, sink, *chunk))
    ctx.persons = people
    plan = year_plan(ctx.n)
    prev, last_id = ctx.head_hash, ctx.head_id
    budget: dict[int, list[Decimal]] = defaultdict(_zero2)
    written: set[date] = set()
    t0 = time.monotonic()
    n_events = 0
    for k, start, end in _case_blocks(ctx.n):
        cases = Cases(ctx, sink, random.Random(ctx.seed * 1_000_003 + k), defer=False)
        cases.prev, cases.written_notices = prev, written
        cases.block(start, end, plan)
        prev, last_id = cases.prev, cases.last_event_id
        n_events += sink.counts["audit_events"] - n_events
        _merge_budget(budget, cases.budget)
        if (k + 1) % 4 == 0:
            _progress(end, ctx.n, n_events, t0)
    sink.close()
    return Loaded(dict(sink.counts), prev, last_id, budget)


# --- PostgreSQL bulk-load helpers ------------------------------------------------------


def pg_drop_indexes(conn: Any, tables: Iterable[str]) -> list[str]:
    """Drop the secondary indexes and unique constraints of ``tables``; return the
    statements that recreate them (primary keys and foreign keys stay)."""
    recreate = []
    with conn.cursor() as cur:
        for table in tables:
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                (table,),
            )
            for name, definition in cur.fetchall():
                recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cur.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                (table,),
            )
            for name, definition in cur.fetchall():
                recreate.append(definition)
                cur.execute(f"DROP INDEX {name}")
    return recreate


def ensure_model_indexes(engine: Any) -> list[str]:
    """Create any index the models declare that the database lacks (a reused database
    after an index was added to a model); returns their names."""
    import sqlalchemy as sa

    from zhongchuang.extensions import db

    made = []
    insp = sa.inspect(engine)
    for table in db.metadata.sorted_tables:
        have = {ix["name"] for ix in insp.get_indexes(table.name)}
        for ix in table.indexes:
            if ix.name not in have:
                ix.create(bind=engine)
                made.append(ix.name)
    return made


def schema_matches(engine: Any) -> bool:
    """Every table and column of the models is in the database."""
    import sqlalchemy as sa

    from zhongchuang.extensions import db

    insp = sa.inspect(engine)
    tables = set(insp.get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name not in tables:
            return False
        cols = {c["name"] for c in insp.get_columns(table.name)}
        if not {c.name for c in table.columns} <= cols:
            return False
    return True


# --- main ------------------------------------------------------------------------------


def generate(
    n: int, backend: str, seed: int = 11, reuse: bool = False, workers: int | None = None
) -> dict[str, Any]:
    """Build (or, with ``reuse``, take) the database of ``n`` cases; return its marker."""
    import sqlalchemy as sa

    url = database_url(backend, n)
    marker = read_marker(backend, n)
    if reuse and marker is not None:
        app = make_app(url)
        with app.app_context():
            from zhongchuang.extensions import db

            try:
                ok = schema_matches(db.engine)
            except sa.exc.OperationalError:
                ok = False
            if ok:
                made = ensure_model_indexes(db.engine)
                if made:
                    print(f"reused {url}; created missing indexes: {', '.join(made)}")
                else:
                    print(f"reused {url} ({marker['cases']:,} cases, {marker['events']:,} events)")
                db.engine.dispose()
                return marker
            db.engine.dispose()
        print(f"{url}: the schema changed since it was generated; generating it again")
    workers = workers or max(1, os.cpu_count() or 1)
    t_start = time.monotonic()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    marker_path(backend, n).unlink(missing_ok=True)
    print(f"creating {url} and migrating (flask db upgrade, flask policy load)")
    create_database(backend, url)
    migrate(url)
    print(f"  migrated: {time.monotonic() - t_start:.0f}s")
    app = make_app(url)
    with app.app_context():
        from werkzeug.security import generate_password_hash

        from zhongchuang.extensions import db
        from zhongchuang.models import AuditHead

        staff_users, batches = setup_services()
        staff = {k: (u.id, u.username) for k, u in staff_users.items()}
        ctx = Context(
            n=n,
            seed=seed,
            staff=staff,
            batches=batches,
            templates=build_templates(),
            time_limits=time_limits(),
            password_hash=generate_password_hash(PASSWORD),
        )
        for table in ("users", "organizations", "persons"):
            model_table = db.metadata.tables[table]
            ctx.ids[table] = int(
                db.session.execute(
                    sa.select(sa.func.coalesce(sa.func.max(model_table.c.id), 0))
                ).scalar_one()
            )
        for table in BULK_TABLES:
            if table not in ("users", "user_roles") and ctx.ids.get(table):
                raise RuntimeError(f"{table} is not empty before the bulk load")
        print(f"  staff, batches, rule snapshots: {time.monotonic() - t_start:.0f}s")
        head = db.session.get(AuditHead, 1)
        ctx.head_hash, ctx.head_id = head.last_hash, head.last_event_id or 0
        staff_ids = {k: v[0] for k, v in staff.items()}
        db.session.commit()
        db.session.remove()
        current, past = plan_counts(n)
        print(f"generating {n:,} cases ({past:,} of 2016–2020, {current:,} of 2021) on {backend}")
        t0 = time.monotonic()
        if backend == "postgresql":
            dsn = url.replace("postgresql+psycopg://", "postgresql://")
            conn = pg_connect(dsn)
            recreate = pg_drop_indexes(conn, BULK_TABLES)
            conn.commit()
            loaded = load_postgresql(ctx, conn, dsn, workers)
        else:
            loaded = load_sqlite(ctx, db.engine, db.metadata.tables)
        t_load = time.monotonic()
        print(f"  rows written in {t_load - t0:.0f}s: " + ", ".join(
            f"{t} {c:,}" for t, c in loaded.counts.items()
        ))  # fmt: skip
        events = loaded.counts.get("audit_events", 0)
        # The chain's head, the batches' money, the sequences, the indexes, statistics.
        last_hash, last_id = loaded.last_hash, loaded.last_event_id
        if backend == "postgresql":
            with conn.cursor() as cur:
                cur.execute(
                    "UPDATE audit_head SET last_hash = %s, last_event_id = %s WHERE id = 1",
                    (last_hash, last_id),
                )
                for batch_id, (reserved, consumed) in loaded.budget.items():
                    cur.execute(
                        "UPDATE batches SET reserved = %s, consumed = %s, "
                        "budget = GREATEST(budget, %s) WHERE id = %s",
                        (reserved, consumed, (reserved + consumed) * 2, batch_id),
                    )
                for table in BULK_TABLES:
                    if table != "user_roles":
                        cur.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                        )
                print(f"  rebuilding {len(recreate)} indexes and unique constraints")
                for stmt in recreate:
                    cur.execute(stmt)
                cur.execute("SET session_replication_role = DEFAULT")
            conn.commit()
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("VACUUM (ANALYZE)")
            conn.close()
        else:
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE audit_head SET last_hash = :h, last_event_id = :i WHERE id = 1"
                    ),
                    {"h": last_hash, "i": last_id},
                )
                for batch_id, (reserved, consumed) in loaded.budget.items():
                    conn.execute(
                        sa.text(
                            "UPDATE batches SET reserved = :r, consumed = :c, "
                            "budget = MAX(budget, :b) WHERE id = :id"
                        ),
                        {
                            "r": str(reserved),
                            "c": str(consumed),
                            "b": str((reserved + consumed) * 2),
                            "id": batch_id,
                        },
                    )
                conn.exec_driver_sql("ANALYZE")
        print(f"  indexes, sequences, statistics: {time.monotonic() - t_load:.0f}s")
        db.session.remove()
        db.engine.dispose()
    result = {
        "backend": backend,
        "url": url,
        "cases": n,
        "events": events,
        "rows": loaded.counts,
        "seed": seed,
        "staff": staff_ids,
        "seconds": round(time.monotonic() - t_start),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    marker_path(backend, n).write_text(json.dumps(result, indent=2))
    print(f"done in {result['seconds']}s: {url}")
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--backend", choices=("postgresql", "sqlite"), default=None)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--reuse", action="store_true", help="keep a finished database as it is")
    p.add_argument("--drop", action="store_true", help="drop the database and stop")
    p.add_argument("--workers", type=int, default=None, help="generator processes (PostgreSQL)")
    args = p.parse_args(argv)
    backend = args.backend or ("postgresql" if args.cases >= 1_000_000 else "sqlite")
    if args.drop:
        drop_database(backend, args.cases)
        print(f"dropped {database_url(backend, args.cases)}")
        return
    generate(args.cases, backend, seed=args.seed, reuse=args.reuse, workers=args.workers)


if __name__ == "__main__":
    main()
