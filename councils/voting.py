"""Votes, ballots, decisions and recommendations of a council's meeting.

The secretary or chair opens a vote on an agenda item; every member with a voting right who is present casts
one ballot (from their own account, or the secretary records a vote given by hand, marked as such); closing the
vote counts the ballots and applies the council's rules (``councils.rules``). Nothing of the result is shown
while the vote is open but the number of ballots cast. A decision on the item may carry recommendations to
authorities: each opens a case in the loop (source: council recommendation) addressed to that authority.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db, lock_row
from core.errors import Conflict, NotAllowed
from core.i18n import localized
from councils import permissions, rules
from councils.errors import CouncilError
from councils.meetings import attendance_of, meeting_day, serving_members
from councils.models import (
    AgendaItem,
    Attendance,
    Ballot,
    CouncilMember,
    ItemKind,
    Meeting,
    MeetingState,
    MinutesState,
    Recommendation,
    Vote,
    VoteOptionSet,
    VoteOutcome,
    VoteState,
)
from councils.permissions import require_runner as _require_runner
from feedback import services as loop
from feedback.models import CaseSource, ParticipantRole

QUESTION_MAX = 500
DECISION_MAX = 20_000
RECOMMENDATION_MAX = 5_000
RECOMMENDATIONS_MAX = 5
CASE_TITLE_MAX = 200


# -- option sets (rules as data) -------------------------------------------------------------------------


def option_set(kind) -> tuple[str, ...]:
    """The options of a vote on an item of this kind: the stored row, else the default set."""
    kind = ItemKind(kind)
    row = db.session.scalar(sa.select(VoteOptionSet).where(VoteOptionSet.item_kind == kind))
    if row is not None:
        try:
            return rules.parse_options(row.options)
        except ValueError:
            current_app.logger.warning("stored option set of %s is invalid: %r", kind, row.options)
    return tuple(rules.DEFAULT_OPTION_SETS[kind])


def option_sets() -> dict[ItemKind, tuple[str, ...]]:
    return {kind: option_set(kind) for kind in ItemKind}


def set_option_set(kind, options, actor) -> VoteOptionSet:
    """Store the options of an item kind (admins only). ``options``: comma-separated keys or a sequence."""
    if not (actor is not None and getattr(actor, "is_authenticated", False) and actor.is_admin):
        raise NotAllowed()
    try:
        kind = ItemKind(kind)
    except ValueError:
        raise CouncilError(_l("Choose a kind of agenda item from the list.")) from None
    text = options if isinstance(options, str) else ",".join(options)
    try:
        keys = rules.parse_options(text)
    except ValueError:
        raise CouncilError(
            _l(
                "List at least two options that can win, each once, from the vocabulary: %(keys)s.",
                keys=", ".join(rules.OPTIONS),
            )
        ) from None
    row = db.session.scalar(sa.select(VoteOptionSet).where(VoteOptionSet.item_kind == kind))
    if row is None:
        row = VoteOptionSet(item_kind=kind, options=",".join(keys))
        db.session.add(row)
    else:
        row.options = ",".join(keys)
    db.session.flush()
    audit.record("council.option_set", row, actor, kind=kind.value, options=row.options)
    return row


# -- who is there ----------------------------------------------------------------------------------------


def voting_members(meeting: Meeting) -> list[CouncilMember]:
    """The council's members with voting rights serving on the meeting's day."""
    return [m for m in serving_members(meeting) if m.voting_right]


def _is_present(meeting: Meeting, member: CouncilMember) -> bool:
    row = db.session.get(Attendance, (meeting.id, member.id))
    return row is not None and row.is_present


# -- votes -----------------------------------------------------------------------------------------------


def latest_vote(item: AgendaItem) -> Vote | None:
    return db.session.scalar(sa.select(Vote).where(Vote.item_id == item.id).order_by(Vote.id.desc()).limit(1))


def latest_closed_vote(item: AgendaItem) -> Vote | None:
    return db.session.scalar(
        sa.select(Vote).where(Vote.item_id == item.id, Vote.state == VoteState.CLOSED).order_by(Vote.id.desc()).limit(1)
    )


def open_vote_of(item: AgendaItem) -> Vote | None:
    return db.session.scalar(sa.select(Vote).where(Vote.item_id == item.id, Vote.state == VoteState.OPEN))


def ballot_count(vote: Vote) -> int:
    """How many have voted: the only figure shown while a vote is open."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)) or 0


def ballot_of(vote: Vote, member: CouncilMember | None) -> Ballot | None:
    if member is None:
        return None
    return db.session.scalar(sa.select(Ballot).where(Ballot.vote_id == vote.id, Ballot.member_id == member.id))


def roll_call(vote: Vote) -> list[Ballot] | None:
    """Who voted how, once the vote is closed; None while open or for a secret ballot."""
    if vote.state != VoteState.CLOSED or vote.secret:
        return None
    return sorted(vote.ballots, key=lambda b: (b.member.full_name, b.id))


def open_vote(item: AgendaItem, actor, question: str | None = None) -> Vote:
    meeting = item.meeting
    _require_runner(actor, meeting.council)
    lock_row(meeting, shared=True)  # ending the meeting waits for this vote, or wins
    if meeting.state != MeetingState.IN_PROGRESS:
        raise CouncilError(_l("Votes are held while the meeting is in progress."))
    if open_vote_of(item) is not None:
        raise Conflict(_l("A vote on this item is already open."))
    question = " ".join((question or "").split())[:QUESTION_MAX] or item.title[:QUESTION_MAX]
    vote = Vote(
        item_id=item.id,
        question=question,
        options=",".join(option_set(item.kind)),
        secret=item.secret_ballot,
        state=VoteState.OPEN,
        opened_at=loop.current_time(),
        opened_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(vote)
            db.session.flush()
    except IntegrityError:  # another secretary opened one a moment ago
        raise Conflict(_l("A vote on this item is already open.")) from None
    audit.record("council.vote_opened", vote, actor, item_id=item.id, options=vote.options, secret=vote.secret)
    return vote


def can_cast(vote: Vote | None, user) -> tuple[bool, str | None]:
    """Whether ``user`` may cast a ballot in this vote now, and if not, why (a message for them)."""
    if vote is None or vote.state != VoteState.OPEN:
        return False, str(_l("The vote is closed."))
    meeting = vote.item.meeting
    seat = permissions.membership(user, meeting.council, meeting_day(meeting))
    if seat is None:
        return False, str(_l("Only the council's members vote."))
    if not seat.voting_right:
        return False, str(_l("You have no voting right on this council."))
    if meeting.state != MeetingState.IN_PROGRESS or not _is_present(meeting, seat):
        return False, str(_l("Only members present at the meeting vote. Ask the secretary to mark you present."))
    if ballot_of(vote, seat) is not None:
        return False, str(_l("You have already voted."))
    return True, None


def _check_choice(vote: Vote, choice: str) -> str:
    choice = (choice or "").strip()
    if choice not in vote.option_keys:
        raise CouncilError(_l("Choose one of the options of this vote."))
    return choice


def _lock_vote(vote: Vote, *, closing: bool = False) -> None:
    """Reload the vote's row under a lock until the unit of work ends (PostgreSQL): ballots take it shared,
    closing takes it exclusively. So a ballot is either in before the count, or finds the vote closed: never
    stored after the count without being counted. SQLite serialises writers itself."""
    lock_row(vote, shared=not closing)
    if closing:
        db.session.expire(vote, ["ballots"])


def _insert_ballot(vote: Vote, member: CouncilMember, choice: str, recorded_by_id: int | None) -> Ballot:
    ballot = Ballot(
        vote_id=vote.id, member_id=member.id, choice=choice, cast_at=loop.current_time(), recorded_by_id=recorded_by_id
    )
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
            db.session.flush()
    except IntegrityError:  # the same member's ballot arrived twice at once
        raise Conflict(_l("This member has already voted.")) from None
    return ballot


def cast(vote: Vote, user, choice: str) -> Ballot:
    """The member's own ballot (one per vote)."""
    _lock_vote(vote)
    if vote.state != VoteState.OPEN:
        raise Conflict(_l("The vote is closed."))
    meeting = vote.item.meeting
    seat = permissions.membership(user, meeting.council, meeting_day(meeting))
    if seat is None or not seat.voting_right:
        raise NotAllowed(can_cast(vote, user)[1])
    if ballot_of(vote, seat) is not None:
        raise Conflict(_l("You have already voted."))
    ok, reason = can_cast(vote, user)
    if not ok:
        raise CouncilError(reason)
    choice = _check_choice(vote, choice)
    ballot = _insert_ballot(vote, seat, choice, None)
    # The choice of a secret ballot stays out of the audit trail.
    audit.record("council.ballot_cast", vote, user, member_id=seat.id, **({} if vote.secret else {"choice": choice}))
    return ballot


def record_by_hand(vote: Vote, actor, member: CouncilMember, choice: str) -> Ballot:
    """The secretary or chair records the vote a present member gave by hand (marked in the roll call)."""
    meeting = vote.item.meeting
    _require_runner(actor, meeting.council)
    _lock_vote(vote)
    if vote.state != VoteState.OPEN:
        raise Conflict(_l("The vote is closed."))
    if member is None or member.council_id != meeting.council_id:
        raise CouncilError(_l("Choose a member of this council."))
    if not member.serves_on(meeting_day(meeting)) or not member.voting_right:
        raise CouncilError(_l("%(name)s has no voting right on this council.", name=member.full_name))
    if not _is_present(meeting, member):
        raise CouncilError(_l("%(name)s is not marked present.", name=member.full_name))
    if ballot_of(vote, member) is not None:
        raise Conflict(_l("This member has already voted."))
    choice = _check_choice(vote, choice)
    ballot = _insert_ballot(vote, member, choice, actor.id)
    audit.record(
        "council.ballot_recorded", vote, actor, member_id=member.id, **({} if vote.secret else {"choice": choice})
    )
    return ballot


def close_vote(vote: Vote, actor) -> Vote:
    """Count the ballots and apply the council's rules; the result is stored with the vote.

    Present for the vote: the members with voting rights present at closing, and those who cast a ballot and
    left afterwards (their vote stands)."""
    meeting = vote.item.meeting
    council = meeting.council
    _require_runner(actor, council)
    _lock_vote(vote, closing=True)
    if vote.state != VoteState.OPEN:
        raise Conflict(_l("The vote is already closed."))
    voters = voting_members(meeting)
    voter_ids = {m.id for m in voters}
    attendance = attendance_of(meeting)
    ballots = [b for b in vote.ballots if b.member_id in voter_ids]
    present_ids = {m.id for m in voters if (a := attendance.get(m.id)) is not None and a.is_present}
    present_ids |= {b.member_id for b in ballots}
    counts = {key: 0 for key in vote.option_keys}
    for ballot in ballots:
        counts[ballot.choice] = counts.get(ballot.choice, 0) + 1
    result = rules.decide(rules.Rules.of(council), len(voters), len(present_ids), counts)
    vote.state = VoteState.CLOSED
    vote.closed_at = loop.current_time()
    vote.closed_by_id = actor.id
    vote.members_with_vote = len(voters)
    vote.present_with_vote = len(present_ids)
    vote.quorum_needed = result.quorum_needed
    vote.quorum_met = result.quorum_met
    vote.majority_needed = result.majority_needed
    vote.counts = counts
    vote.outcome = result.outcome
    vote.winning_option = result.winning_option
    db.session.flush()
    audit.record(
        "council.vote_closed",
        vote,
        actor,
        outcome=result.outcome.value,
        counts=counts,
        members_with_vote=len(voters),
        present_with_vote=len(present_ids),
    )
    return vote


# -- decisions and recommendations -------------------------------------------------------------------------


def council_name(council) -> str:
    return localized(council, "name")


def record_decision(item: AgendaItem, actor, text: str, recommendations=()) -> list[Recommendation]:
    """Record the council's decision on the item; each (authority, text) recommendation opens a case addressed
    to that authority with the council's serving members (with accounts) as participants."""
    meeting = item.meeting
    council = meeting.council
    _require_runner(actor, council)
    if meeting.state not in (MeetingState.IN_PROGRESS, MeetingState.HELD):
        raise CouncilError(_l("Decisions are recorded at or after the meeting."))
    if meeting.minutes is not None and meeting.minutes.state != MinutesState.DRAFT:
        raise Conflict(_l("The minutes are approved: the meeting's decisions can no longer change."))
    text = loop.clean_text(text, DECISION_MAX)
    if not text:
        raise CouncilError(_l("Write the decision."))
    wanted = []
    for authority, rec_text in recommendations or ():
        rec_text = loop.clean_text(rec_text, RECOMMENDATION_MAX)
        if authority is None and not rec_text:
            continue
        if authority is None or not rec_text:
            raise CouncilError(_l("Each recommendation needs an addressee and a text."))
        wanted.append((authority, rec_text))
    if len(wanted) > RECOMMENDATIONS_MAX:
        raise CouncilError(_l("At most %(num)d recommendations at a time.", num=RECOMMENDATIONS_MAX))
    sent = {
        (authority_id, rec_text)
        for authority_id, rec_text in db.session.execute(
            sa.select(Recommendation.authority_id, Recommendation.text).where(Recommendation.item_id == item.id)
        )
    }
    for authority, rec_text in wanted:
        if (authority.id, rec_text) in sent:
            raise Conflict(_l("This recommendation was already sent to %(authority)s.", authority=localized(authority)))
        sent.add((authority.id, rec_text))
    if wanted:
        vote = latest_closed_vote(item)
        if vote is None or vote.outcome != VoteOutcome.ADOPTED:
            raise CouncilError(_l("Recommendations go with a decision the council adopted by vote."))
    item.decision_text = text
    item.decided_at = loop.current_time()
    db.session.flush()
    audit.record("council.decision_recorded", item, actor, recommendations=len(wanted))
    participant_ids = sorted({m.user_id for m in serving_members(meeting) if m.user_id is not None})
    made = []
    for authority, rec_text in wanted:
        rec = Recommendation(item_id=item.id, authority_id=authority.id, text=rec_text, created_by_id=actor.id)
        db.session.add(rec)
        db.session.flush()
        title = str(_l("Recommendation of %(council)s: %(title)s", council=council_name(council), title=item.title))
        if len(title) > CASE_TITLE_MAX:
            title = title[: CASE_TITLE_MAX - 1].rstrip() + "…"
        body = "\n\n".join(
            [rec_text, str(_l("Decision of the council (meeting No. %(number)s):", number=meeting.number)), text]
        )
        case = loop.open_case(
            CaseSource.COUNCIL_RECOMMENDATION,
            authority,
            title=title,
            body=body,
            territory_code=council.authority.territory_code,
            participant_ids=participant_ids,
            participant_role=ParticipantRole.MEMBER,
            source_ref=f"council-recommendation:{rec.id}",
            actor=actor,
        )
        rec.case_id = case.id
        db.session.flush()
        audit.record("council.recommendation_sent", rec, actor, authority_id=authority.id, case_id=case.id)
        made.append(rec)
    return made


def recommendation_for_case(case) -> Recommendation | None:
    """The recommendation a case carries (the root of its chain was opened by it)."""
    ids = {case.id, case.root_id or case.id}
    return db.session.scalar(sa.select(Recommendation).where(Recommendation.case_id.in_(ids)).limit(1))


def authority_choices(council) -> list:
    """The addressees offered for recommendations: the council's authority and its ladder up, and the
    authorities directly below it."""
    from core.authorities.services import authorities_below

    seen: dict[int, object] = {}
    for authority in [*council.authority.ladder(), *authorities_below(council.authority)]:
        seen.setdefault(authority.id, authority)
    return list(seen.values())
