"""Councils, their rules and members, composition and following, tested at the service layer: every rule and its
error, who may act, the audit trail, and the exact numbers of the ``cworld`` council."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.db import db as _db
from core.errors import Conflict, NotAllowed
from councils import services
from councils.errors import CouncilError
from councils.models import Affiliation, Council, CouncilKind, CouncilMember, Follower, MajorityBase, Position
from tests.conftest import count
from tests.councils.conftest import TODAY

START = date(2026, 1, 1)


def actions(obj_type: str, obj_id) -> list[str]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == obj_type, AuditEntry.object_id == str(obj_id))
            .order_by(AuditEntry.id)
        )
    )


def create(cworld, **overrides):
    args = {
        "actor": cworld.admin,
        "authority": cworld.region,
        "kind": CouncilKind.PUBLIC_COUNCIL,
        "name_kk": "Облыс әкімдігінің қоғамдық кеңесі",
        "name_ru": "Общественный совет при акимате области",
        "name_en": "",
        "term_starts_on": START,
    }
    args.update(overrides)
    return services.create_council(**args)


# --- creating and updating councils ---------------------------------------------------------------------------


def test_create_council_with_default_rules_and_audit(cworld):
    council = create(cworld, name_en="  Public   council ", description="Works on budgets.")
    assert council.authority_id == cworld.region.id
    assert council.name_en == "Public council"
    assert council.term_ends_on is None
    assert (council.quorum_numerator, council.quorum_denominator) == (2, 3)
    assert (council.majority_numerator, council.majority_denominator) == (1, 2)
    assert council.majority_base == MajorityBase.PRESENT
    assert council.notice_days == 10
    assert actions("councils", council.id) == ["council.create"]


def test_create_council_with_custom_rules(cworld):
    council = create(
        cworld,
        quorum_numerator=1,
        quorum_denominator=2,
        majority_numerator=2,
        majority_denominator=3,
        majority_base="cast",
        notice_days=0,
        term_ends_on=date(2028, 12, 31),
    )
    assert (council.quorum_numerator, council.quorum_denominator, council.majority_numerator) == (1, 2, 2)
    assert council.majority_base == MajorityBase.CAST
    assert council.notice_days == 0


def test_the_authority_can_be_given_by_key_or_id(cworld):
    assert create(cworld, authority="akimat:620000000").authority_id == cworld.region.id
    assert create(cworld, authority=str(cworld.rural.id)).authority_id == cworld.rural.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"authority": None}, "existing authority"),
        ({"authority": "akimat:000000000"}, "existing authority"),
        ({"authority": "999999"}, "existing authority"),
        ({"name_kk": "  "}, "in Kazakh"),
        ({"name_ru": ""}, "in Russian"),
        ({"name_ru": "я" * 301}, "too long"),
        ({"kind": "senate"}, "kind of council"),
        ({"term_starts_on": None}, "term starts"),
        ({"term_ends_on": START}, "end after it starts"),
        ({"term_ends_on": date(2025, 12, 31)}, "end after it starts"),
        ({"quorum_numerator": 0}, "quorum"),
        ({"quorum_numerator": 4, "quorum_denominator": 3}, "quorum"),
        ({"quorum_denominator": 0}, "quorum"),
        ({"quorum_numerator": "two"}, "quorum"),
        ({"majority_numerator": 0}, "majority must"),
        ({"majority_numerator": 1, "majority_denominator": 1}, "majority must"),
        ({"majority_numerator": 3, "majority_denominator": 2}, "majority must"),
        ({"majority_base": "everyone"}, "majority is counted"),
        ({"notice_days": -1}, "0 to 60"),
        ({"notice_days": 61}, "0 to 60"),
    ],
)
def test_create_council_rules(cworld, overrides, message):
    before = count(Council)
    with pytest.raises(CouncilError, match=message):
        create(cworld, **overrides)
    assert count(Council) == before


def test_the_limits_of_the_rules_are_allowed(cworld):
    council = create(cworld, quorum_numerator=1, quorum_denominator=1, notice_days=60)
    assert (council.quorum_numerator, council.quorum_denominator, council.notice_days) == (1, 1, 60)


def test_only_admins_create_councils(cworld):
    for user in (cworld.citizen, cworld.officer, cworld.secretary.user, None):
        with pytest.raises(NotAllowed):
            create(cworld, actor=user)


def test_update_council_by_secretary_records_changes(cworld):
    council = cworld.council
    services.update_council(council, cworld.secretary.user, name_en="Council", notice_days=14, majority_base="cast")
    assert council.name_en == "Council"
    assert council.notice_days == 14
    assert council.majority_base == MajorityBase.CAST
    entry = _db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "council.update").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.object_id == str(council.id)
    assert entry.actor_id == cworld.secretary.user.id
    assert entry.details_dict == {"majority_base": "cast", "name_en": "Council", "notice_days": 14}


def test_update_council_checks_the_rules(cworld):
    with pytest.raises(CouncilError, match="majority must"):
        services.update_council(cworld.council, cworld.admin, majority_numerator=1, majority_denominator=1)
    with pytest.raises(CouncilError, match="end after it starts"):
        services.update_council(cworld.council, cworld.admin, term_ends_on=date(2024, 1, 1))


def test_update_council_who(cworld):
    for user in (cworld.citizen, cworld.chair.user, cworld.members[0].user, cworld.officer):
        with pytest.raises(NotAllowed):
            services.update_council(cworld.council, user, notice_days=5)
    with pytest.raises(NotAllowed, match="administrator"):
        services.update_council(cworld.council, cworld.secretary.user, authority=cworld.region)
    services.update_council(cworld.council, cworld.admin, authority=cworld.region)
    assert cworld.council.authority_id == cworld.region.id


def test_an_ended_secretary_no_longer_manages(cworld, clock):
    services.end_membership(cworld.secretary, cworld.admin, on=TODAY)
    clock.set(date(2026, 2, 3))
    with pytest.raises(NotAllowed):
        services.update_council(cworld.council, cworld.secretary.user, notice_days=5)


# --- members ----------------------------------------------------------------------------------------------------


def test_add_member_with_account_found_by_email(cworld, make_user):
    user = make_user("Dana@Example.kz")
    member = services.add_member(
        cworld.council,
        cworld.secretary.user,
        "  Дана Сейіт ",
        "member",
        "civil_society",
        START,
        organisation="ҚБ «Жастар»",
        is_youth=True,
        user="dana@example.kz",
    )
    assert member.full_name == "Дана Сейіт"
    assert member.user_id == user.id
    assert member.position == Position.MEMBER
    assert member.voting_right is True
    assert actions("council_members", member.id) == ["council.member_add"]


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"full_name": " "}, CouncilError, "full name"),
        ({"position": "president"}, CouncilError, "position"),
        ({"affiliation": "business"}, CouncilError, "represents"),
        ({"term_starts_on": None}, CouncilError, "term starts"),
        ({"term_ends_on": date(2025, 12, 31)}, CouncilError, "cannot end before"),
        ({"user": "nobody@example.kz"}, CouncilError, "No account"),
        ({"position": Position.CHAIR}, Conflict, "already has a chair in this term: Ерлан Жақыпов"),
        ({"position": Position.SECRETARY}, Conflict, "already has a secretary in this term: Гүлнар Омарова"),
    ],
)
def test_add_member_rules(cworld, overrides, error, message):
    args = {
        "full_name": "Дана Сейіт",
        "position": Position.MEMBER,
        "affiliation": Affiliation.CIVIL_SOCIETY,
        "term_starts_on": START,
    }
    args.update(overrides)
    before = count(CouncilMember)
    with pytest.raises(error, match=message):
        services.add_member(cworld.council, cworld.admin, **args)
    assert count(CouncilMember) == before


def test_one_seat_per_account(cworld):
    with pytest.raises(Conflict, match=r"already holds a seat on this council \(Мүше Нөмір0\)"):
        services.add_member(
            cworld.council, cworld.admin, "Someone", "member", "civil_society", START, user=cworld.members[0].user
        )
    # Even after the seat ended: the account edits that seat instead.
    services.end_membership(cworld.members[0], cworld.admin, on=TODAY)
    with pytest.raises(Conflict, match="already holds a seat"):
        services.add_member(
            cworld.council, cworld.admin, "Someone", "member", "civil_society", START, user=cworld.members[0].user
        )


def test_a_new_secretary_after_the_old_one_ends(cworld):
    services.end_membership(cworld.secretary, cworld.admin, on=date(2026, 2, 10))
    with pytest.raises(Conflict, match="secretary"):
        services.add_member(cworld.council, cworld.admin, "Жаңа Хатшы", "secretary", "civil_society", date(2026, 2, 10))
    new = services.add_member(
        cworld.council, cworld.admin, "Жаңа Хатшы", "secretary", "civil_society", date(2026, 2, 11)
    )
    assert new.position == Position.SECRETARY


def test_update_member(cworld, make_user):
    member = cworld.paper_member
    account = make_user("saule@example.kz")
    services.update_member(member, cworld.secretary.user, organisation="ҚҚ «Ашық»", user="saule@example.kz")
    assert member.user_id == account.id
    assert member.organisation == "ҚҚ «Ашық»"
    assert actions("council_members", member.id) == ["council.member_update"]
    # Keeping the own position is not a conflict with oneself.
    services.update_member(cworld.chair, cworld.admin, organisation="ҮЕҰ")
    with pytest.raises(Conflict, match="already has a chair"):
        services.update_member(cworld.members[1], cworld.admin, position=Position.CHAIR)
    with pytest.raises(Conflict, match="already holds a seat"):
        services.update_member(member, cworld.admin, user=cworld.members[2].user)
    with pytest.raises(CouncilError, match="full name"):
        services.update_member(member, cworld.admin, full_name="")
    assert member.full_name == "Сәуле Ахметова"


def test_members_are_managed_by_admins_and_the_secretary_only(cworld):
    for user in (cworld.citizen, cworld.chair.user, cworld.members[0].user, cworld.officer, None):
        with pytest.raises(NotAllowed):
            services.add_member(cworld.council, user, "X", "member", "civil_society", START)
        with pytest.raises(NotAllowed):
            services.update_member(cworld.paper_member, user, organisation="X")
        with pytest.raises(NotAllowed):
            services.end_membership(cworld.paper_member, user)


def test_end_membership_keeps_the_seat(cworld, clock):
    member = cworld.members[3]
    services.end_membership(member, cworld.secretary.user)
    assert member.term_ends_on == TODAY
    assert _db.session.get(CouncilMember, member.id) is not None
    assert member in services.serving_members(cworld.council)  # serves to the end of the last day
    clock.set(date(2026, 2, 3))
    assert member not in services.serving_members(cworld.council)
    assert member in services.all_members(cworld.council)
    assert actions("council_members", member.id) == ["council.member_end"]
    with pytest.raises(Conflict, match="already ended"):
        services.end_membership(member, cworld.admin)
    with pytest.raises(CouncilError, match="before it starts"):
        services.end_membership(cworld.members[4], cworld.admin, on=date(2024, 12, 31))


def test_serving_and_voting_members(cworld, clock):
    serving = services.serving_members(cworld.council)
    assert len(serving) == 11
    assert serving[0] == cworld.chair
    assert serving[1] == cworld.secretary
    voting = services.voting_members(cworld.council)
    assert len(voting) == 10
    assert cworld.state_member not in voting
    assert cworld.paper_member in voting
    assert services.serving_members(cworld.council, on=date(2024, 12, 31)) == []
    future = services.add_member(cworld.council, cworld.admin, "Келер Күн", "member", "civil_society", date(2026, 3, 1))
    assert future not in services.serving_members(cworld.council)
    assert future in services.serving_members(cworld.council, on=date(2026, 3, 1))


# --- composition ------------------------------------------------------------------------------------------------


def test_composition_of_cworld(cworld):
    found = services.composition(cworld.council)
    assert found == services.Composition(
        total=11,
        civil_society=10,
        state_body=1,
        youth=2,
        with_vote=10,
        civil_share=10 / 11,
        youth_share=2 / 11,
        civil_below_two_thirds=False,
    )


def test_composition_warns_below_two_thirds(cworld):
    def state(name):
        services.add_member(cworld.council, cworld.admin, name, "member", "state_body", START)

    # 10 civil of 15: exactly two thirds is not below.
    for i in range(4):
        state(f"Мемлекет {i}")
    found = services.composition(cworld.council)
    assert (found.total, found.civil_society, found.state_body) == (15, 10, 5)
    assert found.civil_below_two_thirds is False
    state("Мемлекет 4")
    found = services.composition(cworld.council)
    assert (found.total, found.civil_society, found.state_body, found.with_vote) == (16, 10, 6, 15)
    assert found.civil_share == 10 / 16
    assert found.civil_below_two_thirds is True


def test_composition_of_an_empty_council(cworld):
    council = create(cworld)
    found = services.composition(council)
    assert (found.total, found.civil_share, found.youth_share, found.civil_below_two_thirds) == (0, 0.0, 0.0, False)


# --- following, lists -------------------------------------------------------------------------------------------


def test_follow_and_unfollow(cworld, make_user):
    council, citizen = cworld.council, cworld.citizen
    assert services.is_following(council, citizen) is False
    assert services.follow(council, citizen) is True
    assert services.follow(council, citizen) is False
    other = make_user("other@example.kz")
    services.follow(council, other)
    assert services.followers(council) == [citizen, other]
    assert services.is_following(council, citizen) is True
    assert services.unfollow(council, citizen) is True
    assert services.unfollow(council, citizen) is False
    assert services.followers(council) == [other]
    assert count(Follower) == 1
    assert actions("councils", council.id) == ["council.follow", "council.follow", "council.unfollow"]
    with pytest.raises(NotAllowed):
        services.follow(council, None)
    assert services.is_following(council, None) is False


def test_councils_of_authority_and_levels(cworld):
    regional = create(cworld)
    rural = create(
        cworld,
        authority=cworld.rural,
        kind=CouncilKind.LOCAL_COMMUNITY,
        name_kk="Жергілікті қоғамдастық жиналысы",
        name_ru="Собрание местного сообщества",
    )
    assert services.councils_of_authority(cworld.district) == [cworld.council]
    assert services.councils_of_authority(cworld.region) == [regional]
    assert services.level_of(cworld.council) == services.CouncilLevel.DISTRICT
    assert services.level_of(regional) == services.CouncilLevel.REGIONAL
    assert services.level_of(rural) == services.CouncilLevel.RURAL
    assert services.list_councils(level=services.CouncilLevel.RURAL) == [rural]
    assert services.list_councils(query="ОБЛАСТИ") == [regional]
    assert services.list_councils() == [regional, cworld.council, rural]
    assert services.serving_counts([cworld.council, regional]) == {cworld.council.id: 11}


def test_councils_served_by(cworld):
    assert services.councils_served_by(cworld.members[0].user) == [cworld.council]
    assert services.councils_served_by(cworld.citizen) == []
