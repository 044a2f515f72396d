"""Councils, their rules and members, and the citizens who follow them.

Every function re-checks who may act (``councils.permissions``), holds the rules, records an audit row for each
write and flushes; the caller commits. Rules broken raise ``CouncilError`` (400), ``NotAllowed`` (403) or
``Conflict`` (409) with a message for the user.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core import audit
from core.accounts.models import User
from core.authorities.models import Authority, AuthorityKind
from core.db import db
from core.errors import Conflict, NotAllowed
from core.i18n import localized
from core.territories.models import Level
from councils import permissions
from councils.errors import CouncilError
from councils.models import (
    Affiliation,
    Council,
    CouncilKind,
    CouncilMember,
    Follower,
    MajorityBase,
    Meeting,
    MeetingState,
    Position,
)

NAME_MAX = 300
DESCRIPTION_MAX = 5000
FULL_NAME_MAX = 200
ORGANISATION_MAX = 300
NOTICE_DAYS_MAX = 60
RULE_FIELDS = (
    "quorum_numerator",
    "quorum_denominator",
    "majority_numerator",
    "majority_denominator",
    "majority_base",
    "notice_days",
)
COUNCIL_FIELDS = (
    "authority",
    "kind",
    "name_kk",
    "name_ru",
    "name_en",
    "description",
    "term_starts_on",
    "term_ends_on",
    *RULE_FIELDS,
)
MEMBER_FIELDS = (
    "full_name",
    "position",
    "affiliation",
    "organisation",
    "is_youth",
    "voting_right",
    "term_starts_on",
    "term_ends_on",
    "user",
)
#: Positions a council has at most one of at any time.
SINGLE_POSITIONS = (Position.CHAIR, Position.SECRETARY)
POSITION_ORDER = (Position.CHAIR, Position.DEPUTY_CHAIR, Position.SECRETARY, Position.MEMBER)


def _today() -> date:
    from feedback import services as loop

    return loop.today()


# --- levels of the councils (from their authority's kind) ---------------------------------------------------


class CouncilLevel(enum.StrEnum):
    REPUBLICAN = "republican"
    REGIONAL = "regional"
    DISTRICT = "district"
    RURAL = "rural"

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    CouncilLevel.REPUBLICAN: _l("Republican"),
    CouncilLevel.REGIONAL: _l("Regional"),
    CouncilLevel.DISTRICT: _l("District and city"),
    CouncilLevel.RURAL: _l("Rural"),
}


def level_of_authority(authority: Authority) -> CouncilLevel:
    kind = authority.kind
    if kind.is_central:
        return CouncilLevel.REPUBLICAN
    if kind in (AuthorityKind.REGIONAL_AKIMAT, AuthorityKind.CITY_AKIMAT):
        return CouncilLevel.REGIONAL
    if kind == AuthorityKind.RURAL_AKIM:
        return CouncilLevel.RURAL
    if kind == AuthorityKind.MASLIKHAT and authority.territory is not None:
        return CouncilLevel.REGIONAL if authority.territory.level == Level.REGION else CouncilLevel.DISTRICT
    return CouncilLevel.DISTRICT


def level_of(council: Council) -> CouncilLevel:
    return level_of_authority(council.authority)


# --- councils -------------------------------------------------------------------------------------------------


def _text(value, limit: int, message, required: bool = True) -> str:
    value = " ".join(str(value or "").split()) if limit <= NAME_MAX else str(value or "").strip()
    if required and not value:
        raise CouncilError(message)
    if len(value) > limit:
        raise CouncilError(_l("A text is too long: at most %(num)d characters.", num=limit))
    return value


def _authority(value) -> Authority:
    if isinstance(value, Authority):
        return value
    if value not in (None, ""):
        from core.authorities.services import find_authority

        found = find_authority(value)
        if found is not None:
            return found
    raise CouncilError(_l("Choose an existing authority for the council."))


def _enum(cls, value, message):
    try:
        return cls(value)
    except ValueError:
        raise CouncilError(message) from None


def _int(value, message) -> int:
    if isinstance(value, bool):
        raise CouncilError(message)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CouncilError(message) from None


def _check_rules(values: dict) -> dict:
    """The council's rules checked and normalised: quorum 0 < n/d ≤ 1, majority 0 < n/d < 1, notice 0..60."""
    bad_quorum = _l("The quorum must be a fraction above 0 and at most 1, such as 2/3.")
    bad_majority = _l("The majority must be a fraction above 0 and below 1, such as 1/2.")
    qn = _int(values["quorum_numerator"], bad_quorum)
    qd = _int(values["quorum_denominator"], bad_quorum)
    if qn <= 0 or qd <= 0 or qn > qd or qd > 100:
        raise CouncilError(bad_quorum)
    mn = _int(values["majority_numerator"], bad_majority)
    md = _int(values["majority_denominator"], bad_majority)
    if mn <= 0 or md <= 0 or mn >= md or md > 100:
        raise CouncilError(bad_majority)
    bad_notice = _l("The agenda notice must be 0 to %(num)d calendar days.", num=NOTICE_DAYS_MAX)
    notice = _int(values["notice_days"], bad_notice)
    if not 0 <= notice <= NOTICE_DAYS_MAX:
        raise CouncilError(bad_notice)
    base = _enum(MajorityBase, values["majority_base"], _l("Choose what the majority is counted from."))
    return {
        "quorum_numerator": qn,
        "quorum_denominator": qd,
        "majority_numerator": mn,
        "majority_denominator": md,
        "majority_base": base,
        "notice_days": notice,
    }


def _check_council(values: dict) -> dict:
    checked = {
        "authority": _authority(values["authority"]),
        "kind": _enum(CouncilKind, values["kind"], _l("Choose the kind of council.")),
        "name_kk": _text(values["name_kk"], NAME_MAX, _l("Give the council's name in Kazakh.")),
        "name_ru": _text(values["name_ru"], NAME_MAX, _l("Give the council's name in Russian.")),
        "name_en": _text(values["name_en"], NAME_MAX, None, required=False),
        "description": _text(values["description"], DESCRIPTION_MAX, None, required=False),
    }
    starts, ends = values["term_starts_on"], values["term_ends_on"]
    if not isinstance(starts, date):
        raise CouncilError(_l("Give the date the council's term starts."))
    if ends is not None and (not isinstance(ends, date) or ends <= starts):
        raise CouncilError(_l("The term must end after it starts."))
    checked["term_starts_on"], checked["term_ends_on"] = starts, ends
    checked.update(_check_rules(values))
    return checked


def _defaults() -> dict:
    return {
        "quorum_numerator": 2,
        "quorum_denominator": 3,
        "majority_numerator": 1,
        "majority_denominator": 2,
        "majority_base": MajorityBase.PRESENT,
        "notice_days": 10,
    }


def create_council(
    actor,
    authority,
    kind,
    name_kk,
    name_ru,
    name_en,
    term_starts_on,
    term_ends_on=None,
    description="",
    **rules,
) -> Council:
    if not permissions.can_create_council(actor):
        raise NotAllowed()
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rules: {', '.join(sorted(unknown))}")
    values = {
        "authority": authority,
        "kind": kind,
        "name_kk": name_kk,
        "name_ru": name_ru,
        "name_en": name_en,
        "description": description,
        "term_starts_on": term_starts_on,
        "term_ends_on": term_ends_on,
        **_defaults(),
        **rules,
    }
    checked = _check_council(values)
    found = checked.pop("authority")
    council = Council(authority_id=found.id, **checked)
    council.authority = found
    db.session.add(council)
    db.session.flush()
    audit.record("council.create", council, actor, authority=found.key, name_ru=council.name_ru)
    return council


def update_council(council: Council, actor, **fields) -> Council:
    if not permissions.can_manage_council(actor, council):
        raise NotAllowed()
    unknown = set(fields) - set(COUNCIL_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    if "authority" in fields and _authority(fields["authority"]).id != council.authority_id and not actor.is_admin:
        raise NotAllowed(_l("Only an administrator can move a council to another authority."))
    current = {name: getattr(council, name) for name in COUNCIL_FIELDS}
    checked = _check_council({**current, **fields})
    changed = {}
    found = checked.pop("authority")
    if found.id != council.authority_id:
        changed["authority"] = found.key
        council.authority_id = found.id
        council.authority = found
    differ = {name: value for name, value in checked.items() if getattr(council, name) != value}
    if set(differ) & set(VOTING_RULES) and _meeting_in_progress(council):
        raise Conflict(_l("The voting rules cannot change while a meeting of the council is in progress."))
    for name, value in differ.items():
        changed[name] = value
        setattr(council, name, value)
    db.session.flush()
    if changed:
        audit.record("council.update", council, actor, **changed)
    return council


VOTING_RULES = ("quorum_numerator", "quorum_denominator", "majority_numerator", "majority_denominator", "majority_base")


def _meeting_in_progress(council: Council) -> bool:
    return (
        db.session.scalar(
            sa.select(Meeting.id).where(Meeting.council_id == council.id, Meeting.state == MeetingState.IN_PROGRESS)
        )
        is not None
    )


def get_council(council_id) -> Council | None:
    return db.session.get(Council, council_id)


def list_councils(level: CouncilLevel | None = None, query: str = "", authority_id: int | None = None) -> list:
    """Every council (optionally of one level, one authority, or with ``query`` in a name), by level then name.
    Names are matched in Python (SQLite lowers only ASCII); there are a few hundred councils."""
    statement = sa.select(Council)
    if authority_id is not None:
        statement = statement.where(Council.authority_id == authority_id)
    needle = " ".join((query or "").split()).casefold()
    found = []
    for council in db.session.scalars(statement).unique():
        if level is not None and level_of(council) != level:
            continue
        names = (council.name_kk, council.name_ru, council.name_en, *(localized(council.authority),))
        if needle and not any(needle in (n or "").casefold() for n in names):
            continue
        found.append(council)
    order = list(CouncilLevel)
    found.sort(key=lambda c: (order.index(level_of(c)), localized(c).casefold(), c.id))
    return found


def councils_of_authority(authority: Authority) -> list[Council]:
    councils = db.session.scalars(sa.select(Council).where(Council.authority_id == authority.id)).unique()
    return sorted(councils, key=lambda c: (c.term_starts_on, c.id), reverse=True)


def serving_counts(councils, on: date | None = None) -> dict[int, int]:
    """{council id: members serving on that day}, in one query."""
    on = on or _today()
    ids = [c.id for c in councils]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(CouncilMember.council_id, sa.func.count())
        .where(
            CouncilMember.council_id.in_(ids),
            CouncilMember.term_starts_on <= on,
            sa.or_(CouncilMember.term_ends_on.is_(None), CouncilMember.term_ends_on >= on),
        )
        .group_by(CouncilMember.council_id)
    )
    return {council_id: n for council_id, n in rows}


PUBLIC_UPCOMING = (MeetingState.ANNOUNCED, MeetingState.IN_PROGRESS)


def next_meetings(councils, on: date | None = None) -> dict[int, datetime]:
    """{council id: start of its next public meeting (agenda published or in progress) from that day on}."""
    from core.db import utcnow

    on = on or _today()
    ids = [c.id for c in councils]
    if not ids:
        return {}
    # Midnight in Kazakhstan (UTC+5), as a UTC time: the meetings of the whole local day count.
    offset = timedelta(hours=float(current_app.config.get("LOCAL_UTC_OFFSET_HOURS", 5)))
    since = datetime.combine(on, time(0, 0)).replace(tzinfo=utcnow().tzinfo) - offset
    rows = db.session.execute(
        sa.select(Meeting.council_id, sa.func.min(Meeting.starts_at))
        .where(Meeting.council_id.in_(ids), Meeting.state.in_(PUBLIC_UPCOMING), Meeting.starts_at >= since)
        .group_by(Meeting.council_id)
    )
    return {council_id: at for council_id, at in rows}


# --- members ----------------------------------------------------------------------------------------------------


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start <= (b_end or date.max) and b_start <= (a_end or date.max)


def _linked_user(value) -> User | None:
    """The member's own account: a user, an id, an email address (found among the accounts), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    if isinstance(value, int):
        found = db.session.get(User, value)
    else:
        email = str(value).strip().lower()
        found = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    if found is None:
        raise CouncilError(_l("No account has this email address. Leave it empty for a member without an account."))
    return found


def _check_member(council: Council, values: dict, member_id: int | None) -> dict:
    checked = {
        "full_name": _text(values["full_name"], FULL_NAME_MAX, _l("Give the member's full name.")),
        "position": _enum(Position, values["position"], _l("Choose the member's position.")),
        "affiliation": _enum(Affiliation, values["affiliation"], _l("Choose whom the member represents.")),
        "organisation": _text(values["organisation"], ORGANISATION_MAX, None, required=False),
        "is_youth": bool(values["is_youth"]),
        "voting_right": bool(values["voting_right"]),
        "user": _linked_user(values["user"]),
    }
    starts, ends = values["term_starts_on"], values["term_ends_on"]
    if not isinstance(starts, date):
        raise CouncilError(_l("Give the date the member's term starts."))
    if ends is not None and (not isinstance(ends, date) or ends < starts):
        raise CouncilError(_l("The member's term cannot end before it starts."))
    checked["term_starts_on"], checked["term_ends_on"] = starts, ends
    others = [m for m in seats_of(council) if m.id != member_id]
    if checked["position"] in SINGLE_POSITIONS:
        for other in others:
            if other.position == checked["position"] and _overlaps(
                starts, ends, other.term_starts_on, other.term_ends_on
            ):
                if checked["position"] == Position.CHAIR:
                    raise Conflict(
                        _l(
                            "The council already has a chair in this term: %(name)s. End that membership first.",
                            name=other.full_name,
                        )
                    )
                raise Conflict(
                    _l(
                        "The council already has a secretary in this term: %(name)s. End that membership first.",
                        name=other.full_name,
                    )
                )
    user = checked["user"]
    if user is not None:
        for other in others:
            if other.user_id == user.id:
                raise Conflict(
                    _l(
                        "This account already holds a seat on this council (%(name)s). Edit that seat instead.",
                        name=other.full_name,
                    )
                )
    return checked


def add_member(
    council: Council,
    actor,
    full_name,
    position,
    affiliation,
    term_starts_on,
    organisation="",
    is_youth=False,
    voting_right=True,
    term_ends_on=None,
    user=None,
) -> CouncilMember:
    if not permissions.can_manage_council(actor, council):
        raise NotAllowed()
    values = {
        "full_name": full_name,
        "position": position,
        "affiliation": affiliation,
        "organisation": organisation,
        "is_youth": is_youth,
        "voting_right": voting_right,
        "term_starts_on": term_starts_on,
        "term_ends_on": term_ends_on,
        "user": user,
    }
    checked = _check_member(council, values, None)
    account = checked.pop("user")
    member = CouncilMember(council_id=council.id, user_id=account.id if account else None, **checked)
    db.session.add(member)
    db.session.flush()
    audit.record(
        "council.member_add",
        member,
        actor,
        council_id=council.id,
        full_name=member.full_name,
        position=member.position.value,
        user_id=member.user_id,
    )
    return member


def update_member(member: CouncilMember, actor, **fields) -> CouncilMember:
    council = member.council
    if not permissions.can_manage_council(actor, council):
        raise NotAllowed()
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    current = {name: getattr(member, name) for name in MEMBER_FIELDS}
    checked = _check_member(council, {**current, **fields}, member.id)
    account = checked.pop("user")
    changed = {}
    new_user_id = account.id if account else None
    if new_user_id != member.user_id:
        changed["user_id"] = new_user_id
        member.user_id = new_user_id
        member.user = account
    for name, value in checked.items():
        if getattr(member, name) != value:
            changed[name] = value
            setattr(member, name, value)
    db.session.flush()
    if changed:
        audit.record("council.member_update", member, actor, council_id=council.id, **changed)
    return member


def end_membership(member: CouncilMember, actor, on: date | None = None) -> CouncilMember:
    """The member's term ends on ``on`` (today by default): the seat and its history stay."""
    if not permissions.can_manage_council(actor, member.council):
        raise NotAllowed()
    on = on or _today()
    if member.term_ends_on is not None and member.term_ends_on <= on:
        raise Conflict(_l("This membership has already ended."))
    if on < member.term_starts_on:
        raise CouncilError(_l("A membership cannot end before it starts."))
    member.term_ends_on = on
    db.session.flush()
    audit.record("council.member_end", member, actor, council_id=member.council_id, on=on)
    return member


def seats_of(council: Council) -> list[CouncilMember]:
    """Every seat of the council, from the database (the relationship may not know of seats added by id)."""
    return list(
        db.session.scalars(
            sa.select(CouncilMember).where(CouncilMember.council_id == council.id).order_by(CouncilMember.id)
        )
    )


def _order(member: CouncilMember):
    return (POSITION_ORDER.index(member.position), member.full_name.casefold(), member.id)


def serving_members(council: Council, on: date | None = None) -> list[CouncilMember]:
    """The members serving on that day (today by default): chair, deputies, secretary, then members by name."""
    on = on or _today()
    return sorted((m for m in seats_of(council) if m.serves_on(on)), key=_order)


def voting_members(council: Council, on: date | None = None) -> list[CouncilMember]:
    return [m for m in serving_members(council, on) if m.voting_right]


def all_members(council: Council) -> list[CouncilMember]:
    """Every seat, serving or not, for the managers' list: serving first, in order, then the ended ones."""
    today = _today()
    return sorted(seats_of(council), key=lambda m: (not m.serves_on(today), *_order(m)))


@dataclass(frozen=True)
class Composition:
    total: int
    civil_society: int
    state_body: int
    youth: int
    with_vote: int
    civil_share: float
    youth_share: float
    civil_below_two_thirds: bool


def composition(council: Council, on: date | None = None) -> Composition:
    """Shares over the members serving that day; civil society below two thirds is flagged (exact arithmetic)."""
    serving = serving_members(council, on)
    total = len(serving)
    civil = sum(1 for m in serving if m.affiliation == Affiliation.CIVIL_SOCIETY)
    youth = sum(1 for m in serving if m.is_youth)
    return Composition(
        total=total,
        civil_society=civil,
        state_body=total - civil,
        youth=youth,
        with_vote=sum(1 for m in serving if m.voting_right),
        civil_share=civil / total if total else 0.0,
        youth_share=youth / total if total else 0.0,
        civil_below_two_thirds=total > 0 and 3 * civil < 2 * total,
    )


def councils_served_by(user, on: date | None = None) -> list[Council]:
    """The councils the user holds a seat on that day."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    on = on or _today()
    seats = db.session.scalars(sa.select(CouncilMember).where(CouncilMember.user_id == user.id))
    return [seat.council for seat in seats if seat.serves_on(on)]


# --- following --------------------------------------------------------------------------------------------------


def is_following(council: Council, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(Follower, (council.id, user.id)) is not None


def follow(council: Council, user) -> bool:
    """The user follows the council (mail on published agendas and minutes); False if they already did."""
    if not permissions.can_follow(user):
        raise NotAllowed()
    if is_following(council, user):
        return False
    db.session.add(Follower(council_id=council.id, user_id=user.id))
    db.session.flush()
    audit.record("council.follow", council, user)
    return True


def unfollow(council: Council, user) -> bool:
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed()
    found = db.session.get(Follower, (council.id, user.id))
    if found is None:
        return False
    db.session.delete(found)
    db.session.flush()
    audit.record("council.unfollow", council, user)
    return True


def followers(council: Council) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Follower, Follower.user_id == User.id)
            .where(Follower.council_id == council.id, User.active.is_(True))
            .order_by(Follower.created_at, User.id)
        )
    )
