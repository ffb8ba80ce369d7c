"""Background jobs: RQ on Redis in production, in-process in the embedded default.

``enqueue`` hands a job to the worker (``flask jobs worker``) when ``REDIS_URL`` is set and
``JOBS_INLINE`` is off; otherwise — and when Redis does not answer — the job runs now, in
this process, so that nothing is lost. Jobs are plain functions named by dotted path, each
in the module of its area (this module imports none of them); they run inside an app
context and own their commits, as services do. In the worker every job enters through
``zhongchuang.ops.job_runner.run_in_app``, outside the services, which has an app context
ready (and builds the app when the worker was started without one).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry

from zhongchuang.extensions import db

log = logging.getLogger("zhongchuang.jobs")

#: Jobs that the command line may name (``flask jobs run NAME``, ``flask jobs enqueue NAME``).
NAMED_JOBS: dict[str, str] = {
    "close-due-notices": "zhongchuang.notices.operations.close_due_notices_job",
    "send-mail": "zhongchuang.messages.notify.send_pending_job",
    "refresh-stats": "zhongchuang.stats.queries.refresh_stats_job",
    "remind-due": "zhongchuang.cases.reminders.remind_due_job",
}
#: Jobs that moved: one queued under its old name (before a deploy) still finds its function.
MOVED_JOBS: dict[str, str] = {
    "zhongchuang.ops.jobs.close_due_notices_job": NAMED_JOBS["close-due-notices"],
    "zhongchuang.ops.jobs.refresh_stats_job": NAMED_JOBS["refresh-stats"],
}
#: What the RQ worker calls for every job: the job's dotted path and arguments are its own.
RUNNER = "zhongchuang.ops.job_runner.run_in_app"
#: A failed job is tried again after these delays (seconds); every job here is idempotent.
RETRY_INTERVALS = [30, 120, 600]


def enqueue(dotted: str, *args: Any) -> str | None:
    """Run ``dotted`` (``module.function``) in the worker; return the RQ job id, or None
    when the job ran here and now (inline mode, or the queue is unreachable)."""
    if current_app.config.get("JOBS_INLINE", True) or not current_app.config.get("REDIS_URL"):
        run_job(dotted, *args)
        return None

    try:
        job = queue().enqueue(
            RUNNER,
            dotted,
            *args,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            description=dotted,
        )
    except RedisError as exc:
        log.error(
            "job queue unreachable (%s); running %s in-process", exc.__class__.__name__, dotted
        )
        run_job(dotted, *args)
        return None
    return job.id


def redis_connection():  # noqa: ANN201 - redis.Redis, imported lazily

    return Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=3, health_check_interval=30
    )


def queue():  # noqa: ANN201 - rq.Queue, imported lazily

    return Queue(current_app.config.get("JOBS_QUEUE", "zhongchuang"), connection=redis_connection())


def work(*, burst: bool = False) -> bool:
    """Run an RQ worker on this app's queue until stopped (SIGTERM finishes the job at hand).

    Each job runs in a forked work horse that inherits this app context; see
    ``zhongchuang.ops.job_runner.run_in_app``.
    The worker also runs RQ's scheduler (one at a time across workers, by a lock in Redis),
    which puts failed jobs back on the queue when their retry is due.
    """

    q = queue()
    worker = Worker([q], connection=q.connection)
    return worker.work(burst=burst, logging_level="INFO", with_scheduler=True)


def queue_status() -> dict[str, Any]:

    q = queue()
    return {
        "queue": q.name,
        "queued": q.count,
        "running": StartedJobRegistry(queue=q).count,
        "failed": FailedJobRegistry(queue=q).count,
        "workers": Worker.count(queue=q),
    }


def run_job(dotted: str, *args: Any) -> Any:
    module, _sep, name = MOVED_JOBS.get(dotted, dotted).rpartition(".")
    return getattr(importlib.import_module(module), name)(*args)


def run_in_app(dotted: str, *args: Any) -> Any:
    """Run a job in the app context the worker set up (``flask jobs worker``).

    The work horse is a fork of the worker: it drops the connections it inherited (without
    closing the parent's sockets) and cleans its session afterwards. RQ calls this through
    ``zhongchuang.ops.job_runner.run_in_app``, and directly for jobs queued under this name
    before that runner existed."""
    if not has_app_context():
        raise RuntimeError(
            f"job {dotted} needs an app context: run the worker with `flask jobs worker`, "
            f"or queue through {RUNNER}"
        )

    db.engine.dispose(close=False)
    try:
        return run_job(dotted, *args)
    finally:
        db.session.remove()
