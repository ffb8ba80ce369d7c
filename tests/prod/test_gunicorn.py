"""Production mode end to end: gunicorn with two workers and an RQ worker, against a fresh
PostgreSQL database and the machine's Redis, driven over HTTP.

Shows that a login made on one worker holds on the other (signed-cookie sessions), that
rate limits are counted in Redis across workers, that a job handed to the queue is run by
the RQ worker (scheduled notice closing, then the e-mail it causes), and that the logs are
JSON lines carrying the request id. Skipped, with the reason, only when PostgreSQL or
Redis does not answer.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from config import TestConfig
from tests.conftest import (
    PASSWORD,
    TEST_TODAY,
    Factory,
    build_app,
    create_postgres_database,
    csrf_from,
    drop_postgres_database,
)
from tests.helpers import attach_for_submit, production_signing_dir
from zhongchuang.cases import engine as cases
from zhongchuang.cases.engine import ActionInput
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import Application, OutboxMail
from zhongchuang.notices import operations as notices
from zhongchuang.policy.identity import make_credit_code

pytestmark = pytest.mark.pg

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: The notice published on TEST_TODAY (2021-03-15) runs to 2021-03-19; the servers live later.
SERVER_TODAY = "2021-03-22"
BOOT_SECONDS = 60
JOB_SECONDS = 60


def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({exc.__class__.__name__}: {exc})")
    return client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def worker(self) -> int:
        return int(self.headers["X-Worker"])


@dataclass
class Browser:
    """Just enough of a browser: cookies (Secure ones too, this is plain HTTP), no redirects."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            reply = Reply(resp.status, resp.headers, resp.read().decode("utf-8", "replace"))
        finally:
            conn.close()
        return reply

    def remember(self, reply: Reply) -> None:
        for raw in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value

    def get(self, path: str, **kw) -> Reply:
        reply = self.request("GET", path, **kw)
        self.remember(reply)
        return reply

    def post(self, path: str, form: dict, **kw) -> Reply:
        reply = self.request("POST", path, form=form, **kw)
        self.remember(reply)
        return reply


def _spread(send: Callable[[], Reply], rounds: int = 10, per_round: int = 12) -> list[Reply]:
    """Send requests in parallel batches until two workers have answered (sync workers
    each take one request at a time, so concurrent requests reach both)."""
    replies: list[Reply] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(rounds):
            replies += list(pool.map(lambda _i: send(), range(per_round)))
            if len({r.worker for r in replies}) >= 2:
                break
    return replies


@dataclass
class Stack:
    port: int
    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, f"flask {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc

    def start(self, name: str, argv: list[str], **extra_env: str) -> None:
        out = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it can be stopped whole
        )
        out.close()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def alive(self, name: str) -> None:
        proc = self.procs[name]
        assert proc.poll() is None, f"{name} exited with {proc.returncode}:\n{self.log(name)}"

    def stop(self) -> dict[str, int]:
        """SIGTERM (graceful: gunicorn finishes requests, RQ finishes its job), then wait."""
        codes = {}
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = proc.wait(timeout=10)
        return codes


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    url, admin_url = create_postgres_database()  # skips when PostgreSQL does not answer
    try:
        yield url
    finally:
        drop_postgres_database(url, admin_url)


@pytest.fixture
def redis_tag() -> Iterator[tuple[object, str]]:
    client = _redis_or_skip()
    tag = f"zc-test-{uuid.uuid4().hex[:10]}"
    try:
        yield client, tag
    finally:
        keys = list(client.scan_iter(match=f"*{tag}*", count=500))
        if keys:
            client.delete(*keys)
        client.srem("rq:queues", f"rq:queue:{tag}")
        client.close()


def _seed(url: str, tmp: Path) -> dict:
    """A reviewer who logs in, and a case in public notice whose period ends 2021-03-19."""
    app = build_app(url, tmp)
    app.extensions["zc_clock"].set_today(TEST_TODAY)
    factory = Factory()
    with app.app_context():
        admin = factory.staff("admin", username="admin")
        batches.create_batch(
            admin,
            "employment_driving_grant",
            2021,
            date(2021, 3, 1),
            date(2021, 4, 30),
            Decimal("10000.00"),
        )
        applicant = factory.person(name="陈小红")
        county = factory.staff("county_reviewer", district="330411", username="xiuzhou")
        city = factory.staff("city_reviewer", username="city")
        data = {
            "business_credit_code": make_credit_code("330411", "MA1000001"),
            "year": 2020,
            "employees_insured": 5,
        }
        case = cases.create_draft(applicant, "employment_driving_grant", data)
        attach_for_submit(case, applicant)
        cases.act(applicant, case.id, "submit")
        cases.act(county, case.id, "accept")
        cases.act(county, case.id, "county_approve")
        cases.act(city, case.id, "city_approve", ActionInput(amount=Decimal("4000.00")))
        notices.publish_notice(city, [case.id], 5)
        last_mail = db.session.execute(sa.select(sa.func.max(OutboxMail.id))).scalar_one()
        seeded = {"case_id": case.id, "last_mail": last_mail or 0}
        db.session.remove()
    return {"app": app, **seeded}


def _wait_for(what: str, check: Callable[[], bool], seconds: float, stack: Stack) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(
        f"timed out waiting for {what}\n--- gunicorn\n{stack.log('gunicorn')[-3000:]}"
        f"\n--- worker\n{stack.log('worker')[-3000:]}"
    )


def test_production_stack_serves_across_workers_and_runs_jobs(database, redis_tag, tmp_path):
    redis, tag = redis_tag
    port = _free_port()
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ZC_", "FLASK_", "MAIL_", "GUNICORN_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "UPLOAD_DIR", "WEB_CONCURRENCY")
    }
    env = {
        **base_env,
        "ZC_ENV": "production",
        "DATABASE_URL": database.replace("postgresql+psycopg://", "postgresql://"),
        "REDIS_URL": REDIS_URL,
        "JOBS_QUEUE": tag,
        "RATELIMIT_KEY_PREFIX": tag,
        "SECRET_KEY": uuid.uuid4().hex,
        "ZC_ID_KEYS": TestConfig.ZC_ID_KEYS,  # the seeded data was written under these
        "ZC_ID_HASH_KEY": TestConfig.ZC_ID_HASH_KEY,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "ZC_SIGNING_DIR": production_signing_dir(tmp_path),
        "ZC_TODAY": SERVER_TODAY,
        "ZC_EXPOSE_WORKER": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(port=port, env=env, logs=tmp_path)
    stack.flask("db", "upgrade")
    app = None
    try:
        stack.start("worker", [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"])
        stack.start("gunicorn", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"])
        # While they boot: the catalogue, then a case in public notice.
        loaded = stack.flask("policy", "load", "catalogue/jiaxing-2015-90.yaml")
        assert "已载入" in loaded.stdout
        seeded = _seed(database, tmp_path)
        app = seeded["app"]
        anonymous = Browser(port)

        def ready() -> bool:
            stack.alive("gunicorn")
            try:
                return anonymous.request("GET", "/readyz").status == 200
            except OSError:
                return False

        _wait_for("gunicorn to answer /readyz", ready, BOOT_SECONDS, stack)
        body = json.loads(anonymous.request("GET", "/readyz").body)
        assert body["checks"] == {"database": {"ok": True}, "redis": {"ok": True}}

        # 1. Two workers answer.
        probes = _spread(lambda: anonymous.request("GET", "/healthz"))
        assert len({r.worker for r in probes}) >= 2, "only one gunicorn worker ever answered"

        # 2. A login made on one worker holds on every worker.
        browser = Browser(port)
        page = browser.get("/login", headers={"X-Request-ID": f"{tag}-login-page"})
        assert page.status == 200
        login = browser.post(
            "/login",
            {"csrf_token": csrf_from(page.body), "username": "xiuzhou", "password": PASSWORD},
        )
        assert login.status == 302, login.body[:500]
        assert login.headers["Location"].endswith("/")
        signed_in = _spread(lambda: browser.request("GET", "/logout"))
        assert {r.status for r in signed_in} == {200}, "a worker did not recognise the login"
        assert all("退出登录" in r.body for r in signed_in)
        assert {r.worker for r in signed_in} - {login.worker}, "never served by another worker"
        assert anonymous.request("GET", "/logout").status == 302  # without the cookie: no

        # 3. Rate limits are counted in Redis, shared by the workers: the login limit is
        # 10 POSTs a minute from one address, and one was the successful login just now.
        stranger = Browser(port)
        token = csrf_from(stranger.get("/login").body)
        statuses = [
            stranger.post(
                "/login", {"csrf_token": token, "username": "nobody", "password": "x"}
            ).status
            for _ in range(10)
        ]
        assert 429 not in statuses[:9], statuses
        assert statuses[9] == 429, statuses
        assert any(tag in key.decode() for key in redis.scan_iter(match=f"*{tag}*"))

        # 4. A job handed to the queue is run by the RQ worker: notice closing, then its mail.
        stack.alive("worker")
        out = stack.flask("notices", "enqueue-close-due").stdout
        assert out.startswith("queued close-due-notices: job "), out

        def concluded_and_mailed() -> bool:
            stack.alive("worker")
            with app.app_context():
                try:
                    state = db.session.get(Application, seeded["case_id"]).state
                    mails = (
                        db.session.execute(
                            sa.select(OutboxMail.status).where(OutboxMail.id > seeded["last_mail"])
                        )
                        .scalars()
                        .all()
                    )
                finally:
                    db.session.remove()
            return state == "approved" and bool(mails) and set(mails) == {"kept"}

        _wait_for(
            "the worker to conclude the notice and send its mail",
            concluded_and_mailed,
            JOB_SECONDS,
            stack,
        )
        worker_log = stack.log("worker")
        assert "close_due_notices_job" in worker_log
        assert "send_pending_job" in worker_log
        assert '"logger": "rq.worker"' in worker_log  # the worker logs JSON too
    finally:
        codes = stack.stop()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    # 5. Both stopped gracefully; gunicorn's and the app's logs are JSON with the request id.
    assert codes["gunicorn"] == 0, stack.log("gunicorn")[-3000:]
    assert codes["worker"] == 0, stack.log("worker")[-3000:]
    lines = [json.loads(x) for x in stack.log("gunicorn").splitlines() if x.startswith("{")]
    assert any(x["logger"] == "gunicorn.error" and "Booting worker" in x["message"] for x in lines)
    seen = [x for x in lines if x.get("request_id") == f"{tag}-login-page"]
    assert seen, "the request id sent in X-Request-ID is not in the logs"
    assert seen[0]["path"] == "/login"
    assert seen[0]["status"] == 200
    assert seen[0]["pid"] == page.worker
