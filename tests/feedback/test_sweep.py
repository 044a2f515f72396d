"""The sweep: overdue marking, rating windows, resolution, closing at the top, escalation (overdue too long or a
dissatisfied majority), the full climb to the National Kurultai, idempotency and the counts it returns."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.audit import AuditEntry
from core.authorities.services import find_authority
from core.calendar import add_working_days
from core.db import commit
from core.db import db as _db
from feedback import jobs, services
from feedback.models import (
    Case,
    CaseEvent,
    CaseParticipant,
    CaseSource,
    CaseState,
    Decision,
    EscalationReason,
    EventKind,
    Rating,
    SweepRun,
)

D = date.fromisoformat
MONDAY = D("2026-02-02")  # received; due 15 working days later, Monday 23 February
DUE = D("2026-02-23")
TEXT = "We have looked into it and cannot do this now."
VILLAGE = "623633100"


@pytest.fixture
def world(kato, db, make_user):
    keys = ["akim:623633000", "akimat:623600000", "akimat:620000000", "government", "kurultai"]
    ladder = [find_authority(k) for k in keys]
    return SimpleNamespace(
        ladder=ladder,
        rural=ladder[0],
        kurultai=ladder[-1],
        officers=[make_user(f"officer{n}@example.kz", roles=[(Role.OFFICER, a)]) for n, a in enumerate(ladder)],
        citizen=make_user("citizen@example.kz", home=VILLAGE),
        people=[make_user(f"p{n}@example.kz", home=VILLAGE) for n in range(4)],
    )


def open_case(world, authority=None, on=MONDAY, others=(), source=CaseSource.PROPOSAL):
    authority = authority or world.rural
    return services.open_case(
        source,
        authority,
        "Drinking water in the village",
        "There has been no drinking water in the village since May.",
        author=world.citizen,
        territory_code=VILLAGE,
        participant_ids=[p.id for p in others],
        on=on,
    )


def answer(world, case, on=MONDAY, decision=Decision.NOT_SUPPORTED):
    officer = next(o for o in world.officers if case.authority_id in o.authority_ids())
    return services.publish_answer(case, decision, TEXT, [], officer, on=on)


def reload(case) -> Case:
    _db.session.expire_all()
    return _db.session.get(Case, case.id)


def kinds(case) -> list[EventKind]:
    return list(
        _db.session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    )


def rows(model) -> list[tuple]:
    table = model.__table__
    return [tuple(r) for r in _db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()]


def snapshot() -> dict:
    _db.session.flush()
    return {
        "cases": rows(Case),
        "events": rows(CaseEvent),
        "participants": rows(CaseParticipant),
        "ratings": rows(Rating),
        "runs": rows(SweepRun),
        "audit": _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    }


# -- overdue --------------------------------------------------------------------------------------------


def test_overdue_the_day_after_the_due_date(world):
    case = open_case(world)
    assert case.due_on == DUE
    assert services.sweep(DUE).changed == 0
    assert reload(case).state == CaseState.OPENED
    result = services.sweep(D("2026-02-24"))
    assert (result.overdue, result.changed) == (1, 1)
    case = reload(case)
    assert (case.state, case.overdue_since) == (CaseState.OVERDUE, D("2026-02-24"))
    event = case.events[-1]
    assert (event.kind, event.from_state, event.to_state, event.sweep_run_id) == (
        EventKind.OVERDUE,
        CaseState.OPENED,
        CaseState.OVERDUE,
        result.run_id,
    )


def test_due_on_a_friday_is_overdue_on_saturday(world):
    case = open_case(world, on=D("2026-02-13"))  # Friday; due 15 working days later, Friday 6 March
    assert case.due_on == D("2026-03-06")
    services.assign(case, world.officers[0], world.officers[0])
    assert services.sweep(D("2026-03-07")).overdue == 1
    case = reload(case)
    assert case.state == CaseState.OVERDUE and case.events[-1].from_state == CaseState.AWAITING


@pytest.mark.parametrize("state", ["answered", "withdrawn"])
def test_no_overdue_once_answered_or_withdrawn(world, state):
    case = open_case(world)
    if state == "answered":
        answer(world, case)
    else:
        services.withdraw(case, world.citizen)
    services.sweep(D("2026-03-30"))
    assert reload(case).state in (CaseState.RESOLVED, CaseState.WITHDRAWN)
    assert EventKind.OVERDUE not in kinds(case)


# -- rating windows -------------------------------------------------------------------------------------


def test_rating_window_closes_at_its_end(world):
    case = open_case(world, others=world.people[:2])
    answer(world, case)
    assert case.rating_closes_on == D("2026-02-16")
    services.rate(case, world.citizen, True, on=MONDAY)
    assert services.sweep(D("2026-02-16")).changed == 0  # the window's last day
    result = services.sweep(D("2026-02-17"))
    assert (result.resolved, result.changed) == (1, 1)
    case = reload(case)
    assert case.state == CaseState.RESOLVED and case.rating_closed_at is not None
    assert (case.satisfied_count, case.dissatisfied_count) == (1, 0)
    assert kinds(case)[-1] == EventKind.RESOLVED


def test_no_ratings_at_all_resolves(world):
    case = open_case(world)
    answer(world, case)
    assert services.sweep(D("2026-02-17")).resolved == 1
    case = reload(case)
    assert (case.state, case.satisfied_count, case.dissatisfied_count) == (CaseState.RESOLVED, 0, 0)


def test_window_closes_early_when_everyone_rated(world):
    case = open_case(world, others=world.people[:1])
    answer(world, case)
    services.rate(case, world.citizen, True, on=MONDAY)
    assert services.sweep(MONDAY).changed == 0  # one of two has rated
    services.rate(case, world.people[0], True, on=MONDAY)
    assert services.sweep(MONDAY).resolved == 1
    assert reload(case).state == CaseState.RESOLVED


# (satisfied, dissatisfied, min ratings, at the top?) -> outcome
VERDICTS = [
    (1, 2, 1, False, CaseState.ESCALATED),
    (0, 1, 1, False, CaseState.ESCALATED),
    (2, 2, 1, False, CaseState.RESOLVED),  # a tie is no dissatisfied majority
    (2, 1, 1, False, CaseState.RESOLVED),
    (0, 2, 3, False, CaseState.RESOLVED),  # a majority, but too few ratings
    (0, 3, 3, False, CaseState.ESCALATED),
    (1, 2, 1, True, CaseState.CLOSED),  # nothing above the Kurultai: closed unresolved
    (2, 1, 1, True, CaseState.RESOLVED),
    (0, 2, 3, True, CaseState.RESOLVED),
]


@pytest.mark.parametrize(("happy", "unhappy", "minimum", "top", "outcome"), VERDICTS)
def test_verdict(world, app, monkeypatch, happy, unhappy, minimum, top, outcome):
    monkeypatch.setitem(app.config, "FEEDBACK_MIN_RATINGS", minimum)
    raters = [world.citizen, *world.people][: happy + unhappy]
    authority = world.kurultai if top else world.rural
    case = open_case(world, authority=authority, others=world.people)
    answer(world, case)
    for n, user in enumerate(raters):
        services.rate(case, user, n < happy, on=MONDAY)
    result = services.sweep(D("2026-02-17"))
    case = reload(case)
    assert case.state == outcome
    assert (case.satisfied_count, case.dissatisfied_count) == (happy, unhappy)
    expected = {CaseState.RESOLVED: "resolved", CaseState.CLOSED: "closed", CaseState.ESCALATED: "escalated"}[outcome]
    assert getattr(result, expected) == 1 and result.changed == 1
    if outcome == CaseState.ESCALATED:
        assert case.escalation_reason == EscalationReason.DISSATISFIED
        upper = case.escalated_to
        assert upper.authority_id == world.ladder[1].id and upper.state == CaseState.OPENED
        assert kinds(case)[-1] == EventKind.ESCALATED and case.events[-1].from_state == CaseState.ANSWERED
    else:
        assert case.escalated_to is None


# -- escalation when overdue ----------------------------------------------------------------------------


def test_overdue_more_than_the_allowed_days_escalates(world):
    case = open_case(world)  # due Monday 23 February; allowed 5 working days late
    services.sweep(D("2026-02-24"))
    assert services.sweep(D("2026-03-02")).changed == 0  # 5 working days late
    result = services.sweep(D("2026-03-03"))  # 6
    assert (result.escalated, result.changed) == (1, 1)
    case = reload(case)
    assert case.state == CaseState.ESCALATED and case.escalation_reason == EscalationReason.OVERDUE
    upper = case.escalated_to
    assert (upper.authority_id, upper.received_on, upper.level, upper.root_id) == (
        world.ladder[1].id,
        D("2026-03-03"),
        1,
        case.id,
    )
    assert upper.due_on == add_working_days(D("2026-03-03"), 15)
    assert kinds(upper) == [EventKind.ESCALATED_IN]
    down = upper.events[0]
    assert (down.related_case_id, down.authority_id, down.sweep_run_id) == (case.id, world.rural.id, result.run_id)
    up = case.events[-1]
    assert (up.kind, up.from_state, up.related_case_id, up.authority_id) == (
        EventKind.ESCALATED,
        CaseState.OVERDUE,
        upper.id,
        world.ladder[1].id,
    )


def test_escalate_after_is_configurable(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "FEEDBACK_ESCALATE_AFTER_OVERDUE_DAYS", 0)
    case = open_case(world)
    result = services.sweep(D("2026-02-24"))  # overdue and escalated in one run
    assert (result.overdue, result.escalated) == (1, 1)
    assert kinds(reload(case)) == [EventKind.OPENED, EventKind.OVERDUE, EventKind.ESCALATED]


def test_overdue_at_the_top_stays_overdue(world):
    case = open_case(world, authority=world.kurultai, source=CaseSource.KURULTAI_PROPOSAL)
    assert services.sweep(D("2026-06-01")).overdue == 1
    assert services.sweep(D("2026-06-02")).changed == 0
    assert reload(case).state == CaseState.OVERDUE


def test_the_full_climb_by_sweeps(world, outbox):
    case = open_case(world, others=world.people[:2])
    case_id = case.id
    commit()
    on = MONDAY
    current = case
    # notify_sweep (run inline at commit) expunges the session: keep ids, not objects.
    ladder_ids = [a.id for a in world.ladder]
    citizen_id, people_ids = world.citizen.id, {p.id for p in world.people[:2]}
    for level, authority_id in enumerate(ladder_ids[1:], start=1):
        on = add_working_days(current.due_on, 6)  # more than 5 working days late
        result = services.sweep(on)
        assert result.escalated == 1 and result.overdue == 1, (level, result)
        assert services.sweep(on).changed == 0
        commit()
        current = reload(current)
        assert current.state == CaseState.ESCALATED
        upper = current.escalated_to
        assert (upper.authority_id, upper.level, upper.root_id, upper.received_on) == (
            authority_id,
            level,
            case_id,
            add_working_days(on, 0),
        )
        assert citizen_id in {p.id for p in services.participants(upper)}
        current = upper
    chain = services.chain(_db.session.get(Case, case_id))
    assert [c.authority_id for c in chain] == ladder_ids
    assert [c.state for c in chain] == [CaseState.ESCALATED] * 4 + [CaseState.OPENED]
    for below, above in zip(chain, chain[1:], strict=False):
        assert above.escalated_from_id == below.id and below.escalated_to.id == above.id
        assert {p.id for p in services.participants(above)} == {citizen_id, *people_ids}
    # At the top the case waits for the secretariat; the sweep only marks it overdue.
    late = add_working_days(chain[-1].due_on, 30)
    assert services.sweep(late).overdue == 1 and services.sweep(late).changed == 0
    commit()
    # Everyone was told at every step: the citizen got "overdue" and "escalated" four times.
    mine = [m["Subject"] for m in outbox.messages() if m["To"] == "citizen@example.kz"]
    assert len(mine) == 1 + 4 * 2 + 1  # filed, 4 x (overdue, escalated), overdue at the top


def test_sweep_mails_after_commit(world, monkeypatch):
    sent = []
    real = jobs.build_message
    monkeypatch.setattr(jobs, "build_message", lambda u, t, c: sent.append((u.email, t)) or real(u, t, c))
    open_case(world, others=world.people[:1])
    commit()
    sent.clear()
    services.sweep(D("2026-03-03"))
    assert sent == []  # nothing before the commit
    commit()
    assert sorted(sent) == sorted(
        [
            ("citizen@example.kz", "case_overdue"),
            ("p0@example.kz", "case_overdue"),
            ("citizen@example.kz", "case_escalated"),
            ("p0@example.kz", "case_escalated"),
            ("officer1@example.kz", "case_new"),
        ]
    )


# -- idempotency and counts -----------------------------------------------------------------------------


def busy_day(world, monkeypatch, app):
    """Cases in every situation the sweep handles, plus ones it must leave alone."""
    monkeypatch.setitem(app.config, "FEEDBACK_MIN_RATINGS", 1)
    early = D("2026-01-12")
    made = {}
    made["overdue"] = [open_case(world, on=D("2026-02-02")) for _ in range(3)]  # due 23 Feb
    made["escalate_overdue"] = [open_case(world, on=early) for _ in range(2)]  # due 2 Feb
    made["still_open"] = [open_case(world, on=D("2026-02-20")) for _ in range(2)]
    made["resolve"] = [open_case(world, on=early, others=world.people[:1]) for _ in range(2)]
    made["escalate_unhappy"] = [open_case(world, on=early, others=world.people[:2]) for _ in range(2)]
    made["close_top"] = [open_case(world, authority=world.kurultai, on=early) for _ in range(2)]
    made["rating_open"] = [open_case(world, on=early) for _ in range(1)]
    for case in made["resolve"] + made["escalate_unhappy"] + made["close_top"]:
        answer(world, case, on=D("2026-02-09"))  # window closes 23 Feb
    answer(world, made["rating_open"][0], on=D("2026-02-24"))
    for case in made["escalate_unhappy"] + made["close_top"]:
        services.rate(case, world.citizen, False, on=D("2026-02-10"))
    services.withdraw(open_case(world, on=early), world.citizen)
    return made


def test_second_sweep_changes_nothing(world, monkeypatch, app):
    made = busy_day(world, monkeypatch, app)
    on = D("2026-02-24")  # overdue by 1 (23 Feb due) and by 16 working days (2 Feb due)
    first = services.sweep(on)
    assert (first.overdue, first.resolved, first.closed, first.escalated) == (5, 2, 2, 4)
    before = snapshot()
    second = services.sweep(on)
    assert second.changed == 0
    assert snapshot() == before
    assert _db.session.get(SweepRun, second.run_id) is None  # a run that changed nothing leaves no row
    assert {reload(c).state for c in made["still_open"]} == {CaseState.OPENED}
    assert reload(made["rating_open"][0]).state == CaseState.ANSWERED


def test_counts_match_the_rows(world, monkeypatch, app):
    busy_day(world, monkeypatch, app)
    before = {
        "cases": _db.session.scalar(sa.select(sa.func.count()).select_from(Case)),
        "audit": _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    }
    result = services.sweep(D("2026-02-24"))
    run = _db.session.get(SweepRun, result.run_id)
    assert (run.overdue, run.resolved, run.closed, run.escalated) == (
        result.overdue,
        result.resolved,
        result.closed,
        result.escalated,
    )
    assert run.finished_at is not None and run.today == D("2026-02-24")
    by_kind = dict(
        _db.session.execute(
            sa.select(CaseEvent.kind, sa.func.count()).where(CaseEvent.sweep_run_id == run.id).group_by(CaseEvent.kind)
        ).all()
    )
    assert by_kind == {
        EventKind.OVERDUE: result.overdue,
        EventKind.RESOLVED: result.resolved,
        EventKind.CLOSED: result.closed,
        EventKind.ESCALATED: result.escalated,
        EventKind.ESCALATED_IN: result.escalated,
    }
    states = dict(
        _db.session.execute(
            sa.select(Case.state, sa.func.count()).where(Case.escalated_at.is_not(None)).group_by(Case.state)
        ).all()
    )
    assert states == {CaseState.ESCALATED: result.escalated}
    new_cases = _db.session.scalar(sa.select(sa.func.count()).select_from(Case)) - before["cases"]
    assert new_cases == result.escalated
    assert _db.session.scalar(sa.select(sa.func.count()).where(Case.escalated_from_id.is_not(None))) == result.escalated
    # One audit row for the run.
    audit = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > 0).order_by(AuditEntry.id.desc())).first()
    assert audit.action == "feedback.sweep" and audit.details_dict["escalated"] == result.escalated
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before["audit"] + 1
