"""Open data of petitions: the JSON API, the Atom feed of new and answered petitions, the CSV export of one
petition's public figures.

Everything here is public and read-only, and follows the loop's open data (``feedback.api``): the same
shapes for authorities and answers, the same error JSON on ``/api/`` paths, the same CSV guard. Signers
appear only as counts (in total, and by region and district): no name, no email, no account, no IIN hash
leaves through these routes.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_babel import gettext as _

from core.db import db
from core.errors import AppError
from core.territories.models import Territory
from feedback import services as loop
from feedback.api import _answer_json, _csv_text, _int_arg, _iso, _open_data_headers, authority_json, case_url
from petitions import chart, queries, rules, services
from petitions.models import Petition

bp = Blueprint("petitions_api", __name__)
bp.after_request(_open_data_headers)
bp.add_app_template_global(chart.signatures_chart, "petition_chart")

Q_MAX = 200
PAGE_MAX = 100_000
FEED_ENTRIES = 50
SUMMARY_CHARS = 400
ATOM = "http://www.w3.org/2005/Atom"


# -- shapes ---------------------------------------------------------------------------------------------


def petition_url(petition_id: int) -> str:
    return url_for("petitions.petition", petition_id=petition_id, _external=True)


def territory_json(territory: Territory | None, code: str | None = None) -> dict:
    if territory is None:
        return {"code": code, "name_kk": None, "name_ru": None, "name_en": None}
    return {
        "code": territory.code,
        "name_kk": territory.name_kk,
        "name_ru": territory.name_ru,
        "name_en": territory.name_en or None,
    }


def topic_json(code: str) -> dict:
    entry = rules.topic(code)
    return {"code": code, "name": dict(entry.names) if entry is not None else None}


def _case_json(petition: Petition) -> dict | None:
    case = petition.case
    if case is None:
        return None
    return {
        "id": case.id,
        "state": case.state.value,
        "due_on": _iso(case.due_on),
        "answered_at": _iso(case.answered_at),
        "url": case_url(case.id),
        "api_url": url_for("feedback_api.case_detail", case_id=case.id, _external=True),
    }


def petition_json(petition: Petition, counts: services.Counts) -> dict:
    """A petition as the list shows it."""
    status = queries.status_of(petition)
    return {
        "id": petition.id,
        "title": petition.title,
        "state": petition.state.value,
        "status": status.value if status is not None else None,
        "topic": topic_json(petition.topic),
        "territory": territory_json(petition.territory, petition.territory_code),
        "authority": authority_json(petition.authority),
        "signatures": {"online": counts.online, "paper": counts.paper, "total": counts.total},
        "threshold": petition.threshold,
        "initial_supporters": petition.initial_supporters,
        "published_at": _iso(petition.published_at),
        "closes_on": _iso(petition.closes_on),
        "listed_at": _iso(petition.listed_at),
        "reached_at": _iso(petition.reached_at),
        "case": _case_json(petition),
        "url": petition_url(petition.id),
        "api_url": url_for("petitions_api.petition_detail", petition_id=petition.id, _external=True),
    }


def breakdown_rows(petition: Petition, by: str) -> list[tuple[str | None, Territory | None, int]]:
    """Signatures per region (or district), most first, with each territory (None where unknown)."""
    rows = services.breakdown(petition, by)
    codes = [code for code, _n in rows if code]
    places = (
        {t.code: t for t in db.session.scalars(sa.select(Territory).where(Territory.code.in_(codes))).unique()}
        if codes
        else {}
    )
    return [(code, places.get(code) if code else None, n) for code, n in rows]


def _answer(petition: Petition) -> dict | None:
    """The answer that counts: the one given highest up the case's chain."""
    if petition.case is None:
        return None
    steps = loop.chain(petition.case)
    final = loop.final_answer(petition.case, steps)
    if final is None:
        return None
    return {**_answer_json(final), "authority": authority_json(final.case.authority)}


def petition_detail_json(petition: Petition) -> dict:
    counts = services.counts(petition.id)
    return {
        **petition_json(petition, counts),
        "body": petition.body,
        "body_html": petition.body_html,
        "threshold_basis": {"scope": petition.threshold_scope, "population": petition.threshold_population},
        "timeline": [
            {"kind": e.kind.value, "label": e.kind.label, "at": _iso(e.at), "count": e.count}
            for e in services.timeline(petition)
        ],
        "by_region": [
            {**territory_json(place, code), "count": n} for code, place, n in breakdown_rows(petition, "region")
        ],
        "by_district": [
            {**territory_json(place, code), "count": n} for code, place, n in breakdown_rows(petition, "district")
        ],
        "answer": _answer(petition),
        "links": {
            "csv": url_for("petitions_api.export_petition", petition_id=petition.id, _external=True),
            "feed": url_for("petitions_api.feed", _external=True),
        },
    }


def public_petition_or_404(petition_id: int) -> Petition:
    """A petition the public may see: collecting (listed or not: it is reachable by its link), reached or
    not reached."""
    petition = db.session.get(Petition, petition_id)
    if petition is None or not petition.is_public:
        abort(404)
    return petition


# -- JSON -----------------------------------------------------------------------------------------------


def _choice(cls, name: str):
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return cls(raw)
    except ValueError:
        raise AppError(
            _(
                "Unknown %(name)s: %(value)s. Use one of: %(choices)s.",
                name=name,
                value=raw[:40],
                choices=", ".join(c.value for c in cls),
            )
        ) from None


def _bounded(name: str, default: int, maximum: int) -> int:
    value = _int_arg(name, default)
    if not 1 <= value <= maximum:
        raise AppError(_("%(name)s must be between 1 and %(max)d.", name=name, max=maximum))
    return value


def filters_from_args() -> queries.Filters:
    """The list's filters from the query string; a bad value is a 400 with a message saying which."""
    territory = None
    code = (request.args.get("territory") or "").strip()
    if code:
        territory = db.session.get(Territory, code) if code.isdigit() and len(code) <= 9 else None
        if territory is None:
            raise AppError(_("Unknown territory: %(code)s. Use a KATO code.", code=code[:40]))
    topic = (request.args.get("topic") or "").strip()
    if topic and rules.topic(topic) is None:
        raise AppError(_("Unknown topic: %(topic)s.", topic=topic[:40]))
    query = (request.args.get("q") or "").strip()
    if len(query) > Q_MAX:
        raise AppError(_("The search text is too long (at most %(max)d characters).", max=Q_MAX))
    return queries.Filters(
        status=_choice(queries.Status, "status"),
        level=_choice(queries.LevelFilter, "level"),
        territory=territory,
        topic=topic or None,
        query=query,
        sort=_choice(queries.Sort, "sort") or queries.Sort.SIGNED,
    )


def _filter_args(filters: queries.Filters) -> dict:
    args = {
        "status": filters.status.value if filters.status else None,
        "level": filters.level.value if filters.level else None,
        "territory": filters.territory.code if filters.territory else None,
        "topic": filters.topic,
        "q": filters.query or None,
        "sort": filters.sort.value if filters.sort != queries.Sort.SIGNED else None,
    }
    return {k: v for k, v in args.items() if v}


@bp.get("/api/v1/petitions")
def petition_list():
    filters = filters_from_args()
    page = _bounded("page", 1, PAGE_MAX)
    per_page = _bounded("per_page", queries.PER_PAGE, queries.PER_PAGE_MAX)
    result = queries.public_petitions(filters, page=page, per_page=per_page)
    args = _filter_args(filters)

    def page_url(n: int) -> str:
        return url_for("petitions_api.petition_list", page=n, per_page=per_page, _external=True, **args)

    return jsonify(
        items=[petition_json(p, result.counts[p.id]) for p in result.items],
        page=result.page,
        per_page=result.per_page,
        total=result.total,
        pages=result.pages,
        next=page_url(page + 1) if result.has_next else None,
        prev=page_url(page - 1) if result.has_prev else None,
    )


@bp.get("/api/v1/petitions/<int:petition_id>")
def petition_detail(petition_id: int):
    return jsonify(petition_detail_json(public_petition_or_404(petition_id)))


# -- Atom -----------------------------------------------------------------------------------------------


def rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _entry(feed: ET.Element, kind: str, petition: Petition) -> None:
    url = petition_url(petition.id)
    if kind == "answered":
        title = _("Answered: %(title)s", title=petition.title)
        updated = petition.case.answered_at
        answer = petition.case.answer
        summary = f"{answer.decision.label}. {_shorten(answer.text)}" if answer is not None else ""
    else:
        title = _("New petition: %(title)s", title=petition.title)
        updated = petition.listed_at
        summary = _shorten(petition.body)
    entry = ET.SubElement(feed, "entry")
    ET.SubElement(entry, "id").text = f"{url}#{'answered' if kind == 'answered' else 'listed'}"
    ET.SubElement(entry, "title").text = title
    ET.SubElement(entry, "updated").text = rfc3339(updated)
    if petition.published_at is not None:
        ET.SubElement(entry, "published").text = rfc3339(petition.published_at)
    ET.SubElement(entry, "link", rel="alternate", type="text/html", href=url)
    ET.SubElement(
        entry,
        "link",
        rel="related",
        type="application/json",
        href=url_for("petitions_api.petition_detail", petition_id=petition.id, _external=True),
    )
    topic = rules.topic(petition.topic)
    if topic is not None:
        ET.SubElement(entry, "category", term=topic.code, label=topic.name)
    ET.SubElement(entry, "summary", type="text").text = summary


def atom_feed(items: list[tuple[str, Petition]]) -> bytes:
    """The Atom 1.0 document (ElementTree escapes every text and attribute)."""
    feed = ET.Element("feed", xmlns=ATOM)
    self_url = url_for("petitions_api.feed", _external=True)
    ET.SubElement(feed, "id").text = self_url
    ET.SubElement(feed, "title").text = _("Tyndau: new and answered petitions")
    ET.SubElement(feed, "subtitle").text = _(
        "Petitions newly listed for signing, and petitions the authorities have answered."
    )
    stamps = [p.case.answered_at if kind == "answered" else p.listed_at for kind, p in items]
    ET.SubElement(feed, "updated").text = rfc3339(max(stamps) if stamps else datetime.now(UTC))
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=url_for("petitions.index", _external=True))
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = "Tyndau"
    ET.SubElement(feed, "generator").text = "Tyndau"
    for kind, petition in items:
        _entry(feed, kind, petition)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@bp.get("/petitions/feed.atom")
def feed():
    return Response(
        atom_feed(queries.feed_items(FEED_ENTRIES)),
        headers={"Content-Type": "application/atom+xml; charset=utf-8"},
    )


# -- CSV ------------------------------------------------------------------------------------------------


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _csv_text(value)
    return str(value)


def petition_csv(petition: Petition) -> str:
    """A header block of the petition's public facts, a blank line, then signatures by region and district."""
    counts = services.counts(petition.id)
    authority = petition.authority
    territory = petition.territory
    status = queries.status_of(petition)
    case = petition.case
    facts = (
        ("id", petition.id),
        ("title", petition.title),
        ("url", petition_url(petition.id)),
        ("topic", petition.topic),
        ("territory_code", petition.territory_code),
        ("territory_name_kk", territory.name_kk if territory else None),
        ("territory_name_ru", territory.name_ru if territory else None),
        ("addressee_id", authority.id),
        ("addressee_key", authority.key),
        ("addressee_name_kk", authority.name_kk),
        ("addressee_name_ru", authority.name_ru),
        ("state", petition.state.value),
        ("status", status.value if status else None),
        ("threshold", petition.threshold),
        ("threshold_scope", petition.threshold_scope),
        ("threshold_population", petition.threshold_population),
        ("signatures_online", counts.online),
        ("signatures_paper", counts.paper),
        ("signatures_total", counts.total),
        ("published_at", _iso(petition.published_at)),
        ("closes_on", _iso(petition.closes_on)),
        ("listed_at", _iso(petition.listed_at)),
        ("reached_at", _iso(petition.reached_at)),
        ("closed_at", _iso(petition.closed_at)),
        ("case_id", case.id if case else None),
        ("case_state", case.state.value if case else None),
        ("case_due_on", _iso(case.due_on) if case else None),
        ("case_answered_at", _iso(case.answered_at) if case else None),
    )
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(("field", "value"))
    for name, value in facts:
        writer.writerow((name, _csv_cell(value)))
    writer.writerow(())
    writer.writerow(("level", "code", "name_kk", "name_ru", "signatures"))
    for by in ("region", "district"):
        for code, place, n in breakdown_rows(petition, by):
            writer.writerow(
                (
                    by,
                    code or "",
                    _csv_cell(place.name_kk if place else None),
                    _csv_cell(place.name_ru if place else None),
                    n,
                )
            )
    return buffer.getvalue()


@bp.get("/petitions/<int:petition_id>/export.csv")
def export_petition(petition_id: int):
    petition = public_petition_or_404(petition_id)
    return Response(
        petition_csv(petition),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="tyndau-petition-{petition.id}.csv"',
        },
    )
