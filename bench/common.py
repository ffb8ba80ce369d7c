"""What the benchmarks share: where the databases are, the throwaway keys, the servers
(the app and the baseline, started the same way), and the statistics printed."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"
PYTHON = sys.executable
CATALOGUE = ROOT / "catalogue" / "jiaxing-2015-90.yaml"

#: The benchmarks run on a day when 嘉政办发〔2015〕90号 is in force (as the demo does).
BENCH_TODAY = "2021-03-15"
#: Every generated account's password (staff accounts made through the services).
PASSWORD = "Bench-2021-zc!"
#: Throwaway production settings: the generator encrypts identity numbers with these keys
#: and the servers read them back with the same ones.
SECRET_KEY = "bench-secret-key-not-for-production"
ID_KEYS = base64.urlsafe_b64encode(b"zhongchuang-bench-identity-key!!").decode()
ID_HASH_KEY = "bench-hash-key-not-for-production"

DISTRICTS = ("330402", "330411", "330421", "330424", "330481", "330482", "330483")
PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def label(n: int) -> str:
    """1000000 → ``1m``, 100000 → ``100k``, 10000 → ``10k``."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def database_url(backend: str, n: int) -> str:
    if backend == "postgresql":
        return f"{PG_SERVER}/zc_bench_{label(n)}"
    return f"sqlite:///{BENCH_DIR / f'zc_bench_{label(n)}.sqlite3'}"


def marker_path(backend: str, n: int) -> Path:
    """Written when a generated database is complete (what ``--reuse`` looks for)."""
    return BENCH_DIR / f"zc_bench_{label(n)}.{backend}.json"


def read_marker(backend: str, n: int) -> dict[str, Any] | None:
    path = marker_path(backend, n)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def server_env(url: str, **extra: str) -> dict[str, str]:
    """Production settings for the servers (throwaway keys; no Redis: limits in memory,
    jobs inline, as production does without REDIS_URL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ZC_ENV")}
    env.update(
        ZC_ENV="production",
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        ZC_ID_KEYS=ID_KEYS,
        ZC_ID_HASH_KEY=ID_HASH_KEY,
        ZC_TODAY=BENCH_TODAY,
        UPLOAD_DIR=str(BENCH_DIR / "uploads"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def make_app(url: str):  # noqa: ANN201
    """The app in this process (generator, set-up, in-process benchmarks), configured as
    the servers are."""
    from zhongchuang import create_app

    (BENCH_DIR / "uploads").mkdir(parents=True, exist_ok=True)
    overrides: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET_KEY,
        "ZC_ID_KEYS": ID_KEYS,
        "ZC_ID_HASH_KEY": ID_HASH_KEY,
        "ZC_TODAY": BENCH_TODAY,
        "UPLOAD_DIR": str(BENCH_DIR / "uploads"),
        "RATELIMIT_ENABLED": False,
        "JOBS_INLINE": True,
        "REDIS_URL": None,
    }
    if url.startswith("sqlite"):
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 60}}
    return create_app("development", overrides=overrides)


# --- statistics ------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    samples: list[float]  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.samples, 95) * 1000


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def measure(fn: Callable[[int], Any], runs: int, warmup: int = 3) -> list[float]:
    """Call ``fn(i)`` ``warmup`` times, then ``runs`` times timed; seconds per call."""
    for i in range(warmup):
        fn(i)
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(warmup + i)
        out.append(time.perf_counter() - t)
    return out


# --- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``gunicorn -c gunicorn.conf.py <target>`` on 127.0.0.1, stopped by its own pid."""

    def __init__(
        self, target: str, url: str, workers: int = 1, log: Path | None = None, **env: str
    ) -> None:
        self.target = target
        self.port = free_port()
        self.workers = workers
        self.env = server_env(
            url, HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY=str(workers), **env
        )
        self.log = log or BENCH_DIR / f"server-{target.split(':')[0].replace('.', '-')}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        import requests

        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), self.target],
                cwd=ROOT,
                env=self.env,
                stdout=logf,
                stderr=logf,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} exited at start; see {self.log}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.target} did not answer within {timeout}s; see {self.log}")

    def stop(self) -> None:
        """Quick shutdown of the master and its workers (SIGQUIT), then SIGKILL to the
        process group it leads (ours: started in a session of its own) if any is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


@contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    started: list[Server] = []
    try:
        for s in servers:
            started.append(s.start())
        yield servers
    finally:
        for s in started:
            s.stop()


#: The user agent of every benchmark request (part of the login session's identifier).
UA = "zc-bench"


def session_headers(app: Any, user: Any) -> dict[str, str]:
    """A signed Flask session cookie for ``user``, as the login page would make it (with
    Flask-Login's identifier of our address and user agent), so that the HTML pages can
    be timed without going through the rate-limited login form."""
    from flask_login.utils import _create_identifier

    with app.test_request_context(
        "/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": UA}
    ):
        ident = _create_identifier()
    serializer = app.session_interface.get_signing_serializer(app)
    # A browser's session also holds the CSRF secret from its first page with a form (the
    # login page): without it every timed page would mint one and re-sign the cookie.
    csrf = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - as Flask-WTF makes it
    value = serializer.dumps(
        {"_user_id": user.get_id(), "_fresh": True, "_id": ident, "csrf_token": csrf}
    )
    return {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}", "User-Agent": UA}


def bearer_headers(user: Any) -> dict[str, str]:
    """A fresh API token for ``user`` (through the service, as POST /api/v1/tokens does)."""
    from zhongchuang.accounts.operations import issue_token

    token, _expires = issue_token(user)
    return {"Authorization": f"Bearer {token}", "User-Agent": UA}


def machine() -> str:
    import platform

    cpus = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = 0
    return (
        f"{cpus} cores, {mem:.0f} GB RAM, {platform.platform()}, Python {platform.python_version()}"
    )
