"""Authority pages: the directory of the top of the ladder, and one authority with its ladder."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import (
    INDEX_KINDS,
    KIND_ORDER,
    authorities_below,
    officers_of,
    search_authorities,
)
from core.db import db
from core.i18n import current_language

bp = Blueprint("authorities", __name__, url_prefix="/authorities")

PER_PAGE = 30


@bp.get("/")
def index():
    kind_value = request.args.get("kind") or ""
    kind = AuthorityKind(kind_value) if kind_value in {k.value for k in AuthorityKind} else None
    query = (request.args.get("q") or "").strip()[:100]
    page_number = request.args.get("page", 1, type=int)
    name_field = f"name_{current_language()}" if current_language() in ("kk", "ru") else "name_ru"
    page = search_authorities(
        query,
        kinds=(kind,) if kind else INDEX_KINDS,
        page=page_number,
        per_page=PER_PAGE,
        name_field=name_field,
    )
    return render_template(
        "core/authorities/index.html",
        page=page,
        kind=kind,
        kinds=KIND_ORDER,
        query=query,
    )


@bp.get("/<int:id>")
def detail(id: int):
    from core import hooks
    from core.accounts.models import Role

    authority = db.get_or_404(Authority, id)
    return render_template(
        "core/authorities/detail.html",
        authority=authority,
        above=authority.ladder()[1:],
        below=authorities_below(authority),
        heads=officers_of(authority, roles=(Role.HEAD,)),
        officers=officers_of(authority, roles=(Role.OFFICER,)),
        panels=[panel(authority) for panel in hooks.get("authority_panels")],
    )
