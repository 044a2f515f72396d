"""Read-side queries of petitions: the public list with its filters, search and sorting (shared by the list
page, the Atom feed and the JSON API)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db
from core.territories.models import Territory
from feedback.models import Case, CaseState
from petitions import rules
from petitions.models import Petition, PetitionState
from petitions.services import Counts, _code_prefix, _stems, counts_for, total_column

PER_PAGE = 20
PER_PAGE_MAX = 100


class Status(enum.StrEnum):
    """What the public filters by: the petition's state, and once it is a case, the case's."""

    COLLECTING = "collecting"
    CONSIDERING = "considering"  # reached; the authority has not answered yet
    ANSWERED = "answered"
    ESCALATED = "escalated"
    NOT_REACHED = "not_reached"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.COLLECTING: _l("Collecting signatures"),
    Status.CONSIDERING: _l("Awaiting the authority's answer"),
    Status.ANSWERED: _l("Answered"),
    Status.ESCALATED: _l("Escalated to a higher level"),
    Status.NOT_REACHED: _l("Threshold not reached"),
}
WAITING_CASE_STATES = (CaseState.OPENED, CaseState.AWAITING, CaseState.OVERDUE)
ANSWERED_CASE_STATES = (CaseState.ANSWERED, CaseState.RESOLVED, CaseState.CLOSED)


class LevelFilter(enum.StrEnum):
    """The addressee's level."""

    NATIONAL = "national"
    REGION = "region"
    DISTRICT = "district"
    RURAL = "rural"

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    LevelFilter.NATIONAL: _l("Government and ministries"),
    LevelFilter.REGION: _l("Regions and cities of republican significance"),
    LevelFilter.DISTRICT: _l("Districts and cities"),
    LevelFilter.RURAL: _l("Rural districts and villages"),
}
LEVEL_SCOPES = {
    LevelFilter.NATIONAL: (rules.Scope.GOVERNMENT, rules.Scope.MINISTRY),
    LevelFilter.REGION: (rules.Scope.REGIONAL_AKIMAT, rules.Scope.CITY_AKIMAT, rules.Scope.REGIONAL_MASLIKHAT),
    LevelFilter.DISTRICT: (rules.Scope.DISTRICT_AKIMAT, rules.Scope.DISTRICT_MASLIKHAT),
    LevelFilter.RURAL: (rules.Scope.RURAL_AKIM,),
}


class Sort(enum.StrEnum):
    SIGNED = "signed"
    NEWEST = "newest"
    ENDING = "ending"
    ANSWERED = "answered"

    @property
    def label(self) -> str:
        return str(SORT_LABELS[self])


SORT_LABELS = {
    Sort.SIGNED: _l("Most signed"),
    Sort.NEWEST: _l("Newest"),
    Sort.ENDING: _l("Ending soon"),
    Sort.ANSWERED: _l("Recently answered"),
}


def status_of(petition: Petition) -> Status | None:
    """The public status of one petition (what ``Filters.status`` selects it by); None for a petition the
    public list does not show, or whose case was withdrawn."""
    if petition.state == PetitionState.COLLECTING:
        return Status.COLLECTING
    if petition.state == PetitionState.NOT_REACHED:
        return Status.NOT_REACHED
    if petition.state != PetitionState.REACHED or petition.case is None:
        return None
    state = petition.case.state
    if state in WAITING_CASE_STATES:
        return Status.CONSIDERING
    if state in ANSWERED_CASE_STATES:
        return Status.ANSWERED
    if state == CaseState.ESCALATED:
        return Status.ESCALATED
    return None


@dataclass
class Filters:
    status: Status | None = None
    level: LevelFilter | None = None
    territory: Territory | None = None
    topic: str | None = None
    query: str = ""
    sort: Sort = Sort.SIGNED


@dataclass
class PetitionPage:
    items: list[Petition]
    counts: dict[int, Counts]
    page: int
    per_page: int
    total: int
    filters: Filters = field(default_factory=Filters)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def public_statement(filters: Filters):
    """Listed public petitions matching the filters (unsorted; no paging)."""
    statement = (
        sa.select(Petition)
        .outerjoin(Case, Case.id == Petition.case_id)
        .where(
            Petition.state.in_((PetitionState.COLLECTING, PetitionState.REACHED, PetitionState.NOT_REACHED)),
            Petition.listed_at.is_not(None),
        )
    )
    status = filters.status
    if status == Status.COLLECTING:
        statement = statement.where(Petition.state == PetitionState.COLLECTING)
    elif status == Status.NOT_REACHED:
        statement = statement.where(Petition.state == PetitionState.NOT_REACHED)
    elif status == Status.CONSIDERING:
        statement = statement.where(Petition.state == PetitionState.REACHED, Case.state.in_(WAITING_CASE_STATES))
    elif status == Status.ANSWERED:
        statement = statement.where(Petition.state == PetitionState.REACHED, Case.state.in_(ANSWERED_CASE_STATES))
    elif status == Status.ESCALATED:
        statement = statement.where(Petition.state == PetitionState.REACHED, Case.state == CaseState.ESCALATED)
    if filters.level is not None:
        statement = statement.where(Petition.threshold_scope.in_(LEVEL_SCOPES[filters.level]))
    if filters.territory is not None:
        statement = statement.where(
            Petition.territory_code.startswith(_code_prefix(filters.territory), autoescape=True)
        )
    if filters.topic:
        statement = statement.where(Petition.topic == filters.topic)
    for stem in _stems(filters.query or "", 6):
        statement = statement.where(Petition.search_text.contains(stem, autoescape=True))
    return statement


def sorted_statement(filters: Filters):
    statement = public_statement(filters)
    sort = filters.sort
    if sort == Sort.NEWEST:
        return statement.order_by(Petition.published_at.desc(), Petition.id.desc())
    if sort == Sort.ENDING:
        collecting_first = sa.case((Petition.state == PetitionState.COLLECTING, 0), else_=1)
        return statement.order_by(collecting_first, Petition.closes_on.asc(), Petition.id)
    if sort == Sort.ANSWERED:
        return statement.where(Case.answered_at.is_not(None)).order_by(Case.answered_at.desc(), Petition.id.desc())
    return statement.order_by(total_column().desc(), Petition.id.desc())


def public_petitions(filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> PetitionPage:
    per_page = min(max(1, per_page), PER_PAGE_MAX)
    page = max(1, page)
    # counted over the sorted statement: sorting by "recently answered" also leaves out the unanswered
    base = sorted_statement(filters).order_by(None)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.with_only_columns(Petition.id).subquery()))
    items = list(db.session.scalars(sorted_statement(filters).limit(per_page).offset((page - 1) * per_page)).unique())
    return PetitionPage(
        items=items,
        counts=counts_for(p.id for p in items),
        page=page,
        per_page=per_page,
        total=int(total or 0),
        filters=filters,
    )


def feed_items(limit: int = 50) -> list[tuple[str, Petition]]:
    """For the Atom feed: petitions newly listed and petitions newly answered, newest first, as
    ("new" | "answered", petition)."""
    new = db.session.scalars(public_statement(Filters()).order_by(Petition.listed_at.desc()).limit(limit)).unique()
    answered = db.session.scalars(
        public_statement(Filters()).where(Case.answered_at.is_not(None)).order_by(Case.answered_at.desc()).limit(limit)
    ).unique()
    entries = [("new", p, p.listed_at) for p in new] + [("answered", p, p.case.answered_at) for p in answered]
    entries.sort(key=lambda e: e[2], reverse=True)
    return [(kind, p) for kind, p, _ in entries[:limit]]
