"""Edges found in review: what a meeting cancelled before its agenda reveals, odd authority numbers, decisions
after the minutes are approved, moving an announced meeting, cancelling with a citizen's item on the agenda,
rules changing mid-meeting, repeated case notes, following without a confirmed address, and the day's meetings
before 05:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.authorities.services import find_authority
from core.db import db as _db
from core.errors import Conflict, NotAllowed
from councils import meetings, minutes, services, voting
from councils.errors import CouncilError
from councils.models import (
    AgendaItem,
    Attendance,
    ItemKind,
    Meeting,
    MeetingFormat,
    MeetingState,
    ProposalState,
)
from feedback import services as loop
from feedback.models import CaseEvent, EventKind

PLACE = "Akimat, hall 2"


def plan(cworld, clock, days=20) -> Meeting:
    return meetings.plan_meeting(
        cworld.council, cworld.secretary.user, clock.now.replace(tzinfo=UTC) + timedelta(days=days), "in_person", PLACE
    )


def a_case(cworld):
    return loop.file_proposal(cworld.citizen, cworld.rural, "Street lights in Ainabulak", "Please light the street.")


def held_with_adopted_item(cworld, clock):
    """A held meeting (all present) whose item's vote was adopted."""
    now = clock.now.replace(tzinfo=UTC)
    meeting = Meeting(
        council_id=cworld.council.id,
        number=1,
        starts_at=now - timedelta(hours=2),
        state=MeetingState.IN_PROGRESS,
        agenda_published_at=now - timedelta(days=12),
        place=PLACE,
    )
    _db.session.add(meeting)
    _db.session.flush()
    item = AgendaItem(meeting_id=meeting.id, position=1, kind=ItemKind.OTHER, title="Water")
    _db.session.add(item)
    for seat in [cworld.chair, cworld.secretary, *cworld.members]:
        _db.session.add(Attendance(meeting_id=meeting.id, member_id=seat.id, present=True, arrived_at=now))
    _db.session.flush()
    vote = voting.open_vote(item, cworld.secretary.user, "Adopt?")
    for seat in [cworld.chair, cworld.secretary, *cworld.members]:
        voting.cast(vote, seat.user, "for")
    voting.close_vote(vote, cworld.secretary.user)
    meetings.end_meeting(meeting, cworld.secretary.user)
    return meeting, item


def test_an_item_of_a_meeting_cancelled_before_its_agenda_stays_private(cworld, clock, client, login):
    meeting = plan(cworld, clock)
    item = meetings.add_item(meeting, cworld.secretary.user, ItemKind.OTHER, "Secret plan item", "confidential draft")
    meetings.cancel_meeting(meeting, cworld.secretary.user, "The hall is closed.")
    _db.session.flush()
    assert client.get(f"/councils/items/{item.id}").status_code == 404
    login(cworld.members[0].user)
    page = client.get(f"/councils/items/{item.id}")
    assert page.status_code == 200 and "confidential draft" in page.get_data(as_text=True)


@pytest.mark.parametrize("key", ["²", "٣", "99999999999999999999", "-1", "0"])
def test_odd_authority_numbers_find_nothing(cworld, key):
    assert find_authority(key) is None


def test_an_odd_authority_number_in_the_decision_form_is_a_message(cworld, clock, client, login):
    _meeting, item = held_with_adopted_item(cworld, clock)
    login(cworld.secretary.user)
    response = client.post(
        f"/councils/items/{item.id}/decision",
        data={"text": "Adopted.", "recommendations-0-authority_key": "²", "recommendations-0-text": "Do it."},
    )
    assert response.status_code == 400
    assert "There is no authority ²." in response.get_data(as_text=True)
    assert item.decision_text is None


def test_an_odd_authority_number_in_the_council_form_is_a_message(cworld, client, login):
    login(cworld.admin)
    assert client.get("/councils/new?authority=²").status_code == 200
    response = client.post("/councils/new", data={"authority": "²", "name_kk": "Кеңес", "name_ru": "Совет"})
    assert response.status_code == 400


def test_decisions_are_closed_once_the_minutes_are_approved(cworld, clock):
    meeting, item = held_with_adopted_item(cworld, clock)
    voting.record_decision(item, cworld.secretary.user, "Adopted.", [(cworld.district, "Light the street.")])
    with pytest.raises(Conflict, match="already sent"):
        voting.record_decision(item, cworld.secretary.user, "Adopted.", [(cworld.district, "Light the street.")])
    record = minutes.minutes_for(meeting, cworld.secretary.user)
    minutes.approve_minutes(record, cworld.secretary.user)
    with pytest.raises(Conflict, match="minutes are approved"):
        voting.record_decision(item, cworld.secretary.user, "Changed.", [(cworld.region, "Something else.")])
    assert item.decision_text == "Adopted." and len(item.recommendations) == 1


def test_an_announced_meeting_cannot_move_inside_its_notice_period(cworld, clock):
    case = a_case(cworld)
    meeting = plan(cworld, clock, days=30)
    meetings.add_item(meeting, cworld.secretary.user, ItemKind.CASE, "Street lights", case=case)
    meetings.publish_agenda(meeting, cworld.secretary.user)  # on 2026-02-02, notice 10 days
    with pytest.raises(CouncilError, match="February 12, 2026 at the earliest"):
        meetings.update_meeting(meeting, cworld.secretary.user, starts_at=datetime(2026, 2, 3, 5, 0, tzinfo=UTC))
    meetings.update_meeting(meeting, cworld.secretary.user, starts_at=datetime(2026, 2, 12, 5, 0, tzinfo=UTC))
    notes = _db.session.scalars(
        sa.select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.ON_AGENDA)
    ).all()
    assert len(notes) == 2 and "February 12, 2026" in notes[1]


def test_a_case_is_noted_once_when_its_item_goes_off_and_back_on(cworld, clock):
    case = a_case(cworld)
    meeting = plan(cworld, clock)
    item = meetings.add_item(meeting, cworld.secretary.user, ItemKind.CASE, "Street lights", case=case)
    meetings.publish_agenda(meeting, cworld.secretary.user)
    meetings.remove_item(item, cworld.secretary.user)
    meetings.add_item(meeting, cworld.secretary.user, ItemKind.CASE, "Street lights", case=case)
    kinds = [e.kind for e in _db.session.get(type(case), case.id).events]
    assert kinds.count(EventKind.ON_AGENDA) == 1


def test_cancelling_puts_a_citizens_proposal_back_in_the_queue(cworld, clock):
    meeting = plan(cworld, clock)
    proposal = meetings.propose_item(cworld.council, cworld.citizen, "Street lights", "Please light the street.")
    meetings.accept_proposal(proposal, cworld.secretary.user, meeting)
    assert proposal.state == ProposalState.ACCEPTED
    meetings.cancel_meeting(meeting, cworld.secretary.user, "The hall is closed.")
    assert proposal.state == ProposalState.PENDING and proposal.meeting_id is None


def test_voting_rules_stay_put_during_a_meeting(cworld, clock):
    meeting = plan(cworld, clock)
    meeting.state = MeetingState.IN_PROGRESS
    _db.session.flush()
    with pytest.raises(Conflict, match="while a meeting"):
        services.update_council(cworld.council, cworld.admin, quorum_numerator=1, quorum_denominator=2)
    services.update_council(cworld.council, cworld.admin, notice_days=7)
    assert (cworld.council.quorum_numerator, cworld.council.notice_days) == (2, 7)


def test_following_needs_a_confirmed_address_but_stopping_does_not(cworld, make_user, client, login):
    unconfirmed = make_user("unconfirmed@example.kz", verified=False)
    with pytest.raises(NotAllowed):
        services.follow(cworld.council, unconfirmed)
    login(unconfirmed)
    page = client.get(f"/councils/{cworld.council.id}").get_data(as_text=True)
    assert "Confirm your email address to follow this council" in page
    assert client.post(f"/councils/{cworld.council.id}/follow", data={"follow": "1"}).status_code == 403
    assert client.post(f"/councils/{cworld.council.id}/follow", data={"follow": "0"}).status_code == 302


def test_the_days_meetings_count_from_local_midnight(cworld, clock):
    meeting = Meeting(
        council_id=cworld.council.id,
        number=1,
        starts_at=datetime(2026, 2, 1, 21, 30, tzinfo=UTC),  # 02:30 on 2 February in Kazakhstan
        state=MeetingState.ANNOUNCED,
        agenda_published_at=datetime(2026, 1, 20, tzinfo=UTC),
        format=MeetingFormat.IN_PERSON,
    )
    _db.session.add(meeting)
    _db.session.flush()
    found = services.next_meetings([cworld.council], clock.today)
    assert found[cworld.council.id].replace(tzinfo=UTC) == datetime(2026, 2, 1, 21, 30, tzinfo=UTC)


def test_cancelling_a_published_meeting_tells_its_cases_and_followers(cworld, clock, make_user, outbox, run_jobs):
    from core.db import commit
    from councils.models import Follower

    reader = make_user(locale="ru")
    _db.session.add(Follower(council_id=cworld.council.id, user_id=reader.id))
    case = a_case(cworld)
    meeting = plan(cworld, clock)
    meetings.add_item(meeting, cworld.secretary.user, ItemKind.CASE, "Street lights", case=case)
    meetings.publish_agenda(meeting, cworld.secretary.user)
    commit()
    run_jobs()
    meetings.cancel_meeting(meeting, cworld.secretary.user, "The hall is flooded.")
    commit()
    run_jobs()
    events = _db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.kind for e in events][-2:] == [EventKind.ON_AGENDA, EventKind.OFF_AGENDA]
    assert events[-1].note.endswith("The hall is flooded.")
    mails = [m for m in outbox.messages() if m["To"] == reader.email]
    assert [m["Subject"] for m in mails] == [
        "Повестка дня заседания № 1: Общественный совет при акимате района",
        "Заседание № 1 отменено: Общественный совет при акимате района",
    ]
    assert "The hall is flooded." in mails[1].get_body(("plain",)).get_content()


def test_cancelling_a_planned_meeting_tells_nobody(cworld, clock, make_user, outbox, run_jobs):
    from core.db import commit
    from councils.models import Follower

    reader = make_user()
    _db.session.add(Follower(council_id=cworld.council.id, user_id=reader.id))
    meeting = plan(cworld, clock)
    meetings.cancel_meeting(meeting, cworld.secretary.user, "Not needed.")
    commit()
    run_jobs()
    assert outbox.messages() == []


def test_the_case_page_says_which_council_and_meeting(cworld, clock, client):
    case = a_case(cworld)
    meeting = plan(cworld, clock)
    meetings.add_item(meeting, cworld.secretary.user, ItemKind.CASE, "Street lights", case=case)
    meetings.publish_agenda(meeting, cworld.secretary.user)
    _db.session.flush()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Put on a public council&#39;s agenda" in page
    assert meetings.agenda_note(meeting) in page
