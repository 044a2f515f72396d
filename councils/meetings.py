"""Meetings of a council: planning, the agenda and its materials, publishing the agenda within the notice
period, the meeting day (attendance, quorum), and citizens' proposals for the agenda.

Every function re-checks who may act (``permissions.can_run_meetings`` for the secretary's and the chair's
work), checks the meeting's state, records an audit row and flushes; the caller commits. Mail goes out after
the commit through jobs that take primary keys (``notify_agenda_published``, ``notify_proposal_author``).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from hashlib import sha256
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import db, lock_row
from core.errors import Conflict, NotAllowed
from core.i18n import localized
from core.jobs import enqueue_after_commit
from councils import permissions, rules
from councils.errors import CouncilError
from councils.models import (
    AgendaItem,
    Attendance,
    Council,
    CouncilMember,
    ItemKind,
    Material,
    Meeting,
    MeetingFormat,
    MeetingState,
    Proposal,
    ProposalState,
    Vote,
    VoteState,
)
from councils.permissions import require_runner as _require_runner
from councils.services import followers, seats_of
from feedback import services as loop
from feedback.models import CaseEvent, EventKind

TITLE_MAX = 300
DESCRIPTION_MAX = 10_000
RAPPORTEUR_MAX = 200
PLACE_MAX = 300
URL_MAX = 500
REASON_MAX = 2_000
PROPOSAL_BODY_MAX = 10_000
#: A citizen may have at most this many proposals awaiting the secretary, per council.
PENDING_PROPOSALS_MAX = 5
MATERIAL_MAX_BYTES = 10 * 1024 * 1024
FILENAME_MAX = 255

#: States in which the meeting and its agenda can still be changed.
EDITABLE = (MeetingState.PLANNED, MeetingState.ANNOUNCED)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
#: The accepted extensions and the type each must really have.
MATERIAL_TYPES = {".pdf": PDF, ".docx": DOCX, ".odt": ODT}


# -- helpers ---------------------------------------------------------------------------------------------


def _text(value, limit: int, what) -> str:
    text = _clean(value)
    if len(text) > limit:
        raise CouncilError(_l("%(what)s is too long (at most %(limit)s characters).", what=what, limit=limit))
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value) -> str:
    """Plain text as typed: control characters dropped, newlines normalised, ends stripped."""
    return _CONTROL.sub("", str(value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def _line(value, limit: int, what) -> str:
    return " ".join(_text(value, limit, what).split())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def local_zone() -> timezone:
    """Kazakhstan's time (UTC+5), as the loop reckons its dates."""
    return timezone(timedelta(hours=float(current_app.config.get("LOCAL_UTC_OFFSET_HOURS", 5))))


def local_date(moment: datetime) -> date:
    return _aware(moment).astimezone(local_zone()).date()


def meeting_day(meeting: Meeting) -> date:
    """The meeting's date in Kazakhstan."""
    return local_date(meeting.starts_at)


def _state(meeting: Meeting, allowed, message) -> None:
    """Check the meeting's state under its row lock, so that two requests at once (a double click on "Publish",
    "End") cannot both pass."""
    lock_row(meeting)
    if meeting.state not in allowed:
        raise Conflict(message)


# -- planning --------------------------------------------------------------------------------------------


def _check_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    if len(url) > URL_MAX:
        raise CouncilError(_l("The link is too long (at most %(limit)s characters).", limit=URL_MAX))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise CouncilError(_l("Give the online link as a full web address starting with https://."))
    return url


def _check_where(fmt: MeetingFormat, place: str, online_url: str | None) -> None:
    if fmt in (MeetingFormat.ONLINE, MeetingFormat.HYBRID) and not online_url:
        raise CouncilError(_l("An online or hybrid meeting needs the link to join it."))
    if fmt in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID) and not place:
        raise CouncilError(_l("A meeting in person needs a place."))


def _format(value) -> MeetingFormat:
    try:
        return MeetingFormat(value)
    except ValueError:
        raise CouncilError(_l("Choose the meeting's format from the list.")) from None


def _future(starts_at: datetime) -> datetime:
    if not isinstance(starts_at, datetime):
        raise CouncilError(_l("Give the meeting's date and time."))
    starts_at = _aware(starts_at).astimezone(UTC)
    if starts_at <= loop.current_time():
        raise CouncilError(_l("The meeting must start in the future."))
    return starts_at


def plan_meeting(
    council: Council, actor, starts_at: datetime, format, place: str = "", online_url: str | None = None
) -> Meeting:
    """A new meeting (state PLANNED, seen only by the council), numbered next within the council."""
    _require_runner(actor, council)
    starts_at = _future(starts_at)
    fmt = _format(format)
    place = _line(place, PLACE_MAX, _l("The place"))
    url = _check_url(online_url)
    _check_where(fmt, place, url)
    lock_row(council)  # two plans at once get numbers one after the other
    last = db.session.scalar(sa.select(sa.func.max(Meeting.number)).where(Meeting.council_id == council.id))
    meeting = Meeting(
        council_id=council.id,
        number=(last or 0) + 1,
        starts_at=starts_at,
        format=fmt,
        place=place,
        online_url=url,
        state=MeetingState.PLANNED,
        created_by_id=actor.id,
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record("council.meeting_planned", meeting, actor, council_id=council.id, number=meeting.number)
    return meeting


MEETING_FIELDS = ("starts_at", "format", "place", "online_url")


def update_meeting(meeting: Meeting, actor, **fields) -> Meeting:
    """Change the date, format, place or link while the meeting is planned or announced."""
    _require_runner(actor, meeting.council)
    _state(meeting, EDITABLE, _l("A meeting that has started, ended or been cancelled can no longer be changed."))
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise ValueError(f"unknown meeting fields: {sorted(unknown)}")
    starts_at = meeting.starts_at
    if "starts_at" in fields and _aware(fields["starts_at"]) != _aware(meeting.starts_at):
        starts_at = _future(fields["starts_at"])
        if meeting.agenda_published_at is not None and not meeting.late_reason:
            earliest = local_date(meeting.agenda_published_at) + timedelta(days=meeting.council.notice_days)
            if local_date(starts_at) < earliest:
                raise CouncilError(
                    _l(
                        "The agenda was published on %(published)s: with the notice period the meeting can be "
                        "held on %(date)s at the earliest. To meet sooner, cancel it and plan a new meeting.",
                        published=format_date(local_date(meeting.agenda_published_at), "long"),
                        date=format_date(earliest, "long"),
                    )
                )
    fmt = _format(fields.get("format", meeting.format))
    place = _line(fields.get("place", meeting.place), PLACE_MAX, _l("The place"))
    url = _check_url(fields.get("online_url", meeting.online_url))
    _check_where(fmt, place, url)
    changed = {}
    for name, value in (("starts_at", starts_at), ("format", fmt), ("place", place), ("online_url", url)):
        if getattr(meeting, name) != value:
            changed[name] = value
            setattr(meeting, name, value)
    db.session.flush()
    if changed:
        audit.record("council.meeting_updated", meeting, actor, **changed)
        if "starts_at" in changed and meeting.state == MeetingState.ANNOUNCED:
            for item in meeting.items:  # the cases' timelines learn the new date
                _note_case(item, actor)
    return meeting


def cancel_meeting(meeting: Meeting, actor, reason: str) -> Meeting:
    _require_runner(actor, meeting.council)
    _state(meeting, EDITABLE, _l("Only a meeting that has not started can be cancelled."))
    reason = _text(reason, REASON_MAX, _l("The reason"))
    if not reason:
        raise CouncilError(_l("Give the reason for cancelling the meeting."))
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_reason = reason
    for item in meeting.items:  # a citizen's proposal on its agenda waits for another meeting
        _requeue(item)
    db.session.flush()
    audit.record("council.meeting_cancelled", meeting, actor, reason=reason)
    if is_public(meeting):  # the public knew of it: its cases' timelines and the followers learn why it is off
        note = cancelled_note(meeting)
        for item in meeting.items:
            if item.case is not None:
                loop.note_off_agenda(item.case, note, actor)
        enqueue_after_commit(notify_meeting_cancelled, meeting.id)
    return meeting


def cancelled_note(meeting: Meeting) -> str:
    """The note on a case's timeline when the meeting is cancelled, in the platform's default language."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "kk")):
        return _(
            "%(council)s cancelled its meeting No. %(number)s on %(date)s: %(reason)s",
            council=localized(meeting.council),
            number=meeting.number,
            date=format_date(meeting_day(meeting), "long"),
            reason=meeting.cancelled_reason,
        )


def is_public(meeting: Meeting) -> bool:
    """Seen by everyone: the agenda was published (a meeting cancelled before that stays with the council)."""
    return meeting.agenda_published_at is not None


def can_view(user, meeting: Meeting) -> bool:
    return is_public(meeting) or permissions.can_see_unpublished(user, meeting.council)


def upcoming_meetings(council: Council) -> list[Meeting]:
    """Meetings an accepted proposal can go onto: planned or announced, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.council_id == council.id, Meeting.state.in_(EDITABLE))
            .order_by(Meeting.starts_at)
        )
    )


# -- the agenda ------------------------------------------------------------------------------------------


def agenda_note(meeting: Meeting) -> str:
    """The note on a case's timeline: which council, which meeting, when — in the platform's default language
    (it is stored data, read by everyone)."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "kk")):
        return _(
            "On the agenda of %(council)s, meeting No. %(number)s on %(date)s.",
            council=localized(meeting.council),
            number=meeting.number,
            date=format_date(meeting_day(meeting), "long"),
        )


def _note_case(item: AgendaItem, actor) -> None:
    """Note the meeting on the case's timeline, once per meeting and date (the timeline is append-only, so
    taking an item off the agenda and putting it back must not repeat the note)."""
    if item.case is None:
        return
    note = agenda_note(item.meeting)
    noted = db.session.scalar(
        sa.select(CaseEvent.id).where(
            CaseEvent.case_id == item.case.id, CaseEvent.kind == EventKind.ON_AGENDA, CaseEvent.note == note
        )
    )
    if noted is None:
        loop.note_on_agenda(item.case, note, actor)


def _kind(value) -> ItemKind:
    try:
        return ItemKind(value)
    except ValueError:
        raise CouncilError(_l("Choose the item's kind from the list.")) from None


def _check_case(meeting: Meeting, kind: ItemKind, case, item: AgendaItem | None = None) -> None:
    if kind == ItemKind.CASE:
        if case is None:
            raise CouncilError(_l("An item of this kind needs the number of an existing case."))
        taken = [i for i in meeting.items if i.case_id == case.id and i is not item]
        if taken:
            raise CouncilError(_l("This case is already on the meeting's agenda."))
    elif case is not None:
        raise CouncilError(_l("Only an item of the kind “citizens' case” takes a case."))


def _renumber(meeting: Meeting) -> None:
    ordered = sorted(meeting.items, key=lambda i: (i.position, i.id or 0))
    for n, item in enumerate(ordered, start=1):
        item.position = n
    meeting.items.sort(key=lambda i: i.position)  # the loaded list in the new order, as a reload would give


def add_item(
    meeting: Meeting,
    actor,
    kind,
    title: str,
    description: str = "",
    rapporteur: str = "",
    case=None,
    proposal: Proposal | None = None,
    secret_ballot: bool = False,
) -> AgendaItem:
    """A new last item. Once the agenda is published, an item's case is noted on its timeline at once."""
    _require_runner(actor, meeting.council)
    _state(meeting, EDITABLE, _l("The agenda can only be changed before the meeting starts."))
    kind = _kind(kind)
    title = _line(title, TITLE_MAX, _l("The title"))
    if not title:
        raise CouncilError(_l("Give the item a title."))
    description = _text(description, DESCRIPTION_MAX, _l("The description"))
    rapporteur = _line(rapporteur, RAPPORTEUR_MAX, _l("The rapporteur's name"))
    _check_case(meeting, kind, case)
    item = AgendaItem(
        meeting=meeting,
        position=len(meeting.items) + 1,
        kind=kind,
        title=title,
        description=description,
        rapporteur=rapporteur,
        case_id=case.id if case is not None else None,
        case=case,
        proposal_id=proposal.id if proposal is not None else None,
        secret_ballot=bool(secret_ballot),
    )
    db.session.add(item)
    db.session.flush()
    _renumber(meeting)
    if meeting.state == MeetingState.ANNOUNCED:
        _note_case(item, actor)
    audit.record(
        "council.item_added",
        item,
        actor,
        meeting_id=meeting.id,
        kind=kind.value,
        case_id=item.case_id,
        proposal_id=item.proposal_id,
    )
    return item


ITEM_FIELDS = ("kind", "title", "description", "rapporteur", "case", "secret_ballot")


def update_item(item: AgendaItem, actor, **fields) -> AgendaItem:
    meeting = item.meeting
    _require_runner(actor, meeting.council)
    _state(meeting, EDITABLE, _l("The agenda can only be changed before the meeting starts."))
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"unknown item fields: {sorted(unknown)}")
    kind = _kind(fields.get("kind", item.kind))
    title = _line(fields.get("title", item.title), TITLE_MAX, _l("The title"))
    if not title:
        raise CouncilError(_l("Give the item a title."))
    description = _text(fields.get("description", item.description), DESCRIPTION_MAX, _l("The description"))
    rapporteur = _line(fields.get("rapporteur", item.rapporteur), RAPPORTEUR_MAX, _l("The rapporteur's name"))
    case = fields.get("case", item.case)
    if kind != ItemKind.CASE and "case" not in fields:
        case = None  # changing the kind away from a case lets the case go
    _check_case(meeting, kind, case, item)
    secret = bool(fields.get("secret_ballot", item.secret_ballot))
    new_case = case is not None and case.id != item.case_id
    changed = {}
    for name, value in (
        ("kind", kind),
        ("title", title),
        ("description", description),
        ("rapporteur", rapporteur),
        ("secret_ballot", secret),
    ):
        if getattr(item, name) != value:
            changed[name] = value
            setattr(item, name, value)
    case_id = case.id if case is not None else None
    if item.case_id != case_id:
        changed["case_id"] = case_id
        item.case = case
        item.case_id = case_id
    db.session.flush()
    if new_case and meeting.state == MeetingState.ANNOUNCED:
        _note_case(item, actor)
    if changed:
        audit.record("council.item_updated", item, actor, **changed)
    return item


def move_item(item: AgendaItem, actor, direction: str) -> AgendaItem:
    """Swap the item with its neighbour above (``up``) or below (``down``); positions stay 1..n."""
    meeting = item.meeting
    _require_runner(actor, meeting.council)
    _state(meeting, EDITABLE, _l("The agenda can only be changed before the meeting starts."))
    if direction not in ("up", "down"):
        raise CouncilError(_l("Move the item up or down."))
    _renumber(meeting)
    ordered = sorted(meeting.items, key=lambda i: i.position)
    index = ordered.index(item)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ordered):
        raise CouncilError(_l("The item is already first.") if direction == "up" else _l("The item is already last."))
    neighbour = ordered[other]
    item.position, neighbour.position = neighbour.position, item.position
    meeting.items.sort(key=lambda i: i.position)
    db.session.flush()
    audit.record("council.item_moved", item, actor, direction=direction, position=item.position)
    return item


def _requeue(item: AgendaItem) -> None:
    if item.proposal is not None and item.proposal.state == ProposalState.ACCEPTED:
        item.proposal.state = ProposalState.PENDING
        item.proposal.meeting_id = None
        item.proposal.decided_at = None
        item.proposal.decided_by_id = None


def remove_item(item: AgendaItem, actor) -> None:
    """Take the item off the agenda (before the meeting starts). A citizen's proposal behind it waits again."""
    meeting = item.meeting
    _require_runner(actor, meeting.council)
    _state(meeting, EDITABLE, _l("The agenda can only be changed before the meeting starts."))
    _requeue(item)
    audit.record("council.item_removed", item, actor, meeting_id=meeting.id, title=item.title, case_id=item.case_id)
    meeting.items.remove(item)  # delete-orphan: the item and its materials go
    db.session.flush()
    _renumber(meeting)
    db.session.flush()


# -- materials -------------------------------------------------------------------------------------------


def material_max_bytes() -> int:
    return int(current_app.config.get("COUNCILS_MATERIAL_MAX_BYTES", MATERIAL_MAX_BYTES))


def sniff(data: bytes) -> str | None:
    """The real type of a file, by its content: PDF, DOCX or ODT; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return DOCX
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size < 200
                and archive.read("mimetype").strip() == ODT.encode()
            ):
                return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return None
    return None


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def clean_filename(filename: str) -> str:
    """A safe name to offer on download: no path, no control or reserved characters, at most 255 characters,
    the extension kept (letters of every script stay)."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).rstrip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext.lower()
    stem = stem.strip(" ._") or "material"
    room = FILENAME_MAX - len(ext) - 1
    return f"{stem[:room]}.{ext}" if ext else stem[:FILENAME_MAX]


def add_material(item: AgendaItem, actor, filename: str, data: bytes) -> Material:
    """Attach a PDF, DOCX or ODT file: its extension and its content must agree, and it must fit the size
    limit (``COUNCILS_MATERIAL_MAX_BYTES``)."""
    meeting = item.meeting
    _require_runner(actor, meeting.council)
    _state(
        meeting,
        (*EDITABLE, MeetingState.IN_PROGRESS, MeetingState.HELD),
        _l("A cancelled meeting takes no materials."),
    )
    data = bytes(data or b"")
    name = clean_filename(filename)
    if not data:
        raise CouncilError(_l("The file is empty."))
    limit = material_max_bytes()
    if len(data) > limit:
        raise CouncilError(
            _l("The file is too large: at most %(size)s MB.", size=f"{limit / (1024 * 1024):g}"),
        )
    ext = "." + name.rpartition(".")[2] if "." in name else ""
    expected = MATERIAL_TYPES.get(ext)
    if expected is None:
        raise CouncilError(_l("Attach a PDF, DOCX or ODT file."))
    if sniff(data) != expected:
        raise CouncilError(_l("The file's content is not the %(type)s its name says.", type=ext[1:].upper()))
    material = Material(
        item_id=item.id,
        filename=name,
        content_type=expected,
        size=len(data),
        sha256=sha256(data).hexdigest(),
        content=data,
        uploaded_by_id=actor.id,
        uploaded_at=loop.current_time(),
    )
    item.materials.append(material)
    db.session.flush()
    audit.record(
        "council.material_added",
        material,
        actor,
        item_id=item.id,
        filename=name,
        size=material.size,
        sha256=material.sha256,
    )
    return material


def remove_material(material: Material, actor) -> None:
    item = material.item
    _require_runner(actor, item.meeting.council)
    _state(item.meeting, (*EDITABLE, MeetingState.IN_PROGRESS), _l("The materials can no longer be changed."))
    audit.record(
        "council.material_removed", material, actor, item_id=item.id, filename=material.filename, sha256=material.sha256
    )
    item.materials.remove(material)  # delete-orphan
    db.session.flush()


# -- publishing the agenda -------------------------------------------------------------------------------


def notice_deadline(meeting: Meeting) -> date:
    """The last day the agenda can be published on time: the meeting's date less the council's notice days."""
    return meeting_day(meeting) - timedelta(days=meeting.council.notice_days)


def is_late(meeting: Meeting, on: date | None = None) -> bool:
    """Publishing on ``on`` (today) would be later than the notice period allows."""
    return (on or loop.today()) > notice_deadline(meeting)


def publish_agenda(meeting: Meeting, actor, late_reason: str | None = None) -> Meeting:
    """Publish the agenda: the meeting is announced and public, each item's case notes it on its timeline,
    the council's followers are mailed. Later than the notice period allows, a reason is required and shown."""
    _require_runner(actor, meeting.council)
    _state(meeting, (MeetingState.PLANNED,), _l("The agenda of this meeting is already published or closed."))
    if not meeting.items:
        raise CouncilError(_l("Put at least one item on the agenda before publishing it."))
    if _aware(meeting.starts_at) <= loop.current_time():
        raise CouncilError(_l("The meeting's time has passed: change the date before publishing the agenda."))
    reason = None
    if is_late(meeting):
        reason = _text(late_reason, REASON_MAX, _l("The reason"))
        if not reason:
            raise CouncilError(
                _l(
                    "The notice period ended on %(date)s: give the reason for publishing the agenda late.",
                    date=format_date(notice_deadline(meeting), "long"),
                )
            )
    meeting.state = MeetingState.ANNOUNCED
    meeting.agenda_published_at = loop.current_time()
    meeting.late_reason = reason
    db.session.flush()
    for item in meeting.items:
        _note_case(item, actor)
    audit.record(
        "council.agenda_published",
        meeting,
        actor,
        items=len(meeting.items),
        late=reason is not None,
        late_reason=reason,
        deadline=notice_deadline(meeting).isoformat(),
    )
    enqueue_after_commit(notify_agenda_published, meeting.id)
    return meeting


# -- the meeting day -------------------------------------------------------------------------------------


def start_meeting(meeting: Meeting, actor) -> Meeting:
    _require_runner(actor, meeting.council)
    _state(meeting, (MeetingState.ANNOUNCED,), _l("Only a meeting whose agenda is published can be started."))
    if loop.today() < meeting_day(meeting):
        raise CouncilError(
            _l("The meeting can be started on its day, %(date)s.", date=format_date(meeting_day(meeting), "long"))
        )
    meeting.state = MeetingState.IN_PROGRESS
    meeting.started_at = loop.current_time()
    db.session.flush()
    audit.record("council.meeting_started", meeting, actor)
    return meeting


def serving_members(meeting: Meeting) -> list[CouncilMember]:
    """The council's members serving on the meeting's day, in the order they were seated."""
    day = meeting_day(meeting)
    return [m for m in sorted(seats_of(meeting.council), key=lambda m: m.id) if m.serves_on(day)]


def _attendance(meeting: Meeting, member: CouncilMember) -> Attendance | None:
    return next((a for a in meeting.attendance if a.member_id == member.id), None)


def attendance_of(meeting: Meeting) -> dict[int, Attendance]:
    """Member id → their attendance row (from the database: rows added by id are there too)."""
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting.id))
    return {row.member_id: row for row in rows}


def _check_member(meeting: Meeting, member: CouncilMember) -> None:
    if member is None or member.council_id != meeting.council_id or not member.serves_on(meeting_day(meeting)):
        raise CouncilError(_l("This person does not serve on the council on the meeting's day."))


def set_attendance(meeting: Meeting, actor, member: CouncilMember, present: bool) -> Attendance:
    """Mark a member present (again: clears ``left_at``) or absent, while the meeting is in progress."""
    _require_runner(actor, meeting.council)
    _state(meeting, (MeetingState.IN_PROGRESS,), _l("Attendance is recorded while the meeting is in progress."))
    _check_member(meeting, member)
    row = _attendance(meeting, member)
    now = loop.current_time()
    if row is None:
        row = Attendance(meeting_id=meeting.id, member_id=member.id, member=member)
        meeting.attendance.append(row)
    row.present = bool(present)
    row.left_at = None
    if present:
        row.arrived_at = row.arrived_at or now
    else:
        row.arrived_at = None
    row.recorded_by_id = actor.id
    row.updated_at = now
    db.session.flush()
    audit.record(
        "council.attendance_set", ("council_attendance", f"{meeting.id},{member.id}"), actor, present=bool(present)
    )
    return row


def mark_left(meeting: Meeting, actor, member: CouncilMember) -> Attendance:
    """A present member left before the end: no longer counted as present, cannot vote."""
    _require_runner(actor, meeting.council)
    _state(meeting, (MeetingState.IN_PROGRESS,), _l("Attendance is recorded while the meeting is in progress."))
    _check_member(meeting, member)
    row = _attendance(meeting, member)
    if row is None or not row.is_present:
        raise CouncilError(_l("Only a member marked present can leave."))
    now = loop.current_time()
    row.left_at = now
    row.recorded_by_id = actor.id
    row.updated_at = now
    db.session.flush()
    audit.record("council.attendance_left", ("council_attendance", f"{meeting.id},{member.id}"), actor)
    return row


def end_meeting(meeting: Meeting, actor) -> Meeting:
    _require_runner(actor, meeting.council)
    _state(meeting, (MeetingState.IN_PROGRESS,), _l("Only a meeting in progress can be ended."))
    open_votes = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Vote)
        .join(AgendaItem, AgendaItem.id == Vote.item_id)
        .where(AgendaItem.meeting_id == meeting.id, Vote.state == VoteState.OPEN)
    )
    if open_votes:
        raise Conflict(_l("Close the open vote before ending the meeting."))
    meeting.state = MeetingState.HELD
    meeting.ended_at = loop.current_time()
    db.session.flush()
    audit.record("council.meeting_ended", meeting, actor)
    return meeting


def present_members(meeting: Meeting) -> list[CouncilMember]:
    """Members serving on the meeting's day who are present now (marked present and not left), in seating order."""
    attendance = attendance_of(meeting)
    return [m for m in serving_members(meeting) if (a := attendance.get(m.id)) is not None and a.is_present]


def present_voters(meeting: Meeting) -> list[CouncilMember]:
    """Of them, the members with voting rights: who may vote now."""
    return [m for m in present_members(meeting) if m.voting_right]


@dataclass(frozen=True)
class QuorumStatus:
    present_with_vote: int
    members_with_vote: int
    needed: int
    met: bool


def quorum_status(meeting: Meeting) -> QuorumStatus:
    """Quorum now, under the council's rules: members with voting rights serving on the meeting's day, and how
    many of them are present."""
    voting = [m for m in serving_members(meeting) if m.voting_right]
    here = len(present_voters(meeting))
    council_rules = rules.Rules.of(meeting.council)
    return QuorumStatus(
        present_with_vote=here,
        members_with_vote=len(voting),
        needed=rules.quorum_needed(council_rules, len(voting)),
        met=rules.has_quorum(council_rules, len(voting), here),
    )


# -- citizens' proposals ---------------------------------------------------------------------------------


def pending_count(council: Council, user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Proposal)
        .where(
            Proposal.council_id == council.id,
            Proposal.author_id == user.id,
            Proposal.state == ProposalState.PENDING,
        )
    )


def propose_item(council: Council, user, title: str, body: str) -> Proposal:
    """A citizen proposes an agenda item (signed in, email confirmed; a few pending at a time)."""
    if not permissions.can_propose_item(user):
        raise NotAllowed(_l("Sign in and confirm your email address to propose an agenda item."))
    title = _line(title, TITLE_MAX, _l("The title"))
    body = _text(body, PROPOSAL_BODY_MAX, _l("The text"))
    if not title:
        raise CouncilError(_l("Give your proposal a title."))
    if not body:
        raise CouncilError(_l("Explain what the council should discuss and why."))
    if pending_count(council, user) >= PENDING_PROPOSALS_MAX:
        raise CouncilError(
            _l(
                "You already have %(num)s proposals awaiting this council's secretary. Wait until they are decided.",
                num=PENDING_PROPOSALS_MAX,
            )
        )
    proposal = Proposal(
        council_id=council.id,
        author_id=user.id,
        title=title,
        body=body,
        state=ProposalState.PENDING,
        created_at=loop.current_time(),
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record("council.proposal_made", proposal, user, council_id=council.id)
    return proposal


def accept_proposal(proposal: Proposal, actor, meeting: Meeting) -> AgendaItem:
    """Put the proposal onto a planned or announced meeting of the same council, as an item of kind OTHER."""
    _require_runner(actor, proposal.council)
    if proposal.state != ProposalState.PENDING:
        raise Conflict(_l("This proposal is already decided."))
    if meeting is None or meeting.council_id != proposal.council_id:
        raise CouncilError(_l("Choose a meeting of this council."))
    if meeting.state not in EDITABLE:
        raise CouncilError(_l("Choose a meeting that is planned or whose agenda is published, not held."))
    item = add_item(meeting, actor, ItemKind.OTHER, proposal.title, proposal.body, proposal=proposal)
    proposal.state = ProposalState.ACCEPTED
    proposal.meeting_id = meeting.id
    proposal.decided_at = loop.current_time()
    proposal.decided_by_id = actor.id
    db.session.flush()
    audit.record("council.proposal_accepted", proposal, actor, meeting_id=meeting.id, item_id=item.id)
    if proposal.author_id is not None:
        enqueue_after_commit(notify_proposal_author, proposal.id, "council_proposal_accepted")
    return item


def decline_proposal(proposal: Proposal, actor, reason: str) -> Proposal:
    _require_runner(actor, proposal.council)
    if proposal.state != ProposalState.PENDING:
        raise Conflict(_l("This proposal is already decided."))
    reason = _text(reason, REASON_MAX, _l("The reason"))
    if not reason:
        raise CouncilError(_l("Give the reason for declining: it is shown publicly."))
    proposal.state = ProposalState.DECLINED
    proposal.decline_reason = reason
    proposal.decided_at = loop.current_time()
    proposal.decided_by_id = actor.id
    db.session.flush()
    audit.record("council.proposal_declined", proposal, actor, reason=reason)
    if proposal.author_id is not None:
        enqueue_after_commit(notify_proposal_author, proposal.id, "council_proposal_declined")
    return proposal


def proposals_of(council: Council) -> list[Proposal]:
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(Proposal.council_id == council.id)
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )


# -- mail jobs (primary keys in, rows reloaded, vanished rows tolerated) ---------------------------------


def notify_agenda_published(meeting_id: int) -> int:
    """Fan out the published agenda: one mail job per follower of the council (so a failure or a retry
    touches one reader, never re-sends to the others)."""
    from core.jobs import dispatch

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.agenda_published_at is None:
        return 0
    user_ids = [user.id for user in followers(meeting.council)]
    for user_id in user_ids:
        dispatch(send_meeting_mail, meeting_id, user_id, "council_agenda_published")
    return len(user_ids)


def notify_meeting_cancelled(meeting_id: int) -> int:
    """Fan out the cancellation of a meeting whose agenda was public, one mail job per follower."""
    from core.jobs import dispatch

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.state != MeetingState.CANCELLED:
        return 0
    user_ids = [user.id for user in followers(meeting.council)]
    for user_id in user_ids:
        dispatch(send_meeting_mail, meeting_id, user_id, "council_meeting_cancelled")
    return len(user_ids)


def send_meeting_mail(meeting_id: int, user_id: int, template: str) -> None:
    """A meeting's mail (its published agenda, its cancellation) to one follower in their own language."""
    from core.accounts.models import User
    from core.mail import build_message, deliver, external_url

    meeting = db.session.get(Meeting, meeting_id)
    user = db.session.get(User, user_id)
    if meeting is None or user is None or not user.active:
        return
    context = {
        "meeting": meeting,
        "council": meeting.council,
        "items": list(meeting.items),
        "link": external_url("councils.meeting", meeting_id=meeting.id),
    }
    deliver(build_message(user, template, context))


def notify_proposal_author(proposal_id: int, template: str) -> None:
    from core.accounts.models import User
    from core.mail import build_message, deliver, external_url

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.author_id is None:
        return
    author = db.session.get(User, proposal.author_id)
    if author is None or not author.active:
        return
    context = {
        "proposal": proposal,
        "council": proposal.council,
        "meeting": proposal.meeting,
        "link": external_url("councils.proposals", council_id=proposal.council_id),
        # A meeting whose agenda is not published yet is not public: its page would answer 404.
        "meeting_link": external_url("councils.meeting", meeting_id=proposal.meeting_id)
        if proposal.meeting is not None and is_public(proposal.meeting)
        else external_url("councils.proposals", council_id=proposal.council_id),
    }
    deliver(build_message(author, template, context))
