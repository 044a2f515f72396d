"""The moderators' side of petitions: the queue with SLA flags, the review page and its decisions; the
addressee's officers' paper signatures; the admins' threshold rules.

Each view follows the house order: load → authorize (a ``petitions.permissions`` predicate) → validate the
form → call one service → commit → redirect. When the form or the service says no, the page is shown again
with the message, the right status and everything the user typed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import find_authority
from core.db import commit, db
from core.errors import AppError
from core.mail import external_url
from core.web import format_day, page_number, service_error
from petitions import forms, permissions, rules, services
from petitions.models import Petition, PetitionState, ThresholdRule

bp = Blueprint("petition_moderation", __name__, url_prefix="/petitions")


@bp.record_once
def _setup(state) -> None:
    from core import hooks

    hooks.register(state.app, "nav", nav_links)


@bp.app_template_global("petition_reject_reason")
def reject_reason(code: str | None) -> rules.Entry | None:
    """A rejection reason by its code, for templates (the rejected mail names it in the reader's language)."""
    return rules.reject_reason(code)


@bp.app_template_global("petition_edit_link")
def edit_link(petition: Petition) -> str:
    """The absolute address where the author changes a returned petition (its page, if there is no such view)."""
    try:
        return external_url("petitions.edit", petition_id=petition.id)
    except BuildError:
        return external_url("petitions.petition", petition_id=petition.id)


def nav_links() -> list[tuple[str, str]]:
    """The signed-in user's menu: the moderation queue for moderators, the threshold rules for admins."""
    links = []
    if permissions.can_view_moderation_queue(current_user):
        links.append((_("Moderation"), url_for("petition_moderation.queue")))
    if permissions.can_manage_thresholds(current_user):
        links.append((_("Petition thresholds"), url_for("petition_moderation.rules")))
    return links


# --- the queue ------------------------------------------------------------------------------------------

QUEUE_TAB_LABELS = {
    "waiting": _l("Waiting"),
    "near": _l("Due soon"),
    "overdue": _l("Overdue"),
    "mine": _l("Taken by me"),
    "all": _l("All in moderation"),
}


@bp.get("/moderation")
@login_required
def queue():
    if not permissions.can_view_moderation_queue(current_user):
        abort(403)
    tab = request.args.get("tab") or "waiting"
    if tab not in services.QUEUE_TABS:
        tab = "waiting"
    today = services.today()
    page = services.moderation_queue(current_user, tab, today, page=page_number())
    return render_template(
        "petitions/moderation/queue.html",
        tab=tab,
        tabs=[(t, QUEUE_TAB_LABELS[t]) for t in services.QUEUE_TABS],
        counts=services.queue_counts(current_user, today),
        page=page,
        flags={p.id: services.moderation_flag(p, today) for p in page.items},
        holders={p.id: services.lock_holder(p) for p in page.items},
    )


# --- the review page ------------------------------------------------------------------------------------

FORM_PREFIXES = {
    "take_form": "take",
    "release_form": "release",
    "publish_form": "publish",
    "return_form": "return",
    "reject_form": "reject",
}
FORM_CLASSES = {
    "take_form": forms.TakeForm,
    "release_form": forms.ReleaseForm,
    "publish_form": forms.PublishForm,
    "return_form": forms.ReturnForm,
    "reject_form": forms.RejectForm,
}


def reason_label(reason: rules.Entry) -> str:
    if reason.extra.get("public"):
        return _("%(name)s (shown publicly)", name=reason.name)
    return _("%(name)s (told only to the author)", name=reason.name)


def _make_form(name: str, bound: bool = False):
    cls = FORM_CLASSES[name]
    form = cls(prefix=FORM_PREFIXES[name]) if bound else cls(prefix=FORM_PREFIXES[name], formdata=None)
    if name == "reject_form":
        form.reason.choices = [("", _("Choose a reason"))] + [(r.code, reason_label(r)) for r in rules.reject_reasons()]
    return form


def _threshold(petition: Petition) -> tuple[int, int | None, str | None] | None:
    try:
        return rules.threshold_for(petition.authority)
    except rules.ThresholdError:
        return None


def _review_page(petition: Petition, status: int = 200, **bound):
    """The review page. ``bound`` holds a posted form that failed, shown with the input and the errors."""
    user = current_user
    pending = petition.state == PetitionState.PENDING
    holder = services.lock_holder(petition) if pending else None
    mine = holder is not None and holder.id == user.id
    shown = {
        "take_form": pending and not mine and holder is None,
        "release_form": mine,
        "publish_form": mine,
        "return_form": mine,
        "reject_form": mine,
    }
    form_objects = {}
    for name, show in shown.items():
        if name in bound:
            form_objects[name] = bound[name]
        elif show:
            form_objects[name] = _make_form(name)
        else:
            form_objects[name] = None
    threshold = _threshold(petition)
    return (
        render_template(
            "petitions/moderation/review.html",
            petition=petition,
            pending=pending,
            holder=holder,
            mine=mine,
            flag=services.moderation_flag(petition),
            topic=rules.topic(petition.topic),
            threshold=threshold,
            scope_label=rules.SCOPE_LABELS.get(threshold[2]) if threshold else None,
            similar=services.similar(petition.title, petition.body, exclude_id=petition.id),
            events=services.timeline(petition, private=True),
            excluded_topics=rules.excluded_topics(),
            reason_names={r.code: r.name for r in rules.reject_reasons()},
            reject_reason=rules.reject_reason(petition.reject_reason),
            counts=services.counts(petition.id) if petition.is_public else None,
            **form_objects,
        ),
        status,
    )


def _load(petition_id: int) -> Petition:
    """A petition moderators may see: anything ever sent to moderation (drafts stay the author's own)."""
    petition = db.get_or_404(Petition, petition_id)
    if not permissions.can_moderate_petition(current_user, petition):
        abort(403)
    if petition.state == PetitionState.DRAFT:
        abort(404)
    return petition


@bp.get("/moderation/<int:petition_id>")
@login_required
def review(petition_id: int):
    return _review_page(_load(petition_id))


def _back(petition: Petition, anchor: str = ""):
    return redirect(url_for("petition_moderation.review", petition_id=petition.id) + anchor)


@bp.post("/moderation/<int:petition_id>/take")
@login_required
def take(petition_id: int):
    petition = _load(petition_id)
    form = _make_form("take_form", bound=True)
    if not form.validate_on_submit():
        return _review_page(petition, 400, take_form=form)
    try:
        services.take(petition, current_user)
    except AppError as exc:
        return _review_page(petition, service_error(form, exc), take_form=form)
    commit()
    flash(_("You have taken the petition: nobody else can decide on it while you hold it."), "success")
    return _back(petition, "#decide")


@bp.post("/moderation/<int:petition_id>/release")
@login_required
def release(petition_id: int):
    petition = _load(petition_id)
    form = _make_form("release_form", bound=True)
    if not form.validate_on_submit():
        return _review_page(petition, 400, release_form=form)
    try:
        services.release(petition, current_user)
    except AppError as exc:
        return _review_page(petition, service_error(form, exc), release_form=form)
    commit()
    flash(_("The petition is back in the queue for any moderator."), "success")
    return redirect(url_for("petition_moderation.queue"))


@bp.post("/moderation/<int:petition_id>/publish")
@login_required
def publish(petition_id: int):
    petition = _load(petition_id)
    form = _make_form("publish_form", bound=True)
    if not form.validate_on_submit():
        return _review_page(petition, 400, publish_form=form)
    try:
        services.publish(petition, current_user)
    except AppError as exc:
        return _review_page(petition, service_error(form, exc), publish_form=form)
    commit()
    flash(
        _(
            "The petition is published and collects signatures until %(date)s; the author is told.",
            date=format_day(petition.closes_on),
        ),
        "success",
    )
    return redirect(url_for("petition_moderation.queue"))


@bp.post("/moderation/<int:petition_id>/return", endpoint="return")
@login_required
def return_to_author(petition_id: int):
    petition = _load(petition_id)
    form = _make_form("return_form", bound=True)
    if not form.validate_on_submit():
        return _review_page(petition, 400, return_form=form)
    try:
        services.return_to_author(petition, current_user, form.note.data)
    except AppError as exc:
        return _review_page(petition, service_error(form, exc), return_form=form)
    commit()
    flash(_("The petition is returned to the author with your note."), "success")
    return redirect(url_for("petition_moderation.queue"))


@bp.post("/moderation/<int:petition_id>/reject")
@login_required
def reject(petition_id: int):
    petition = _load(petition_id)
    form = _make_form("reject_form", bound=True)
    if not form.validate_on_submit():
        return _review_page(petition, 400, reject_form=form)
    try:
        services.reject(petition, current_user, form.reason.data, form.note.data or "")
    except AppError as exc:
        return _review_page(petition, service_error(form, exc), reject_form=form)
    commit()
    flash(_("The petition is rejected; the author is told the reason."), "success")
    return redirect(url_for("petition_moderation.queue"))


# --- paper signatures -----------------------------------------------------------------------------------


def _problem_lines(form: forms.PaperBatchForm, result: services.PaperResult) -> str:
    """The lines of the rows that were not valid, to correct and send again (duplicates are left out)."""
    lines = [line for line in (form.rows.data or "").splitlines() if line.strip()]
    return "\n".join(lines[n - 1] for n, _message in result.invalid if 0 < n <= len(lines))


def _paper_page(petition: Petition, form, status: int = 200, result=None, outcome=None):
    return (
        render_template(
            "petitions/paper.html",
            petition=petition,
            form=form if permissions.can_enter_paper(current_user, petition) else None,
            collecting=services.is_collecting(petition),
            counts=services.counts(petition.id),
            batches=services.paper_batches(petition),
            result=result,
            outcome=outcome,
            max_rows=services.PAPER_BATCH_MAX,
        ),
        status,
    )


@bp.route("/<int:petition_id>/paper", methods=["GET", "POST"])
@login_required
def paper(petition_id: int):
    petition = db.get_or_404(Petition, petition_id)
    allowed = (
        permissions.can_enter_paper(current_user, petition)
        if request.method == "POST"
        else permissions.can_view_paper(current_user, petition)
    )
    if not allowed:
        abort(403)
    if not petition.is_public:
        abort(404)  # never published: there is nothing to sign on paper, and it is not public
    form = forms.PaperBatchForm()
    if request.method == "GET":
        return _paper_page(petition, form)
    if not form.validate_on_submit():
        return _paper_page(petition, form, 400)
    try:
        result = services.add_paper_batch(petition, current_user, form.paper_rows(), form.note.data or "")
    except AppError as exc:
        return _paper_page(petition, form, service_error(form, exc))
    commit()
    outcome = services.after_signing(petition.id)
    if outcome.listed or outcome.reached is not None:
        commit()
    db.session.refresh(petition)
    retry = forms.PaperBatchForm(formdata=None)
    retry.rows.data = _problem_lines(form, result)
    retry.note.data = form.note.data
    return _paper_page(petition, retry, result=result, outcome=outcome)


# --- threshold rules ------------------------------------------------------------------------------------


def threshold_examples() -> list[tuple[str, Authority | None, tuple[int, int | None, str | None] | None]]:
    """For each scope, the first authority of that kind and the threshold a petition to it would get now."""
    first: dict[str, Authority] = {}
    for kind in AuthorityKind:
        if kind == AuthorityKind.KURULTAI:
            continue
        statement = sa.select(Authority).where(Authority.kind == kind).order_by(Authority.id)
        # Maslikhats cover two scopes (regional and district): look a little further for both.
        for authority in db.session.scalars(statement.limit(200 if kind == AuthorityKind.MASLIKHAT else 1)).unique():
            scope = rules.scope_of(authority)
            if scope is not None and scope not in first:
                first[scope] = authority
    examples = []
    for scope in rules.SCOPES:
        authority = first.get(scope)
        examples.append((scope, authority, rules.threshold_for(authority) if authority is not None else None))
    return examples


def _rules_page(form, status: int = 200):
    return (
        render_template(
            "petitions/rules.html",
            form=form,
            table=rules.rules_table(),
            authority_rules=rules.authority_rules(),
            examples=threshold_examples(),
            scope_labels=rules.SCOPE_LABELS,
        ),
        status,
    )


@bp.route("/rules", methods=["GET", "POST"], endpoint="rules")
@login_required
def rules_page():
    if not permissions.can_manage_thresholds(current_user):
        abort(403)
    form = forms.ThresholdForm()
    if not form.validate_on_submit():
        return _rules_page(form, 400 if form.is_submitted() else 200)
    authority = None
    if form.authority.data:
        authority = find_authority(form.authority.data)
        if authority is None:
            form.authority.errors = [
                *form.authority.errors,
                _("There is no authority %(key)s.", key=form.authority.data),
            ]
            return _rules_page(form, 400)
        if rules.scope_of(authority) is None:
            form.authority.errors = [*form.authority.errors, _("Petitions cannot be addressed to this body.")]
            return _rules_page(form, 400)
    try:
        rules.set_rule(
            form.scope.data,
            fixed=form.fixed.data,
            percent=form.percent.data,
            large_from=form.large_from.data,
            fallback=form.fallback.data,
            authority=authority,
            note=form.note.data or "",
            actor=current_user,
        )
    except AppError as exc:
        return _rules_page(form, service_error(form, exc))
    commit()
    flash(_("The threshold rule is saved. It applies to petitions published from now on."), "success")
    return redirect(url_for("petition_moderation.rules"))


@bp.post("/rules/<int:rule_id>/delete")
@login_required
def delete_rule(rule_id: int):
    rule = db.get_or_404(ThresholdRule, rule_id)
    if not permissions.can_manage_thresholds(current_user):
        abort(403)
    form = forms.DeleteThresholdForm()
    if not form.validate_on_submit():
        abort(400)
    rules.remove_rule(rule, actor=current_user)
    commit()
    flash(_("The threshold rule is removed."), "success")
    return redirect(url_for("petition_moderation.rules"))
