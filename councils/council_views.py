"""Councils' pages: the list, the public council page, creating and editing a council, its members, following.

Each view follows the house order: load → authorize → validate the form → call one service → commit →
redirect. When the form or the service says no, the page is shown again with the message and everything the
user typed, with a 4xx status and nothing saved.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from core.authorities.services import find_authority, search_authorities
from core.db import commit, db
from core.errors import AppError
from core.web import service_error
from councils import forms, permissions, rules, services
from councils.models import AgendaItem, Council, CouncilMember, Meeting, MeetingState, MinutesState
from councils.views import bp


def setup(app) -> None:
    """Hooks this module registers when the blueprint is registered."""
    from core import hooks

    hooks.register(app, "authority_panels", authority_panel)
    hooks.register(app, "nav", nav_links)


# --- hooks ------------------------------------------------------------------------------------------------------


def authority_panel(authority) -> Markup:
    """The councils of an authority, on its page (nothing when it has none)."""
    councils = services.councils_of_authority(authority)
    if not councils:
        return Markup("")
    # render_template's output is escaped by Jinja's autoescape: safe to mark as such.
    return Markup(  # noqa: S704
        render_template("councils/_council_authority_panel.html", authority=authority, councils=councils)
    )


def nav_links() -> list[tuple[str, str]]:
    """The signed-in user's menu: the councils the user serves on (the public list is in every menu)."""
    if services.councils_served_by(current_user):
        return [(_("My councils"), url_for("councils.index", mine=1))]
    return []


# --- helpers ----------------------------------------------------------------------------------------------------


def _forbid_unless(allowed: bool) -> None:
    if not allowed:
        abort(403)


def rules_in_words(council: Council, with_vote: int) -> dict[str, str]:
    """The council's rules as sentences: quorum (with today's numbers), majority, agenda notice."""
    council_rules = rules.Rules.of(council)
    quorum = _(
        "Quorum: %(fraction)s of members with voting rights (%(needed)d of %(total)d)",
        fraction=f"{council.quorum_numerator}/{council.quorum_denominator}",
        needed=rules.quorum_needed(council_rules, with_vote),
        total=with_vote,
    )
    if council.quorum_numerator == council.quorum_denominator:
        quorum = _(
            "Quorum: all members with voting rights (%(needed)d of %(total)d)", needed=with_vote, total=with_vote
        )
    majority = _(
        "Majority: more than %(fraction)s %(base)s",
        fraction=f"{council.majority_numerator}/{council.majority_denominator}",
        base=council.majority_base.label,
    )
    notice = ngettext(
        "Agenda published at least %(num)d day before",
        "Agenda published at least %(num)d days before",
        council.notice_days,
    )
    return {"quorum": quorum, "majority": majority, "notice": notice}


def _decided_items(council: Council) -> list[AgendaItem]:
    """Every agenda item of the council with a decision, newest first."""
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .join(Meeting, AgendaItem.meeting_id == Meeting.id)
            .where(Meeting.council_id == council.id, AgendaItem.decision_text.is_not(None))
            .order_by(Meeting.starts_at.desc(), AgendaItem.position.desc(), AgendaItem.id.desc())
        )
    )


# --- the list ---------------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    args = request.args
    level_value = args.get("level") or ""
    level = services.CouncilLevel(level_value) if level_value in {v.value for v in services.CouncilLevel} else None
    query = (args.get("q") or "").strip()[:100]
    authority_id = args.get("authority", type=int)
    mine = bool(args.get("mine")) and current_user.is_authenticated
    councils = services.list_councils(level=level, query=query, authority_id=authority_id)
    if mine:
        served = {c.id for c in services.councils_served_by(current_user)}
        councils = [c for c in councils if c.id in served]
    groups = []
    for each in services.CouncilLevel:
        in_level = [c for c in councils if services.level_of(c) == each]
        if in_level:
            groups.append((each, in_level))
    return render_template(
        "councils/index.html",
        groups=groups,
        total=len(councils),
        levels=list(services.CouncilLevel),
        level=level,
        query=query,
        mine=mine,
        authority=find_authority(authority_id) if authority_id else None,
        counts=services.serving_counts(councils),
        next_meetings=services.next_meetings(councils),
        can_create=permissions.can_create_council(current_user),
    )


# --- the council page -------------------------------------------------------------------------------------------


@bp.get("/<int:council_id>")
def council(council_id: int):
    item = db.get_or_404(Council, council_id)
    serving = services.serving_members(item)
    composition = services.composition(item)
    meetings = list(item.meetings)
    upcoming = [m for m in meetings if m.state in services.PUBLIC_UPCOMING]
    can_see_unpublished = permissions.can_see_unpublished(current_user, item)
    planned = [m for m in meetings if m.state == MeetingState.PLANNED] if can_see_unpublished else []
    past = sorted((m for m in meetings if m.state == MeetingState.HELD), key=lambda m: m.starts_at, reverse=True)
    return render_template(
        "councils/council.html",
        council=item,
        level=services.level_of(item),
        serving=serving,
        composition=composition,
        rules_text=rules_in_words(item, composition.with_vote),
        upcoming=upcoming,
        planned=planned,
        past=past,
        published_minutes={m.id for m in past if m.minutes is not None and m.minutes.state == MinutesState.PUBLISHED},
        decided=_decided_items(item),
        following=services.is_following(item, current_user),
        can_follow=permissions.can_follow(current_user),
        can_manage=permissions.can_manage_council(current_user, item),
        can_run=permissions.can_run_meetings(current_user, item),
        follow_form=forms.FollowForm(),
    )


# --- creating and editing ---------------------------------------------------------------------------------------


def _council_page(form, item: Council | None, status: int = 200):
    """The council form, with the authority search (GET ``authority_q``) beside it."""
    search = (request.args.get("authority_q") or "").strip()[:100]
    results = search_authorities(search, per_page=20).items if len(search) >= 2 else None
    chosen = None
    if form.authority is not None and form.authority.data:
        chosen = find_authority(form.authority.data)
    return (
        render_template(
            "councils/council_form.html",
            form=form,
            council=item,
            search=search,
            results=results,
            chosen=chosen,
        ),
        status,
    )


def _authority_field_value(authority_value: str):
    """What the service gets for the typed authority: the authority, or the text (the service says it is unknown)."""
    return find_authority(authority_value) or authority_value


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_council():
    _forbid_unless(permissions.can_create_council(current_user))
    if request.method == "POST":
        form = forms.CouncilForm()
    else:
        form = forms.CouncilForm(
            formdata=None,
            authority=(request.args.get("authority") or "").strip()[:64],
            quorum_numerator=2,
            quorum_denominator=3,
            majority_numerator=1,
            majority_denominator=2,
            notice_days=10,
        )
    if request.method != "POST":
        return _council_page(form, None)
    if not form.validate_on_submit():
        return _council_page(form, None, 400)
    fields = form.service_fields()
    try:
        created = services.create_council(
            current_user,
            _authority_field_value(form.authority.data),
            fields.pop("kind"),
            fields.pop("name_kk"),
            fields.pop("name_ru"),
            fields.pop("name_en") or "",
            fields.pop("term_starts_on"),
            term_ends_on=fields.pop("term_ends_on"),
            description=fields.pop("description") or "",
            **fields,
        )
    except AppError as exc:
        return _council_page(form, None, service_error(form, exc))
    commit()
    flash(_("The council is created. Add its members next."), "success")
    return redirect(url_for("councils.members", council_id=created.id))


@bp.route("/<int:council_id>/edit", methods=["GET", "POST"])
@login_required
def edit_council(council_id: int):
    item = db.get_or_404(Council, council_id)
    _forbid_unless(permissions.can_manage_council(current_user, item))
    if request.method == "POST":
        form = forms.CouncilForm()
    else:
        form = forms.CouncilForm(formdata=None, obj=item)
        form.kind.data = item.kind.value
        form.majority_base.data = item.majority_base.value
        form.authority.data = (request.args.get("authority") or "").strip()[:64] or item.authority.key
    if not current_user.is_admin:
        del form.authority  # only an administrator moves a council to another authority
    if request.method != "POST":
        return _council_page(form, item)
    if not form.validate_on_submit():
        return _council_page(form, item, 400)
    fields = form.service_fields()
    fields["name_en"] = fields["name_en"] or ""
    fields["description"] = fields["description"] or ""
    if "authority" in form:
        fields["authority"] = _authority_field_value(form.authority.data)
    try:
        services.update_council(item, current_user, **fields)
    except AppError as exc:
        return _council_page(form, item, service_error(form, exc))
    commit()
    flash(_("The council is saved."), "success")
    return redirect(url_for("councils.council", council_id=item.id))


# --- members ----------------------------------------------------------------------------------------------------


@bp.get("/<int:council_id>/members")
@login_required
def members(council_id: int):
    item = db.get_or_404(Council, council_id)
    _forbid_unless(permissions.can_manage_council(current_user, item))
    return _members_page(item)


def _members_page(item: Council, error: str | None = None, status: int = 200):
    return (
        render_template(
            "councils/members.html",
            council=item,
            members=services.all_members(item),
            today=_today(),
            composition=services.composition(item),
            error=error,
        ),
        status,
    )


def _today():
    from feedback import services as loop

    return loop.today()


def _member_page(form, item: Council, member: CouncilMember | None, status: int = 200):
    return render_template("councils/member_form.html", form=form, council=item, member=member), status


@bp.route("/<int:council_id>/members/new", methods=["GET", "POST"])
@login_required
def new_member(council_id: int):
    item = db.get_or_404(Council, council_id)
    _forbid_unless(permissions.can_manage_council(current_user, item))
    if request.method != "POST":
        form = forms.MemberForm(formdata=None, term_starts_on=_today())
        return _member_page(form, item, None)
    form = forms.MemberForm()
    if not form.validate_on_submit():
        return _member_page(form, item, None, 400)
    fields = form.service_fields()
    try:
        services.add_member(
            item,
            current_user,
            fields.pop("full_name"),
            fields.pop("position"),
            fields.pop("affiliation"),
            fields.pop("term_starts_on"),
            **fields,
        )
    except AppError as exc:
        return _member_page(form, item, None, service_error(form, exc))
    commit()
    flash(_("The member is added."), "success")
    return redirect(url_for("councils.members", council_id=item.id))


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(member_id: int):
    member = db.get_or_404(CouncilMember, member_id)
    item = member.council
    _forbid_unless(permissions.can_manage_council(current_user, item))
    if request.method != "POST":
        form = forms.MemberForm(formdata=None, obj=member)
        form.position.data = member.position.value
        form.affiliation.data = member.affiliation.value
        form.email.data = member.user.email if member.user is not None else ""
        return _member_page(form, item, member)
    form = forms.MemberForm()
    if not form.validate_on_submit():
        return _member_page(form, item, member, 400)
    try:
        services.update_member(member, current_user, **form.service_fields())
    except AppError as exc:
        return _member_page(form, item, member, service_error(form, exc))
    commit()
    flash(_("The member is saved."), "success")
    return redirect(url_for("councils.members", council_id=item.id))


@bp.post("/members/<int:member_id>/end")
@login_required
def end_member(member_id: int):
    member = db.get_or_404(CouncilMember, member_id)
    item = member.council
    _forbid_unless(permissions.can_manage_council(current_user, item))
    form = forms.EndMemberForm()
    if not form.validate_on_submit():
        return _members_page(item, _("Enter the last day as a date, or leave it empty for today."), 400)
    try:
        services.end_membership(member, current_user, on=form.on.data)
    except AppError as exc:
        status = service_error(form, exc)
        return _members_page(item, str(exc.message), status)
    commit()
    flash(
        _("The membership of %(name)s has ended. Their seat stays in the council's history.", name=member.full_name),
        "success",
    )
    return redirect(url_for("councils.members", council_id=item.id))


# --- following --------------------------------------------------------------------------------------------------


@bp.post("/<int:council_id>/follow")
@login_required
def follow(council_id: int):
    item = db.get_or_404(Council, council_id)
    form = forms.FollowForm()
    # Following needs a confirmed address; stopping never does.
    _forbid_unless(permissions.can_follow(current_user) or form.follow.data == "0")
    if not form.validate_on_submit() or form.follow.data not in ("0", "1"):
        abort(400)
    if form.follow.data == "1":
        services.follow(item, current_user)
        message = _("You follow this council: we will email you when it publishes an agenda or minutes.")
    else:
        services.unfollow(item, current_user)
        message = _("You no longer follow this council.")
    commit()
    flash(message, "success")
    return redirect(url_for("councils.council", council_id=item.id))
