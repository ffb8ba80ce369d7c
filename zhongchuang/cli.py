"""``flask --app wsgi ...`` commands. Each calls the same services as the pages and API."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from types import ModuleType

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from zhongchuang.accounts.identity_keys import rotate_all
from zhongchuang.accounts.operations import create_user
from zhongchuang.audit.chain import verify
from zhongchuang.errors import DomainError
from zhongchuang.extensions import db
from zhongchuang.models import User

users_cli = AppGroup("users", help="Staff accounts. 用户管理")
audit_cli = AppGroup("audit", help="Audit chain. 审计链")
policy_cli = AppGroup("policy", help="Policy catalogue. 政策目录")
demo_cli = AppGroup("demo", help="Demo data. 演示数据")
notices_cli = AppGroup("notices", help="Public notices. 公示")
ids_cli = AppGroup("ids", help="Identity-number encryption. 身份证号加密")


def _fail(exc: DomainError) -> None:
    click.echo(f"错误 / error: {exc.message}", err=True)
    for field, msgs in exc.errors.items():
        for m in msgs:
            click.echo(f"  {field}: {m}", err=True)
    sys.exit(2)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="applicant, county_reviewer, expert, city_reviewer, finance, admin",
)
@click.option("--district", default=None, help="GB/T 2260 code, e.g. 330402")
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None)
def users_create(
    username: str,
    password: str,
    roles: tuple[str, ...],
    district: str | None,
    display_name: str | None,
    email: str | None,
) -> None:
    """Create a staff account."""

    try:
        user = create_user(
            username, password, list(roles), district, display_name=display_name, email=email
        )
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created user {user.id} {user.username} roles={','.join(user.roles)}")


@users_cli.command("list")
def users_list() -> None:

    for u in db.session.execute(sa.select(User).order_by(User.id)).scalars():
        state = "active" if u.active else "inactive"
        click.echo(f"{u.id}\t{u.username}\t{','.join(u.roles)}\t{u.district or '-'}\t{state}")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit status 1 when it is broken."""

    result = verify()
    click.echo(result.message)
    click.echo(f"events={result.events} ok={str(result.ok).lower()} first_bad={result.first_bad}")
    if not result.ok:
        sys.exit(1)


@ids_cli.command("rotate-key")
def ids_rotate() -> None:
    """Re-encrypt every stored identity number under the newest key in ZC_ID_KEYS."""

    count = rotate_all()
    click.echo(f"re-encrypted {count} identity numbers under the newest key")


def register_cli(app: Flask, modules: Iterable[ModuleType] = ()) -> None:
    """The command groups, with the commands each area's CLI module adds to them (or, by
    its ``register(app)``, groups of its own)."""
    for group in (users_cli, audit_cli, policy_cli, demo_cli, notices_cli, ids_cli):
        app.cli.add_command(group)
    for module in modules:
        if hasattr(module, "register"):
            module.register(app)
