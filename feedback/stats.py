"""Authority responsiveness statistics and league tables.

Every figure is a ratio of two counts taken with SQL aggregates, and is shown only once its own denominator
reaches ``rules.stats_min_cases()`` (so a body with one case never tops a table):

* **answered on time** — answers given by the due date ÷ cases whose answer was due: answered ones, plus
  unanswered ones whose due date has passed (still open, or carried up the ladder because nobody answered);
* **median working days to answer** — over the answered cases;
* **satisfaction** — satisfied ratings ÷ all ratings, over cases whose rating window closed (the sample is
  the number of such cases with at least one rating, not the number of ratings: one petition with a
  thousand signers is still one case);
* **escalation rate** — escalated ÷ cases that left the authority's hands (resolved, closed or escalated).

"Resolved with action" (resolved on a supported or partly supported answer) is kept apart from "closed
without action" (resolved on a "not supported" answer, or closed unresolved at the top of the ladder).
Withdrawn cases count nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from core.authorities.models import Authority, AuthorityKind
from core.db import db
from core.territories.models import Level, Territory
from feedback import rules
from feedback.models import OPEN_STATES, Case, CaseState, Decision

#: The figures, in display order, with the attribute holding each one's sample size; ``higher_is_better``
#: orders the league's charts.
METRICS = (
    ("on_time_pct", "answer_due", True),
    ("satisfaction_pct", "rated_cases", True),
    ("median_working_days", "timed", False),
    ("escalation_pct", "left_hands", False),
)

LEFT_HANDS = (CaseState.RESOLVED, CaseState.CLOSED, CaseState.ESCALATED)
ACTION = (Decision.SUPPORTED, Decision.PARTLY)


@dataclass(frozen=True)
class AuthorityStats:
    """An authority's (or a group of authorities') figures as of ``on``; a figure is None below the
    minimum sample."""

    on: date
    min_cases: int
    total: int  # cases addressed, withdrawn ones excluded
    open: int
    overdue_now: int  # open and past the due date
    answered: int
    answered_on_time: int
    answer_due: int  # sample of on_time_pct
    timed: int  # sample of median_working_days (answered cases with their working days)
    rated_cases: int  # sample of satisfaction_pct
    satisfied: int
    dissatisfied: int
    left_hands: int  # sample of escalation_pct: resolved + closed + escalated
    escalated: int
    resolved_with_action: int
    closed_without_action: int
    on_time_pct: float | None
    median_working_days: float | None
    satisfaction_pct: float | None
    escalation_pct: float | None

    def sample(self, metric: str) -> int:
        return getattr(self, dict((m, s) for m, s, _ in METRICS)[metric])

    def enough(self, metric: str) -> bool:
        return getattr(self, metric) is not None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["on"] = self.on.isoformat()
        return data


def _percent(part: int, whole: int, minimum: int) -> float | None:
    if whole < max(1, minimum):
        return None
    return round(100.0 * part / whole, 1)


def _count(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _sum(column, condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, column), else_=0)), 0)


def _aggregates(on: date) -> list[sa.ColumnElement]:
    """The counts behind every figure, as labelled aggregate columns over ``Case`` rows (NULL rows of an
    outer join count nowhere)."""
    unanswered_past_due = sa.and_(Case.answered_at.is_(None), Case.due_on < on)
    rating_closed = Case.rating_closed_at.is_not(None)
    votes = sa.func.coalesce(Case.satisfied_count, 0) + sa.func.coalesce(Case.dissatisfied_count, 0)
    return [
        _count(Case.id.is_not(None)).label("total"),
        _count(Case.state.in_(OPEN_STATES)).label("open"),
        _count(sa.and_(Case.state.in_(OPEN_STATES), Case.due_on < on)).label("overdue_now"),
        _count(Case.answered_at.is_not(None)).label("answered"),
        _count(sa.and_(Case.answered_at.is_not(None), Case.answered_on_time.is_(True))).label("answered_on_time"),
        _count(sa.or_(Case.answered_at.is_not(None), unanswered_past_due)).label("answer_due"),
        _count(Case.answer_working_days.is_not(None)).label("timed"),
        _count(sa.and_(rating_closed, votes > 0)).label("rated_cases"),
        _sum(sa.func.coalesce(Case.satisfied_count, 0), rating_closed).label("satisfied"),
        _sum(sa.func.coalesce(Case.dissatisfied_count, 0), rating_closed).label("dissatisfied"),
        _count(Case.state.in_(LEFT_HANDS)).label("left_hands"),
        _count(Case.state == CaseState.ESCALATED).label("escalated"),
        _count(sa.and_(Case.state == CaseState.RESOLVED, Case.decision.in_(ACTION))).label("resolved_with_action"),
        _count(
            sa.or_(
                Case.state == CaseState.CLOSED,
                sa.and_(Case.state == CaseState.RESOLVED, Case.decision == Decision.NOT_SUPPORTED),
            )
        ).label("closed_without_action"),
    ]


COUNT_FIELDS = (
    "total",
    "open",
    "overdue_now",
    "answered",
    "answered_on_time",
    "answer_due",
    "timed",
    "rated_cases",
    "satisfied",
    "dissatisfied",
    "left_hands",
    "escalated",
    "resolved_with_action",
    "closed_without_action",
)


def _build(row, median: float | None, on: date, minimum: int) -> AuthorityStats:
    counts = {name: int(getattr(row, name) or 0) for name in COUNT_FIELDS}
    votes = counts["satisfied"] + counts["dissatisfied"]
    return AuthorityStats(
        on=on,
        min_cases=minimum,
        **counts,
        on_time_pct=_percent(counts["answered_on_time"], counts["answer_due"], minimum),
        median_working_days=(
            round(float(median), 1) if median is not None and counts["timed"] >= max(1, minimum) else None
        ),
        satisfaction_pct=(
            _percent(counts["satisfied"], votes, 1) if counts["rated_cases"] >= max(1, minimum) else None
        ),
        escalation_pct=_percent(counts["escalated"], counts["left_hands"], minimum),
    )


def _today() -> date:
    from feedback.services import today

    return today()


def _ids(authority_or_ids) -> list[int]:
    if isinstance(authority_or_ids, Authority):
        return [authority_or_ids.id]
    if isinstance(authority_or_ids, int):
        return [authority_or_ids]
    if isinstance(authority_or_ids, Iterable):
        return sorted({getattr(a, "id", a) for a in authority_or_ids})
    raise TypeError("an Authority, an authority id or an iterable of them")


def authority_stats(authority_or_ids, on: date | None = None) -> AuthorityStats:
    """The figures of one authority, or of several taken together, as of ``on`` (default: today)."""
    on = on or _today()
    ids = _ids(authority_or_ids)
    addressed = sa.and_(Case.authority_id.in_(ids), Case.state != CaseState.WITHDRAWN)
    row = db.session.execute(sa.select(*_aggregates(on)).where(addressed)).one()
    return _build(row, _median(addressed), on, rules.stats_min_cases())


def _median(where) -> float | None:
    """The median working days to answer over all the cases ``where`` selects, computed in the database (a
    busy body has thousands of answers; they are not pulled into Python)."""
    value = db.session.scalar(sa.select(_medians(where, per_authority=False).c.median))
    return float(value) if value is not None else None


# -- league tables --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeagueRow:
    id: int
    key: str
    kind: AuthorityKind
    name_kk: str
    name_ru: str
    name_en: str
    territory_code: str | None
    stats: AuthorityStats


def region_prefix(region_code: str | None) -> str | None:
    """The two digits that identify a region in a KATO code."""
    if not region_code:
        return None
    code = str(region_code).strip()
    if len(code) < 2 or not code[:2].isdigit():
        return None
    return code[:2]


def region_of(authority) -> str | None:
    """The level-1 KATO code of the region an authority's territory lies in."""
    prefix = region_prefix(getattr(authority, "territory_code", None))
    return f"{prefix}0000000" if prefix else None


def _medians(where, per_authority: bool = True) -> sa.Subquery:
    """Median working days to answer, per authority (or over all the cases ``where`` selects), in SQL both
    SQLite and PostgreSQL run: the middle row (or the mean of the two middle rows) of the ordered values."""
    partition = [Case.authority_id] if per_authority else None
    numbered = (
        sa.select(
            Case.authority_id.label("authority_id"),
            Case.answer_working_days.label("days"),
            sa.func.row_number().over(partition_by=partition, order_by=(Case.answer_working_days, Case.id)).label("n"),
            sa.func.count().over(partition_by=partition).label("size"),
        )
        .where(where, Case.answer_working_days.is_not(None))
        .subquery("numbered")
    )
    groups = [numbered.c.authority_id] if per_authority else []
    return (
        sa.select(
            *groups,
            sa.func.avg(sa.cast(numbered.c.days, sa.Float)).label("median"),
        )
        # the middle row of an odd count, the two middle rows of an even one; no division, so no
        # integer-versus-numeric surprises between backends
        .where(numbered.c.n * 2 >= numbered.c.size, numbered.c.n * 2 <= numbered.c.size + 2)
        .group_by(*groups)
        .subquery("medians")
    )


def _sort_key(row: LeagueRow):
    value = row.stats.on_time_pct
    return (value is None, -(value or 0), -row.stats.answer_due, row.name_ru, row.id)


def league(region_code: str | None, kind: AuthorityKind | str, on: date | None = None) -> list[LeagueRow]:
    """Every authority of ``kind`` whose territory lies in the region (all of Kazakhstan when
    ``region_code`` is empty, and always for central bodies, which have no territory), with its figures,
    from one grouped query; best on-time share first, authorities below the minimum sample last."""
    on = on or _today()
    kind = AuthorityKind(kind)
    minimum = rules.stats_min_cases()
    prefix = region_prefix(region_code)
    authority_filter = [Authority.kind == kind]
    if prefix and not kind.is_central:
        authority_filter.append(Authority.territory_code.like(f"{prefix}%"))
    in_scope = sa.select(Authority.id).where(*authority_filter)
    medians = _medians(Case.authority_id.in_(in_scope))
    group = (Authority.id, Authority.key, Authority.kind, Authority.name_kk, Authority.name_ru, Authority.name_en)
    statement = (
        sa.select(*group, Authority.territory_code, medians.c.median, *_aggregates(on))
        .select_from(Authority)
        .outerjoin(Case, sa.and_(Case.authority_id == Authority.id, Case.state != CaseState.WITHDRAWN))
        .outerjoin(medians, medians.c.authority_id == Authority.id)
        .where(*authority_filter)
        .group_by(*group, Authority.territory_code, medians.c.median)
    )
    rows = [
        LeagueRow(
            id=r.id,
            key=r.key,
            kind=AuthorityKind(r.kind),
            name_kk=r.name_kk,
            name_ru=r.name_ru,
            name_en=r.name_en or "",
            territory_code=r.territory_code,
            stats=_build(r, r.median, on, minimum),
        )
        for r in db.session.execute(statement)
    ]
    rows.sort(key=_sort_key)
    return rows


def regions() -> list[Territory]:
    return list(
        db.session.scalars(sa.select(Territory).where(Territory.level == Level.REGION).order_by(Territory.code))
    )


# -- display ----------------------------------------------------------------------------------------------

METRIC_TITLES = {
    "on_time_pct": _l("Answered on time"),
    "satisfaction_pct": _l("Participants satisfied with the answer"),
    "median_working_days": _l("Median working days to answer"),
    "escalation_pct": _l("Escalation rate"),
}
METRIC_EXPLANATIONS = {
    "on_time_pct": _l(
        "Share of cases answered by the deadline, of all cases whose answer was due "
        "(answered ones, and unanswered ones past their deadline). Higher is better."
    ),
    "satisfaction_pct": _l(
        "Share of participants' ratings that were “satisfied”, over cases whose rating window has closed. "
        "Higher is better."
    ),
    "median_working_days": _l(
        "Half of the answers came within this many working days of receipt, half took longer. Lower is better."
    ),
    "escalation_pct": _l(
        "Share of cases carried up to a higher authority, of the cases that left this authority's hands "
        "(resolved, closed or escalated). Lower is better."
    ),
}
SAMPLE_LABELS = {
    "on_time_pct": _l("Cases whose answer was due"),
    "satisfaction_pct": _l("Rated cases"),
    "median_working_days": _l("Answered cases"),
    "escalation_pct": _l("Finished cases"),
}


def format_metric(metric: str, value: float | None) -> str:
    if value is None:
        return _("not enough cases yet")
    if metric == "median_working_days":
        return format_decimal(value, format="#,##0.#")
    return format_percent(value / 100, format="#,##0.#%")


# -- the authority page's panel -------------------------------------------------------------------------

PANEL_OPEN_CASES = 20


def open_cases(authority: Authority, limit: int = PANEL_OPEN_CASES) -> list[Case]:
    """The authority's open cases, the soonest due first."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(Case.authority_id == authority.id, Case.state.in_(OPEN_STATES))
            .order_by(Case.due_on, Case.id)
            .limit(limit)
        ).unique()
    )


def cases_list_url(authority_id: int) -> str:
    """The public list of an authority's cases (``/cases/?authority=<id>``)."""
    return url_for("feedback.index", authority=int(authority_id))


def authority_panel(authority) -> Markup:
    """The loop's section on an authority's page: open cases, responsiveness, links to open data."""
    from feedback.services import deadline_status

    on = _today()
    stats = authority_stats(authority, on=on)
    cases = open_cases(authority)
    region = region_of(authority)
    league_args = {"kind": authority.kind.value}
    if region and not authority.kind.is_central:
        league_args["region"] = region
    # render_template's output is escaped by Jinja's autoescape: safe to mark as such.
    return Markup(  # noqa: S704
        render_template(
            "feedback/_authority_panel.html",
            authority=authority,
            stats=stats,
            cases=[(case, deadline_status(case, on)) for case in cases],
            more=stats.open > len(cases),
            cases_url=cases_list_url(authority.id),
            league_url=url_for("feedback_api.league", **league_args),
            metrics=[
                {
                    "metric": metric,
                    "title": METRIC_TITLES[metric],
                    "explanation": METRIC_EXPLANATIONS[metric],
                    "sample_label": SAMPLE_LABELS[metric],
                    "sample": stats.sample(metric),
                    "value": format_metric(metric, getattr(stats, metric)),
                    "enough": stats.enough(metric),
                }
                for metric, _sample, _better in METRICS
            ],
        )
    )
