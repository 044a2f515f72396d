from datetime import date

from core.accounts.models import Role
from core.authorities.services import find_authority
from feedback import services
from feedback.models import CaseState, Decision, EscalationReason


def test_climb(app, db, kato, make_user, outbox):
    rural = find_authority("akim:623633000")
    district = find_authority("akimat:623600000")
    citizen = make_user("c@example.kz", home="623633100")
    rural_officer = make_user("r@example.kz", roles=[(Role.OFFICER, rural)])
    district_officer = make_user("d@example.kz", roles=[(Role.OFFICER, district)])
    on = date(2026, 11, 23)
    case = services.file_proposal(citizen, rural, "Water in the village", "No drinking water since May, please fix.")
    assert case.authority_id == rural.id
    services.publish_answer(
        case, Decision.NOT_SUPPORTED, "We have no budget for that this year.", [], rural_officer, on=on
    )
    services.rate(case, citizen, False, "no", on=on)
    r = services.sweep(on)
    assert r.escalated == 1, r
    r2 = services.sweep(on)
    assert r2.changed == 0
    db.session.expire_all()
    assert case.state == CaseState.ESCALATED
    upper = case.escalated_to
    assert upper.authority_id == district.id
    assert upper.escalation_reason is None and case.escalation_reason == EscalationReason.DISSATISFIED
    assert services.is_participant(upper, citizen)
    later = date(2027, 1, 29)
    r = services.sweep(later)
    assert r.escalated == 1 and r.overdue == 1, r
    db.session.expire_all()
    chain = services.chain(case)
    assert [c.level for c in chain] == [0, 1, 2]
    assert district_officer
