"""Petition rules as data: thresholds per authority kind and level (rows, with defaults), the installation's
settings (``PETITIONS_*``), and the lists kept as data files (topics with the competent authority kinds,
excluded topics, rejection reasons).

Thresholds follow the Law "On public control" (DOMAIN.md §1.2): Government 50,000; regional akimat 1 % and
regional maslikhat 2 % of residents; district akimat 2,500 where the population exceeds 50,000, else 5 %;
district maslikhat 5,000, else 10 %; a rural district a configurable share. Admins change them at
``/petitions/rules`` or with ``flask petitions thresholds``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit
from core.authorities.models import Authority, AuthorityKind
from core.db import db
from core.errors import AppError, Conflict
from core.territories.models import Level
from petitions.models import ThresholdRule

DATA = Path(__file__).parent / "data"

SETTINGS = {
    # Supporters a published petition needs before it appears in the public list (reachable by link until then).
    "PETITIONS_INITIAL_SUPPORTERS": 50,
    # Calendar months a published petition collects signatures.
    "PETITIONS_COLLECTION_MONTHS": 6,
    # Working days moderators have to publish, return or reject a submitted petition.
    "PETITIONS_MODERATION_DAYS": 20,
    # The queue flags a petition due within this many working days.
    "PETITIONS_MODERATION_NEAR_DAYS": 5,
    # A moderator's hold on a petition lapses after this many hours without a decision.
    "PETITIONS_MODERATION_LOCK_HOURS": 8,
    # Rows the signature count is spread over (concurrent signers of one petition update different rows).
    "PETITIONS_TALLY_SHARDS": 16,
    # Rate limits (Flask-Limiter syntax), per account and per address.
    "PETITIONS_FILE_LIMIT": "5 per hour;20 per day",
    "PETITIONS_SIGN_LIMIT": "30 per minute;300 per day",
    "PETITIONS_SIGN_IP_LIMIT": "120 per minute",
    # Seconds anonymous readers may get a petition page from the cache (its count is always read afresh).
    "PETITIONS_PAGE_CACHE_SECONDS": 10,
    # Serve cached page reads and successful signatures in front of the Flask app (petitions/hot.py); signing
    # there needs PostgreSQL. Off, every request takes the full path.
    "PETITIONS_HOT_PATH": True,
    # Seconds the signatures-by-territory breakdown of a petition page may be reused.
    "PETITIONS_BREAKDOWN_CACHE_SECONDS": 30,
    # When rq's cron scheduler runs the petitions sweep (closes petitions whose window ended).
    "PETITIONS_SWEEP_CRON": "17 * * * *",
    # Data files; None means the ones shipped in petitions/data/.
    "PETITIONS_TOPICS_FILE": None,
    "PETITIONS_EXCLUDED_TOPICS_FILE": None,
    "PETITIONS_REJECT_REASONS_FILE": None,
}


def configure(app) -> None:
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)


def setting(key: str):
    return current_app.config.get(f"PETITIONS_{key}", SETTINGS[f"PETITIONS_{key}"])


def initial_supporters() -> int:
    return max(0, int(setting("INITIAL_SUPPORTERS")))


def collection_months() -> int:
    return max(1, int(setting("COLLECTION_MONTHS")))


def moderation_days() -> int:
    return max(1, int(setting("MODERATION_DAYS")))


def moderation_near_days() -> int:
    return max(0, int(setting("MODERATION_NEAR_DAYS")))


def moderation_lock_hours() -> int:
    return max(1, int(setting("MODERATION_LOCK_HOURS")))


def tally_shards() -> int:
    return min(max(1, int(setting("TALLY_SHARDS"))), 256)


# -- thresholds -----------------------------------------------------------------------------------------


class Scope:
    GOVERNMENT = "government"
    MINISTRY = "ministry"
    CITY_AKIMAT = "city_akimat"
    REGIONAL_AKIMAT = "regional_akimat"
    REGIONAL_MASLIKHAT = "regional_maslikhat"
    DISTRICT_AKIMAT = "district_akimat"
    DISTRICT_MASLIKHAT = "district_maslikhat"
    RURAL_AKIM = "rural_akim"


SCOPE_LABELS = {
    Scope.GOVERNMENT: _l("Government"),
    Scope.MINISTRY: _l("Ministry"),
    Scope.CITY_AKIMAT: _l("Akimat of a city of republican significance"),
    Scope.REGIONAL_AKIMAT: _l("Regional akimat"),
    Scope.REGIONAL_MASLIKHAT: _l("Regional or city maslikhat"),
    Scope.DISTRICT_AKIMAT: _l("District or city akimat"),
    Scope.DISTRICT_MASLIKHAT: _l("District or city maslikhat"),
    Scope.RURAL_AKIM: _l("Rural district akim's office"),
}
SCOPES = tuple(SCOPE_LABELS)


@dataclass(frozen=True)
class Threshold:
    """A threshold rule: ``fixed`` above ``large_from`` residents (or always, with no percent); else
    ``percent`` of the residents; ``fallback`` where the population is not known."""

    fixed: int | None = None
    percent: Decimal | None = None
    large_from: int | None = None
    fallback: int | None = None

    def required(self, population: int | None) -> int:
        if population is None or population <= 0:
            return max(1, self.fallback or self.fixed or 1)
        if self.percent is None or (self.large_from is not None and population > self.large_from):
            return max(1, self.fixed or self.fallback or 1)
        return max(1, math.ceil(population * self.percent / 100))


DEFAULTS: dict[str, Threshold] = {
    Scope.GOVERNMENT: Threshold(fixed=50_000),
    Scope.MINISTRY: Threshold(fixed=50_000),
    Scope.CITY_AKIMAT: Threshold(percent=Decimal(1), fallback=10_000),
    Scope.REGIONAL_AKIMAT: Threshold(percent=Decimal(1), fallback=10_000),
    Scope.REGIONAL_MASLIKHAT: Threshold(percent=Decimal(2), fallback=20_000),
    Scope.DISTRICT_AKIMAT: Threshold(fixed=2_500, large_from=50_000, percent=Decimal(5), fallback=2_500),
    Scope.DISTRICT_MASLIKHAT: Threshold(fixed=5_000, large_from=50_000, percent=Decimal(10), fallback=5_000),
    Scope.RURAL_AKIM: Threshold(percent=Decimal(5), fallback=100),
}


def scope_of(authority: Authority) -> str | None:
    """The threshold scope of an addressee, or None where petitions cannot be addressed (the Kurultai)."""
    kind = authority.kind
    if kind == AuthorityKind.MASLIKHAT:
        territory = authority.territory
        regional = territory is None or territory.level == Level.REGION
        return Scope.REGIONAL_MASLIKHAT if regional else Scope.DISTRICT_MASLIKHAT
    return {
        AuthorityKind.GOVERNMENT: Scope.GOVERNMENT,
        AuthorityKind.MINISTRY: Scope.MINISTRY,
        AuthorityKind.CITY_AKIMAT: Scope.CITY_AKIMAT,
        AuthorityKind.REGIONAL_AKIMAT: Scope.REGIONAL_AKIMAT,
        AuthorityKind.DISTRICT_AKIMAT: Scope.DISTRICT_AKIMAT,
        AuthorityKind.RURAL_AKIM: Scope.RURAL_AKIM,
    }.get(kind)


def _from_row(row: ThresholdRule) -> Threshold:
    return Threshold(fixed=row.fixed, percent=row.percent, large_from=row.large_from, fallback=row.fallback)


def rule_for(authority: Authority) -> tuple[str | None, Threshold | None]:
    """The scope and the rule that applies to ``authority``: its own row, its scope's row, the default."""
    scope = scope_of(authority)
    if scope is None:
        return None, None
    row = db.session.scalar(sa.select(ThresholdRule).where(ThresholdRule.authority_id == authority.id))
    if row is None:
        row = db.session.scalar(
            sa.select(ThresholdRule).where(ThresholdRule.scope == scope, ThresholdRule.authority_id.is_(None))
        )
    return scope, (_from_row(row) if row is not None else DEFAULTS[scope])


def population_of(authority: Authority) -> int | None:
    """Residents of the addressee's territory; None for central bodies and where it is not known."""
    territory = authority.territory
    return territory.population if territory is not None else None


def threshold_for(authority: Authority) -> tuple[int, int | None, str | None]:
    """(signatures required, the population used, the scope) for a petition to ``authority``."""
    scope, rule = rule_for(authority)
    if rule is None:
        raise ThresholdError(_l("Petitions cannot be addressed to this body."))
    population = None if scope in (Scope.GOVERNMENT, Scope.MINISTRY) else population_of(authority)
    return rule.required(population), population, scope


class ThresholdError(AppError):
    message = _l("This threshold rule is not valid.")


def _check_rule(fixed, percent, large_from, fallback) -> None:
    if fixed is None and percent is None:
        raise ThresholdError(_l("Give a fixed number of signatures, a share of residents, or both."))
    for value in (fixed, large_from, fallback):
        if value is not None and not 1 <= value <= 100_000_000:
            raise ThresholdError(_l("Numbers of signatures and residents must be between 1 and 100,000,000."))
    if percent is not None and not Decimal("0.001") <= Decimal(percent) <= 100:
        raise ThresholdError(_l("A share of residents must be more than 0 and at most 100 %."))
    if large_from is not None and (fixed is None or percent is None):
        raise ThresholdError(_l("A population limit needs both a fixed number and a share."))


def set_rule(
    scope: str,
    fixed: int | None = None,
    percent: Decimal | None = None,
    large_from: int | None = None,
    fallback: int | None = None,
    authority: Authority | None = None,
    note: str = "",
    actor=None,
) -> ThresholdRule:
    """Create or change the rule for a scope (or for one authority, whose scope it keeps)."""
    if authority is not None:
        scope = scope_of(authority) or ""
    if scope not in SCOPES:
        raise ThresholdError(_l("Choose a kind of addressee from the list."))
    _check_rule(fixed, percent, large_from, fallback)
    statement = sa.select(ThresholdRule)
    if authority is not None:
        statement = statement.where(ThresholdRule.authority_id == authority.id)
    else:
        statement = statement.where(ThresholdRule.scope == scope, ThresholdRule.authority_id.is_(None))
    row = db.session.scalar(statement)
    if row is None:
        row = ThresholdRule(scope=scope, authority_id=authority.id if authority is not None else None)
        db.session.add(row)
    row.fixed, row.percent, row.large_from, row.fallback = fixed, percent, large_from, fallback
    row.note = (note or "")[:300]
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("Someone saved this rule at the same moment. Reload the page and try again.")) from exc
    audit.record(
        "petitions.threshold_set",
        row,
        actor,
        scope=scope,
        authority_id=row.authority_id,
        fixed=fixed,
        percent=str(percent) if percent is not None else None,
        large_from=large_from,
        fallback=fallback,
    )
    return row


def remove_rule(row: ThresholdRule, actor=None) -> None:
    audit.record("petitions.threshold_removed", row, actor, scope=row.scope, authority_id=row.authority_id)
    db.session.delete(row)
    db.session.flush()


def rules_table() -> list[tuple[str, Threshold, ThresholdRule | None]]:
    """Every scope with the rule in force and its row (None: the default applies)."""
    rows = {
        r.scope: r for r in db.session.scalars(sa.select(ThresholdRule).where(ThresholdRule.authority_id.is_(None)))
    }
    return [(s, _from_row(rows[s]) if s in rows else DEFAULTS[s], rows.get(s)) for s in SCOPES]


def authority_rules() -> list[ThresholdRule]:
    return list(
        db.session.scalars(
            sa.select(ThresholdRule).where(ThresholdRule.authority_id.is_not(None)).order_by(ThresholdRule.id)
        )
    )


# -- lists kept as data files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """An item of a data list: a code, its name in kk/ru/en, and list-specific extras."""

    code: str
    names: dict
    extra: dict

    @property
    def name(self) -> str:
        language = str(get_locale() or "kk")
        return self.names.get(language) or self.names.get("ru") or self.code


@lru_cache(maxsize=16)
def _load(path: str) -> tuple[Entry, ...]:
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = []
    for item in items:
        names = {lang: item[lang] for lang in ("kk", "ru", "en") if item.get(lang)}
        extra = {k: v for k, v in item.items() if k not in ("code", "kk", "ru", "en")}
        entries.append(Entry(code=item["code"], names=names, extra=extra))
    return tuple(entries)


def _list(setting_key: str, default_name: str) -> tuple[Entry, ...]:
    return _load(str(setting(setting_key) or DATA / default_name))


def topics() -> tuple[Entry, ...]:
    """Petition topics; ``extra["competent"]`` lists the authority kinds that decide such matters."""
    return _list("TOPICS_FILE", "topics.json")


def topic(code: str | None) -> Entry | None:
    return next((t for t in topics() if t.code == code), None)


def excluded_topics() -> tuple[Entry, ...]:
    """Matters that cannot be petitioned (the author acknowledges the list before sending)."""
    return _list("EXCLUDED_TOPICS_FILE", "excluded_topics.json")


def reject_reasons() -> tuple[Entry, ...]:
    """Coded rejection reasons; ``extra["public"]`` says whether the reason is shown on public pages."""
    return _list("REJECT_REASONS_FILE", "reject_reasons.json")


def reject_reason(code: str | None) -> Entry | None:
    return next((r for r in reject_reasons() if r.code == code), None)
