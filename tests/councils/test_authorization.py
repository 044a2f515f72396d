"""Who may write what, over every write route of the councils and every role (the issue's "Done when").

The table names, for each POST route of the ``councils`` blueprint, the roles that may use it; every other
role is refused: a signed-in user with 403, an anonymous visitor with 403 or a redirect to the sign-in page.
A role that may use a route can still be told no by the state of things (a 400 or 409 with a message), but
never a 403, a sign-in redirect or a 500. A POST route missing from the table fails the test, so a new route
cannot arrive without its row.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from councils.models import (
    AgendaItem,
    Attendance,
    ItemKind,
    Material,
    Meeting,
    MeetingState,
    Minutes,
    Proposal,
    Vote,
)

ROLES = ("anonymous", "citizen", "officer", "member", "no_vote_member", "chair", "secretary", "admin")
SIGNED_IN = ROLES[1:]
RUNNERS = ("chair", "secretary")
MANAGERS = ("secretary", "admin")
VOTERS = ("member", "chair", "secretary")

#: endpoint → (roles allowed, the URL's object, form data)
TABLE = {
    "councils.new_council": (("admin",), None, {}),
    "councils.edit_council": (MANAGERS, "council", {}),
    "councils.new_member": (MANAGERS, "council", {}),
    "councils.edit_member": (MANAGERS, "member", {}),
    "councils.end_member": (MANAGERS, "member", {}),
    "councils.follow": (SIGNED_IN, "council", {"follow": "1"}),
    "councils.new_meeting": (RUNNERS, "council", {}),
    "councils.edit_meeting": (RUNNERS, "planned", {}),
    "councils.cancel_meeting": (RUNNERS, "planned", {"reason": "The hall is closed for repairs."}),
    "councils.add_item": (RUNNERS, "planned", {}),
    "councils.edit_item": (RUNNERS, "planned_item", {}),
    "councils.move_item": (RUNNERS, "planned_item", {"direction": "down"}),
    "councils.remove_item": (RUNNERS, "planned_item", {}),
    "councils.add_material": (RUNNERS, "item", {}),
    "councils.remove_material": (RUNNERS, "material", {}),
    "councils.publish_agenda": (RUNNERS, "planned", {}),
    "councils.start_meeting": (RUNNERS, "planned", {}),
    "councils.attendance": (RUNNERS, "meeting", {}),
    "councils.end_meeting": (RUNNERS, "meeting", {}),
    "councils.propose": (SIGNED_IN, "council", {}),
    "councils.accept_proposal": (RUNNERS, "proposal", {}),
    "councils.decline_proposal": (RUNNERS, "proposal", {"reason": "Outside the council's remit."}),
    "councils.open_vote": (RUNNERS, "item", {}),
    "councils.cast_ballot": (VOTERS, "vote", {"choice": "for"}),
    "councils.record_ballot": (RUNNERS, "vote", {}),
    "councils.close_vote": (RUNNERS, "vote", {}),
    "councils.decide_item": (RUNNERS, "held_item", {}),
    "councils.edit_minutes": (RUNNERS, "held", {"text": "Minutes"}),
    "councils.approve_minutes": (RUNNERS, "held", {}),
    "councils.publish_minutes": (RUNNERS, "held", {}),
    "councils.option_sets": (("admin",), None, {}),
}

ARGUMENTS = {
    "council": "council_id",
    "member": "member_id",
    "planned": "meeting_id",
    "meeting": "meeting_id",
    "held": "meeting_id",
    "planned_item": "item_id",
    "item": "item_id",
    "held_item": "item_id",
    "material": "material_id",
    "proposal": "proposal_id",
    "vote": "vote_id",
}


def test_the_table_covers_every_write_route(app):
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("councils.") and "POST" in (rule.methods or ())
    }
    assert posts == set(TABLE)


@pytest.fixture
def scene(cworld, db, clock):
    """A planned meeting with an item, a meeting in progress (everyone present, an item with a material and an
    open vote), a held meeting with draft minutes and an item, and a citizen's pending proposal."""
    council = cworld.council
    now = clock.now.replace(tzinfo=UTC)

    def meeting(number, state, starts_at):
        row = Meeting(council_id=council.id, number=number, starts_at=starts_at, state=state, place="Akimat, hall 2")
        if state != MeetingState.PLANNED:
            row.agenda_published_at = starts_at - timedelta(days=12)
        db.session.add(row)
        db.session.flush()
        return row

    def item(meeting_row, title):
        row = AgendaItem(meeting_id=meeting_row.id, position=1, kind=ItemKind.OTHER, title=title)
        db.session.add(row)
        db.session.flush()
        return row

    planned = meeting(3, MeetingState.PLANNED, now + timedelta(days=20))
    planned_item = item(planned, "Winter road cleaning")
    current = meeting(2, MeetingState.IN_PROGRESS, now - timedelta(hours=1))
    current.started_at = now - timedelta(hours=1)
    current_item = item(current, "Drinking water in the villages")
    for seat in [cworld.chair, cworld.secretary, *cworld.members, cworld.state_member, cworld.paper_member]:
        db.session.add(Attendance(meeting_id=current.id, member_id=seat.id, present=True, arrived_at=now))
    material = Material(
        item_id=current_item.id,
        filename="report.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        content=b"%PDF-1.4\n",
    )
    vote = Vote(item_id=current_item.id, question="Adopt the recommendation?", options="for,against,abstain")
    held = meeting(1, MeetingState.HELD, now - timedelta(days=30))
    held.started_at, held.ended_at = held.starts_at, held.starts_at + timedelta(hours=2)
    held_item = item(held, "The bus route to Ainabulak")
    proposal = Proposal(council_id=council.id, author_id=cworld.citizen.id, title="Street lights", body="Please.")
    db.session.add_all([material, vote, proposal])
    db.session.flush()
    db.session.add(Minutes(meeting_id=held.id, text="Draft minutes"))
    db.session.flush()
    return {
        "council": council,
        "member": cworld.members[0],
        "planned": planned,
        "meeting": current,
        "held": held,
        "planned_item": planned_item,
        "item": current_item,
        "held_item": held_item,
        "material": material,
        "proposal": proposal,
        "vote": vote,
    }


def user_for(role, cworld):
    return {
        "citizen": cworld.citizen,
        "officer": cworld.officer,
        "admin": cworld.admin,
        "member": cworld.members[1].user if cworld.members[1].user else None,
        "no_vote_member": cworld.state_member.user,
        "chair": cworld.chair.user,
        "secretary": cworld.secretary.user,
    }[role]


def _url(app, endpoint, scene):
    _, target, _ = TABLE[endpoint]
    values = {} if target is None else {ARGUMENTS[target]: scene[target].id}
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _refused(response, role) -> bool:
    if response.status_code == 403:
        return True
    return role == "anonymous" and response.status_code in (301, 302, 303) and "/login" in response.location


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_write_routes_by_role(endpoint, role, app, client, login, scene, cworld, db):
    allowed, _, data = TABLE[endpoint]
    if role != "anonymous":
        login(user_for(role, cworld))
    url = _url(app, endpoint, scene)
    response = client.post(url, data=data)
    assert response.status_code < 500, (endpoint, role, response.status_code)
    if role in allowed:
        assert not _refused(response, role), (endpoint, role, response.status_code)
    else:
        assert _refused(response, role), (endpoint, role, response.status_code, response.location)


def test_forms_of_secretaries_are_refused_to_citizens(app, client, login, scene, cworld):
    """The GET side of the secretaries' forms is refused too: the page itself says nothing of the council's
    unpublished work."""
    login(cworld.citizen)
    for endpoint, (allowed, _, _) in sorted(TABLE.items()):
        if "citizen" in allowed:
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if "GET" not in (rule.methods or ()):
            continue
        response = client.get(_url(app, endpoint, scene))
        assert response.status_code in (403, 404), (endpoint, response.status_code)
