"""``flask petitions``: the sweep and the threshold rules."""

from __future__ import annotations

from decimal import Decimal

import click
from flask.cli import AppGroup

from core.db import commit

petitions_cli = AppGroup("petitions", help="Petitions: sweep and signature thresholds.")


@petitions_cli.command("sweep")
@click.option("--today", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Sweep as of this date.")
def sweep_command(on) -> None:
    """Close petitions whose collection ended below the threshold; hand over any that reached it."""
    from petitions.services import sweep

    result = sweep(on.date() if on else None)
    commit()
    click.echo(f"{result.reached} reached, {result.not_reached} not reached")


@petitions_cli.group("thresholds")
def thresholds_group() -> None:
    """Signatures a petition needs, per kind of addressee (or per authority)."""


def _describe(rule) -> str:
    parts = []
    if rule.percent is not None:
        parts.append(f"{rule.percent.normalize()} % of residents")
    if rule.fixed is not None:
        parts.append(f"{rule.fixed}" + (f" above {rule.large_from} residents" if rule.large_from else ""))
    if rule.fallback is not None:
        parts.append(f"{rule.fallback} where the population is not known")
    return "; ".join(parts)


@thresholds_group.command("list")
def thresholds_list() -> None:
    from petitions.rules import authority_rules, rules_table

    for scope, rule, row in rules_table():
        click.echo(f"{scope:<20} {_describe(rule)}{'' if row is None else ' (changed)'}")
    for row in authority_rules():
        click.echo(f"authority {row.authority_id:<10} {_describe(row)}")


@thresholds_group.command("set")
@click.argument("scope")
@click.option("--fixed", type=int, default=None)
@click.option("--percent", type=Decimal, default=None)
@click.option("--large-from", type=int, default=None, help="The fixed number applies above this population.")
@click.option("--fallback", type=int, default=None, help="Where the population is not known.")
@click.option("--authority", "authority_key", default=None, help="One authority's key or id (scope ignored).")
@click.option("--note", default="")
def thresholds_set(scope, fixed, percent, large_from, fallback, authority_key, note) -> None:
    """Set the rule for SCOPE (government, regional_akimat, district_maslikhat, ...)."""
    from core.authorities.services import find_authority
    from core.errors import AppError
    from petitions.rules import set_rule

    authority = None
    if authority_key:
        authority = find_authority(authority_key)
        if authority is None:
            raise click.ClickException(f"No authority {authority_key}")
    try:
        set_rule(scope, fixed, percent, large_from, fallback, authority=authority, note=note)
    except AppError as exc:
        raise click.ClickException(str(exc)) from exc
    commit()
    click.echo("saved")
