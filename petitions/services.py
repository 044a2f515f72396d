"""Petition rules and transitions: filing, moderation, signing, paper signatures, thresholds and the hand-over
into the loop. Services flush, never commit (except where a step must happen after the signer's commit: see
``after_signing``, which the caller runs in its own unit of work).

Lifecycle::

    draft ─► pending (moderation) ─► collecting ─► reached (a case in the loop)
      ▲          │  │                   │
      └ returned ┘  └► rejected          └► not_reached (the window ended below the threshold)

Signing stays exact under load without one hot row: each signature is a row (one per IIN per petition,
enforced by a unique constraint), and the count lives in ``signature_tallies``, a few rows per petition of
which each signer bumps a random one in the same transaction. A signer holds ``FOR KEY SHARE`` on the
petition row (shared, so signers never wait for each other), and the hand-over takes ``FOR UPDATE``, so no
signature can slip in while the signers are being turned into participants of the case.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from core import audit
from core.accounts.models import User, public_name
from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import authorities_of_territory
from core.calendar import add_working_days, working_days_between
from core.db import UTCDateTime, autocommit_row, db
from core.errors import AppError, Conflict, NotAllowed
from core.iin import iin_hash, is_valid_iin, normalize
from core.jobs import enqueue_after_commit
from core.sanitize import clean_html, plain_text
from core.territories.models import Level, Territory
from feedback import services as loop
from feedback.models import Case, CaseSource, ParticipantRole
from feedback.rules import add_months
from petitions import rules
from petitions.models import (
    PaperBatch,
    Petition,
    PetitionEvent,
    PetitionEventKind,
    PetitionState,
    Signature,
    SignatureKind,
    SignatureTally,
)

TITLE_MIN = 10
TITLE_MAX = 200
BODY_MIN = 50
#: A case's text holds at most 10,000 characters; the petition's text travels into it whole.
BODY_MAX = 10_000
NOTE_MAX = 2_000
PAPER_BATCH_MAX = 500
SIMILAR_LIMIT = 5


class PetitionError(AppError):
    message = _l("This cannot be done with this petition.")


class SignError(PetitionError):
    """Why someone may not sign (shown to them as is)."""


class AlreadySigned(Conflict):
    message = _l("You have already signed this petition.")


today = loop.today
current_time = loop.current_time


# -- text -----------------------------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
    ["emphasis", "list", "link", "newline", "blockquote"]
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+", re.UNICODE)


def render_markdown(text: str) -> str:
    """The Markdown subset (paragraphs, emphasis, lists, quotes, links) as sanitised HTML; raw HTML is text."""
    return clean_html(_MARKDOWN.render(text or ""))


def _clean(value: str | None) -> str:
    return _CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()


def check_text(title: str | None, body: str | None) -> tuple[str, str]:
    """A clean title (plain text) and body, or a PetitionError naming what is wrong."""
    title = " ".join(plain_text(_clean(title)).split())
    body = _clean(body)
    if len(title) < TITLE_MIN:
        raise PetitionError(_l("Give the petition a title of at least %(n)d characters.", n=TITLE_MIN))
    if len(title) > TITLE_MAX:
        raise PetitionError(_l("The title can have at most %(n)d characters.", n=TITLE_MAX))
    if len(body) < BODY_MIN:
        raise PetitionError(_l("Explain the petition in at least %(n)d characters.", n=BODY_MIN))
    if len(body) > BODY_MAX:
        raise PetitionError(_l("The text can have at most %(n)d characters.", n=BODY_MAX))
    if not plain_text(render_markdown(body)):
        raise PetitionError(_l("Explain the petition in at least %(n)d characters.", n=BODY_MIN))
    return title, body


def search_key(title: str, body: str) -> str:
    return f"{title}\n{body}".casefold()


def _stems(text: str, limit: int = 12) -> list[str]:
    """Distinct word beginnings (at most six letters: a crude stem that also fits Kazakh suffixes). A word of
    five or six letters loses its last letter, where its ending is ("дорога", "дороги" -> "дорог")."""
    seen: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if len(word) < 4 or word.isdigit():
            continue
        stem = word[: max(4, min(6, len(word) - 1))]
        if stem not in seen:
            seen.append(stem)
        if len(seen) >= limit:
            break
    return seen


# -- looking up -----------------------------------------------------------------------------------------


def get_petition(petition_id: int) -> Petition | None:
    return db.session.get(Petition, petition_id)


def is_officer_of(user, authority_id: int | None) -> bool:
    return loop.is_officer_of(user, authority_id)


def region_and_district(territory) -> tuple[str | None, str | None]:
    """The region and district codes above (or of) a place: a Territory, or its chain as (code, level) pairs."""
    if territory is None:
        return None, None
    if isinstance(territory, Territory):
        chain = [(t.code, t.level) for t in (*territory.ancestors(), territory)]
    else:
        chain = list(territory)
    region = next((code for code, level in chain if level == Level.REGION), None)
    district = next((code for code, level in chain if level == Level.DISTRICT), None)
    return region, district


def addressees(territory_code: str | None, topic_code: str | None = None) -> list[tuple[Authority, bool]]:
    """Who a petition about this place can go to, lowest first: the akim's office and akimats above the place,
    the maslikhats of the place's district and region, and the Government; each flagged True when its kind
    decides matters of the topic (the topic list says which kinds are competent)."""
    territory = db.session.get(Territory, territory_code) if territory_code else None
    if territory is None:
        return []
    found: list[Authority] = [a for a in loop.suggested_authorities(territory.code) if a.kind != AuthorityKind.MINISTRY]
    maslikhats = [
        a
        for t in reversed([*territory.ancestors(), territory])
        for a in authorities_of_territory(t.code)
        if a.kind == AuthorityKind.MASLIKHAT
    ]
    government = [a for a in found if a.kind == AuthorityKind.GOVERNMENT]
    ordered = [a for a in found if a.kind != AuthorityKind.GOVERNMENT] + maslikhats + government
    entry = rules.topic(topic_code)
    competent = set(entry.extra.get("competent", ())) if entry else set()

    def decides(authority: Authority) -> bool:
        return not competent or authority.kind.value in competent

    return [(a, decides(a)) for a in ordered if rules.scope_of(a) is not None]


def _check_addressee(authority: Authority, territory_code: str) -> None:
    if authority.id not in {a.id for a, _ in addressees(territory_code)}:
        raise PetitionError(_l("Choose an addressee responsible for the place the petition is about."))


# -- events ---------------------------------------------------------------------------------------------


def _event(petition: Petition, kind: PetitionEventKind, actor=None, note=None, reason_code=None, count=None):
    db.session.flush()
    event = PetitionEvent(
        petition_id=petition.id,
        kind=kind,
        at=current_time(),
        actor_id=getattr(actor, "id", actor),
        note=note,
        reason_code=reason_code,
        count=count,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _audit(action: str, petition: Petition, actor=None, **details) -> None:
    audit.record(f"petition.{action}", petition, actor, state=petition.state.value, **details)


def _notify_author(petition: Petition, template: str) -> None:
    if petition.author_id is not None:
        from petitions.jobs import notify_author

        enqueue_after_commit(notify_author, petition.id, template)


# -- filing ---------------------------------------------------------------------------------------------


def _check_filer(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAllowed()
    if not user.is_verified:
        raise NotAllowed(_l("Confirm your email address before you start a petition."))
    if not user.has_iin:
        raise NotAllowed(_l("Add your IIN in your profile before you start a petition."))


def _apply(petition: Petition, territory_code, authority: Authority, topic: str, title: str, body: str) -> None:
    territory = db.session.get(Territory, territory_code) if territory_code else None
    if territory is None:
        raise PetitionError(_l("Choose a place from the list."))
    if rules.topic(topic) is None:
        raise PetitionError(_l("Choose a topic from the list."))
    _check_addressee(authority, territory.code)
    title, body = check_text(title, body)
    petition.territory_code = territory.code
    petition.authority_id = authority.id
    petition.authority = authority
    petition.topic = topic
    petition.title = title
    petition.body = body
    petition.body_html = render_markdown(body)
    petition.search_text = search_key(title, body)
    petition.updated_at = current_time()


def create_draft(user: User, territory_code: str, authority: Authority, topic: str, title: str, body: str) -> Petition:
    """A new petition, a draft only its author sees until they send it to moderation."""
    _check_filer(user)
    petition = Petition(state=PetitionState.DRAFT, author_id=user.id, created_at=current_time())
    _apply(petition, territory_code, authority, topic, title, body)
    db.session.add(petition)
    _event(petition, PetitionEventKind.CREATED, user)
    _audit("created", petition, user)
    return petition


def update_draft(
    petition: Petition, user: User, territory_code: str, authority: Authority, topic: str, title: str, body: str
) -> Petition:
    """The author changes the text, place, addressee or topic; allowed until the petition is published."""
    _require_author(petition, user)
    if not petition.is_editable:
        raise Conflict(_l("A published petition can no longer be changed."))
    _apply(petition, territory_code, authority, topic, title, body)
    _event(petition, PetitionEventKind.EDITED, user)
    return petition


def _require_author(petition: Petition, user) -> None:
    if user is None or petition.author_id != getattr(user, "id", None):
        raise NotAllowed()


def submit(petition: Petition, user: User, acknowledged: bool) -> Petition:
    """Send a draft (or a returned petition) to moderation; the author acknowledges the excluded topics."""
    _require_author(petition, user)
    _check_filer(user)
    if petition.state not in (PetitionState.DRAFT, PetitionState.RETURNED):
        raise Conflict(_l("This petition has already been sent to moderation."))
    if not acknowledged:
        raise PetitionError(_l("Confirm that the petition is not about one of the excluded topics."))
    now = current_time()
    previous = petition.state
    petition.state = PetitionState.PENDING
    petition.exclusions_acknowledged_at = now
    petition.submitted_at = now
    petition.moderation_due_on = add_working_days(today(), rules.moderation_days())
    petition.moderator_id = None
    petition.taken_at = None
    _event(petition, PetitionEventKind.SUBMITTED, user)
    _audit("submitted", petition, user, from_state=previous.value)
    return petition


def withdraw(petition: Petition, user: User) -> Petition:
    """The author withdraws a petition before it is published."""
    _require_author(petition, user)
    if not petition.is_editable:
        raise Conflict(_l("A published petition cannot be withdrawn."))
    petition.state = PetitionState.WITHDRAWN
    petition.closed_at = current_time()
    petition.moderator_id = None
    petition.taken_at = None
    _event(petition, PetitionEventKind.WITHDRAWN, user)
    _audit("withdrawn", petition, user)
    return petition


def similar(title: str, body: str = "", exclude_id: int | None = None, limit: int = SIMILAR_LIMIT) -> list[Petition]:
    """Public petitions whose title and text share the most word stems with this one (best first), so an
    author can sign an existing petition instead of starting another."""
    stems = _stems(title, 8) + [s for s in _stems(body, 20) if s not in _stems(title, 8)][:8]
    if not stems:
        return []
    score = sum(
        (sa.case((Petition.search_text.contains(stem, autoescape=True), 2 if i < 8 else 1), else_=0))
        for i, stem in enumerate(stems)
    )
    statement = (
        sa.select(Petition, score.label("score"))
        .where(
            Petition.state.in_((PetitionState.COLLECTING, PetitionState.REACHED)),
            Petition.listed_at.is_not(None),
        )
        .order_by(score.desc(), Petition.id.desc())
        .limit(limit * 4)
    )
    if exclude_id is not None:
        statement = statement.where(Petition.id != exclude_id)
    needed = max(2, min(4, len(stems) // 3))
    return [p for p, s in db.session.execute(statement).unique() if s >= needed][:limit]


# -- moderation -----------------------------------------------------------------------------------------


def is_moderator(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_moderator)


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise NotAllowed()


def lock_expired_before() -> datetime:
    return current_time() - timedelta(hours=rules.moderation_lock_hours())


def holds_lock(petition: Petition, user) -> bool:
    return (
        petition.moderator_id == getattr(user, "id", None)
        and petition.taken_at is not None
        and petition.taken_at > lock_expired_before()
    )


def take(petition: Petition, moderator: User) -> Petition:
    """Take a petition from the queue: a lock, so no two moderators handle the same one. Taken with one
    conditional UPDATE, so two moderators pressing at once cannot both win. A hold lapses after
    ``PETITIONS_MODERATION_LOCK_HOURS``."""
    _require_moderator(moderator)
    now = current_time()
    result = db.session.execute(
        sa.update(Petition)
        .where(
            Petition.id == petition.id,
            Petition.state == PetitionState.PENDING,
            sa.or_(
                Petition.moderator_id.is_(None),
                Petition.moderator_id == moderator.id,
                Petition.taken_at < lock_expired_before(),
            ),
        )
        .values(moderator_id=moderator.id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(petition)
    if result.rowcount != 1:
        if petition.state != PetitionState.PENDING:
            raise Conflict(_l("This petition is no longer waiting for moderation."))
        raise Conflict(_l("Another moderator is handling this petition."))
    _event(petition, PetitionEventKind.TAKEN, moderator)
    return petition


def release(petition: Petition, moderator: User) -> Petition:
    _require_moderator(moderator)
    if not holds_lock(petition, moderator):
        raise Conflict(_l("You are not handling this petition."))
    petition.moderator_id = None
    petition.taken_at = None
    _event(petition, PetitionEventKind.RELEASED, moderator)
    return petition


def _require_hold(petition: Petition, moderator: User) -> None:
    _require_moderator(moderator)
    if petition.state != PetitionState.PENDING:
        raise Conflict(_l("This petition is no longer waiting for moderation."))
    if not holds_lock(petition, moderator):
        raise Conflict(_l("Take the petition before you decide on it."))


def publish(petition: Petition, moderator: User) -> Petition:
    """Publish: collection starts today, with the threshold and window the rules give now."""
    _require_hold(petition, moderator)
    required, population, scope = rules.threshold_for(petition.authority)
    now = current_time()
    start = today()
    petition.state = PetitionState.COLLECTING
    petition.published_at = now
    petition.closes_on = add_months(start, rules.collection_months()) - timedelta(days=1)
    petition.threshold = required
    petition.threshold_population = population
    petition.threshold_scope = scope
    petition.initial_supporters = min(rules.initial_supporters(), required)
    petition.moderation_note = None
    if petition.initial_supporters == 0:
        petition.listed_at = now
    _event(petition, PetitionEventKind.PUBLISHED, moderator, count=required)
    _audit("published", petition, moderator, threshold=required, population=population, scope=scope)
    _notify_author(petition, "petition_published")
    return petition


def return_to_author(petition: Petition, moderator: User, note: str) -> Petition:
    """Send it back to the author for changes, saying what to change."""
    _require_hold(petition, moderator)
    note = _clean(note)
    if not note:
        raise PetitionError(_l("Tell the author what to change."))
    if len(note) > NOTE_MAX:
        raise PetitionError(_l("The note can have at most %(n)d characters.", n=NOTE_MAX))
    petition.state = PetitionState.RETURNED
    petition.moderation_note = note
    petition.moderator_id = None
    petition.taken_at = None
    _event(petition, PetitionEventKind.RETURNED, moderator, note=note)
    _audit("returned", petition, moderator)
    _notify_author(petition, "petition_returned")
    return petition


def reject(petition: Petition, moderator: User, reason_code: str, note: str = "") -> Petition:
    """Reject with a coded reason (some reasons are public, some are told only to the author)."""
    _require_hold(petition, moderator)
    reason = rules.reject_reason(reason_code)
    if reason is None:
        raise PetitionError(_l("Choose a reason from the list."))
    note = _clean(note)
    if len(note) > NOTE_MAX:
        raise PetitionError(_l("The note can have at most %(n)d characters.", n=NOTE_MAX))
    petition.state = PetitionState.REJECTED
    petition.reject_reason = reason.code
    petition.moderation_note = note or None
    petition.closed_at = current_time()
    petition.moderator_id = None
    petition.taken_at = None
    _event(petition, PetitionEventKind.REJECTED, moderator, note=note or None, reason_code=reason.code)
    _audit("rejected", petition, moderator, reason=reason.code)
    _notify_author(petition, "petition_rejected")
    return petition


@dataclass(frozen=True)
class SlaFlag:
    working_days_left: int
    overdue: bool
    near: bool


def moderation_flag(petition: Petition, on: date | None = None) -> SlaFlag | None:
    """How the moderation deadline stands: days left, near due, overdue."""
    if petition.moderation_due_on is None or petition.state != PetitionState.PENDING:
        return None
    on = on or today()
    due = petition.moderation_due_on
    if on > due:
        return SlaFlag(-working_days_between(due, on), True, False)
    left = working_days_between(on, due)
    return SlaFlag(left, False, left <= rules.moderation_near_days())


#: The moderation queue's tabs: free to take (or mine), due within the near days, overdue, held by me, all.
QUEUE_TABS = ("waiting", "near", "overdue", "mine", "all")
QUEUE_PER_PAGE = 20


def queue_filters(moderator, on: date | None = None) -> dict:
    """The condition of each queue tab on pending petitions, as ``moderation_flag`` counts the days."""
    on = on or today()
    me = getattr(moderator, "id", None)
    expired = lock_expired_before()
    held = sa.and_(Petition.moderator_id.is_not(None), Petition.taken_at > expired)
    free = sa.or_(Petition.moderator_id.is_(None), Petition.taken_at.is_(None), Petition.taken_at <= expired)
    return {
        "waiting": sa.or_(free, Petition.moderator_id == me),
        "near": sa.and_(
            Petition.moderation_due_on >= on,
            Petition.moderation_due_on < add_working_days(on, rules.moderation_near_days() + 1),
        ),
        "overdue": Petition.moderation_due_on < on,
        "mine": sa.and_(held, Petition.moderator_id == me),
        "all": sa.true(),
    }


def queue_counts(moderator, on: date | None = None) -> dict[str, int]:
    filters = queue_filters(moderator, on)
    row = db.session.execute(
        sa.select(*(sa.func.count().filter(where).label(tab) for tab, where in filters.items())).where(
            Petition.state == PetitionState.PENDING
        )
    ).one()
    return {tab: int(getattr(row, tab) or 0) for tab in filters}


def moderation_queue(moderator, tab: str, on: date | None = None, page: int = 1, per_page: int = QUEUE_PER_PAGE):
    """One page of a queue tab: pending petitions, the earliest moderation deadline first."""
    from sqlalchemy.orm import selectinload

    from core.authorities.services import Page

    where = queue_filters(moderator, on)[tab]
    statement = sa.select(Petition).where(Petition.state == PetitionState.PENDING, where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(
        db.session.scalars(
            statement.options(selectinload(Petition.author), selectinload(Petition.moderator))
            .order_by(Petition.moderation_due_on, Petition.submitted_at, Petition.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def lock_holder(petition: Petition) -> User | None:
    """Who holds the moderation lock now (None: nobody, or the hold lapsed)."""
    if petition.moderator_id is None or petition.taken_at is None or petition.taken_at <= lock_expired_before():
        return None
    return petition.moderator


# -- signing --------------------------------------------------------------------------------------------


def electorate(petition: Petition) -> Territory | None:
    """Whose residents may sign: the addressee's territory; None means every citizen (central bodies)."""
    authority = petition.authority
    if authority.kind.is_central or authority.territory is None:
        return None
    return authority.territory


def is_collecting(petition: Petition, on: date | None = None) -> bool:
    on = on or today()
    return petition.state == PetitionState.COLLECTING and petition.closes_on is not None and on <= petition.closes_on


def signing_problem(petition: Petition, user) -> str | None:
    """Why ``user`` cannot sign ``petition`` now, in words for them; None when they can."""
    area = electorate(petition)
    home = getattr(user, "home_territory", None) if _signed_in(user) else None
    chain = {t.code for t in (*home.ancestors(), home)} if home is not None else set()
    return _signing_problem(petition.state, petition.closes_on, area.code if area is not None else None, user, chain)


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _electorate_code(kind: AuthorityKind, territory_code: str | None) -> str | None:
    return None if kind.is_central else territory_code


def _signing_problem(
    state: PetitionState, closes_on: date | None, area_code: str | None, user, home_chain: set[str]
) -> str | None:
    """The rules of signing, on plain values: ``home_chain`` holds the codes of the signer's home place and of
    every place above it."""
    if state != PetitionState.COLLECTING:
        return str(_l("This petition is not collecting signatures."))
    if closes_on is None or today() > closes_on:
        return str(_l("The collection of signatures for this petition has ended."))
    if not _signed_in(user):
        return str(_l("Sign in to sign this petition."))
    if not user.is_verified:
        return str(_l("Confirm your email address before you sign."))
    if not user.has_iin:
        return str(_l("Add your IIN in your profile before you sign: it makes sure everyone signs once."))
    if area_code is not None:
        if user.home_territory_code is None:
            return str(_l("Set your home place in your profile: this petition is signed by residents only."))
        if area_code not in home_chain:
            from core.i18n import localized

            area = db.session.get(Territory, area_code)
            home = db.session.get(Territory, user.home_territory_code)
            return str(
                _l(
                    "Only residents of %(place)s can sign this petition; your home place is %(home)s.",
                    place=localized(area) if area is not None else area_code,
                    home=localized(home) if home is not None else user.home_territory_code,
                )
            )
    return None


def _upsert(table, values: dict, index: list[str], update: dict | None):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values)
    if update is None:
        return statement.on_conflict_do_nothing(index_elements=index)
    return statement.on_conflict_do_update(
        index_elements=index, set_={k: getattr(table.c, k) + v for k, v in update.items()}
    )


def _bump_tally(petition_id: int, online: int = 0, paper: int = 0, shard: int | None = None) -> None:
    if shard is None:
        shard = random.randrange(rules.tally_shards())  # noqa: S311 - spreading writes, not security
    table = SignatureTally.__table__
    db.session.execute(
        _upsert(
            table,
            {"petition_id": petition_id, "shard": shard, "online": online, "paper": paper},
            ["petition_id", "shard"],
            {"online": online, "paper": paper},
        )
    )


@dataclass(frozen=True)
class Counts:
    online: int = 0
    paper: int = 0

    @property
    def total(self) -> int:
        return self.online + self.paper


def counts(petition_id: int) -> Counts:
    """The exact signature count (online and paper), summed over the tally's rows."""
    row = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(SignatureTally.online), 0),
            sa.func.coalesce(sa.func.sum(SignatureTally.paper), 0),
        ).where(SignatureTally.petition_id == petition_id)
    ).one()
    return Counts(int(row[0]), int(row[1]))


@dataclass(frozen=True)
class PageHead:
    """What a public page needs to know before it can come from the cache: state, version, exact counts."""

    state: PetitionState
    threshold: int | None
    listed: bool
    case_id: int | None
    updated_at: datetime
    counts: Counts


@lru_cache(maxsize=1)
def _page_head_statement():
    def tally(column):
        return (
            sa.select(sa.func.coalesce(sa.func.sum(column), 0))
            .where(SignatureTally.petition_id == sa.bindparam("petition_id"))
            .scalar_subquery()
        )

    return sa.select(
        Petition.state,
        Petition.threshold,
        Petition.listed_at,
        Petition.case_id,
        Petition.updated_at,
        tally(SignatureTally.online).label("online"),
        tally(SignatureTally.paper).label("paper"),
    ).where(Petition.id == sa.bindparam("petition_id"))


def page_head(petition_id: int, outside_transaction: bool = False) -> PageHead | None:
    """One statement: the petition's state and the exact count (the sum of its tally rows).

    ``outside_transaction``: on PostgreSQL, read on a connection of its own in autocommit, so that a request that
    needs nothing else from the database (a cached page) costs one round trip instead of three (BEGIN, the
    statement, ROLLBACK)."""
    params = {"petition_id": petition_id}
    bind = db.session.get_bind()
    if outside_transaction and isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        row = autocommit_row(bind, _page_head_statement(), params)
    else:
        row = db.session.execute(_page_head_statement(), params).one_or_none()
    if row is None:
        return None
    state, threshold, listed_at, case_id, updated_at, online, paper = row
    return PageHead(
        state=PetitionState(state),
        threshold=threshold,
        listed=listed_at is not None,
        case_id=case_id,
        updated_at=UTCDateTime().process_result_value(updated_at, None),
        counts=Counts(int(online), int(paper)),
    )


def counts_for(petition_ids) -> dict[int, Counts]:
    ids = list(petition_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(SignatureTally.petition_id, sa.func.sum(SignatureTally.online), sa.func.sum(SignatureTally.paper))
        .where(SignatureTally.petition_id.in_(ids))
        .group_by(SignatureTally.petition_id)
    )
    found = {pid: Counts(int(o or 0), int(p or 0)) for pid, o, p in rows}
    return {i: found.get(i, Counts()) for i in ids}


def total_column():
    """A correlated scalar subquery: a petition's signature total (for lists and sorting)."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(SignatureTally.online + SignatureTally.paper), 0))
        .where(SignatureTally.petition_id == Petition.id)
        .correlate(Petition)
        .scalar_subquery()
    )


#: Territory levels above a home place that signing reads (settlement → rural district → district → region).
_CHAIN = 4

#: PostgreSQL: the signature and its tally row in one statement, which also holds a shared key lock on the
#: petition's row while it runs and re-checks that the petition is collecting (so it is whole on its own, in
#: autocommit, for the hot path). A row comes back only when the signature is new: its id and the count this
#: statement's snapshot saw before it.
_SIGN_SQL = sa.text(
    """
    WITH target AS (
        SELECT id FROM petitions
        WHERE id = :petition_id AND state = :collecting AND closes_on >= :today
        FOR KEY SHARE
    ), signature AS (
        INSERT INTO signatures (petition_id, kind, user_id, iin_hash, public_name, settlement_code, region_code,
                                district_code, signed_at)
        SELECT target.id, 'online', :user_id, :iin_hash, :public_name, :settlement_code, :region_code,
               :district_code, :signed_at
        FROM target
        ON CONFLICT (petition_id, iin_hash) DO NOTHING
        RETURNING id
    )
    INSERT INTO signature_tallies (petition_id, shard, online, paper)
    SELECT :petition_id, :shard, 1, 0 FROM signature
    ON CONFLICT (petition_id, shard) DO UPDATE SET online = signature_tallies.online + 1
    RETURNING (SELECT id FROM signature),
              (SELECT coalesce(sum(online + paper), 0) FROM signature_tallies WHERE petition_id = :petition_id)
    """
)


_STATE_COLUMNS = 6  # state, closes_on, kind, territory_code, listed_at, threshold; then the chain's pairs


@lru_cache(maxsize=2)
def _state_for_signing_statement(with_signer: bool = False):
    """The statement ``_state_for_signing`` runs, built once (building its joins costs more than running it).

    ``with_signer``: the hot path's form. It reads the signer's account too (by id and session version, only
    if active), takes no lock (the signing statement re-checks the petition under one), and starts the chain
    at the account's home place."""
    places = [sa.orm.aliased(Territory) for _ in range(_CHAIN)]
    columns = [
        Petition.state,
        Petition.closes_on,
        Authority.kind,
        Authority.territory_code,
        Petition.listed_at,
        Petition.threshold,
    ]
    statement = sa.select(Petition.id).join(Authority, Authority.id == Petition.authority_id)
    if with_signer:
        statement = statement.join(
            User,
            sa.and_(
                User.id == sa.bindparam("user_id"),
                User.session_version == sa.bindparam("session_version"),
                User.active.is_(True),
            ),
        )
        home = User.home_territory_code
    else:
        home = sa.bindparam("home_code")
    below = None
    for place in places:
        on = place.code == home if below is None else place.code == below.parent_code
        statement = statement.outerjoin(place, on)
        columns += [place.code, place.level]
        below = place
    if with_signer:
        columns += [User.display_name, User.iin_hash, User.email_verified_at, User.home_territory_code]
    statement = statement.with_only_columns(*columns).where(Petition.id == sa.bindparam("petition_id"))
    return statement if with_signer else statement.with_for_update(read=True, key_share=True, of=Petition)


def _state_for_signing(petition_id: int, home_code: str | None):
    """One statement: the petition's state and addressee, under a shared key lock on its row, with the codes and
    levels of the signer's home place and the places above it."""
    return db.session.execute(
        _state_for_signing_statement(), {"petition_id": petition_id, "home_code": home_code}
    ).one_or_none()


#: Signatures that could commit while one signer's transaction is between its first statement and its commit
#: (a few milliseconds). A signer that saw fewer than threshold − this many leaves the hand-over check to others.
HANDOVER_MARGIN = 500


@dataclass(frozen=True)
class Signed:
    signature_id: int
    #: Whether this signer must run ``after_signing``: the petition is not listed yet, or its threshold is within
    #: ``HANDOVER_MARGIN`` of what this signer saw.
    check_needed: bool


def sign(petition: Petition | int, user: User) -> int:
    """Sign; returns the signature's id. The caller commits, then runs ``after_signing``."""
    return sign_once(petition, user).signature_id


@dataclass(frozen=True)
class _State:
    """The state statement's row, typed the same whichever way it was read."""

    state: PetitionState
    closes_on: date | None
    kind: AuthorityKind
    territory_code: str | None
    listed_at: datetime | None
    threshold: int | None
    chain: list[tuple[str, Level]]

    @classmethod
    def of(cls, row) -> _State:
        values = tuple(row)
        chain = [
            (values[i], Level(values[i + 1]))
            for i in range(_STATE_COLUMNS, _STATE_COLUMNS + 2 * _CHAIN, 2)
            if values[i] is not None
        ]
        return cls(PetitionState(values[0]), values[1], AuthorityKind(values[2]), *values[3:6], chain)


def _checked(petition_id: int, found: _State, user) -> tuple[str | None, dict]:
    """The signing rules applied to the state statement's row: why ``user`` cannot sign (None when they can),
    and the signature's values."""
    area_code = _electorate_code(found.kind, found.territory_code)
    problem = _signing_problem(found.state, found.closes_on, area_code, user, {code for code, _ in found.chain})
    if problem is not None:
        return problem, {}
    region, district = region_and_district(found.chain)
    return None, {
        "petition_id": petition_id,
        "user_id": user.id,
        "iin_hash": user.iin_hash,
        "public_name": user.public_name[:80],
        "settlement_code": user.home_territory_code,
        "region_code": region,
        "district_code": district,
        "signed_at": current_time(),
    }


def _sign_statement_params(values: dict) -> dict:
    return {
        **values,
        "shard": random.randrange(rules.tally_shards()),  # noqa: S311 - spreading writes, not security
        "collecting": PetitionState.COLLECTING.value,
        "today": today(),
    }


def _check_needed(found, seen: int) -> bool:
    return found.listed_at is None or found.threshold is None or seen + HANDOVER_MARGIN >= found.threshold


def sign_once(petition: Petition | int, user: User) -> Signed:
    """Sign, in two statements: one reads the petition's state and addressee (and the signer's home chain) while
    taking a shared key lock on the petition's row — signers never wait for each other, but the hand-over waits
    for them —, one inserts the signature (the unique constraint refuses a second one for the same IIN) and bumps
    a random tally row, returning the count this signer's snapshot saw.

    The caller commits, then runs ``after_signing`` when ``check_needed``. A signer skips it only when the count
    it saw is more than ``HANDOVER_MARGIN`` below the threshold: then its own commit cannot be the one that
    reaches the threshold unless more than that many others committed while it ran, and in that case the next
    signer (who sees them all) or the sweep hands the petition over."""
    petition_id = petition if isinstance(petition, int) else petition.id
    home_code = user.home_territory_code if _signed_in(user) else None
    row = _state_for_signing(petition_id, home_code)
    if row is None:
        raise SignError(_l("This petition is not collecting signatures."))
    found = _State.of(row)
    problem, values = _checked(petition_id, found, user)
    if problem is not None:
        raise SignError(problem)
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(_SIGN_SQL, _sign_statement_params(values)).one_or_none()
        inserted, seen = (row[0], int(row[1]) + 1) if row is not None else (None, 0)
    else:
        inserted = db.session.execute(
            _upsert(
                Signature.__table__, {**values, "kind": SignatureKind.ONLINE.value}, ["petition_id", "iin_hash"], None
            ).returning(Signature.__table__.c.id)
        ).scalar()
        if inserted is not None:
            _bump_tally(petition_id, online=1)
        seen = counts(petition_id).total
    if inserted is None:
        raise AlreadySigned()
    return Signed(inserted, _check_needed(found, seen))


def sign_in_autocommit(petition_id: int, user_id: int, session_version: int) -> Signed | None:
    """The hot path's signature (PostgreSQL): two statements in autocommit, with no transaction around them and
    no ``User`` loaded through the session. The first reads the account (by id and session version, if active),
    the petition, its addressee and the account's home chain; the same rules as ``sign_once`` decide; the second
    is ``_SIGN_SQL``, which re-checks under its lock that the petition still collects and inserts only a new
    signature.

    None when it did not sign, for any reason (not allowed, already signed, closed meanwhile): the full path
    then handles the request and says why. The caller runs ``after_signing`` when ``check_needed``."""
    params = {"petition_id": petition_id, "user_id": user_id, "session_version": session_version}
    row = autocommit_row(db.engine, _state_for_signing_statement(True), params)
    if row is None:
        return None
    found = _State.of(row)
    display_name, iin_hash, email_verified_at, home_code = row[-4:]
    # a transient account, never added to the session (the statement found it active, at this session version):
    # the signing rules read the same attributes as ever
    signer = User(
        id=user_id,
        active=True,
        session_version=session_version,
        display_name=display_name,
        iin_hash=iin_hash,
        email_verified_at=email_verified_at,
        home_territory_code=home_code,
    )
    problem, values = _checked(petition_id, found, signer)
    if problem is not None:
        return None
    signed = autocommit_row(db.engine, _SIGN_SQL, _sign_statement_params(values))
    if signed is None or signed[0] is None:
        return None
    return Signed(signed[0], _check_needed(found, int(signed[1]) + 1))


def my_signature(petition: Petition, user) -> Signature | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_iin:
        return None
    return db.session.scalar(
        sa.select(Signature).where(Signature.petition_id == petition.id, Signature.iin_hash == user.iin_hash)
    )


def unsign(petition: Petition, user: User) -> None:
    """Withdraw one's own online signature while collection is open."""
    db.session.execute(
        sa.select(Petition.id).where(Petition.id == petition.id).with_for_update(read=True, key_share=True)
    )
    db.session.refresh(petition)
    if not is_collecting(petition):
        raise Conflict(_l("The collection has ended: signatures can no longer be withdrawn."))
    signature = my_signature(petition, user)
    if signature is None or signature.kind != SignatureKind.ONLINE or signature.user_id != user.id:
        raise Conflict(_l("You have not signed this petition."))
    db.session.delete(signature)
    db.session.flush()
    _bump_tally(petition.id, online=-1)


@dataclass
class AfterSigning:
    total: int = 0
    listed: bool = False
    reached: Case | None = None


def after_signing(petition_id: int) -> AfterSigning:
    """Run after a signature (or a paper batch) committed: list the petition once it has its initial
    supporters, and hand it over into the loop the moment it reaches its threshold. Reading the count after
    the commit is what makes the hand-over certain: of signers that commit together, the last to read sees
    them all."""
    total = sa.select(sa.func.coalesce(sa.func.sum(SignatureTally.online + SignatureTally.paper), 0)).where(
        SignatureTally.petition_id == petition_id
    )
    row = db.session.execute(
        sa.select(
            Petition.state,
            Petition.listed_at,
            Petition.initial_supporters,
            Petition.threshold,
            total.scalar_subquery().label("total"),
        ).where(Petition.id == petition_id)
    ).one_or_none()
    result = AfterSigning()
    if row is None or row.state != PetitionState.COLLECTING:
        return result
    result.total = int(row.total)
    if row.listed_at is None and result.total >= (row.initial_supporters or 0):
        result.listed = list_publicly(petition_id)
    if row.threshold is not None and result.total >= row.threshold:
        result.reached = reach(petition_id)
    return result


def list_publicly(petition_id: int) -> bool:
    """Put the petition in the public list (once): a conditional UPDATE, so concurrent signers record it once."""
    now = current_time()
    done = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition_id, Petition.listed_at.is_(None))
        .values(listed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        petition = db.session.get(Petition, petition_id)
        if petition is not None:
            db.session.refresh(petition)
            _event(petition, PetitionEventKind.LISTED, count=counts(petition_id).total)
    return bool(done)


def _signer_ids(petition_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Signature.user_id)
            .where(Signature.petition_id == petition_id, Signature.user_id.is_not(None))
            .order_by(Signature.user_id)
        )
    )


def _case_body(petition: Petition, total: Counts) -> str:
    return petition.body


def reach(petition_id: int, on: date | None = None) -> Case | None:
    """The hand-over: with the petition row locked against new signers, check it is still collecting and has
    its threshold, open a case addressed to the authority (the deadline the rules give petitions), and make
    every online signer a participant of it. Returns the case, or None when there is nothing to do."""
    db.session.execute(sa.select(Petition.id).where(Petition.id == petition_id).with_for_update())
    petition = db.session.get(Petition, petition_id, populate_existing=True)
    if petition is None or petition.state != PetitionState.COLLECTING or petition.threshold is None:
        return None
    total = counts(petition_id)
    if total.total < petition.threshold:
        return None
    case = loop.open_case(
        CaseSource.PETITION,
        petition.authority,
        petition.title,
        _case_body(petition, total),
        territory_code=petition.territory_code,
        source_ref=str(petition.id),
        on=on,
    )
    if petition.author_id is not None:
        loop.add_participants(case, [petition.author_id], ParticipantRole.AUTHOR)
    loop.add_participants(case, _signer_ids(petition_id), ParticipantRole.SIGNER)
    now = current_time()
    petition.state = PetitionState.REACHED
    petition.reached_at = now
    petition.case_id = case.id
    petition.case = case
    petition.final_count = total.total
    if petition.listed_at is None:
        petition.listed_at = now
        _event(petition, PetitionEventKind.LISTED, count=total.total)
    _event(petition, PetitionEventKind.REACHED, count=total.total)
    _audit("reached", petition, None, case_id=case.id, signatures=total.total)
    from petitions.jobs import notify_reached

    enqueue_after_commit(notify_reached, petition.id)
    return case


# -- paper signatures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperRow:
    iin: str
    name: str
    #: A KATO code, or the settlement's name (in Kazakh or Russian) inside the petition's territory.
    settlement: str


@dataclass
class PaperResult:
    batch: PaperBatch | None = None
    accepted: int = 0
    #: (row number from 1, the message) for rows not taken.
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)


def can_enter_paper(user, petition: Petition) -> bool:
    return is_officer_of(user, petition.authority_id)


def find_place(text: str | None, area: Territory | None) -> Territory | None:
    """A settlement by its KATO code, or by its exact name (kk or ru, any case) within ``area``."""
    text = " ".join((text or "").split())[:200]
    if not text:
        return None
    if text.isdigit():
        return db.session.get(Territory, text)
    wanted = text.casefold()
    statement = sa.select(Territory).where(
        sa.or_(
            Territory.search_text.contains(wanted, autoescape=True),
            Territory.name_ru == text,
            Territory.name_kk == text,
        )
    )
    if area is not None:
        statement = statement.where(Territory.code.startswith(_code_prefix(area), autoescape=True))
    found = [
        t
        for t in db.session.scalars(statement.limit(50)).unique()
        if wanted in (t.name_kk.casefold(), t.name_ru.casefold(), (t.name_en or "").casefold())
    ]
    return found[0] if len(found) == 1 else None


def _code_prefix(area: Territory) -> str:
    """KATO codes of everything inside ``area`` start with its code's significant digits."""
    digits = {1: 2, 2: 4, 3: 6}.get(area.level, 9)
    return area.code[:digits]


def add_paper_batch(petition: Petition, officer: User, rows: list[PaperRow], note: str = "") -> PaperResult:
    """Enter signatures collected on paper: each row's IIN is checked, and checked against every signature
    already given (online or on paper) and the rest of the batch; the good rows are added as one audited
    batch. Rows with problems are reported by number and change nothing."""
    if not can_enter_paper(officer, petition):
        raise NotAllowed()
    db.session.execute(
        sa.select(Petition.id).where(Petition.id == petition.id).with_for_update(read=True, key_share=True)
    )
    db.session.refresh(petition)
    if not is_collecting(petition):
        raise Conflict(_l("This petition is not collecting signatures."))
    if not rows:
        raise PetitionError(_l("Enter at least one signature."))
    if len(rows) > PAPER_BATCH_MAX:
        raise PetitionError(_l("Enter at most %(n)d signatures at a time.", n=PAPER_BATCH_MAX))
    key = current_app.config["IIN_HASH_KEY"]
    area = electorate(petition)
    result = PaperResult()
    candidates: dict[str, tuple[int, PaperRow, Territory]] = {}
    for number, row in enumerate(rows, start=1):
        iin = normalize(row.iin)
        name = " ".join(plain_text(_clean(row.name)).split())
        territory = find_place(row.settlement, area)
        if not is_valid_iin(iin):
            result.invalid.append((number, str(_l("The IIN is not valid."))))
        elif not name or len(name) > 120:
            result.invalid.append((number, str(_l("Write the signer's name (at most 120 characters)."))))
        elif territory is None:
            result.invalid.append((number, str(_l("Choose the signer's settlement from the list."))))
        elif area is not None and not territory.is_within(area):
            result.invalid.append((number, str(_l("The settlement is outside the petition's territory."))))
        else:
            digest = iin_hash(iin, key)
            if digest in candidates:
                first = candidates[digest][0]
                result.duplicates.append((number, str(_l("The same IIN as row %(n)d.", n=first))))
            else:
                candidates[digest] = (number, row, territory)
    existing = {
        h: k
        for h, k in db.session.execute(
            sa.select(Signature.iin_hash, Signature.kind).where(
                Signature.petition_id == petition.id, Signature.iin_hash.in_(list(candidates))
            )
        )
    }
    for digest, (number, _row, _t) in list(candidates.items()):
        if digest in existing:
            message = (
                _l("This person has already signed online.")
                if existing[digest] == SignatureKind.ONLINE
                else _l("This person's paper signature is already entered.")
            )
            result.duplicates.append((number, str(message)))
            del candidates[digest]
    result.duplicates.sort()
    batch = PaperBatch(
        petition_id=petition.id,
        entered_by_id=officer.id,
        entered_at=current_time(),
        note=_clean(note)[:300],
        accepted=len(candidates),
        duplicates=len(result.duplicates),
        invalid=len(result.invalid),
    )
    db.session.add(batch)
    db.session.flush()
    now = current_time()
    values = []
    for digest, (_number, row, territory) in candidates.items():
        region, district = region_and_district(territory)
        values.append(
            {
                "petition_id": petition.id,
                "kind": SignatureKind.PAPER.value,
                "user_id": None,
                "iin_hash": digest,
                "public_name": public_name(" ".join(plain_text(_clean(row.name)).split()))[:80],
                "settlement_code": territory.code,
                "region_code": region,
                "district_code": district,
                "batch_id": batch.id,
                "signed_at": now,
            }
        )
    if values:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(Signature), values)
        except IntegrityError as exc:
            raise Conflict(_l("Someone signed while the batch was being entered. Send the batch again.")) from exc
        _bump_tally(petition.id, paper=len(values), shard=0)
    result.accepted = len(values)
    result.batch = batch
    _event(petition, PetitionEventKind.PAPER, officer, count=len(values))
    audit.record(
        "petition.paper_batch",
        batch,
        officer,
        petition_id=petition.id,
        accepted=batch.accepted,
        duplicates=batch.duplicates,
        invalid=batch.invalid,
    )
    return result


def paper_batches(petition: Petition) -> list[PaperBatch]:
    """The paper batches entered for a petition, newest first."""
    return list(
        db.session.scalars(
            sa.select(PaperBatch)
            .where(PaperBatch.petition_id == petition.id)
            .order_by(PaperBatch.entered_at.desc(), PaperBatch.id.desc())
        ).unique()
    )


# -- the sweep ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    reached: int = 0
    not_reached: int = 0


def close_not_reached(petition: Petition, total: int) -> None:
    petition.state = PetitionState.NOT_REACHED
    petition.closed_at = current_time()
    petition.final_count = total
    _event(petition, PetitionEventKind.NOT_REACHED, count=total)
    _audit("not_reached", petition, None, signatures=total)
    from petitions.jobs import notify_not_reached

    enqueue_after_commit(notify_not_reached, petition.id)


def sweep(on: date | None = None) -> SweepResult:
    """Close petitions whose collection window ended below the threshold, and hand over any that reached
    it but were missed (e.g. a signer's process died between its commit and the check). Idempotent."""
    on = on or today()
    total = total_column()
    ended = list(
        db.session.scalars(
            sa.select(Petition.id).where(
                Petition.state == PetitionState.COLLECTING,
                sa.or_(Petition.closes_on < on, total >= Petition.threshold),
            )
        )
    )
    reached = not_reached = 0
    for petition_id in ended:
        if reach(petition_id, on=on) is not None:
            reached += 1
            continue
        db.session.execute(sa.select(Petition.id).where(Petition.id == petition_id).with_for_update())
        petition = db.session.get(Petition, petition_id, populate_existing=True)
        if petition.state == PetitionState.COLLECTING and petition.closes_on is not None and petition.closes_on < on:
            close_not_reached(petition, counts(petition_id).total)
            not_reached += 1
    return SweepResult(reached, not_reached)


# -- public reading -------------------------------------------------------------------------------------


def recent_signers(petition: Petition, limit: int = 20) -> list[tuple[str, str | None, datetime]]:
    """The latest signers as the public sees them: first name and initial, settlement code, when."""
    return [
        (name, code, at)
        for name, code, at in db.session.execute(
            sa.select(Signature.public_name, Signature.settlement_code, Signature.signed_at)
            .where(Signature.petition_id == petition.id)
            .order_by(Signature.id.desc())
            .limit(limit)
        )
    ]


_breakdown_cache: dict[tuple[int, str], tuple[float, list]] = {}


def breakdown(petition: Petition, by: str = "region") -> list[tuple[str | None, int]]:
    """Signatures per region (or per district), most first; reused for ``PETITIONS_BREAKDOWN_CACHE_SECONDS``
    (the headline count is always exact; this table may lag by that much)."""
    column = Signature.region_code if by == "region" else Signature.district_code
    ttl = float(rules.setting("BREAKDOWN_CACHE_SECONDS") or 0)
    key = (petition.id, by)
    now = time.monotonic()
    cached = _breakdown_cache.get(key)
    if ttl > 0 and cached is not None and now - cached[0] < ttl:
        return cached[1]
    rows = [
        (code, int(n))
        for code, n in db.session.execute(
            sa.select(column, sa.func.count())
            .where(Signature.petition_id == petition.id)
            .group_by(column)
            .order_by(sa.func.count().desc(), column)
        )
    ]
    if ttl > 0:
        if len(_breakdown_cache) > 2000:
            _breakdown_cache.clear()
        _breakdown_cache[key] = (now, rows)
    return rows


def forget_breakdowns() -> None:
    _breakdown_cache.clear()


def timeline(petition: Petition, private: bool = False) -> list[PetitionEvent]:
    statement = sa.select(PetitionEvent).where(PetitionEvent.petition_id == petition.id).order_by(PetitionEvent.id)
    events = list(db.session.scalars(statement))
    return events if private else [e for e in events if e.kind.is_public]


def for_case(case: Case) -> Petition | None:
    """The petition a case carries (the root of its chain was opened by the petition)."""
    root_id = case.root_id or case.id
    return db.session.scalar(sa.select(Petition).where(Petition.case_id == root_id))


def by_user(user: User) -> list[Petition]:
    """The author's own petitions, newest first."""
    return list(
        db.session.scalars(
            sa.select(Petition).where(Petition.author_id == user.id).order_by(Petition.created_at.desc())
        ).unique()
    )


def signed_by(user: User, limit: int = 100) -> list[Petition]:
    if not user.has_iin:
        return []
    return list(
        db.session.scalars(
            sa.select(Petition)
            .join(Signature, Signature.petition_id == Petition.id)
            .where(Signature.iin_hash == user.iin_hash)
            .order_by(Signature.id.desc())
            .limit(limit)
        ).unique()
    )
