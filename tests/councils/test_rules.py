"""The councils' voting rules as pure functions: quorum, majority and the outcome of a vote.

Members without voting rights and members who leave mid-meeting are counted (or not) by the services before
the rules see the numbers: tests/councils/test_voting.py covers them."""

from __future__ import annotations

import pytest

from councils import rules
from councils.models import ItemKind, MajorityBase, VoteOutcome
from councils.rules import Rules, decide, majority_needed, quorum_needed

SIMPLE = Rules()  # quorum 2/3 of the members with voting rights, more than 1/2 of those present
CAST = Rules(majority_base=MajorityBase.CAST)
QUALIFIED = Rules(majority_numerator=2, majority_denominator=3)
HALF_QUORUM = Rules(quorum_numerator=1, quorum_denominator=2)


@pytest.mark.parametrize(
    ("rules_", "members", "needed"),
    [
        (SIMPLE, 10, 7),  # 20/3 = 6.67 → 7
        (SIMPLE, 9, 6),  # exactly two thirds
        (SIMPLE, 3, 2),
        (SIMPLE, 1, 1),
        (SIMPLE, 0, 0),
        (HALF_QUORUM, 10, 5),
        (HALF_QUORUM, 11, 6),
    ],
)
def test_quorum_needed(rules_, members, needed):
    assert quorum_needed(rules_, members) == needed


@pytest.mark.parametrize(
    ("rules_", "base", "needed"),
    [
        (SIMPLE, 10, 6),  # more than half of 10
        (SIMPLE, 9, 5),
        (SIMPLE, 8, 5),
        (SIMPLE, 7, 4),
        (SIMPLE, 0, 1),
        (QUALIFIED, 9, 7),  # more than two thirds of 9 (6 is exactly two thirds: not enough)
        (QUALIFIED, 10, 7),
        (QUALIFIED, 12, 9),
    ],
)
def test_majority_needed(rules_, base, needed):
    assert majority_needed(rules_, base) == needed


@pytest.mark.parametrize(
    ("name", "rules_", "members", "present", "counts", "outcome", "quorum", "majority", "winner"),
    [
        # Quorum, exactly at two thirds and one short.
        ("10 members, 7 present", SIMPLE, 10, 7, {"for": 7, "against": 0, "abstain": 0},
         VoteOutcome.ADOPTED, 7, 4, "for"),
        ("10 members, 6 present", SIMPLE, 10, 6, {"for": 6, "against": 0, "abstain": 0},
         VoteOutcome.NOT_HELD, 7, None, None),
        ("9 members, 6 present", SIMPLE, 9, 6, {"for": 4, "against": 2, "abstain": 0},
         VoteOutcome.ADOPTED, 6, 4, "for"),
        ("9 members, 5 present", SIMPLE, 9, 5, {"for": 5, "against": 0, "abstain": 0},
         VoteOutcome.NOT_HELD, 6, None, None),
        # A tie is no majority.
        ("tie 4/4 of 8", SIMPLE, 10, 8, {"for": 4, "against": 4, "abstain": 0},
         VoteOutcome.REJECTED, 7, 5, None),
        # Abstentions count against when the base is the members present ...
        ("abstain, base present", SIMPLE, 10, 10, {"for": 5, "against": 2, "abstain": 3},
         VoteOutcome.REJECTED, 7, 6, None),
        # ... and are left out when the base is the votes cast.
        ("abstain, base cast", CAST, 10, 10, {"for": 5, "against": 2, "abstain": 3},
         VoteOutcome.ADOPTED, 7, 4, "for"),
        ("all abstain, base cast", CAST, 10, 10, {"for": 0, "against": 0, "abstain": 10},
         VoteOutcome.REJECTED, 7, 1, None),
        # "Against" winning is not adopted.
        ("against wins", SIMPLE, 10, 9, {"for": 2, "against": 7, "abstain": 0},
         VoteOutcome.REJECTED, 7, 5, "against"),
        # Simple majority against a qualified one.
        ("6 of 9, simple", SIMPLE, 9, 9, {"for": 6, "against": 3, "abstain": 0},
         VoteOutcome.ADOPTED, 6, 5, "for"),
        ("6 of 9, qualified", QUALIFIED, 9, 9, {"for": 6, "against": 3, "abstain": 0},
         VoteOutcome.REJECTED, 6, 7, None),
        ("7 of 9, qualified", QUALIFIED, 9, 9, {"for": 7, "against": 2, "abstain": 0},
         VoteOutcome.ADOPTED, 6, 7, "for"),
        # A draft act: "return with recommendations" wins.
        ("draft act, recommend", SIMPLE, 10, 9,
         {"approve": 2, "recommend": 6, "disagree": 1, "abstain": 0},
         VoteOutcome.ADOPTED, 7, 5, "recommend"),
        ("draft act, split", SIMPLE, 10, 9,
         {"approve": 4, "recommend": 4, "disagree": 1, "abstain": 0},
         VoteOutcome.REJECTED, 7, 5, None),
        # No members at all: never held.
        ("zero members", SIMPLE, 0, 0, {"for": 0, "against": 0, "abstain": 0},
         VoteOutcome.NOT_HELD, 0, None, None),
    ],
)  # fmt: skip
def test_decide(name, rules_, members, present, counts, outcome, quorum, majority, winner):
    result = decide(rules_, members, present, counts)
    assert (result.outcome, result.quorum_needed, result.majority_needed, result.winning_option) == (
        outcome,
        quorum,
        majority,
        winner,
    ), name
    assert result.quorum_met is (outcome != VoteOutcome.NOT_HELD)


def test_default_option_sets_parse_and_draft_acts_have_their_own():
    for kind in ItemKind:
        assert rules.parse_options(",".join(rules.DEFAULT_OPTION_SETS[kind])) == rules.DEFAULT_OPTION_SETS[kind]
    assert rules.DEFAULT_OPTION_SETS[ItemKind.DRAFT_ACT] == ("approve", "recommend", "disagree", "abstain")


@pytest.mark.parametrize("text", ["for, maybe", "for,for,against", "for,abstain", "", "abstain"])
def test_parse_options_refuses(text):
    with pytest.raises(ValueError, match=r"."):
        rules.parse_options(text)


def test_rules_of_a_council_row():
    class Row:
        quorum_numerator, quorum_denominator = 1, 2
        majority_numerator, majority_denominator = 2, 3
        majority_base = "cast"

    assert Rules.of(Row()) == Rules(1, 2, 2, 3, MajorityBase.CAST)
