"""Councils' pages of votes, decisions and recommendations, minutes and vote option sets.

Each view follows the house order: load → authorize → validate the form → call one service → commit →
redirect. When the form or the service says no, the page is shown again with the message and what the user
typed, with a 4xx status and nothing saved.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.authorities.services import find_authority
from core.db import commit, db
from core.errors import AppError
from core.i18n import localized
from core.web import service_error
from councils import meetings, permissions, rules, vote_forms, voting
from councils import minutes as minutes_service
from councils.models import (
    LABELS,
    AgendaItem,
    ItemKind,
    Meeting,
    MeetingState,
    Minutes,
    MinutesState,
    Vote,
    VoteState,
)
from councils.views import bp


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""
    from core import hooks

    hooks.register(app, "case_origins", _case_origin)
    hooks.register(app, "nav", _nav_links)


def _nav_links() -> list[tuple[str, str]]:
    """Admins' menu: the vote options of councils."""
    if current_user.is_authenticated and current_user.is_admin:
        return [(_("Council vote options"), url_for("councils.option_sets"))]
    return []


def _case_origin(case) -> tuple[str, str] | None:
    """The council recommendation a case carries, for the case page's link back to the agenda item."""
    rec = voting.recommendation_for_case(case)
    if rec is None:
        return None
    item = rec.item
    return (
        _(
            "Recommendation of %(council)s, meeting No. %(number)s: %(title)s",
            council=localized(item.meeting.council, "name"),
            number=item.meeting.number,
            title=item.title,
        ),
        url_for("councils.item", item_id=item.id),
    )


@bp.context_processor
def _template_helpers() -> dict:
    return {"option_label": rules.option_label}


# -- loading ---------------------------------------------------------------------------------------------


def _visible(meeting: Meeting) -> bool:
    """A meeting whose agenda was never published (planned, or cancelled before it) is shown only to the
    council's members and admins: the same rule as the meeting page's."""
    return meetings.can_view(current_user, meeting)


def _load_item(item_id: int) -> AgendaItem:
    item = db.get_or_404(AgendaItem, item_id)
    if not _visible(item.meeting):
        abort(404)
    return item


def _load_vote(vote_id: int) -> Vote:
    vote = db.get_or_404(Vote, vote_id)
    if not _visible(vote.item.meeting):
        abort(404)
    return vote


def _require_runner(council) -> None:
    if not permissions.can_run_meetings(current_user, council):
        abort(403)


def _choices(vote: Vote) -> list[tuple[str, str]]:
    return [(key, rules.option_label(key)) for key in vote.option_keys]


def _recordable(vote: Vote) -> list:
    """Present members with voting rights who have not voted in this vote."""
    voted = {b.member_id for b in vote.ballots}
    return [m for m in meetings.present_voters(vote.item.meeting) if m.id not in voted]


def _ballot_form(vote: Vote, bound: bool = False) -> vote_forms.BallotForm:
    form = vote_forms.BallotForm() if bound else vote_forms.BallotForm(formdata=None)
    form.choice.choices = _choices(vote)
    return form


def _record_form(vote: Vote, bound: bool = False) -> vote_forms.RecordBallotForm:
    form = vote_forms.RecordBallotForm() if bound else vote_forms.RecordBallotForm(formdata=None)
    form.member_id.choices = [(m.id, m.full_name) for m in _recordable(vote)]
    form.choice.choices = _choices(vote)
    return form


# -- the item page ---------------------------------------------------------------------------------------


def _item_page(item: AgendaItem, status: int = 200, **forms):
    meeting = item.meeting
    council = meeting.council
    can_run = permissions.can_run_meetings(current_user, council)
    open_vote = voting.open_vote_of(item)
    seat = permissions.membership(current_user, council, meetings.meeting_day(meeting))
    context = {
        "item": item,
        "meeting": meeting,
        "council": council,
        "can_run": can_run,
        "open_vote": open_vote,
        "closed_votes": [v for v in item.votes if v.state == VoteState.CLOSED],
        "seat": seat,
        "roll_call": voting.roll_call,
        "can_decide": can_run and meeting.state in (MeetingState.IN_PROGRESS, MeetingState.HELD),
    }
    if open_vote is not None:
        eligible, reason = voting.can_cast(open_vote, current_user)
        context.update(
            ballots_cast=voting.ballot_count(open_vote),
            my_ballot=voting.ballot_of(open_vote, seat),
            eligible=eligible,
            not_eligible_reason=reason,
            ballot_form=forms.get("ballot_form") or (_ballot_form(open_vote) if eligible else None),
            record_form=forms.get("record_form") or (_record_form(open_vote) if can_run else None),
        )
    elif can_run and meeting.state == MeetingState.IN_PROGRESS:
        context["open_form"] = forms.get("open_form") or vote_forms.OpenVoteForm(formdata=None)
    # A service's refusal is shown at the top: the form it came from may no longer be on the page.
    notices = [("error", forms["close_error"])] if forms.get("close_error") else []
    for name in ("ballot_form", "record_form", "open_form"):
        form = forms.get(name)
        if form is not None and form.form_errors:
            notices += [("error", message) for message in form.form_errors]
            form.form_errors = []
    return render_template("councils/item.html", page_notices=notices, **context), status


@bp.route("/items/<int:item_id>", methods=["GET"])
def item(item_id: int):
    return _item_page(_load_item(item_id))


@bp.route("/items/<int:item_id>/votes", methods=["POST"])
@login_required
def open_vote(item_id: int):
    item = _load_item(item_id)
    _require_runner(item.meeting.council)
    form = vote_forms.OpenVoteForm()
    if not form.validate_on_submit():
        return _item_page(item, 400, open_form=form)
    try:
        voting.open_vote(item, current_user, form.question.data)
    except AppError as exc:
        return _item_page(item, service_error(form, exc), open_form=form)
    commit()
    flash(_("The vote is open. Members present can vote now."), "success")
    return redirect(url_for("councils.item", item_id=item.id))


@bp.route("/votes/<int:vote_id>/ballot", methods=["POST"])
@login_required
def cast_ballot(vote_id: int):
    vote = _load_vote(vote_id)
    item = vote.item
    meeting = item.meeting
    if permissions.membership(current_user, meeting.council, meetings.meeting_day(meeting)) is None:
        abort(403)
    form = _ballot_form(vote, bound=True)
    if not form.validate_on_submit():
        return _item_page(item, 400, ballot_form=form)
    try:
        voting.cast(vote, current_user, form.choice.data)
    except AppError as exc:
        return _item_page(item, service_error(form, exc), ballot_form=form)
    commit()
    flash(_("Your vote is recorded."), "success")
    return redirect(url_for("councils.item", item_id=item.id))


@bp.route("/votes/<int:vote_id>/record", methods=["POST"])
@login_required
def record_ballot(vote_id: int):
    vote = _load_vote(vote_id)
    item = vote.item
    _require_runner(item.meeting.council)
    form = _record_form(vote, bound=True)
    if not form.validate_on_submit():
        return _item_page(item, 400, record_form=form)
    member = next((m for m in _recordable(vote) if m.id == form.member_id.data), None)
    try:
        ballot = voting.record_by_hand(vote, current_user, member, form.choice.data)
    except AppError as exc:
        return _item_page(item, service_error(form, exc), record_form=form)
    commit()
    flash(_("The vote of %(name)s given by hand is recorded.", name=ballot.member.full_name), "success")
    return redirect(url_for("councils.item", item_id=item.id))


@bp.route("/votes/<int:vote_id>/close", methods=["POST"])
@login_required
def close_vote(vote_id: int):
    vote = _load_vote(vote_id)
    item = vote.item
    _require_runner(item.meeting.council)
    try:
        voting.close_vote(vote, current_user)
    except AppError as exc:
        db.session.rollback()
        return _item_page(item, exc.status_code, close_error=str(exc.message))
    commit()
    flash(_("The vote is closed: %(outcome)s.", outcome=vote.outcome.label), "success")
    return redirect(url_for("councils.item", item_id=item.id))


# -- the decision ----------------------------------------------------------------------------------------


def _decision_form(item: AgendaItem, bound: bool) -> vote_forms.DecisionForm:
    if bound:
        form = vote_forms.DecisionForm()
    else:
        form = vote_forms.DecisionForm(formdata=None, data={"text": item.decision_text or ""})
    choices = [("", _("Choose the addressee"))] + [
        (str(a.id), localized(a)) for a in voting.authority_choices(item.meeting.council)
    ]
    for entry in form.recommendations:
        entry.form.authority.choices = choices
    return form


def _recommendations(form: vote_forms.DecisionForm) -> list | None:
    """(authority, text) of the filled rows; None when a row names an authority that does not exist or is
    not offered (its field carries the error)."""
    offered = {str(value) for value, _label in form.recommendations[0].form.authority.choices if value}
    found, ok = [], True
    for entry in form.recommendations:
        sub = entry.form
        authority = None
        if sub.authority_key.data:
            authority = find_authority(sub.authority_key.data.strip())
            if authority is None:
                sub.authority_key.errors = [_("There is no authority %(key)s.", key=sub.authority_key.data)]
                ok = False
                continue
        elif sub.authority.data:
            if sub.authority.data not in offered:
                sub.authority.errors = [_("Choose the addressee from the list.")]
                ok = False
                continue
            authority = find_authority(int(sub.authority.data))
        if authority is None and not sub.text.data:
            continue
        found.append((authority, sub.text.data or ""))
    return found if ok else None


@bp.route("/items/<int:item_id>/decision", methods=["GET", "POST"])
@login_required
def decide_item(item_id: int):
    item = _load_item(item_id)
    _require_runner(item.meeting.council)
    form = _decision_form(item, bound=True) if _is_post() else _decision_form(item, bound=False)
    status = 200
    if _is_post():
        recs = _recommendations(form) if form.validate_on_submit() else None
        if recs is not None and not form.errors:
            try:
                made = voting.record_decision(item, current_user, form.text.data, recs)
            except AppError as exc:
                status = service_error(form, exc)
            else:
                commit()
                if made:
                    flash(_("The decision is recorded; each recommendation is now a case of its addressee."), "success")
                else:
                    flash(_("The decision is recorded."), "success")
                return redirect(url_for("councils.item", item_id=item.id))
        else:
            status = 400
    vote = voting.latest_closed_vote(item)
    return render_template("councils/item_decision.html", item=item, form=form, vote=vote), status


def _is_post() -> bool:
    from flask import request

    return request.method == "POST"


# -- minutes ---------------------------------------------------------------------------------------------


def _load_meeting(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not _visible(meeting):
        abort(404)
    return meeting


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET"])
def minutes(meeting_id: int):
    meeting = _load_meeting(meeting_id)
    found: Minutes | None = meeting.minutes
    public = found is not None and found.state == MinutesState.PUBLISHED
    if not public and not permissions.can_see_unpublished(current_user, meeting.council):
        abort(404)
    return _minutes_page(meeting)


def _minutes_page(meeting: Meeting, status: int = 200, error: str | None = None):
    return render_template(
        "councils/minutes.html",
        meeting=meeting,
        council=meeting.council,
        minutes=meeting.minutes,
        can_run=permissions.can_run_meetings(current_user, meeting.council),
        page_notices=[("error", error)] if error else None,
    ), status


@bp.route("/meetings/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
@login_required
def edit_minutes(meeting_id: int):
    meeting = _load_meeting(meeting_id)
    _require_runner(meeting.council)
    found = meeting.minutes
    if _is_post():
        form = vote_forms.MinutesForm()
        status = 400
        if form.validate_on_submit():
            try:
                record = minutes_service.minutes_for(meeting, current_user)
                minutes_service.edit_minutes(record, current_user, form.text.data)
            except AppError as exc:
                status = service_error(form, exc)
            else:
                commit()
                flash(_("The draft minutes are saved."), "success")
                return redirect(url_for("councils.minutes", meeting_id=meeting.id))
        return render_template("councils/minutes_edit.html", meeting=meeting, form=form, minutes=found), status
    if found is None and meeting.state != MeetingState.HELD:
        flash(_("Minutes are drawn up once the meeting is held."), "error")
        return redirect(url_for("councils.minutes", meeting_id=meeting.id))
    if found is not None and found.state != MinutesState.DRAFT:
        flash(_("Approved minutes cannot be edited."), "error")
        return redirect(url_for("councils.minutes", meeting_id=meeting.id))
    text = found.text if found is not None else minutes_service.draft_text(meeting)
    form = vote_forms.MinutesForm(formdata=None, data={"text": text})
    return render_template("councils/minutes_edit.html", meeting=meeting, form=form, minutes=found)


def _minutes_step(meeting_id: int, step, done: str):
    meeting = _load_meeting(meeting_id)
    _require_runner(meeting.council)
    if meeting.minutes is None:
        abort(404)
    try:
        step(meeting.minutes, current_user)
    except AppError as exc:
        db.session.rollback()
        return _minutes_page(meeting, exc.status_code, str(exc.message))
    commit()
    flash(done, "success")
    return redirect(url_for("councils.minutes", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/minutes/approve", methods=["POST"])
@login_required
def approve_minutes(meeting_id: int):
    return _minutes_step(meeting_id, minutes_service.approve_minutes, _("The minutes are approved."))


@bp.route("/meetings/<int:meeting_id>/minutes/publish", methods=["POST"])
@login_required
def publish_minutes(meeting_id: int):
    return _minutes_step(
        meeting_id, minutes_service.publish_minutes, _("The minutes are published; the followers will be told.")
    )


# -- option sets -----------------------------------------------------------------------------------------


@bp.route("/option-sets", methods=["GET", "POST"])
@login_required
def option_sets():
    if not current_user.is_admin:
        abort(403)
    current = voting.option_sets()
    status = 200
    if _is_post():
        form = vote_forms.OptionSetsForm()
        if form.validate_on_submit():
            failed = False
            for kind in ItemKind:
                field = getattr(form, kind.value)
                try:
                    if rules.parse_options(field.data) != current[kind]:
                        voting.set_option_set(kind, field.data, current_user)
                except ValueError:
                    field.errors = [_("Use at least two options that can win, each once, from the vocabulary.")]
                    failed = True
                except AppError as exc:
                    field.errors = [str(exc.message)]
                    failed = True
            if not failed:
                commit()
                flash(_("The vote options are saved."), "success")
                return redirect(url_for("councils.option_sets"))
            db.session.rollback()
        status = 400
    else:
        form = vote_forms.OptionSetsForm(formdata=None, data={k.value: ", ".join(v) for k, v in current.items()})
    rows = [(kind, LABELS[ItemKind][kind], getattr(form, kind.value)) for kind in ItemKind]
    return render_template("councils/option_sets.html", form=form, rows=rows, vocabulary=rules.OPTIONS), status
