"""``flask audit verify``: walk the hash chain and name the first broken row."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core import audit

audit_cli = AppGroup("audit", help="The hash-chained audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every row's hash and its link to the previous row."""
    checked, broken = audit.verify()
    if broken is None:
        click.echo(f"audit log intact: {checked} rows verified")
        return
    click.echo(f"audit log BROKEN at row {broken.entry_id}: {broken.reason} ({checked} rows before it are intact)")
    raise SystemExit(1)
