"""``flask feedback``: the sweep and the deadline rules."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import commit

feedback_cli = AppGroup("feedback", help="The Hearing State loop: sweep and deadline rules.")


@feedback_cli.command("sweep")
@click.option("--today", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Sweep as of this date.")
def sweep_command(on) -> None:
    """Mark overdue cases, close rating windows and escalate (safe to run again, or twice at once)."""
    from feedback.services import sweep

    result = sweep(on.date() if on else None)
    commit()
    click.echo(
        f"{result.overdue} overdue, {result.resolved} resolved, {result.closed} closed at the top, "
        f"{result.escalated} escalated"
    )


@feedback_cli.group("rules")
def rules_group() -> None:
    """Deadline rules (working days to answer, per source and authority level)."""


@rules_group.command("list")
def rules_list() -> None:
    from feedback.rules import effective_rules

    for row in effective_rules():
        who = f"authority {row['authority_id']}" if row["authority_id"] else row["scope"]
        mark = "" if row["default"] == row["working_days"] else " (changed)"
        click.echo(f"{row['source'] or 'any source':<24} {who:<20} {row['working_days']:>3} working days{mark}")


@rules_group.command("set")
@click.argument("working_days", type=int)
@click.option("--source", default="", help="A case source (proposal, petition, ...); empty for any.")
@click.option("--scope", default="any", help="any, local, central or an authority kind.")
@click.option("--authority", "authority_key", default=None, help="One authority's key or id.")
@click.option("--note", default="")
def rules_set(working_days: int, source: str, scope: str, authority_key, note: str) -> None:
    from core.authorities.services import find_authority
    from core.errors import AppError
    from feedback.rules import set_rule

    authority = None
    if authority_key:
        authority = find_authority(authority_key)
        if authority is None:
            raise click.ClickException(f"No authority {authority_key}")
    try:
        set_rule(source, scope, working_days, authority=authority, note=note)
    except AppError as exc:
        raise click.ClickException(str(exc)) from exc
    commit()
    click.echo("saved")
