"""``flask users …``: create accounts, grant and revoke roles, list users."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.accounts import services
from core.accounts.models import Role, User
from core.db import commit, db
from core.errors import AppError

users_cli = AppGroup("users", help="Manage user accounts and roles.")

ROLE_NAMES = [role.value for role in Role]


def _user(email: str) -> User:
    user = services.get_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email.strip().lower()}")
    return user


def _run(func, *args, **kwargs):
    """Call a service; a rule it enforces becomes a clear CLI error and nothing is saved."""
    try:
        return func(*args, **kwargs)
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
@click.option("--locale", type=click.Choice(services.LANGUAGE_CODES), default="kk", show_default=True)
@click.option("--verified/--unverified", default=True, show_default=True, help="Mark the email as confirmed.")
@click.option("--role", "roles", multiple=True, type=click.Choice(["moderator", "admin"]), help="Repeatable.")
def create(email, display_name, password, locale, verified, roles):
    """Create an account."""
    user = _run(services.create_user, email, password, display_name, locale, verified)
    for role in roles:
        _run(services.grant_role, user, role)
    commit()
    extra = f" ({', '.join(roles)})" if roles else ""
    click.echo(f"created user {user.id} {user.email}{extra}")


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@click.option("--authority", "authority_ref", help="Authority key (e.g. akimat:710000000) or id.")
def grant(email, role, authority_ref):
    """Grant ROLE to a user (officer and head need --authority)."""
    user = _user(email)
    authority = _run(services.find_authority, authority_ref) if authority_ref else None
    _run(services.grant_role, user, role, authority)
    commit()
    where = f" of {authority.key}" if authority is not None else ""
    click.echo(f"{user.email} is {role}{where}")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@click.option("--authority", "authority_ref", help="Authority key or id.")
def revoke(email, role, authority_ref):
    """Take ROLE away from a user."""
    user = _user(email)
    authority = _run(services.find_authority, authority_ref) if authority_ref else None
    if not _run(services.revoke_role, user, role, authority):
        raise click.ClickException(f"{user.email} does not hold this role")
    commit()
    click.echo(f"revoked {role} from {user.email}")


@users_cli.command("list")
@click.option("--search", default="", help="Filter by email or name.")
@click.option("--role", type=click.Choice(ROLE_NAMES), help="Only holders of this role.")
def list_users(search, role):
    """List users: id, email, name, state, roles."""
    stmt = services.users_query(search)
    if role:
        from core.accounts.models import RoleGrant

        stmt = stmt.where(User.id.in_(sa.select(RoleGrant.user_id).where(RoleGrant.role == Role(role))))
    count = 0
    for user in db.session.scalars(stmt):
        count += 1
        roles = ",".join(
            f"{g.role.value}@{g.authority.key}" if g.authority is not None else g.role.value for g in user.grants
        )
        state = "active" if user.active else "inactive"
        verified = "verified" if user.is_verified else "unverified"
        click.echo(f"{user.id}\t{user.email}\t{user.display_name}\t{state}\t{verified}\t{roles or 'citizen'}")
    if not count:
        click.echo("no users")
