"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app`` (``make serve``).

Environment:
  HOST, PORT          where to listen (default 127.0.0.1:8000; the proxy talks to this)
  WEB_CONCURRENCY     worker processes (default 2 × cores + 1, at most 8)
  GUNICORN_THREADS    threads per worker (default 1: sync workers behind a buffering proxy)
  GUNICORN_TIMEOUT    seconds before a silent worker is killed and replaced (default 60)
  GUNICORN_GRACEFUL_TIMEOUT  seconds a worker gets to finish its request on stop (default 30)
  FORWARDED_ALLOW_IPS proxies trusted for X-Forwarded-Proto (default 127.0.0.1)
  ACCESS_LOG          "1" for gunicorn's access log; by default the app itself logs each
                      request as one JSON line with its request id (LOG_JSON in production)

Workers share nothing in memory: sessions are cookies signed with SECRET_KEY, rate limits
and jobs live in Redis, everything else in PostgreSQL — so any worker (on any server) can
answer any request.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

MAX_WORKERS = 8


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, MAX_WORKERS))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Replace each worker after a while, so that a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "zhongchuang"
# Heartbeat files on tmpfs: a busy disk never makes the arbiter kill healthy workers.
# (gunicorn creates them with mkstemp and unlinks them at once.)
SHM = "/dev/shm"  # noqa: S108
if Path(SHM).is_dir():
    worker_tmp_dir = SHM

ACCESS = os.environ.get("ACCESS_LOG") == "1"
accesslog = "-" if ACCESS else None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

if os.environ.get("ZC_ENV") == "production":
    # gunicorn's own messages (boot, worker exits, timeouts) as JSON lines too.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "zhongchuang.web.hardening.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "WARNING", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if ACCESS else "WARNING",
                "handlers": ["console"],
                "propagate": False,
            },
        },
    }
