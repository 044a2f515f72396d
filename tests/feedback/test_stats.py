"""Responsiveness statistics: a hand-computed example, the minimum sample, the league table, and the pages
that show them (the authority page's panel and the league's SVG charts)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.authorities.models import AuthorityKind
from core.authorities.services import find_authority
from feedback import services, stats
from feedback.models import Case, CaseSource, CaseState, Decision, EscalationReason

ON = date(2026, 11, 23)  # a Monday
RURAL = "akim:623633000"
DISTRICT = "akimat:623600000"  # Zhanaarka district, region 62 (Ulytau)
OTHER_DISTRICT = "akimat:623800000"  # Ulytau district, same region
SMALL_DISTRICT = "akimat:622000000"  # Satpayev city administration, same region


def make_case(
    authority,
    state=CaseState.AWAITING,
    *,
    due_on=ON + timedelta(days=10),
    on_time=None,
    days=None,
    decision=None,
    rated=None,
    title="Drinking water for the village",
):
    """A case in a given state, built directly: ``rated=(satisfied, dissatisfied)`` closes its rating."""
    answered = on_time is not None
    case = Case(
        source=CaseSource.PROPOSAL,
        state=state,
        title=title,
        body="There has been no drinking water in the village since May.",
        authority_id=authority.id,
        received_on=due_on - timedelta(days=21),
        due_on=due_on,
        answered_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC) if answered else None,
        answered_on_time=on_time,
        answer_working_days=days,
        decision=decision,
    )
    if rated is not None:
        case.rating_closed_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        case.satisfied_count, case.dissatisfied_count = rated
    if state in (CaseState.RESOLVED, CaseState.CLOSED, CaseState.ESCALATED, CaseState.WITHDRAWN):
        case.closed_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    if state == CaseState.ESCALATED:
        case.escalated_at = case.closed_at
        case.escalation_reason = EscalationReason.OVERDUE if not answered else EscalationReason.DISSATISFIED
    from core.db import db

    db.session.add(case)
    db.session.flush()
    case.root_id = case.id
    return case


def hand_computed_cases(authority):
    """Eleven cases; the figures are worked out by hand in ``test_hand_computed_example``."""
    past = ON - timedelta(days=3)
    return [
        # 1-3, 6: resolved; 1, 2, 6 with action (supported / partly), 3 without (not supported, answered late)
        make_case(authority, CaseState.RESOLVED, on_time=True, days=5, decision=Decision.SUPPORTED, rated=(3, 1)),
        make_case(authority, CaseState.RESOLVED, on_time=True, days=10, decision=Decision.PARTLY, rated=(2, 0)),
        make_case(authority, CaseState.RESOLVED, on_time=False, days=20, decision=Decision.NOT_SUPPORTED, rated=(1, 1)),
        # 4: escalated by a dissatisfied majority
        make_case(authority, CaseState.ESCALATED, on_time=True, days=8, decision=Decision.NOT_SUPPORTED, rated=(0, 4)),
        # 5: answered late, its rating window still open
        make_case(authority, CaseState.ANSWERED, on_time=False, days=17, decision=Decision.SUPPORTED),
        # 6: resolved with action, but nobody rated it
        make_case(authority, CaseState.RESOLVED, on_time=True, days=12, decision=Decision.SUPPORTED, rated=(0, 0)),
        # 7: open and overdue; 8: open and not yet due
        make_case(authority, CaseState.OVERDUE, due_on=past),
        make_case(authority, CaseState.AWAITING, due_on=ON),
        # 9: never answered and carried up because it was overdue
        make_case(authority, CaseState.ESCALATED, due_on=past - timedelta(days=10)),
        # 10: withdrawn by its author: counts nowhere
        make_case(authority, CaseState.WITHDRAWN, due_on=past),
        # 11: closed unresolved (dissatisfied majority with nothing above), answered on time
        make_case(authority, CaseState.CLOSED, on_time=True, days=6, decision=Decision.NOT_SUPPORTED, rated=(1, 2)),
    ]


def test_hand_computed_example(app, db, kato):
    authority = find_authority(DISTRICT)
    hand_computed_cases(authority)

    s = stats.authority_stats(authority, on=ON)

    assert s.min_cases == 5
    assert s.total == 10  # 11 cases, the withdrawn one not counted
    assert s.open == 2  # 7 and 8
    assert s.overdue_now == 1  # 7 (8 is due today, not late yet)
    assert s.answered == 7  # 1-6 and 11
    # on time: 1, 2, 4, 6, 11 of the 9 whose answer was due (7 answered + 7 and 9 unanswered past due)
    assert (s.answered_on_time, s.answer_due) == (5, 9)
    assert s.on_time_pct == 55.6
    # working days 5, 6, 8, 10, 12, 17, 20
    assert s.timed == 7
    assert s.median_working_days == 10
    # rated and closed: 1, 2, 3, 4, 11 (6 closed with no rating, 5 still open): 7 satisfied of 15
    assert (s.rated_cases, s.satisfied, s.dissatisfied) == (5, 7, 8)
    assert s.satisfaction_pct == 46.7
    # left the authority's hands: resolved 1, 2, 3, 6 + escalated 4, 9 + closed 11
    assert (s.escalated, s.left_hands) == (2, 7)
    assert s.escalation_pct == 28.6
    assert s.resolved_with_action == 3  # 1, 2, 6
    assert s.closed_without_action == 2  # 3 (not supported), 11 (closed)


def test_same_figures_for_a_list_of_ids_and_in_the_league(app, db, kato):
    authority = find_authority(DISTRICT)
    hand_computed_cases(authority)
    by_id = stats.authority_stats([authority.id], on=ON)
    assert by_id == stats.authority_stats(authority, on=ON)
    row = next(r for r in stats.league("620000000", AuthorityKind.DISTRICT_AKIMAT, on=ON) if r.id == authority.id)
    assert row.stats == by_id


def test_each_figure_needs_its_own_minimum_sample(app, db, kato, monkeypatch):
    authority = find_authority(DISTRICT)
    hand_computed_cases(authority)
    monkeypatch.setitem(app.config, "FEEDBACK_STATS_MIN_CASES", 8)

    s = stats.authority_stats(authority, on=ON)

    assert s.on_time_pct == 55.6  # 9 cases were due
    assert s.median_working_days is None  # only 7 answered
    assert s.satisfaction_pct is None  # only 5 rated: a sample of cases, not of the 15 ratings
    assert s.escalation_pct is None  # only 7 finished
    assert s.resolved_with_action == 3  # counts are always shown


def test_one_case_is_not_enough(app, db, kato):
    authority = find_authority(SMALL_DISTRICT)
    make_case(authority, CaseState.RESOLVED, on_time=True, days=1, decision=Decision.SUPPORTED, rated=(5, 0))
    s = stats.authority_stats(authority, on=ON)
    assert s.total == 1
    assert s.on_time_pct is None
    assert s.median_working_days is None
    assert s.satisfaction_pct is None
    assert s.escalation_pct is None


def test_an_authority_without_cases(app, db, kato):
    s = stats.authority_stats(find_authority(OTHER_DISTRICT), on=ON)
    assert s.total == 0 and s.answer_due == 0 and s.on_time_pct is None and s.median_working_days is None


def _league_fixture():
    best = find_authority(OTHER_DISTRICT)
    for days in (1, 2, 3, 4, 5, 6):
        make_case(best, CaseState.RESOLVED, on_time=True, days=days, decision=Decision.SUPPORTED, rated=(1, 0))
    middle = find_authority(DISTRICT)
    hand_computed_cases(middle)
    small = find_authority(SMALL_DISTRICT)  # one perfect case: must not top the table
    make_case(small, CaseState.RESOLVED, on_time=True, days=1, decision=Decision.SUPPORTED, rated=(3, 0))
    # another region's district akimat and the region's own akimat are not in this league
    make_case(find_authority("akimat:711110000"), CaseState.OVERDUE, due_on=ON - timedelta(days=5))
    make_case(find_authority("akimat:620000000"), CaseState.OVERDUE, due_on=ON - timedelta(days=5))
    return best, middle, small


def test_league_ranks_by_on_time_share_with_small_samples_last(app, db, kato):
    best, middle, small = _league_fixture()

    rows = stats.league("620000000", AuthorityKind.DISTRICT_AKIMAT, on=ON)

    assert [r.id for r in rows[:2]] == [best.id, middle.id]
    assert rows[0].stats.on_time_pct == 100.0
    assert rows[0].stats.median_working_days == 3.5  # 1..6: the mean of the two middle values
    assert rows[1].stats.on_time_pct == 55.6
    assert all(r.stats.on_time_pct is None for r in rows[2:])
    assert small.id in [r.id for r in rows[2:]]
    assert all(r.kind == AuthorityKind.DISTRICT_AKIMAT and r.territory_code.startswith("62") for r in rows)
    # every district akimat of the region is listed, with or without cases
    assert {r.key for r in rows} >= {"akimat:621000000", "akimat:621800000", "akimat:622000000", OTHER_DISTRICT}
    assert "akimat:711110000" not in {r.key for r in rows}


def test_league_is_one_query(app, db, kato):
    _league_fixture()
    db.session.flush()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        stats.league("620000000", AuthorityKind.DISTRICT_AKIMAT, on=ON)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert "GROUP BY" in statements[0]


def test_league_of_central_bodies_ignores_the_region(app, db, kato):
    rows = stats.league("620000000", AuthorityKind.GOVERNMENT, on=ON)
    assert [r.key for r in rows] == ["government"]


def test_league_without_region_covers_the_country(app, db, kato):
    keys = {r.key for r in stats.league(None, AuthorityKind.DISTRICT_AKIMAT, on=ON)}
    assert {"akimat:623600000", "akimat:711110000"} <= keys


# -- pages ----------------------------------------------------------------------------------------------


def test_league_page_draws_svg_charts_with_tables(client, db, kato):
    best, middle, small = _league_fixture()

    response = client.get("/cases/league?region=620000000&kind=district_akimat")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<svg") == 4
    assert html.count('role="img"') == 4
    assert "<title id=" in html and "<desc id=" in html
    assert html.count("<table") == 5  # one beside each chart, and the outcomes
    assert "Answered on time" in html and "Median working days to answer" in html
    assert "Escalation rate" in html and "Participants satisfied with the answer" in html
    # bars only for authorities with enough cases; the small one is only in the tables
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert best.name_en in svgs[0] and middle.name_en in svgs[0]
    assert small.name_en not in "".join(svgs)
    assert small.name_en in html
    assert "not enough cases yet" in html
    assert "55.6%" in html and "3.5" in html
    # the form works without JavaScript and nothing is inline
    assert '<form method="get"' in html and 'name="region"' in html and 'name="kind"' in html
    assert "<script" not in html and "style=" not in html


def test_league_page_defaults_and_bad_input(client, db, kato):
    response = client.get("/cases/league")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<option value="100000000" selected>' in html  # the first region
    assert '<option value="district_akimat" selected>' in html
    response = client.get("/cases/league?region=xx&kind=nonsense")
    assert response.status_code == 200
    response = client.get("/cases/league?region=all&kind=regional_akimat")
    assert response.status_code == 200
    assert '<option value="all" selected>' in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_league_page_in_every_language(client, db, kato, lang):
    _league_fixture()
    response = client.get(f"/cases/league?region=620000000&kind=district_akimat&lang={lang}")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_authority_page_shows_the_panel(client, db, kato, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: ON)
    authority = find_authority(DISTRICT)
    cases = hand_computed_cases(authority)
    overdue = cases[6]

    response = client.get(f"/authorities/{authority.id}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Open cases" in html and "Responsiveness" in html
    assert f'href="/cases/{overdue.id}"' in html
    assert f'href="/cases/{cases[0].id}"' not in html  # only open cases are listed
    assert "1 working day late" in html  # due on Friday 20 November, seen on Monday 23rd
    assert "Due today" in html
    assert f"/cases/?authority={authority.id}" in html
    assert f"/cases/export/authority/{authority.id}.csv" in html
    assert f"/api/v1/authorities/{authority.id}/stats" in html
    assert "/cases/league?" in html and "region=620000000" in html and "kind=district_akimat" in html
    assert "Resolved with action" in html and "Closed without action" in html
    assert "style=" not in html


def test_authority_page_panel_with_too_few_cases(client, db, kato):
    authority = find_authority(SMALL_DISTRICT)
    make_case(authority, CaseState.AWAITING)
    html = client.get(f"/authorities/{authority.id}").get_data(as_text=True)
    assert html.count("not enough cases yet") == 4
