"""The meeting pages: the public meeting page and who sees it, the secretary's forms and controls, materials
uploaded through the browser, attendance, citizens' proposals."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core.db import db as _db
from councils import meetings
from councils.models import (
    AgendaItem,
    ItemKind,
    Material,
    Meeting,
    MeetingFormat,
    MeetingState,
    Minutes,
    MinutesState,
    Proposal,
    ProposalState,
    Vote,
    VoteOutcome,
    VoteState,
)
from feedback import services as loop
from feedback.models import CaseSource
from tests.councils.test_meetings import MEETING_AT, docx_bytes, exe_bytes, pdf_bytes


def count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def sec(cworld):
    return cworld.secretary.user


@pytest.fixture
def planned(cworld, sec):
    meeting = meetings.plan_meeting(
        cworld.council,
        sec,
        MEETING_AT,
        MeetingFormat.HYBRID,
        place="Akimat, hall 2",
        online_url="https://meet.example.kz/council",
    )
    meetings.add_item(meeting, sec, ItemKind.OTHER, "Winter road cleaning", rapporteur="Head of housing")
    return meeting


@pytest.fixture
def case(cworld):
    return loop.open_case(
        CaseSource.PROPOSAL,
        cworld.district,
        "Repair the road to Ainabulak",
        "The road to the village has been broken for three years.",
        author=cworld.citizen,
    )


def relogin(client, login, user) -> None:
    client.post("/account/logout")
    login(user)


def text(response) -> str:
    return response.get_data(as_text=True)


# -- the public page -------------------------------------------------------------------------------------


def test_planned_meeting_is_seen_only_by_the_council(client, login, planned, cworld):
    url = f"/councils/meetings/{planned.id}"
    assert client.get(url).status_code == 404
    login(cworld.citizen)
    assert client.get(url).status_code == 404
    relogin(client, login, cworld.members[0].user)
    page = client.get(url)
    assert page.status_code == 200
    assert "Winter road cleaning" in text(page)
    assert "Publish the agenda" not in text(page)  # a plain member sees it, without the controls
    relogin(client, login, cworld.admin)
    assert client.get(url).status_code == 200


def test_cancelled_before_publication_stays_hidden(client, planned, sec):
    meetings.cancel_meeting(planned, sec, "The hall is closed.")
    assert client.get(f"/councils/meetings/{planned.id}").status_code == 404
    assert client.get("/councils/meetings/999999").status_code == 404


def test_public_page_after_publication(client, planned, sec, case, cworld, clock):
    with_case = meetings.add_item(planned, sec, ItemKind.CASE, "The road", case=case, rapporteur="Deputy akim")
    meetings.add_material(with_case, sec, "Road report.pdf", pdf_bytes() + b"0" * 2000)
    clock.set(date(2026, 2, 12))
    meetings.publish_agenda(planned, sec, late_reason="The akimat sent its report late.")
    page = client.get(f"/councils/meetings/{planned.id}")
    assert page.status_code == 200
    html = text(page)
    assert "<h1>Meeting No. 1</h1>" in html
    assert "Public council of the district akimat" in html
    assert "Feb 20, 2026, 10:00:00" in html  # Almaty time
    assert "In person and online" in html and "Akimat, hall 2" in html
    assert 'href="https://meet.example.kz/council"' in html
    assert "Published on February 12, 2026" in html
    assert "Agenda published late: The akimat sent its report late." in html
    assert "by February 10, 2026" in html
    assert f'href="/councils/items/{with_case.id}"' in html
    assert f'href="/cases/{case.id}"' in html
    assert "Citizens&#39; case" in html and "Rapporteur: Deputy akim" in html
    material = with_case.materials[0]
    assert f'href="/councils/materials/{material.id}"' in html and "2 KB" in html
    assert html.index("Winter road cleaning") < html.index("The road</a>")
    assert "Quorum" not in html  # not before the meeting starts
    assert "Publish the agenda" not in html and "Secretary" not in html


def test_quorum_outcome_and_minutes_on_the_page(client, login, planned, sec, cworld, clock):
    meetings.publish_agenda(planned, sec)
    clock.set(date(2026, 2, 20))
    meetings.start_meeting(planned, sec)
    for seat in [cworld.chair, cworld.secretary, *cworld.members[:5]]:
        meetings.set_attendance(planned, sec, seat, True)
    page = text(client.get(f"/councils/meetings/{planned.id}"))
    assert "Quorum: 7 of 10 present, 7 needed — met" in page
    assert "7 members present" in page
    meetings.mark_left(planned, sec, cworld.members[0])
    page = text(client.get(f"/councils/meetings/{planned.id}"))
    assert "Quorum: 6 of 10 present, 7 needed — not met" in page
    assert "Left before the end" in page
    item = planned.items[0]
    _db.session.add(
        Vote(
            item_id=item.id,
            question="Adopt?",
            options="for,against",
            state=VoteState.CLOSED,
            outcome=VoteOutcome.ADOPTED,
        )
    )
    meetings.end_meeting(planned, sec)
    minutes = Minutes(meeting_id=planned.id, text="Draft")
    _db.session.add(minutes)
    _db.session.flush()
    page = text(client.get(f"/councils/meetings/{planned.id}"))
    assert "Adopted" in page
    assert f"/councils/meetings/{planned.id}/minutes" not in page  # a draft: not for the public
    login(sec)
    assert f"/councils/meetings/{planned.id}/minutes" in text(client.get(f"/councils/meetings/{planned.id}"))
    client.post("/account/logout")
    minutes.state = MinutesState.PUBLISHED
    _db.session.flush()
    assert f"/councils/meetings/{planned.id}/minutes" in text(client.get(f"/councils/meetings/{planned.id}"))


# -- who may write ---------------------------------------------------------------------------------------

WRITES = [
    ("GET", "/councils/{council}/meetings/new", {}),
    (
        "POST",
        "/councils/{council}/meetings/new",
        {"starts_at": "2026-03-01T10:00", "format": "in_person", "place": "H"},
    ),
    ("GET", "/councils/meetings/{meeting}/edit", {}),
    (
        "POST",
        "/councils/meetings/{meeting}/edit",
        {"starts_at": "2026-03-01T10:00", "format": "in_person", "place": "H"},
    ),
    ("POST", "/councils/meetings/{meeting}/cancel", {"reason": "No hall."}),
    ("GET", "/councils/meetings/{meeting}/items/new", {}),
    ("POST", "/councils/meetings/{meeting}/items/new", {"kind": "other", "title": "New item"}),
    ("GET", "/councils/items/{item}/edit", {}),
    ("POST", "/councils/items/{item}/edit", {"kind": "other", "title": "Changed"}),
    ("POST", "/councils/items/{item}/move", {"direction": "down"}),
    ("POST", "/councils/items/{item}/remove", {}),
    ("POST", "/councils/items/{item}/materials", {}),
    ("POST", "/councils/materials/{material}/remove", {}),
    ("POST", "/councils/meetings/{meeting}/publish", {}),
    ("POST", "/councils/meetings/{meeting}/start", {}),
    ("GET", "/councils/meetings/{meeting}/attendance", {}),
    ("POST", "/councils/meetings/{meeting}/attendance", {"member_id": "{member}", "status": "present"}),
    ("POST", "/councils/meetings/{meeting}/end", {}),
    ("POST", "/councils/proposals/{proposal}/accept", {"meeting_id": "{meeting}"}),
    ("POST", "/councils/proposals/{proposal}/decline", {"reason": "No."}),
]


@pytest.fixture
def targets(planned, sec, cworld):
    item = planned.items[0]
    material = meetings.add_material(item, sec, "a.pdf", pdf_bytes())
    proposal = meetings.propose_item(cworld.council, cworld.citizen, "Street lights", "Light the main street.")
    return {
        "council": cworld.council.id,
        "meeting": planned.id,
        "item": item.id,
        "material": material.id,
        "proposal": proposal.id,
        "member": cworld.members[0].id,
    }


def _fill(value: str, targets: dict) -> str:
    return value.format(**targets)


@pytest.mark.parametrize("who", ["citizen", "member", "no_vote_member", "admin"])
@pytest.mark.parametrize(("method", "url", "data"), WRITES)
def test_writes_refused_to_others(client, login, cworld, targets, who, method, url, data):
    user = {
        "citizen": cworld.citizen,
        "member": cworld.members[1].user,
        "no_vote_member": cworld.state_member.user,
        "admin": cworld.admin,
    }[who]
    login(user)
    before = (count(Meeting), count(AgendaItem), count(Material))
    response = client.open(_fill(url, targets), method=method, data={k: _fill(v, targets) for k, v in data.items()})
    assert response.status_code == 403
    assert (count(Meeting), count(AgendaItem), count(Material)) == before


@pytest.mark.parametrize(("method", "url", "data"), WRITES)
def test_writes_send_strangers_to_sign_in(client, targets, method, url, data):
    response = client.open(_fill(url, targets), method=method, data={k: _fill(v, targets) for k, v in data.items()})
    assert response.status_code == 302 and "/account/login" in response.location


# -- planning --------------------------------------------------------------------------------------------


def test_plan_a_meeting_through_the_form(client, login, sec, cworld):
    login(sec)
    assert client.get(f"/councils/{cworld.council.id}/meetings/new").status_code == 200
    response = client.post(
        f"/councils/{cworld.council.id}/meetings/new",
        data={"starts_at": "2026-02-20T10:00", "format": "in_person", "place": "Akimat, hall 2"},
    )
    assert response.status_code == 302
    meeting = _db.session.scalars(sa.select(Meeting)).one()
    assert meeting.starts_at == MEETING_AT  # 10:00 in Almaty is 05:00 UTC
    assert response.location.endswith(f"/councils/meetings/{meeting.id}")
    edit = text(client.get(f"/councils/meetings/{meeting.id}/edit"))
    assert 'value="2026-02-20T10:00"' in edit


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"starts_at": "2026-02-20T10:00", "format": "in_person", "place": ""}, "A meeting in person needs a place."),
        ({"starts_at": "2026-02-20T10:00", "format": "online", "online_url": "javascript:alert(1)"}, "https://"),
        ({"starts_at": "2025-02-20T10:00", "format": "in_person", "place": "H"}, "must start in the future"),
        ({"starts_at": "tomorrow", "format": "in_person", "place": "H"}, "Not a valid datetime value."),
        ({"starts_at": "2026-02-20T10:00", "format": "by_pigeon", "place": "H"}, "Not a valid choice"),
    ],
)
def test_bad_meeting_input_is_answered_on_the_page(client, login, sec, cworld, data, message):
    login(sec)
    response = client.post(f"/councils/{cworld.council.id}/meetings/new", data=data)
    assert response.status_code == 400
    assert message in text(response)
    assert count(Meeting) == 0
    if data.get("place"):
        assert f'value="{data["place"]}"' in text(response)  # what was typed stays


def test_edit_and_cancel_through_the_forms(client, login, sec, planned):
    login(sec)
    response = client.post(
        f"/councils/meetings/{planned.id}/edit",
        data={"starts_at": "2026-02-21T15:30", "format": "online", "online_url": "https://meet.kz/x"},
    )
    assert response.status_code == 302
    _db.session.refresh(planned)
    assert planned.starts_at == datetime(2026, 2, 21, 10, 30, tzinfo=UTC)
    assert planned.format == MeetingFormat.ONLINE
    bad = client.post(f"/councils/meetings/{planned.id}/cancel", data={"reason": ""})
    assert bad.status_code == 400 and "Give the reason for cancelling the meeting." in text(bad)
    assert client.post(f"/councils/meetings/{planned.id}/cancel", data={"reason": "No hall."}).status_code == 302
    _db.session.refresh(planned)
    assert planned.state == MeetingState.CANCELLED


# -- agenda items ----------------------------------------------------------------------------------------


def test_add_a_case_item(client, login, sec, planned, case):
    login(sec)
    assert client.get(f"/councils/meetings/{planned.id}/items/new").status_code == 200
    missing = client.post(
        f"/councils/meetings/{planned.id}/items/new",
        data={"kind": "case", "title": "The road", "case_number": "999999"},
    )
    assert missing.status_code == 400 and "There is no case with this number." in text(missing)
    assert 'value="The road"' in text(missing)
    none = client.post(f"/councils/meetings/{planned.id}/items/new", data={"kind": "case", "title": "The road"})
    assert none.status_code == 400 and "Give the number of the case." in text(none)
    assert count(AgendaItem) == 1
    added = client.post(
        f"/councils/meetings/{planned.id}/items/new",
        data={
            "kind": "case",
            "title": "The road",
            "case_number": str(case.id),
            "rapporteur": "Akim",
            "secret_ballot": "y",
        },
    )
    assert added.status_code == 302
    item = _db.session.scalars(sa.select(AgendaItem).where(AgendaItem.case_id == case.id)).one()
    assert (item.position, item.rapporteur, item.secret_ballot) == (2, "Akim", True)
    twice = client.post(
        f"/councils/meetings/{planned.id}/items/new",
        data={"kind": "case", "title": "Again", "case_number": str(case.id)},
    )
    assert twice.status_code == 400 and "already on the meeting" in text(twice)
    assert count(AgendaItem) == 2


def test_edit_move_remove_items(client, login, sec, planned):
    second = meetings.add_item(planned, sec, ItemKind.REPORT, "Akim's report")
    first = planned.items[0]
    login(sec)
    assert client.get(f"/councils/items/{first.id}/edit").status_code == 200
    empty = client.post(f"/councils/items/{first.id}/edit", data={"kind": "other", "title": ""})
    assert empty.status_code == 400 and "Give the item a title." in text(empty)
    assert (
        client.post(f"/councils/items/{first.id}/edit", data={"kind": "monitoring", "title": "Roads"}).status_code
        == 302
    )
    assert client.post(f"/councils/items/{second.id}/move", data={"direction": "up"}).status_code == 302
    _db.session.expire_all()
    assert [(i.position, i.title) for i in planned.items] == [(1, "Akim's report"), (2, "Roads")]
    refused = client.post(f"/councils/items/{second.id}/move", data={"direction": "up"})
    assert refused.status_code == 400 and "already first" in text(refused)
    assert client.post(f"/councils/items/{second.id}/remove").status_code == 302
    _db.session.expire_all()
    assert [(i.position, i.title) for i in planned.items] == [(1, "Roads")]


# -- materials -------------------------------------------------------------------------------------------


def test_upload_and_download_a_material(client, login, sec, planned):
    item = planned.items[0]
    login(sec)
    response = client.post(
        f"/councils/items/{item.id}/materials",
        data={"file": (io.BytesIO(docx_bytes()), "Есеп 2026.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    material = _db.session.scalars(sa.select(Material)).one()
    assert (material.filename, material.size) == ("Есеп 2026.docx", len(docx_bytes()))
    download = client.get(f"/councils/materials/{material.id}")
    assert download.status_code == 200
    assert download.data == docx_bytes()
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D0%95%D1%81%D0%B5%D0%BF%202026.docx" in download.headers["Content-Disposition"]
    client.post("/account/logout")
    assert client.get(f"/councils/materials/{material.id}").status_code == 404  # the agenda is not public yet
    assert client.get("/councils/materials/999999").status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((exe_bytes(), "report.pdf"), "is not the PDF its name says"),
        ((b"notes", "notes.txt"), "Attach a PDF, DOCX or ODT file."),
        (None, "Choose a file to upload."),
    ],
)
def test_bad_upload_is_answered_on_the_page(client, login, sec, planned, upload, message):
    item = planned.items[0]
    login(sec)
    data = {"file": (io.BytesIO(upload[0]), upload[1])} if upload else {}
    response = client.post(f"/councils/items/{item.id}/materials", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text(response)
    assert count(Material) == 0


def test_oversize_upload(client, login, sec, planned, app, monkeypatch):
    monkeypatch.setitem(app.config, "COUNCILS_MATERIAL_MAX_BYTES", 100)
    login(sec)
    response = client.post(
        f"/councils/items/{planned.items[0].id}/materials",
        data={"file": (io.BytesIO(pdf_bytes() + b"0" * 200), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "too large" in text(response)
    assert count(Material) == 0


def test_remove_a_material(client, login, sec, planned):
    material = meetings.add_material(planned.items[0], sec, "a.pdf", pdf_bytes())
    login(sec)
    assert client.post(f"/councils/materials/{material.id}/remove").status_code == 302
    assert count(Material) == 0


# -- publishing and the meeting day ----------------------------------------------------------------------


def test_publish_late_needs_a_reason_on_the_page(client, login, sec, planned, clock):
    clock.set(date(2026, 2, 11))
    login(sec)
    page = text(client.get(f"/councils/meetings/{planned.id}"))
    assert 'name="late_reason"' in page  # the field appears when late
    refused = client.post(f"/councils/meetings/{planned.id}/publish", data={"late_reason": ""})
    assert refused.status_code == 400
    assert "give the reason for publishing the agenda late" in text(refused)
    _db.session.refresh(planned)
    assert planned.state == MeetingState.PLANNED
    done = client.post(f"/councils/meetings/{planned.id}/publish", data={"late_reason": "The report came late."})
    assert done.status_code == 302
    _db.session.refresh(planned)
    assert (planned.state, planned.late_reason) == (MeetingState.ANNOUNCED, "The report came late.")


def test_publish_on_time_shows_no_reason_field(client, login, sec, planned):
    login(sec)
    page = text(client.get(f"/councils/meetings/{planned.id}"))
    assert "Publish the agenda" in page and 'name="late_reason"' not in page
    assert client.post(f"/councils/meetings/{planned.id}/publish").status_code == 302


def test_meeting_day_through_the_pages(client, login, sec, planned, cworld, clock):
    meetings.publish_agenda(planned, sec)
    login(sec)
    early = client.post(f"/councils/meetings/{planned.id}/start")
    assert early.status_code == 400 and "can be started on its day" in text(early)
    clock.set(date(2026, 2, 20))
    started = client.post(f"/councils/meetings/{planned.id}/start")
    assert started.status_code == 302 and started.location.endswith(f"/councils/meetings/{planned.id}/attendance")
    page = text(client.get(f"/councils/meetings/{planned.id}/attendance"))
    assert "Quorum: 0 of 10 present, 7 needed — not met" in page
    assert page.count('name="member_id"') == 11 * 2  # present and absent for each of the 11 serving members
    for seat in [cworld.chair, cworld.secretary, *cworld.members[:5]]:
        assert (
            client.post(
                f"/councils/meetings/{planned.id}/attendance", data={"member_id": seat.id, "status": "present"}
            ).status_code
            == 302
        )
    page = text(client.get(f"/councils/meetings/{planned.id}/attendance"))
    assert "Quorum: 7 of 10 present, 7 needed — met" in page
    client.post(
        f"/councils/meetings/{planned.id}/attendance", data={"member_id": cworld.members[0].id, "status": "left"}
    )
    assert meetings.quorum_status(planned).present_with_vote == 6
    bad = client.post(f"/councils/meetings/{planned.id}/attendance", data={"member_id": "abc", "status": "present"})
    assert bad.status_code == 400
    wrong = client.post(
        f"/councils/meetings/{planned.id}/attendance", data={"member_id": cworld.members[6].id, "status": "left"}
    )
    assert wrong.status_code == 400 and "Only a member marked present can leave." in text(wrong)
    assert client.post(f"/councils/meetings/{planned.id}/end").status_code == 302
    _db.session.refresh(planned)
    assert planned.state == MeetingState.HELD


# -- citizens' proposals ---------------------------------------------------------------------------------


def test_propose_and_decide(client, login, cworld, planned, sec, make_user):
    council = cworld.council.id
    login(make_user(verified=False))
    assert client.get(f"/councils/{council}/propose").status_code == 403
    relogin(client, login, cworld.citizen)
    assert client.get(f"/councils/{council}/propose").status_code == 200
    bad = client.post(f"/councils/{council}/propose", data={"title": "Street lights", "body": ""})
    assert bad.status_code == 400 and 'value="Street lights"' in text(bad)
    assert count(Proposal) == 0
    assert (
        client.post(
            f"/councils/{council}/propose", data={"title": "Street lights", "body": "Light the main street."}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/councils/{council}/propose", data={"title": "Bus stop", "body": "Build one."}).status_code == 302
    )
    lights, bus = _db.session.scalars(sa.select(Proposal).order_by(Proposal.id)).all()
    public = text(client.get(f"/councils/{council}/proposals"))
    assert "Street lights" in public and "Awaiting the secretary" in public
    assert "Accept onto this meeting" not in public
    relogin(client, login, sec)
    page = text(client.get(f"/councils/{council}/proposals"))
    assert "Accept onto this meeting" in page and f'<option value="{planned.id}">' in page
    no_reason = client.post(f"/councils/proposals/{bus.id}/decline", data={"reason": " "})
    assert no_reason.status_code == 400 and "Give the reason for declining" in text(no_reason)
    assert (
        client.post(f"/councils/proposals/{bus.id}/decline", data={"reason": "Outside our remit."}).status_code == 302
    )
    no_meeting = client.post(f"/councils/proposals/{lights.id}/accept", data={"meeting_id": "x"})
    assert no_meeting.status_code == 400
    assert client.post(f"/councils/proposals/{lights.id}/accept", data={"meeting_id": planned.id}).status_code == 302
    _db.session.expire_all()
    assert (lights.state, lights.meeting_id, bus.state) == (ProposalState.ACCEPTED, planned.id, ProposalState.DECLINED)
    assert planned.items[-1].proposal_id == lights.id
    client.post("/account/logout")
    public = text(client.get(f"/councils/{council}/proposals"))
    assert "Declined: Outside our remit." in public
    assert "On the agenda of meeting No. 1" in public
    assert f'href="/councils/meetings/{planned.id}"' not in public  # not public until the agenda is
