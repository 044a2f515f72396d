"""Open data of public councils: the JSON API of councils, their members, meetings, votes and decisions.

Everything here is public and read-only, and follows the loop's open data (``feedback.api``): the same
shapes for authorities and cases, the same error JSON on ``/api/`` paths. Members appear by name, position and
organisation (names of council members are public); no email and no account id leaves through these routes.
A meeting is public once its agenda is published; a vote shows its counts and roll call only once it is
closed, and never the roll call of a secret ballot.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from core.authorities.models import Authority
from core.db import db
from core.errors import AppError
from councils.meetings import meeting_day, quorum_status
from councils.models import (
    Affiliation,
    AgendaItem,
    Council,
    CouncilMember,
    Meeting,
    MinutesState,
    Recommendation,
    Vote,
    VoteState,
)
from councils.services import POSITION_ORDER
from feedback import services as loop
from feedback.api import _int_arg, _iso, _open_data_headers, authority_json, case_url

bp = Blueprint("councils_api", __name__)
bp.after_request(_open_data_headers)

PER_PAGE = 50
PER_PAGE_MAX = 200
PAGE_MAX = 100_000
# -- shapes ---------------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def serving(council: Council, on: date) -> list[CouncilMember]:
    """The members serving on the day: chair, deputy chair, secretary, then members, each in order of seating."""
    seats = [m for m in council.members if m.serves_on(on)]
    return sorted(seats, key=lambda m: (POSITION_ORDER.index(m.position), m.id))


def _counts(seats: list[CouncilMember]) -> dict:
    return {
        "total": len(seats),
        "with_vote": sum(1 for m in seats if m.voting_right),
        "civil_society": sum(1 for m in seats if m.affiliation == Affiliation.CIVIL_SOCIETY),
        "state_body": sum(1 for m in seats if m.affiliation == Affiliation.STATE_BODY),
        "youth": sum(1 for m in seats if m.is_youth),
    }


def council_json(council: Council, on: date) -> dict:
    """A council as the list shows it."""
    counts = _counts(serving(council, on))
    return {
        "id": council.id,
        "kind": council.kind.value,
        "name": {"kk": council.name_kk, "ru": council.name_ru, "en": council.name_en or None},
        "authority": authority_json(council.authority),
        "term": {"starts_on": _iso(council.term_starts_on), "ends_on": _iso(council.term_ends_on)},
        "rules": {
            "quorum": f"{council.quorum_numerator}/{council.quorum_denominator}",
            "majority": f"{council.majority_numerator}/{council.majority_denominator}",
            "majority_base": council.majority_base.value,
            "notice_days": council.notice_days,
        },
        "members": counts,
        "civil_society_share": _share(counts["civil_society"], counts["total"]),
        "youth_share": _share(counts["youth"], counts["total"]),
        "url": url_for("councils.council", council_id=council.id, _external=True),
        "api_url": url_for("councils_api.council_detail", council_id=council.id, _external=True),
    }


def member_json(member: CouncilMember) -> dict:
    return {
        "id": member.id,
        "full_name": member.full_name,
        "position": member.position.value,
        "affiliation": member.affiliation.value,
        "organisation": member.organisation or None,
        "voting_right": member.voting_right,
        "term": {"starts_on": _iso(member.term_starts_on), "ends_on": _iso(member.term_ends_on)},
    }


def _case_ref(case) -> dict | None:
    if case is None:
        return None
    return {"id": case.id, "url": case_url(case.id), "state": case.state.value}


def recommendation_json(recommendation: Recommendation) -> dict:
    case = recommendation.case
    return {
        "id": recommendation.id,
        "authority": authority_json(recommendation.authority),
        "text": recommendation.text,
        "case_id": case.id if case is not None else None,
        "case_url": case_url(case.id) if case is not None else None,
        "case_state": case.state.value if case is not None else None,
        "answer_decision": case.decision.value if case is not None and case.decision is not None else None,
    }


def _meeting_ref(meeting: Meeting) -> dict:
    return {
        "id": meeting.id,
        "number": meeting.number,
        "starts_at": _iso(meeting.starts_at),
        "state": meeting.state.value,
        "format": meeting.format.value,
        "url": url_for("councils.meeting", meeting_id=meeting.id, _external=True),
        "api_url": url_for("councils_api.meeting_detail", meeting_id=meeting.id, _external=True),
    }


def is_public(meeting: Meeting) -> bool:
    """Public once its agenda is published (a planned meeting, or one cancelled before that, is not)."""
    return meeting.agenda_published_at is not None


def council_detail_json(council: Council, on: date) -> dict:
    meetings = [m for m in council.meetings if is_public(m)]
    decisions = []
    for meeting in sorted(meetings, key=lambda m: m.starts_at, reverse=True):
        for item in meeting.items:
            if item.decision_text is None and not item.recommendations:
                continue
            decisions.append(
                {
                    "item_id": item.id,
                    "meeting_id": meeting.id,
                    "title": item.title,
                    "text": item.decision_text,
                    "decided_at": _iso(item.decided_at),
                    "recommendations": [recommendation_json(r) for r in item.recommendations],
                }
            )
    return {
        **council_json(council, on),
        "description": council.description or None,
        "serving_members": [member_json(m) for m in serving(council, on)],
        "meetings": [_meeting_ref(m) for m in meetings],
        "decisions": decisions,
    }


def vote_json(vote: Vote) -> dict:
    """An open vote shows only how many ballots are in; a closed one its counts, outcome and (unless the
    ballot is secret) the roll call."""
    if vote.state == VoteState.OPEN:
        return {"state": VoteState.OPEN.value, "ballots_cast": len(vote.ballots)}
    return {
        "id": vote.id,
        "state": vote.state.value,
        "question": vote.question,
        "options": vote.option_keys,
        "secret": vote.secret,
        "closed_at": _iso(vote.closed_at),
        "counts": vote.counts,
        "members_with_vote": vote.members_with_vote,
        "present_with_vote": vote.present_with_vote,
        "quorum_needed": vote.quorum_needed,
        "quorum_met": vote.quorum_met,
        "majority_needed": vote.majority_needed,
        "outcome": vote.outcome.value if vote.outcome is not None else None,
        "winning_option": vote.winning_option,
        "roll_call": None
        if vote.secret
        else [{"member": b.member.full_name, "choice": b.choice, "by_hand": b.by_hand} for b in vote.ballots],
    }


def item_json(item: AgendaItem) -> dict:
    return {
        "id": item.id,
        "position": item.position,
        "kind": item.kind.value,
        "title": item.title,
        "description": item.description or None,
        "rapporteur": item.rapporteur or None,
        "secret_ballot": item.secret_ballot,
        "case": _case_ref(item.case),
        "materials": [
            {
                "filename": m.filename,
                "size": m.size,
                "content_type": m.content_type,
                "url": url_for("councils.material", material_id=m.id, _external=True),
            }
            for m in item.materials
        ],
        "decision": item.decision_text,
        "votes": [vote_json(v) for v in item.votes],
        "recommendations": [recommendation_json(r) for r in item.recommendations],
    }


def attendance_json(meeting: Meeting) -> dict:
    """Counts of the members serving on the meeting's day: present (and not gone), absent, left early."""
    day = meeting_day(meeting)  # the meeting's day in Kazakhstan, as everywhere else
    seats = {m.id: m for m in meeting.council.members if m.serves_on(day)}
    rows = {a.member_id: a for a in meeting.attendance if a.member_id in seats}
    present = [a for a in rows.values() if a.is_present]
    left = [a for a in rows.values() if a.present and a.left_at is not None]
    quorum = quorum_status(meeting)
    return {
        "members": len(seats),
        "members_with_vote": quorum.members_with_vote,
        "present": len(present),
        "present_with_vote": quorum.present_with_vote,
        "absent": len(seats) - len(present) - len(left),
        "left": len(left),
        "quorum_needed": quorum.needed,
        "quorum_met": quorum.met,
    }


def meeting_json(meeting: Meeting) -> dict:
    council = meeting.council
    minutes = meeting.minutes
    published = minutes is not None and minutes.state == MinutesState.PUBLISHED
    return {
        "id": meeting.id,
        "number": meeting.number,
        "council": {
            "id": council.id,
            "name": {"kk": council.name_kk, "ru": council.name_ru, "en": council.name_en or None},
            "url": url_for("councils.council", council_id=council.id, _external=True),
            "api_url": url_for("councils_api.council_detail", council_id=council.id, _external=True),
        },
        "starts_at": _iso(meeting.starts_at),
        "format": meeting.format.value,
        "place": meeting.place or None,
        "online_url": meeting.online_url or None,
        "state": meeting.state.value,
        "agenda_published_at": _iso(meeting.agenda_published_at),
        "late_reason": meeting.late_reason or None,
        "cancelled_reason": meeting.cancelled_reason or None,
        "items": [item_json(i) for i in meeting.items],
        "attendance": attendance_json(meeting),
        "minutes": {
            "state": minutes.state.value,
            "published_at": _iso(minutes.published_at),
            "url": url_for("councils.minutes", meeting_id=meeting.id, _external=True),
        }
        if published
        else None,
        "url": url_for("councils.meeting", meeting_id=meeting.id, _external=True),
    }


# -- JSON -----------------------------------------------------------------------------------------------


def _bounded(name: str, default: int, maximum: int) -> int:
    value = _int_arg(name, default)
    if not 1 <= value <= maximum:
        raise AppError(_("%(name)s must be between 1 and %(max)d.", name=name, max=maximum))
    return value


@bp.get("/api/v1/councils")
def council_list():
    authority_id = _int_arg("authority_id")
    page = _bounded("page", 1, PAGE_MAX)
    per_page = _bounded("per_page", PER_PAGE, PER_PAGE_MAX)
    where = []
    if authority_id is not None:
        if db.session.get(Authority, authority_id) is None:
            abort(404)
        where.append(Council.authority_id == authority_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Council).where(*where))
    councils = db.session.scalars(
        sa.select(Council)
        .where(*where)
        .options(selectinload(Council.members))
        .order_by(Council.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique()
    pages = max(1, -(-total // per_page))
    args = {"authority_id": authority_id} if authority_id is not None else {}

    def page_url(n: int) -> str:
        return url_for("councils_api.council_list", page=n, per_page=per_page, _external=True, **args)

    on = loop.today()
    return jsonify(
        items=[council_json(c, on) for c in councils],
        page=page,
        per_page=per_page,
        total=total,
        pages=pages,
        next=page_url(page + 1) if page < pages else None,
        prev=page_url(page - 1) if page > 1 else None,
    )


@bp.get("/api/v1/councils/<int:council_id>")
def council_detail(council_id: int):
    council = db.session.get(Council, council_id)
    if council is None:
        abort(404)
    return jsonify(council_detail_json(council, loop.today()))


@bp.get("/api/v1/meetings/<int:meeting_id>")
def meeting_detail(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not is_public(meeting):
        abort(404)
    return jsonify(meeting_json(meeting))
