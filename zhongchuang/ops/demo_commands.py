"""``flask demo seed``."""

from __future__ import annotations

import click

from zhongchuang.cli import demo_cli
from zhongchuang.ops import demo


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
def demo_seed(if_empty: bool) -> None:
    """Demo accounts (one per role), open batches and cases in every state."""

    if not demo.is_empty():
        if if_empty:
            click.echo("数据库中已有账号，跳过演示数据 / demo data already present, skipped")
            return
        raise click.ClickException("数据库不为空 / the database is not empty")
    try:
        report = demo.seed()
    except demo.DemoDateError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("演示账号（仅供演示）/ demo accounts (demo only):")
    for username, name in report.accounts:
        click.echo(f"  {username:<12} {demo.DEMO_PASSWORD}   {name}")
    click.echo("演示案件 / demo cases:")
    for state, case_id in report.cases.items():
        click.echo(f"  {state:<34} /applications/{case_id}")
    for story in report.left_out:
        click.echo(
            f"  未生成 / left out: {story}（演示日早于政策施行后四周 / "
            "the demo day is within four weeks of the policy coming into force）"
        )
