"""Registers the ``flask`` command groups of the core package."""

from __future__ import annotations


def register(app) -> None:
    from core.accounts.cli import users_cli
    from core.audit_cli import audit_cli
    from core.authorities.cli import authorities_cli
    from core.calendar import calendar_cli
    from core.jobs_cli import jobs_cli
    from core.seed import seed_cli
    from core.territories.cli import territories_cli

    for group in (users_cli, territories_cli, authorities_cli, audit_cli, jobs_cli, seed_cli, calendar_cli):
        app.cli.add_command(group)
