"""``flask territories import [PATH]``: load the KATO classifier (CSV or the stat.gov.kz workbook)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import commit, rollback

territories_cli = AppGroup("territories", help="The KATO territory tree.")


@territories_cli.command("import")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path | None) -> None:
    """Import or update territories from PATH (.csv or .xlsx; default: the KATO_PATH setting)."""
    from core.territories.services import KatoImportError, import_file

    if path is None:
        configured = current_app.config.get("KATO_PATH")
        if not configured or not Path(configured).is_file():
            raise click.ClickException("No file given and KATO_PATH does not name a file.")
        path = Path(configured)
    started = time.perf_counter()
    try:
        result = import_file(path)
    except KatoImportError as error:
        rollback()
        message = "\n  ".join([f"{path.name}: {error.total} bad row(s), nothing imported:", *error.problems])
        if error.total > len(error.problems):
            message += f"\n  … and {error.total - len(error.problems)} more"
        raise click.ClickException(message) from error
    commit()
    click.echo(
        f"{path.name}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged "
        f"({time.perf_counter() - started:.1f} s)"
    )
