"""政策体检 for an applicant with 50 earlier cases: how long the check takes.

    python -m bench.bench_services [--runs 100] [--claims 50000] [--no-postgres]

The world: the policy's catalogue, a batch open for every program, ``--claims`` benefit
claims of other people (the claim index the rules look up), and one graduate with 50
earlier cases across the programs for persons (drafts, and claims of their own for two
programs). Timed: ``policy_check`` in this process (the session emptied before each run,
as a request starts), and ``POST /api/v1/eligibility-check`` through the app with a
bearer token (JSON and all). Figures: median and p95 in ms; target p95 < 300 ms
(issue 21). SQLite in a temporary file, and PostgreSQL when a server answers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.bench_roster import _admin, postgres_admin_url
from bench.common import BENCH_DIR, ROOT, Timing, machine, measure

CATALOGUE = ROOT / "catalogue" / "jiaxing-2015-90.yaml"
TODAY = date(2021, 3, 15)
TARGET_P95_MS = 300.0
PG_DATABASE = "zc_bench_services"
PASSWORD = "bench-Password-1"


def _world(claims: int) -> Any:
    import sqlalchemy as sa

    from zhongchuang.accounts.operations import PersonRegistration, create_user, register_person
    from zhongchuang.cases import engine as cases
    from zhongchuang.catalogue import batches
    from zhongchuang.extensions import db
    from zhongchuang.models import Application, BenefitClaim, Program
    from zhongchuang.policy.identity import make_credit_code, make_id_number

    admin = create_user("bench-admin", PASSWORD, ["admin"], None)
    for code in db.session.execute(sa.select(Program.code)).scalars().all():
        batches.create_batch(
            admin, code, 2021, date(2021, 3, 1), date(2021, 4, 30), Decimal("1000000.00")
        )
    graduate = register_person(
        PersonRegistration(
            username="bench-graduate",
            password=PASSWORD,
            name="陈小红",
            id_number=make_id_number("330402", date(1998, 5, 1), 1),
            phone="13800000000",
            email="graduate@example.test",
        )
    )
    code = make_credit_code("330411", "MA0000007")
    person = {
        "school": "嘉兴学院",
        "graduation_date": "2019-06-30",
        "business_credit_code": code,
        "business_registered_on": "2020-05-01",
    }
    kinds = [
        ("graduate_self_employed_insurance", {**person, "insured_months": 6}),
        ("employment_driving_grant", {"business_credit_code": code, "employees_insured": 3}),
        (
            "graduate_loan_interest",
            {"graduation_date": "2019-06-30", "bank": "嘉兴银行", "loan_amount": "100000"},
        ),
    ]
    for i in range(50):
        program, data = kinds[i % len(kinds)]
        if program == "employment_driving_grant":
            data = {**data, "year": 2000 + i}
        cases.create_draft(graduate, program, data)
    first = db.session.execute(
        sa.select(Application.id).where(Application.person_id == graduate.person_id).limit(1)
    ).scalar_one()
    rng = random.Random(2021)
    rows = [
        {
            "application_id": first,
            "benefit": rng.choice(["graduate_startup_grant", "employment_driving_grant"]),
            "subject": f"{rng.getrandbits(128):032x}",
            "period": "once",
            "active": True,
        }
        for _ in range(claims)
    ]
    rows.append(
        {
            "application_id": first,
            "benefit": "graduate_self_employed_insurance",
            "subject": graduate.person.id_number_hash,
            "period": "once",
            "active": True,
        }
    )
    db.session.execute(sa.insert(BenefitClaim), rows)
    db.session.commit()
    return graduate


def run_one(url: str, runs: int, claims: int) -> dict[str, Any]:
    from flask_migrate import upgrade

    from zhongchuang import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "test",
            overrides={
                "SQLALCHEMY_DATABASE_URI": url,
                "UPLOAD_DIR": str(Path(tmp) / "uploads"),
                "RATELIMIT_ENABLED": False,
            },
        )
        with app.app_context():
            app.extensions["zc_clock"].set_today(TODAY)
            upgrade()
            from zhongchuang.cases.policy_check import policy_check
            from zhongchuang.catalogue.loading import load_catalogue_file
            from zhongchuang.extensions import db
            from zhongchuang.models import User

            load_catalogue_file(str(CATALOGUE), by=None)
            graduate_id = _world(claims).id
            verdicts = {}

            def in_process(_i: int) -> None:
                db.session.expire_all()
                user = db.session.get(User, graduate_id)
                for row in policy_check(user):
                    verdicts[row.result.program] = row.result.status

            direct = Timing("policy_check()", measure(in_process, runs))
            client = app.test_client()
            token = client.post(
                "/api/v1/tokens", json={"username": "bench-graduate", "password": PASSWORD}
            ).get_json()["token"]
            headers = {"Authorization": f"Bearer {token}"}

            def over_api(_i: int) -> None:
                resp = client.post("/api/v1/eligibility-check", json={}, headers=headers)
                assert resp.status_code == 200, resp.get_data(as_text=True)

            api = Timing("POST /api/v1/eligibility-check", measure(over_api, runs))
            db.session.remove()
            db.engine.dispose()
    return {
        "verdicts": verdicts,
        "figures": {
            t.name: {"median_ms": round(t.median_ms, 1), "p95_ms": round(t.p95_ms, 1)}
            for t in (direct, api)
        },
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m bench.bench_services", description=__doc__.split("\n")[0]
    )
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--claims", type=int, default=50_000, help="other people's claims")
    p.add_argument("--no-postgres", action="store_true")
    args = p.parse_args(argv)
    print(f"machine: {machine()}")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run_one(f"sqlite:///{tmp}/services.db", args.runs, args.claims)
    admin = None if args.no_postgres else postgres_admin_url()
    if admin:
        _admin(admin, f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        _admin(admin, f"CREATE DATABASE {PG_DATABASE}")
        try:
            url = admin.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
            results["postgresql"] = run_one(url, args.runs, args.claims)
        finally:
            _admin(admin, f"DROP DATABASE IF EXISTS {PG_DATABASE}")
    else:
        print("PostgreSQL: no server answers; SQLite only")
    print(
        f"\n政策体检, one graduate with 50 earlier cases, {args.claims:,} other claims, "
        f"{args.runs} runs (target p95 < {TARGET_P95_MS:.0f} ms)"
    )
    print("| backend | operation | median ms | p95 ms | target |\n|---|---|---|---|---|")
    for backend, res in results.items():
        for name, f in res["figures"].items():
            ok = "✓" if f["p95_ms"] < TARGET_P95_MS else "✗"
            print(f"| {backend} | {name} | {f['median_ms']:.1f} | {f['p95_ms']:.1f} | {ok} |")
    print(f"verdicts: {results['sqlite']['verdicts']}")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    out = BENCH_DIR / "results-services.json"
    payload = {"machine": machine(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    out.write_text(json.dumps({**payload, "results": results}, indent=2, ensure_ascii=False))
    print(f"saved {out.relative_to(ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
