"""Roster import benchmark: 100,000 person-months as CSV and as XLSX.

    python -m bench.bench_roster [--rows N] [--runs 3] [--no-postgres]

Generates valid, realistic rows (≈16,700 graduates × 6 months), then imports each file
into a fresh database — SQLite, and PostgreSQL when one answers (BENCH_DATABASE_URL, or
127.0.0.1:5432 as postgres/root) — each (format, database) in its own process so that
``ru_maxrss`` is that import's own. Reports rows per second (median of the timed runs;
runs after the first replace the previous 100,000 rows in the same transaction), the
tracemalloc peak of one further run, and the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue" / "jiaxing-2015-90.yaml"
TODAY = date(2021, 3, 15)
MONTHS = [f"2020-{m:02d}" for m in range(7, 13)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文宇欣怡浩然子涵梓轩"
SCHOOLS = (
    "嘉兴学院",
    "浙江大学",
    "浙江工业大学",
    "杭州电子科技大学",
    "嘉兴南湖学院",
    "浙江理工大学",
    "宁波大学",
    "浙江财经大学",
    "中国计量大学",
    "浙江科技学院",
)
DISTRICTS = ("330402", "330411", "330421", "330424", "330481", "330482", "330483", "330106")


def generate_rows(n: int, seed: int = 2021) -> Iterator[list[str]]:
    """``n`` valid rows, six months per graduate (the last one may have fewer)."""
    from zhongchuang.policy.identity import make_id_number

    rnd = random.Random(seed)
    person = 0
    emitted = 0
    used: set[str] = set()
    while emitted < n:
        person += 1
        birth = date(1996 + rnd.randrange(4), 1 + rnd.randrange(12), 1 + rnd.randrange(28))
        number = make_id_number(rnd.choice(DISTRICTS), birth, person)
        if number in used:  # two graduates never share a number (the sequence wraps at 1000)
            continue
        used.add(number)
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        school = rnd.choice(SCHOOLS)
        graduated = f"2020-06-{rnd.randrange(20, 31):02d}"
        base = Decimal(rnd.randrange(3500, 9000))
        pension = (base * Decimal("0.14")).quantize(Decimal("0.01"))
        medical = (base * Decimal("0.065")).quantize(Decimal("0.01"))
        unemployment = (base * Decimal("0.005")).quantize(Decimal("0.01"))
        for month in MONTHS:
            if emitted >= n:
                break
            emitted += 1
            yield [
                name,
                number,
                school,
                graduated,
                "2020-07-01",
                "2023-06-30",
                month,
                str(pension),
                str(medical),
                str(unemployment),
            ]


def write_csv(path: Path, n: int) -> None:
    from zhongchuang.policy.roster import ROSTER_FIELDS

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ROSTER_FIELDS.values())
        writer.writerows(generate_rows(n))


def write_xlsx(path: Path, n: int) -> None:
    from openpyxl import Workbook

    from zhongchuang.policy.roster import ROSTER_FIELDS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(list(ROSTER_FIELDS.values()))
    for cells in generate_rows(n):
        ws.append(cells[:7] + [float(c) for c in cells[7:]])
    wb.save(path)


# --- databases ---------------------------------------------------------------------------


def postgres_admin_url() -> str | None:
    import sqlalchemy as sa

    candidates = (
        [os.environ["BENCH_DATABASE_URL"]]
        if os.environ.get("BENCH_DATABASE_URL")
        else [
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
            "postgresql+psycopg://root@127.0.0.1:5432/postgres",
        ]
    )
    for url in candidates:
        try:
            eng = sa.create_engine(url, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            eng.dispose()
            return url
        except Exception:  # noqa: BLE001, S112 - try the next candidate
            continue
    return None


def _admin(url: str, sql: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(sql))
    eng.dispose()


# --- one import, in its own process ------------------------------------------------------


def run_one(file: Path, database_url: str, runs: int, tmp: Path) -> dict:
    from flask_migrate import upgrade

    from zhongchuang import create_app

    overrides = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "MAX_UPLOAD_BYTES": 200 * 1024 * 1024,
        "RATELIMIT_ENABLED": False,
    }
    app = create_app("test", overrides=overrides)
    with app.app_context():
        app.extensions["zc_clock"].set_today(TODAY)
        upgrade()
        from zhongchuang.catalogue.loading import load_catalogue_file

        load_catalogue_file(str(CATALOGUE), by=None)
        user, case_id = _world()
        from zhongchuang.roster.operations import import_roster

        times = []
        cpu = []
        result = None
        for _ in range(runs):
            with file.open("rb") as fh:
                start, start_cpu = time.perf_counter(), time.process_time()
                result = import_roster(user, case_id, file.name, fh)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
        tracemalloc.start()
        with file.open("rb") as fh:
            result = import_roster(user, case_id, file.name, fh)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        from zhongchuang.extensions import db

        db.session.remove()
        db.engine.dispose()
    assert result is not None
    rows = result.accepted + result.rejected_count
    median = statistics.median(times)
    return {
        "rows": rows,
        "accepted": result.accepted,
        "rejected": result.rejected_count,
        "amount": str(result.amount),
        "people": len(result.per_person),
        "seconds": [round(t, 2) for t in times],
        "median_seconds": round(median, 2),
        "rows_per_second": round(rows / median),
        "cpu_seconds": round(statistics.median(cpu), 2),
        "rows_per_cpu_second": round(rows / statistics.median(cpu)),
        "tracemalloc_peak_mb": round(peak / 1024 / 1024, 1),
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _world():  # noqa: ANN202
    import sqlalchemy as sa

    from zhongchuang.accounts.operations import OrganizationRegistration, register_organization
    from zhongchuang.cases import engine as cases
    from zhongchuang.extensions import db
    from zhongchuang.models import Batch, MakerSpace, Organization, Program
    from zhongchuang.policy.identity import make_credit_code
    from zhongchuang.runtime import now

    program = db.session.execute(
        sa.select(Program).where(Program.code == "graduate_social_insurance")
    ).scalar_one()
    db.session.add(
        Batch(
            program_id=program.id,
            year=2021,
            opens_on=date(2021, 3, 1),
            closes_on=date(2021, 4, 30),
            budget=Decimal("100000000.00"),
            created_at=now(),
        )
    )
    operator = Organization(
        name="南湖创客汇运营有限公司",
        credit_code=make_credit_code("330402", "MA9000001"),
        kind="operator",
        district="330402",
        created_at=now(),
    )
    db.session.add(operator)
    db.session.flush()
    space = MakerSpace(
        name="南湖创客汇",
        space_type="maker_incubation",
        district="330402",
        recognised_on=date(2019, 1, 1),
        operator_id=operator.id,
    )
    db.session.add(space)
    db.session.commit()
    user = register_organization(
        OrganizationRegistration(
            username="roster_ent",
            password="Bench-Passw0rd-1",
            org_name="嘉兴某科技有限公司",
            credit_code=make_credit_code("330402", "MA1000001"),
            org_kind="enterprise",
            district="330402",
            enterprise_size="small",
            email="roster_ent@example.test",
        )
    )
    case = cases.create_draft(
        user,
        "graduate_social_insurance",
        {"maker_space_id": space.id, "period_start": "2020-07", "period_end": "2020-12"},
    )
    return user, case.id


# --- driver ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("FILE", "DATABASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            out = run_one(Path(args.one[0]), args.one[1], args.runs, Path(tmp))
        print(json.dumps(out))
        return

    with tempfile.TemporaryDirectory(prefix="zc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        files = {"csv": tmp / "roster.csv", "xlsx": tmp / "roster.xlsx"}
        t = time.perf_counter()
        write_csv(files["csv"], args.rows)
        write_xlsx(files["xlsx"], args.rows)
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - t:.1f}s: "
            + ", ".join(f"{k} {p.stat().st_size / 1024 / 1024:.1f} MB" for k, p in files.items())
        )
        admin = None if args.no_postgres else postgres_admin_url()
        backends = ["sqlite"] + (["postgresql"] if admin else [])
        if not admin and not args.no_postgres:
            print("PostgreSQL not reachable: SQLite only")
        header = f"{'format':6} {'database':10} {'rows/s':>8} {'median s':>9} {'runs s':>20} "
        print(header + f"{'tracemalloc MB':>15} {'maxrss MB':>10}")
        for kind, file in files.items():
            for backend in backends:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp / f'bench-{kind}.sqlite3'}"
                else:
                    assert admin is not None
                    name = f"zc_bench_{uuid.uuid4().hex[:10]}"
                    _admin(admin, f'CREATE DATABASE "{name}"')
                    url = admin.rsplit("/", 1)[0] + "/" + name
                try:
                    proc = subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "bench.bench_roster",
                            "--runs",
                            str(args.runs),
                            "--one",
                            str(file),
                            url,
                        ],
                        cwd=ROOT,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                finally:
                    if backend != "sqlite":
                        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                if proc.returncode != 0:
                    print(f"{kind} {backend} failed:\n{proc.stderr[-3000:]}")
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                runs = ", ".join(f"{s:.1f}" for s in r["seconds"])
                print(
                    f"{kind:6} {backend:10} {r['rows_per_second']:>8,} {r['median_seconds']:>9.2f} "
                    f"{runs:>20} {r['tracemalloc_peak_mb']:>15.1f} {r['maxrss_mb']:>10.1f}"
                    f"   cpu {r['cpu_seconds']:.2f}s = {r['rows_per_cpu_second']:,} rows/cpu-s"
                    f"   ({r['accepted']:,} accepted, {r['rejected']} rejected, "
                    f"{r['people']:,} people, {r['amount']} yuan)"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
