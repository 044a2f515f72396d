"""Deadlines in working days: the calendar under them, the sweep's cut-off, the status a case page shows,
and the deadline rules (rows beat defaults by specificity) that opening and escalation use.

Every expected date below was worked out by hand from a wall calendar (weekday noted beside it)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import find_authority
from core.calendar import DayKind, add_working_days, is_working_day, set_day, working_days_between
from core.db import db as _db
from feedback import rules, services
from feedback.models import CaseSource, Decision

D = date.fromisoformat
KURBAN_AIT_2026 = (D("2026-05-27"), DayKind.HOLIDAY)  # Wednesday, set by Government decree
# The Government's 2025 transfer: Friday 3 January a day off, Saturday 4 January a working day.
TRANSFER_2025 = ((D("2025-01-03"), DayKind.DAY_OFF), (D("2025-01-04"), DayKind.WORKING_DAY))


def configure(days) -> None:
    for day, kind in days:
        set_day(day, kind, {"en": f"test {kind.value}"}, "test resolution")


# (start, n, configured days, expected, why)
ADD_CASES = [
    ("2026-02-02", 4, (), "2026-02-06", "Mon + 4 = Fri, no weekend"),
    ("2026-02-05", 2, (), "2026-02-09", "Thu + 2 skips Sat/Sun"),
    ("2026-02-07", 1, (), "2026-02-09", "from a Saturday: Monday is the first"),
    ("2026-02-07", 0, (), "2026-02-09", "n=0 on a Saturday rolls to Monday"),
    ("2026-02-04", 0, (), "2026-02-04", "n=0 on a working day is that day"),
    ("2026-02-02", 15, (), "2026-02-23", "15 working days from a Monday: Monday three weeks on"),
    ("2025-12-31", 1, (), "2026-01-05", "1-2 Jan (Thu, Fri) then the weekend"),
    ("2025-12-31", 3, (), "2026-01-08", "7 Jan (Wed), Orthodox Christmas, is off"),
    ("2026-03-06", 1, (), "2026-03-10", "8 March on Sunday moves the day off to Monday 9"),
    ("2025-03-07", 1, (), "2025-03-11", "8 March on Saturday: Monday 10 off (2025)"),
    ("2026-03-20", 1, (), "2026-03-26", "Nauryz 21-23 Mar 2026 (Sat-Mon): 23, 24, 25 off"),
    ("2025-03-20", 1, (), "2025-03-26", "Nauryz 2025 (Fri-Sun): 21, 24, 25 off"),
    ("2025-03-20", 2, (), "2025-03-27", "Nauryz 2025, one day further"),
    ("2026-04-30", 1, (), "2026-05-04", "1 May (Fri) then the weekend"),
    ("2026-05-06", 1, (), "2026-05-08", "7 May (Thu), Defender of the Fatherland Day"),
    ("2026-05-08", 1, (), "2026-05-12", "9 May on Saturday moves the day off to Monday 11"),
    ("2025-05-08", 1, (), "2025-05-12", "9 May 2025 is a Friday"),
    ("2026-07-03", 1, (), "2026-07-07", "6 July (Mon), Capital Day"),
    ("2025-07-04", 1, (), "2025-07-08", "6 July 2025 on Sunday: Monday 7 off"),
    ("2026-08-28", 1, (), "2026-09-01", "30 August on Sunday: Monday 31 off"),
    ("2025-08-29", 1, (), "2025-09-02", "30 August 2025 on Saturday: Monday 1 Sep off"),
    ("2026-10-23", 1, (), "2026-10-27", "25 October on Sunday: Monday 26 off"),
    ("2026-12-15", 1, (), "2026-12-17", "16 December (Wed), Independence Day"),
    ("2026-12-15", 2, (), "2026-12-18", "16 December, one day further"),
    ("2023-12-15", 1, (), "2023-12-19", "16 December 2023 on Saturday: Monday 18 off"),
    ("2024-01-05", 1, (), "2024-01-08", "7 Jan 2024 (Sun) is religious: not moved"),
    ("2026-05-26", 1, (), "2026-05-27", "without the decree Kurban Ait is a working day"),
    ("2026-05-26", 1, (KURBAN_AIT_2026,), "2026-05-28", "Kurban Ait 27 May 2026 (Wed) configured"),
    ("2026-06-12", 1, ((D("2026-06-13"), DayKind.HOLIDAY),), "2026-06-15", "a religious holiday on Sat: not moved"),
    ("2024-12-31", 1, (), "2025-01-03", "no transfer: Friday 3 Jan works"),
    ("2024-12-31", 1, TRANSFER_2025, "2025-01-04", "transfer: Fri 3 Jan off, Sat 4 Jan works"),
    ("2024-12-31", 2, TRANSFER_2025, "2025-01-06", "transfer: then Monday 6"),
    ("2024-12-31", 3, TRANSFER_2025, "2025-01-08", "transfer: 7 Jan off, so Wednesday 8"),
    ("2025-01-04", 0, TRANSFER_2025, "2025-01-04", "the working Saturday receives a case that very day"),
]


@pytest.mark.parametrize(
    ("start", "n", "configured", "expected"), [c[:4] for c in ADD_CASES], ids=[c[4] for c in ADD_CASES]
)
def test_add_working_days(db, start, n, configured, expected):
    configure(configured)
    assert add_working_days(D(start), n) == D(expected)


IS_WORKING = [
    ("2026-03-09", (), False),  # Monday, moved from 8 March
    ("2026-03-10", (), True),
    ("2026-03-24", (), False),  # Nauryz transfer
    ("2026-05-11", (), False),  # Victory Day transfer
    ("2026-10-26", (), False),
    ("2026-10-25", (), False),  # the holiday itself, a Sunday
    ("2026-05-27", (KURBAN_AIT_2026,), False),
    ("2025-01-03", TRANSFER_2025, False),
    ("2025-01-04", TRANSFER_2025, True),
    ("2025-01-04", (), False),
]


@pytest.mark.parametrize(("day", "configured", "working"), IS_WORKING)
def test_is_working_day(db, day, configured, working):
    configure(configured)
    assert is_working_day(D(day)) is working


BETWEEN = [
    ("2026-02-09", "2026-02-09", (), 0),
    ("2026-02-06", "2026-02-09", (), 1),  # Fri -> Mon
    ("2026-02-09", "2026-02-06", (), -1),
    ("2026-03-20", "2026-03-26", (), 1),  # across Nauryz 2026
    ("2026-03-20", "2026-03-31", (), 4),
    ("2024-12-31", "2025-01-10", (), 5),  # 3, 6, 8, 9, 10
    ("2024-12-31", "2025-01-10", TRANSFER_2025, 5),  # 4, 6, 8, 9, 10
    ("2026-05-22", "2026-05-29", (KURBAN_AIT_2026,), 4),  # 25, 26, 28, 29
]


@pytest.mark.parametrize(("a", "b", "configured", "expected"), BETWEEN)
def test_working_days_between(db, a, b, configured, expected):
    configure(configured)
    assert working_days_between(D(a), D(b)) == expected


# (day, n, expected): the latest date more than n working days before ``day``.
CUTOFFS = [
    ("2026-02-09", 0, "2026-02-08"),
    ("2026-02-09", 1, "2026-02-05"),
    ("2026-02-08", 0, "2026-02-05"),  # from a Sunday: Friday is the first working day back
    ("2026-02-13", 5, "2026-02-05"),
    ("2026-03-26", 1, "2026-03-19"),  # back across Nauryz and the weekend
    ("2026-01-08", 4, "2025-12-29"),  # back across 7 Jan, the weekend and New Year
]


@pytest.mark.parametrize(("day", "n", "expected"), CUTOFFS)
def test_working_days_cutoff(db, day, n, expected):
    cutoff = services.working_days_cutoff(D(day), n)
    assert cutoff == D(expected)
    # The defining property, over a month of candidate dates.
    for back in range(40):
        d = D(day) - timedelta(days=back)
        assert (working_days_between(d, D(day)) > n) is (d <= cutoff), d


# A case due on Friday 13 February 2026: (on, left, late days, late, due soon)
STATUS = [
    ("2026-02-09", 4, 0, False, False),
    ("2026-02-10", 3, 0, False, True),
    ("2026-02-13", 0, 0, False, True),  # due today: not late
    ("2026-02-14", 0, 0, True, False),  # the day after (a Saturday): late
    ("2026-02-16", 0, 1, True, False),
    ("2026-02-20", 0, 5, True, False),
]


@pytest.mark.parametrize(("on", "left", "late_days", "late", "soon"), STATUS)
def test_deadline_status(db, on, left, late_days, late, soon):
    status = services.deadline_status(SimpleNamespace(due_on=D("2026-02-13")), on=D(on))
    assert (status.working_days_left, status.working_days_late, status.late, status.due_soon) == (
        left,
        late_days,
        late,
        soon,
    )
    assert status.due_on == D("2026-02-13")


# -- rules ----------------------------------------------------------------------------------------------


@pytest.fixture
def ladder(kato, db):
    return SimpleNamespace(
        rural=find_authority("akim:623633000"),
        district=find_authority("akimat:623600000"),
        other_district=_db.session.scalar(
            sa.select(Authority)
            .where(Authority.kind == AuthorityKind.DISTRICT_AKIMAT, Authority.key != "akimat:623600000")
            .order_by(Authority.id)
            .limit(1)
        ),
        region=find_authority("akimat:620000000"),
        government=find_authority("government"),
        kurultai=find_authority("kurultai"),
    )


DEFAULT_CASES = [
    (CaseSource.PROPOSAL, "rural", 15),
    (CaseSource.PROPOSAL, "government", 15),
    (CaseSource.KURULTAI_PROPOSAL, "kurultai", 15),
    (CaseSource.PETITION, "rural", 20),
    (CaseSource.PETITION, "district", 20),
    (CaseSource.PETITION, "region", 20),
    (CaseSource.PETITION, "government", 40),
    (CaseSource.PETITION, "kurultai", 40),
    (CaseSource.COUNCIL_RECOMMENDATION, "district", 15),
    (CaseSource.HEARING, "government", 15),
]


@pytest.mark.parametrize(("source", "who", "days"), DEFAULT_CASES)
def test_default_deadlines(ladder, source, who, days):
    authority = getattr(ladder, who)
    assert rules.DeadlineTable().working_days(source, authority.kind, authority.id) == days
    assert rules.response_working_days(source, authority) == days


def test_ministries_are_central(ladder):
    assert rules.DeadlineTable().working_days(CaseSource.PETITION, AuthorityKind.MINISTRY) == 40


# Each case: rows to store as (source, scope, days, authority attribute or None), then expectations
# (source, authority attribute, days).
RULE_CASES = [
    pytest.param(
        [("petition", "rural_akim", 25, None)],
        [("petition", "rural", 25), ("petition", "district", 20), ("proposal", "rural", 15)],
        id="a kind row beats local",
    ),
    pytest.param(
        [("petition", "local", 22, None), ("petition", "district_akimat", 30, None)],
        [("petition", "district", 30), ("petition", "rural", 22), ("petition", "government", 40)],
        id="kind beats a stored local row",
    ),
    pytest.param(
        [("petition", "district_akimat", 30, None), ("petition", "any", 12, "district")],
        [("petition", "district", 12), ("petition", "other_district", 30)],
        id="an authority row beats a kind row",
    ),
    pytest.param(
        [("", "rural_akim", 12, None), ("proposal", "rural_akim", 9, None)],
        [("proposal", "rural", 9), ("hearing", "rural", 12), ("petition", "rural", 12)],
        id="source-specific beats any source",
    ),
    pytest.param(
        [("", "any", 12, "district"), ("proposal", "any", 7, "district")],
        [("proposal", "district", 7), ("petition", "district", 12), ("petition", "other_district", 20)],
        id="source-specific beats any source for one authority",
    ),
    pytest.param(
        [("", "any", 12, None)],
        [("hearing", "district", 12), ("petition", "district", 20), ("petition", "government", 40)],
        id="a general row does not shadow a more specific default",
    ),
    pytest.param(
        [("petition", "central", 30, None)],
        [("petition", "government", 30), ("petition", "rural", 20)],
        id="a stored row replaces the default of the same key",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), RULE_CASES)
def test_rule_resolution(ladder, rows, expected):
    for source, scope, days, who in rows:
        rules.set_rule(source, scope, days, authority=getattr(ladder, who) if who else None)
    table = rules.DeadlineTable()
    for source, who, days in expected:
        authority = getattr(ladder, who)
        assert table.working_days(source, authority.kind, authority.id) == days, (source, who)


def test_effective_rules_agree_with_resolution(ladder):
    rules.set_rule("", "any", 12)
    shown = {(r["source"], r["scope"]): r["working_days"] for r in rules.effective_rules() if not r["authority_id"]}
    table = rules.DeadlineTable()
    assert shown[("petition", "local")] == table.working_days("petition", AuthorityKind.DISTRICT_AKIMAT) == 20
    assert shown[("", "any")] == table.working_days("hearing", AuthorityKind.DISTRICT_AKIMAT) == 12


def test_open_case_uses_the_rules(ladder, make_user):
    rules.set_rule("proposal", "rural_akim", 7)
    rules.set_rule("petition", "any", 3, authority=ladder.district)
    citizen = make_user(home="623633100")
    on = D("2026-03-20")  # Friday before Nauryz: received that day
    case = services.open_case(
        CaseSource.PROPOSAL, ladder.rural, "Water supply", "No water in the village.", citizen, on=on
    )
    assert case.received_on == on
    assert case.due_on == add_working_days(on, 7) == D("2026-04-03")
    petition = services.open_case(
        CaseSource.PETITION, ladder.district, "Road repair", "Repair the road to school.", on=on
    )
    assert petition.due_on == add_working_days(on, 3) == D("2026-03-30")
    weekend = services.open_case(
        CaseSource.PETITION, ladder.region, "Road repair", "Repair the road to school.", on=D("2026-03-21")
    )
    assert weekend.received_on == D("2026-03-26")  # a Saturday in Nauryz: received on the next working day
    assert weekend.due_on == add_working_days(D("2026-03-26"), 20)


def test_escalation_uses_the_parent_rules(ladder, make_user):
    """Both the escalate() service and the sweep's set-based escalation give the parent its own deadline."""
    rules.set_rule("proposal", "district_akimat", 11)
    rules.set_rule("proposal", "any", 4, authority=ladder.region)
    citizen = make_user(home="623633100")
    officer = make_user(roles=[(Role.OFFICER, ladder.rural)])
    on = D("2026-02-02")
    case = services.open_case(
        CaseSource.PROPOSAL, ladder.rural, "Water supply", "No water in the village since May.", citizen, on=on
    )
    services.publish_answer(case, Decision.NOT_SUPPORTED, "There is no budget this year, sorry.", [], officer, on=on)
    services.rate(case, citizen, False, on=on)
    assert services.sweep(on).escalated == 1
    _db.session.expire_all()
    upper = case.escalated_to
    assert upper.authority_id == ladder.district.id
    assert upper.received_on == on and upper.due_on == add_working_days(on, 11)
    district_officer = make_user(roles=[(Role.OFFICER, ladder.district)])
    services.publish_answer(
        upper, Decision.REFERRED, "This is for the region to decide on.", [], district_officer, on=on
    )
    top = upper.escalated_to
    assert top.authority_id == ladder.region.id
    assert top.due_on == add_working_days(on, 4)


def test_a_replayed_clock_is_seen_only_inside_its_block(app):
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    with app.app_context():
        real = services.today()
        with services.replayed_clock(lambda: moment, lambda: date(2026, 3, 2)):
            assert services.today() == date(2026, 3, 2)
            assert services.current_time() == moment
        assert services.today() == real
        assert services.current_time() != moment


def test_the_database_keeps_one_rule_per_source_and_scope(db):
    from sqlalchemy.exc import IntegrityError

    from feedback.models import DeadlineRule

    _db.session.add(DeadlineRule(source="proposal", scope="local", working_days=12))
    _db.session.flush()
    nested = _db.session.begin_nested()
    _db.session.add(DeadlineRule(source="proposal", scope="local", working_days=9))
    with pytest.raises(IntegrityError):
        _db.session.flush()
    nested.rollback()


def test_a_rule_saved_twice_at_once_is_a_conflict_not_a_crash(db, monkeypatch):
    """Two admins save the same new rule: the second finds the database's unique index in its way."""
    from core.errors import Conflict
    from feedback.models import DeadlineRule

    rules.set_rule("proposal", "local", 12)
    real_scalar = _db.session.scalar
    # The second admin's look-up ran before the first one's row existed.
    monkeypatch.setattr(
        _db.session,
        "scalar",
        lambda stmt, *a, **k: None if "deadline_rules" in str(stmt) else real_scalar(stmt, *a, **k),
    )
    with pytest.raises(Conflict):
        rules.set_rule("proposal", "local", 9)
    monkeypatch.undo()
    assert [r.working_days for r in _db.session.scalars(sa.select(DeadlineRule))] == [12]
