"""Petition pages: the list, the petition page, filing, signing (public and citizens' side)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from core.db import commit, db
from core.errors import AppError
from core.extensions import limiter
from petitions import forms, services
from petitions.models import Petition

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


@bp.get("/<int:petition_id>")
def petition(petition_id: int):
    """The petition page (placeholder until the page lands)."""
    item = db.get_or_404(Petition, petition_id)
    return f"{item.title} {services.counts(item.id).total}"


def _sign_key() -> str:
    """Rate limits of signing count per account (and separately per address)."""
    from flask_login import current_user

    return f"user:{current_user.get_id()}" if current_user.is_authenticated else f"ip:{get_remote_address()}"


def _sign_limit() -> str:
    return current_app.config["PETITIONS_SIGN_LIMIT"]


def _sign_ip_limit() -> str:
    return current_app.config["PETITIONS_SIGN_IP_LIMIT"]


def _back_to(petition_id: int):
    return redirect(url_for("petitions.petition", petition_id=petition_id) + "#sign")


@bp.post("/<int:petition_id>/sign")
@limiter.limit(_sign_limit, key_func=_sign_key)
@limiter.limit(_sign_ip_limit)
@login_required
def sign(petition_id: int):
    """Sign: the hot path. Load, check, one signature row and one tally row, commit; then (in a second unit
    of work) list the petition or hand it over into the loop if this signature made the difference."""
    petition = db.get_or_404(Petition, petition_id)
    form = forms.SignForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please sign again."), "error")
        return _back_to(petition_id)
    try:
        services.sign(petition, current_user)
    except services.AlreadySigned as exc:
        db.session.rollback()
        flash(str(exc.message), "info")
        return _back_to(petition_id)
    except AppError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _back_to(petition_id)
    commit()
    outcome = services.after_signing(petition_id)
    if outcome.listed or outcome.reached is not None:
        commit()
    if outcome.reached is not None:
        flash(
            _("Thank you! Your signature made the petition reach its threshold: it is now sent to the authority."),
            "success",
        )
    else:
        flash(_("Thank you, your signature is counted."), "success")
    return _back_to(petition_id)


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
