"""Votes, ballots, decisions and recommendations (councils/voting.py) on the district council of ``cworld``:
10 members with voting rights (quorum 7), a state-body member without a vote, a member without an account.

Meetings, items and attendance are made here straight from the models (the meeting services are tested on
their own)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.calendar import add_working_days
from core.db import commit
from core.db import db as _db
from core.errors import Conflict, NotAllowed
from councils import voting
from councils.errors import CouncilError
from councils.models import (
    AgendaItem,
    Attendance,
    Ballot,
    ItemKind,
    Meeting,
    MeetingState,
    Recommendation,
    VoteOutcome,
    VoteState,
)
from feedback import rules as loop_rules
from feedback import services as loop
from feedback.models import CaseParticipant, CaseSource, CaseState, Decision, ParticipantRole
from tests.councils.conftest import NOW, TODAY

AT = NOW.replace(tzinfo=UTC)


def voters(cworld) -> list:
    """The 10 members with voting rights: chair, secretary, 7 members, the member without an account."""
    return [cworld.chair, cworld.secretary, *cworld.members, cworld.paper_member]


def make_meeting(cworld, present=None, state=MeetingState.IN_PROGRESS, number=1, kind=ItemKind.CASE, **item_fields):
    """A meeting of the council with one agenda item; ``present``: members marked present (default: all 10
    voting members and the state-body member)."""
    meeting = Meeting(
        council_id=cworld.council.id,
        number=number,
        starts_at=AT,
        place="Akimat, hall 2",
        state=state,
        agenda_published_at=None if state == MeetingState.PLANNED else AT - timedelta(days=12),
    )
    _db.session.add(meeting)
    _db.session.flush()
    item = AgendaItem(
        meeting_id=meeting.id,
        position=1,
        kind=kind,
        title=item_fields.pop("title", "Street lighting in Ainabulak"),
        rapporteur=item_fields.pop("rapporteur", "Дәурен Сейітов"),
        **item_fields,
    )
    _db.session.add(item)
    present = [*voters(cworld), cworld.state_member] if present is None else present
    for member in present:
        _db.session.add(Attendance(meeting_id=meeting.id, member_id=member.id, present=True, arrived_at=AT))
    _db.session.flush()
    _db.session.refresh(meeting)
    return meeting, item


def leave(meeting, member, minutes=30):
    row = _db.session.get(Attendance, (meeting.id, member.id))
    row.left_at = AT + timedelta(minutes=minutes)
    _db.session.flush()


def vote_all(vote, pairs):
    for member, choice in pairs:
        voting.cast(vote, member.user, choice)


def adopted_item(cworld, **fields):
    """A meeting whose item was adopted: 8 for, 1 against, 1 abstains (all 10 present)."""
    meeting, item = make_meeting(cworld, **fields)
    vote = voting.open_vote(item, cworld.secretary.user)
    people = voters(cworld)
    vote_all(vote, [(m, "for") for m in people[:8]] + [(people[8], "against")])
    voting.record_by_hand(vote, cworld.secretary.user, cworld.paper_member, "abstain")
    voting.close_vote(vote, cworld.chair.user)
    assert vote.outcome == VoteOutcome.ADOPTED
    return meeting, item, vote


# -- option sets -----------------------------------------------------------------------------------------


def test_option_sets_are_data_and_only_admins_change_them(cworld):
    assert voting.option_set(ItemKind.CASE) == ("for", "against", "abstain")
    assert voting.option_set(ItemKind.DRAFT_ACT) == ("approve", "recommend", "disagree", "abstain")
    with pytest.raises(NotAllowed):
        voting.set_option_set(ItemKind.REPORT, "for,against", cworld.secretary.user)
    with pytest.raises(CouncilError):
        voting.set_option_set(ItemKind.REPORT, "for,maybe", cworld.admin)
    with pytest.raises(CouncilError):
        voting.set_option_set(ItemKind.REPORT, "for,abstain", cworld.admin)
    voting.set_option_set(ItemKind.REPORT, " approve , disagree,abstain", cworld.admin)
    assert voting.option_set(ItemKind.REPORT) == ("approve", "disagree", "abstain")
    assert voting.option_set(ItemKind.OTHER) == ("for", "against", "abstain")
    voting.set_option_set(ItemKind.REPORT, ["for", "against"], cworld.admin)
    assert voting.option_set(ItemKind.REPORT) == ("for", "against")


def test_a_vote_copies_the_options_of_its_kind_and_the_secret_ballot(cworld):
    voting.set_option_set(ItemKind.MONITORING, "for,against", cworld.admin)
    _meeting, item = make_meeting(cworld, kind=ItemKind.MONITORING, secret_ballot=True)
    vote = voting.open_vote(item, cworld.chair.user, "  Do we accept the   monitoring report? ")
    assert (vote.options, vote.secret, vote.state) == ("for,against", True, VoteState.OPEN)
    assert vote.question == "Do we accept the monitoring report?"
    assert vote.opened_by_id == cworld.chair.user_id


# -- opening ---------------------------------------------------------------------------------------------


def test_only_the_secretary_or_chair_opens_a_vote_while_the_meeting_is_in_progress(cworld):
    _meeting, item = make_meeting(cworld)
    for someone in (cworld.members[0].user, cworld.citizen, cworld.admin, cworld.officer):
        with pytest.raises(NotAllowed):
            voting.open_vote(item, someone)
    vote = voting.open_vote(item, cworld.secretary.user)
    assert vote.question == "Street lighting in Ainabulak"
    with pytest.raises(Conflict):
        voting.open_vote(item, cworld.chair.user)


@pytest.mark.parametrize("state", [MeetingState.PLANNED, MeetingState.ANNOUNCED, MeetingState.HELD])
def test_no_vote_outside_the_meeting(cworld, state):
    _meeting, item = make_meeting(cworld, state=state)
    with pytest.raises(CouncilError):
        voting.open_vote(item, cworld.secretary.user)


# -- casting ---------------------------------------------------------------------------------------------


def test_who_may_cast(cworld):
    absent = cworld.members[6]
    meeting, item = make_meeting(cworld, present=[m for m in voters(cworld) if m is not absent])
    vote = voting.open_vote(item, cworld.secretary.user)
    leaver = cworld.members[5]
    leave(meeting, leaver)
    assert voting.can_cast(vote, cworld.members[0].user) == (True, None)
    checks = {
        "citizen": (cworld.citizen, NotAllowed, "Only the council's members vote."),
        "no right": (cworld.state_member.user, NotAllowed, "You have no voting right on this council."),
        "absent": (absent.user, CouncilError, "Only members present at the meeting vote."),
        "left": (leaver.user, CouncilError, "Only members present at the meeting vote."),
    }
    for name, (user, error, message) in checks.items():
        ok, reason = voting.can_cast(vote, user)
        assert not ok and reason.startswith(message), name
        with pytest.raises(error, match=message):
            voting.cast(vote, user, "for")
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0


def test_a_member_votes_once_and_only_among_the_options(cworld):
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    member = cworld.members[0].user
    with pytest.raises(CouncilError, match="Choose one of the options"):
        voting.cast(vote, member, "approve")
    ballot = voting.cast(vote, member, "against")
    assert (ballot.choice, ballot.by_hand, ballot.member_id) == ("against", False, cworld.members[0].id)
    assert voting.can_cast(vote, member) == (False, "You have already voted.")
    with pytest.raises(Conflict, match="already voted"):
        voting.cast(vote, member, "for")
    assert voting.ballot_count(vote) == 1


def test_a_duplicate_ballot_racing_past_the_check_is_a_conflict_not_a_crash(cworld, monkeypatch):
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    voting.cast(vote, cworld.members[0].user, "for")
    monkeypatch.setattr(voting, "ballot_of", lambda vote, member: None)  # the other request checked first
    with pytest.raises(Conflict):
        voting.cast(vote, cworld.members[0].user, "against")
    assert [b.choice for b in vote.ballots] == ["for"]


def test_no_ballot_after_closing(cworld):
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    voting.close_vote(vote, cworld.secretary.user)
    with pytest.raises(Conflict, match="closed"):
        voting.cast(vote, cworld.members[0].user, "for")
    with pytest.raises(Conflict, match="closed"):
        voting.record_by_hand(vote, cworld.secretary.user, cworld.paper_member, "for")
    with pytest.raises(Conflict):
        voting.close_vote(vote, cworld.secretary.user)


def test_the_secretary_records_a_vote_given_by_hand_marked_as_such(cworld):
    absent = cworld.members[6]
    _meeting, item = make_meeting(cworld, present=[m for m in voters(cworld) if m is not absent])
    vote = voting.open_vote(item, cworld.secretary.user)
    ballot = voting.record_by_hand(vote, cworld.secretary.user, cworld.paper_member, "for")
    assert (ballot.by_hand, ballot.recorded_by_id, ballot.member_id) == (
        True,
        cworld.secretary.user_id,
        cworld.paper_member.id,
    )
    with pytest.raises(Conflict):
        voting.record_by_hand(vote, cworld.chair.user, cworld.paper_member, "against")
    with pytest.raises(CouncilError, match="not marked present"):
        voting.record_by_hand(vote, cworld.secretary.user, absent, "for")
    with pytest.raises(CouncilError, match="no voting right"):
        voting.record_by_hand(vote, cworld.secretary.user, cworld.state_member, "for")
    with pytest.raises(NotAllowed):
        voting.record_by_hand(vote, cworld.members[0].user, cworld.members[1], "for")
    with pytest.raises(CouncilError, match="Choose one of the options"):
        voting.record_by_hand(vote, cworld.secretary.user, cworld.members[1], "yes")


# -- closing ---------------------------------------------------------------------------------------------


def test_closing_counts_and_applies_the_rules(cworld):
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    people = voters(cworld)
    vote_all(vote, [(m, "for") for m in people[:6]] + [(people[6], "against"), (people[7], "against")])
    voting.record_by_hand(vote, cworld.secretary.user, cworld.paper_member, "abstain")
    # people[8] (a member) does not vote; the state-body member is present but has no vote.
    voting.close_vote(vote, cworld.chair.user)
    assert vote.state == VoteState.CLOSED
    assert vote.counts == {"for": 6, "against": 2, "abstain": 1}
    assert (vote.members_with_vote, vote.present_with_vote, vote.quorum_needed, vote.quorum_met) == (10, 10, 7, True)
    assert (vote.majority_needed, vote.outcome, vote.winning_option) == (6, VoteOutcome.ADOPTED, "for")
    assert vote.closed_by_id == cworld.chair.user_id
    assert vote.closed_at == AT


def test_with_base_cast_abstentions_are_left_out(cworld):
    cworld.council.majority_base = "cast"
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    people = voters(cworld)
    vote_all(vote, [(m, "for") for m in people[:5]] + [(m, "against") for m in people[5:7]])
    vote_all(vote, [(m, "abstain") for m in people[7:9]])
    voting.close_vote(vote, cworld.secretary.user)
    assert (vote.majority_needed, vote.outcome) == (4, VoteOutcome.ADOPTED)


def test_a_member_leaving_before_voting_lowers_those_present_and_can_break_the_quorum(cworld):
    people = voters(cworld)
    meeting, item = make_meeting(cworld, present=people[:7] + [cworld.state_member])
    vote = voting.open_vote(item, cworld.secretary.user)
    leave(meeting, people[6])
    vote_all(vote, [(m, "for") for m in people[:6]])
    voting.close_vote(vote, cworld.secretary.user)
    assert (vote.members_with_vote, vote.present_with_vote, vote.quorum_needed) == (10, 6, 7)
    assert (vote.quorum_met, vote.outcome, vote.majority_needed) == (False, VoteOutcome.NOT_HELD, None)
    assert vote.counts == {"for": 6, "against": 0, "abstain": 0}


def test_a_member_who_voted_and_then_left_still_counts(cworld):
    people = voters(cworld)
    meeting, item = make_meeting(cworld, present=people[:7])
    vote = voting.open_vote(item, cworld.secretary.user)
    vote_all(vote, [(m, "for") for m in people[:7]])
    leave(meeting, people[6])
    voting.close_vote(vote, cworld.secretary.user)
    assert (vote.present_with_vote, vote.quorum_met, vote.majority_needed) == (7, True, 4)
    assert vote.outcome == VoteOutcome.ADOPTED


def test_members_without_voting_rights_and_former_members_are_not_counted(cworld):
    cworld.members[6].term_ends_on = TODAY - timedelta(days=1)  # left the council yesterday
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    assert voting.can_cast(vote, cworld.members[6].user)[0] is False
    voting.close_vote(vote, cworld.secretary.user)
    # 9 serving with a vote (the state-body member present has none): quorum 6 of 9.
    assert (vote.members_with_vote, vote.present_with_vote, vote.quorum_needed) == (9, 9, 6)
    assert vote.outcome == VoteOutcome.REJECTED


def test_the_roll_call_is_hidden_while_open_and_for_a_secret_ballot(cworld):
    _meeting, item = make_meeting(cworld)
    vote = voting.open_vote(item, cworld.secretary.user)
    voting.cast(vote, cworld.members[0].user, "for")
    voting.record_by_hand(vote, cworld.secretary.user, cworld.paper_member, "against")
    assert voting.roll_call(vote) is None
    voting.close_vote(vote, cworld.secretary.user)
    roll = [(b.member.full_name, b.choice, b.by_hand) for b in voting.roll_call(vote)]
    assert roll == [("Мүше Нөмір0", "for", False), ("Сәуле Ахметова", "against", True)]
    _m2, secret_item = make_meeting(cworld, number=2, secret_ballot=True)
    secret = voting.open_vote(secret_item, cworld.secretary.user)
    voting.cast(secret, cworld.members[0].user, "for")
    voting.close_vote(secret, cworld.secretary.user)
    assert secret.secret is True and voting.roll_call(secret) is None


# -- decisions and recommendations -------------------------------------------------------------------------


def test_recommendations_open_cases_in_the_loop(cworld):
    meeting, item, _vote = adopted_item(cworld)
    made = voting.record_decision(
        item,
        cworld.secretary.user,
        "The council supports lighting the streets of Ainabulak this year.",
        [
            (cworld.district, "Include the lighting of Ainabulak streets in the 2026 budget."),
            (cworld.rural, "Report on the state of street lamps to the council by April."),
        ],
    )
    assert item.decision_text == "The council supports lighting the streets of Ainabulak this year."
    assert [r.authority_id for r in made] == [cworld.district.id, cworld.rural.id]
    case = made[0].case
    assert case.source == CaseSource.COUNCIL_RECOMMENDATION
    assert case.authority_id == cworld.district.id
    assert case.source_ref == f"council-recommendation:{made[0].id}"
    assert case.title == "Recommendation of Public council of the district akimat: Street lighting in Ainabulak"
    assert case.body.startswith("Include the lighting of Ainabulak streets in the 2026 budget.")
    assert "The council supports lighting" in case.body
    assert case.territory_code == cworld.district.territory_code
    days = loop_rules.response_working_days(CaseSource.COUNCIL_RECOMMENDATION, cworld.district)
    assert days == 15
    assert case.due_on == add_working_days(TODAY, 15)
    participants = _db.session.scalars(sa.select(CaseParticipant).where(CaseParticipant.case_id == case.id)).all()
    # Every serving member with an account: chair, secretary, 7 members and the state-body member.
    assert len(participants) == 10
    assert {p.user_id for p in participants} == {
        m.user_id for m in [*voters(cworld), cworld.state_member] if m.user_id is not None
    }
    assert {p.role for p in participants} == {ParticipantRole.MEMBER}
    assert made[1].case.authority_id == cworld.rural.id
    assert voting.recommendation_for_case(case).id == made[0].id


def test_a_long_title_is_trimmed_to_200(cworld):
    _meeting, item, _vote = adopted_item(cworld, title="Lighting " * 33)
    [rec] = voting.record_decision(
        item, cworld.secretary.user, "Supported.", [(cworld.district, "Light every street, please.")]
    )
    assert len(rec.case.title) <= 200 and rec.case.title.endswith("…")


def test_recommendations_need_an_adopted_vote(cworld):
    _meeting, item = make_meeting(cworld)
    rec = [(cworld.district, "Include the lighting in the budget.")]
    with pytest.raises(CouncilError, match="adopted by vote"):
        voting.record_decision(item, cworld.secretary.user, "Supported.", rec)
    vote = voting.open_vote(item, cworld.secretary.user)
    vote_all(vote, [(m, "against") for m in voters(cworld)[:8]])
    voting.close_vote(vote, cworld.secretary.user)
    assert vote.outcome == VoteOutcome.REJECTED
    with pytest.raises(CouncilError, match="adopted by vote"):
        voting.record_decision(item, cworld.secretary.user, "Not supported.", rec)
    # A decision without recommendations is fine.
    assert voting.record_decision(item, cworld.secretary.user, "Not supported.", []) == []
    assert item.decision_text == "Not supported."


def test_a_decision_needs_its_text_and_the_secretary(cworld):
    _meeting, item, _vote = adopted_item(cworld)
    with pytest.raises(CouncilError, match="Write the decision"):
        voting.record_decision(item, cworld.secretary.user, "   ", [])
    with pytest.raises(CouncilError, match="addressee and a text"):
        voting.record_decision(item, cworld.secretary.user, "Supported.", [(cworld.district, "  ")])
    with pytest.raises(NotAllowed):
        voting.record_decision(item, cworld.members[0].user, "Supported.", [])
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 0


def test_the_officer_answering_shows_on_the_item_page(cworld, client, login):
    meeting, item, _vote = adopted_item(cworld)
    [rec] = voting.record_decision(
        item, cworld.secretary.user, "Supported.", [(cworld.district, "Include the lighting in the budget.")]
    )
    commit()
    page = client.get(f"/councils/items/{item.id}").get_data(as_text=True)
    assert '<span class="state state-opened">New</span>' in page and f"/cases/{rec.case_id}" in page
    loop.publish_answer(
        rec.case,
        Decision.SUPPORTED,
        "The lighting is in the budget for the third quarter.",
        [SimpleNamespace(description="Install 40 lamps", responsible="District akimat", due_on=date(2026, 9, 30))],
        cworld.officer,
    )
    commit()
    assert rec.case.state == CaseState.ANSWERED
    page = client.get(f"/councils/items/{item.id}").get_data(as_text=True)
    assert '<span class="state state-answered">Answered</span>' in page
    assert f"To {cworld.district.name_en}" in page
    # The case page links back to the item.
    case_page = client.get(f"/cases/{rec.case_id}").get_data(as_text=True)
    assert f'href="/councils/items/{item.id}"' in case_page
    assert "Recommendation of Public council of the district akimat, meeting No. 1: Street lighting in Ainabulak" in (
        case_page
    )
