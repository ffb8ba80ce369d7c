"""``flask --app wsgi cases ...``: scheduled case commands.

``flask cases lapse-overdue``   cases still returned after their 补正期限 → withdrawn
                                (逾期未补正), where the program's parameter says so (cron)
``flask cases remind-due``      remind the responsible reviewers of cases at 80 % and
                                100 % of their promised limit, once each (cron, daily)
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from zhongchuang.cases.lapsing import lapse_overdue
from zhongchuang.cases.reminders import remind_due

cases_cli = AppGroup("cases", help="Cases: scheduled steps. 案件")


@cases_cli.command("lapse-overdue")
def cases_lapse_overdue() -> None:
    """Withdraw cases whose correction is overdue (逾期未补正). Idempotent: for cron."""
    result = lapse_overdue()
    click.echo(f"逾期未补正、已撤回 / lapsed: {len(result.lapsed)}")
    for case_id in result.lapsed:
        click.echo(f"  case {case_id}")
    for code, count in sorted(result.kept.items()):
        click.echo(f"按参数保留 / kept by the program's parameter: {code} × {count}")
    for case_id, message in sorted(result.refused.items()):
        click.echo(f"未能办理 / refused: case {case_id}: {message}", err=True)


@cases_cli.command("remind-due")
def cases_remind_due() -> None:
    """Remind reviewers of cases at 80 % and 100 % of their promised limit (办理时限提醒).
    Idempotent: each reminder goes once, also when two runs overlap."""
    result = remind_due()
    click.echo(f"办理时限提醒 / reminders sent: {len(result.sent)}, messages: {result.messages}")
    for case_id, threshold in result.sent:
        click.echo(f"  case {case_id}: {threshold}%")


def register(app: Flask) -> None:
    app.cli.add_command(cases_cli)
