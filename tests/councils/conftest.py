"""Shared fixtures of the councils tests: the KATO-sample ladder and the public council of the district akimat
of district 623600000 with its members (chair, secretary, voting members, a state-body member without a vote,
a member without an account), the district's officer, a citizen, an admin.

Time is frozen by monkeypatching ``feedback.services.today`` and ``current_time``: council services read
the clock through them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest

from core.accounts.models import Role
from core.authorities.services import find_authority
from councils.models import Affiliation, Council, CouncilKind, CouncilMember, Position
from feedback import services as loop

TODAY = date.fromisoformat("2026-02-02")  # a Monday, far from any holiday
NOW = datetime.combine(TODAY, time(5, 0))  # 10:00 in Almaty
VILLAGE = "623633100"  # Ainabulak: a village of the KATO sample (district 623600000, region 620000000)


@pytest.fixture
def clock(monkeypatch):
    """``clock.set(day, at=None)``: move the frozen clock; starts at TODAY / NOW."""
    state = SimpleNamespace(today=TODAY, now=NOW)

    def set_(day: date, at: datetime | None = None):
        state.today = day
        state.now = at or datetime.combine(day, time(5, 0))

    state.set = set_
    monkeypatch.setattr(loop, "today", lambda: state.today)
    monkeypatch.setattr(loop, "current_time", lambda: state.now.replace(tzinfo=UTC))
    return state


@pytest.fixture
def cworld(kato, db, make_user, clock):
    """The district akimat's public council: 10 members with voting rights (chair, secretary and 7 members, each
    with an account, and a civil-society member without an account) and a state-body member without a vote.
    Quorum under the default rules: 7 of 10."""
    district = find_authority("akimat:623600000")
    council = Council(
        authority_id=district.id,
        kind=CouncilKind.PUBLIC_COUNCIL,
        name_kk="Аудан әкімдігінің қоғамдық кеңесі",
        name_ru="Общественный совет при акимате района",
        name_en="Public council of the district akimat",
        term_starts_on=date(2025, 1, 1),
        term_ends_on=date(2027, 12, 31),
    )
    db.session.add(council)
    db.session.flush()

    def seat(name, position=Position.MEMBER, user=True, **fields):
        account = make_user(display_name=name) if user else None
        member = CouncilMember(
            council_id=council.id,
            user_id=account.id if account else None,
            full_name=name,
            position=position,
            term_starts_on=date(2025, 1, 1),
            **fields,
        )
        db.session.add(member)
        db.session.flush()
        return member

    chair = seat("Ерлан Жақыпов", Position.CHAIR)
    secretary = seat("Гүлнар Омарова", Position.SECRETARY)
    members = [seat(f"Мүше Нөмір{i}", is_youth=(i < 2)) for i in range(7)]
    state_member = seat("Асқар Бекұлы", affiliation=Affiliation.STATE_BODY, voting_right=False)
    paper_member = seat("Сәуле Ахметова", user=False)
    return SimpleNamespace(
        council=council,
        district=district,
        region=find_authority("akimat:620000000"),
        rural=find_authority("akim:623633000"),
        chair=chair,
        secretary=secretary,
        members=members,
        state_member=state_member,
        paper_member=paper_member,
        officer=make_user("district@example.kz", roles=[(Role.OFFICER, district)]),
        citizen=make_user("citizen@example.kz", home=VILLAGE),
        admin=make_user("admin@example.kz", roles=[Role.ADMIN]),
    )
