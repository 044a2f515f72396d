"""Open data of the loop: the JSON API, the CSV export of an authority's cases and the league tables.

Everything here is public and read-only. Participants appear only as a count and the author only by first
name and initial; no email, no full name, no officer's identity leaves through these routes.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import KIND_ORDER
from core.db import db
from core.errors import AppError
from core.i18n import localized
from feedback import services, stats
from feedback.models import Answer, Case, CaseState, EscalationReason

bp = Blueprint("feedback_api", __name__)

API_PER_PAGE = 50
API_MAX_PER_PAGE = 200
CSV_BATCH = 1000


@bp.after_request
def _open_data_headers(response: Response) -> Response:
    """Anyone may read the open data from any site (read-only, no credentials)."""
    if request.path.startswith("/api/") or request.path.endswith(".csv"):
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response


# -- shapes ---------------------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _names(authority) -> dict:
    return {"kk": authority.name_kk, "ru": authority.name_ru, "en": authority.name_en or None}


def authority_json(authority: Authority) -> dict:
    return {
        "id": authority.id,
        "key": authority.key,
        "kind": authority.kind.value,
        "name": _names(authority),
        "territory_code": authority.territory_code,
        "url": url_for("authorities.detail", id=authority.id, _external=True),
    }


def _deadline_json(case: Case) -> dict:
    extended = case.extended_at is not None
    base = {
        "received_on": _iso(case.received_on),
        "due_on": _iso(case.due_on),
        "extended": extended,
        "due_before_extension": _iso(case.due_before_extension),
        "extension_reason": case.extension_reason if extended else None,
    }
    if case.is_open:
        status = services.deadline_status(case)
        return {
            **base,
            "late": status.late,
            "working_days_left": status.working_days_left,
            "working_days_late": status.working_days_late,
        }
    # A finished case: late if it was answered late, or never answered before it was carried up.
    late = case.answered_on_time is False or (
        case.answered_at is None and case.escalation_reason == EscalationReason.OVERDUE
    )
    return {**base, "late": late, "working_days_left": None, "working_days_late": None}


def _answer_json(answer: Answer | None) -> dict | None:
    if answer is None:
        return None
    return {
        "case_id": answer.case_id,
        "decision": answer.decision.value,
        "text": answer.text,
        "published_at": _iso(answer.published_at),
        "measures": [
            {"description": m.description, "responsible": m.responsible, "due_on": _iso(m.due_on)}
            for m in answer.measures
        ],
    }


def _ratings_json(case: Case) -> dict:
    if case.rating_closed_at is not None:
        satisfied, dissatisfied = case.satisfied_count or 0, case.dissatisfied_count or 0
    else:
        satisfied, dissatisfied = services.rating_counts(case)
    return {
        "satisfied": satisfied,
        "dissatisfied": dissatisfied,
        "closes_on": _iso(case.rating_closes_on),
        "closed": case.rating_closed_at is not None,
    }


def case_url(case_id: int) -> str:
    return url_for("feedback.case", case_id=case_id, _external=True)


def case_json(case: Case) -> dict:
    answer = case.answer
    steps = services.chain(case)
    final = services.final_answer(case, steps)
    return {
        "id": case.id,
        "url": case_url(case.id),
        "title": case.title,
        "body": case.body,
        "source": case.source.value,
        "state": case.state.value,
        "level": case.level,
        "opened_at": _iso(case.opened_at),
        "authority": authority_json(case.authority),
        "territory_code": case.territory_code,
        "author": case.author.public_name if case.author is not None else None,
        "participants": services.participant_count(case),
        "deadline": _deadline_json(case),
        "answer": {
            **_answer_json(answer),
            "on_time": case.answered_on_time,
            "working_days": case.answer_working_days,
        }
        if answer is not None
        else None,
        "final_answer": _answer_json(final),
        "ratings": _ratings_json(case),
        "escalation": {
            "escalated_at": _iso(case.escalated_at),
            "reason": case.escalation_reason.value if case.escalation_reason else None,
            "from_case_id": case.escalated_from_id,
            "to_case_id": case.escalated_to.id if case.escalated_to is not None else None,
        },
        "events": [
            {
                "kind": e.kind.value,
                "at": _iso(e.at),
                "from_state": e.from_state.value if e.from_state else None,
                "to_state": e.to_state.value if e.to_state else None,
                "authority_id": e.authority_id,
                "related_case_id": e.related_case_id,
                "note": e.note,
            }
            for e in case.events
        ],
        "chain": [
            {
                "id": step.id,
                "level": step.level,
                "authority_id": step.authority_id,
                "authority_name": _names(step.authority),
                "state": step.state.value,
                "url": case_url(step.id),
                "api_url": url_for("feedback_api.case_detail", case_id=step.id, _external=True),
            }
            for step in steps
        ],
    }


def case_summary(row) -> dict:
    return {
        "id": row.id,
        "title": row.title,
        "source": row.source.value,
        "state": row.state.value,
        "level": row.level,
        "authority_id": row.authority_id,
        "territory_code": row.territory_code,
        "received_on": _iso(row.received_on),
        "due_on": _iso(row.due_on),
        "answered_at": _iso(row.answered_at),
        "decision": row.decision.value if row.decision else None,
        "url": case_url(row.id),
        "api_url": url_for("feedback_api.case_detail", case_id=row.id, _external=True),
    }


def stats_json(authority: Authority, figures: stats.AuthorityStats) -> dict:
    region = stats.region_of(authority)
    league_args = {"kind": authority.kind.value}
    if region and not authority.kind.is_central:
        league_args["region"] = region
    return {
        "authority": authority_json(authority),
        "as_of": figures.on.isoformat(),
        "min_cases": figures.min_cases,
        "figures": {metric: getattr(figures, metric) for metric, _, _ in stats.METRICS},
        "samples": {metric: figures.sample(metric) for metric, _, _ in stats.METRICS},
        "counts": {name: getattr(figures, name) for name in stats.COUNT_FIELDS},
        "links": {
            "csv": url_for("feedback_api.export_authority", authority_id=authority.id, _external=True),
            "league": url_for("feedback_api.league", _external=True, **league_args),
        },
    }


# -- JSON -----------------------------------------------------------------------------------------------


@bp.get("/api/v1/cases/<int:case_id>")
def case_detail(case_id: int):
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    return jsonify(case_json(case))


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise AppError(_("%(name)s must be a whole number.", name=name)) from None


@bp.get("/api/v1/cases")
def case_list():
    authority_id = _int_arg("authority")
    page = max(1, _int_arg("page", 1))
    per_page = min(API_MAX_PER_PAGE, max(1, _int_arg("per_page", API_PER_PAGE)))
    wanted = [s for s in (request.args.get("state") or "").split(",") if s]
    valid = {s.value for s in CaseState}
    unknown = [s for s in wanted if s not in valid]
    if unknown:
        raise AppError(_("Unknown case state: %(state)s.", state=", ".join(unknown)))
    where = []
    if authority_id is not None:
        if db.session.get(Authority, authority_id) is None:
            abort(404)
        where.append(Case.authority_id == authority_id)
    if wanted:
        where.append(Case.state.in_([CaseState(s) for s in wanted]))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(*where))
    columns = (
        Case.id,
        Case.title,
        Case.source,
        Case.state,
        Case.level,
        Case.authority_id,
        Case.territory_code,
        Case.received_on,
        Case.due_on,
        Case.answered_at,
        Case.decision,
    )
    rows = db.session.execute(
        sa.select(*columns).where(*where).order_by(Case.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    pages = max(1, -(-total // per_page))
    args = {k: v for k, v in {"authority": authority_id, "state": ",".join(wanted) or None}.items() if v}

    def page_url(n: int) -> str:
        return url_for("feedback_api.case_list", page=n, per_page=per_page, _external=True, **args)

    return jsonify(
        items=[case_summary(r) for r in rows],
        page=page,
        per_page=per_page,
        total=total,
        pages=pages,
        next=page_url(page + 1) if page < pages else None,
        prev=page_url(page - 1) if page > 1 else None,
    )


@bp.get("/api/v1/authorities/<int:authority_id>/stats")
def authority_stats(authority_id: int):
    authority = db.session.get(Authority, authority_id)
    if authority is None:
        abort(404)
    return jsonify(stats_json(authority, stats.authority_stats(authority)))


# -- CSV ------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "opened",
    "source",
    "title",
    "state",
    "received_on",
    "due_on",
    "answered_at",
    "on_time",
    "working_days_to_answer",
    "decision",
    "satisfied",
    "dissatisfied",
    "escalated_to_case_id",
    "url",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    """Free text as a spreadsheet shows it, never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_bool(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _csv_rows(authority_id: int):
    up = aliased(Case, name="up")
    statement = (
        sa.select(
            Case.id,
            Case.opened_at,
            Case.source,
            Case.title,
            Case.state,
            Case.received_on,
            Case.due_on,
            Case.answered_at,
            Case.answered_on_time,
            Case.answer_working_days,
            Case.decision,
            Case.satisfied_count,
            Case.dissatisfied_count,
            up.id.label("escalated_to"),
        )
        .outerjoin(up, up.escalated_from_id == Case.id)
        .where(Case.authority_id == authority_id)
        .order_by(Case.id)
    )
    base = url_for("feedback.case", case_id=0, _external=True)[: -len("0")]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for row in db.session.execute(statement.execution_options(yield_per=CSV_BATCH)):
        writer.writerow(
            (
                row.id,
                _iso(row.opened_at),
                row.source.value,
                _csv_text(row.title),
                row.state.value,
                _iso(row.received_on),
                _iso(row.due_on),
                _iso(row.answered_at),
                _csv_bool(row.answered_on_time),
                "" if row.answer_working_days is None else row.answer_working_days,
                row.decision.value if row.decision else "",
                "" if row.satisfied_count is None else row.satisfied_count,
                "" if row.dissatisfied_count is None else row.dissatisfied_count,
                row.escalated_to or "",
                f"{base}{row.id}",
            )
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/cases/export/authority/<int:authority_id>.csv")
def export_authority(authority_id: int):
    authority = db.session.get(Authority, authority_id)
    if authority is None:
        abort(404)
    return Response(
        stream_with_context(_csv_rows(authority.id)),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="tyndau-authority-{authority.id}-cases.csv"',
        },
    )


# -- league tables --------------------------------------------------------------------------------------

DEFAULT_KIND = AuthorityKind.DISTRICT_AKIMAT
ALL_REGIONS = "all"

CHART_WIDTH = 400
CHART_ROW = 44
CHART_BAR = 16
CHART_TOP = 6
LABEL_CHARS = 46


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1].rstrip() + "…"


def build_chart(metric: str, higher_is_better: bool, rows: list[stats.LeagueRow]) -> dict:
    """Geometry of one horizontal bar chart (computed here so the template only draws it): a bar per
    authority with enough cases, best first; authorities below the minimum are only counted."""
    shown = [r for r in rows if getattr(r.stats, metric) is not None]
    shown.sort(
        key=lambda r: (
            -getattr(r.stats, metric) if higher_is_better else getattr(r.stats, metric),
            localized(r).casefold(),
        )
    )
    top = 100.0 if metric.endswith("_pct") else max([getattr(r.stats, metric) for r in shown] + [1.0])
    usable = CHART_WIDTH - 70
    bars = []
    for i, row in enumerate(shown):
        value = getattr(row.stats, metric)
        width = round(usable * value / top, 1) if top else 0
        y = CHART_TOP + i * CHART_ROW
        bars.append(
            {
                "name": localized(row),
                "label": _short(localized(row)),
                "value": stats.format_metric(metric, value),
                "label_y": y + 14,
                "bar_y": y + 20,
                "width": max(width, 1.5),
                "value_x": max(width, 1.5) + 6,
                "value_y": y + 20 + CHART_BAR - 3,
            }
        )
    return {
        "metric": metric,
        "title": stats.METRIC_TITLES[metric],
        "explanation": stats.METRIC_EXPLANATIONS[metric],
        "sample_label": stats.SAMPLE_LABELS[metric],
        "width": CHART_WIDTH,
        "height": CHART_TOP * 2 + max(1, len(bars)) * CHART_ROW,
        "bar_height": CHART_BAR,
        "bars": bars,
        "hidden": len(rows) - len(shown),
        "table": [
            {
                "authority": row,
                "value": stats.format_metric(metric, getattr(row.stats, metric)),
                "sample": row.stats.sample(metric),
                "enough": getattr(row.stats, metric) is not None,
            }
            for row in shown + [r for r in rows if getattr(r.stats, metric) is None]
        ],
    }


REGIONAL_KINDS = tuple(k for k in KIND_ORDER if not k.is_central)


def busiest_league(kind: AuthorityKind | None = None) -> tuple[str, AuthorityKind] | None:
    """The region (level-1 KATO code) and kind of regional authority with the most cases (of ``kind``
    when given), from one grouped query; None when there are no such cases."""
    prefix = sa.func.substr(Authority.territory_code, 1, 2)
    kinds = [kind] if kind is not None else list(REGIONAL_KINDS)
    cases = sa.func.count(Case.id)
    row = db.session.execute(
        sa.select(prefix.label("prefix"), Authority.kind, cases.label("cases"))
        .select_from(Case)
        .join(Authority, Authority.id == Case.authority_id)
        .where(Case.state != CaseState.WITHDRAWN, Authority.territory_code.is_not(None), Authority.kind.in_(kinds))
        .group_by(prefix, Authority.kind)
        .order_by(cases.desc(), prefix, Authority.kind)
        .limit(1)
    ).first()
    if row is None or not row.prefix:
        return None
    return f"{row.prefix}0000000", AuthorityKind(row.kind)


@bp.get("/cases/league")
def league():
    regions = stats.regions()
    codes = {t.code for t in regions}
    asked = request.args.get("region")
    kind_value = request.args.get("kind")
    kinds = {k.value for k in AuthorityKind}
    kind = AuthorityKind(kind_value) if kind_value in kinds else None
    if asked == ALL_REGIONS:
        region = None
    elif asked in codes:
        region = asked
    else:
        # No region chosen: the busiest league (of the chosen kind), so a first visit shows figures.
        busiest = busiest_league(kind) if kind is None or not kind.is_central else None
        if busiest is not None and busiest[0] in codes:
            region, kind = busiest[0], kind or busiest[1]
        else:
            region = regions[0].code if regions else None
    kind = kind or DEFAULT_KIND
    rows = stats.league(region, kind)
    charts = [build_chart(metric, better, rows) for metric, _sample, better in stats.METRICS]
    return render_template(
        "feedback/stats/league.html",
        regions=regions,
        region=region,
        region_territory=next((t for t in regions if t.code == region), None),
        all_regions=ALL_REGIONS,
        kinds=KIND_ORDER,
        kind=kind,
        rows=rows,
        charts=charts,
        min_cases=stats.rules.stats_min_cases(),
        regional=not kind.is_central,
    )
