"""Signing under load on PostgreSQL: many signers at once, each in its own thread, app context and connection,
committing for real, as gunicorn's workers would.

The ``db`` fixture's rolled-back transaction cannot span threads, so these tests build their own database
(``<test database>_signrace``), fill it with committed rows and drop it at the end. What they hold the
services to: the count is exact (signatures, the tally and ``counts()`` agree), one signature per IIN, no
deadlock or serialization failure, and the hand-over is atomic: exactly one case, and no signature accepted
after it without its signer being a participant.

The hand-over test catches the locks' removal: without the ``FOR UPDATE`` in ``services.reach`` every round
opens two or more cases; without the ``FOR KEY SHARE`` in ``services.sign`` about 8 rounds in 10 let a
signature in after the hand-over (so one of the three rounds fails all but surely).
"""

from __future__ import annotations

import itertools
import queue
import random
import threading
import time
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from core.accounts.models import Role, User
from core.db import commit, rollback, utcnow
from core.db import db as _db
from tests.pg import only_on_postgresql, own_database_app

pytestmark = only_on_postgresql("concurrent signing is tested")

THREADS = 24
SIGNER_PAUSE = 0.02  # seconds; see ``wide_windows``
HANDOVER_PAUSE = 0.02
VILLAGE = "623633100"
TITLE = "Repair the road from Ainabulak to the district centre"
TEXT = (
    "The road from the village to the district centre has not been repaired for ten years. "
    "We ask the akimat to include it in next year's repair plan."
)
_IINS = itertools.count(1)  # IINs are unique across the whole module's database


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    # A connection per thread, so that the signers really run at once.
    options = {"pool_pre_ping": True, "pool_size": THREADS + 2, "max_overflow": 2}
    with own_database_app(tmp_path_factory, "signrace", options) as app:
        yield app


def _citizens(tag: str, n: int) -> list[User]:
    """``n`` verified villagers with IINs (added to the session, not committed)."""
    from flask import current_app

    from core.iin import iin_hash
    from tests.petitions.conftest import make_iin

    key = current_app.config["IIN_HASH_KEY"]
    now = utcnow()
    users = [
        User(
            email=f"{tag}{i}@example.kz",
            password_hash="x",
            display_name="Айгүл Серікова",
            locale="en",
            home_territory_code=VILLAGE,
            email_verified_at=now,
            iin_hash=iin_hash(make_iin(next(_IINS)), key),
            iin_added_at=now,
        )
        for i in range(n)
    ]
    _db.session.add_all(users)
    _db.session.flush()
    return users


def _collecting(app, tag: str, threshold: int, initial: int, signers: int) -> tuple[int, int, list[int]]:
    """A committed petition collecting signatures, with ``threshold`` and ``initial`` supporters, and
    ``signers`` committed citizens. Returns (petition id, author id, signer ids)."""
    from core.accounts.services import grant_role
    from core.authorities.services import find_authority
    from petitions import rules, services

    with app.app_context():
        district = find_authority("akimat:623600000")
        author, *users = _citizens(tag, signers + 1)
        moderator = User(email=f"{tag}-moderator@example.kz", password_hash="x", display_name="Moderator", locale="en")
        _db.session.add(moderator)
        _db.session.flush()
        grant_role(moderator, Role.MODERATOR)
        rules.set_rule("", fixed=threshold, authority=district)
        petition = services.create_draft(author, VILLAGE, district, "roads_transport", TITLE, TEXT)
        services.submit(petition, author, acknowledged=True)
        services.take(petition, moderator)
        old = app.config["PETITIONS_INITIAL_SUPPORTERS"]
        app.config["PETITIONS_INITIAL_SUPPORTERS"] = initial
        try:
            services.publish(petition, moderator)
        finally:
            app.config["PETITIONS_INITIAL_SUPPORTERS"] = old
        assert (petition.threshold, petition.initial_supporters) == (threshold, initial)
        commit()
        result = petition.id, author.id, [u.id for u in users]
        _db.session.remove()
    return result


@dataclass
class Outcome:
    accepted: list[int] = field(default_factory=list)  # user ids whose sign (or unsign) committed
    already: list[int] = field(default_factory=list)  # AlreadySigned
    refused: list[tuple[int, str]] = field(default_factory=list)  # SignError or Conflict, with the message
    errors: list[BaseException] = field(default_factory=list)  # anything else: deadlocks, serialization failures


def _race(app, petition_id: int, work: list[tuple[str, int]], threads: int = THREADS) -> dict[str, Outcome]:
    """Run ``work`` (("sign" | "unsign", user id) items, in order of hand-out) on ``threads`` threads started
    together. Each item is one unit of work committed for real, then ``after_signing`` in another, as the
    view does. Returns an Outcome per action."""
    from core.errors import Conflict
    from petitions import services
    from petitions.models import Petition

    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in work:
        todo.put(item)
    outcomes = {"sign": Outcome(), "unsign": Outcome()}
    record = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker():
        with app.app_context():
            try:
                _db.session.execute(sa.text("SELECT 1"))  # connect before the start line
                rollback()
                barrier.wait(timeout=60)
                while True:
                    try:
                        action, user_id = todo.get_nowait()
                    except queue.Empty:
                        break
                    outcome = outcomes[action]
                    petition = _db.session.get(Petition, petition_id)
                    user = _db.session.get(User, user_id)
                    try:
                        if action == "sign":
                            services.sign(petition, user)
                        else:
                            services.unsign(petition, user)
                        commit()
                    except services.AlreadySigned:
                        rollback()
                        with record:
                            outcome.already.append(user_id)
                    except (services.SignError, Conflict) as exc:
                        rollback()
                        with record:
                            outcome.refused.append((user_id, str(exc)))
                    else:
                        with record:
                            outcome.accepted.append(user_id)
                    services.after_signing(petition_id)
                    commit()
            except Exception as exc:  # pragma: no cover - reported by the test
                rollback()
                with record:
                    outcomes["sign"].errors.append(exc)
            finally:
                _db.session.remove()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in pool), "a signer is stuck"
    errors = outcomes["sign"].errors
    assert not errors, errors
    return outcomes


@dataclass
class Found:
    rows: int
    total: int
    tally: int
    shards: int
    signer_ids: set[int]
    repeated_iins: list
    events: dict
    state: object
    final_count: int | None
    case_id: int | None
    case_ids: list[int]
    participants: dict[int, str]


def _look(app, petition_id: int) -> Found:
    """What the database holds for a petition, read afresh."""
    from feedback.models import Case, CaseParticipant, CaseSource
    from petitions import services
    from petitions.models import Petition, PetitionEvent, Signature, SignatureTally

    with app.app_context():
        s = _db.session
        signatures = Signature.__table__.c
        tallies = SignatureTally.__table__.c
        petition = s.get(Petition, petition_id)
        case_ids = list(
            s.scalars(sa.select(Case.id).where(Case.source == CaseSource.PETITION, Case.source_ref == str(petition_id)))
        )
        found = Found(
            rows=s.scalar(sa.select(sa.func.count()).where(signatures.petition_id == petition_id)),
            total=services.counts(petition_id).total,
            tally=s.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(tallies.online + tallies.paper), 0)).where(
                    tallies.petition_id == petition_id
                )
            ),
            shards=s.scalar(sa.select(sa.func.count()).where(tallies.petition_id == petition_id)),
            signer_ids=set(s.scalars(sa.select(signatures.user_id).where(signatures.petition_id == petition_id))),
            repeated_iins=s.execute(
                sa.select(signatures.iin_hash)
                .where(signatures.petition_id == petition_id)
                .group_by(signatures.iin_hash)
                .having(sa.func.count() > 1)
            ).all(),
            events=dict(
                s.execute(
                    sa.select(PetitionEvent.kind, sa.func.count())
                    .where(PetitionEvent.petition_id == petition_id)
                    .group_by(PetitionEvent.kind)
                ).all()
            ),
            state=petition.state,
            final_count=petition.final_count,
            case_id=petition.case_id,
            case_ids=case_ids,
            participants=dict(
                s.execute(
                    sa.select(CaseParticipant.user_id, CaseParticipant.role).where(
                        CaseParticipant.case_id.in_(case_ids or [0])
                    )
                ).all()
            ),
        )
        s.remove()
    return found


def test_many_signers_at_once_are_counted_exactly(race_app):
    from petitions.models import PetitionEventKind, PetitionState

    petition_id, _author, signers = _collecting(race_app, "many", threshold=10_000, initial=50, signers=400)
    twice = random.Random(1).sample(signers, 60)
    work = [("sign", u) for u in signers + twice]
    random.Random(2).shuffle(work)
    out = _race(race_app, petition_id, work)["sign"]

    assert sorted(out.accepted) == sorted(signers)  # every signer once
    assert sorted(out.already) == sorted(twice)  # and every second attempt refused as a repeat
    assert out.refused == []
    found = _look(race_app, petition_id)
    assert found.rows == found.total == found.tally == len(out.accepted) == 400
    assert found.signer_ids == set(signers)
    assert found.repeated_iins == []
    assert found.shards > 1  # spread over the tally's rows
    assert found.state == PetitionState.COLLECTING and found.case_ids == [] and found.case_id is None
    assert found.events[PetitionEventKind.LISTED] == 1
    with race_app.app_context():  # what a cached page reads: the same exact count, outside any transaction
        from petitions import services

        head = services.page_head(petition_id, outside_transaction=True)
        assert head.counts.total == 400 and head.state == PetitionState.COLLECTING and head.listed
        assert not _db.session().in_transaction()


def _slowed(func, seconds: float):
    def slow(*args, **kwargs):
        time.sleep(seconds)
        return func(*args, **kwargs)

    return slow


@pytest.fixture
def wide_windows(monkeypatch):
    """Hold each signer a moment between reading the petition's state and inserting its signature, and the
    hand-over a moment while it adds the participants. With the locks this only slows things down; without
    them it makes a signature slipping in after the hand-over (or a second hand-over) near certain."""
    from feedback import services as loop
    from petitions import services

    monkeypatch.setattr(services, "region_and_district", _slowed(services.region_and_district, SIGNER_PAUSE))
    monkeypatch.setattr(loop, "add_participants", _slowed(loop.add_participants, HANDOVER_PAUSE))


@pytest.mark.parametrize("round_", range(3))
def test_the_threshold_is_reached_once_under_concurrency(race_app, wide_windows, round_):
    """A threshold of 50 and 80 signers on 24 threads: many are between their first statement and their commit
    when the 50th commits. The hand-over happens once, and each signature is either in the case (its signer a
    participant, counted in ``final_count``) or refused; none slips in between."""
    from feedback.models import ParticipantRole
    from petitions.models import PetitionEventKind, PetitionState

    petition_id, author, signers = _collecting(race_app, f"reach{round_}-", threshold=50, initial=10, signers=80)
    out = _race(race_app, petition_id, [("sign", u) for u in signers])["sign"]

    found = _look(race_app, petition_id)
    assert found.state == PetitionState.REACHED
    assert found.case_ids == [found.case_id]  # one hand-over
    assert len(out.accepted) >= 50
    assert sorted(out.accepted + [u for u, _ in out.refused]) == sorted(signers) and out.already == []
    assert {message for _, message in out.refused} <= {"This petition is not collecting signatures."}
    # No signature after the hand-over: every accepted one is counted in it and its signer took part.
    assert found.final_count == len(out.accepted) == found.rows == found.total == found.tally
    assert found.signer_ids == set(out.accepted)
    assert found.participants == {
        author: ParticipantRole.AUTHOR,
        **{u: ParticipantRole.SIGNER for u in out.accepted},
    }
    assert found.events[PetitionEventKind.LISTED] == 1
    assert found.events[PetitionEventKind.REACHED] == 1


def test_signing_and_unsigning_at_once_keep_the_count(race_app):
    petition_id, _author, users = _collecting(race_app, "churn", threshold=10_000, initial=50, signers=300)
    first, rest = users[:100], users[100:]
    before = _race(race_app, petition_id, [("sign", u) for u in first])["sign"]
    assert sorted(before.accepted) == sorted(first)

    leaving, changing_mind = first[:60], first[60:90]
    work = (
        [("unsign", u) for u in leaving]
        + [("sign", u) for u in rest]
        + [("unsign", u) for u in changing_mind]
        + [("sign", u) for u in changing_mind]  # back again, if the withdrawal went first
        + [("unsign", u) for u in rest[:20]]  # may or may not have signed yet
    )
    random.Random(3).shuffle(work)
    out = _race(race_app, petition_id, work)

    found = _look(race_app, petition_id)
    expected = len(first) + len(out["sign"].accepted) - len(out["unsign"].accepted)
    assert found.rows == found.total == found.tally == expected
    assert found.repeated_iins == []
    assert set(out["unsign"].accepted) >= set(leaving)  # a withdrawal of one's own signature always works
    assert {message for _, message in out["unsign"].refused} <= {"You have not signed this petition."}
    assert set(out["sign"].accepted) >= set(rest)
    assert found.signer_ids >= set(first[90:]) | set(rest[20:])
    assert not found.signer_ids & set(leaving)
