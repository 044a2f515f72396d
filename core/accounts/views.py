"""Account pages (``/account``) and the user administration (``/admin``)."""

from __future__ import annotations

import json
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from core import audit as audit_log
from core.accounts import forms, permissions, services
from core.accounts.models import RoleGrant, User
from core.audit import AuditEntry
from core.db import commit, db
from core.errors import AppError, NotFound
from core.extensions import limiter
from core.security import safe_next

bp = Blueprint("accounts", __name__, url_prefix="/account")
admin_bp = Blueprint("accounts_admin", __name__, url_prefix="/admin")

USERS_PER_PAGE = 25
AUDIT_PER_PAGE = 50


def auth_limit():
    return current_app.config["RATELIMIT_AUTH"]


def _form_error(form, field_name: str, error: AppError) -> None:
    form[field_name].errors = [*form[field_name].errors, str(error.message)]


# --- registration and sign-in -------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = forms.RegisterForm()
    if request.method == "GET":
        form.locale.data = _current_language()
    if form.validate_on_submit():
        try:
            user = services.register(form.email.data, form.password.data, form.display_name.data, form.locale.data)
        except (services.EmailTaken, services.InvalidEmail) as exc:
            db.session.rollback()
            _form_error(form, "email", exc)
        except services.WeakPassword as exc:
            db.session.rollback()
            _form_error(form, "password", exc)
        else:
            commit()
            login_user(user)
            flash(_("Welcome! We sent a confirmation link to %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("core/accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def login():
    next_url = safe_next(request.values.get("next"), default=url_for("accounts.profile"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = forms.LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except (services.LoginFailed, services.AccountDisabled) as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            commit()
            login_user(user, remember=bool(form.remember.data))
            flash(_("You are signed in."), "success")
            return redirect(next_url)
    status = 200 if error is None else 401
    return render_template("core/accounts/login.html", form=form, error=error, next=next_url), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("pages.home"))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str):
    # A GET only shows the button: mail scanners open links, and must not confirm for the user.
    user = services.user_for_verification(token)
    form = forms.ConfirmEmailForm()
    if form.validate_on_submit():
        services.verify_email(token)
        commit()
        flash(_("Thank you, your email address is confirmed."), "success")
        if current_user.is_authenticated:
            return redirect(url_for("accounts.profile"))
        return redirect(url_for("accounts.login"))
    return render_template("core/accounts/verify.html", form=form, user=user, token=token)


@bp.post("/verify/resend")
@login_required
def resend_verification():
    form = forms.ResendVerificationForm()
    if not form.validate_on_submit():
        abort(400)
    if services.resend_verification(current_user):
        commit()
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "success")
    else:
        flash(_("Your email address is already confirmed."), "info")
    return redirect(url_for("accounts.profile"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def request_reset():
    form = forms.ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        commit()
        flash(
            _(
                "If an account exists for %(email)s, we have sent it a link to set a new password. "
                "Please check your mail.",
                email=form.email.data.strip(),
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("core/accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset(token)
    form = forms.ResetPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.WeakPassword as exc:
            _form_error(form, "password", exc)
        else:
            commit()
            logout_user()
            flash(_("Your password has been changed. Please sign in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("core/accounts/reset_password.html", form=form, user=user)


# --- profile ------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = forms.ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.locale.data)
        commit()
        session["lang"] = current_user.locale
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    territory = current_user.home_territory
    return render_template(
        "core/accounts/profile.html",
        form=form,
        user=current_user,
        territory=territory,
        territory_path=[*territory.ancestors(), territory] if territory else [],
        resend_form=forms.ResendVerificationForm(),
        grants=sorted(current_user.grants, key=lambda g: (g.role.value, g.authority_id or 0)),
        role_labels=forms.ROLE_LABELS,
    )


@bp.route("/iin", methods=["GET", "POST"])
@login_required
def iin():
    form = forms.IINForm()
    if not current_user.has_iin and form.validate_on_submit():
        try:
            services.set_iin(current_user, form.iin.data)
        except (services.InvalidIIN, services.IINTaken) as exc:
            db.session.rollback()
            _form_error(form, "iin", exc)
        else:
            commit()
            flash(_("Your IIN has been added."), "success")
            return redirect(url_for("accounts.profile"))
    form.iin.data = ""  # never echo an IIN back
    return render_template("core/accounts/iin.html", form=form, user=current_user)


@bp.post("/home-territory")
@login_required
def set_home_territory():
    form = forms.HomeTerritoryForm()
    if not form.validate_on_submit():
        flash(_("Please choose a place."), "error")
        return redirect(url_for("accounts.profile"))
    try:
        services.set_home_territory(current_user, form.territory_code.data)
    except AppError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.profile"))
    commit()
    flash(_("Your home place has been saved."), "success")
    return redirect(safe_next(request.form.get("next"), default=url_for("accounts.profile")))


def _current_language() -> str:
    from core.i18n import current_language

    return current_language()


# --- administration -----------------------------------------------------------------------


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not permissions.can_manage_users(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@admin_bp.get("/users")
@admin_required
def users():
    search = request.args.get("q", "").strip()
    number = max(request.args.get("page", 1, type=int), 1)
    page = db.paginate(services.users_query(search), page=number, per_page=USERS_PER_PAGE, error_out=False)
    return render_template("core/admin/users.html", page=page, search=search, role_labels=forms.ROLE_LABELS)


def _new_user_field(exc: AppError) -> str:
    """The form field a service error belongs to."""
    if isinstance(exc, services.InvalidEmail | services.EmailTaken):
        return "email"
    if isinstance(exc, services.WeakPassword):
        return "password"
    if isinstance(exc, services.InvalidRole | NotFound):
        return "authority"
    return "display_name"


@admin_bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = forms.NewUserForm()
    if not form.validate_on_submit():
        return render_template("core/admin/new_user.html", form=form), 400 if form.is_submitted() else 200
    key = (form.authority.data or "").strip()
    try:
        authority = services.find_authority(key) if key else None
        if authority is not None and not form.role.data:
            raise services.InvalidRole(_("Choose an officer or head role to tie the user to an authority."))
        user = services.create_user(
            form.email.data,
            form.password.data,
            form.display_name.data,
            form.locale.data,
            verified=bool(form.verified.data),
            actor=current_user,
        )
        if form.role.data:
            services.grant_role(user, form.role.data, authority, actor=current_user)
    except AppError as exc:
        db.session.rollback()  # nothing of this unit of work is kept: no user, no grant, no audit row
        _form_error(form, _new_user_field(exc), exc)
        return render_template("core/admin/new_user.html", form=form), 400
    commit()
    flash(_("The account for %(email)s was created.", email=user.email), "success")
    return redirect(url_for("accounts_admin.user", user_id=user.id))


def _user_page(user: User, grant_form=None, status: int = 200):
    authority_query = request.args.get("aq", "").strip()
    return (
        render_template(
            "core/admin/user.html",
            user=user,
            grant_form=grant_form or forms.GrantRoleForm(),
            revoke_form=forms.RevokeRoleForm(),
            active_form=forms.ActiveForm(),
            authority_query=authority_query,
            authorities=services.search_authorities(authority_query),
            role_labels=forms.ROLE_LABELS,
            can_change_active=permissions.can_change_active(current_user, user),
        ),
        status,
    )


@admin_bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _user_page(db.get_or_404(User, user_id))


@admin_bp.post("/users/<int:user_id>/grant")
@admin_required
def grant(user_id: int):
    target = db.get_or_404(User, user_id)
    form = forms.GrantRoleForm()
    if not form.validate_on_submit():
        return _user_page(target, form, 400)
    key = (form.authority.data or "").strip()
    authority = services.find_authority(key) if key else None
    services.grant_role(target, form.role.data, authority, actor=current_user)
    commit()
    flash(_("Role granted."), "success")
    return redirect(url_for("accounts_admin.user", user_id=target.id))


@admin_bp.post("/users/<int:user_id>/revoke")
@admin_required
def revoke(user_id: int):
    target = db.get_or_404(User, user_id)
    form = forms.RevokeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    grant = db.session.get(RoleGrant, form.grant_id.data) if form.grant_id.data.isdigit() else None
    if grant is None or grant.user_id != target.id:
        abort(404)
    services.revoke_role(target, grant.role, grant.authority_id, actor=current_user)
    commit()
    flash(_("Role revoked."), "success")
    return redirect(url_for("accounts_admin.user", user_id=target.id))


@admin_bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    target = db.get_or_404(User, user_id)
    if not permissions.can_change_active(current_user, target):
        abort(403)
    form = forms.ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    services.set_active(target, form.active.data == "1", actor=current_user)
    commit()
    flash(_("Account activated.") if target.active else _("Account deactivated."), "success")
    return redirect(url_for("accounts_admin.user", user_id=target.id))


# --- audit log ----------------------------------------------------------------------------

#: ``core.audit.verify`` explains a break in English for the CLI; the page shows it translated.
BROKEN_REASONS = {
    "previous-hash link does not match the row before it": _l(
        "the link to the previous row does not match the row before it"
    ),
    "row content does not match its hash": _l("the content of the row does not match its hash"),
}


def _detail_items(entry: AuditEntry) -> list[tuple[str, str]] | str:
    """The details as ``(key, value)`` pairs; the raw text when it is not a JSON object."""
    try:
        details = json.loads(entry.details or "{}")
    except ValueError:
        return entry.details
    if not isinstance(details, dict):
        return entry.details
    return [
        (key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in sorted(details.items())
    ]


@admin_bp.get("/audit")
@admin_required
def audit():
    action = request.args.get("action", "").strip()
    actor_email = request.args.get("actor", "").strip()
    number = max(request.args.get("page", 1, type=int), 1)
    checked, broken = audit_log.verify()
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_email:
        stmt = stmt.join(User, User.id == AuditEntry.actor_id).where(User.email.ilike(f"%{actor_email}%"))
    page = db.paginate(stmt, page=number, per_page=AUDIT_PER_PAGE, error_out=False)
    actor_ids = {e.actor_id for e in page.items if e.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return render_template(
        "core/admin/audit.html",
        page=page,
        actors=actors,
        details={e.id: _detail_items(e) for e in page.items},
        actions=db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all(),
        action=action,
        actor_email=actor_email,
        checked=checked,
        broken=broken,
        broken_reason=BROKEN_REASONS.get(broken.reason, broken.reason) if broken else None,
    )
