"""The loop's pages: public case pages, filing, the authority inbox and officers' actions.

Each view follows the house order: load → authorize (a ``feedback.permissions`` predicate) → validate the
form → call one service → commit → redirect. When the form or the service says no, the page is shown
again with the message and everything the user typed.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import find_authority, officers_of
from core.calendar import add_working_days
from core.db import commit, db
from core.errors import AppError
from core.i18n import localized
from core.territories.services import get_territory, path_of, search_territories
from core.web import format_day, page_number, service_error
from feedback import forms, permissions, queries, services
from feedback.models import OPEN_STATES, Case, CaseSource, CaseState, DeadlineRule, EventKind

bp = Blueprint("feedback", __name__, url_prefix="/cases")


@bp.record_once
def _setup(state) -> None:
    from core import hooks
    from feedback import rules
    from feedback.cli import feedback_cli
    from feedback.jobs import sweep_job
    from feedback.seed import seed_demo_cases
    from feedback.stats import authority_panel

    app = state.app
    rules.configure(app)
    app.cli.add_command(feedback_cli)
    hooks.register(app, "periodic", (sweep_job, app.config["FEEDBACK_SWEEP_CRON"]))
    hooks.register(app, "authority_panels", authority_panel)
    hooks.register(app, "seeders", seed_demo_cases)


def case_origins(case: Case) -> list[tuple[str, str]]:
    """Links to the record that opened the case (a petition, a council decision), from the feature packages."""
    from core import hooks

    return [found for origin in hooks.get("case_origins") if (found := origin(case)) is not None]


@bp.context_processor
def _template_helpers() -> dict:
    return {"deadline_status": services.deadline_status, "case_origins": case_origins}


# --- the public list ------------------------------------------------------------------------------------


@bp.get("/")
def index():
    state = queries.parse_enum(CaseState, request.args.get("state"))
    source = queries.parse_enum(CaseSource, request.args.get("source"))
    authority_id = request.args.get("authority", type=int)
    authority = db.session.get(Authority, authority_id) if authority_id else None
    query = (request.args.get("q") or "").strip()[:100]
    page = queries.public_cases(
        state=state,
        source=source,
        authority_id=authority.id if authority else None,
        query=query,
        page=page_number(),
    )
    return render_template(
        "feedback/index.html",
        page=page,
        state=state,
        source=source,
        authority=authority,
        query=query,
        states=list(CaseState),
        sources=list(CaseSource),
        today=services.today(),
    )


# --- the case page --------------------------------------------------------------------------------------

FORM_PREFIXES = {
    "assign_form": "assign",
    "extend_form": "extend",
    "redirect_form": "redirect",
    "answer_form": "answer",
    "shortlist_form": "shortlist",
    "rate_form": "rate",
    "withdraw_form": "withdraw",
}
FORM_CLASSES = {
    "assign_form": forms.AssignForm,
    "extend_form": forms.ExtendForm,
    "redirect_form": forms.RedirectForm,
    "answer_form": forms.AnswerForm,
    "shortlist_form": forms.ShortlistForm,
    "rate_form": forms.RateForm,
    "withdraw_form": forms.WithdrawForm,
}


def _make_form(name: str, case: Case, bound: bool = False):
    """One of the case page's forms, with its choices for this case; ``bound`` takes the posted data."""
    cls = FORM_CLASSES[name]
    form = cls(prefix=FORM_PREFIXES[name]) if bound else cls(prefix=FORM_PREFIXES[name], formdata=None)
    if name == "assign_form":
        people = officers_of(case.authority)
        form.assignee.choices = [
            SelectChoice(
                u.id, _("Myself (%(name)s)", name=u.display_name) if u.id == current_user.id else u.display_name
            )
            for u in people
        ]
        if not bound:
            form.assignee.data = case.assignee_id or current_user.id
    elif name == "answer_form":
        allow_referred = case.authority.parent_id is not None and case.authority.kind != AuthorityKind.KURULTAI
        form.decision.choices = forms.decision_choices(allow_referred)
    elif name == "rate_form" and not bound:
        mine = services.my_rating(case, current_user)
        if mine is not None:
            form.satisfied.data = "yes" if mine.satisfied else "no"
            form.comment.data = mine.comment or ""
    return form


def _window_end(case: Case, days: int) -> date:
    """The last day of a window of ``days`` working days after the case's receipt."""
    return add_working_days(case.received_on, days)


def _case_page(case: Case, status: int = 200, **bound):
    """The case page. ``bound`` holds a posted form that failed, shown with the user's input and errors."""
    from feedback import rules

    user = current_user
    today = services.today()
    officer = permissions.can_answer_case(user, case)
    redirect_until = _window_end(case, rules.redirect_window_days())
    extend_until = _window_end(case, rules.extension_notice_days())
    early_states = (CaseState.OPENED, CaseState.AWAITING)
    shown = {
        "assign_form": officer and case.is_open,
        "extend_form": officer
        and case.state in early_states
        and case.extended_at is None
        and services.within_days_of_receipt(case, rules.extension_notice_days(), today),
        "redirect_form": officer
        and case.state in early_states
        and services.within_days_of_receipt(case, rules.redirect_window_days(), today),
        "answer_form": officer and case.is_open,
        "shortlist_form": permissions.can_shortlist_case(user, case) and case.is_open and case.shortlisted_at is None,
        "rate_form": permissions.can_rate_case(user, case) and services.can_rate_now(case, today),
        "withdraw_form": permissions.can_withdraw_case(user, case) and case.is_open,
    }
    form_objects = {}
    for name, show in shown.items():
        if name in bound:
            form_objects[name] = bound[name]
        elif show:
            form_objects[name] = _make_form(name, case)
        else:
            form_objects[name] = None
    steps = services.chain(case)
    final = services.final_answer(case, steps)
    private = permissions.can_view_case_private(user, case)
    rating_live = services.rating_counts(case) if case.state == CaseState.ANSWERED else None
    is_kurultai = case.authority.kind == AuthorityKind.KURULTAI
    return (
        render_template(
            "feedback/case.html",
            case=case,
            today=today,
            deadline=services.deadline_status(case, today) if case.is_open else None,
            steps=steps,
            final_answer=final if final is not None and final.case_id != case.id else None,
            participant_count=services.participant_count(case),
            participants=services.participants(case, limit=PRIVATE_LIST_LIMIT) if private else None,
            ratings=services.ratings(case, limit=PRIVATE_LIST_LIMIT) if private else None,
            private_list_limit=PRIVATE_LIST_LIMIT,
            private=private,
            officer=officer,
            my_rating=services.my_rating(case, user),
            rating_live=rating_live,
            is_kurultai=is_kurultai,
            redirect_until=redirect_until,
            extend_until=extend_until,
            extend_latest=services.latest_extension(case),
            redirect_targets=queries.redirect_targets(case) if form_objects["redirect_form"] is not None else [],
            EventKind=EventKind,
            **form_objects,
        ),
        status,
    )


#: How many participants and ratings the officers' part of a case page lists (a petition may have thousands).
PRIVATE_LIST_LIMIT = 200


@bp.get("/<int:case_id>")
def case(case_id: int):
    item = db.get_or_404(Case, case_id)
    return _case_page(item)


def _load_and_bind(case_id: int, name: str, allowed):
    """Load the case, authorize, bind the posted form: the first steps of every action on a case."""
    item = db.get_or_404(Case, case_id)
    if not allowed(current_user, item):
        abort(403)
    return item, _make_form(name, item, bound=True)


@bp.post("/<int:case_id>/assign")
@login_required
def assign(case_id: int):
    item, form = _load_and_bind(case_id, "assign_form", permissions.can_assign_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, assign_form=form)
    try:
        from core.accounts.models import User

        services.assign(item, db.session.get(User, form.assignee.data), current_user)
    except AppError as exc:
        return _case_page(item, service_error(form, exc), assign_form=form)
    commit()
    flash(_("The case is assigned."), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


@bp.post("/<int:case_id>/extend")
@login_required
def extend(case_id: int):
    item, form = _load_and_bind(case_id, "extend_form", permissions.can_extend_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, extend_form=form)
    try:
        services.extend(item, form.new_due.data, form.reason.data, current_user)
    except AppError as exc:
        return _case_page(item, service_error(form, exc), extend_form=form)
    commit()
    flash(_("The deadline is extended; the participants will be told."), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


@bp.post("/<int:case_id>/redirect", endpoint="redirect")
@login_required
def redirect_case(case_id: int):
    item, form = _load_and_bind(case_id, "redirect_form", permissions.can_redirect_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, redirect_form=form)
    key = form.target_key.data or form.target.data
    target = find_authority(key)
    if target is None:
        form.target_key.errors = [*form.target_key.errors, _("There is no authority %(key)s.", key=key)]
        return _case_page(item, 400, redirect_form=form)
    try:
        services.redirect(item, target, form.reason.data, current_user)
    except AppError as exc:
        return _case_page(item, service_error(form, exc), redirect_form=form)
    commit()
    flash(_("The case is redirected to %(name)s; the participants will be told.", name=localized(target)), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


@bp.post("/<int:case_id>/answer")
@login_required
def answer(case_id: int):
    item, form = _load_and_bind(case_id, "answer_form", permissions.can_answer_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, answer_form=form)
    try:
        services.publish_answer(item, form.decision.data, form.text.data, form.measure_inputs(), current_user)
    except AppError as exc:
        return _case_page(item, service_error(form, exc), answer_form=form)
    commit()
    if item.state == CaseState.ESCALATED and item.escalated_to is not None:
        flash(_("The answer is published and the case is referred to the higher level."), "success")
    else:
        flash(_("The answer is published; the participants will be told."), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


@bp.post("/<int:case_id>/shortlist")
@login_required
def shortlist(case_id: int):
    item, form = _load_and_bind(case_id, "shortlist_form", permissions.can_shortlist_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, shortlist_form=form)
    try:
        services.shortlist(item, form.session.data, current_user)
    except AppError as exc:
        return _case_page(item, service_error(form, exc), shortlist_form=form)
    commit()
    flash(_("The case is shortlisted for the Kurultai session."), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


@bp.post("/<int:case_id>/rate")
@login_required
def rate(case_id: int):
    item, form = _load_and_bind(case_id, "rate_form", permissions.can_rate_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, rate_form=form)
    try:
        services.rate(item, current_user, form.satisfied.data == "yes", form.comment.data or "")
    except AppError as exc:
        return _case_page(item, service_error(form, exc), rate_form=form)
    commit()
    flash(_("Thank you, your rating is saved. You may change it until the rating closes."), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


@bp.post("/<int:case_id>/withdraw")
@login_required
def withdraw(case_id: int):
    item, form = _load_and_bind(case_id, "withdraw_form", permissions.can_withdraw_case)
    if not form.validate_on_submit():
        return _case_page(item, 400, withdraw_form=form)
    try:
        services.withdraw(item, current_user, form.reason.data or "")
    except AppError as exc:
        return _case_page(item, service_error(form, exc), withdraw_form=form)
    commit()
    flash(_("Your proposal is withdrawn."), "success")
    return redirect(url_for("feedback.case", case_id=item.id))


# --- filing ---------------------------------------------------------------------------------------------


def _verify_first():
    return render_template("feedback/verify_first.html"), 403


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not permissions.can_file_proposal(current_user):
        return _verify_first()
    asked = (request.form.get("territory") if request.method == "POST" else request.args.get("territory")) or ""
    asked = asked.strip()[:16]
    territory = get_territory(asked) if asked else None
    unknown_place = bool(asked) and territory is None
    if territory is None:
        territory = current_user.home_territory
    form = forms.ProposalForm()
    authorities = services.suggested_authorities(territory.code) if territory else []
    form.authority.choices = [SelectChoice(a.id, localized(a)) for a in authorities]
    form.territory.data = territory.code if territory else ""
    if request.method == "GET" and authorities:
        form.authority.data = authorities[0].id
    status = 200
    if territory is not None and not unknown_place and form.validate_on_submit():
        chosen = next(a for a in authorities if a.id == form.authority.data)
        try:
            item = services.file_proposal(current_user, chosen, form.title.data, form.body.data, territory.code)
        except AppError as exc:
            status = service_error(form, exc)
        else:
            commit()
            flash(
                _(
                    "Your proposal is filed. %(name)s must answer by %(date)s.",
                    name=localized(chosen),
                    date=format_day(item.due_on),
                ),
                "success",
            )
            return redirect(url_for("feedback.case", case_id=item.id))
    elif form.is_submitted():
        status = 400
    search = (request.args.get("q") or "").strip()[:100]
    return (
        render_template(
            "feedback/new.html",
            form=form,
            territory=territory,
            territory_path=path_of(territory) if territory else [],
            authorities={a.id: a for a in authorities},
            unknown_place=unknown_place,
            is_home=territory is not None and territory.code == current_user.home_territory_code,
            search=search,
            results=search_territories(search) if len(search) >= 2 else None,
        ),
        status,
    )


@bp.route("/kurultai/new", methods=["GET", "POST"])
@login_required
def new_kurultai():
    if not permissions.can_file_proposal(current_user):
        return _verify_first()
    form = forms.KurultaiProposalForm()
    status = 200
    if form.validate_on_submit():
        try:
            item = services.file_kurultai_proposal(current_user, form.title.data, form.body.data)
        except AppError as exc:
            status = service_error(form, exc)
        else:
            commit()
            flash(_("Your proposal is sent to the National Kurultai."), "success")
            return redirect(url_for("feedback.case", case_id=item.id))
    elif form.is_submitted():
        status = 400
    return render_template("feedback/new_kurultai.html", form=form, kurultai=services.kurultai()), status


# --- my cases -------------------------------------------------------------------------------------------


@bp.get("/mine")
@login_required
def mine():
    page = queries.my_chains(current_user, page=page_number())
    return render_template("feedback/mine.html", page=page, today=services.today())


# --- the inbox ------------------------------------------------------------------------------------------

INBOX_TAB_LABELS = {
    "new": _l("New"),
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
    "extended": _l("Extended"),
    "answered": _l("Answered"),
    "all": _l("All"),
}


@bp.get("/inbox")
@login_required
def inbox():
    authorities = queries.inbox_authorities(current_user)
    if not authorities:
        abort(403)
    if len(authorities) == 1:
        return redirect(url_for("feedback.authority_inbox", authority_id=authorities[0].id))
    today = services.today()
    return render_template(
        "feedback/inbox_choose.html",
        authorities=authorities,
        counts={a.id: queries.inbox_counts(a, today) for a in authorities},
    )


@bp.get("/inbox/<int:authority_id>")
@login_required
def authority_inbox(authority_id: int):
    authority = db.get_or_404(Authority, authority_id)
    if not permissions.can_view_inbox(current_user, authority):
        abort(403)
    tab = request.args.get("tab") or "new"
    if tab not in queries.INBOX_TABS:
        tab = "new"
    today = services.today()
    return render_template(
        "feedback/inbox.html",
        authority=authority,
        tab=tab,
        tabs=[(t, INBOX_TAB_LABELS[t]) for t in queries.INBOX_TABS],
        counts=queries.inbox_counts(authority, today),
        page=queries.inbox(authority, tab, today, page=page_number()),
        today=today,
        open_states=OPEN_STATES,
    )


# --- deadline rules -------------------------------------------------------------------------------------


def _rules_page(form, status: int = 200):
    from feedback import rules

    shown = rules.effective_rules()
    stored = queries.stored_rules()
    return (
        render_template(
            "feedback/rules.html",
            form=form,
            effective=shown,
            stored=stored,
            authorities=queries.authorities_by_id(
                [r["authority_id"] for r in shown] + [r.authority_id for r in stored]
            ),
            source_label=forms.source_label,
            scope_label=forms.scope_label,
        ),
        status,
    )


@bp.route("/rules", methods=["GET", "POST"], endpoint="rules")
@login_required
def rules_page():
    from feedback import rules

    if not permissions.can_manage_rules(current_user):
        abort(403)
    form = forms.RuleForm()
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
    try:
        rules.set_rule(
            form.source.data,
            form.scope.data,
            form.working_days.data,
            authority=authority,
            note=form.note.data or "",
            actor=current_user,
        )
    except AppError as exc:
        return _rules_page(form, service_error(form, exc))
    commit()
    flash(_("The deadline rule is saved. It applies to cases opened from now on."), "success")
    return redirect(url_for("feedback.rules"))


@bp.post("/rules/<int:rule_id>/delete")
@login_required
def delete_rule(rule_id: int):
    from feedback import rules

    rule = db.get_or_404(DeadlineRule, rule_id)
    if not permissions.can_manage_rules(current_user):
        abort(403)
    form = forms.DeleteRuleForm()
    if not form.validate_on_submit():
        abort(400)
    rules.remove_rule(rule, actor=current_user)
    commit()
    flash(_("The deadline rule is removed."), "success")
    return redirect(url_for("feedback.rules"))
