"""Every transition of a case and its guards, tested at the service layer: the state it needs, the event and
audit row it writes, and the mail it sends after commit (in each recipient's language)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.audit import AuditEntry
from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import find_authority
from core.calendar import add_working_days
from core.db import commit
from core.db import db as _db
from core.errors import AppError, Conflict, NotAllowed
from feedback import jobs, queries, rules, services
from feedback.models import (
    CaseEvent,
    CaseParticipant,
    CaseSource,
    CaseState,
    Decision,
    EscalationReason,
    EventKind,
    ParticipantRole,
    Rating,
)
from feedback.services import CaseError, MeasureInput

D = date.fromisoformat
TODAY = D("2026-02-02")  # a Monday, far from any holiday
TEXT = "We have looked into it and will act as follows."
VILLAGE = "623633100"


@pytest.fixture
def world(kato, db, make_user, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)
    rural = find_authority("akim:623633000")
    district = find_authority("akimat:623600000")
    region = find_authority("akimat:620000000")
    government = find_authority("government")
    top = find_authority("kurultai")
    return SimpleNamespace(
        rural=rural,
        district=district,
        region=region,
        government=government,
        kurultai=top,
        other_district=db.session.scalar(
            sa.select(Authority)
            .where(Authority.kind == AuthorityKind.DISTRICT_AKIMAT, Authority.id != district.id)
            .order_by(Authority.id)
            .limit(1)
        ),
        citizen=make_user("citizen@example.kz", home=VILLAGE),
        neighbour=make_user("neighbour@example.kz", home=VILLAGE),
        officer=make_user("rural@example.kz", roles=[(Role.OFFICER, rural)]),
        colleague=make_user("rural2@example.kz", roles=[(Role.OFFICER, rural)]),
        district_officer=make_user("district@example.kz", roles=[(Role.OFFICER, district)]),
        region_officer=make_user("region@example.kz", roles=[(Role.OFFICER, region)]),
        government_officer=make_user("gov@example.kz", roles=[(Role.OFFICER, government)]),
        secretariat=make_user("kurultai@example.kz", roles=[(Role.OFFICER, top)]),
    )


@pytest.fixture
def mails(monkeypatch):
    """(recipient email, template, Content-Language) of every message built, in order."""
    sent = []
    real = jobs.build_message

    def spy(user, template, context):
        message = real(user, template, context)
        sent.append((user.email, template, message["Content-Language"]))
        return message

    monkeypatch.setattr(jobs, "build_message", spy)
    return sent


def file(world, **kw):
    return services.file_proposal(
        kw.pop("user", world.citizen),
        kw.pop("authority", world.rural),
        kw.pop("title", "Drinking water in the village"),
        kw.pop("body", "There has been no drinking water in the village since May."),
        **kw,
    )


def events(case) -> list[EventKind]:
    return list(
        _db.session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    )


def audited(case) -> list[str]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "cases", AuditEntry.object_id == str(case.id))
            .order_by(AuditEntry.id)
        )
    )


def participant_ids(case) -> set[int]:
    return set(_db.session.scalars(sa.select(CaseParticipant.user_id).where(CaseParticipant.case_id == case.id)))


def measure(due=date(2026, 6, 1)):
    return MeasureInput("Lay a new water pipe", "Karasai district akimat", due)


# -- filing ---------------------------------------------------------------------------------------------


def test_file_proposal(world):
    case = file(world)
    assert (case.state, case.source, case.authority_id) == (CaseState.OPENED, CaseSource.PROPOSAL, world.rural.id)
    assert case.territory_code == VILLAGE  # the citizen's home by default
    assert case.received_on == TODAY and case.due_on == add_working_days(TODAY, 15)
    assert case.root_id == case.id and case.level == 0
    assert participant_ids(case) == {world.citizen.id}
    assert events(case) == [EventKind.OPENED]
    assert audited(case) == ["case.opened"]


def test_suggested_authorities_climb_the_ladder(world):
    assert services.suggested_authorities(VILLAGE) == [world.rural, world.district, world.region, world.government]
    assert services.suggested_authorities(None) == []


@pytest.mark.parametrize("target", ["district", "region", "government"])
def test_a_citizen_may_choose_a_higher_authority(world, target):
    assert file(world, authority=getattr(world, target)).authority_id == getattr(world, target).id


def test_filing_needs_a_verified_account(world, make_user):
    with pytest.raises(NotAllowed):
        file(world, user=make_user(home=VILLAGE, verified=False))
    with pytest.raises(NotAllowed):
        file(world, user=None)


def test_target_must_be_on_the_ladder_of_the_place(world):
    with pytest.raises(CaseError):
        file(world, authority=world.other_district)


def test_unknown_place_is_refused(world):
    with pytest.raises(CaseError):
        file(world, territory_code="999999999")


def test_kurultai_has_its_own_form(world):
    with pytest.raises(CaseError):
        file(world, authority=world.kurultai)
    case = services.file_kurultai_proposal(world.citizen, "A national water programme", "Every village needs water.")
    assert (case.source, case.authority_id) == (CaseSource.KURULTAI_PROPOSAL, world.kurultai.id)


@pytest.mark.parametrize(("title", "body"), [("Wat", "No water in the village since May."), ("Water", "Short.")])
def test_title_and_body_are_required(world, title, body):
    with pytest.raises(CaseError):
        file(world, title=title, body=body)


def test_filing_mails_the_author_and_the_officers(world, mails):
    file(world)
    commit()
    assert sorted(mails) == sorted(
        [
            ("citizen@example.kz", "case_filed", "en"),
            ("rural@example.kz", "case_new", "en"),
            ("rural2@example.kz", "case_new", "en"),
        ]
    )


# -- assign ---------------------------------------------------------------------------------------------


def test_assign_to_a_colleague(world):
    case = file(world)
    services.assign(case, world.colleague, world.officer)
    assert (case.state, case.assignee_id) == (CaseState.AWAITING, world.colleague.id)
    assert events(case)[-1] == EventKind.ASSIGNED
    assert audited(case)[-1] == "case.assigned"


@pytest.mark.parametrize("who", ["district_officer", "citizen"])
def test_assign_only_to_a_colleague(world, who):
    case = file(world)
    with pytest.raises(CaseError):
        services.assign(case, getattr(world, who), world.officer)


@pytest.mark.parametrize("actor", ["district_officer", "citizen"])
def test_only_an_officer_of_the_authority_acts(world, actor):
    case = file(world)
    actor = getattr(world, actor)
    for action in (
        lambda: services.assign(case, world.officer, actor),
        lambda: services.extend(case, D("2026-03-02"), "More time to inspect the pipes.", actor),
        lambda: services.redirect(case, world.district, "Not within our competence.", actor),
        lambda: services.publish_answer(case, Decision.NOT_SUPPORTED, TEXT, [], actor),
    ):
        with pytest.raises(NotAllowed):
            action()
    assert case.state == CaseState.OPENED and events(case) == [EventKind.OPENED]


# -- extend ---------------------------------------------------------------------------------------------


def test_extend_once_with_a_reason(world, mails):
    case = file(world)
    due = case.due_on
    services.extend(case, D("2026-03-20"), "The pipes must be inspected first.", world.officer, on=D("2026-02-05"))
    assert (case.due_on, case.due_before_extension) == (D("2026-03-20"), due)
    assert case.extension_reason == "The pipes must be inspected first."
    assert events(case)[-1] == EventKind.EXTENDED and audited(case)[-1] == "case.extended"
    with pytest.raises(Conflict):
        services.extend(case, D("2026-03-27"), "And a bit more time, please.", world.officer, on=D("2026-02-05"))
    commit()
    assert ("citizen@example.kz", "case_extended", "en") in mails


def test_extension_is_announced_within_3_working_days(world):
    case = file(world)  # received Monday 2 February
    with pytest.raises(CaseError):
        services.extend(case, D("2026-03-20"), "The pipes must be inspected first.", world.officer, on=D("2026-02-06"))
    services.extend(case, D("2026-03-20"), "The pipes must be inspected first.", world.officer, on=D("2026-02-05"))


def test_extension_is_at_most_2_months(world):
    case = file(world)
    assert case.due_on == D("2026-02-23")  # + 2 months = Thursday 23 April
    with pytest.raises(CaseError):
        services.extend(case, D("2026-04-24"), "The pipes must be inspected first.", world.officer)
    services.extend(case, D("2026-04-23"), "The pipes must be inspected first.", world.officer)
    assert case.due_on == D("2026-04-23")


def test_extension_to_a_day_off_past_the_limit_is_refused(world):
    """Two months after 2 March 2026 is Saturday 2 May: a deadline that day would move to Monday 4 May, past
    the limit; the last allowed is Thursday 30 April (1 May is a holiday)."""
    case = file(world)
    case.due_on = D("2026-03-02")
    assert services.latest_extension(case) == D("2026-04-30")  # also the date the extension form offers
    with pytest.raises(CaseError, match="Apr 30, 2026"):
        services.extend(case, D("2026-05-02"), "The pipes must be inspected first.", world.officer)
    services.extend(case, D("2026-04-30"), "The pipes must be inspected first.", world.officer)
    assert case.due_on == D("2026-04-30")


def test_extension_to_a_day_off_moves_to_the_next_working_day(world):
    case = file(world)
    services.extend(case, D("2026-03-21"), "The pipes must be inspected first.", world.officer)
    assert case.due_on == D("2026-03-26")  # Saturday in Nauryz -> Thursday 26 March


@pytest.mark.parametrize(
    ("new_due", "reason"),
    [("2026-03-20", ""), ("2026-03-20", "short"), ("2026-02-23", "The pipes must be inspected."), (None, "A reason.")],
)
def test_extension_needs_a_reason_and_a_later_date(world, new_due, reason):
    case = file(world)
    with pytest.raises(CaseError):
        services.extend(case, D(new_due) if new_due else None, reason, world.officer)
    assert case.extended_at is None


def test_no_extension_once_overdue(world):
    case = file(world)
    services.sweep(D("2026-02-24"))
    _db.session.refresh(case)
    assert case.state == CaseState.OVERDUE
    with pytest.raises(Conflict):
        services.extend(case, D("2026-03-20"), "The pipes must be inspected first.", world.officer)


# -- redirect -------------------------------------------------------------------------------------------


def test_redirect_within_3_working_days(world, make_user, mails):
    other_officer = make_user("other@example.kz", roles=[(Role.OFFICER, world.other_district)])
    case = services.file_proposal(
        world.citizen, world.government, "Road repair", "The road to school is broken.", territory_code=VILLAGE
    )
    commit()
    mails.clear()
    on = D("2026-02-05")
    services.redirect(case, world.other_district, "This road belongs to the district.", world.government_officer, on=on)
    assert (case.authority_id, case.state, case.received_on) == (world.other_district.id, CaseState.OPENED, on)
    assert case.due_on == add_working_days(on, 15)
    assert events(case)[-1] == EventKind.REDIRECTED and audited(case)[-1] == "case.redirected"
    commit()
    assert sorted(mails) == [
        ("citizen@example.kz", "case_redirected", "en"),
        ("other@example.kz", "case_new", "en"),
    ]
    # The receiving authority may not send it on after its own window, nor the old one act at all.
    with pytest.raises(NotAllowed):
        services.redirect(case, world.district, "Send it back to the district.", world.government_officer, on=on)
    with pytest.raises(CaseError):
        services.redirect(case, world.district, "Not our road after all.", other_officer, on=D("2026-02-11"))


def test_a_case_is_never_redirected_back_to_an_authority_that_had_it(world, make_user):
    """No ping-pong between two bodies, and an escalated case is not pushed back down the chain."""
    other_officer = make_user("other@example.kz", roles=[(Role.OFFICER, world.other_district)])
    on = D("2026-02-05")
    case = services.file_proposal(
        world.citizen, world.district, "Road repair", "The road to school is broken.", territory_code=VILLAGE
    )
    services.redirect(
        case, world.other_district, "This road belongs to the other district.", world.district_officer, on=on
    )
    with pytest.raises(CaseError):
        services.redirect(case, world.district, "Not ours either, send it back.", other_officer, on=on)
    assert case.authority_id == world.other_district.id

    lower = file(world)
    services.publish_answer(lower, Decision.REFERRED, TEXT, [], world.officer, on=on)
    upper = lower.escalated_to
    with pytest.raises(CaseError):
        services.redirect(upper, world.rural, "The rural akim should answer it.", world.district_officer, on=on)
    assert upper.authority_id == world.district.id
    assert world.rural.id not in {a.id for _, group in queries.redirect_targets(upper) for a in group}


@pytest.mark.parametrize(
    ("target", "reason", "on"),
    [
        ("district", "Not within our competence.", "2026-02-06"),  # 4 working days after receipt
        ("district", "", "2026-02-03"),
        ("rural", "Not within our competence.", "2026-02-03"),  # the same authority
        ("kurultai", "Not within our competence.", "2026-02-03"),
    ],
)
def test_redirect_guards(world, target, reason, on):
    case = file(world)
    with pytest.raises(CaseError):
        services.redirect(case, getattr(world, target), reason, world.officer, on=D(on))
    assert case.authority_id == world.rural.id


# -- answer ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", [Decision.SUPPORTED, Decision.PARTLY])
def test_supported_answers_need_measures(world, decision):
    case = file(world)
    with pytest.raises(CaseError):
        services.publish_answer(case, decision, TEXT, [], world.officer)
    services.publish_answer(case, decision, TEXT, [measure()], world.officer)
    assert case.answer.measures[0].responsible == "Karasai district akimat"


@pytest.mark.parametrize(
    "bad",
    [
        MeasureInput("Lay a new pipe", "", date(2026, 6, 1)),
        MeasureInput("", "Akimat", date(2026, 6, 1)),
        MeasureInput("Lay a new pipe", "Akimat", None),
        MeasureInput("Lay a new pipe", "Akimat", date(2026, 1, 30)),  # in the past
    ],
)
def test_each_measure_is_complete(world, bad):
    case = file(world)
    with pytest.raises(CaseError):
        services.publish_answer(case, Decision.SUPPORTED, TEXT, [bad], world.officer)


def test_publish_answer(world, mails):
    case = file(world)
    on = D("2026-02-10")
    services.publish_answer(case, Decision.NOT_SUPPORTED, TEXT, [], world.officer, on=on)
    assert (case.state, case.decision) == (CaseState.ANSWERED, Decision.NOT_SUPPORTED)
    assert case.answered_on_time is True and case.answer_working_days == 6
    assert case.rating_closes_on == add_working_days(on, rules.rating_window_days())
    assert events(case)[-1] == EventKind.ANSWERED and audited(case)[-1] == "case.answered"
    commit()
    assert ("citizen@example.kz", "case_answered", "en") in mails
    with pytest.raises(Conflict):
        services.publish_answer(case, Decision.NOT_SUPPORTED, TEXT, [], world.officer, on=on)


def test_answer_text_is_required(world):
    case = file(world)
    with pytest.raises(CaseError):
        services.publish_answer(case, Decision.NOT_SUPPORTED, "No.", [], world.officer)


def test_a_late_answer_is_recorded_as_late(world):
    case = file(world)
    services.publish_answer(case, Decision.NOT_SUPPORTED, TEXT, [], world.officer, on=D("2026-02-24"))
    assert case.answered_on_time is False and case.answer_working_days == 16


def test_referred_escalates_at_once(world):
    case = file(world)
    services.publish_answer(case, Decision.REFERRED, TEXT, [], world.officer)
    assert case.state == CaseState.ESCALATED and case.escalation_reason == EscalationReason.REFERRED
    upper = case.escalated_to
    assert (upper.authority_id, upper.state, upper.level) == (world.district.id, CaseState.OPENED, 1)
    assert events(case) == [EventKind.OPENED, EventKind.ANSWERED, EventKind.ESCALATED]
    assert events(upper) == [EventKind.ESCALATED_IN]


def test_nothing_to_refer_to_at_the_top(world):
    case = services.file_kurultai_proposal(world.citizen, "A national water programme", "Every village needs water.")
    with pytest.raises(CaseError):
        services.publish_answer(case, Decision.REFERRED, TEXT, [], world.secretariat)
    assert case.state == CaseState.OPENED


# -- rate -----------------------------------------------------------------------------------------------


def answered(world, on=TODAY):
    case = file(world)
    services.add_participants(case, [world.neighbour.id])
    services.publish_answer(case, Decision.NOT_SUPPORTED, TEXT, [], world.officer, on=on)
    return case


def test_rate_and_change_the_rating(world):
    case = answered(world)
    services.rate(case, world.citizen, False, "Nothing was done.", on=TODAY)
    services.rate(case, world.citizen, True, "", on=TODAY)
    rows = _db.session.scalars(sa.select(Rating).where(Rating.case_id == case.id)).all()
    assert [(r.user_id, r.satisfied, r.comment) for r in rows] == [(world.citizen.id, True, None)]
    assert rows[0].updated_at is not None
    assert services.rating_counts(case) == (1, 0)
    assert audited(case)[-2:] == ["case.rated", "case.rated"]


def test_only_participants_rate(world):
    case = answered(world)
    with pytest.raises(NotAllowed):
        services.rate(case, world.officer, True, on=TODAY)


def test_rating_window(world):
    case = answered(world)
    last = case.rating_closes_on
    assert last == D("2026-02-16")  # 10 working days after Monday 2 February
    services.rate(case, world.citizen, True, on=last)  # the window's last day
    with pytest.raises(Conflict):
        services.rate(case, world.neighbour, True, on=D("2026-02-17"))


def test_no_rating_before_an_answer(world):
    case = file(world)
    with pytest.raises(Conflict):
        services.rate(case, world.citizen, True, on=TODAY)


# -- withdraw -------------------------------------------------------------------------------------------


def test_withdraw(world):
    case = file(world)
    with pytest.raises(NotAllowed):
        services.withdraw(case, world.neighbour)
    services.withdraw(case, world.citizen, "Fixed by the neighbours.")
    assert case.state == CaseState.WITHDRAWN and case.closed_at is not None
    assert events(case)[-1] == EventKind.WITHDRAWN and audited(case)[-1] == "case.withdrawn"


def test_no_withdrawal_after_an_answer(world):
    case = answered(world)
    with pytest.raises(Conflict):
        services.withdraw(case, world.citizen)


# -- escalate -------------------------------------------------------------------------------------------


def test_escalate_copies_participants_and_links_both_ways(world, make_user):
    rules.set_rule("proposal", "district_akimat", 11)
    case = file(world)
    signer = make_user("signer@example.kz")
    services.add_participants(case, [signer.id, world.neighbour.id])
    upper = services.escalate(case, EscalationReason.OVERDUE, on=D("2026-02-27"))
    assert case.state == CaseState.ESCALATED and case.escalated_to is upper and upper.escalated_from is case
    assert (upper.root_id, upper.level, upper.authority_id) == (case.id, 1, world.district.id)
    assert (upper.received_on, upper.due_on) == (D("2026-02-27"), add_working_days(D("2026-02-27"), 11))
    roles = dict(
        _db.session.execute(
            sa.select(CaseParticipant.user_id, CaseParticipant.role).where(CaseParticipant.case_id == upper.id)
        ).all()
    )
    assert roles == {
        world.citizen.id: ParticipantRole.AUTHOR,
        signer.id: ParticipantRole.SIGNER,
        world.neighbour.id: ParticipantRole.SIGNER,
    }
    up_event = _db.session.scalar(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    )
    in_event = _db.session.scalar(sa.select(CaseEvent).where(CaseEvent.case_id == upper.id))
    assert (up_event.kind, up_event.related_case_id, up_event.authority_id) == (
        EventKind.ESCALATED,
        upper.id,
        world.district.id,
    )
    assert (in_event.kind, in_event.related_case_id, in_event.authority_id) == (
        EventKind.ESCALATED_IN,
        case.id,
        world.rural.id,
    )
    assert audited(case)[-1] == "case.escalated" and audited(upper) == ["case.escalated_in"]
    assert services.chain(upper) == [case, upper] == services.chain(case)
    with pytest.raises(Conflict):
        services.escalate(case, EscalationReason.OVERDUE)


def test_no_escalation_from_the_top_or_a_final_state(world):
    top = services.file_kurultai_proposal(world.citizen, "A national water programme", "Every village needs water.")
    with pytest.raises(CaseError):
        services.escalate(top, EscalationReason.OVERDUE)
    case = file(world)
    services.withdraw(case, world.citizen)
    with pytest.raises(Conflict):
        services.escalate(case, EscalationReason.OVERDUE)


# -- the Kurultai ---------------------------------------------------------------------------------------


def climb_to_the_top(world, make_user):
    """A village case referred up level by level; a new signer joins at each level (and the author's
    neighbour twice), so the chain's participants differ from case to case."""
    case = file(world)
    services.add_participants(case, [world.neighbour.id])
    officers = [world.officer, world.district_officer, world.region_officer, world.government_officer]
    current = case
    for n, officer in enumerate(officers):
        signer = make_user(f"signer{n}@example.kz", locale="kk" if n % 2 else "ru")
        services.add_participants(current, [signer.id, world.neighbour.id])
        services.publish_answer(current, Decision.REFERRED, TEXT, [], officer)
        current = current.escalated_to
    assert current.authority_id == world.kurultai.id and current.level == 4
    return case, current


def test_shortlist_and_outcome_go_down_the_chain(world, make_user, mails):
    bottom, top = climb_to_the_top(world, make_user)
    with pytest.raises(CaseError):
        services.shortlist(file(world, authority=world.government), "Session of March 2026", world.government_officer)
    with pytest.raises(NotAllowed):
        services.shortlist(top, "Session of March 2026", world.government_officer)
    with pytest.raises(CaseError):
        services.shortlist(top, "", world.secretariat)
    services.shortlist(top, "Session of March 2026", world.secretariat)
    assert top.state == CaseState.AWAITING and top.shortlist_session == "Session of March 2026"
    assert events(top)[-1] == EventKind.SHORTLISTED and audited(top)[-1] == "case.shortlisted"
    with pytest.raises(Conflict):
        services.shortlist(top, "Session of March 2026", world.secretariat)
    commit()
    mails.clear()

    services.publish_answer(
        top,
        Decision.SUPPORTED,
        "The Government is instructed to run a rural water programme.",
        [MeasureInput("Rural water programme", "Ministry of Water Resources", date(2026, 12, 1))],
        world.secretariat,
    )
    chain = services.chain(top)
    assert [c.level for c in chain] == [0, 1, 2, 3, 4]
    for step in chain[:-1]:
        outcome = [e for e in step.events if e.kind == EventKind.OUTCOME]
        assert len(outcome) == 1 and outcome[0].related_case_id == top.id
    assert services.final_answer(bottom) is top.answer
    commit()
    everyone = set().union(*(participant_ids(c) for c in chain))
    assert len(everyone) == 6  # the author, the neighbour and four signers
    outcome_mails = [m for m in mails if m[1] == "case_outcome"]
    assert len(outcome_mails) == len(everyone) == len({m[0] for m in outcome_mails})
    assert {m[0] for m in outcome_mails} == {"citizen@example.kz", "neighbour@example.kz"} | {
        f"signer{n}@example.kz" for n in range(4)
    }
    # Each in the recipient's own language.
    assert ("signer1@example.kz", "case_outcome", "kk") in outcome_mails
    assert ("signer0@example.kz", "case_outcome", "ru") in outcome_mails


# -- events, audit, language ----------------------------------------------------------------------------


def test_events_cannot_be_updated(world):
    case = file(world)
    case.events[0].note = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        _db.session.flush()


def test_events_cannot_be_deleted(world):
    case = file(world)
    _db.session.delete(case.events[0])
    with pytest.raises(RuntimeError, match="append-only"):
        _db.session.flush()


def test_every_transition_writes_an_event_and_an_audit_row(world):
    case = file(world)
    services.assign(case, world.officer, world.officer)
    services.extend(case, D("2026-03-20"), "The pipes must be inspected first.", world.officer)
    services.publish_answer(case, Decision.PARTLY, TEXT, [measure()], world.officer)
    kinds = events(case)
    assert kinds == [EventKind.OPENED, EventKind.ASSIGNED, EventKind.EXTENDED, EventKind.ANSWERED]
    assert audited(case) == [f"case.{k.value}" for k in kinds]
    other = file(world)
    services.redirect(other, world.district, "This is the district's road.", world.officer)
    services.withdraw(other, world.citizen)
    assert audited(other) == [f"case.{k.value}" for k in events(other)]


@pytest.mark.parametrize("locale", ["kk", "ru", "en"])
def test_mail_in_the_recipients_language(world, make_user, outbox, locale):
    citizen = make_user(f"{locale}@example.kz", home=VILLAGE, locale=locale)
    case = file(world, user=citizen)
    services.publish_answer(case, Decision.NOT_SUPPORTED, TEXT, [], world.officer)
    commit()
    mine = [m for m in outbox.messages() if m["To"] == citizen.email]
    assert len(mine) == 2  # filed, answered
    assert {m["Content-Language"] for m in mine} == {locale}


def test_errors_are_app_errors(world):
    """Views render these centrally: every guard raises an AppError subclass, never a bare exception."""
    case = file(world)
    for action in (
        lambda: services.rate(case, world.officer, True),
        lambda: services.withdraw(case, world.neighbour),
        lambda: services.extend(case, None, "", world.officer),
    ):
        with pytest.raises(AppError):
            action()
