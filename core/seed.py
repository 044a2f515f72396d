"""``flask seed demo``: a working installation to try in a browser.

Loads the territory tree (the full KATO file at ``KATO_PATH`` when it is there, and the small built-in
set from ``core.seed_data`` whenever the demo village is missing), generates the authority ladder, adds
a few ministries and the known moveable holidays, and creates one demo account per role. It runs only
on a database without users, so it is safe to call on every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from core import seed_data
from core.db import commit, db, utcnow

seed_cli = AppGroup("seed", help="Demo data.")

#: One password for every demo account (the demo is for trying, not for keeping secrets).
DEMO_PASSWORD = "tyndau-demo-2026"  # noqa: S105 - published on purpose

#: (key, kk, ru, en) of the ministries the demo adds to the republic level.
MINISTRIES: tuple[tuple[str, str, str, str], ...] = (
    (
        "ministry:culture-information",
        "Қазақстан Республикасы Мәдениет және ақпарат министрлігі",
        "Министерство культуры и информации Республики Казахстан",
        "Ministry of Culture and Information of the Republic of Kazakhstan",
    ),
    (
        "ministry:agriculture",
        "Қазақстан Республикасы Ауыл шаруашылығы министрлігі",
        "Министерство сельского хозяйства Республики Казахстан",
        "Ministry of Agriculture of the Republic of Kazakhstan",
    ),
    (
        "ministry:health",
        "Қазақстан Республикасы Денсаулық сақтау министрлігі",
        "Министерство здравоохранения Республики Казахстан",
        "Ministry of Health of the Republic of Kazakhstan",
    ),
    (
        "ministry:internal-affairs",
        "Қазақстан Республикасы Ішкі істер министрлігі",
        "Министерство внутренних дел Республики Казахстан",
        "Ministry of Internal Affairs of the Republic of Kazakhstan",
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    locale: str
    role: str  # "citizen" or a core.accounts.models.Role value
    authority_key: str | None = None
    home: str | None = None

    @property
    def label(self) -> str:
        if self.authority_key:
            return f"{self.role} · {self.authority_key}"
        return self.role


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("citizen@tyndau.kz", "Айгерім Сейітова", "kk", "citizen", home=seed_data.DEMO_VILLAGE),
    DemoAccount("moderator@tyndau.kz", "Дәурен Жақсылықов", "ru", "moderator"),
    DemoAccount(
        "akim.turgen@tyndau.kz",
        "Ержан Тұрсынбаев",
        "kk",
        "officer",
        authority_key=f"akim:{seed_data.DEMO_RURAL_DISTRICT}",
        home=seed_data.DEMO_VILLAGE,
    ),
    DemoAccount(
        "akimat.enbekshikazakh@tyndau.kz",
        "Гүлнар Әбдірахманова",
        "ru",
        "officer",
        authority_key=f"akimat:{seed_data.DEMO_DISTRICT}",
    ),
    DemoAccount("admin@tyndau.kz", "Асқар Бекмұхамбетов", "en", "admin"),
    # Officers further up the ladder, and residents who join the demo cases (feedback/seed.py).
    DemoAccount(
        "akimat.almaty-region@tyndau.kz",
        "Бауыржан Омаров",
        "ru",
        "officer",
        authority_key=f"akimat:{seed_data.DEMO_REGION}",
    ),
    DemoAccount("akimat.karasai@tyndau.kz", "Әсел Нұрланова", "kk", "officer", authority_key="akimat:195200000"),
    DemoAccount("akimat.talgar@tyndau.kz", "Виктор Пак", "ru", "officer", authority_key="akimat:196200000"),
    DemoAccount(
        "ministry.agriculture@tyndau.kz", "Серік Жұмабеков", "kk", "officer", authority_key="ministry:agriculture"
    ),
    DemoAccount("government@tyndau.kz", "Светлана Коваленко", "ru", "officer", authority_key="government"),
    DemoAccount("kurultai@tyndau.kz", "Нұрлан Әбенов", "kk", "officer", authority_key="kurultai"),
    DemoAccount("citizen.turgen@tyndau.kz", "Ольга Ким", "ru", "citizen", home=seed_data.DEMO_VILLAGE),
    DemoAccount("citizen.tauturgen@tyndau.kz", "Болат Қасымов", "kk", "citizen", home="194081200"),
    DemoAccount("citizen.esik@tyndau.kz", "Наталья Петренко", "ru", "citizen", home="194020100"),
    DemoAccount("citizen.aitei@tyndau.kz", "Мадина Әлиева", "kk", "citizen", home="195231100"),
    DemoAccount("citizen.kaskelen@tyndau.kz", "Тимур Ахметов", "ru", "citizen", home="195220100"),
    DemoAccount("citizen.talgar@tyndau.kz", "Жанар Оспанова", "kk", "citizen", home="196220100"),
)


def _demo_iin() -> str:
    """A valid IIN for trying the signing step: born 14 May 1990, a woman of the 20th century (4)."""
    from core.iin import control_digit

    first11 = "90051440301"
    return first11 + str(control_digit(first11))


DEMO_IIN = _demo_iin()


# --- the steps ---------------------------------------------------------------------------------


def _has_users() -> bool:
    from core.accounts.models import User

    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0


def _territory_exists(code: str) -> bool:
    from core.territories.models import Territory

    return db.session.get(Territory, code) is not None


def load_territories(kato_path: Path | None) -> list[str]:
    """Import the KATO file when present, then the built-in set if the demo village is still missing."""
    from core.territories.services import import_file, import_rows

    notes = []
    if kato_path is not None and kato_path.is_file():
        result = import_file(kato_path)
        notes.append(f"KATO {kato_path.name}: {result.added} added, {result.updated} updated")
    else:
        notes.append(f"KATO file not found at {kato_path}: using the built-in territory set")
    if not _territory_exists(seed_data.DEMO_VILLAGE):
        result = import_rows(seed_data.TERRITORIES, actor=None, source="built-in demo set")
        notes.append(f"built-in set: {result.added} added, {result.updated} updated")
    return notes


def _authority_by_key(key: str):
    from core.authorities.models import Authority

    return db.session.scalar(sa.select(Authority).where(Authority.key == key))


def load_ministries() -> int:
    from core.authorities.services import create_ministry

    added = 0
    for key, kk, ru, en in MINISTRIES:
        if _authority_by_key(key) is None:
            create_ministry(key, {"kk": kk, "ru": ru, "en": en})
            added += 1
    return added


def create_accounts() -> list:
    from core.accounts.models import Role, User
    from core.accounts.services import grant_role, hash_password

    password_hash = hash_password(DEMO_PASSWORD)
    users = []
    for account in DEMO_ACCOUNTS:
        user = User(
            email=account.email,
            password_hash=password_hash,
            display_name=account.display_name,
            locale=account.locale,
            home_territory_code=account.home,
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        if account.role != "citizen":
            authority = None
            if account.authority_key:
                authority = _authority_by_key(account.authority_key)
                if authority is None:
                    raise click.ClickException(
                        f"authority {account.authority_key} is missing: did the ladder generation run?"
                    )
            grant_role(user, Role(account.role), authority)
        users.append(user)
    db.session.flush()
    return users


def seed_demo(kato_path: Path | None) -> dict:
    """Load the demo data in the current unit of work (flushes, never commits)."""
    from core import audit
    from core.authorities.services import generate_ladder
    from core.calendar import load_known_moveable

    notes = load_territories(kato_path)
    generate_ladder()
    ministries = load_ministries()
    holidays = load_known_moveable()
    users = create_accounts()
    from core import hooks

    extra = {}
    for seeder in hooks.get("seeders"):
        extra.update(seeder() or {})
    summary = {
        "territories": notes,
        "ministries_added": ministries,
        "holidays_added": holidays,
        "users": [u.email for u in users],
        **extra,
    }
    audit.record("seed.demo", ("seed", "demo"), None, **summary)
    return summary


def _accounts_table() -> str:
    from core.accounts.models import User

    existing = set(db.session.scalars(sa.select(User.email).where(User.email.in_([a.email for a in DEMO_ACCOUNTS]))))
    rows = [(a.email, a.label, DEMO_PASSWORD) for a in DEMO_ACCOUNTS if a.email in existing]
    if not rows:
        return ""
    headers = ("email", "role", "password")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    out = [headers, *rows]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in out]
    lines.insert(1, line)
    return "\n".join(lines)


def _echo_accounts() -> None:
    table = _accounts_table()
    if not table:
        return
    click.echo("\nDemo accounts (unless their passwords were changed since):\n")
    click.echo(table)
    click.echo(f"\nThe citizen has no IIN yet: to sign petitions, add the demo IIN {DEMO_IIN} on the profile page.")


@seed_cli.command("demo")
def demo_command() -> None:
    """Load territories, authorities, ministries and demo accounts into an empty database."""
    if _has_users():
        click.echo("The database already has users: demo data not loaded.")
        _echo_accounts()
        return
    raw = current_app.config.get("KATO_PATH")
    summary = seed_demo(Path(raw) if raw else None)
    commit()
    for note in summary["territories"]:
        click.echo(note)
    click.echo(
        f"authority ladder generated; {summary['ministries_added']} ministries and "
        f"{summary['holidays_added']} moveable holidays added"
    )
    click.echo(f"{len(summary['users'])} demo accounts created.")
    _echo_accounts()
