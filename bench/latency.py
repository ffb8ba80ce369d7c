"""Latency of pages, API, writes and audit verification, over real HTTP:
``python -m bench.latency --cases 1000000`` (PostgreSQL) or ``--cases 100000`` (SQLite).

The app (``wsgi:app``) and the bare baseline (``bench.baseline:app``) are served the same
way — gunicorn with one sync worker each, production settings, 127.0.0.1 — and every read
is timed against both in the same run, request by request in alternation, so that both
see the same machine. Printed: median and p95 of N runs, the ratio of the medians, and the
number of SQL statements the app runs for the page (counted once, in process).

Writes (submit, accept) go through the JSON API on cases prepared beforehand; audit
verification runs ``services.audit.verify`` in process and reports events per second.
Writes change the database: each run submits N new cases and accepts N waiting ones, so
a reused database's queues keep about their size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.common import (
    BENCH_DIR,
    UA,
    Server,
    Timing,
    bearer_headers,
    label,
    machine,
    make_app,
    running,
    session_headers,
)

DISTRICT = "330402"  # the largest district: the longest queue
DEEP_PAGE = 20
SLOW = 5.0  # seconds: a page slower than this is timed once
TIMEOUT = 120.0  # seconds: a page that takes longer is reported as not answering
#: The throughput test picks its cases from the same pools; keep clear of them here.
TARGETS = {"queue_median_ms": 50.0, "queue_ratio": 3.0, "scale_ratio": 2.0}


@dataclass
class Read:
    name: str
    app_path: str
    app_headers: dict[str, str]
    base_path: str | None
    statements: int | None = None
    app: Timing | None = None
    base: Timing | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.app is None or self.base is None:
            return None
        return self.app.median_ms / self.base.median_ms


@dataclass
class Write:
    name: str
    requests: list[tuple[str, dict[str, str], dict[str, Any]]]
    timing: Timing | None = None


@dataclass
class Plan:
    reads: list[Read] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


# --- preparation (in process) ----------------------------------------------------------


def _user(username: str) -> Any:
    import sqlalchemy as sa

    from zhongchuang.extensions import db
    from zhongchuang.models import User

    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def _queue_cursor(user: Any, state: str, pages: int) -> tuple[str | None, int, Any]:
    """The cursor of page ``pages`` of the user's queue (or of its last page)."""
    from zhongchuang.review import queues

    filters = queues.QueueFilters(state=state, district=DISTRICT)
    page = queues.queue_page(user, filters)
    cursor, n = None, 1
    while n < pages and page.next_cursor:
        cursor = page.next_cursor
        page = queues.queue_page(user, filters, cursor=cursor)
        n += 1
    after = queues.decode_cursor(cursor, queues.DEFAULT_SORT) if cursor else None
    return cursor, n, after


def _api_cursor(client: Any, headers: dict[str, str], query: str, pages: int) -> tuple[str, int]:
    url = f"/api/v1/applications?{query}"
    cursor, n = None, 1
    body = client.get(url, headers=headers).get_json()
    while n < pages and body.get("next_cursor"):
        cursor = body["next_cursor"]
        body = client.get(f"{url}&cursor={cursor}", headers=headers).get_json()
        n += 1
    return cursor or "", n


def _count_statements(app: Any, read: Read) -> int:
    """SQL statements the app runs for one request of the page (in process)."""
    from sqlalchemy import event

    from zhongchuang.extensions import db

    count = 0

    def _on(*_a: Any, **_k: Any) -> None:
        nonlocal count
        count += 1

    client = app.test_client(use_cookies=False)  # the session cookie is in the headers
    client.get(read.app_path, headers=read.app_headers)  # warm caches as the server has
    db.session.remove()  # a request starts with an empty session, as on the server
    event.listen(db.engine, "before_cursor_execute", _on)
    try:
        resp = client.get(read.app_path, headers=read.app_headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", _on)
    if resp.status_code != 200:
        raise RuntimeError(f"{read.name}: {read.app_path} answered {resp.status_code}")
    return count


def count_statements(url: str, plan: Plan) -> None:
    """Statements per page, in process, for the pages that were not too slow."""
    app = make_app(url)
    with app.app_context():
        from zhongchuang.extensions import db

        for read in plan.reads:
            if read.app is not None and not read.note:
                read.statements = _count_statements(app, read)
        db.session.remove()
        db.engine.dispose()


def prepare(url: str, runs: int, warmup: int) -> Plan:
    import sqlalchemy as sa

    from zhongchuang.extensions import db
    from zhongchuang.models import Application

    plan = Plan()
    app = make_app(url)
    n_writes = runs + warmup
    with app.app_context():
        county = _user(f"county_{DISTRICT}")
        city = _user("bench_city")
        county_html = session_headers(app, county)
        city_html = session_headers(app, city)
        county_api = bearer_headers(county)
        q = f"state=submitted&district={DISTRICT}"

        cursor, deep, after = _queue_cursor(county, "submitted", DEEP_PAGE)
        total = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Application)
            .where(Application.district == DISTRICT, Application.state == "submitted")
        ).scalar_one()
        plan.info.update(district=DISTRICT, queue_rows=total, deep_page=deep)
        plan.reads.append(Read("queue page 1", f"/review?{q}", county_html, f"/queue?{q}"))
        if cursor:
            plan.reads.append(
                Read(
                    f"queue page {deep}",
                    f"/review?{q}&cursor={cursor}",
                    county_html,
                    f"/queue?{q}&after_due={after[0].isoformat()}&after_id={after[1]}",
                )
            )
        client = app.test_client(use_cookies=False)
        api_cursor, api_deep = _api_cursor(client, county_api, f"{q}&limit=50", DEEP_PAGE)
        plan.reads.append(
            Read("API list page 1", f"/api/v1/applications?{q}&limit=50", county_api, f"/list?{q}")
        )
        if api_cursor:
            from zhongchuang.api.schemas import decode_cursor

            before = decode_cursor(api_cursor)[0]
            plan.reads.append(
                Read(
                    f"API list page {api_deep}",
                    f"/api/v1/applications?{q}&limit=50&cursor={api_cursor}",
                    county_api,
                    f"/list?{q}&before={before}",
                )
            )
        waiting = db.session.execute(
            sa.select(Application.id)
            .where(Application.district == DISTRICT, Application.state == "submitted")
            .order_by(Application.due_on, Application.id)
            .limit(1)
        ).scalar_one()
        finished = db.session.execute(
            sa.select(Application.id)
            .where(Application.district == DISTRICT, Application.state == "disbursed")
            .order_by(Application.id.desc())
            .limit(1)
        ).scalar_one()
        plan.reads += [
            Read(
                "case page (waiting)", f"/applications/{waiting}", county_html, f"/case/{waiting}"
            ),
            Read(
                "case page (disbursed)",
                f"/applications/{finished}",
                county_html,
                f"/case/{finished}",
            ),
            Read(
                "API case detail",
                f"/api/v1/applications/{waiting}",
                county_api,
                f"/case/{waiting}",
            ),
            Read("statistics page", "/review/stats", city_html, "/stats"),
        ]
        # Writes: accept the last waiting cases of the queue; submit fresh drafts.
        to_accept = db.session.execute(
            sa.select(Application.id, Application.version)
            .where(Application.district == DISTRICT, Application.state == "submitted")
            .order_by(Application.due_on.desc(), Application.id.desc())
            .limit(n_writes)
        ).all()
        plan.writes.append(
            Write(
                "action: accept (API)",
                [
                    (f"/api/v1/applications/{cid}/actions/accept", county_api, {"version": v})
                    for cid, v in to_accept
                ],
            )
        )
        plan.writes.append(Write("submit (API)", _drafts(n_writes)))
        db.session.remove()
        db.engine.dispose()
    return plan


def _drafts(n: int) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """``n`` drafts of ``employment_driving_grant`` by different graduates of the district,
    made through the service, each with its applicant's token."""
    import sqlalchemy as sa

    from zhongchuang.cases import engine as cases
    from zhongchuang.extensions import db
    from zhongchuang.models import Application, User
    from zhongchuang.policy.identity import make_credit_code

    stamp = int(time.time()) % 100_000
    users = (
        db.session.execute(
            sa.select(User)
            .where(
                User.person_id.is_not(None),
                ~sa.exists().where(
                    Application.applicant_user_id == User.id, Application.state == "draft"
                ),
            )
            .order_by(User.id.desc())
            .limit(n)
        )
        .scalars()
        .all()
    )
    out = []
    for k, user in enumerate(users):
        body = f"MX{(stamp * 1000 + k) % 10**7:07d}"
        case = cases.create_draft(
            user,
            "employment_driving_grant",
            {
                "business_credit_code": make_credit_code(DISTRICT, body),
                "year": 2020,
                "employees_insured": 5,
            },
        )
        out.append(
            (
                f"/api/v1/applications/{case.id}/actions/submit",
                bearer_headers(user),
                {"version": case.version},
            )
        )
    return out


# --- measurement (over HTTP) -----------------------------------------------------------


def _get(session: Any, url: str, headers: dict[str, str]) -> float:
    t = time.perf_counter()
    resp = session.get(url, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    elapsed = time.perf_counter() - t
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url} answered {resp.status_code}: {resp.text[:300]}")
    return elapsed


def time_reads(plan: Plan, app: Server, base: Server, runs: int, warmup: int) -> None:
    import requests

    session = requests.Session()
    for read in plan.reads:
        # A page slower than SLOW seconds is timed once (and one that fails is reported).
        try:
            probe = _get(session, app.base + read.app_path, read.app_headers)
        except (RuntimeError, requests.RequestException) as exc:
            read.note = (
                f"no answer within {TIMEOUT:.0f} s"
                if isinstance(exc, requests.Timeout)
                else f"failed: {str(exc)[:120]}"
            )
            print(f"  {read.name}: {read.note}", flush=True)
            app.stop()  # the worker is still busy with it: start afresh
            app.start()
            continue
        n_runs, n_warm = (1, 0) if probe > SLOW else (runs, warmup)
        if probe > SLOW:
            read.note = f"timed once (first request {probe:.1f} s)"
        a_samples: list[float] = []
        b_samples: list[float] = []
        for i in range(n_warm + n_runs):
            a = _get(session, app.base + read.app_path, read.app_headers)
            b = (
                _get(session, base.base + read.base_path, {"User-Agent": UA})
                if read.base_path
                else 0
            )
            if i >= n_warm:
                a_samples.append(a)
                b_samples.append(b)
        read.app = Timing(read.name, a_samples)
        read.base = Timing(read.name, b_samples) if read.base_path else None
        print(f"  {read.name}: {read.app.median_ms:.1f} ms", flush=True)


def time_writes(plan: Plan, app: Server, warmup: int) -> None:
    import requests

    session = requests.Session()
    for write in plan.writes:
        samples = []
        for i, (path, headers, body) in enumerate(write.requests):
            t = time.perf_counter()
            resp = session.post(app.base + path, json=body, headers=headers, timeout=120)
            elapsed = time.perf_counter() - t
            if resp.status_code != 200:
                raise RuntimeError(f"POST {path} answered {resp.status_code}: {resp.text[:500]}")
            if i >= warmup:
                samples.append(elapsed)
        write.timing = Timing(write.name, samples)


def time_verify(url: str, runs: int) -> dict[str, Any]:
    app = make_app(url)
    with app.app_context():
        from zhongchuang.audit.chain import verify
        from zhongchuang.extensions import db

        samples = []
        result = None
        for _ in range(runs):
            t = time.perf_counter()
            result = verify()
            samples.append(time.perf_counter() - t)
            db.session.remove()
        db.engine.dispose()
    assert result is not None
    if not result.ok:
        raise RuntimeError(f"audit chain broken: {result.message}")
    timing = Timing("audit verify", samples)
    return {
        "events": result.events,
        "median_s": round(timing.median_ms / 1000, 2),
        "events_per_s": round(result.events / (timing.median_ms / 1000)),
        "runs": runs,
    }


def time_stats_fresh(url: str, runs: int = 3) -> dict[str, Any]:
    """The statistics figures computed afresh (what a page view costs when its snapshot is
    older than ZC_STATS_TTL, and what ``flask stats refresh`` costs per scope): in process,
    the whole city and the largest district, median of ``runs``."""
    app = make_app(url)
    out: dict[str, Any] = {"runs": runs}
    with app.app_context():
        from zhongchuang.extensions import db
        from zhongchuang.stats import queries as stats

        for key, scope in (
            ("city", stats.city_scope()),
            ("district", stats.district_scope(DISTRICT)),
        ):
            samples = []
            for _ in range(runs):
                t = time.perf_counter()
                stats.summary_for(scope)
                samples.append(time.perf_counter() - t)
                db.session.remove()
            out[f"{key}_s"] = round(Timing(key, samples).median_ms / 1000, 2)
        t = time.perf_counter()
        scopes = stats.refresh()
        out["refresh_s"] = round(time.perf_counter() - t, 1)
        out["refresh_scopes"] = len(scopes)
        db.session.remove()
        db.engine.dispose()
    return out


# --- report ----------------------------------------------------------------------------


def report(
    plan: Plan, verify: dict[str, Any] | None, fresh: dict[str, Any] | None = None
) -> list[str]:
    lines = [
        f"{'':26} {'app median':>10} {'p95':>8} {'baseline':>9} {'p95':>8} {'ratio':>6} {'SQL':>4}",
    ]
    for r in plan.reads:
        if r.app is None:
            lines.append(f"{r.name:26} {r.note}")
            continue
        base = f"{r.base.median_ms:>9.1f} {r.base.p95_ms:>8.1f}" if r.base else f"{'':>9} {'':>8}"
        ratio = f"{r.ratio:>5.1f}×" if r.ratio else ""
        lines.append(
            f"{r.name:26} {r.app.median_ms:>8.1f}ms {r.app.p95_ms:>8.1f} {base} {ratio:>6} "
            f"{r.statements or '':>4}  {r.note}"
        )
    for w in plan.writes:
        assert w.timing is not None
        lines.append(f"{w.name:26} {w.timing.median_ms:>8.1f}ms {w.timing.p95_ms:>8.1f}")
    if fresh:
        lines.append(
            f"{'statistics computed afresh':26} city {fresh['city_s']} s, district "
            f"{fresh['district_s']} s (in process, median of {fresh['runs']}); "
            f"flask stats refresh: {fresh['refresh_scopes']} scopes in {fresh['refresh_s']} s"
        )
    if verify:
        lines.append(
            f"{'audit verify':26} {verify['events']:,} events in {verify['median_s']} s "
            f"(median of {verify['runs']}): {verify['events_per_s']:,} events/s"
        )
    return lines


def run(
    n: int,
    backend: str,
    runs: int = 50,
    warmup: int = 5,
    verify_runs: int | None = None,
    reuse: bool = True,
) -> dict[str, Any]:
    from bench.generate import generate

    marker = generate(n, backend, reuse=reuse)
    url = marker["url"]
    load_before = os.getloadavg()
    print(f"\n== {n:,} cases on {backend}: preparing (cursors, tokens, drafts) ==")
    plan = prepare(url, runs, warmup)
    print(
        f"queue: district {plan.info['district']}, {plan.info['queue_rows']:,} cases submitted; "
        f"deep page = page {plan.info['deep_page']}"
    )
    log = BENCH_DIR / f"server-{backend}-{label(n)}.log"
    # A slow page is measured rather than cut off at the production 60 s worker timeout.
    app_server = Server("wsgi:app", url, workers=1, log=log, GUNICORN_TIMEOUT="900")
    base_server = Server("bench.baseline:app", url, workers=1, log=log)
    with running(app_server, base_server):
        time_reads(plan, app_server, base_server, runs, warmup)
        time_writes(plan, app_server, warmup)
    count_statements(url, plan)
    if verify_runs is None:
        verify_runs = 1 if n >= 1_000_000 else 3
    verify = time_verify(url, verify_runs) if verify_runs else None
    fresh = time_stats_fresh(url)
    load_after = os.getloadavg()
    lines = report(plan, verify, fresh)
    print(
        f"\n{n:,} cases, {backend}, {runs} runs after {warmup} warm-up, HTTP to gunicorn (1 worker)"
    )
    print("\n".join(lines))
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} ({machine()})")
    result = {
        "cases": n,
        "backend": backend,
        "runs": runs,
        "machine": machine(),
        "load_before": round(load_before[0], 1),
        "load_after": round(load_after[0], 1),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "info": plan.info,
        "reads": [
            {
                "name": r.name,
                "path": re.sub(r"cursor=[^&]+", "cursor=…", r.app_path),
                "app_median_ms": round(r.app.median_ms, 2),
                "app_p95_ms": round(r.app.p95_ms, 2),
                "base_median_ms": round(r.base.median_ms, 2) if r.base else None,
                "base_p95_ms": round(r.base.p95_ms, 2) if r.base else None,
                "ratio": round(r.ratio, 2) if r.ratio else None,
                "statements": r.statements,
                "note": r.note,
            }
            for r in plan.reads
            if r.app
        ],
        "failed": {r.name: r.note for r in plan.reads if r.app is None},
        "writes": [
            {
                "name": w.name,
                "median_ms": round(w.timing.median_ms, 2),
                "p95_ms": round(w.timing.p95_ms, 2),
            }
            for w in plan.writes
            if w.timing
        ],
        "verify": verify,
        "stats_fresh": fresh,
    }
    out = BENCH_DIR / f"results-latency-{backend}-{label(n)}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"saved {out.relative_to(BENCH_DIR.parent.parent)}")
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--backend", choices=("postgresql", "sqlite"), default=None)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--verify-runs", type=int, default=None, help="0 to skip audit verification")
    p.add_argument("--regenerate", action="store_true", help="generate the database again")
    args = p.parse_args(argv)
    backend = args.backend or ("postgresql" if args.cases >= 1_000_000 else "sqlite")
    run(args.cases, backend, args.runs, args.warmup, args.verify_runs, reuse=not args.regenerate)


if __name__ == "__main__":
    main()
