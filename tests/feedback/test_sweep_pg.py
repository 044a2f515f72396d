"""Two sweeps at once on PostgreSQL: each in its own thread, app context and connection, committing for real.

The ``db`` fixture's rolled-back transaction cannot span threads, so these tests build their own database
(``<test database>_sweeprace``), fill it with committed rows and drop it at the end.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from core.accounts.models import Role, User
from core.db import commit
from core.db import db as _db
from tests.pg import only_on_postgresql, own_database_app

pytestmark = only_on_postgresql("concurrent sweeps are tested")

D = date.fromisoformat
OPENED_ON = D("2026-01-12")  # Monday; 15 working days -> due Monday 2 February
ANSWERED_ON = D("2026-02-02")  # rating window closes Monday 16 February
SWEEP_ON = D("2026-02-24")  # overdue by 16 working days, rating windows closed
PER_KIND = 40  # cases of each kind


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    with own_database_app(tmp_path_factory, "sweeprace") as app:
        yield app


def _fill(app) -> dict:
    """Committed cases: PER_KIND long overdue, PER_KIND answered with a dissatisfied rating, PER_KIND answered
    and unrated (to resolve), PER_KIND just overdue, and PER_KIND at the Kurultai answered badly (to close)."""
    from core.accounts.services import grant_role
    from core.authorities.services import find_authority
    from feedback import services
    from feedback.models import CaseSource, Decision

    with app.app_context():
        rural, kurultai = find_authority("akim:623633000"), find_authority("kurultai")
        users = [
            User(email=f"race{n}@example.kz", password_hash="x", display_name="Race Citizen", locale="en")
            for n in range(3)
        ]
        _db.session.add_all(users)
        _db.session.flush()
        citizen, neighbour, officer = users
        secretariat = User(email="race-top@example.kz", password_hash="x", display_name="Top Officer", locale="en")
        _db.session.add(secretariat)
        _db.session.flush()
        grant_role(officer, Role.OFFICER, rural)
        grant_role(secretariat, Role.OFFICER, kurultai)

        def new(authority=rural, on=OPENED_ON):
            source = CaseSource.PROPOSAL if authority is rural else CaseSource.KURULTAI_PROPOSAL
            return services.open_case(
                source,
                authority,
                "Drinking water in the village",
                "There has been no drinking water since May.",
                author=citizen,
                participant_ids=[neighbour.id],
                on=on,
            )

        for _ in range(PER_KIND):
            new()  # escalates: overdue since 2 February
            new(on=D("2026-02-02"))  # only overdue: due 23 February
            unhappy, happy, top = new(), new(), new(kurultai)
            for case, who in ((unhappy, officer), (happy, officer), (top, secretariat)):
                services.publish_answer(
                    case, Decision.NOT_SUPPORTED, "No budget for this, sorry.", [], who, on=ANSWERED_ON
                )
            services.rate(unhappy, citizen, False, on=ANSWERED_ON)
            services.rate(top, citizen, False, on=ANSWERED_ON)
        commit()
        _db.session.remove()
    return {"overdue": 2 * PER_KIND, "resolved": PER_KIND, "closed": PER_KIND, "escalated": 2 * PER_KIND}


def _race(app, on: date, runs: int = 2) -> list:
    """``runs`` sweeps started together, each committing in its own thread; returns their results."""
    from feedback import services

    barrier = threading.Barrier(runs)
    results, errors = [None] * runs, []

    def sweeper(n):
        try:
            with app.app_context():
                _db.session.execute(sa.text("SELECT 1"))  # connect before the start line
                barrier.wait(timeout=30)
                results[n] = services.sweep(on)
                commit()
                _db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper, args=(n,)) for n in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def _totals(results) -> dict:
    return {k: sum(getattr(r, k) for r in results) for k in ("overdue", "resolved", "closed", "escalated")}


def _duplicates(query) -> list:
    return _db.session.execute(query).all()


def test_two_sweeps_at_once(race_app):
    from feedback.models import Case, CaseEvent, CaseParticipant, CaseState, EventKind, SweepRun

    expected = _fill(race_app)
    results = _race(race_app, SWEEP_ON)
    assert _totals(results) == expected
    # Serialised: one run did all the work, the other found nothing left.
    assert sorted(r.changed for r in results) == [0, sum(expected.values())]

    with race_app.app_context():
        s = _db.session
        events = CaseEvent.__table__.c
        counts = dict(s.execute(sa.select(events.kind, sa.func.count()).group_by(events.kind)).all())
        assert counts[EventKind.OVERDUE] == expected["overdue"]  # the escalated ones among them
        assert counts[EventKind.ESCALATED] == counts[EventKind.ESCALATED_IN] == expected["escalated"]
        assert counts[EventKind.RESOLVED] == expected["resolved"]
        assert counts[EventKind.CLOSED] == expected["closed"]
        # No case has two events of one kind, no case escalated twice.
        assert not _duplicates(
            sa.select(events.case_id, events.kind).group_by(events.case_id, events.kind).having(sa.func.count() > 1)
        )
        cases = Case.__table__.c
        uppers = s.execute(sa.select(cases.escalated_from_id).where(cases.escalated_from_id.is_not(None))).scalars()
        uppers = list(uppers)
        assert len(uppers) == len(set(uppers)) == expected["escalated"]
        escalated = set(s.scalars(sa.select(cases.id).where(cases.state == CaseState.ESCALATED.value)))
        assert escalated == set(uppers)
        # The participants were copied once each.
        per_upper = dict(
            s.execute(
                sa.select(CaseParticipant.case_id, sa.func.count())
                .where(CaseParticipant.case_id.in_(sa.select(cases.id).where(cases.escalated_from_id.is_not(None))))
                .group_by(CaseParticipant.case_id)
            ).all()
        )
        assert len(per_upper) == expected["escalated"] and set(per_upper.values()) == {2}
        # Only the run that changed something left its row.
        runs = s.scalars(sa.select(SweepRun)).all()
        assert len(runs) == 1 and runs[0].escalated == expected["escalated"]
        s.remove()

    # Again on the same day, twice at once: nothing changes.
    again = _race(race_app, SWEEP_ON)
    assert [r.changed for r in again] == [0, 0]

    # The escalated cases are overdue at the district akimat later; two sweeps at once carry them up again.
    later = D("2026-04-01")
    results = _race(race_app, later, runs=3)
    totals = _totals(results)
    assert totals["escalated"] == expected["escalated"] + expected["overdue"] // 2  # and the "only overdue" ones
    with race_app.app_context():
        s = _db.session
        cases = Case.__table__.c
        levels = dict(s.execute(sa.select(cases.level, sa.func.count()).group_by(cases.level)).all())
        assert levels[2] == expected["escalated"]
        uppers = list(s.scalars(sa.select(cases.escalated_from_id).where(cases.escalated_from_id.is_not(None))))
        assert len(uppers) == len(set(uppers))
        events = CaseEvent.__table__.c
        assert not _duplicates(
            sa.select(events.case_id, events.kind).group_by(events.case_id, events.kind).having(sa.func.count() > 1)
        )
        s.remove()
