"""Background jobs: RQ on Redis in production, in-process in the embedded default."""

from __future__ import annotations

import importlib
from typing import Any

from flask import current_app


def enqueue(dotted: str, *args: Any) -> None:
    """Run ``dotted`` (``module.function``) in the worker, or now when jobs are inline."""
    if current_app.config.get("JOBS_INLINE", True) or not current_app.config.get("REDIS_URL"):
        run_job(dotted, *args)
        return
    from redis import Redis
    from rq import Queue

    queue = Queue("zhongchuang", connection=Redis.from_url(current_app.config["REDIS_URL"]))
    queue.enqueue("zhongchuang.services.jobs.run_in_app", dotted, *args)


def run_job(dotted: str, *args: Any) -> Any:
    module, _sep, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args)


def run_in_app(dotted: str, *args: Any) -> Any:
    """Entry point in the RQ worker: build the app, run the job in its context."""
    from zhongchuang import create_app

    app = create_app()
    with app.app_context():
        return run_job(dotted, *args)
