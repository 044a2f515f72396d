"""Home page and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from core.db import db

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    from core.authorities.models import Authority
    from core.authorities.services import authority_for_territory
    from core.territories.models import Territory

    stats = {
        "territories": db.session.scalar(sa.select(sa.func.count()).select_from(Territory)) or 0,
        "authorities": db.session.scalar(sa.select(sa.func.count()).select_from(Authority)) or 0,
    }
    ladder = []
    if current_user.is_authenticated and current_user.home_territory_code:
        first = authority_for_territory(current_user.home_territory_code)
        ladder = first.ladder() if first is not None else []
    return render_template("core/home.html", stats=stats, ladder=ladder)


@bp.get("/healthz")
def health():
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok")
