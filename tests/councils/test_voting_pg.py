"""Voting under concurrency on PostgreSQL, committed for real: members voting at once from their own sessions
(each twice) while the secretary closes the vote. Every ballot stored is counted, none twice, and a ballot that
comes after the count is refused, never stored uncounted."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import User
from core.db import commit, rollback
from core.db import db as _db
from tests.pg import only_on_postgresql, own_database_app

pytestmark = only_on_postgresql("voting races")

MEMBERS = 24
THREADS = 8


@pytest.fixture(scope="module")
def vote_app(tmp_path_factory):
    options = {"pool_pre_ping": True, "pool_size": THREADS + 4, "max_overflow": 4}
    with own_database_app(tmp_path_factory, "voterace", options) as app:
        yield app


def _scene(app) -> dict:
    """A council of MEMBERS members with accounts, all present at a meeting in progress, an open vote."""
    from core.authorities.services import find_authority
    from councils.models import (
        AgendaItem,
        Attendance,
        Council,
        CouncilMember,
        ItemKind,
        Meeting,
        MeetingState,
        Position,
    )
    from feedback import services as loop

    with app.test_request_context():
        district = find_authority("akimat:623600000")
        council = Council(
            authority_id=district.id,
            name_kk="Кеңес",
            name_ru="Совет",
            name_en="Council",
            term_starts_on=date(2025, 1, 1),
        )
        _db.session.add(council)
        _db.session.flush()
        now = loop.current_time()
        meeting = Meeting(
            council_id=council.id, number=1, starts_at=now - timedelta(hours=1), state=MeetingState.IN_PROGRESS
        )
        _db.session.add(meeting)
        _db.session.flush()
        users = []
        for n in range(MEMBERS):
            user = User(email=f"voter{n}-{council.id}@example.kz", password_hash="x", display_name=f"Мүше {n}")
            _db.session.add(user)
            _db.session.flush()
            position = Position.SECRETARY if n == 0 else Position.MEMBER
            seat = CouncilMember(
                council_id=council.id,
                user_id=user.id,
                full_name=f"Мүше {n}",
                position=position,
                term_starts_on=date(2025, 1, 1),
            )
            _db.session.add(seat)
            _db.session.flush()
            _db.session.add(Attendance(meeting_id=meeting.id, member_id=seat.id, present=True, arrived_at=now))
            users.append(user.id)
        item = AgendaItem(meeting_id=meeting.id, position=1, kind=ItemKind.OTHER, title="Су")
        _db.session.add(item)
        _db.session.flush()
        from councils import voting

        vote = voting.open_vote(item, _db.session.get(User, users[0]), "Қабылдау")
        commit()
        scene = {"vote": vote.id, "users": users}
        _db.session.remove()
    return scene


def _run(app, vote_id: int, work: list, close_after: int | None = None, secretary_id: int | None = None) -> dict:
    """Run ``work`` ((user id, choice) items) on THREADS threads started together; if ``close_after`` is given,
    the secretary closes the vote once that many ballots were accepted."""
    import queue

    from core.errors import AppError
    from councils import voting
    from councils.models import Vote

    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in work:
        todo.put(item)
    found = {"accepted": [], "refused": [], "errors": [], "closed": False}
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS + (1 if close_after is not None else 0))

    def voter():
        with app.test_request_context():
            try:
                _db.session.execute(sa.text("SELECT 1"))
                rollback()
                barrier.wait(timeout=60)
                while True:
                    try:
                        user_id, choice = todo.get_nowait()
                    except queue.Empty:
                        break
                    try:
                        voting.cast(_db.session.get(Vote, vote_id), _db.session.get(User, user_id), choice)
                        commit()
                    except AppError as exc:
                        rollback()
                        with lock:
                            found["refused"].append((user_id, str(exc)))
                    else:
                        with lock:
                            found["accepted"].append(user_id)
            except Exception as exc:  # pragma: no cover - reported by the test
                rollback()
                with lock:
                    found["errors"].append(exc)
            finally:
                _db.session.remove()

    def closer():
        with app.test_request_context():
            try:
                barrier.wait(timeout=60)
                while True:
                    with lock:
                        if len(found["accepted"]) >= close_after:
                            break
                    threading.Event().wait(0.001)
                vote = _db.session.get(Vote, vote_id)
                secretary = _db.session.get(User, secretary_id)
                voting.close_vote(vote, secretary)
                commit()
                found["closed"] = True
            except Exception as exc:  # pragma: no cover
                rollback()
                with lock:
                    found["errors"].append(exc)
            finally:
                _db.session.remove()

    pool = [threading.Thread(target=voter) for _ in range(THREADS)]
    if close_after is not None:
        pool.append(threading.Thread(target=closer))
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in pool), "a voter is stuck"
    assert not found["errors"], found["errors"]
    return found


def _stored(app, vote_id: int) -> dict:
    from councils.models import Ballot, Vote

    with app.app_context():
        vote = _db.session.get(Vote, vote_id)
        ballots = _db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote_id)).all()
        row = {
            "state": vote.state.value,
            "counts": vote.counts,
            "members": sorted(b.member.user_id for b in ballots),
            "by_choice": {c: sum(1 for b in ballots if b.choice == c) for c in ("for", "against", "abstain")},
        }
        _db.session.remove()
    return row


def test_each_member_votes_once_when_everyone_votes_twice_at_once(vote_app):
    scene = _scene(vote_app)
    users = scene["users"]
    choices = ["for", "against", "abstain"]
    work = [(u, choices[n % 3]) for n, u in enumerate(users)] * 2
    found = _run(vote_app, scene["vote"], work)
    assert sorted(found["accepted"]) == sorted(users)
    assert len(found["refused"]) == MEMBERS
    stored = _stored(vote_app, scene["vote"])
    assert stored["members"] == sorted(users)
    assert stored["by_choice"] == {"for": 8, "against": 8, "abstain": 8}


def test_closing_during_the_voting_counts_every_stored_ballot(vote_app):
    scene = _scene(vote_app)
    work = [(u, "for") for u in scene["users"]]
    found = _run(vote_app, scene["vote"], work, close_after=MEMBERS // 2, secretary_id=scene["users"][0])
    assert found["closed"]
    stored = _stored(vote_app, scene["vote"])
    assert stored["state"] == "closed"
    # Every ballot in the table is in the count, and every refusal says the vote closed.
    assert stored["counts"]["for"] == len(stored["members"]) == len(found["accepted"])
    assert len(found["accepted"]) + len(found["refused"]) == MEMBERS
    assert all("closed" in message for _, message in found["refused"])
