"""Where every queued job starts in the RQ worker: inside an app context.

Under ``flask jobs worker`` (``make worker``) the app is built before the worker starts,
and each job's work horse, a fork of the worker, inherits its app context. Under a bare
``rq worker`` there is none: the app is built here, once per process. This module is
outside the services on purpose: no service imports the app factory.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Flask, has_app_context

from zhongchuang import create_app
from zhongchuang.ops import jobs


def run_in_app(dotted: str, *args: Any) -> Any:
    """The function RQ calls (``jobs.RUNNER``): run the job ``dotted`` with ``args``."""
    if has_app_context():
        return jobs.run_in_app(dotted, *args)
    with worker_app().app_context():
        return jobs.run_job(dotted, *args)


@functools.cache
def worker_app() -> Flask:
    """The app of a worker started without one (a bare ``rq worker``)."""

    return create_app()
