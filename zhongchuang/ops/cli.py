"""Operations commands: the job worker, scheduled notice closing, backup and restore.

``flask jobs worker``           run the RQ worker (production: ``make worker``)
``flask jobs status``           queue length, running, failed, workers
``flask jobs run|enqueue NAME`` run a named job now, or hand it to the worker
``flask notices close-due``     conclude notices whose period is over (cron; idempotent)
``flask notices enqueue-close-due``  the same, run by the worker
``flask stats refresh``          recompute the statistics snapshots (cron, every few minutes)
``flask stats rebuild-stays``    rebuild the stage stays from the audit trail
``flask backup [-o PATH]``      database + uploads into one verified bundle
``flask restore BUNDLE [--yes]``  put a bundle back (asks first)
"""

from __future__ import annotations

import logging
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from zhongchuang.audit import chain as audit
from zhongchuang.cases.stays import rebuild_all_stays
from zhongchuang.cli import notices_cli
from zhongchuang.notices.operations import close_due_notices
from zhongchuang.ops.backup import (
    BackupError,
    check_compatible,
    create_backup,
    open_bundle,
    restore_bundle,
)
from zhongchuang.ops.jobs import NAMED_JOBS, enqueue, queue_status, run_job, work
from zhongchuang.stats.queries import refresh
from zhongchuang.web.hardening import JsonFormatter

jobs_cli = AppGroup("jobs", help="Background jobs (RQ on Redis). 后台任务")
stats_cli = AppGroup("stats", help="Statistics snapshots and stage stays. 统计")


def _need_redis() -> None:
    if not current_app.config.get("REDIS_URL"):
        click.echo(
            "REDIS_URL 未设置：后台任务在进程内执行，无需 worker / REDIS_URL is not set: "
            "jobs run in-process and no worker is needed",
            err=True,
        )
        sys.exit(2)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (tests, one-off runs).")
def jobs_worker(burst: bool) -> None:
    """Run jobs from the queue until stopped. SIGTERM lets the running job finish."""

    _need_redis()
    if current_app.config.get("JOBS_INLINE"):
        click.echo("warning: JOBS_INLINE is on, this app never queues jobs", err=True)
    if current_app.config.get("LOG_JSON"):
        _json_worker_logs()
    work(burst=burst)


def _json_worker_logs() -> None:
    """RQ's own lines (job started, done, failed) as JSON, like the app's and gunicorn's."""

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    rq_log = logging.getLogger("rq")
    rq_log.handlers = [handler]  # RQ adds its own text handler only when none is found
    rq_log.setLevel(logging.INFO)
    rq_log.propagate = False


@jobs_cli.command("status")
def jobs_status() -> None:
    """How many jobs wait, run and failed, and how many workers listen."""

    _need_redis()
    for key, value in queue_status().items():
        click.echo(f"{key}: {value}")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(sorted(NAMED_JOBS)))
def jobs_run(name: str) -> None:
    """Run a named job here and now."""

    click.echo(f"{name}: {run_job(NAMED_JOBS[name])}")


@jobs_cli.command("enqueue")
@click.argument("name", type=click.Choice(sorted(NAMED_JOBS)))
def jobs_enqueue(name: str) -> None:
    """Hand a named job to the worker (runs here when there is no queue)."""
    _echo_enqueued(name)


def _echo_enqueued(name: str) -> None:

    job_id = enqueue(NAMED_JOBS[name])
    if job_id:
        click.echo(f"queued {name}: job {job_id}")
    else:
        click.echo(f"ran {name} in-process (no job queue)")


@notices_cli.command("close-due")
def notices_close_due() -> None:
    """公示期满办结: conclude every case whose notice period is over without an open
    objection. Idempotent, for cron; cases that cannot conclude yet are listed with why."""

    result = close_due_notices()
    click.echo(f"concluded: {len(result.concluded)} {result.concluded}")
    for case_id, why in sorted(result.waiting.items()):
        click.echo(f"  waiting {case_id}: {why}")


@notices_cli.command("enqueue-close-due")
def notices_enqueue_close_due() -> None:
    """Let the worker conclude due notices (same effect as ``close-due``)."""
    _echo_enqueued("close-due-notices")


@stats_cli.command("refresh")
def stats_refresh() -> None:
    """Recompute the figures of the city and of every district now, so that no one opening
    the statistics page waits (cron, more often than ZC_STATS_TTL)."""

    started = time.perf_counter()
    scopes = refresh()
    click.echo(f"refreshed {len(scopes)} scopes in {time.perf_counter() - started:.1f} s")


@stats_cli.command("rebuild-stays")
def stats_rebuild_stays() -> None:
    """Rebuild the stage stays (case_stays) from the audit trail, in one transaction."""

    written = rebuild_all_stays()
    click.echo(f"stays: {written}")


@click.command("backup")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="Bundle file or directory (default: instance/backups/).",
)
@with_appcontext
def backup(output: str | None) -> None:
    """Database and uploads into one .tar.gz bundle with a manifest and checksums."""

    try:
        bundle = create_backup(output)
    except BackupError as exc:
        click.echo(f"备份失败 / backup failed: {exc}", err=True)
        sys.exit(1)
    m = bundle.manifest
    click.echo(str(bundle.path))
    click.echo(f"  {m['db_kind']} revision {m['alembic_revision']} at {m['created_at']}")
    click.echo("  " + " ".join(f"{k}={v}" for k, v in m["counts"].items()))


@click.command("restore")
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Overwrite without asking.")
@click.option("--check", is_flag=True, help="Only verify the bundle; change nothing.")
@with_appcontext
def restore(bundle: str, yes: bool, check: bool) -> None:
    """Replace the database and the uploads directory with a bundle's contents.

    Stop the app servers and workers first. The bundle's revision must be this release's."""

    try:
        with open_bundle(bundle) as b:
            check_compatible(b)
            m = b.manifest
            click.echo(f"bundle: {m['db_kind']} revision {m['alembic_revision']}")
            click.echo(f"  created {m['created_at']}")
            click.echo("  " + " ".join(f"{k}={v}" for k, v in m["counts"].items()))
            if check:
                click.echo("bundle verified; nothing changed")
                return
            if not yes:
                click.confirm(
                    f"这将覆盖数据库和上传目录 {current_app.config['UPLOAD_DIR']} / this "
                    "OVERWRITES the database and the uploads directory. Continue?",
                    abort=True,
                )
            restore_bundle(b)
    except BackupError as exc:
        click.echo(f"拒绝恢复 / restore refused: {exc}", err=True)
        sys.exit(1)
    result = audit.verify()
    click.echo(f"restored. audit chain: {result.message} (events={result.events})")
    if not result.ok:
        sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
