"""The minutes of a council's meeting: generated as plain text from the agenda, attendance, votes and
decisions, edited by the secretary, approved, then published (followers are mailed).

States: DRAFT → APPROVED → PUBLISHED, one function per transition; all by the council's secretary or chair.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import db, lock_row
from core.errors import Conflict
from core.i18n import localized
from core.mail import external_url, queue_mail
from councils import rules, voting
from councils.errors import CouncilError
from councils.meetings import attendance_of, meeting_day, serving_members
from councils.models import Meeting, MeetingFormat, MeetingState, Minutes, MinutesState, VoteState
from councils.permissions import require_runner
from councils.services import followers
from feedback import services as loop

TEXT_MAX = 200_000


# -- the generated text ----------------------------------------------------------------------------------


def _vote_lines(vote) -> list[str]:
    lines = [_("Vote: %(question)s", question=vote.question)]
    if vote.state != VoteState.CLOSED:
        lines.append("  " + _("The vote was not closed."))
        return lines
    counts = vote.counts or {}
    lines.append("  " + "; ".join(f"{rules.option_label(key)}: {counts.get(key, 0)}" for key in vote.option_keys))
    lines.append(
        "  "
        + _(
            "Quorum: %(present)d of %(members)d present, %(needed)d needed.",
            present=vote.present_with_vote or 0,
            members=vote.members_with_vote or 0,
            needed=vote.quorum_needed or 0,
        )
    )
    if vote.majority_needed is not None:
        lines.append("  " + _("Needed to pass: %(num)d.", num=vote.majority_needed))
    outcome = vote.outcome.label if vote.outcome else ""
    if vote.winning_option:
        outcome = f"{outcome} ({rules.option_label(vote.winning_option)})"
    lines.append("  " + _("Outcome: %(outcome)s", outcome=outcome))
    roll = voting.roll_call(vote)
    if roll is None:
        lines.append("  " + _("Secret ballot: no roll call."))
    elif roll:
        lines.append("  " + _("Roll call:"))
        for ballot in roll:
            mark = " " + _("(by hand)") if ballot.by_hand else ""
            lines.append(f"    - {ballot.member.full_name}: {rules.option_label(ballot.choice)}{mark}")
    return lines


def draft_text(meeting: Meeting) -> str:
    """The minutes as plain text, in the current language."""
    council = meeting.council
    out: list[str] = [
        localized(council, "name"),
        _("Minutes of meeting No. %(number)s", number=meeting.number),
        "",
        _("Date: %(date)s", date=format_datetime(meeting.starts_at, "medium")),
        _("Format: %(format)s", format=meeting.format.label),
    ]
    if meeting.place and meeting.format != MeetingFormat.ONLINE:
        out.append(_("Place: %(place)s", place=meeting.place))
    if meeting.online_url and meeting.format != MeetingFormat.IN_PERSON:
        out.append(_("Online: %(url)s", url=meeting.online_url))

    members = serving_members(meeting)
    attendance = attendance_of(meeting)
    present = [m for m in members if (a := attendance.get(m.id)) is not None and a.present]
    absent = [m for m in members if m not in present]
    left = [(m, attendance[m.id].left_at) for m in present if attendance[m.id].left_at is not None]

    def name(member) -> str:
        extra = [member.position.label] if member.position.value != "member" else []
        if not member.voting_right:
            extra.append(_("no voting right"))
        return f"{member.full_name} ({', '.join(str(e) for e in extra)})" if extra else member.full_name

    out += ["", _("Attendance"), _("Present (%(num)d):", num=len(present))]
    out += [f"  - {name(m)}" for m in present]
    out.append(_("Absent (%(num)d):", num=len(absent)))
    out += [f"  - {name(m)}" for m in absent]
    if left:
        out.append(_("Left during the meeting:"))
        out += [f"  - {m.full_name}: {format_time(at, 'short')}" for m, at in left]
    voters = [m for m in members if m.voting_right]
    present_voters = [m for m in present if m.voting_right]
    needed = rules.quorum_needed(rules.Rules.of(council), len(voters))
    met = rules.has_quorum(rules.Rules.of(council), len(voters), len(present_voters))
    out.append(
        _(
            "Quorum: %(present)d of %(members)d members with voting rights present, %(needed)d needed.",
            present=len(present_voters),
            members=len(voters),
            needed=needed,
        )
        + " "
        + (_("Quorum met.") if met else _("No quorum."))
    )

    out += ["", _("Agenda")]
    for number, item in enumerate(meeting.items, start=1):
        out += ["", f"{number}. {item.title}", "  " + _("Kind: %(kind)s", kind=item.kind.label)]
        if item.rapporteur:
            out.append("  " + _("Rapporteur: %(name)s", name=item.rapporteur))
        for vote in item.votes:
            out += ["  " + line for line in _vote_lines(vote)]
        if item.decision_text:
            out.append("  " + _("Decision:"))
            out += ["    " + line for line in item.decision_text.splitlines()]
        if item.recommendations:
            out.append("  " + _("Recommendations:"))
            for rec in item.recommendations:
                label = _("case #%(id)s", id=rec.case_id) if rec.case_id else ""
                out.append(
                    f"    - {localized(rec.authority)} ({label}):" if label else f"    - {localized(rec.authority)}:"
                )
                out += ["      " + line for line in rec.text.splitlines()]
    return "\n".join(out).strip() + "\n"


# -- the state machine -----------------------------------------------------------------------------------


def _require_runner(actor, meeting: Meeting) -> None:
    require_runner(actor, meeting.council)


def minutes_for(meeting: Meeting, actor) -> Minutes:
    """The meeting's minutes: the draft is generated once the meeting is held."""
    _require_runner(actor, meeting)
    if meeting.minutes is not None:
        return meeting.minutes
    if meeting.state != MeetingState.HELD:
        raise CouncilError(_l("Minutes are drawn up once the meeting is held."))
    minutes = Minutes(meeting_id=meeting.id, text=draft_text(meeting), state=MinutesState.DRAFT)
    minutes.generated_at = loop.current_time()
    db.session.add(minutes)
    db.session.flush()
    db.session.refresh(meeting, ["minutes"])
    audit.record("council.minutes_drafted", minutes, actor, meeting_id=meeting.id)
    return minutes


def _require_state(minutes: Minutes, state: MinutesState) -> None:
    lock_row(minutes)  # two clicks at once pass one at a time
    if minutes.state != state:
        raise Conflict(_l("This step is not possible now (%(state)s).", state=minutes.state.label))


def edit_minutes(minutes: Minutes, actor, text: str) -> Minutes:
    _require_runner(actor, minutes.meeting)
    _require_state(minutes, MinutesState.DRAFT)
    text = loop.clean_text(text, TEXT_MAX)
    if not text:
        raise CouncilError(_l("The minutes cannot be empty."))
    minutes.text = text
    minutes.edited_at = loop.current_time()
    minutes.edited_by_id = actor.id
    db.session.flush()
    audit.record("council.minutes_edited", minutes, actor, length=len(text))
    return minutes


def approve_minutes(minutes: Minutes, actor) -> Minutes:
    _require_runner(actor, minutes.meeting)
    _require_state(minutes, MinutesState.DRAFT)
    minutes.state = MinutesState.APPROVED
    minutes.approved_at = loop.current_time()
    minutes.approved_by_id = actor.id
    db.session.flush()
    audit.record("council.minutes_approved", minutes, actor)
    return minutes


def publish_minutes(minutes: Minutes, actor) -> Minutes:
    """Publish approved minutes and mail every follower, in their language, with a link."""
    _require_runner(actor, minutes.meeting)
    _require_state(minutes, MinutesState.APPROVED)
    minutes.state = MinutesState.PUBLISHED
    minutes.published_at = loop.current_time()
    minutes.published_by_id = actor.id
    db.session.flush()
    meeting = minutes.meeting
    link = external_url("councils.minutes", meeting_id=meeting.id)
    recipients = followers(meeting.council)
    for user in recipients:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            context = {
                "council_name": localized(meeting.council, "name"),
                "number": meeting.number,
                "date": format_date(meeting_day(meeting), "long"),
                "link": link,
            }
        queue_mail(user, "council_minutes_published", **context)
    audit.record("council.minutes_published", minutes, actor, followers=len(recipients))
    return minutes
