"""Browser journeys: the app served by ``flask run`` on a free local port, driven by Debian's
headless Chromium through Playwright for Python.

Each test module gets its own server over its own SQLite file, copied from one seeded
template (migrated, catalogue loaded, demo data) built once per run. The date is
fixed at 2021-03-15 (the policy is in force); a journey that must move time runs
``flask notices close-due`` with a later ZC_TODAY against the same database file, as cron
would. Nothing in the app exists for the tests' sake.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import CHROMIUM, ROOT, SCREENSHOTS, Browse, Site, flask_cli

CATALOGUE = "catalogue/jiaxing-2015-90.yaml"
E2E_TODAY = "2021-03-15"
#: Debian's Chromium, never a downloaded one; flags for a container without a GPU or sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The app under test: the real factory and configuration (development, as ``make run``),
#: except the login rate limit, which a whole suite logging in from 127.0.0.1 would hit.
APP = 'zhongchuang:create_app("development", {"LOGIN_RATE_LIMIT": "1000 per minute"})'


def pytest_configure(config: pytest.Config) -> None:
    # Known also when pytest-xdist is not loaded (`make screenshot` runs with -p no:xdist).
    config.addinivalue_line("markers", "xdist_group(name): run with the group's worker")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: run `make system-test-deps`")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


def _base_env(db: Path, uploads: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "ZC_ENV", "FLASK_APP", "FLASK_DEBUG")
    }
    env.update(
        ZC_ENV="development",
        DATABASE_URL=f"sqlite:///{db}",
        ZC_TODAY=E2E_TODAY,
        UPLOAD_DIR=str(uploads),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the catalogue and the demo data, and its uploads: built
    once per run and shared by the xdist workers (each server works on its own copy)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    tmp = base / "e2e-template"
    with (base / "e2e-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (tmp / "ready").exists():
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            env = _base_env(tmp / "app.sqlite3", tmp / "uploads")
            flask_cli(env, "db", "upgrade")
            flask_cli(env, "policy", "load", CATALOGUE)
            flask_cli(env, "demo", "seed")
            (tmp / "ready").touch()
    return tmp


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def site(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app served on a free port over a fresh copy of the seeded database."""
    work = tmp_path_factory.mktemp("e2e-site")
    shutil.copy(seeded_template / "app.sqlite3", work / "app.sqlite3")
    shutil.copytree(seeded_template / "uploads", work / "uploads")
    env = _base_env(work / "app.sqlite3", work / "uploads")
    port = _free_port()
    log = work / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", APP, "run", "--host", "127.0.0.1",
             "--port", str(port), "--no-reload", "--no-debugger"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, log)
        yield Site(url=url, env=env, workdir=work)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browse(browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Browse]:
    """Open pages as one user or another; every page visited is checked (see helpers)."""
    shots = SCREENSHOTS / request.node.name.replace("/", "_")
    shutil.rmtree(shots, ignore_errors=True)
    b = Browse(browser, site.url, shots)
    try:
        yield b
        if request.node.stash.get(FAILED, False):
            b.shot_all("failed")
        b.assert_clean()
    finally:
        b.close()
