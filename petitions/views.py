"""Petition pages: the list, the petition page, filing, signing (public and citizens' side).

Each view follows the house order: load → authorize → validate the form → call one service → commit →
redirect. When the form or the service says no, the page is shown again with the message and everything the
user typed, with a 4xx status and nothing saved.
"""

from __future__ import annotations

import re
import time
from datetime import date
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date, get_locale, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from core.accounts.models import User, public_name
from core.db import commit, db
from core.errors import AppError, Conflict
from core.extensions import limiter
from core.i18n import localized
from core.territories.models import Level, Territory
from core.territories.services import children_of, get_territory, path_of, path_text, search_territories
from core.web import format_day, page_number, service_error
from feedback import services as loop
from feedback.queries import parse_enum
from petitions import forms, hot, limits, permissions, queries, rules, services
from petitions.models import PUBLIC_STATES, Petition, PetitionState, SignatureKind

bp = Blueprint("petitions", __name__, url_prefix="/petitions")


@bp.record_once
def _setup(state) -> None:
    from core import hooks
    from petitions import rules
    from petitions.cli import petitions_cli
    from petitions.jobs import sweep_job

    app = state.app
    rules.configure(app)
    app.cli.add_command(petitions_cli)
    hooks.register(app, "periodic", (sweep_job, app.config["PETITIONS_SWEEP_CRON"]))
    hooks.register(app, "case_origins", _case_origin)
    from petitions.seed import seed_demo_petitions

    hooks.register(app, "seeders", seed_demo_petitions)
    hot.HotPath.install(app)


def _case_origin(case) -> tuple[str, str] | None:
    """The petition a case carries, for the case page's link back."""
    found = services.for_case(case)
    if found is None:
        return None
    count = found.final_count or 0
    return (
        ngettext(
            "Opened by the petition «%(title)s», signed by %(num)d person",
            "Opened by the petition «%(title)s», signed by %(num)d people",
            count,
            title=found.title,
        ),
        url_for("petitions.petition", petition_id=found.id),
    )


# --- small helpers --------------------------------------------------------------------------------------


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _is_author(user, petition: Petition) -> bool:
    return _signed_in(user) and petition.author_id is not None and petition.author_id == user.id


def _load_own(petition_id: int) -> Petition:
    """A petition its author works on: 404 for those who may not see it, 403 for others who may."""
    item = db.get_or_404(Petition, petition_id)
    if not _is_author(current_user, item):
        abort(403 if permissions.can_view_petition(current_user, item) else 404)
    return item


def _public_status(petition: Petition) -> tuple[str, str]:
    """(css key, label) of what the public sees: the petition's state, and once it is a case, the case's."""
    status = queries.status_of(petition)
    if status is not None:
        return status.value, status.label
    return petition.state.value, petition.state.label


def _days_left(petition: Petition, today: date) -> int | None:
    """Calendar days of collection left after today (0: today is the last day); None when not collecting."""
    if petition.state != PetitionState.COLLECTING or petition.closes_on is None:
        return None
    return max(-1, (petition.closes_on - today).days)


def _topic_name(code: str | None) -> str:
    entry = rules.topic(code)
    return entry.name if entry is not None else (code or "")


@bp.context_processor
def _template_helpers() -> dict:
    return {
        "petition_status": _public_status,
        "topic_name": _topic_name,
        "days_left": _days_left,
        "path_text": path_text,
    }


# --- the public list ------------------------------------------------------------------------------------


@bp.get("/")
def index():
    args = request.args
    territory = get_territory((args.get("territory") or "").strip()[:16])
    topic = rules.topic(args.get("topic"))
    filters = queries.Filters(
        status=parse_enum(queries.Status, args.get("status")),
        level=parse_enum(queries.LevelFilter, args.get("level")),
        territory=territory,
        topic=topic.code if topic else None,
        query=(args.get("q") or "").strip()[:100],
        sort=parse_enum(queries.Sort, args.get("sort")) or queries.Sort.SIGNED,
    )
    page = queries.public_petitions(filters, page_number())
    regions = children_of(None)
    return render_template(
        "petitions/index.html",
        page=page,
        filters=filters,
        regions=regions,
        extra_place=territory if territory is not None and territory.level != Level.REGION else None,
        statuses=list(queries.Status),
        levels=list(queries.LevelFilter),
        sorts=list(queries.Sort),
        topics=rules.topics(),
        args={
            "status": filters.status.value if filters.status else None,
            "level": filters.level.value if filters.level else None,
            "territory": territory.code if territory else None,
            "topic": filters.topic,
            "q": filters.query or None,
            "sort": filters.sort.value if filters.sort != queries.Sort.SIGNED else None,
        },
        today=services.today(),
    )


# --- the petition page ----------------------------------------------------------------------------------

#: How many of the latest signers the page names.
RECENT_SIGNERS = 20


def _place_names(codes) -> dict[str, str]:
    """The names (in the current language) of the territories of these codes, in one light query."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    columns = (Territory.code, Territory.name_kk, Territory.name_ru, Territory.name_en)
    return {
        row.code: localized(row) for row in db.session.execute(sa.select(*columns).where(Territory.code.in_(wanted)))
    }


def _public_name(display_name: str | None) -> str | None:
    return public_name(display_name) if display_name else None


def _sign_fix(petition: Petition, user) -> tuple[str, str] | None:
    """Where to go to remove what keeps ``user`` from signing (sign in, confirm, add the IIN, the home place)."""
    here = url_for("petitions.petition", petition_id=petition.id)
    if not services.is_collecting(petition):
        return None
    if not _signed_in(user):
        return _("Sign in"), url_for("accounts.login", next=here)
    if not user.is_verified:
        return _("Go to my profile to confirm my email address"), url_for("accounts.profile")
    if not user.has_iin:
        return _("Add my IIN"), url_for("accounts.iin")
    return _("Change my home place"), url_for("territories.pick", next=here)


# -- the page cache for anonymous readers -----------------------------------------------------------------
#
# A petition going viral is read far more often than it changes. Anonymous readers get the page from a short
# per-process cache (``PETITIONS_PAGE_CACHE_SECONDS``), keyed by language and by what changes the page's
# content (state, listing, case, edits); the signature count in it is not cached: every request reads the
# exact count (one statement) and renders that part afresh.

COUNT_MARKER = "<!--petition-count-->"
PAGE_CACHE_SIZE = 500
COUNT_CACHE_SIZE = 2000
_page_cache: dict[tuple, tuple[float, str, str]] = {}
_count_cache: dict[tuple, str] = {}


def forget_pages() -> None:
    _page_cache.clear()
    _count_cache.clear()


def _cacheable() -> bool:
    return (
        not current_user.is_authenticated
        and "_flashes" not in session
        and not (set(request.args) - {"lang"})
        and float(current_app.config.get("PETITIONS_PAGE_CACHE_SECONDS") or 0) > 0
    )


def _page_key(petition_id: int, locale: str, head: services.PageHead) -> tuple:
    return (petition_id, locale, head.state, head.listed, head.case_id, head.updated_at)


def _count_key(locale: str, head: services.PageHead) -> tuple:
    return (locale, head.counts.online, head.counts.paper, head.threshold)


def _count_html(head: services.PageHead) -> str:
    """The count part for this count, in the request's language (kept: many readers see the same count)."""
    key = _count_key(str(get_locale()), head)
    html = _count_cache.get(key)
    if html is None:
        html = render_template("petitions/_count.html", counts=head.counts, threshold=head.threshold)
        if len(_count_cache) >= COUNT_CACHE_SIZE:
            _count_cache.clear()
        _count_cache[key] = html
    return html


def cached_page(petition_id: int, locale: str, environ: dict, render_count: bool = False) -> str | None:
    """The page in ``locale`` from the cache, with the part for the exact count in it; None when it must be
    rendered in full. The count part is kept too; when it is not, ``render_count`` renders it (in a request),
    else None (the hot path calls this without one). The head read here is left in ``environ``, so that a
    request the hot path hands on does not read it twice."""
    found = environ.get(hot.PAGE_HEAD)
    if found is not None and found[0] == petition_id:
        head = found[1]
    else:
        head = services.page_head(petition_id, outside_transaction=True)
        environ[hot.PAGE_HEAD] = (petition_id, head)
    if head is None or head.state not in PUBLIC_STATES:
        return None
    entry = _page_cache.get(_page_key(petition_id, locale, head))
    if entry is None or entry[0] < time.monotonic():
        return None
    count = _count_html(head) if render_count else _count_cache.get(_count_key(locale, head))
    return None if count is None else entry[1] + count + entry[2]


def _store_page(petition_id: int, html: str) -> str:
    """Keep a freshly rendered page (rendered with the marker where the count goes); the page with the
    count in it."""
    head = services.page_head(petition_id)
    before, _marker, after = html.partition(COUNT_MARKER)
    if head is None or not _marker:
        return html
    if 'name="csrf_token"' in html:  # a form bound to this visitor's session must never be served to another
        return before + _count_html(head) + after
    if len(_page_cache) >= PAGE_CACHE_SIZE:
        _page_cache.clear()
    ttl = float(current_app.config["PETITIONS_PAGE_CACHE_SECONDS"])
    _page_cache[_page_key(petition_id, str(get_locale()), head)] = (time.monotonic() + ttl, before, after)
    return before + _count_html(head) + after


@bp.get("/<int:petition_id>")
def petition(petition_id: int):
    cacheable = _cacheable()
    if cacheable:
        cached = cached_page(petition_id, str(get_locale()), request.environ, render_count=True)
        if cached is not None:
            return cached
    item = db.get_or_404(Petition, petition_id)
    user = current_user
    if not permissions.can_view_petition(user, item):
        abort(404)
    today = services.today()
    author = _is_author(user, item)
    private = permissions.can_view_petition_private(user, item)
    total = services.counts(item.id)
    public = item.is_public
    recent = services.recent_signers(item, limit=RECENT_SIGNERS) if public and total.total else []
    by_region = services.breakdown(item, "region") if public and total.total else []
    by_district = services.breakdown(item, "district") if public and total.total else []
    names = _place_names(
        [code for _n, code, _at in recent] + [code for code, _n in by_region] + [code for code, _n in by_district]
    )

    days: dict[date, str] = {}

    def day(at) -> str:
        """The local date of a signature, formatted once per day (the list holds many of the same day)."""
        local = to_user_timezone(at).date()
        if local not in days:
            days[local] = format_date(local, "medium")
        return days[local]

    def chart_rows(rows):
        return [(names.get(c) or _("Not stated"), n) for c, n in rows]

    mine = services.my_signature(item, user) if _signed_in(user) else None
    collecting = services.is_collecting(item, today)
    problem = (
        None if mine is not None or item.state != PetitionState.COLLECTING else services.signing_problem(item, user)
    )
    case_steps = loop.chain(item.case) if item.case is not None else []
    author_name = None
    if item.author_id is not None:
        author_name = _public_name(db.session.scalar(sa.select(User.display_name).where(User.id == item.author_id)))
    editable = permissions.can_edit_petition(user, item)
    cacheable = cacheable and item.is_public
    html = render_template(
        "petitions/petition.html",
        petition=item,
        today=today,
        counts=total,
        threshold=item.threshold,
        count_marker=COUNT_MARKER if cacheable else None,
        author_name=author_name,
        is_author=author,
        private=private,
        recent=[(name, names.get(code), at, day(at)) for name, code, at in recent],
        by_region=chart_rows(by_region),
        by_district=chart_rows(by_district),
        scope_label=rules.SCOPE_LABELS.get(item.threshold_scope or ""),
        days_left=_days_left(item, today),
        collecting=collecting,
        my_signature=mine,
        sign_form=forms.SignForm() if collecting and mine is None and problem is None else None,
        unsign_form=forms.UnsignForm()
        if collecting and mine is not None and mine.kind == SignatureKind.ONLINE
        else None,
        problem=problem,
        page_notices=[("success", notice)] if (notice := _signed_notice(item, mine)) else [],
        sign_fix=_sign_fix(item, user) if problem else None,
        events=services.timeline(item, private=private and not public),
        case_steps=case_steps,
        top_case=case_steps[-1] if case_steps else item.case,
        final_answer=loop.final_answer(item.case, case_steps) if item.case is not None else None,
        deadline_status=loop.deadline_status,
        reject_reason=rules.reject_reason(item.reject_reason) if private else None,
        editable=editable,
        can_moderate=item.state == PetitionState.PENDING and permissions.can_moderate_petition(user, item),
        can_view_paper=public and permissions.can_view_paper(user, item),
    )
    return _store_page(item.id, html) if cacheable else html


# --- filing ---------------------------------------------------------------------------------------------

#: An HTML tag (the text is plain text with a small Markdown subset; tags would only be shown as text).
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")


def _file_limit() -> str:
    return current_app.config["PETITIONS_FILE_LIMIT"]


def _file_key() -> str:
    """Filing is limited per account (and per address, for a request without one)."""
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else f"ip:{get_remote_address()}"


def _file_first():
    """Why this account cannot start a petition yet, with the way to fix it."""
    return render_template("petitions/file_first.html"), 403


def _ordered_addressees(territory: Territory | None, topic_code: str | None):
    """The addressees for the place: those that decide the topic first (lowest first), then the others."""
    pairs = services.addressees(territory.code, topic_code) if territory is not None else []
    competent = [a for a, decides in pairs if decides]
    others = [a for a, decides in pairs if not decides]
    return competent, others


def _check_typed(form, choices: set[int]) -> None:
    """Clear messages for what the form's own validators say tersely, and no raw HTML in the text."""
    if form.topic.data and rules.topic(form.topic.data) is None:
        form.topic.errors = [_("Choose a topic from the list.")]
    if form.authority.raw_data and (form.authority.data not in choices):
        form.authority.errors = [_("Choose an addressee from the list.")]
    for f in (form.title, form.body):
        if f.data and _TAG.search(f.data):
            f.errors = [
                *f.errors,
                _(
                    "HTML tags such as <script> are not allowed. "
                    "Write plain text; for emphasis use **bold** or *italics*."
                ),
            ]


def _filing_page(item: Petition | None = None):
    """Filing and editing: step 1 chooses the place and the topic (GET, no JavaScript needed), step 2 the
    addressee and the text (POST). Bad input is answered on the page with a 400 and nothing saved."""
    posted = request.method == "POST"
    source = request.form if posted else request.args
    asked = (source.get("territory") or "").strip()[:16]
    territory = get_territory(asked) if asked else None
    unknown_place = bool(asked) and territory is None
    if territory is None:
        territory = item.territory if item is not None else current_user.home_territory
    asked_topic = (source.get("topic") or "").strip()[:32]
    if not asked_topic and not posted and item is not None:
        asked_topic = item.topic
    topic = rules.topic(asked_topic)
    unknown_topic = bool(asked_topic) and topic is None

    if posted:
        form = forms.PetitionForm()
    elif item is not None:
        form = forms.PetitionForm(formdata=None, title=item.title, body=item.body)
    else:
        form = forms.PetitionForm(formdata=None)
    competent, others = _ordered_addressees(territory, topic.code if topic else None)
    by_id = {a.id: a for a in competent + others}
    form.authority.choices = [SelectChoice(a.id, localized(a)) for a in competent + others]
    form.territory.data = territory.code if territory is not None else ""
    if not posted:
        form.topic.data = topic.code if topic else ""
        current = item.authority_id if item is not None else None
        if current not in by_id and by_id:
            current = (competent + others)[0].id  # the lowest that decides the topic
        form.authority.data = current

    status = 200
    if posted:
        valid = form.validate_on_submit()
        _check_typed(form, set(by_id))
        if unknown_place or territory is None:
            status = 400
        elif valid and not form.errors:
            chosen = by_id[form.authority.data]
            args = (territory.code, chosen, form.topic.data, form.title.data, form.body.data)
            try:
                if item is None:
                    item = services.create_draft(current_user, *args)
                else:
                    services.update_draft(item, current_user, *args)
            except AppError as exc:
                status = service_error(form, exc)
            else:
                commit()
                flash(_("Saved. Check how your petition looks, then send it to moderation."), "success")
                return redirect(url_for("petitions.preview", petition_id=item.id))
        else:
            status = 400
    elif unknown_place or unknown_topic:
        status = 400

    endpoint_args = {"petition_id": item.id} if item is not None else {}
    search = (request.args.get("q") or "").strip()[:100]
    return (
        render_template(
            "petitions/new.html",
            form=form,
            petition=item,
            action=url_for("petitions.edit", **endpoint_args) if item is not None else url_for("petitions.new"),
            endpoint="petitions.edit" if item is not None else "petitions.new",
            endpoint_args=endpoint_args,
            territory=territory,
            territory_path=path_of(territory) if territory is not None else [],
            topic=topic,
            topics=rules.topics(),
            unknown_place=unknown_place,
            unknown_topic=unknown_topic,
            show_text=posted or (territory is not None and topic is not None),
            competent_ids={a.id for a in competent},
            authorities=by_id,
            is_home=territory is not None and territory.code == current_user.home_territory_code,
            search=search,
            results=search_territories(search) if len(search) >= 2 else None,
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_file_limit, key_func=_file_key, methods=["POST"])
@login_required
def new():
    if not permissions.can_file_petition(current_user):
        return _file_first()
    return _filing_page()


@bp.route("/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id: int):
    item = _load_own(petition_id)
    if not item.is_editable:
        raise Conflict(_("A published petition can no longer be changed."))
    return _filing_page(item)


def _preview_page(item: Petition, status: int = 200, **bound):
    sendable = item.state in (PetitionState.DRAFT, PetitionState.RETURNED)
    return (
        render_template(
            "petitions/preview.html",
            petition=item,
            similar=services.similar(item.title, item.body, exclude_id=item.id),
            excluded=rules.excluded_topics(),
            submit_form=bound.get("submit_form") or (forms.SubmitForm(formdata=None) if sendable else None),
            withdraw_form=bound.get("withdraw_form")
            or (forms.WithdrawForm(formdata=None) if item.is_editable else None),
            moderation_days=rules.moderation_days(),
        ),
        status,
    )


@bp.get("/<int:petition_id>/preview")
@login_required
def preview(petition_id: int):
    return _preview_page(_load_own(petition_id))


@bp.post("/<int:petition_id>/submit")
@login_required
def submit(petition_id: int):
    item = _load_own(petition_id)
    form = forms.SubmitForm()
    if not form.validate_on_submit():
        return _preview_page(item, 400, submit_form=form)
    try:
        services.submit(item, current_user, acknowledged=form.acknowledge.data)
    except AppError as exc:
        return _preview_page(item, service_error(form, exc), submit_form=form)
    commit()
    flash(
        _(
            "Your petition is sent to moderation. The moderators decide by %(date)s.",
            date=format_day(item.moderation_due_on),
        ),
        "success",
    )
    return redirect(url_for("petitions.petition", petition_id=item.id))


@bp.post("/<int:petition_id>/withdraw")
@login_required
def withdraw(petition_id: int):
    item = _load_own(petition_id)
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        return _preview_page(item, 400, withdraw_form=form)
    try:
        services.withdraw(item, current_user)
    except AppError as exc:
        return _preview_page(item, service_error(form, exc), withdraw_form=form)
    commit()
    flash(_("Your petition is withdrawn."), "success")
    return redirect(url_for("petitions.petition", petition_id=item.id))


# --- my petitions ---------------------------------------------------------------------------------------


@bp.get("/mine")
@login_required
def mine():
    own = services.by_user(current_user)
    signed = services.signed_by(current_user)
    return render_template(
        "petitions/mine.html",
        own=own,
        signed=signed,
        counts=services.counts_for({p.id for p in own} | {p.id for p in signed}),
        today=services.today(),
        reject_reason=rules.reject_reason,
    )


# --- signing --------------------------------------------------------------------------------------------


def _within_sign_limits(view):
    """The rate limits of signing (``petitions.limits``), counted here unless the hot path already did."""

    @wraps(view)
    def limited(*args, **kwargs):
        within = request.environ.get(hot.LIMITS_COUNTED)
        if within is None:
            account = current_user.get_id() if current_user.is_authenticated else None
            within = limits.sign_allowed(current_app._get_current_object(), account, get_remote_address())
        if not within:
            abort(429)
        return view(*args, **kwargs)

    return limited


def _back_to(petition_id: int, **args):
    return redirect(url_for("petitions.petition", petition_id=petition_id, **args) + "#sign")


@bp.post("/<int:petition_id>/sign")
@_within_sign_limits
@login_required
def sign(petition_id: int):
    """Sign, when the hot path (``petitions.hot``) did not: two statements and a commit
    (``services.sign_once``); then, only where it can matter, a second unit of work lists the petition or hands
    it over into the loop. Success lands on the petition's page with ``?signed=``, which thanks the signer there
    (as the hot path's answer does)."""
    form = forms.SignForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please sign again."), "error")
        return _back_to(petition_id)
    try:
        signed = services.sign_once(petition_id, current_user)
    except services.AlreadySigned as exc:
        db.session.rollback()
        flash(str(exc.message), "info")
        return _back_to(petition_id)
    except AppError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _back_to(petition_id)
    commit()
    reached = False
    if signed.check_needed:
        outcome = services.after_signing(petition_id)
        reached = outcome.reached is not None
        if outcome.listed or reached:
            commit()
        else:
            db.session.rollback()  # ends the read-only check's transaction
    return _back_to(petition_id, signed="reached" if reached else 1)


def _signed_notice(petition: Petition, mine) -> str | None:
    """The thanks after signing (``?signed=`` on the page), only to someone who has signed it."""
    asked = request.args.get("signed")
    if not asked or mine is None:
        return None
    if asked == "reached" and petition.state == PetitionState.REACHED:
        return _("Thank you! Your signature made the petition reach its threshold: it is now sent to the authority.")
    return _("Thank you, your signature is counted.")


@bp.post("/<int:petition_id>/unsign")
@login_required
def unsign(petition_id: int):
    petition = db.get_or_404(Petition, petition_id)
    form = forms.UnsignForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return _back_to(petition_id)
    try:
        services.unsign(petition, current_user)
    except AppError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _back_to(petition_id)
    commit()
    flash(_("Your signature is withdrawn."), "success")
    return _back_to(petition_id)
