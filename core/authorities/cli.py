"""``flask authorities generate`` builds the standard ladder from the territory tree; ``list`` shows it."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.authorities.models import Authority, AuthorityKind
from core.db import commit, db

authorities_cli = AppGroup("authorities", help="Akimats, maslikhats, ministries and the escalation ladder.")


@authorities_cli.command("generate")
def generate_command() -> None:
    """Create or update the standard ladder (Kurultai, Government, akimats, maslikhats, akims' offices)."""
    from core.authorities.services import generate_ladder

    started = time.perf_counter()
    result = generate_ladder()
    commit()
    click.echo(
        f"Ladder: {result.added} added, {result.updated} updated, {result.unchanged} unchanged "
        f"({time.perf_counter() - started:.1f} s)"
    )


@authorities_cli.command("list")
@click.option("--kind", type=click.Choice([k.value for k in AuthorityKind]), help="Only this kind.")
def list_command(kind: str | None) -> None:
    """List authorities: id, key, kind, Russian name and the key of the authority above."""
    parent = sa.orm.aliased(Authority)
    statement = (
        sa.select(Authority.id, Authority.key, Authority.kind, Authority.name_ru, parent.key)
        .outerjoin(parent, parent.id == Authority.parent_id)
        .order_by(Authority.id)
    )
    if kind:
        statement = statement.where(Authority.kind == AuthorityKind(kind))
    count = 0
    for ident, key, kind_value, name, parent_key in db.session.execute(statement):
        click.echo(f"{ident}\t{key}\t{kind_value.value}\t{name}\t{parent_key or '-'}")
        count += 1
    click.echo(f"{count} authorities", err=True)
