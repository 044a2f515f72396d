"""``flask seed demo``'s petitions: a petition at every stage of its life, exact counts, signers who may sign,
the hand-over into the loop, consistent histories, no mail about the replayed past, nothing added twice."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from core.accounts.models import User
from core.calendar import add_working_days
from core.iin import is_valid_iin
from feedback import services as loop
from feedback.models import Case, CaseParticipant, CaseSource, CaseState, Decision, EscalationReason, ParticipantRole
from feedback.seed import LOCAL
from petitions import rules, seed, services
from petitions.models import (
    PaperBatch,
    Petition,
    PetitionEvent,
    PetitionState,
    Signature,
    SignatureKind,
    ThresholdRule,
)
from tests.conftest import count, seed_demo

ALL_STAGES = {s.stage for s in seed.STORIES}
#: Stories whose places only the full classifier has (the sample and the built-in set have no Kegen or Raiymbek).
FULL_ONLY = {"kegen_pastures", "raiymbek_dams"}


def _petitions() -> list[Petition]:
    from core.db import db

    return list(db.session.scalars(sa.select(Petition).order_by(Petition.id)).unique())


def _signatures(petition: Petition, kind: SignatureKind | None = None) -> list[Signature]:
    from core.db import db

    statement = sa.select(Signature).where(Signature.petition_id == petition.id)
    if kind is not None:
        statement = statement.where(Signature.kind == kind)
    return list(db.session.scalars(statement))


def _stages(today: date) -> dict[str, list[Petition]]:
    """The demo's petitions by the stage each shows, told apart by what they are, not by their titles."""
    found: dict[str, list[Petition]] = {stage: [] for stage in ALL_STAGES}
    for p in _petitions():
        paper = [b for b in _batches(p)]
        if p.state == PetitionState.DRAFT:
            found["draft"].append(p)
        elif p.state == PetitionState.PENDING:
            flag = services.moderation_flag(p, today)
            found["pending_overdue" if flag.overdue else "pending_near_due"].append(p)
        elif p.state == PetitionState.RETURNED:
            found["returned"].append(p)
        elif p.state == PetitionState.REJECTED:
            found["rejected"].append(p)
        elif p.state == PetitionState.NOT_REACHED:
            found["not_reached"].append(p)
        elif p.state == PetitionState.REACHED:
            stage = {
                CaseState.RESOLVED: "reached_answered",
                CaseState.ESCALATED: "reached_escalated",
                CaseState.AWAITING: "reached_awaiting",
            }[p.case.state]
            found[stage].append(p)
        elif p.listed_at is None:
            found["collecting_unlisted"].append(p)
        elif p.authority.kind.is_central:
            found["collecting_national"].append(p)
        elif any(b.duplicates or b.invalid for b in paper):
            found["paper"].append(p)
        else:
            found["collecting_local"].append(p)
    return found


def _batches(petition: Petition) -> list[PaperBatch]:
    from core.db import db

    return list(db.session.scalars(sa.select(PaperBatch).where(PaperBatch.petition_id == petition.id)).unique())


def _participants(case: Case, role: ParticipantRole | None = None) -> set[int]:
    from core.db import db

    statement = sa.select(CaseParticipant.user_id).where(CaseParticipant.case_id == case.id)
    if role is not None:
        statement = statement.where(CaseParticipant.role == role)
    return set(db.session.scalars(statement))


def test_every_stage_of_a_petition_is_there(seeded, db):
    today = loop.today()
    stages = _stages(today)
    assert {stage: len(found) for stage, found in stages.items()} == dict.fromkeys(ALL_STAGES, 1)
    one = {stage: found[0] for stage, found in stages.items()}
    assert len(_petitions()) == len(seed.STORIES)

    # Moderation: one due within the "near" days, one past its due date; a note for the returned one; a
    # public reason for the rejected one (a duplicate of a petition that was collecting then).
    near = services.moderation_flag(one["pending_near_due"], today)
    assert near.near and not near.overdue and near.working_days_left <= rules.moderation_near_days()
    assert services.moderation_flag(one["pending_overdue"], today).overdue
    assert one["returned"].moderation_note and "третьих" in one["returned"].moderation_note
    rejected = one["rejected"]
    assert rejected.reject_reason == "duplicate" and rules.reject_reason("duplicate").extra["public"]
    assert "Талгаре" in rejected.moderation_note
    assert one["draft"].submitted_at is None and one["draft"].authority.key == seed.DISTRICT_KEGEN

    # Collecting: unlisted below the initial supporters; a district akimat's at the law's 2,500; the
    # Government's at 50,000; the paper batch reports its duplicates and errors.
    unlisted = one["collecting_unlisted"]
    assert 0 < services.counts(unlisted.id).total < unlisted.initial_supporters == 50
    local = one["collecting_local"]
    assert local.threshold == 2_500 and local.threshold_population == 320_000
    assert 50 <= services.counts(local.id).total < local.threshold and local.listed_at is not None
    national = one["collecting_national"]
    assert national.threshold == 50_000 and national.authority.key == "government" and national.listed_at
    assert 200 <= services.counts(national.id).total <= 300
    paper = one["paper"]
    [batch] = _batches(paper)
    assert (batch.accepted, batch.duplicates, batch.invalid) == (58, 2, 2)
    assert batch.entered_by.email == seed.AKIMAT_RAIYMBEK and paper.threshold == 2_500
    assert services.counts(paper.id).paper == 58 and services.counts(paper.id).online > 0
    for p in stages["collecting_local"] + stages["collecting_national"] + stages["paper"] + [unlisted]:
        assert services.is_collecting(p, today) and p.published_at < datetime.now(UTC) - timedelta(days=5)

    # Not reached: the window ended, the petitions sweep closed it below the threshold.
    closed = one["not_reached"]
    assert closed.closes_on < today and closed.closed_at is not None
    assert closed.final_count == services.counts(closed.id).total < closed.threshold == 50_000

    # Reached, through a demo threshold for the authority (with a note saying so), exactly at it.
    rules_by_authority = {
        r.authority_id: r
        for r in db.session.scalars(sa.select(ThresholdRule).where(ThresholdRule.authority_id.is_not(None)))
    }
    for stage in ("reached_answered", "reached_escalated", "reached_awaiting"):
        p = one[stage]
        rule = rules_by_authority[p.authority_id]
        assert rule.note.startswith("demo threshold") and p.threshold == rule.fixed < 2_500
        assert p.final_count == p.threshold == services.counts(p.id).total
        assert p.case.source == CaseSource.PETITION and p.case.source_ref == str(p.id)
        assert services.for_case(p.case).id == p.id
    answered = one["reached_answered"].case
    assert answered.decision == Decision.SUPPORTED and len(answered.answer.measures) >= 2
    assert answered.answered_on_time and answered.satisfied_count > answered.dissatisfied_count >= 1
    escalated = one["reached_escalated"].case
    assert escalated.decision == Decision.NOT_SUPPORTED
    assert escalated.escalation_reason == EscalationReason.DISSATISFIED
    assert escalated.dissatisfied_count > escalated.satisfied_count
    upper = escalated.escalated_to
    assert upper.authority.key == "akimat:190000000" and upper.state == CaseState.AWAITING
    assert upper.due_on >= today and upper.assignee_id is not None
    assert _participants(upper) == _participants(escalated)
    awaiting = one["reached_awaiting"].case
    assert awaiting.assignee_id is not None and awaiting.due_on >= today


def test_counts_signers_and_cases_are_exact(seeded, db):
    from core.db import db as _db

    for p in _petitions():
        counts = services.counts(p.id)
        online, paper = _signatures(p, SignatureKind.ONLINE), _signatures(p, SignatureKind.PAPER)
        assert (counts.online, counts.paper) == (len(online), len(paper)), p.title
        assert sum(b.accepted for b in _batches(p)) == len(paper)
        if p.state in (PetitionState.DRAFT, PetitionState.PENDING, PetitionState.RETURNED, PetitionState.REJECTED):
            assert counts.total == 0 and p.published_at is None
            continue
        signers = {s.user_id for s in online}
        assert len(signers) == len(online)
        area = services.electorate(p)
        for signature in online:
            user = _db.session.get(User, signature.user_id)
            assert user.email.endswith("@demo.tyndau.kz") and user.is_verified and user.has_iin
            assert signature.iin_hash == user.iin_hash and signature.public_name == user.public_name
            assert signature.settlement_code == user.home_territory_code
            assert area is None or user.home_territory.is_within(area), (p.title, user.home_territory_code)
        if p.state == PetitionState.REACHED:
            # Every online signer (the author among them) is a participant of the case: they rate its answer.
            assert _participants(p.case) == signers
            assert _participants(p.case, ParticipantRole.AUTHOR) == {p.author_id}

    # The demo citizens: realistic names shown as first name and initial, and one account per IIN.
    # (the councils' demo members share the domain and are left out: they sign nothing)
    councils_demo = sa.or_(User.email.startswith("council."), User.email.startswith("member"))
    citizens = db.session.scalars(
        sa.select(User).where(User.email.endswith("@demo.tyndau.kz"), sa.not_(councils_demo))
    ).all()
    assert 300 <= len(citizens) <= 450
    assert len({u.iin_hash for u in citizens if u.has_iin}) == len(citizens) - 1  # the Raiymbek officer has none
    assert all(len(u.display_name.split()) == 2 for u in citizens)
    assert {u.locale for u in citizens} == {"kk", "ru"}


def test_histories_are_consistent_and_no_mail_goes_out(seeded, db):
    now = datetime.now(UTC)
    today = loop.today()
    for p in _petitions():
        events = list(
            db.session.scalars(
                sa.select(PetitionEvent).where(PetitionEvent.petition_id == p.id).order_by(PetitionEvent.id)
            )
        )
        assert [e.at for e in events] == sorted(e.at for e in events), p.title
        assert all(e.at.replace(tzinfo=UTC) <= now for e in events)
        if p.published_at is None:
            continue
        end = p.reached_at or p.closed_at or now
        for s in _signatures(p):
            assert p.published_at <= s.signed_at <= end, p.title
        if p.reached_at is not None:
            assert p.case.received_on == add_working_days(p.reached_at.astimezone(LOCAL).date(), 0)
    # The sweeps the seed replayed left the world as today's would: running them changes nothing.
    assert services.sweep(today) == services.SweepResult(0, 0)
    assert loop.sweep(today).changed == 0
    # The replayed history sends no mail.
    assert len(seeded) == 0


def test_sample_and_built_in_territories_give_the_stories_they_can_and_seeding_twice_adds_nothing(
    runner, app, db, outbox
):
    """On the test configuration's KATO sample (plus the built-in set) the Kegen and Raiymbek stories are left
    out; the others are all there, a paper batch among them. A second run adds nothing."""
    seed_demo(runner, app, None)
    present = {p.title for p in _petitions()}
    assert len(present) == len(seed.STORIES) - len(FULL_ONLY)
    stages = _stages(loop.today())
    missing = {stage for stage, found in stages.items() if not found}
    assert missing == {s.stage for s in seed.STORIES if s.script.__name__ in FULL_ONLY} | {"paper"}
    assert all(len(found) <= 1 for found in stages.values())
    assert _batches(stages["collecting_local"][0])  # the sheets from Aitei: paper signatures still shown
    assert len(outbox) == 0

    counts = (count(Petition), count(Signature), count(User), count(Case), count(ThresholdRule))
    assert seed.seed_demo_petitions() == {"petitions": 0, "petitions_note": "demo petitions already there"}
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0 and "already has users" in again.output
    assert (count(Petition), count(Signature), count(User), count(Case), count(ThresholdRule)) == counts
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output


def test_nothing_without_the_core_demo_accounts(db, kato):
    assert seed.seed_demo_petitions()["petitions"] == 0
    assert count(Petition) == 0


def test_demo_iins_are_valid_and_distinct():
    rng = random.Random(1)
    found = set()
    for serial in range(1000, 1400):
        born = date(rng.randint(1955, 2006), 1, 1) + timedelta(days=rng.randrange(365))
        female = serial % 2 == 0
        iin = seed.demo_iin(serial, born, female)
        assert is_valid_iin(iin), iin
        assert int(iin[6]) % 2 == (0 if female else 1)  # the seventh digit: century and sex
        assert int(iin[6]) in ((3, 4) if born.year < 2000 else (5, 6))
        found.add(iin)
    assert len(found) == 400


def test_waves_spread_every_signature_over_the_days():
    start = date(2026, 9, 1)
    for n in (1, 7, 60, 241):
        days = seed.waves(start, start + timedelta(days=20), n)
        assert sum(k for _, k in days) == n
        assert all(start <= d <= start + timedelta(days=20) and k > 0 for d, k in days)
        assert [d for d, _ in days] == sorted({d for d, _ in days})
    first, *_rest = seed.waves(start, start + timedelta(days=20), 100)
    assert first == (start, max(k for _, k in seed.waves(start, start + timedelta(days=20), 100)))


def test_populations_are_set_only_where_unknown(db, kato):
    from core.territories.models import Territory

    ulytau = db.session.get(Territory, "620000000")
    ulytau.population = 220_000
    db.session.flush()
    assert seed.set_populations({"620000000": 1, "710000000": 1_400_000, "000000000": 5}) == 1
    assert db.session.get(Territory, "620000000").population == 220_000
    assert db.session.get(Territory, "710000000").population == 1_400_000
    assert seed.set_populations({"710000000": 2}) == 0
