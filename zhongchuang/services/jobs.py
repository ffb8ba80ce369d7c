"""Background jobs: RQ on Redis in production, in-process in the embedded default.

``enqueue`` hands a job to the worker (``flask jobs worker``) when ``REDIS_URL`` is set and
``JOBS_INLINE`` is off; otherwise — and when Redis does not answer — the job runs now, in
this process, so that nothing is lost. Jobs are plain functions named by dotted path; they
run inside an app context and own their commits, as services do.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import current_app, has_app_context

log = logging.getLogger("zhongchuang.jobs")

#: Jobs that the command line may name (``flask jobs run NAME``, ``flask jobs enqueue NAME``).
NAMED_JOBS: dict[str, str] = {
    "close-due-notices": "zhongchuang.services.jobs.close_due_notices_job",
    "send-mail": "zhongchuang.services.notify.send_pending_job",
    "refresh-stats": "zhongchuang.services.jobs.refresh_stats_job",
}
#: A failed job is tried again after these delays (seconds); every job here is idempotent.
RETRY_INTERVALS = [30, 120, 600]


def enqueue(dotted: str, *args: Any) -> str | None:
    """Run ``dotted`` (``module.function``) in the worker; return the RQ job id, or None
    when the job ran here and now (inline mode, or the queue is unreachable)."""
    if current_app.config.get("JOBS_INLINE", True) or not current_app.config.get("REDIS_URL"):
        run_job(dotted, *args)
        return None
    from redis.exceptions import RedisError
    from rq import Retry

    try:
        job = queue().enqueue(
            "zhongchuang.services.jobs.run_in_app",
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
    from redis import Redis

    return Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=3, health_check_interval=30
    )


def queue():  # noqa: ANN201 - rq.Queue, imported lazily
    from rq import Queue

    return Queue(current_app.config.get("JOBS_QUEUE", "zhongchuang"), connection=redis_connection())


def work(*, burst: bool = False) -> bool:
    """Run an RQ worker on this app's queue until stopped (SIGTERM finishes the job at hand).

    Each job runs in a forked work horse that inherits this app context; see ``run_in_app``.
    The worker also runs RQ's scheduler (one at a time across workers, by a lock in Redis),
    which puts failed jobs back on the queue when their retry is due.
    """
    from rq import Worker

    q = queue()
    worker = Worker([q], connection=q.connection)
    return worker.work(burst=burst, logging_level="INFO", with_scheduler=True)


def queue_status() -> dict[str, Any]:
    from rq import Worker
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    q = queue()
    return {
        "queue": q.name,
        "queued": q.count,
        "running": StartedJobRegistry(queue=q).count,
        "failed": FailedJobRegistry(queue=q).count,
        "workers": Worker.count(queue=q),
    }


def run_job(dotted: str, *args: Any) -> Any:
    module, _sep, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args)


def run_in_app(dotted: str, *args: Any) -> Any:
    """Entry point in the RQ worker: run the job inside an app context.

    Under ``flask jobs worker`` the app already exists and the work horse is a fork of the
    worker: it drops the connections it inherited (without closing the parent's sockets)
    and cleans its session afterwards. Under a bare ``rq worker`` it builds the app.
    """
    if has_app_context():
        from zhongchuang.extensions import db

        db.engine.dispose(close=False)
        try:
            return run_job(dotted, *args)
        finally:
            db.session.remove()
    from zhongchuang import create_app

    app = create_app()
    with app.app_context():
        return run_job(dotted, *args)


def close_due_notices_job() -> dict[str, Any]:
    """公示期满自动办结: the cron / worker form of ``flask notices close-due``."""
    from zhongchuang.services.notices import close_due_notices

    result = close_due_notices()
    if result.concluded or result.waiting:
        log.info(
            "close-due notices: concluded=%s waiting=%s", result.concluded, sorted(result.waiting)
        )
    return {
        "concluded": result.concluded,
        "waiting": {str(k): v for k, v in result.waiting.items()},
    }


def refresh_stats_job() -> dict[str, Any]:
    """统计快照: recompute the figures of the city and of every district (cron / worker
    form of ``flask stats refresh``)."""
    from zhongchuang.services.stats import refresh

    return {"scopes": refresh()}
