"""The councils' pages in Chromium: no serious axe-core violations (kk, ru) and no sideways scrolling on a 360 px
phone, for anyone, for a member with a ballot, and for the secretary with every control on the page.

The pages need a council with work done: ``council_data`` makes it once per live server — a council of the
district akimat with members, a held meeting with a closed roll-call vote, a decision with a recommendation and
published minutes, a meeting in progress with an open vote, an announced meeting with its agenda, and a
citizen's proposal — and the accounts of the secretary, a member and the citizen.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import make_account
from tests.e2e.test_accessibility import BLOCKING, describe, run_axe
from tests.e2e.test_mobile import assert_fits

DISTRICT = "akimat:623600000"
VILLAGE = "623633100"

_council_data: dict[str, dict] = {}


def council_data(live_server) -> dict:
    if live_server.url in _council_data:
        return _council_data[live_server.url]
    from core.accounts.models import User
    from core.authorities.services import find_authority
    from core.db import db
    from councils import meetings, minutes, voting
    from councils import services as councils
    from councils.models import (
        Affiliation,
        AgendaItem,
        Attendance,
        CouncilKind,
        ItemKind,
        Meeting,
        MeetingFormat,
        MeetingState,
        Position,
    )
    from feedback import services as loop

    emails = {
        "admin": make_account(live_server, "pages-admin", "Әсет Админ", roles=(("admin", None),)),
        "secretary": make_account(live_server, "pages-secretary", "Гүлнар Омарова"),
        "chair": make_account(live_server, "pages-chair", "Ерлан Жақыпов"),
        "member": make_account(live_server, "pages-member", "Бауыржан Оспанов"),
        "citizen": make_account(live_server, "pages-citizen", "Айгүл Серікова", home=VILLAGE),
    }
    with live_server.app.test_request_context():
        user = {k: db.session.scalar(db.select(User).filter_by(email=v)) for k, v in emails.items()}
        district = find_authority(DISTRICT)
        start = loop.today() - timedelta(days=400)
        council = councils.create_council(
            user["admin"],
            district,
            CouncilKind.PUBLIC_COUNCIL,
            "Жаңаарқа ауданы әкімдігінің қоғамдық кеңесі",
            "Общественный совет при акимате Жанааркинского района",
            "Public council of the Zhanaarka district akimat",
            start,
        )
        seats = [
            councils.add_member(
                council,
                user["admin"],
                "Ерлан Жақыпов",
                Position.CHAIR,
                Affiliation.CIVIL_SOCIETY,
                start,
                user=user["chair"],
                organisation="«Жаңаарқа жастары» ҚБ",
            ),
            councils.add_member(
                council,
                user["admin"],
                "Гүлнар Омарова",
                Position.SECRETARY,
                Affiliation.CIVIL_SOCIETY,
                start,
                user=user["secretary"],
            ),
            councils.add_member(
                council,
                user["admin"],
                "Бауыржан Оспанов",
                Position.MEMBER,
                Affiliation.CIVIL_SOCIETY,
                start,
                user=user["member"],
                is_youth=True,
            ),
            councils.add_member(
                council, user["admin"], "Сәуле Ахметова", Position.MEMBER, Affiliation.CIVIL_SOCIETY, start
            ),
            councils.add_member(
                council,
                user["admin"],
                "Асқар Бекұлы",
                Position.MEMBER,
                Affiliation.STATE_BODY,
                start,
                voting_right=False,
                organisation="Аудан әкімдігі",
            ),
        ]
        now = loop.current_time()

        def meeting_at(number, state, at):
            row = Meeting(council_id=council.id, number=number, starts_at=at, state=state, place="Жаңаарқа, әкімдік")
            row.agenda_published_at = at - timedelta(days=12)
            row.started_at = at
            db.session.add(row)
            db.session.flush()
            for seat in seats:
                db.session.add(Attendance(meeting_id=row.id, member_id=seat.id, present=True, arrived_at=at))
            item = AgendaItem(
                meeting_id=row.id,
                position=1,
                kind=ItemKind.OTHER,
                title="Ауыз су сапасы",
                rapporteur="Гүлнар Омарова",
                description="Айнабұлақ ауылындағы ауыз су.",
            )
            db.session.add(item)
            db.session.flush()
            return row, item

        held, held_item = meeting_at(1, MeetingState.IN_PROGRESS, now - timedelta(days=20))
        vote = voting.open_vote(held_item, user["secretary"], "Ұсынымды қабылдау")
        voting.cast(vote, user["chair"], "for")
        voting.cast(vote, user["secretary"], "for")
        voting.cast(vote, user["member"], "against")
        voting.record_by_hand(vote, user["secretary"], seats[3], "for")
        voting.close_vote(vote, user["secretary"])
        voting.record_decision(
            held_item, user["secretary"], "Кеңес ұсынымды қабылдады.", [(district, "Су құбырын келесі жылы жөндеу.")]
        )
        meetings.end_meeting(held, user["secretary"])
        record = minutes.minutes_for(held, user["secretary"])
        minutes.approve_minutes(record, user["secretary"])
        minutes.publish_minutes(record, user["secretary"])

        current, current_item = meeting_at(2, MeetingState.IN_PROGRESS, now - timedelta(minutes=30))
        voting.open_vote(current_item, user["secretary"], "Ұсынымды қабылдау")

        planned = meetings.plan_meeting(
            council,
            user["secretary"],
            now + timedelta(days=14),
            MeetingFormat.HYBRID,
            place="Жаңаарқа, әкімдік",
            online_url="https://meet.example.kz/zhanaarka",
        )
        meetings.add_item(
            planned,
            user["secretary"],
            ItemKind.REPORT,
            "Аудан әкімінің орынбасарының есебі",
            rapporteur="Аудан әкімінің орынбасары",
        )
        meetings.publish_agenda(planned, user["secretary"])
        meetings.propose_item(council, user["citizen"], "Мектеп жолын жарықтандыру", "Балалар қараңғыда жүреді.")
        db.session.commit()
        data = {
            "council": council.id,
            "held": held.id,
            "held_item": held_item.id,
            "current": current.id,
            "current_item": current_item.id,
            "planned": planned.id,
            **emails,
        }
        db.session.remove()
    _council_data[live_server.url] = data
    return data


PUBLIC = {
    "index": "/councils/",
    "council": "/councils/{council}",
    "meeting": "/councils/meetings/{planned}",
    "held-meeting": "/councils/meetings/{held}",
    "item": "/councils/items/{held_item}",
    "minutes": "/councils/meetings/{held}/minutes",
    "proposals": "/councils/{council}/proposals",
}
SIGNED_IN = {
    "secretary": [
        "/councils/{council}",
        "/councils/{council}/members",
        "/councils/{council}/members/new",
        "/councils/{council}/edit",
        "/councils/{council}/meetings/new",
        "/councils/meetings/{planned}",
        "/councils/meetings/{planned}/items/new",
        "/councils/meetings/{current}",
        "/councils/meetings/{current}/attendance",
        "/councils/items/{current_item}",
        "/councils/items/{held_item}/decision",
        "/councils/meetings/{held}/minutes/edit",
        "/councils/{council}/proposals",
    ],
    "member": ["/councils/items/{current_item}", "/councils/{council}"],
    "citizen": ["/councils/{council}/propose", "/councils/{council}"],
    "admin": ["/councils/new", "/councils/option-sets"],
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("name", list(PUBLIC))
def test_public_council_pages_pass_axe(new_page, axe_path, live_server, name, lang, server_errors):
    path = PUBLIC[name].format(**council_data(live_server))
    page = new_page(lang=lang, bypass_csp=True)
    response = page.goto(f"{path}?lang={lang}")
    assert response.status == 200, f"{path} answered {response.status}"
    blocking = [v for v in run_axe(page, axe_path) if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {path} ({lang}):\n{describe(blocking)}"
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


@pytest.mark.parametrize("role", list(SIGNED_IN))
def test_signed_in_council_pages_pass_axe_and_fit_a_phone(
    new_page, axe_path, live_server, sign_in, role, server_errors
):
    data = council_data(live_server)
    phone = {"width": 360, "height": 740, "is_mobile": True, "has_touch": True}
    page = new_page(lang="kk", bypass_csp=True, **phone)
    sign_in(page, data[role])
    for template in SIGNED_IN[role]:
        path = template.format(**data)
        response = page.goto(path)
        assert response.status == 200, f"{path} answered {response.status} for the {role}"
        assert_fits(page, f"{path} ({role})")
        blocking = [v for v in run_axe(page, axe_path) if v["impact"] in BLOCKING]
        assert not blocking, f"axe on {path} ({role}):\n{describe(blocking)}"
    if role == "member":
        page.goto(f"/councils/items/{data['current_item']}")
        assert page.locator('main form[action$="/ballot"] input[name="choice"]').count() == 3
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


@pytest.mark.parametrize("name", list(PUBLIC))
def test_public_council_pages_fit_a_phone(phone_page, live_server, name, server_errors):
    path = PUBLIC[name].format(**council_data(live_server))
    script_errors: list[str] = []
    phone_page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    phone_page.on("console", lambda m: script_errors.append(m.text) if "Content Security Policy" in m.text else None)
    response = phone_page.goto(path)
    assert response.status == 200
    assert not script_errors, f"script errors or CSP violations on {path}: {script_errors}"
    assert_fits(phone_page, path)
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"


def test_the_minutes_print_without_the_sites_chrome(new_page, live_server, server_errors):
    data = council_data(live_server)
    page = new_page(lang="kk")
    page.goto(f"/councils/meetings/{data['held']}/minutes")
    assert page.locator(".main-nav").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".main-nav").is_hidden()
    assert page.locator("header").first.is_hidden()
    assert page.locator(".minutes-text").is_visible()
    assert "Ұсынымды қабылдау" in page.locator(".minutes-text").inner_text()
    assert not server_errors.new(), f"the server raised: {server_errors.new()}"
