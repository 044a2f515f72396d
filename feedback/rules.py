"""The loop's rules as data: deadline rows per source and authority level, and the installation's settings.

Deadlines are rows of ``deadline_rules`` (admins edit them at /cases/rules, or ``flask feedback rules``);
where no row matches, ``DEFAULTS`` apply. The other rules are settings (``FEEDBACK_*``, from code defaults,
``instance/config.py`` or the environment), each read through one function here.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit
from core.authorities.models import Authority, AuthorityKind
from core.db import db
from core.errors import AppError, Conflict
from feedback.models import CaseSource, DeadlineRule, DeadlineScope

#: Kazakhstan practice (DESIGN.md "Rules are data"): appeals-type cases 15 working days; petitions 20 for
#: local bodies and 40 for central ones. Keys: (source or "", scope).
DEFAULTS: dict[tuple[str, str], int] = {
    ("", DeadlineScope.ANY): 15,
    (CaseSource.PROPOSAL, DeadlineScope.ANY): 15,
    (CaseSource.KURULTAI_PROPOSAL, DeadlineScope.ANY): 15,
    (CaseSource.PETITION, DeadlineScope.LOCAL): 20,
    (CaseSource.PETITION, DeadlineScope.CENTRAL): 40,
}

SETTINGS = {
    # Working days participants have to rate an answer.
    "FEEDBACK_RATING_WINDOW_DAYS": 10,
    # A case overdue by more than this many working days escalates to the parent authority.
    "FEEDBACK_ESCALATE_AFTER_OVERDUE_DAYS": 5,
    # A dissatisfied majority escalates only with at least this many ratings.
    "FEEDBACK_MIN_RATINGS": 1,
    # Working days after receipt in which an officer may redirect a case, or announce the extension.
    "FEEDBACK_REDIRECT_WINDOW_DAYS": 3,
    "FEEDBACK_EXTENSION_NOTICE_DAYS": 3,
    # An extension moves the deadline by at most this many calendar months.
    "FEEDBACK_EXTENSION_MAX_MONTHS": 2,
    # The inbox flags a case due within this many working days.
    "FEEDBACK_DUE_SOON_DAYS": 3,
    # Responsiveness figures are shown only for an authority with at least this many cases.
    "FEEDBACK_STATS_MIN_CASES": 5,
    # When rq's cron scheduler runs the sweep (``flask jobs cron``).
    "FEEDBACK_SWEEP_CRON": "7 * * * *",
}


def configure(app) -> None:
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)


def setting(key: str) -> int:
    return int(current_app.config.get(f"FEEDBACK_{key}", SETTINGS[f"FEEDBACK_{key}"]))


def rating_window_days() -> int:
    return setting("RATING_WINDOW_DAYS")


def escalate_after_overdue_days() -> int:
    return setting("ESCALATE_AFTER_OVERDUE_DAYS")


def min_ratings() -> int:
    return max(1, setting("MIN_RATINGS"))


def redirect_window_days() -> int:
    return setting("REDIRECT_WINDOW_DAYS")


def extension_notice_days() -> int:
    return setting("EXTENSION_NOTICE_DAYS")


def extension_max_months() -> int:
    return setting("EXTENSION_MAX_MONTHS")


def due_soon_days() -> int:
    return setting("DUE_SOON_DAYS")


def stats_min_cases() -> int:
    return setting("STATS_MIN_CASES")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clipped to the month's end (31 Dec + 2 months = 28/29 Feb)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


# -- deadlines ------------------------------------------------------------------------------------------


def scopes_of(kind: AuthorityKind) -> tuple[str, ...]:
    """Scopes that cover an authority kind, most specific first."""
    level = DeadlineScope.CENTRAL if kind.is_central else DeadlineScope.LOCAL
    return (kind.value, level.value, DeadlineScope.ANY.value)


def _specificity(rule_source: str, rule_scope: str, rule_authority: int | None, kind: AuthorityKind) -> tuple:
    scopes = scopes_of(kind)
    return (0 if rule_authority is not None else 1 + scopes.index(rule_scope), 0 if rule_source else 1)


class DeadlineTable:
    """All deadline rows, loaded once, answering "how many working days" for (source, authority)."""

    def __init__(self) -> None:
        self.rows = [
            (r.source, r.scope, r.authority_id, r.working_days)
            for r in db.session.execute(
                sa.select(DeadlineRule.source, DeadlineRule.scope, DeadlineRule.authority_id, DeadlineRule.working_days)
            )
        ]

    def working_days(self, source: CaseSource | str, kind: AuthorityKind, authority_id: int | None = None) -> int:
        """The most specific of the defaults and the stored rows together (a stored row replaces the default
        with the same source and scope), so a general row never shadows a more specific default."""
        source = str(source)
        scopes = scopes_of(kind)
        merged = {(str(s), str(scope), None): days for (s, scope), days in DEFAULTS.items()}
        merged.update({(s, scope, a): days for s, scope, a, days in self.rows})
        candidates = [
            (_specificity(s, scope, a, kind), days)
            for (s, scope, a), days in merged.items()
            if s in ("", source) and (a == authority_id if a is not None else scope in scopes)
        ]
        return min(candidates)[1]

    def authority_overrides(self) -> set[int]:
        return {a for _, _, a, _ in self.rows if a is not None}


def response_working_days(source: CaseSource | str, authority: Authority) -> int:
    return DeadlineTable().working_days(source, authority.kind, authority.id)


def effective_rules() -> list[dict]:
    """Every (source, scope) default with the working days in force, then every stored row, for display."""
    table = DeadlineTable()
    stored = {(s, scope, a): days for s, scope, a, days in table.rows}
    shown = []
    for (source, scope), days in DEFAULTS.items():
        key = (str(source), str(scope), None)
        shown.append(
            {
                "source": str(source),
                "scope": str(scope),
                "authority_id": None,
                "working_days": stored.get(key, days),
                "default": days,
                "stored": key in stored,
            }
        )
    for (source, scope, authority_id), days in stored.items():
        if (source, scope) in DEFAULTS and authority_id is None:
            continue
        shown.append(
            {
                "source": source,
                "scope": scope,
                "authority_id": authority_id,
                "working_days": days,
                "default": None,
                "stored": True,
            }
        )
    return shown


VALID_SCOPES = {s.value for s in DeadlineScope} | {k.value for k in AuthorityKind}


def set_rule(
    source: str, scope: str, working_days: int, authority: Authority | None = None, note: str = "", actor=None
) -> DeadlineRule:
    """Create or change a deadline row (the most specific wins when cases are opened)."""
    source = source or ""
    if source and source not in {s.value for s in CaseSource}:
        raise AppError(_l("Unknown case source: %(source)s", source=source))
    if authority is not None:
        scope = DeadlineScope.ANY.value
    if scope not in VALID_SCOPES:
        raise AppError(_l("Unknown scope: %(scope)s", scope=scope))
    if not 1 <= int(working_days) <= 250:
        raise AppError(_l("A deadline is between 1 and 250 working days."))
    authority_id = authority.id if authority is not None else None
    rule = db.session.scalar(
        sa.select(DeadlineRule).where(
            DeadlineRule.source == source,
            DeadlineRule.scope == scope,
            DeadlineRule.authority_id.is_(None) if authority_id is None else DeadlineRule.authority_id == authority_id,
        )
    )
    before = rule.working_days if rule is not None else None
    if rule is None:
        rule = DeadlineRule(source=source, scope=scope, authority_id=authority_id, working_days=int(working_days))
        try:
            with db.session.begin_nested():
                db.session.add(rule)
        except IntegrityError as exc:  # another admin saved the same rule a moment ago
            raise Conflict(_l("This rule was just saved by someone else. Reload the page and try again.")) from exc
    rule.working_days = int(working_days)
    rule.note = note or ""
    db.session.flush()
    audit.record(
        "feedback.rule_set",
        rule,
        actor,
        source=source,
        scope=scope,
        authority_id=authority_id,
        working_days=int(working_days),
        before=before,
    )
    return rule


def remove_rule(rule: DeadlineRule, actor=None) -> None:
    audit.record(
        "feedback.rule_removed",
        rule,
        actor,
        source=rule.source,
        scope=rule.scope,
        authority_id=rule.authority_id,
        working_days=rule.working_days,
    )
    db.session.delete(rule)
    db.session.flush()
