"""``flask policy load FILE`` / ``flask policy show`` / ``flask policy preview FILE``."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa

from zhongchuang.cases.eligibility import preview_catalogue
from zhongchuang.catalogue.loading import load_catalogue_file, read_catalogue_text
from zhongchuang.catalogue.queries import policy_state
from zhongchuang.cli import policy_cli
from zhongchuang.extensions import db
from zhongchuang.models import Parameter, Policy
from zhongchuang.policy.catalogue import CatalogueError


def _refuse(exc: CatalogueError) -> None:
    click.echo(f"拒绝载入 / refused: {exc.file}", err=True)
    for location, reason in exc.problems:
        click.echo(f"  {location or '(root)'}: {reason}", err=True)
    sys.exit(2)


@policy_cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
def policy_load(path: str) -> None:
    """Load (or reload) a catalogue file. Idempotent; a bad file is refused whole."""

    try:
        report = load_catalogue_file(path)
    except CatalogueError as exc:
        _refuse(exc)
    click.echo(report.summary())
    for name in report.parameters_versioned:
        click.echo(f"  versioned: {name}")


@policy_cli.command("preview")
@click.argument("path", type=click.Path(dir_okay=False))
def policy_preview(path: str) -> None:
    """Show which pending cases a changed catalogue would affect, without loading it."""

    try:
        changes = preview_catalogue(read_catalogue_text(path), path)
    except CatalogueError as exc:
        _refuse(exc)
    if not changes:
        click.echo("没有待办案件受影响 / no pending case would change")
    for ch in changes:
        click.echo(ch.describe())


@policy_cli.command("show")
def policy_show() -> None:
    """Print the loaded catalogue: policy, status, articles, programs, parameters."""

    policies = db.session.execute(sa.select(Policy).order_by(Policy.id)).scalars().all()
    if not policies:
        click.echo("尚未载入政策目录 / no catalogue loaded")
        return
    for p in policies:
        click.echo(f"{p.doc_number}  {p.title}")
        click.echo(f"  issuer: {p.issuer}   status today: {policy_state(p)}")
        for e in p.events:
            mark = "" if e.confirmed else "  (date unconfirmed)"
            click.echo(f"  {e.date}  {e.kind:<16} {e.document or ''}{mark}")
        click.echo(f"  articles: {', '.join(a.path for a in p.articles)}")
        for prog in p.programs:
            click.echo(
                f"  program {prog.code}: {prog.name}  articles={','.join(prog.articles)}"
                f"  workflow={prog.workflow}"
            )
            params = db.session.execute(
                sa.select(Parameter)
                .where(Parameter.program_id == prog.id)
                .order_by(Parameter.name, Parameter.valid_from)
            ).scalars()
            for par in params:
                flag = "confirmed" if par.confirmed else "UNCONFIRMED"
                until = par.valid_to or "…"
                click.echo(
                    f"    {par.name} = {par.value} {par.unit or ''}"
                    f" [{par.valid_from}–{until}] {par.article or ''} {flag}"
                )
