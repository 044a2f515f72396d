"""Territory pages, the step-by-step territory picker and its small JSON API."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core.i18n import localized
from core.security import safe_next
from core.territories.forms import PlaceSearchForm
from core.territories.models import Level
from core.territories.services import (
    children_of,
    get_territory,
    path_of,
    search_territories,
)

bp = Blueprint("territories", __name__)

MIN_QUERY = 2
API_LIMIT = 20
LEVEL_LABELS = {
    Level.REGION: _l("Region or city of republican significance"),
    Level.DISTRICT: _l("District or city"),
    Level.RURAL_DISTRICT: _l("Rural district or town"),
    Level.SETTLEMENT: _l("Settlement"),
}


@bp.app_context_processor
def _territory_helpers():
    return {"territory_level_label": lambda level: str(LEVEL_LABELS.get(level, ""))}


def _search(form: PlaceSearchForm):
    """The query and its results, if the search box holds enough text."""
    query = (form.q.data or "").strip() if form.validate() else ""
    if len(query) < MIN_QUERY:
        return query, None
    return query, search_territories(query)


@bp.get("/territories/")
def index():
    form = PlaceSearchForm(formdata=request.args)
    query, results = _search(form)
    return render_template(
        "core/territories/index.html", regions=children_of(None), form=form, query=query, results=results
    )


@bp.get("/territories/<code>")
def detail(code: str):
    from core.authorities.services import authorities_of_territory, authority_for_territory

    territory = get_territory(code)
    if territory is None:
        abort(404)
    authorities = authorities_of_territory(territory.code)
    responsible = None if authorities else authority_for_territory(territory.code)
    return render_template(
        "core/territories/detail.html",
        territory=territory,
        ancestors=territory.ancestors(),
        children=children_of(territory.code),
        authorities=authorities,
        responsible=responsible,
    )


@bp.get("/territories/pick")
def pick():
    code = request.args.get("code") or None
    current = None
    if code:
        current = get_territory(code)
        if current is None:
            abort(404)
    next_url = safe_next(request.args.get("next"), default=url_for("accounts.profile"))
    purpose = (request.args.get("purpose") or "")[:40] or None
    form = PlaceSearchForm(formdata=request.args)
    query, results = _search(form)
    children = children_of(current.code if current else None)
    can_choose = current is not None and (current.level >= Level.RURAL_DISTRICT or not children)

    def step_url(step_code: str | None = None) -> str:
        return url_for("territories.pick", code=step_code, next=next_url, purpose=purpose)

    return render_template(
        "core/territories/pick.html",
        current=current,
        path=path_of(current) if current else [],
        children=children,
        can_choose=can_choose,
        choose_url=url_for("accounts.set_home_territory"),
        next_url=next_url,
        purpose=purpose,
        form=form,
        query=query,
        results=results,
        step_url=step_url,
        min_query=MIN_QUERY,
    )


@bp.get("/api/v1/territories")
def api_search():
    query = (request.args.get("q") or "").strip()[:100]
    min_level = request.args.get("min_level", type=int)
    results = search_territories(query, limit=API_LIMIT, min_level=min_level) if len(query) >= MIN_QUERY else []
    return jsonify(
        query=query,
        results=[{"code": r.code, "name": r.name, "level": r.level, "path": r.path} for r in results],
    )


@bp.get("/api/v1/territories/<code>")
def api_detail(code: str):
    territory = get_territory(code)
    if territory is None:
        abort(404)
    return jsonify(
        code=territory.code,
        name=localized(territory),
        names={"kk": territory.name_kk, "ru": territory.name_ru, "en": territory.name_en or ""},
        level=territory.level,
        parent_code=territory.parent_code,
        population=territory.population,
        path=[{"code": t.code, "name": localized(t)} for t in territory.ancestors()],
        children=[{"code": c.code, "name": localized(c), "level": c.level} for c in children_of(territory.code)],
    )
