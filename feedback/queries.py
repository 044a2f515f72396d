"""Read-only queries behind the loop's pages: the public list of cases, a user's own cases, the
authority inbox with its tabs, sensible redirect targets, stored deadline rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import (
    KIND_ORDER,
    Page,
    authorities_below,
    authorities_of_territory,
    authority_for_territory,
)
from core.calendar import add_working_days
from core.db import db
from core.territories.models import Territory
from feedback import rules, services
from feedback.models import OPEN_STATES, Case, CaseParticipant, CaseSource, CaseState, DeadlineRule

PER_PAGE = 20


def _paginate(stmt, page: int, per_page: int = PER_PAGE) -> Page:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)


def parse_enum(enum_cls, value: str | None):
    """An enum member for a query-string value, or None for anything else."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


# -- the public list -------------------------------------------------------------------------------------


def title_matches(query: str):
    """Titles containing ``query``. SQLite's LIKE folds only ASCII case, so the lower-case and capitalised
    forms of the query are tried too (Cyrillic titles); PostgreSQL's ILIKE folds every letter."""
    needle = " ".join(query.split())
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    variants = {escaped, escaped.lower(), escaped.capitalize()}
    return sa.or_(*(Case.title.ilike(f"%{v}%", escape="\\") for v in sorted(variants)))


def public_cases(
    state: CaseState | None = None,
    source: CaseSource | None = None,
    authority_id: int | None = None,
    query: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    stmt = sa.select(Case)
    if state is not None:
        stmt = stmt.where(Case.state == state)
    if source is not None:
        stmt = stmt.where(Case.source == source)
    if authority_id is not None:
        stmt = stmt.where(Case.authority_id == authority_id)
    if query.strip():
        stmt = stmt.where(title_matches(query))
    return _paginate(stmt.order_by(Case.opened_at.desc(), Case.id.desc()), page, per_page)


# -- my cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainSummary:
    first: Case  # where the user's voice was raised
    top: Case  # where it is now
    levels: int


def my_chains(user, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """The chains of cases a user takes part in, newest first: one row per chain, with its first case
    and the highest one (where the matter is now)."""
    root = sa.func.coalesce(Case.root_id, Case.id)
    roots = (
        sa.select(root.label("root"), sa.func.max(Case.opened_at).label("latest"))
        .join(CaseParticipant, CaseParticipant.case_id == Case.id)
        .where(CaseParticipant.user_id == user.id)
        .group_by(root)
        .subquery()
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(roots)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    root_ids = list(
        db.session.scalars(
            sa.select(roots.c.root)
            .order_by(roots.c.latest.desc(), roots.c.root.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    by_root: dict[int, list[Case]] = {r: [] for r in root_ids}
    if root_ids:
        for case in db.session.scalars(
            sa.select(Case).where(root.in_(root_ids)).order_by(Case.level, Case.id)
        ).unique():
            by_root[case.root_id or case.id].append(case)
    items = [ChainSummary(first=cases[0], top=cases[-1], levels=len(cases)) for cases in by_root.values() if cases]
    return Page(items=items, total=total, page=page, per_page=per_page)


# -- the inbox ------------------------------------------------------------------------------------------

INBOX_TABS = ("new", "due_soon", "overdue", "extended", "answered", "all")


def _open():
    return Case.state.in_(OPEN_STATES)


def due_soon_cutoff(on: date) -> date:
    """Cases due before this date (and not late) are due within ``rules.due_soon_days()`` working days,
    as ``services.deadline_status`` counts them."""
    return add_working_days(on, rules.due_soon_days() + 1)


def inbox_filters(on: date) -> dict:
    return {
        "new": Case.state == CaseState.OPENED,
        "due_soon": sa.and_(
            Case.state.in_([CaseState.OPENED, CaseState.AWAITING]),
            Case.due_on >= on,
            Case.due_on < due_soon_cutoff(on),
        ),
        "overdue": sa.or_(Case.state == CaseState.OVERDUE, sa.and_(_open(), Case.due_on < on)),
        "extended": sa.and_(_open(), Case.extended_at.is_not(None)),
        "answered": Case.state == CaseState.ANSWERED,
        "all": sa.true(),
    }


def inbox_counts(authority: Authority, on: date) -> dict[str, int]:
    filters = inbox_filters(on)
    row = db.session.execute(
        sa.select(*(sa.func.count().filter(where).label(tab) for tab, where in filters.items())).where(
            Case.authority_id == authority.id
        )
    ).one()
    return {tab: int(getattr(row, tab) or 0) for tab in filters}


def inbox(authority: Authority, tab: str, on: date, page: int = 1, per_page: int = PER_PAGE) -> Page:
    where = inbox_filters(on)[tab]
    stmt = sa.select(Case).where(Case.authority_id == authority.id, where).options(selectinload(Case.assignee))
    if tab == "answered":
        stmt = stmt.order_by(Case.answered_at.desc(), Case.id.desc())
    elif tab == "all":
        stmt = stmt.order_by(Case.opened_at.desc(), Case.id.desc())
    else:
        stmt = stmt.order_by(Case.due_on, Case.id)
    return _paginate(stmt, page, per_page)


def inbox_authorities(user) -> list[Authority]:
    ids = sorted(user.authority_ids()) if getattr(user, "is_authenticated", False) else []
    if not ids:
        return []
    found = db.session.scalars(sa.select(Authority).where(Authority.id.in_(ids))).unique().all()
    return sorted(found, key=lambda a: (KIND_ORDER.index(a.kind), a.name_ru, a.id))


# -- redirect targets -----------------------------------------------------------------------------------


def redirect_targets(case: Case) -> list[tuple[str, list[Authority]]]:
    """Sensible authorities to redirect a case to, in groups: the ladder above the case's place (and its
    maslikhats), the authorities below the current one, and the ministries. The case's own authority and
    the National Kurultai (reached only by escalation) are left out."""
    skip = {case.authority_id} | services.authorities_that_held(case)
    seen: set[int] = set()

    def keep(items) -> list[Authority]:
        kept = []
        for a in items:
            if a.id in skip or a.id in seen or a.kind == AuthorityKind.KURULTAI:
                continue
            seen.add(a.id)
            kept.append(a)
        return kept

    above: list[Authority] = []
    if case.territory_code:
        lowest = authority_for_territory(case.territory_code)
        if lowest is not None:
            above.extend(lowest.ladder())
        territory = db.session.get(Territory, case.territory_code)
        if territory is not None:
            for place in [territory, *reversed(territory.ancestors())]:
                above.extend(a for a in authorities_of_territory(place.code) if a.kind == AuthorityKind.MASLIKHAT)
    above.extend(case.authority.ladder())
    groups = [
        ("above", keep(above)),
        ("below", keep(authorities_below(case.authority))),
        (
            "ministries",
            keep(
                db.session.scalars(
                    sa.select(Authority).where(Authority.kind == AuthorityKind.MINISTRY).order_by(Authority.name_ru)
                ).unique()
            ),
        ),
    ]
    return [(name, items) for name, items in groups if items]


# -- rules ----------------------------------------------------------------------------------------------


def stored_rules() -> list[DeadlineRule]:
    return list(
        db.session.scalars(
            sa.select(DeadlineRule).order_by(DeadlineRule.source, DeadlineRule.scope, DeadlineRule.authority_id)
        )
    )


def authorities_by_id(ids) -> dict[int, Authority]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(sa.select(Authority).where(Authority.id.in_(ids))).unique()}
