"""Council pages through the client: the list, the public council page (composition, rules in words, meetings by
who may see them, decisions and their follow-up), creating and editing councils, managing members, following,
the authority page's panel and the menu links; every write refused to citizens, unknown ids 404, bad input
answered on the page with nothing saved."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.db import db as _db
from councils import services
from councils.models import (
    AgendaItem,
    Council,
    CouncilKind,
    CouncilMember,
    ItemKind,
    Meeting,
    MeetingState,
    Minutes,
    MinutesState,
    Recommendation,
)
from feedback import services as loop
from feedback.models import CaseSource, Decision, ParticipantRole
from tests.conftest import count


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def scene(cworld, db, clock):
    """Meetings of every kind with agenda items, a decided item with two recommendations (one case answered)."""
    council = cworld.council
    now = loop.current_time()

    def meeting(number, state, starts_at, **fields):
        row = Meeting(council_id=council.id, number=number, starts_at=starts_at, state=state, **fields)
        db.session.add(row)
        db.session.flush()
        return row

    def item(meeting_row, title, position=1, **fields):
        row = AgendaItem(meeting_id=meeting_row.id, position=position, kind=ItemKind.OTHER, title=title, **fields)
        db.session.add(row)
        db.session.flush()
        return row

    planned = meeting(4, MeetingState.PLANNED, now + timedelta(days=40), place="Secret hall")
    item(planned, "Winter road cleaning")
    announced = meeting(3, MeetingState.ANNOUNCED, now + timedelta(days=12), place="Akimat, hall 2")
    announced_item = item(announced, "Drinking water in the villages")
    held = meeting(2, MeetingState.HELD, now - timedelta(days=30), place="Akimat, hall 1")
    decided = item(held, "The bus route to Ainabulak", decision_text="Ask the akimat to restore the route.")
    db.session.add(Minutes(meeting_id=held.id, text="Minutes", state=MinutesState.PUBLISHED))
    older = meeting(1, MeetingState.HELD, now - timedelta(days=90), place="Akimat, hall 1")
    db.session.add(Minutes(meeting_id=older.id, text="Draft", state=MinutesState.DRAFT))
    case = loop.open_case(
        CaseSource.COUNCIL_RECOMMENDATION,
        cworld.district,
        "Restore the bus route to Ainabulak",
        "The council recommends restoring the bus route to Ainabulak twice a day.",
        participant_ids=[cworld.chair.user_id],
        participant_role=ParticipantRole.MEMBER,
        actor=cworld.secretary.user,
    )
    loop.publish_answer(
        case, Decision.NOT_SUPPORTED, "The route cannot be restored: there is no bus this year.", [], cworld.officer
    )
    second = loop.open_case(
        CaseSource.COUNCIL_RECOMMENDATION,
        cworld.region,
        "Fund new buses for the district",
        "The council recommends funding two new buses for the district routes.",
        actor=cworld.secretary.user,
    )
    db.session.add_all(
        [
            Recommendation(item_id=decided.id, authority_id=cworld.district.id, text="Restore the route", case=case),
            Recommendation(item_id=decided.id, authority_id=cworld.region.id, text="Fund new buses", case=second),
        ]
    )
    db.session.flush()
    return {
        "planned": planned,
        "announced": announced,
        "announced_item": announced_item,
        "held": held,
        "older": older,
        "decided": decided,
        "case": case,
        "second": second,
    }


# --- the public council page ------------------------------------------------------------------------------------


def test_public_page_for_anonymous(client, cworld, scene):
    response = client.get(f"/councils/{cworld.council.id}")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Public council of the district akimat</h1>" in page
    assert f'href="/authorities/{cworld.district.id}"' in page
    assert "Quorum: 2/3 of members with voting rights (7 of 10)" in page
    assert "Majority: more than 1/2 of the members with voting rights present" in page
    assert "Agenda published at least 10 days before" in page
    assert "Civil society: 10 of 11 members (91%)" in page
    assert "Youth: 2 of 11 members (18%)" in page
    assert 'role="alert"' not in page
    # Composition: every serving member with position, affiliation and vote.
    assert page.count("<tr>") - 1 == 11
    assert "Асқар Бекұлы" in page and "Сәуле Ахметова" in page
    # Upcoming meeting with its agenda linking to the items; planned meeting hidden.
    assert f'href="/councils/meetings/{scene["announced"].id}"' in page
    assert f'href="/councils/items/{scene["announced_item"].id}"' in page
    assert "Drinking water in the villages" in page
    assert "Winter road cleaning" not in page
    assert "Secret hall" not in page
    # Past meetings: published minutes linked, draft minutes not.
    assert f'href="/councils/meetings/{scene["held"].id}/minutes"' in page
    assert f'href="/councils/meetings/{scene["older"].id}/minutes"' not in page
    # Decisions and their follow-up.
    assert "Ask the akimat to restore the route." in page
    assert f'href="/feedback/{scene["case"].id}"' in page or f'href="/cases/{scene["case"].id}"' in page
    assert "Answer: " + str(Decision.NOT_SUPPORTED.label) in page
    assert scene["second"].state.label in page
    # Participation: sign-in link instead of the follow button, proposal links.
    assert "Sign in to follow this council" in page
    assert f'action="/councils/{cworld.council.id}/follow"' not in page
    assert f'href="/councils/{cworld.council.id}/propose"' in page
    assert f'href="/councils/{cworld.council.id}/proposals"' in page
    assert f'href="/councils/{cworld.council.id}/edit"' not in page
    assert f'href="/councils/{cworld.council.id}/meetings/new"' not in page


def test_case_links_use_the_loop_endpoint(app, client, cworld, scene):
    with app.test_request_context():
        from flask import url_for

        link = url_for("feedback.case", case_id=scene["case"].id)
    assert f'href="{link}"' in text(client.get(f"/councils/{cworld.council.id}"))


def test_members_see_planned_meetings(client, login, cworld, scene):
    login(cworld.members[0].user)
    page = text(client.get(f"/councils/{cworld.council.id}"))
    assert "Winter road cleaning" in page
    assert "Planned meetings (not public yet)" in page
    assert f'action="/councils/{cworld.council.id}/follow"' in page
    assert f'href="/councils/{cworld.council.id}/edit"' not in page
    assert f'href="/councils/{cworld.council.id}/meetings/new"' not in page


def test_citizen_sees_no_planned_meetings_and_no_manager_links(client, login, cworld, scene):
    login(cworld.citizen)
    page = text(client.get(f"/councils/{cworld.council.id}"))
    assert "Winter road cleaning" not in page
    assert "Follow this council" in page
    assert f'href="/councils/{cworld.council.id}/members"' not in page


def test_secretary_and_admin_links(client, login, cworld, scene):
    login(cworld.secretary.user)
    page = text(client.get(f"/councils/{cworld.council.id}"))
    assert f'href="/councils/{cworld.council.id}/edit"' in page
    assert f'href="/councils/{cworld.council.id}/members"' in page
    assert f'href="/councils/{cworld.council.id}/meetings/new"' in page
    client.post("/account/logout")
    login(cworld.admin)
    page = text(client.get(f"/councils/{cworld.council.id}"))
    assert f'href="/councils/{cworld.council.id}/edit"' in page
    assert "Winter road cleaning" in page
    assert f'href="/councils/{cworld.council.id}/meetings/new"' not in page  # admins do not run meetings


def test_chair_plans_meetings_but_does_not_manage(client, login, cworld):
    login(cworld.chair.user)
    page = text(client.get(f"/councils/{cworld.council.id}"))
    assert f'href="/councils/{cworld.council.id}/meetings/new"' in page
    assert f'href="/councils/{cworld.council.id}/edit"' not in page


def test_warning_when_civil_society_below_two_thirds(client, cworld):
    for i in range(5):
        services.add_member(cworld.council, cworld.admin, f"Мемлекет {i}", "member", "state_body", date(2026, 1, 1))
    page = text(client.get(f"/councils/{cworld.council.id}"))
    assert 'role="alert"' in page
    assert "civil society holds only 10 of 16 seats" in page
    assert "Civil society: 10 of 16 members (62%)" in page


def test_unknown_ids_404(client, login, cworld):
    login(cworld.admin)
    for url in (
        "/councils/9999",
        "/councils/9999/edit",
        "/councils/9999/members",
        "/councils/9999/members/new",
        "/councils/members/9999/edit",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/councils/members/9999/end").status_code == 404
    assert client.post("/councils/9999/follow", data={"follow": "1"}).status_code == 404


# --- the list ---------------------------------------------------------------------------------------------------


def test_index_groups_by_level_and_filters(client, cworld, scene):
    rural = services.create_council(
        cworld.admin,
        cworld.rural,
        CouncilKind.LOCAL_COMMUNITY,
        "Жергілікті қоғамдастық жиналысы",
        "Собрание местного сообщества",
        "Local community gathering of Ainabulak",
        date(2026, 1, 1),
    )
    page = text(client.get("/councils/"))
    assert "2 councils found" in page
    assert page.index("District and city") < page.index("Rural")
    assert "Public council of the district akimat" in page
    assert "Local community gathering of Ainabulak" in page
    assert '<td data-label="Members">11</td>' in page
    assert scene["announced"].starts_at.date().isoformat() in page
    page = text(client.get("/councils/?level=rural"))
    assert "1 council found" in page
    assert f'href="/councils/{rural.id}"' in page
    assert f'href="/councils/{cworld.council.id}"' not in page
    page = text(client.get("/councils/?q=akimat"))
    assert "1 council found" in page
    assert f'href="/councils/{cworld.council.id}"' in page
    assert "1 council found" in text(client.get(f"/councils/?authority={cworld.rural.id}"))
    assert client.get("/councils/?level=galaxy").status_code == 200


def test_my_councils(client, login, cworld):
    login(cworld.members[0].user)
    page = text(client.get("/councils/?mine=1"))
    assert "<h1>My councils</h1>" in page
    assert "1 council found" in page
    assert '<a href="/councils/?mine=1">My councils</a>' in page
    assert '<a href="/councils/">Public councils</a>' in page


def test_nav_for_a_citizen_has_no_my_councils(client, login, cworld):
    login(cworld.citizen)
    page = text(client.get("/councils/"))
    assert "mine=1" not in page
    assert '<a href="/councils/">Public councils</a>' in page


def test_authority_page_lists_its_councils(client, cworld):
    page = text(client.get(f"/authorities/{cworld.district.id}"))
    assert f'href="/councils/{cworld.council.id}"' in page
    assert "Public council of the district akimat" in page
    assert "authority-councils" not in text(client.get(f"/authorities/{cworld.rural.id}"))


# --- creating and editing councils ------------------------------------------------------------------------------

COUNCIL_FORM = {
    "kind": "public_council",
    "name_kk": "Облыс әкімдігінің қоғамдық кеңесі",
    "name_ru": "Общественный совет при акимате области",
    "name_en": "Public council of the regional akimat",
    "description": "",
    "term_starts_on": "2026-01-01",
    "term_ends_on": "2028-12-31",
    "quorum_numerator": "2",
    "quorum_denominator": "3",
    "majority_numerator": "1",
    "majority_denominator": "2",
    "majority_base": "present",
    "notice_days": "10",
}


def test_admin_creates_a_council(client, login, cworld):
    login(cworld.admin)
    page = text(client.get("/councils/new?authority_q=620000000"))
    assert f"/councils/new?authority={cworld.region.id}" in page
    page = text(client.get(f"/councils/new?authority={cworld.region.id}"))
    assert f'value="{cworld.region.id}"' in page
    response = client.post("/councils/new", data={**COUNCIL_FORM, "authority": "akimat:620000000"})
    assert response.status_code == 302
    council = _db.session.scalar(sa.select(Council).where(Council.authority_id == cworld.region.id))
    assert response.location.endswith(f"/councils/{council.id}/members")
    assert council.name_en == "Public council of the regional akimat"
    assert council.term_ends_on == date(2028, 12, 31)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"authority": "akimat:000"}, "Choose an existing authority"),
        ({"authority": ""}, "Choose the authority"),
        ({"name_kk": ""}, "name in Kazakh"),
        ({"term_ends_on": "2025-01-01"}, "The term must end after it starts."),
        ({"term_starts_on": "soon"}, "Not a valid date value"),
        ({"quorum_numerator": "4"}, "The quorum must be a fraction"),
        ({"majority_numerator": "2"}, "The majority must be a fraction"),
        ({"notice_days": "90"}, "from 0 to 60"),
        ({"notice_days": "ten"}, "Not a valid integer value"),
        ({"kind": "senate"}, "Not a valid choice"),
    ],
)
def test_bad_council_input_is_answered_on_the_page(client, login, cworld, changes, message):
    login(cworld.admin)
    before = count(Council)
    response = client.post("/councils/new", data={**COUNCIL_FORM, "authority": "akimat:620000000", **changes})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'value="Общественный совет при акимате области"' in page or changes.get("name_ru") is not None
    assert count(Council) == before


def test_secretary_edits_the_council_but_not_its_authority(client, login, cworld):
    login(cworld.secretary.user)
    page = text(client.get(f"/councils/{cworld.council.id}/edit"))
    assert 'name="authority"' not in page
    assert 'value="Public council of the district akimat"' in page
    data = {**COUNCIL_FORM, "term_starts_on": "2025-01-01", "notice_days": "14", "authority": "akimat:620000000"}
    response = client.post(f"/councils/{cworld.council.id}/edit", data=data)
    assert response.status_code == 302
    assert cworld.council.notice_days == 14
    assert cworld.council.authority_id == cworld.district.id
    assert cworld.council.name_ru == "Общественный совет при акимате области"


def test_admin_moves_a_council(client, login, cworld):
    login(cworld.admin)
    data = {**COUNCIL_FORM, "authority": str(cworld.region.id)}
    assert client.post(f"/councils/{cworld.council.id}/edit", data=data).status_code == 302
    assert cworld.council.authority_id == cworld.region.id


# --- members ----------------------------------------------------------------------------------------------------

MEMBER_FORM = {
    "full_name": "Дана Сейіт",
    "position": "member",
    "affiliation": "civil_society",
    "organisation": "ҚБ «Жастар»",
    "is_youth": "y",
    "voting_right": "y",
    "term_starts_on": "2026-02-01",
    "term_ends_on": "",
    "email": "",
}


def test_members_page_lists_ended_memberships(client, login, cworld, clock):
    services.end_membership(cworld.members[6], cworld.admin, on=date(2026, 1, 31))
    login(cworld.secretary.user)
    page = text(client.get(f"/councils/{cworld.council.id}/members"))
    assert 'Мүше Нөмір6 <span class="tag">Ended</span>' in page
    assert page.count("End the membership of") == 10
    assert f'href="/councils/members/{cworld.members[6].id}/edit"' in page


def test_secretary_adds_edits_and_ends_a_member(client, login, cworld, make_user):
    account = make_user("dana@example.kz")
    login(cworld.secretary.user)
    assert client.get(f"/councils/{cworld.council.id}/members/new").status_code == 200
    response = client.post(
        f"/councils/{cworld.council.id}/members/new", data={**MEMBER_FORM, "email": "DANA@example.kz"}
    )
    assert response.status_code == 302
    member = _db.session.scalar(sa.select(CouncilMember).where(CouncilMember.full_name == "Дана Сейіт"))
    assert (member.user_id, member.is_youth, member.voting_right) == (account.id, True, True)
    page = text(client.get(f"/councils/members/{member.id}/edit"))
    assert 'value="dana@example.kz"' in page
    response = client.post(
        f"/councils/members/{member.id}/edit", data={**MEMBER_FORM, "voting_right": "", "is_youth": ""}
    )
    assert response.status_code == 302
    assert (member.user_id, member.is_youth, member.voting_right) == (None, False, False)
    response = client.post(f"/councils/members/{member.id}/end", data={"on": "2026-02-02"})
    assert response.status_code == 302
    assert member.term_ends_on == date(2026, 2, 2)
    response = client.post(f"/councils/members/{member.id}/end", data={"on": "2026-02-02"})
    assert response.status_code == 409
    assert "This membership has already ended." in text(response)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": ""}, "Give the member"),
        ({"position": "secretary"}, "already has a secretary in this term: Гүлнар Омарова"),
        ({"position": "chair"}, "already has a chair in this term"),
        ({"email": "nobody@example.kz"}, "No account has this email address"),
        ({"email": "citizen@example.kz", "full_name": "X"}, None),
        ({"term_ends_on": "2026-01-01"}, "cannot end before it starts"),
        ({"term_starts_on": ""}, "Enter the date the membership starts."),
    ],
)
def test_bad_member_input(client, login, cworld, changes, message):
    login(cworld.admin)
    before = count(CouncilMember)
    response = client.post(f"/councils/{cworld.council.id}/members/new", data={**MEMBER_FORM, **changes})
    if message is None:  # a citizen's account is fine
        assert response.status_code == 302
        return
    assert response.status_code in (400, 409)
    page = text(response)
    assert message in page
    assert count(CouncilMember) == before


def test_a_second_seat_for_one_account_is_refused(client, login, cworld):
    login(cworld.admin)
    before = count(CouncilMember)
    response = client.post(
        f"/councils/{cworld.council.id}/members/new", data={**MEMBER_FORM, "email": cworld.members[0].user.email}
    )
    assert response.status_code == 409
    assert "already holds a seat on this council (Мүше Нөмір0)" in text(response)
    assert 'value="Дана Сейіт"' in text(response)
    assert count(CouncilMember) == before


def test_bad_end_date(client, login, cworld):
    login(cworld.admin)
    response = client.post(f"/councils/members/{cworld.members[0].id}/end", data={"on": "2024-01-01"})
    assert response.status_code == 400
    assert "A membership cannot end before it starts." in text(response)
    assert cworld.members[0].term_ends_on is None
    response = client.post(f"/councils/members/{cworld.members[0].id}/end", data={"on": "never"})
    assert response.status_code == 400
    assert "Enter the last day as a date" in text(response)
    assert cworld.members[0].term_ends_on is None


# --- who may write ----------------------------------------------------------------------------------------------


def write_requests(cworld):
    council_id, member_id = cworld.council.id, cworld.members[0].id
    return [
        ("get", "/councils/new", {}),
        ("post", "/councils/new", {**COUNCIL_FORM, "authority": "akimat:620000000"}),
        ("get", f"/councils/{council_id}/edit", {}),
        ("post", f"/councils/{council_id}/edit", {**COUNCIL_FORM, "notice_days": "3"}),
        ("get", f"/councils/{council_id}/members", {}),
        ("get", f"/councils/{council_id}/members/new", {}),
        ("post", f"/councils/{council_id}/members/new", MEMBER_FORM),
        ("get", f"/councils/members/{member_id}/edit", {}),
        ("post", f"/councils/members/{member_id}/edit", MEMBER_FORM),
        ("post", f"/councils/members/{member_id}/end", {}),
    ]


@pytest.mark.parametrize("who", ["citizen", "officer", "member", "chair"])
def test_writes_refused(client, login, cworld, who):
    user = {
        "citizen": cworld.citizen,
        "officer": cworld.officer,
        "member": cworld.members[0].user,
        "chair": cworld.chair.user,
    }[who]
    login(user)
    councils, members = count(Council), count(CouncilMember)
    for method, url, data in write_requests(cworld):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, (method, url)
    assert (count(Council), count(CouncilMember)) == (councils, members)
    assert cworld.council.notice_days == 10
    assert cworld.members[0].term_ends_on is None


def test_writes_send_anonymous_to_sign_in(client, cworld):
    for method, url, data in write_requests(cworld):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, (method, url)
        assert "/login" in response.location
    response = client.post(f"/councils/{cworld.council.id}/follow", data={"follow": "1"})
    assert "/login" in response.location


# --- following --------------------------------------------------------------------------------------------------


def test_follow_and_unfollow(client, login, cworld):
    login(cworld.citizen)
    url = f"/councils/{cworld.council.id}/follow"
    response = client.post(url, data={"follow": "1"}, follow_redirects=True)
    assert "You follow this council" in text(response)
    assert "Stop following this council" in text(response)
    assert services.is_following(cworld.council, cworld.citizen)
    client.post(url, data={"follow": "1"})
    assert services.followers(cworld.council) == [cworld.citizen]
    response = client.post(url, data={"follow": "0"}, follow_redirects=True)
    assert "You no longer follow this council." in text(response)
    assert not services.is_following(cworld.council, cworld.citizen)
    assert client.post(url, data={"follow": "maybe"}).status_code == 400
    assert not services.is_following(cworld.council, cworld.citizen)


def test_the_menu_leads_anonymous_visitors_to_the_councils(client, cworld):
    page = text(client.get("/"))
    assert '<a href="/councils/">Public councils</a>' in page
    assert "mine=1" not in page
