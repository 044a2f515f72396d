"""Meeting pages: planning a meeting, the public meeting page with its agenda and the secretary's controls,
agenda items and their materials, publishing the agenda, the meeting day (attendance), and citizens' proposals.

Each view follows the house order: load → authorize → validate the form → call one service → commit →
redirect. When the form or the service says no, the page is shown again with the message and what the user
typed, with a 4xx status and nothing saved.
"""

from __future__ import annotations

import io
from datetime import UTC

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required

from core.db import commit, db
from core.errors import AppError
from core.web import service_error
from councils import meeting_forms as forms
from councils import meetings as services
from councils import permissions
from councils.models import (
    AgendaItem,
    Council,
    CouncilMember,
    ItemKind,
    Material,
    Meeting,
    MeetingState,
    MinutesState,
    Proposal,
    VoteState,
)
from councils.views import bp
from feedback import services as loop


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""


# --- helpers --------------------------------------------------------------------------------------------


def _runner(council: Council) -> None:
    """The secretary's and the chair's work: others get 403 (the login_required decorator sent strangers to
    sign in already)."""
    if not permissions.can_run_meetings(current_user, council):
        abort(403)


def _visible_meeting(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not services.can_view(current_user, meeting):
        abort(404)
    return meeting


def _latest_outcome(item: AgendaItem):
    closed = [v for v in item.votes if v.state == VoteState.CLOSED and v.outcome is not None]
    return closed[-1].outcome if closed else None


def _local_input(value):
    """A stored UTC time as the naive Almaty time a ``datetime-local`` input shows."""
    return to_user_timezone(value.replace(tzinfo=value.tzinfo or UTC)).replace(tzinfo=None, second=0, microsecond=0)


def _from_input(value):
    """A ``datetime-local`` value (Almaty time) as an aware UTC time."""
    return to_utc(value).replace(tzinfo=UTC)


def _back(meeting: Meeting, anchor: str = ""):
    return redirect(url_for("councils.meeting", meeting_id=meeting.id) + anchor)


# --- the meeting page -----------------------------------------------------------------------------------


def _meeting_page(meeting: Meeting, status: int = 200, **bound):
    council = meeting.council
    runner = permissions.can_run_meetings(current_user, council)
    started = meeting.state in (MeetingState.IN_PROGRESS, MeetingState.HELD)
    minutes = meeting.minutes
    show_minutes = minutes is not None and (minutes.state == MinutesState.PUBLISHED or runner)
    attendance = services.attendance_of(meeting)
    serving = services.serving_members(meeting) if started else []
    editable = meeting.state in services.EDITABLE
    return (
        render_template(
            "councils/meeting.html",
            meeting=meeting,
            council=council,
            runner=runner,
            editable=editable,
            started=started,
            deadline=services.notice_deadline(meeting),
            late_now=meeting.state == MeetingState.PLANNED and services.is_late(meeting),
            meeting_day=services.meeting_day(meeting),
            today=loop.today(),
            outcome=_latest_outcome,
            present=services.present_members(meeting) if started else [],
            gone=[m for m in serving if (a := attendance.get(m.id)) is not None and a.present and a.left_at],
            quorum=services.quorum_status(meeting) if started else None,
            show_minutes=show_minutes,
            publish_form=bound.get("publish_form") or forms.PublishForm(formdata=None),
            cancel_form=bound.get("cancel_form") or forms.CancelForm(formdata=None),
            page_errors=bound.get("page_errors") or [],
            material_errors=bound.get("material_errors") or {},
        ),
        status,
    )


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int):
    return _meeting_page(_visible_meeting(meeting_id))


def _page_error(meeting: Meeting, exc: AppError, **bound):
    db.session.rollback()
    return _meeting_page(meeting, exc.status_code, page_errors=[str(exc.message)], **bound)


# --- planning -------------------------------------------------------------------------------------------


def _meeting_form_page(form, council: Council, meeting: Meeting | None, status: int = 200):
    return (
        render_template("councils/meeting_form.html", form=form, council=council, meeting=meeting),
        status,
    )


@bp.route("/<int:council_id>/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting(council_id: int):
    council = db.get_or_404(Council, council_id)
    _runner(council)
    form = forms.MeetingForm() if request.method == "POST" else forms.MeetingForm(formdata=None)
    if request.method == "GET":
        return _meeting_form_page(form, council, None)
    if not form.validate_on_submit():
        return _meeting_form_page(form, council, None, 400)
    try:
        created = services.plan_meeting(
            council,
            current_user,
            _from_input(form.starts_at.data),
            form.format.data,
            place=form.place.data or "",
            online_url=form.online_url.data or None,
        )
    except AppError as exc:
        return _meeting_form_page(form, council, None, service_error(form, exc))
    commit()
    flash(
        _("Meeting No. %(number)s is planned. Add the agenda items, then publish the agenda.", number=created.number),
        "success",
    )
    return _back(created)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id: int):
    item = db.get_or_404(Meeting, meeting_id)
    _runner(item.council)
    if request.method == "GET":
        form = forms.MeetingForm(
            formdata=None,
            starts_at=_local_input(item.starts_at),
            format=item.format.value,
            place=item.place,
            online_url=item.online_url or "",
        )
        return _meeting_form_page(form, item.council, item)
    form = forms.MeetingForm()
    if not form.validate_on_submit():
        return _meeting_form_page(form, item.council, item, 400)
    try:
        services.update_meeting(
            item,
            current_user,
            starts_at=_from_input(form.starts_at.data),
            format=form.format.data,
            place=form.place.data or "",
            online_url=form.online_url.data or None,
        )
    except AppError as exc:
        return _meeting_form_page(form, item.council, item, service_error(form, exc))
    commit()
    flash(_("The meeting is updated."), "success")
    return _back(item)


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel_meeting(meeting_id: int):
    item = db.get_or_404(Meeting, meeting_id)
    _runner(item.council)
    form = forms.CancelForm()
    if not form.validate_on_submit():
        return _meeting_page(item, 400, cancel_form=form)
    try:
        services.cancel_meeting(item, current_user, form.reason.data)
    except AppError as exc:
        return _meeting_page(item, service_error(form, exc), cancel_form=form)
    commit()
    flash(_("The meeting is cancelled."), "success")
    return _back(item)


# --- agenda items ---------------------------------------------------------------------------------------


def _item_form_page(form, meeting: Meeting, item: AgendaItem | None, status: int = 200):
    return (
        render_template("councils/agenda_item_form.html", form=form, meeting=meeting, item=item),
        status,
    )


def _case_of(form):
    """The case the form names, for an item of kind CASE; sets the field's error when there is none."""
    if form.kind.data != ItemKind.CASE.value:
        return None, True
    if form.case_number.data is None:
        form.case_number.errors = [*form.case_number.errors, _("Give the number of the case.")]
        return None, False
    case = loop.get_case(form.case_number.data)
    if case is None:
        form.case_number.errors = [*form.case_number.errors, _("There is no case with this number.")]
        return None, False
    return case, True


@bp.route("/meetings/<int:meeting_id>/items/new", methods=["GET", "POST"])
@login_required
def add_item(meeting_id: int):
    meeting_ = db.get_or_404(Meeting, meeting_id)
    _runner(meeting_.council)
    if request.method == "GET":
        asked = request.args.get("case", type=int)
        form = forms.ItemForm(
            formdata=None, kind=ItemKind.CASE.value if asked else ItemKind.OTHER.value, case_number=asked
        )
        return _item_form_page(form, meeting_, None)
    form = forms.ItemForm()
    valid = form.validate_on_submit()
    case, found = _case_of(form)
    if not (valid and found):
        return _item_form_page(form, meeting_, None, 400)
    try:
        services.add_item(
            meeting_,
            current_user,
            form.kind.data,
            form.title.data,
            description=form.description.data or "",
            rapporteur=form.rapporteur.data or "",
            case=case,
            secret_ballot=form.secret_ballot.data,
        )
    except AppError as exc:
        return _item_form_page(form, meeting_, None, service_error(form, exc))
    commit()
    flash(_("The item is on the agenda."), "success")
    return _back(meeting_, "#agenda")


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    _runner(item.meeting.council)
    if request.method == "GET":
        form = forms.ItemForm(
            formdata=None,
            kind=item.kind.value,
            title=item.title,
            description=item.description,
            rapporteur=item.rapporteur,
            case_number=item.case_id,
            secret_ballot=item.secret_ballot,
        )
        return _item_form_page(form, item.meeting, item)
    form = forms.ItemForm()
    valid = form.validate_on_submit()
    case, found = _case_of(form)
    if not (valid and found):
        return _item_form_page(form, item.meeting, item, 400)
    try:
        services.update_item(
            item,
            current_user,
            kind=form.kind.data,
            title=form.title.data,
            description=form.description.data or "",
            rapporteur=form.rapporteur.data or "",
            case=case,
            secret_ballot=form.secret_ballot.data,
        )
    except AppError as exc:
        return _item_form_page(form, item.meeting, item, service_error(form, exc))
    commit()
    flash(_("The item is updated."), "success")
    return _back(item.meeting, f"#item-{item.id}")


@bp.post("/items/<int:item_id>/move")
@login_required
def move_item(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    meeting_ = item.meeting
    _runner(meeting_.council)
    try:
        services.move_item(item, current_user, request.form.get("direction", ""))
    except AppError as exc:
        return _page_error(meeting_, exc)
    commit()
    return _back(meeting_, f"#item-{item.id}")


@bp.post("/items/<int:item_id>/remove")
@login_required
def remove_item(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    meeting_ = item.meeting
    _runner(meeting_.council)
    try:
        services.remove_item(item, current_user)
    except AppError as exc:
        return _page_error(meeting_, exc)
    commit()
    flash(_("The item is removed from the agenda."), "success")
    return _back(meeting_, "#agenda")


# --- materials ------------------------------------------------------------------------------------------


@bp.post("/items/<int:item_id>/materials")
@login_required
def add_material(item_id: int):
    item = db.get_or_404(AgendaItem, item_id)
    meeting_ = item.meeting
    _runner(meeting_.council)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _meeting_page(meeting_, 400, material_errors={item.id: _("Choose a file to upload.")})
    limit = services.material_max_bytes()
    data = upload.stream.read(limit + 1)
    try:
        services.add_material(item, current_user, upload.filename, data)
    except AppError as exc:
        db.session.rollback()
        return _meeting_page(meeting_, exc.status_code, material_errors={item.id: str(exc.message)})
    commit()
    flash(_("The file is attached."), "success")
    return _back(meeting_, f"#item-{item.id}")


@bp.get("/materials/<int:material_id>")
def material(material_id: int):
    found = db.get_or_404(Material, material_id)
    if not services.can_view(current_user, found.item.meeting):
        abort(404)
    response = send_file(
        io.BytesIO(found.content),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
        etag=found.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/materials/<int:material_id>/remove")
@login_required
def remove_material(material_id: int):
    found = db.get_or_404(Material, material_id)
    meeting_ = found.item.meeting
    _runner(meeting_.council)
    item_id = found.item_id
    try:
        services.remove_material(found, current_user)
    except AppError as exc:
        return _page_error(meeting_, exc)
    commit()
    flash(_("The file is removed."), "success")
    return _back(meeting_, f"#item-{item_id}")


# --- publishing and the meeting day ---------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/publish")
@login_required
def publish_agenda(meeting_id: int):
    meeting_ = db.get_or_404(Meeting, meeting_id)
    _runner(meeting_.council)
    form = forms.PublishForm()
    if not form.validate_on_submit():
        return _meeting_page(meeting_, 400, publish_form=form)
    try:
        services.publish_agenda(meeting_, current_user, late_reason=form.late_reason.data or None)
    except AppError as exc:
        return _meeting_page(meeting_, service_error(form, exc), publish_form=form)
    commit()
    flash(_("The agenda is published. The council's followers are notified."), "success")
    return _back(meeting_)


@bp.post("/meetings/<int:meeting_id>/start")
@login_required
def start_meeting(meeting_id: int):
    meeting_ = db.get_or_404(Meeting, meeting_id)
    _runner(meeting_.council)
    try:
        services.start_meeting(meeting_, current_user)
    except AppError as exc:
        return _page_error(meeting_, exc)
    commit()
    flash(_("The meeting has started. Record who is present."), "success")
    return redirect(url_for("councils.attendance", meeting_id=meeting_.id))


@bp.post("/meetings/<int:meeting_id>/end")
@login_required
def end_meeting(meeting_id: int):
    meeting_ = db.get_or_404(Meeting, meeting_id)
    _runner(meeting_.council)
    try:
        services.end_meeting(meeting_, current_user)
    except AppError as exc:
        return _page_error(meeting_, exc)
    commit()
    flash(_("The meeting has ended."), "success")
    return _back(meeting_)


ATTENDANCE_CHOICES = ("present", "absent", "left")


def _attendance_page(meeting: Meeting, status: int = 200, errors: list | None = None):
    return (
        render_template(
            "councils/attendance.html",
            meeting=meeting,
            council=meeting.council,
            serving=services.serving_members(meeting),
            attendance=services.attendance_of(meeting),
            quorum=services.quorum_status(meeting),
            page_errors=errors or [],
            choices=ATTENDANCE_CHOICES,
        ),
        status,
    )


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(meeting_id: int):
    meeting_ = db.get_or_404(Meeting, meeting_id)
    _runner(meeting_.council)
    if request.method == "GET":
        return _attendance_page(meeting_)
    member_id = request.form.get("member_id", type=int)
    status = request.form.get("status", "")
    member = db.session.get(CouncilMember, member_id) if member_id and 0 < member_id < 2**31 else None
    if member is None or member.council_id != meeting_.council_id or status not in ATTENDANCE_CHOICES:
        return _attendance_page(meeting_, 400, [_("Choose a member and whether they are present, absent or left.")])
    try:
        if status == "left":
            services.mark_left(meeting_, current_user, member)
        else:
            services.set_attendance(meeting_, current_user, member, status == "present")
    except AppError as exc:
        db.session.rollback()
        return _attendance_page(meeting_, exc.status_code, [str(exc.message)])
    commit()
    labels = {
        "present": _("%(name)s: present.", name=member.full_name),
        "absent": _("%(name)s: absent.", name=member.full_name),
        "left": _("%(name)s: left the meeting.", name=member.full_name),
    }
    flash(labels[status], "success")
    return redirect(url_for("councils.attendance", meeting_id=meeting_.id) + f"#member-{member.id}")


# --- citizens' proposals --------------------------------------------------------------------------------


@bp.route("/<int:council_id>/propose", methods=["GET", "POST"])
@login_required
def propose(council_id: int):
    council = db.get_or_404(Council, council_id)
    allowed = permissions.can_propose_item(current_user)
    form = forms.ProposalForm() if request.method == "POST" else forms.ProposalForm(formdata=None)
    if not allowed:
        return render_template("councils/proposal_form.html", form=None, council=council), 403
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.propose_item(council, current_user, form.title.data, form.body.data)
            except AppError as exc:
                status = service_error(form, exc)
            else:
                commit()
                flash(
                    _(
                        "Thank you. The council's secretary will accept your proposal onto a meeting's agenda "
                        "or decline it with a reason."
                    ),
                    "success",
                )
                return redirect(url_for("councils.proposals", council_id=council.id))
        else:
            status = 400
    return render_template("councils/proposal_form.html", form=form, council=council), status


def _proposals_page(council: Council, status: int = 200, errors: dict | None = None, typed: dict | None = None):
    """The public list of proposals; for the secretary, an accept and a decline form under each pending one
    (``errors`` and ``typed``: the message and the reason typed, by proposal id)."""
    runner = permissions.can_run_meetings(current_user, council)
    return (
        render_template(
            "councils/proposals.html",
            council=council,
            proposals=services.proposals_of(council),
            runner=runner,
            meetings=services.upcoming_meetings(council) if runner else [],
            errors=errors or {},
            typed=typed or {},
            can_propose=permissions.can_propose_item(current_user),
            visible=lambda m: m is not None and services.can_view(current_user, m),
        ),
        status,
    )


@bp.get("/<int:council_id>/proposals")
def proposals(council_id: int):
    return _proposals_page(db.get_or_404(Council, council_id))


@bp.post("/proposals/<int:proposal_id>/accept")
@login_required
def accept_proposal(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    council = proposal.council
    _runner(council)
    meeting_id = request.form.get("meeting_id", type=int)
    chosen = db.session.get(Meeting, meeting_id) if meeting_id and 0 < meeting_id < 2**31 else None
    if chosen is None:
        return _proposals_page(council, 400, {proposal.id: _("Choose a meeting.")})
    try:
        services.accept_proposal(proposal, current_user, chosen)
    except AppError as exc:
        db.session.rollback()
        return _proposals_page(council, exc.status_code, {proposal.id: str(exc.message)})
    commit()
    flash(_("The proposal is on the agenda of meeting No. %(number)s.", number=chosen.number), "success")
    return redirect(url_for("councils.proposals", council_id=council.id) + f"#proposal-{proposal.id}")


@bp.post("/proposals/<int:proposal_id>/decline")
@login_required
def decline_proposal(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    council = proposal.council
    _runner(council)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        return _proposals_page(council, 400, {proposal.id: _("Give the reason for declining: it is shown publicly.")})
    try:
        services.decline_proposal(proposal, current_user, reason)
    except AppError as exc:
        db.session.rollback()
        return _proposals_page(council, exc.status_code, {proposal.id: str(exc.message)}, {proposal.id: reason})
    commit()
    flash(_("The proposal is declined; the reason is shown publicly."), "success")
    return redirect(url_for("councils.proposals", council_id=council.id) + f"#proposal-{proposal.id}")
