"""Open data of councils: the JSON list and detail of councils and the detail of a public meeting — exact shapes,
only published meetings, no counts of an open vote, no roll call of a secret ballot, and no email or account id
anywhere."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from core.db import db
from councils.models import (
    AgendaItem,
    Attendance,
    Ballot,
    ItemKind,
    Material,
    Meeting,
    MeetingFormat,
    MeetingState,
    Minutes,
    MinutesState,
    Recommendation,
    Vote,
    VoteOutcome,
    VoteState,
)
from feedback import services as loop
from feedback.models import CaseSource, Decision, ParticipantRole

BASE = "http://localhost"
HELD_AT = datetime(2026, 1, 20, 5, 0, tzinfo=UTC)  # 10:00 in Almaty, two weeks before TODAY
PUBLISHED_AT = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)


def authority(a) -> dict:
    return {
        "id": a.id,
        "key": a.key,
        "kind": a.kind.value,
        "name": {"kk": a.name_kk, "ru": a.name_ru, "en": a.name_en or None},
        "territory_code": a.territory_code,
        "url": f"{BASE}/authorities/{a.id}",
    }


@pytest.fixture
def held(cworld):
    """A held meeting of the cworld council: 9 of 10 members with a vote present (one left early), a case
    item with a material, a closed open-ballot vote (adopted) and two recommendations, a secret-ballot item
    with a closed vote, and an item whose vote is still open; minutes published."""
    w = cworld
    case = loop.file_proposal(w.citizen, w.district, "Ауылға жол керек", "Ainabulak needs a paved road to school.")
    meeting = Meeting(
        council_id=w.council.id,
        number=1,
        starts_at=HELD_AT,
        format=MeetingFormat.HYBRID,
        place="Есік, Абай көшесі 1",
        online_url="https://meet.example.kz/council-1",
        state=MeetingState.HELD,
        agenda_published_at=PUBLISHED_AT,
        started_at=HELD_AT,
        ended_at=datetime(2026, 1, 20, 7, 0, tzinfo=UTC),
    )
    db.session.add(meeting)
    db.session.flush()
    road = AgendaItem(
        meeting_id=meeting.id,
        position=1,
        kind=ItemKind.CASE,
        title="The road to Ainabulak school",
        description="A resident's proposal, escalated to the council.",
        rapporteur="Ерлан Жақыпов",
        case_id=case.id,
        decision_text="Recommend paving the road in 2026.",
        decided_at=HELD_AT,
    )
    secret = AgendaItem(
        meeting_id=meeting.id, position=2, kind=ItemKind.OTHER, title="Electing the deputy chair", secret_ballot=True
    )
    pending = AgendaItem(meeting_id=meeting.id, position=3, kind=ItemKind.REPORT, title="The akim's report")
    db.session.add_all([road, secret, pending])
    db.session.flush()
    db.session.add(
        Material(
            item_id=road.id,
            filename="road.pdf",
            content_type="application/pdf",
            size=4,
            sha256="0" * 64,
            content=b"%PDF",
        )
    )
    voters = [w.chair, w.secretary, *w.members]  # 9 with a vote and an account
    for m in [*voters, w.state_member]:
        db.session.add(Attendance(meeting_id=meeting.id, member_id=m.id, present=True, arrived_at=HELD_AT))
    # The last member left early; the paper member stayed away.
    meeting_attendance_left = voters[-1]
    db.session.flush()
    row = db.session.get(Attendance, (meeting.id, meeting_attendance_left.id))
    row.left_at = datetime(2026, 1, 20, 6, 0, tzinfo=UTC)

    def closed(item, question, choices, secret=False, **fields):
        vote = Vote(
            item_id=item.id,
            question=question,
            options="for,against,abstain",
            secret=secret,
            state=VoteState.CLOSED,
            opened_at=HELD_AT,
            closed_at=datetime(2026, 1, 20, 5, 30, tzinfo=UTC),
            members_with_vote=10,
            present_with_vote=8,
            quorum_needed=7,
            quorum_met=True,
            majority_needed=5,
            **fields,
        )
        db.session.add(vote)
        db.session.flush()
        for member, choice in choices:
            by_hand = w.secretary.user_id if member is w.chair else None
            db.session.add(Ballot(vote_id=vote.id, member_id=member.id, choice=choice, recorded_by_id=by_hand))
        return vote

    choices = [(w.chair, "for"), (w.secretary, "for")] + [(m, "for") for m in w.members[:4]]
    choices += [(w.members[4], "against"), (w.members[5], "abstain")]
    road_vote = closed(
        road,
        "Adopt the decision?",
        choices,
        counts={"for": 6, "against": 1, "abstain": 1},
        outcome=VoteOutcome.ADOPTED,
        winning_option="for",
    )
    secret_vote = closed(
        secret,
        "Elect Мүше Нөмір0?",
        choices,
        secret=True,
        counts={"for": 6, "against": 1, "abstain": 1},
        outcome=VoteOutcome.ADOPTED,
        winning_option="for",
    )
    open_vote = Vote(item_id=pending.id, question="Take note of the report?", options="for,against,abstain")
    db.session.add(open_vote)
    db.session.flush()
    db.session.add(Ballot(vote_id=open_vote.id, member_id=w.chair.id, choice="against"))
    db.session.add(Ballot(vote_id=open_vote.id, member_id=w.secretary.id, choice="for"))

    member_ids = [m.user_id for m in voters]
    cases = []
    for target, text in ((w.district, "Pave the road to the school."), (w.region, "Fund the road in 2026.")):
        rec_case = loop.open_case(
            CaseSource.COUNCIL_RECOMMENDATION,
            target,
            text,
            text,
            participant_ids=member_ids,
            participant_role=ParticipantRole.MEMBER,
            actor=w.secretary.user,
        )
        cases.append(rec_case)
    measure = loop.MeasureInput("Pave the road to the school", "District akimat", date(2026, 6, 1))
    loop.publish_answer(cases[0], Decision.SUPPORTED, "The road is in the 2026 repair plan.", [measure], w.officer)
    recs = [Recommendation(item_id=road.id, authority_id=c.authority_id, text=c.body, case_id=c.id) for c in cases]
    db.session.add_all(recs)
    db.session.add(
        Minutes(
            meeting_id=meeting.id,
            text="Minutes",
            state=MinutesState.PUBLISHED,
            published_at=datetime(2026, 1, 22, 5, 0, tzinfo=UTC),
        )
    )
    planned = Meeting(council_id=w.council.id, number=2, starts_at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    db.session.add(planned)
    db.session.flush()
    db.session.expire_all()
    return SimpleNamespace(
        meeting=meeting,
        planned=planned,
        case=case,
        road=road,
        secret=secret,
        pending=pending,
        road_vote=road_vote,
        secret_vote=secret_vote,
        open_vote=open_vote,
        cases=cases,
        recs=recs,
    )


def rec_json(rec, case, state, decision) -> dict:
    return {
        "id": rec.id,
        "authority": authority(case.authority),
        "text": rec.text,
        "case_id": case.id,
        "case_url": f"{BASE}/cases/{case.id}",
        "case_state": state,
        "answer_decision": decision,
    }


# -- councils -------------------------------------------------------------------------------------------


def council_summary(w) -> dict:
    c = w.council
    return {
        "id": c.id,
        "kind": "public_council",
        "name": {
            "kk": "Аудан әкімдігінің қоғамдық кеңесі",
            "ru": "Общественный совет при акимате района",
            "en": "Public council of the district akimat",
        },
        "authority": authority(w.district),
        "term": {"starts_on": "2025-01-01", "ends_on": "2027-12-31"},
        "rules": {"quorum": "2/3", "majority": "1/2", "majority_base": "present", "notice_days": 10},
        "members": {"total": 11, "with_vote": 10, "civil_society": 10, "state_body": 1, "youth": 2},
        "civil_society_share": 0.909,
        "youth_share": 0.182,
        "url": f"{BASE}/councils/{c.id}",
        "api_url": f"{BASE}/api/v1/councils/{c.id}",
    }


def test_council_list(client, cworld):
    response = client.get("/api/v1/councils")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json() == {
        "items": [council_summary(cworld)],
        "page": 1,
        "per_page": 50,
        "total": 1,
        "pages": 1,
        "next": None,
        "prev": None,
    }


def test_council_list_filter_and_pages(client, cworld):
    from councils.models import Council

    other = Council(
        authority_id=cworld.region.id,
        name_kk="Облыс",
        name_ru="Область",
        term_starts_on=cworld.council.term_starts_on,
    )
    db.session.add(other)
    db.session.flush()

    by_region = client.get(f"/api/v1/councils?authority_id={cworld.region.id}").get_json()
    assert [c["id"] for c in by_region["items"]] == [other.id]
    assert by_region["items"][0]["members"] == {
        "total": 0,
        "with_vote": 0,
        "civil_society": 0,
        "state_body": 0,
        "youth": 0,
    }
    assert by_region["items"][0]["civil_society_share"] is None

    first = client.get("/api/v1/councils?per_page=1").get_json()
    assert [c["id"] for c in first["items"]] == [cworld.council.id]
    assert (first["total"], first["pages"], first["prev"]) == (2, 2, None)
    assert first["next"] == f"{BASE}/api/v1/councils?page=2&per_page=1"
    second = client.get(first["next"]).get_json()
    assert [c["id"] for c in second["items"]] == [other.id]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [("authority_id=x", 400), ("authority_id=999999", 404), ("page=0", 400), ("per_page=201", 400)],
)
def test_council_list_bad_arguments(client, cworld, query, status):
    response = client.get(f"/api/v1/councils?{query}")

    assert response.status_code == status
    assert response.get_json()["error"]["code"] == status


def test_council_detail(client, cworld, held):
    w = cworld
    response = client.get(f"/api/v1/councils/{w.council.id}")

    assert response.status_code == 200
    data = response.get_json()
    members = data.pop("serving_members")
    assert data == {
        **council_summary(w),
        "description": None,
        "meetings": [
            {
                "id": held.meeting.id,
                "number": 1,
                "starts_at": "2026-01-20T05:00:00+00:00",
                "state": "held",
                "format": "hybrid",
                "url": f"{BASE}/councils/meetings/{held.meeting.id}",
                "api_url": f"{BASE}/api/v1/meetings/{held.meeting.id}",
            }
        ],
        "decisions": [
            {
                "item_id": held.road.id,
                "meeting_id": held.meeting.id,
                "title": "The road to Ainabulak school",
                "text": "Recommend paving the road in 2026.",
                "decided_at": "2026-01-20T05:00:00+00:00",
                "recommendations": [
                    rec_json(held.recs[0], held.cases[0], "answered", "supported"),
                    rec_json(held.recs[1], held.cases[1], "opened", None),
                ],
            }
        ],
    }
    assert len(members) == 11
    assert [m["position"] for m in members[:3]] == ["chair", "secretary", "member"]
    assert members[0] == {
        "id": w.chair.id,
        "full_name": "Ерлан Жақыпов",
        "position": "chair",
        "affiliation": "civil_society",
        "organisation": None,
        "voting_right": True,
        "term": {"starts_on": "2025-01-01", "ends_on": None},
    }
    state_member = next(m for m in members if m["id"] == w.state_member.id)
    assert (state_member["affiliation"], state_member["voting_right"]) == ("state_body", False)


def test_council_detail_leaves_out_ended_members(client, cworld, clock):
    cworld.members[0].term_ends_on = date(2026, 1, 31)
    db.session.flush()

    data = client.get(f"/api/v1/councils/{cworld.council.id}").get_json()

    assert cworld.members[0].id not in [m["id"] for m in data["serving_members"]]
    assert data["members"]["total"] == 10 and data["members"]["youth"] == 1


def test_council_detail_unknown_is_json_404(client, cworld):
    response = client.get("/api/v1/councils/999999")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


# -- meetings -------------------------------------------------------------------------------------------


def test_meeting_detail(client, cworld, held):
    w = cworld
    response = client.get(f"/api/v1/meetings/{held.meeting.id}")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    road, secret, pending = data.pop("items")
    material_id = db.session.get(AgendaItem, held.road.id).materials[0].id
    assert data == {
        "id": held.meeting.id,
        "number": 1,
        "council": {
            "id": w.council.id,
            "name": {
                "kk": "Аудан әкімдігінің қоғамдық кеңесі",
                "ru": "Общественный совет при акимате района",
                "en": "Public council of the district akimat",
            },
            "url": f"{BASE}/councils/{w.council.id}",
            "api_url": f"{BASE}/api/v1/councils/{w.council.id}",
        },
        "starts_at": "2026-01-20T05:00:00+00:00",
        "format": "hybrid",
        "place": "Есік, Абай көшесі 1",
        "online_url": "https://meet.example.kz/council-1",
        "state": "held",
        "agenda_published_at": "2026-01-05T04:00:00+00:00",
        "late_reason": None,
        "cancelled_reason": None,
        "attendance": {
            "members": 11,
            "members_with_vote": 10,
            "present": 9,
            "present_with_vote": 8,
            "absent": 1,
            "left": 1,
            "quorum_needed": 7,
            "quorum_met": True,
        },
        "minutes": {
            "state": "published",
            "published_at": "2026-01-22T05:00:00+00:00",
            "url": f"{BASE}/councils/meetings/{held.meeting.id}/minutes",
        },
        "url": f"{BASE}/councils/meetings/{held.meeting.id}",
    }
    assert road == {
        "id": held.road.id,
        "position": 1,
        "kind": "case",
        "title": "The road to Ainabulak school",
        "description": "A resident's proposal, escalated to the council.",
        "rapporteur": "Ерлан Жақыпов",
        "secret_ballot": False,
        "case": {"id": held.case.id, "url": f"{BASE}/cases/{held.case.id}", "state": "opened"},
        "materials": [
            {
                "filename": "road.pdf",
                "size": 4,
                "content_type": "application/pdf",
                "url": f"{BASE}/councils/materials/{material_id}",
            }
        ],
        "decision": "Recommend paving the road in 2026.",
        "votes": [
            {
                "id": held.road_vote.id,
                "state": "closed",
                "question": "Adopt the decision?",
                "options": ["for", "against", "abstain"],
                "secret": False,
                "closed_at": "2026-01-20T05:30:00+00:00",
                "counts": {"for": 6, "against": 1, "abstain": 1},
                "members_with_vote": 10,
                "present_with_vote": 8,
                "quorum_needed": 7,
                "quorum_met": True,
                "majority_needed": 5,
                "outcome": "adopted",
                "winning_option": "for",
                "roll_call": [
                    {"member": "Ерлан Жақыпов", "choice": "for", "by_hand": True},
                    {"member": "Гүлнар Омарова", "choice": "for", "by_hand": False},
                    {"member": "Мүше Нөмір0", "choice": "for", "by_hand": False},
                    {"member": "Мүше Нөмір1", "choice": "for", "by_hand": False},
                    {"member": "Мүше Нөмір2", "choice": "for", "by_hand": False},
                    {"member": "Мүше Нөмір3", "choice": "for", "by_hand": False},
                    {"member": "Мүше Нөмір4", "choice": "against", "by_hand": False},
                    {"member": "Мүше Нөмір5", "choice": "abstain", "by_hand": False},
                ],
            }
        ],
        "recommendations": [
            rec_json(held.recs[0], held.cases[0], "answered", "supported"),
            rec_json(held.recs[1], held.cases[1], "opened", None),
        ],
    }
    assert (secret["position"], pending["position"]) == (2, 3)


def test_secret_ballot_hides_the_roll_call(client, cworld, held):
    data = client.get(f"/api/v1/meetings/{held.meeting.id}").get_json()

    (vote,) = data["items"][1]["votes"]
    assert vote["secret"] is True and data["items"][1]["secret_ballot"] is True
    assert vote["roll_call"] is None
    assert vote["counts"] == {"for": 6, "against": 1, "abstain": 1} and vote["outcome"] == "adopted"


def test_open_vote_shows_only_how_many_voted(client, cworld, held):
    data = client.get(f"/api/v1/meetings/{held.meeting.id}").get_json()

    assert data["items"][2]["votes"] == [{"state": "open", "ballots_cast": 2}]
    assert "against" not in json.dumps(data["items"][2])


def test_no_email_or_account_id_anywhere(client, cworld, held):
    w = cworld
    users = [m.user for m in [w.chair, w.secretary, *w.members, w.state_member]] + [w.citizen, w.officer]
    texts = [
        client.get(path).get_data(as_text=True)
        for path in (
            "/api/v1/councils",
            f"/api/v1/councils/{w.council.id}",
            f"/api/v1/meetings/{held.meeting.id}",
        )
    ]
    for text in texts:
        assert "@" not in text.replace("https://meet.example.kz", "")
        assert "user_id" not in text and "email" not in text
        for user in users:
            assert user.email not in text
    # No key anywhere that carries an account.
    keys = set()

    def walk(value):
        if isinstance(value, dict):
            keys.update(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for text in texts:
        walk(json.loads(text))
    assert not {k for k in keys if "user" in k or "email" in k or k.endswith("_by_id") or k.startswith("author_")}
    assert "by_hand" in keys  # the walk reached the roll call


@pytest.mark.parametrize("state", [MeetingState.PLANNED, MeetingState.CANCELLED])
def test_unpublished_meeting_is_404(client, cworld, held, state):
    held.planned.state = state
    db.session.flush()

    response = client.get(f"/api/v1/meetings/{held.planned.id}")
    council = client.get(f"/api/v1/councils/{cworld.council.id}").get_json()

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404
    assert [m["id"] for m in council["meetings"]] == [held.meeting.id]


def test_announced_meeting_is_public(client, cworld, held):
    held.planned.state = MeetingState.ANNOUNCED
    held.planned.agenda_published_at = datetime(2026, 2, 2, 5, 0, tzinfo=UTC)
    held.planned.late_reason = "The rapporteur's report arrived late."
    db.session.flush()

    data = client.get(f"/api/v1/meetings/{held.planned.id}").get_json()

    assert (data["state"], data["items"], data["minutes"]) == ("announced", [], None)
    assert data["late_reason"] == "The rapporteur's report arrived late."
    assert data["attendance"]["present"] == 0 and data["attendance"]["absent"] == 11
    assert data["attendance"]["quorum_met"] is False


def test_unpublished_minutes_are_not_shown(client, cworld, held):
    db.session.get(Minutes, db.session.get(Meeting, held.meeting.id).minutes.id).state = MinutesState.APPROVED
    db.session.flush()

    data = client.get(f"/api/v1/meetings/{held.meeting.id}").get_json()

    assert data["minutes"] is None
