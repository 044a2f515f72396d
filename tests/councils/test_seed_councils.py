"""``flask seed demo``'s councils: three councils of the right kinds with their members, a held meeting with a
closed adopted roll-call vote and published minutes, recommendations at different stages of the loop, an
announced meeting taking up an escalated case, proposals accepted and declined, no mail about the replayed
past, nothing added twice."""

from __future__ import annotations

import sqlalchemy as sa

from core.accounts.models import User
from core.db import db
from core.seed import DEMO_PASSWORD
from councils import seed
from councils.models import (
    Affiliation,
    Council,
    CouncilKind,
    CouncilMember,
    Follower,
    ItemKind,
    Meeting,
    MeetingState,
    MinutesState,
    Position,
    Proposal,
    ProposalState,
    Recommendation,
    Vote,
    VoteOutcome,
    VoteState,
)
from feedback import services as loop
from feedback.models import CaseSource, CaseState
from tests.conftest import count

MODELS = (Council, CouncilMember, Meeting, Vote, Recommendation, Proposal, Follower, User)


def _council(spec) -> Council:
    return db.session.scalar(sa.select(Council).where(Council.name_ru == spec.name_ru))


def test_the_demo_councils(seeded, db, client):
    region, district, rural = (_council(spec) for spec in seed.COUNCILS)
    assert (region.authority.key, region.kind) == ("akimat:190000000", CouncilKind.PUBLIC_COUNCIL)
    assert (district.authority.key, district.kind) == ("akimat:194000000", CouncilKind.PUBLIC_COUNCIL)
    assert (rural.authority.key, rural.kind) == ("akim:194081000", CouncilKind.LOCAL_COMMUNITY)
    assert [len(c.members) for c in (region, district, rural)] == [15, 15, 11]
    for council, key in zip((region, district, rural), ("almaty-region", "enbekshikazakh", "turgen"), strict=True):
        officers = {m.position: m for m in council.members if m.position != Position.MEMBER}
        assert set(officers) == {Position.CHAIR, Position.DEPUTY_CHAIR, Position.SECRETARY}
        assert officers[Position.SECRETARY].user.email == f"council.{key}.secretary@demo.tyndau.kz"
        assert officers[Position.CHAIR].user.email == f"council.{key}.chair@demo.tyndau.kz"
        state = [m for m in council.members if m.affiliation == Affiliation.STATE_BODY]
        assert state and all(not m.voting_right for m in state)
        assert any(m.user_id is None for m in council.members)
        assert any(m.user_id is not None and m.position == Position.MEMBER for m in council.members)
    civil = sum(m.affiliation == Affiliation.CIVIL_SOCIETY for m in district.members)
    assert civil == 13  # 87 %, as the documents report (86 %)

    # The district council's meetings: two held, one announced.
    first, second, third = district.meetings
    assert [m.state for m in district.meetings] == [MeetingState.HELD, MeetingState.HELD, MeetingState.ANNOUNCED]
    assert [m.number for m in district.meetings] == [1, 2, 3]
    today = loop.today()
    for held in (first, second):
        assert held.minutes.state == MinutesState.PUBLISHED and held.minutes.published_at is not None
        assert held.agenda_published_at < held.starts_at
        vote = held.items[0].votes[-1]
        assert (vote.state, vote.outcome, vote.winning_option, vote.quorum_met) == (
            VoteState.CLOSED,
            VoteOutcome.ADOPTED,
            "for",
            True,
        )
        assert len(vote.ballots) == vote.present_with_vote == sum(vote.counts.values())
        assert any(b.by_hand for b in vote.ballots) and any(not b.by_hand for b in vote.ballots)
    assert first.items[0].votes[-1].counts == {"for": 10, "against": 1, "abstain": 1}
    assert first.items[0].materials[0].content_type == "application/pdf"
    assert second.items[1].secret_ballot and second.items[1].votes[-1].secret
    assert sum(1 for a in second.attendance if a.left_at is not None) == 1

    # Recommendations: each a case of the loop, at different stages.
    recs = [r for m in (first, second) for i in m.items for r in i.recommendations]
    assert len(recs) == 4
    assert {r.case.source for r in recs} == {CaseSource.COUNCIL_RECOMMENDATION}
    states = {(r.authority.key, r.case.state) for r in recs}
    assert states == {
        ("akimat:190000000", CaseState.OVERDUE),
        ("akimat:194000000", CaseState.ANSWERED),
        ("akim:194081000", CaseState.OPENED),
        ("akimat:194000000", CaseState.OPENED),
    }
    answered = next(r.case for r in recs if r.case.state == CaseState.ANSWERED)
    assert answered.answer is not None and answered.answer.measures

    # The announced meeting: agenda on time, an escalated case from the loop, an accepted proposal.
    assert third.starts_at.date() > today and third.late_reason is None
    assert (third.starts_at.date() - third.agenda_published_at.date()).days >= district.notice_days
    case_item = next(i for i in third.items if i.kind == ItemKind.CASE)
    assert case_item.case.state == CaseState.ESCALATED
    assert any(e.kind.value == "on_agenda" for e in case_item.case.events)
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.council_id == district.id)).all()
    assert sorted(p.state for p in proposals) == [ProposalState.ACCEPTED, ProposalState.DECLINED]
    accepted = next(p for p in proposals if p.state == ProposalState.ACCEPTED)
    assert accepted.meeting_id == third.id and any(i.proposal_id == accepted.id for i in third.items)
    assert next(p for p in proposals if p.state == ProposalState.DECLINED).decline_reason
    assert count(Follower) == 4

    # The open data shows it, and the secretary can sign in with the demo password.
    data = client.get(f"/api/v1/meetings/{first.id}").get_json()
    assert data["minutes"]["state"] == "published" and data["items"][0]["votes"][0]["roll_call"]
    assert [m.state for m in rural.meetings] == [MeetingState.ANNOUNCED] and region.meetings == []
    paths = ["/api/v1/councils", *(f"/api/v1/councils/{c.id}" for c in (region, district, rural))]
    paths += [f"/api/v1/meetings/{m.id}" for m in (*district.meetings, *rural.meetings)]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "@" not in response.get_data(as_text=True), path
    response = client.post(
        "/account/login", data={"email": "council.enbekshikazakh.secretary@demo.tyndau.kz", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302

    # No mail about the replayed past; the sweep has nothing left to do today.
    assert len(seeded) == 0
    assert loop.sweep(today).changed == 0

    # Running the seed again changes nothing.
    before = {m: count(m) for m in MODELS}
    assert seed.seed_demo_councils() == {"councils": 0, "councils_note": "demo councils already there"}
    assert {m: count(m) for m in MODELS} == before


def test_nothing_without_the_core_demo_accounts(db, kato):
    result = seed.seed_demo_councils()

    assert result["councils"] == 0 and "accounts missing" in result["councils_note"]
    assert count(Council) == 0
