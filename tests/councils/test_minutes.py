"""Minutes (councils/minutes.py): the generated text, the state machine and the mail to followers."""

from __future__ import annotations

import pytest

from core.db import commit
from core.db import db as _db
from core.errors import Conflict, NotAllowed
from councils import minutes as service
from councils import voting
from councils.errors import CouncilError
from councils.models import Follower, MeetingState, MinutesState
from tests.councils.test_voting import AT, leave, make_meeting, vote_all, voters


@pytest.fixture
def held(cworld):
    """A held meeting: 9 voting members present (one of them left at 10:30 after voting), one absent; the item
    adopted 7–1–1 with one vote given by hand, with a decision and a recommendation to the district akimat."""
    people = voters(cworld)
    absent = cworld.members[6]
    meeting, item = make_meeting(cworld, present=[m for m in people if m is not absent] + [cworld.state_member])
    vote = voting.open_vote(item, cworld.secretary.user, "Support the street lighting?")
    vote_all(vote, [(m, "for") for m in people[:6]] + [(cworld.members[4], "against")])
    voting.record_by_hand(vote, cworld.secretary.user, cworld.paper_member, "for")
    voting.cast(vote, cworld.members[5].user, "abstain")
    leave(meeting, cworld.members[5])
    voting.close_vote(vote, cworld.secretary.user)
    voting.record_decision(
        item,
        cworld.secretary.user,
        "The council supports the lighting.",
        [(cworld.district, "Include the lighting of Ainabulak streets in the 2026 budget.")],
    )
    meeting.state = MeetingState.HELD
    meeting.ended_at = AT
    _db.session.flush()
    return meeting


def test_the_draft_has_attendance_votes_and_decisions(cworld, held):
    text = service.draft_text(held)
    item = held.items[0]
    rec = item.recommendations[0]
    for expected in [
        "Public council of the district akimat",
        "Minutes of meeting No. 1",
        "Place: Akimat, hall 2",
        "Present (10):",
        f"  - {cworld.chair.full_name} (Chair)",
        f"  - {cworld.state_member.full_name} (no voting right)",
        "Absent (1):",
        f"  - {cworld.members[6].full_name}",
        "Left during the meeting:",
        f"  - {cworld.members[5].full_name}: 10:30",
        "Quorum: 9 of 10 members with voting rights present, 7 needed. Quorum met.",
        "1. Street lighting in Ainabulak",
        "  Kind: Citizens' case",
        "  Rapporteur: Дәурен Сейітов",
        "  Vote: Support the street lighting?",
        "    For: 7; Against: 1; Abstain: 1",
        "    Quorum: 9 of 10 present, 7 needed.",
        "    Needed to pass: 5.",
        "    Outcome: Adopted (For)",
        "    Roll call:",
        f"      - {cworld.paper_member.full_name}: For (by hand)",
        f"      - {cworld.members[4].full_name}: Against",
        "    The council supports the lighting.",
        f"    - {cworld.district.name_en} (case #{rec.case_id}):",
        "      Include the lighting of Ainabulak streets in the 2026 budget.",
    ]:
        assert expected in text, expected
    assert f"{cworld.members[5].full_name}: Abstain" in text


def test_a_secret_ballot_has_no_roll_call_in_the_minutes(cworld):
    meeting, item = make_meeting(cworld, secret_ballot=True)
    vote = voting.open_vote(item, cworld.secretary.user)
    voting.cast(vote, cworld.members[0].user, "for")
    voting.close_vote(vote, cworld.secretary.user)
    text = service.draft_text(meeting)
    assert "Secret ballot: no roll call." in text
    assert cworld.members[0].full_name + ": For" not in text


def test_the_state_machine(cworld, held):
    with pytest.raises(NotAllowed):
        service.minutes_for(held, cworld.members[0].user)
    minutes = service.minutes_for(held, cworld.secretary.user)
    assert minutes.state == MinutesState.DRAFT and "Minutes of meeting No. 1" in minutes.text
    assert service.minutes_for(held, cworld.chair.user).id == minutes.id  # created once
    with pytest.raises(Conflict):
        service.publish_minutes(minutes, cworld.secretary.user)
    with pytest.raises(CouncilError):
        service.edit_minutes(minutes, cworld.secretary.user, "  ")
    service.edit_minutes(minutes, cworld.secretary.user, "Edited minutes.\r\nSecond line.")
    assert (minutes.text, minutes.edited_by_id) == ("Edited minutes.\nSecond line.", cworld.secretary.user_id)
    with pytest.raises(NotAllowed):
        service.approve_minutes(minutes, cworld.admin)
    service.approve_minutes(minutes, cworld.chair.user)
    assert (minutes.state, minutes.approved_by_id, minutes.approved_at) == (
        MinutesState.APPROVED,
        cworld.chair.user_id,
        AT,
    )
    with pytest.raises(Conflict):
        service.edit_minutes(minutes, cworld.secretary.user, "Changed after approval.")
    with pytest.raises(Conflict):
        service.approve_minutes(minutes, cworld.secretary.user)
    service.publish_minutes(minutes, cworld.secretary.user)
    assert (minutes.state, minutes.published_at) == (MinutesState.PUBLISHED, AT)
    with pytest.raises(Conflict):
        service.publish_minutes(minutes, cworld.secretary.user)


@pytest.mark.parametrize("state", [MeetingState.ANNOUNCED, MeetingState.IN_PROGRESS, MeetingState.CANCELLED])
def test_no_minutes_before_the_meeting_is_held(cworld, state):
    meeting, _item = make_meeting(cworld, state=state)
    with pytest.raises(CouncilError, match="once the meeting is held"):
        service.minutes_for(meeting, cworld.secretary.user)


def test_publishing_mails_every_follower_in_their_language(cworld, held, make_user, outbox):
    kk = make_user("kk@example.kz", locale="kk")
    for user in (cworld.citizen, kk):
        _db.session.add(Follower(council_id=cworld.council.id, user_id=user.id))
    minutes = service.minutes_for(held, cworld.secretary.user)
    service.approve_minutes(minutes, cworld.secretary.user)
    commit()
    before = len(outbox)  # the recommendation's case told its authority's officers
    service.publish_minutes(minutes, cworld.secretary.user)
    assert len(outbox) == before  # nothing before the commit
    commit()
    messages = {m["To"]: m for m in outbox.messages()[before:]}
    assert set(messages) == {"citizen@example.kz", "kk@example.kz"}
    en = messages["citizen@example.kz"]
    assert en["Subject"] == "Minutes published: Public council of the district akimat, meeting No. 1"
    body = en.get_body(("plain",)).get_content()
    assert f"http://localhost/councils/meetings/{held.id}/minutes" in body
    assert "February 2, 2026" in body
    kk_message = messages["kk@example.kz"]
    assert kk_message["Content-Language"] == "kk"
    assert cworld.council.name_kk in kk_message["Subject"]
