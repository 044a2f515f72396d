"""Pages of votes, decisions, minutes and option sets (councils/vote_views.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.db import commit
from core.db import db as _db
from councils import minutes as minutes_service
from councils import voting
from councils.models import Ballot, ItemKind, MeetingState, MinutesState, Recommendation, VoteOptionSet
from tests.councils.test_voting import adopted_item, make_meeting, voters


@pytest.fixture
def as_user(client, login):
    def sign_in(user):
        client.post("/account/logout")
        if user is not None:
            login(user)
        return client

    return sign_in


def text_of(response) -> str:
    return response.get_data(as_text=True)


def open_vote(cworld, **fields):
    meeting, item = make_meeting(cworld, **fields)
    vote = voting.open_vote(item, cworld.secretary.user)
    commit()
    return meeting, item, vote


# -- who may ---------------------------------------------------------------------------------------------


def _routes(item, vote, meeting):
    return [
        ("post", f"/councils/items/{item.id}/votes", {"question": "Q?"}),
        ("post", f"/councils/votes/{vote.id}/record", {"member_id": "1", "choice": "for"}),
        ("post", f"/councils/votes/{vote.id}/close", {}),
        ("get", f"/councils/items/{item.id}/decision", None),
        ("post", f"/councils/items/{item.id}/decision", {"text": "Supported."}),
        ("get", f"/councils/meetings/{meeting.id}/minutes/edit", None),
        ("post", f"/councils/meetings/{meeting.id}/minutes/edit", {"text": "Minutes."}),
        ("post", f"/councils/meetings/{meeting.id}/minutes/approve", {}),
        ("post", f"/councils/meetings/{meeting.id}/minutes/publish", {}),
        ("get", "/councils/option-sets", None),
        ("post", "/councils/option-sets", {"case": "for,against"}),
    ]


@pytest.mark.parametrize("who", ["citizen", "member", "officer", "anonymous"])
def test_write_routes_are_closed_to_others(cworld, as_user, who):
    meeting, item, vote = open_vote(cworld)
    user = {
        "citizen": cworld.citizen,
        "member": cworld.members[0].user,
        "officer": cworld.officer,
        "anonymous": None,
    }[who]
    client = as_user(user)
    for method, url, data in _routes(item, vote, meeting):
        response = getattr(client, method)(url, data=data)
        if user is None:
            assert response.status_code == 302 and "/account/login" in response.location, url
        else:
            assert response.status_code == 403, url
    if user is not None and who != "member":
        assert client.post(f"/councils/votes/{vote.id}/ballot", data={"choice": "for"}).status_code == 403
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(VoteOptionSet)) == 0


def test_the_secretary_may_not_change_option_sets(cworld, as_user):
    client = as_user(cworld.secretary.user)
    assert client.get("/councils/option-sets").status_code == 403


def test_unknown_and_unpublished_things_are_404(cworld, as_user):
    meeting, item = make_meeting(cworld, state=MeetingState.PLANNED)
    commit()
    client = as_user(cworld.citizen)
    for url in [
        "/councils/items/999999",
        "/councils/meetings/999999/minutes",
        f"/councils/items/{item.id}",  # the agenda is not published
        f"/councils/meetings/{meeting.id}/minutes",
    ]:
        assert client.get(url).status_code == 404, url
    for url in ["/councils/votes/999999/ballot", "/councils/votes/999999/close", "/councils/items/999999/votes"]:
        assert client.post(url, data={"choice": "for"}).status_code == 404, url
    client = as_user(cworld.members[0].user)
    assert client.get(f"/councils/items/{item.id}").status_code == 200  # members see the planned agenda


# -- voting from a phone ---------------------------------------------------------------------------------


def test_a_member_votes_from_their_own_account_and_sees_no_results_while_open(cworld, as_user):
    _meeting, item, vote = open_vote(cworld)
    client = as_user(cworld.members[0].user)
    page = text_of(client.get(f"/councils/items/{item.id}"))
    assert 'name="viewport"' in page
    assert f'action="/councils/votes/{vote.id}/ballot"' in page
    for key, label in [("for", "For"), ("against", "Against"), ("abstain", "Abstain")]:
        match = re.search(rf'<input id="(choice-\d)" name="choice" required type="radio" value="{key}">', page)
        assert match, key
        assert f'<label for="{match.group(1)}">{label}</label>' in page
    assert "Cast my vote" in page
    assert "0 members have voted so far." in page

    response = client.post(f"/councils/votes/{vote.id}/ballot", data={"choice": "against"})
    assert response.status_code == 302 and response.location.endswith(f"/councils/items/{item.id}")
    page = text_of(client.get(f"/councils/items/{item.id}"))
    assert "You voted: Against." in page
    assert "Cast my vote" not in page
    assert "1 member has voted so far." in page
    assert "Roll call" not in page and "Needed to pass" not in page

    voting.cast(vote, cworld.members[1].user, "for")
    commit()
    page = text_of(as_user(cworld.secretary.user).get(f"/councils/items/{item.id}"))
    assert "2 members have voted so far." in page
    assert "Close the vote and count" in page
    assert "Record a vote given by hand" in page
    assert cworld.members[1].full_name not in page  # nobody's vote is shown; those who voted leave the list
    assert cworld.paper_member.full_name in page
    assert "<strong>1</strong>" not in page


def test_ballot_errors_are_shown_not_crashes(cworld, as_user):
    _meeting, item, vote = open_vote(cworld)
    client = as_user(cworld.members[0].user)
    response = client.post(f"/councils/votes/{vote.id}/ballot", data={"choice": "maybe"})
    assert response.status_code == 400 and "Not a valid choice" in text_of(response)
    assert client.post(f"/councils/votes/{vote.id}/ballot", data={"choice": "for"}).status_code == 302
    response = client.post(f"/councils/votes/{vote.id}/ballot", data={"choice": "for"})
    assert response.status_code == 409 and "You have already voted." in text_of(response)
    # A member marked absent is told why.
    _meeting, item2 = make_meeting(cworld, number=2, present=[])
    vote2 = voting.open_vote(item2, cworld.secretary.user)
    commit()
    page = text_of(client.get(f"/councils/items/{item2.id}"))
    assert "Only members present at the meeting vote." in page and "Cast my vote" not in page
    response = client.post(f"/councils/votes/{vote2.id}/ballot", data={"choice": "for"})
    assert response.status_code == 400 and "Only members present at the meeting vote." in text_of(response)
    # Without a voting right: 403.
    response = as_user(cworld.state_member.user).post(f"/councils/votes/{vote.id}/ballot", data={"choice": "for"})
    assert response.status_code == 403


def test_the_secretary_runs_the_vote_and_the_result_is_shown(cworld, as_user):
    _meeting, item = make_meeting(cworld)
    commit()
    client = as_user(cworld.secretary.user)
    page = text_of(client.get(f"/councils/items/{item.id}"))
    assert "Open the vote" in page
    assert client.post(f"/councils/items/{item.id}/votes", data={"question": "Support it?"}).status_code == 302
    response = client.post(f"/councils/items/{item.id}/votes", data={"question": "Again?"})
    assert response.status_code == 409 and "already open" in text_of(response)
    vote = voting.latest_vote(item)
    people = voters(cworld)
    voting.cast(vote, people[2].user, "for")
    voting.cast(vote, people[3].user, "for")
    voting.cast(vote, people[4].user, "for")
    voting.cast(vote, people[5].user, "for")
    voting.cast(vote, people[6].user, "for")
    voting.cast(vote, people[7].user, "against")
    commit()
    response = client.post(f"/councils/votes/{vote.id}/record", data={"member_id": "999", "choice": "for"})
    assert response.status_code == 400
    response = client.post(f"/councils/votes/{vote.id}/record", data={"member_id": str(people[2].id), "choice": "for"})
    assert response.status_code == 400  # already voted: not among the members offered
    response = client.post(
        f"/councils/votes/{vote.id}/record", data={"member_id": str(cworld.paper_member.id), "choice": "for"}
    )
    assert response.status_code == 302
    assert client.post(f"/councils/votes/{vote.id}/close").status_code == 302
    page = text_of(client.get(f"/councils/items/{item.id}"))
    assert "Result: Support it?" in page
    assert "For: <strong>6</strong>" in page and "Against: <strong>1</strong>" in page
    assert "Abstain: <strong>0</strong>" in page
    assert "Quorum: 10 of 10 present, 7 needed" in page
    assert "Needed to pass: 6" in page
    assert "Adopted" in page
    assert f"<tr><td>{cworld.paper_member.full_name}</td><td>For</td>" in page
    assert page.count("by hand</td>") == 1
    assert "Record the decision" in page
    response = client.post(f"/councils/votes/{vote.id}/close")
    assert response.status_code == 409


def test_a_secret_ballot_shows_no_roll_call(cworld, as_user):
    _meeting, item, vote = open_vote(cworld, secret_ballot=True)
    voting.cast(vote, cworld.members[0].user, "for")
    voting.close_vote(vote, cworld.secretary.user)
    commit()
    page = text_of(as_user(cworld.citizen).get(f"/councils/items/{item.id}"))
    assert "Secret ballot: no roll call" in page
    assert cworld.members[0].full_name not in page
    assert "Not adopted" in page


# -- decisions -------------------------------------------------------------------------------------------


def test_the_decision_form_offers_a_sensible_list_and_opens_cases(cworld, as_user):
    _meeting, item, _vote = adopted_item(cworld)
    commit()
    client = as_user(cworld.secretary.user)
    page = text_of(client.get(f"/councils/items/{item.id}/decision"))
    options = re.findall(r'<option value="(\d+)">', page)
    assert str(cworld.district.id) in options and str(cworld.region.id) in options  # the ladder up
    assert str(cworld.rural.id) in options  # below the district
    assert page.count('name="recommendations-4-text"') == 1
    response = client.post(
        f"/councils/items/{item.id}/decision",
        data={
            "text": "Supported.",
            "recommendations-0-authority": str(cworld.district.id),
            "recommendations-0-text": "Include the lighting in the budget.",
            "recommendations-1-authority_key": "nope:1",
            "recommendations-1-text": "Another one.",
        },
    )
    assert response.status_code == 400 and "There is no authority nope:1." in text_of(response)
    assert "Include the lighting in the budget." in text_of(response)  # kept
    response = client.post(
        f"/councils/items/{item.id}/decision",
        data={
            "text": "Supported.",
            "recommendations-0-authority": str(cworld.district.id),
            "recommendations-0-text": "Include the lighting in the budget.",
            "recommendations-1-authority_key": "akim:623633000",
            "recommendations-1-text": "Report on the lamps by April.",
        },
    )
    assert response.status_code == 302
    recs = _db.session.scalars(sa.select(Recommendation).order_by(Recommendation.id)).all()
    assert [r.authority_id for r in recs] == [cworld.district.id, cworld.rural.id]
    assert all(r.case_id for r in recs)
    page = text_of(client.get(f"/councils/items/{item.id}"))
    assert "Supported." in page and "Report on the lamps by April." in page


def test_the_decision_form_refuses_recommendations_without_an_adopted_vote(cworld, as_user):
    _meeting, item = make_meeting(cworld)
    commit()
    client = as_user(cworld.chair.user)
    response = client.post(
        f"/councils/items/{item.id}/decision",
        data={
            "text": "Supported.",
            "recommendations-0-authority": str(cworld.district.id),
            "recommendations-0-text": "Do it.",
        },
    )
    assert response.status_code == 400 and "adopted by vote" in text_of(response)
    assert client.post(f"/councils/items/{item.id}/decision", data={"text": ""}).status_code == 400
    response = client.post(
        f"/councils/items/{item.id}/decision",
        data={"text": "Noted.", "recommendations-0-authority": "123456789", "recommendations-0-text": "x"},
    )
    assert response.status_code == 400 and "Choose the addressee from the list." in text_of(response)


# -- minutes ---------------------------------------------------------------------------------------------


def test_minutes_from_draft_to_publication(cworld, as_user):
    meeting, _item, _vote = adopted_item(cworld)
    meeting.state = MeetingState.HELD
    commit()
    citizen = as_user(cworld.citizen)
    assert citizen.get(f"/councils/meetings/{meeting.id}/minutes").status_code == 404
    client = as_user(cworld.secretary.user)
    page = text_of(client.get(f"/councils/meetings/{meeting.id}/minutes"))
    assert "Draw up the minutes from the meeting record" in page
    page = text_of(client.get(f"/councils/meetings/{meeting.id}/minutes/edit"))
    assert "Minutes of meeting No. 1" in page and "Quorum: 10 of 10 present, 7 needed." in page
    assert meeting.minutes is None  # showing the draft saves nothing
    assert client.post(f"/councils/meetings/{meeting.id}/minutes/edit", data={"text": ""}).status_code == 400
    response = client.post(
        f"/councils/meetings/{meeting.id}/minutes/edit", data={"text": "Minutes <b>No. 1</b>\n  indented"}
    )
    assert response.status_code == 302
    _db.session.refresh(meeting)
    assert meeting.minutes.state == MinutesState.DRAFT
    page = text_of(client.get(f"/councils/meetings/{meeting.id}/minutes"))
    assert "Minutes &lt;b&gt;No. 1&lt;/b&gt;" in page
    assert 'href="/static/print.css" media="print"' in page
    assert "Approve the minutes" in page
    assert client.post(f"/councils/meetings/{meeting.id}/minutes/publish").status_code == 409
    assert client.post(f"/councils/meetings/{meeting.id}/minutes/approve").status_code == 302
    assert client.get(f"/councils/meetings/{meeting.id}/minutes/edit").status_code == 302
    response = client.post(f"/councils/meetings/{meeting.id}/minutes/edit", data={"text": "Late change"})
    assert response.status_code == 409
    assert client.post(f"/councils/meetings/{meeting.id}/minutes/publish").status_code == 302
    page = text_of(as_user(cworld.citizen).get(f"/councils/meetings/{meeting.id}/minutes"))
    assert "Minutes published" in page and "Minutes &lt;b&gt;No. 1&lt;/b&gt;" in page
    assert "Approve the minutes" not in page and "Publish the minutes" not in page


def test_no_minutes_to_approve_is_404_and_minutes_wait_for_the_meeting_to_end(cworld, as_user):
    meeting, _item = make_meeting(cworld)
    commit()
    client = as_user(cworld.secretary.user)
    assert client.post(f"/councils/meetings/{meeting.id}/minutes/approve").status_code == 404
    response = client.get(f"/councils/meetings/{meeting.id}/minutes/edit")
    assert response.status_code == 302
    response = client.post(f"/councils/meetings/{meeting.id}/minutes/edit", data={"text": "Early."})
    assert response.status_code == 400 and "once the meeting is held" in text_of(response)
    assert minutes_service.followers(cworld.council) == []


# -- option sets -----------------------------------------------------------------------------------------


def test_the_admin_edits_option_sets(cworld, as_user):
    client = as_user(cworld.admin)
    page = text_of(client.get("/councils/option-sets"))
    assert '<a href="/councils/option-sets">Council vote options</a>' in page
    assert 'value="approve, recommend, disagree, abstain"' in page
    assert "<code>recommend</code>" in page and "Return with recommendations" in page
    data = {kind.value: "for, against, abstain" for kind in ItemKind}
    data["draft_act"] = "approve, recommend, disagree, abstain"
    data["report"] = "for, maybe"
    response = client.post("/councils/option-sets", data=data)
    assert response.status_code == 400 and 'value="for, maybe"' in text_of(response)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(VoteOptionSet)) == 0
    data["report"] = "for, against"
    assert client.post("/councils/option-sets", data=data).status_code == 302
    assert voting.option_set(ItemKind.REPORT) == ("for", "against")
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(VoteOptionSet)) == 1  # only the change
