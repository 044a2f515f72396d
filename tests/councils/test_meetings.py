"""Meetings, agendas, materials, attendance and quorum, publishing within the notice period, citizens' proposals:
the rules of ``councils.meetings``."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.db import commit
from core.db import db as _db
from core.errors import Conflict, NotAllowed
from councils import meetings
from councils.errors import CouncilError
from councils.models import (
    AgendaItem,
    Attendance,
    Council,
    Follower,
    ItemKind,
    MeetingFormat,
    MeetingState,
    ProposalState,
    Vote,
)
from feedback import services as loop
from feedback.models import CaseEvent, CaseSource, CaseState, EventKind

#: 10:00 in Almaty on Friday 20 February 2026.
MEETING_AT = datetime(2026, 2, 20, 5, 0, tzinfo=UTC)


# -- builders --------------------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
    return buffer.getvalue()


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture
def sec(cworld):
    return cworld.secretary.user


@pytest.fixture
def planned(cworld, sec):
    return meetings.plan_meeting(cworld.council, sec, MEETING_AT, MeetingFormat.IN_PERSON, place="Akimat, hall 2")


@pytest.fixture
def make_case(cworld):
    def make(title="Repair the road to Ainabulak"):
        return loop.open_case(
            CaseSource.PROPOSAL,
            cworld.district,
            title,
            "The road to the village has been broken for three years.",
            author=cworld.citizen,
        )

    return make


def item(meeting, actor, title="Winter road cleaning", **fields):
    return meetings.add_item(meeting, actor, fields.pop("kind", ItemKind.OTHER), title, **fields)


def actions(action: str) -> list[AuditEntry]:
    return list(_db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def announced(meeting, actor, clock):
    item(meeting, actor)
    meetings.publish_agenda(meeting, actor)
    return meeting


def in_progress(meeting, actor, clock):
    announced(meeting, actor, clock)
    clock.set(date(2026, 2, 20), datetime(2026, 2, 20, 4, 50))
    meetings.start_meeting(meeting, actor)
    return meeting


# -- planning --------------------------------------------------------------------------------------------


def test_plan_meeting_numbers_within_the_council(cworld, sec):
    first = meetings.plan_meeting(cworld.council, sec, MEETING_AT, MeetingFormat.IN_PERSON, place="Hall 2")
    second = meetings.plan_meeting(
        cworld.council, cworld.chair.user, MEETING_AT + timedelta(days=30), "online", online_url="https://meet.kz/a"
    )
    assert (first.number, second.number) == (1, 2)
    assert first.state == MeetingState.PLANNED and first.created_by_id == sec.id
    assert second.format == MeetingFormat.ONLINE and second.online_url == "https://meet.kz/a"
    assert [e.object_id for e in actions("council.meeting_planned")] == [str(first.id), str(second.id)]


def test_plan_meeting_only_by_secretary_or_chair(cworld):
    for user in (cworld.citizen, cworld.members[0].user, cworld.officer, cworld.state_member.user):
        with pytest.raises(NotAllowed):
            meetings.plan_meeting(cworld.council, user, MEETING_AT, MeetingFormat.IN_PERSON, place="Hall")


@pytest.mark.parametrize(
    ("fmt", "place", "url", "ok"),
    [
        (MeetingFormat.IN_PERSON, "Hall 2", None, True),
        (MeetingFormat.IN_PERSON, "", None, False),
        (MeetingFormat.ONLINE, "", "https://meet.kz/x", True),
        (MeetingFormat.ONLINE, "", None, False),
        (MeetingFormat.ONLINE, "", "ftp://meet.kz/x", False),
        (MeetingFormat.ONLINE, "", "javascript:alert(1)", False),
        (MeetingFormat.ONLINE, "", "meet.kz/x", False),
        (MeetingFormat.HYBRID, "Hall 2", "http://meet.kz/x", True),
        (MeetingFormat.HYBRID, "", "https://meet.kz/x", False),
        (MeetingFormat.HYBRID, "Hall 2", None, False),
        ("by_pigeon", "Hall 2", None, False),
    ],
)
def test_plan_meeting_format_needs_place_and_link(cworld, sec, fmt, place, url, ok):
    if ok:
        meeting = meetings.plan_meeting(cworld.council, sec, MEETING_AT, fmt, place=place, online_url=url)
        assert (meeting.place, meeting.online_url) == (place, url)
    else:
        with pytest.raises(CouncilError):
            meetings.plan_meeting(cworld.council, sec, MEETING_AT, fmt, place=place, online_url=url)


def test_plan_meeting_must_start_in_the_future(cworld, sec, clock):
    with pytest.raises(CouncilError):
        meetings.plan_meeting(cworld.council, sec, clock.now.replace(tzinfo=UTC), MeetingFormat.IN_PERSON, place="H")
    with pytest.raises(CouncilError):
        meetings.plan_meeting(cworld.council, sec, datetime(2026, 1, 5, tzinfo=UTC), MeetingFormat.IN_PERSON, place="H")


def test_update_meeting(planned, sec, cworld, clock):
    meetings.update_meeting(planned, sec, format="hybrid", online_url="https://meet.kz/b", place="Hall 3")
    assert (planned.format, planned.place, planned.online_url) == (MeetingFormat.HYBRID, "Hall 3", "https://meet.kz/b")
    with pytest.raises(CouncilError):
        meetings.update_meeting(planned, sec, online_url="")
    with pytest.raises(CouncilError):
        meetings.update_meeting(planned, sec, starts_at=datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(NotAllowed):
        meetings.update_meeting(planned, cworld.members[0].user, place="Hall 9")
    _db.session.refresh(planned)
    assert len(actions("council.meeting_updated")) == 1
    in_progress(planned, sec, clock)
    with pytest.raises(Conflict):
        meetings.update_meeting(planned, sec, place="Hall 4")


def test_cancel_meeting_needs_a_reason(planned, sec):
    for reason in ("", "   "):
        with pytest.raises(CouncilError):
            meetings.cancel_meeting(planned, sec, reason)
    meetings.cancel_meeting(planned, sec, "The hall is closed for repairs.")
    assert planned.state == MeetingState.CANCELLED
    assert planned.cancelled_reason == "The hall is closed for repairs."
    assert not meetings.is_public(planned)
    with pytest.raises(Conflict):
        meetings.cancel_meeting(planned, sec, "Again")


def test_cannot_cancel_a_started_meeting(planned, sec, clock):
    in_progress(planned, sec, clock)
    with pytest.raises(Conflict):
        meetings.cancel_meeting(planned, sec, "Too late")


# -- the agenda ------------------------------------------------------------------------------------------


def test_items_are_numbered_and_move(planned, sec):
    a, b, c = (item(planned, sec, t) for t in ("Alpha item", "Beta item", "Gamma item"))
    assert [i.position for i in (a, b, c)] == [1, 2, 3]
    meetings.move_item(c, sec, "up")
    assert [i.title for i in planned.items] == ["Alpha item", "Gamma item", "Beta item"]
    assert [i.position for i in planned.items] == [1, 2, 3]
    meetings.move_item(a, sec, "down")
    assert [(i.position, i.title) for i in sorted(planned.items, key=lambda i: i.position)] == [
        (1, "Gamma item"),
        (2, "Alpha item"),
        (3, "Beta item"),
    ]
    with pytest.raises(CouncilError):
        meetings.move_item(c, sec, "up")  # already first
    with pytest.raises(CouncilError):
        meetings.move_item(b, sec, "down")  # already last
    with pytest.raises(CouncilError):
        meetings.move_item(b, sec, "sideways")
    meetings.remove_item(a, sec)
    _db.session.expire_all()
    assert [(i.position, i.title) for i in planned.items] == [(1, "Gamma item"), (2, "Beta item")]
    assert len(actions("council.item_moved")) == 2 and len(actions("council.item_removed")) == 1


def test_item_rules(planned, sec, make_case, cworld):
    case = make_case()
    with pytest.raises(CouncilError):
        meetings.add_item(planned, sec, ItemKind.CASE, "A case without a case")
    with pytest.raises(CouncilError):
        meetings.add_item(planned, sec, ItemKind.REPORT, "A report with a case", case=case)
    with pytest.raises(CouncilError):
        meetings.add_item(planned, sec, ItemKind.OTHER, "   ")
    with pytest.raises(CouncilError):
        meetings.add_item(planned, sec, ItemKind.OTHER, "x" * 301)
    with pytest.raises(CouncilError):
        meetings.add_item(planned, sec, "gossip", "Unknown kind")
    with pytest.raises(NotAllowed):
        meetings.add_item(planned, cworld.members[0].user, ItemKind.OTHER, "By a member")
    on_agenda = meetings.add_item(
        planned, sec, ItemKind.CASE, "The road", rapporteur="A. Akim", case=case, secret_ballot=True
    )
    assert (on_agenda.case_id, on_agenda.rapporteur, on_agenda.secret_ballot) == (case.id, "A. Akim", True)
    with pytest.raises(CouncilError):
        meetings.add_item(planned, sec, ItemKind.CASE, "The road again", case=case)
    other = meetings.add_item(planned, sec, ItemKind.MONITORING, "Monitoring of schools")
    with pytest.raises(CouncilError):
        meetings.update_item(other, sec, kind=ItemKind.CASE, case=case)  # the same case twice
    meetings.update_item(other, sec, title="Monitoring of kindergartens", description="Results of May")
    assert (other.title, other.description, other.kind) == (
        "Monitoring of kindergartens",
        "Results of May",
        ItemKind.MONITORING,
    )
    meetings.update_item(on_agenda, sec, kind=ItemKind.REPORT)  # changing the kind lets the case go
    assert on_agenda.case_id is None
    assert len(actions("council.item_added")) == 2 and len(actions("council.item_updated")) == 2


def test_any_case_of_the_loop_in_any_state(planned, sec, make_case):
    case = make_case()
    case.state = CaseState.CLOSED
    added = meetings.add_item(planned, sec, ItemKind.CASE, "Whatever its state", case=case)
    assert added.case_id == case.id


def test_agenda_frozen_once_the_meeting_starts(planned, sec, clock):
    in_progress(planned, sec, clock)
    first = planned.items[0]
    with pytest.raises(Conflict):
        item(planned, sec, "Late addition")
    with pytest.raises(Conflict):
        meetings.remove_item(first, sec)
    with pytest.raises(Conflict):
        meetings.move_item(first, sec, "down")
    with pytest.raises(Conflict):
        meetings.update_item(first, sec, title="Changed")


# -- materials -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("Report.pdf", pdf_bytes(), "application/pdf"),
        ("Есеп.DOCX", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("minutes draft.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
    ],
)
def test_material_types_accepted(planned, sec, filename, data, content_type):
    target = item(planned, sec)
    material = meetings.add_material(target, sec, filename, data)
    assert material.content_type == content_type
    assert material.size == len(data)
    assert material.sha256 == sha256(data).hexdigest()
    assert material.content == data
    assert material.filename == filename[: filename.rindex(".")] + filename[filename.rindex(".") :].lower()
    assert actions("council.material_added")[0].details_dict["sha256"] == material.sha256


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("setup.exe", exe_bytes()),
        ("report.pdf", exe_bytes()),  # a renamed program
        ("notes.txt", b"Plain text notes"),
        ("notes.pdf", b"Plain text notes"),
        ("report.docx", odt_bytes()),  # an ODT calling itself DOCX
        ("report.odt", docx_bytes()),
        ("report.docx", b"PK\x03\x04 not really a zip"),
        ("report.docx", pdf_bytes()),
        ("report", pdf_bytes()),
        ("empty.pdf", b""),
    ],
)
def test_material_types_refused(planned, sec, filename, data):
    target = item(planned, sec)
    with pytest.raises(CouncilError):
        meetings.add_material(target, sec, filename, data)
    assert target.materials == []


def test_material_size_limit(planned, sec, app, monkeypatch):
    target = item(planned, sec)
    data = pdf_bytes() + b"0" * 100
    monkeypatch.setitem(app.config, "COUNCILS_MATERIAL_MAX_BYTES", len(data) - 1)
    with pytest.raises(CouncilError, match="too large"):
        meetings.add_material(target, sec, "big.pdf", data)
    monkeypatch.setitem(app.config, "COUNCILS_MATERIAL_MAX_BYTES", len(data))
    assert meetings.add_material(target, sec, "big.pdf", data).size == len(data)
    monkeypatch.delitem(app.config, "COUNCILS_MATERIAL_MAX_BYTES")
    assert meetings.material_max_bytes() == 10 * 1024 * 1024


def test_material_only_by_runner_and_removed(planned, sec, cworld):
    target = item(planned, sec)
    with pytest.raises(NotAllowed):
        meetings.add_material(target, cworld.members[0].user, "a.pdf", pdf_bytes())
    material = meetings.add_material(target, sec, "a.pdf", pdf_bytes())
    with pytest.raises(NotAllowed):
        meetings.remove_material(material, cworld.citizen)
    meetings.remove_material(material, sec)
    assert target.materials == []
    assert len(actions("council.material_removed")) == 1


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Есеп 2026.PDF", "Есеп 2026.pdf"),
        ('re"port<1>.pdf', "re_port_1.pdf"),
        ("  .pdf", "material.pdf"),
        ("a\x00b\nc.odt", "a_b_c.odt"),
        ("x" * 300 + ".docx", "x" * 250 + ".docx"),
    ],
)
def test_clean_filename(given, clean):
    assert meetings.clean_filename(given) == clean


# -- publishing ------------------------------------------------------------------------------------------


def test_notice_deadline_is_exact(planned, cworld):
    assert meetings.meeting_day(planned) == date(2026, 2, 20)
    assert meetings.notice_deadline(planned) == date(2026, 2, 10)
    cworld.council.notice_days = 3
    assert meetings.notice_deadline(planned) == date(2026, 2, 17)


def test_notice_deadline_uses_the_local_date(cworld, sec):
    # 23:30 in Almaty on 20 February is 18:30 UTC; 01:00 on 21 February is 20:00 UTC on the 20th.
    late_evening = meetings.plan_meeting(
        cworld.council, sec, datetime(2026, 2, 20, 20, 0, tzinfo=UTC), MeetingFormat.IN_PERSON, place="Hall"
    )
    assert meetings.meeting_day(late_evening) == date(2026, 2, 21)
    assert meetings.notice_deadline(late_evening) == date(2026, 2, 11)


def test_publish_on_the_deadline_needs_no_reason(planned, sec, clock):
    item(planned, sec)
    clock.set(date(2026, 2, 10))
    assert not meetings.is_late(planned)
    meetings.publish_agenda(planned, sec, late_reason="ignored")
    assert planned.state == MeetingState.ANNOUNCED
    assert planned.agenda_published_at == datetime(2026, 2, 10, 5, 0, tzinfo=UTC)
    assert planned.late_reason is None
    assert meetings.is_public(planned)


def test_late_publish_needs_a_reason(planned, sec, clock):
    item(planned, sec)
    clock.set(date(2026, 2, 11))
    assert meetings.is_late(planned)
    for reason in (None, "", "   "):
        with pytest.raises(CouncilError, match="reason"):
            meetings.publish_agenda(planned, sec, late_reason=reason)
    assert planned.state == MeetingState.PLANNED
    meetings.publish_agenda(planned, sec, late_reason="The akimat sent the report late.")
    assert planned.late_reason == "The akimat sent the report late."
    entry = actions("council.agenda_published")[0]
    assert entry.details_dict["late"] is True and entry.details_dict["deadline"] == "2026-02-10"


def test_publish_rules(planned, sec, cworld, clock):
    with pytest.raises(CouncilError):
        meetings.publish_agenda(planned, sec)  # no items
    item(planned, sec)
    with pytest.raises(NotAllowed):
        meetings.publish_agenda(planned, cworld.members[0].user)
    meetings.publish_agenda(planned, cworld.chair.user)
    with pytest.raises(Conflict):
        meetings.publish_agenda(planned, sec)


def test_publish_notes_each_case_on_its_timeline(planned, sec, make_case, cworld):
    case = make_case()
    meetings.add_item(planned, sec, ItemKind.CASE, "The road", case=case)
    item(planned, sec, "No case here")

    def on_agenda(c):
        return list(
            _db.session.scalars(
                sa.select(CaseEvent).where(CaseEvent.case_id == c.id, CaseEvent.kind == EventKind.ON_AGENDA)
            )
        )

    assert on_agenda(case) == []  # not before the agenda is public
    meetings.publish_agenda(planned, sec)
    events = on_agenda(case)
    assert len(events) == 1
    assert events[0].note == (
        "On the agenda of Public council of the district akimat, meeting No. 1 on February 20, 2026."
    )
    assert events[0].actor_id == sec.id
    later = make_case("Street lights in Ainabulak")
    meetings.add_item(planned, sec, ItemKind.CASE, "Street lights", case=later)
    assert len(on_agenda(later)) == 1  # at once, the agenda being public
    assert case.state == loop.get_case(case.id).state  # the case's state does not change


def test_publish_mails_every_follower_in_their_language(planned, sec, cworld, make_user, outbox, run_jobs):
    readers = [make_user(locale=locale) for locale in ("en", "ru", "kk")]
    for reader in readers:
        _db.session.add(Follower(council_id=cworld.council.id, user_id=reader.id))
    item(planned, sec, "Winter road cleaning", rapporteur="Head of housing")
    meetings.publish_agenda(planned, sec)
    assert run_jobs.queue.count == 0  # nothing before the commit
    commit()
    run_jobs()
    messages = outbox.messages()
    assert sorted(m["To"] for m in messages) == sorted(r.email for r in readers)
    assert sorted(m["Content-Language"] for m in messages) == ["en", "kk", "ru"]
    english = next(m for m in messages if m["Content-Language"] == "en")
    assert english["Subject"] == "Agenda of meeting No. 1: Public council of the district akimat"
    text = english.get_body(("plain",)).get_content()
    assert "1. Winter road cleaning (Other question; rapporteur: Head of housing)" in text
    assert f"http://localhost/councils/meetings/{planned.id}" in text


def test_no_mail_without_followers(planned, sec, outbox, run_jobs):
    item(planned, sec)
    meetings.publish_agenda(planned, sec)
    commit()
    run_jobs()
    assert len(outbox) == 0


# -- the meeting day -------------------------------------------------------------------------------------


def test_start_only_on_the_day(planned, sec, clock):
    announced(planned, sec, clock)
    clock.set(date(2026, 2, 19))
    with pytest.raises(CouncilError):
        meetings.start_meeting(planned, sec)
    clock.set(date(2026, 2, 20), datetime(2026, 2, 20, 4, 50))
    meetings.start_meeting(planned, sec)
    assert planned.state == MeetingState.IN_PROGRESS
    assert planned.started_at == datetime(2026, 2, 20, 4, 50, tzinfo=UTC)
    with pytest.raises(Conflict):
        meetings.start_meeting(planned, sec)


def test_start_needs_a_published_agenda(planned, sec, clock):
    clock.set(date(2026, 2, 20))
    with pytest.raises(Conflict):
        meetings.start_meeting(planned, sec)


def test_attendance_and_quorum(planned, sec, cworld, clock):
    in_progress(planned, sec, clock)
    assert meetings.quorum_status(planned) == meetings.QuorumStatus(0, 10, 7, False)
    voters = [cworld.chair, cworld.secretary, *cworld.members[:4]]
    for seat in voters:
        meetings.set_attendance(planned, sec, seat, True)
    meetings.set_attendance(planned, sec, cworld.state_member, True)  # no vote: not counted
    meetings.set_attendance(planned, sec, cworld.members[6], False)
    assert meetings.quorum_status(planned) == meetings.QuorumStatus(6, 10, 7, False)
    meetings.set_attendance(planned, sec, cworld.paper_member, True)  # a member without an account counts
    assert meetings.quorum_status(planned) == meetings.QuorumStatus(7, 10, 7, True)
    assert [m.id for m in meetings.present_members(planned)] == [
        m.id for m in [*voters, cworld.state_member, cworld.paper_member]
    ]
    clock.set(date(2026, 2, 20), datetime(2026, 2, 20, 6, 0))
    row = meetings.mark_left(planned, sec, cworld.members[0])
    assert row.left_at == datetime(2026, 2, 20, 6, 0, tzinfo=UTC) and not row.is_present
    assert meetings.quorum_status(planned) == meetings.QuorumStatus(6, 10, 7, False)
    assert cworld.members[0] not in meetings.present_members(planned)
    with pytest.raises(CouncilError):
        meetings.mark_left(planned, sec, cworld.members[0])  # already left
    with pytest.raises(CouncilError):
        meetings.mark_left(planned, sec, cworld.members[6])  # absent
    meetings.set_attendance(planned, sec, cworld.members[0], True)  # back again
    assert row.left_at is None and row.is_present
    assert meetings.quorum_status(planned) == meetings.QuorumStatus(7, 10, 7, True)
    rows = _db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == planned.id)).all()
    assert len(rows) == 9
    assert len(actions("council.attendance_set")) == 10 and len(actions("council.attendance_left")) == 1


def test_attendance_rules(planned, sec, cworld, clock, make_user):
    announced(planned, sec, clock)
    with pytest.raises(Conflict):
        meetings.set_attendance(planned, sec, cworld.chair, True)  # not started
    clock.set(date(2026, 2, 20))
    meetings.start_meeting(planned, sec)
    with pytest.raises(NotAllowed):
        meetings.set_attendance(planned, cworld.members[0].user, cworld.chair, True)
    other = Council(
        authority_id=cworld.region.id,
        name_kk="Облыс",
        name_ru="Область",
        name_en="Region",
        term_starts_on=date(2025, 1, 1),
    )
    _db.session.add(other)
    _db.session.flush()
    from councils.models import CouncilMember

    stranger = CouncilMember(council_id=other.id, full_name="Stranger", term_starts_on=date(2025, 1, 1))
    former = CouncilMember(
        council_id=cworld.council.id,
        full_name="Former member",
        term_starts_on=date(2025, 1, 1),
        term_ends_on=date(2026, 1, 31),
    )
    _db.session.add_all([stranger, former])
    _db.session.flush()
    for seat in (stranger, former):
        with pytest.raises(CouncilError):
            meetings.set_attendance(planned, sec, seat, True)
    # A member whose term ended before the meeting does not count towards quorum either.
    assert meetings.quorum_status(planned).members_with_vote == 10


def test_quorum_follows_the_council_rules(planned, sec, cworld, clock):
    in_progress(planned, sec, clock)
    cworld.council.quorum_numerator, cworld.council.quorum_denominator = 1, 2
    for seat in [cworld.chair, cworld.secretary, *cworld.members[:3]]:
        meetings.set_attendance(planned, sec, seat, True)
    assert meetings.quorum_status(planned) == meetings.QuorumStatus(5, 10, 5, True)


def test_end_meeting_refused_while_a_vote_is_open(planned, sec, cworld, clock):
    in_progress(planned, sec, clock)
    vote = Vote(item_id=planned.items[0].id, question="Adopt?", options="for,against,abstain")
    _db.session.add(vote)
    _db.session.flush()
    with pytest.raises(Conflict):
        meetings.end_meeting(planned, sec)
    vote.state = "closed"
    _db.session.flush()
    with pytest.raises(NotAllowed):
        meetings.end_meeting(planned, cworld.members[0].user)
    meetings.end_meeting(planned, sec)
    assert planned.state == MeetingState.HELD and planned.ended_at is not None
    with pytest.raises(Conflict):
        meetings.end_meeting(planned, sec)


# -- citizens' proposals ---------------------------------------------------------------------------------


def test_propose_item_rules(cworld, make_user):
    council = cworld.council
    with pytest.raises(NotAllowed):
        meetings.propose_item(council, make_user(verified=False), "Street lights", "Please light the street.")
    for title, body in (("", "Body"), ("x" * 301, "Body"), ("Street lights", ""), ("Street lights", "  ")):
        with pytest.raises(CouncilError):
            meetings.propose_item(council, cworld.citizen, title, body)
    made = [meetings.propose_item(council, cworld.citizen, f"Proposal {n}", "Discuss it, please.") for n in range(5)]
    assert all(p.state == ProposalState.PENDING and p.author_id == cworld.citizen.id for p in made)
    with pytest.raises(CouncilError, match="5 proposals"):
        meetings.propose_item(council, cworld.citizen, "Proposal 6", "One more.")
    meetings.decline_proposal(made[0], cworld.secretary.user, "Outside the council's remit.")
    sixth = meetings.propose_item(council, cworld.citizen, "Proposal 6", "One more.")  # room again
    assert sixth.state == ProposalState.PENDING
    assert len(actions("council.proposal_made")) == 6


def test_accept_proposal(planned, sec, cworld, outbox, run_jobs):
    proposal = meetings.propose_item(cworld.council, cworld.citizen, "Street lights", "Light the main street.")
    with pytest.raises(NotAllowed):
        meetings.accept_proposal(proposal, cworld.members[0].user, planned)
    added = meetings.accept_proposal(proposal, sec, planned)
    assert (added.kind, added.title, added.description, added.proposal_id) == (
        ItemKind.OTHER,
        "Street lights",
        "Light the main street.",
        proposal.id,
    )
    assert (proposal.state, proposal.meeting_id, proposal.decided_by_id) == (ProposalState.ACCEPTED, planned.id, sec.id)
    with pytest.raises(Conflict):
        meetings.accept_proposal(proposal, sec, planned)
    commit()
    run_jobs()
    [message] = outbox.messages()
    assert message["To"] == cworld.citizen.email
    assert message["Subject"] == "Your proposal is on the agenda: Street lights"
    # The meeting is not public until its agenda is published: the mail links the proposals page instead.
    assert f"/councils/{cworld.council.id}/proposals" in message.get_body(("plain",)).get_content()


def test_removing_an_accepted_item_returns_the_proposal(planned, sec, cworld):
    proposal = meetings.propose_item(cworld.council, cworld.citizen, "Street lights", "Light the main street.")
    added = meetings.accept_proposal(proposal, sec, planned)
    meetings.remove_item(added, sec)
    assert (proposal.state, proposal.meeting_id) == (ProposalState.PENDING, None)


def test_accept_only_onto_a_fitting_meeting(planned, sec, cworld, clock):
    proposal = meetings.propose_item(cworld.council, cworld.citizen, "Street lights", "Light the main street.")
    other = Council(
        authority_id=cworld.region.id,
        name_kk="Облыс",
        name_ru="Область",
        name_en="Region",
        term_starts_on=date(2025, 1, 1),
    )
    _db.session.add(other)
    _db.session.flush()
    from councils.models import Meeting

    foreign = Meeting(council_id=other.id, number=1, starts_at=MEETING_AT, place="Elsewhere")
    _db.session.add(foreign)
    _db.session.flush()
    with pytest.raises(CouncilError):
        meetings.accept_proposal(proposal, sec, foreign)
    in_progress(planned, sec, clock)
    with pytest.raises(CouncilError):
        meetings.accept_proposal(proposal, sec, planned)
    assert proposal.state == ProposalState.PENDING


def test_decline_proposal(cworld, outbox, run_jobs):
    proposal = meetings.propose_item(cworld.council, cworld.citizen, "Street lights", "Light the main street.")
    sec = cworld.secretary.user
    with pytest.raises(CouncilError):
        meetings.decline_proposal(proposal, sec, "  ")
    with pytest.raises(NotAllowed):
        meetings.decline_proposal(proposal, cworld.citizen, "No")
    meetings.decline_proposal(proposal, sec, "The akimat already lit the street in May.")
    assert (proposal.state, proposal.decline_reason) == (
        ProposalState.DECLINED,
        "The akimat already lit the street in May.",
    )
    with pytest.raises(Conflict):
        meetings.decline_proposal(proposal, sec, "Again")
    commit()
    run_jobs()
    [message] = outbox.messages()
    assert message["Subject"] == "Your proposal was declined: Street lights"
    assert "The akimat already lit the street in May." in message.get_body(("plain",)).get_content()
    assert len(actions("council.proposal_declined")) == 1


def test_items_stay_in_order_after_removal_of_all(planned, sec):
    a = item(planned, sec, "Only item")
    meetings.remove_item(a, sec)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0
