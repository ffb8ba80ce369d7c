"""``flask --app wsgi issuers ...`` and ``documents ...``: offices and issued documents.

``flask issuers load [FILE]``   add the offices of FILE (default: the bundled defaults)
                                that are missing; never overwrites an edited one
``flask documents verify FILE`` whether a PDF is a document this system issued, intact
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from zhongchuang.documents import issuers, verification

issuers_cli = AppGroup("issuers", help="Issuing offices. 发文机关")
documents_cli = AppGroup("documents", help="Issued documents. 文书")


@issuers_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def issuers_load(path: str | None) -> None:
    """Add the missing offices (idempotent)."""
    added = issuers.load_defaults(Path(path) if path else issuers.DEFAULTS)
    click.echo(f"新增发文机关 / issuers added: {added}")


@documents_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def documents_verify(path: str) -> None:
    """Check a PDF; exit status 1 when it is not a valid document of this system."""
    result = verification.verify_bytes(Path(path).read_bytes())
    click.echo(("有效 / valid: " if result.valid else "无效 / invalid: ") + result.message)
    if result.document is not None:
        click.echo(f"{result.document.number} · {result.document.title}")
    sys.exit(0 if result.valid else 1)


def register(app: Flask) -> None:
    app.cli.add_command(issuers_cli)
    app.cli.add_command(documents_cli)
