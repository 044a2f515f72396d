"""The council's voting rules as pure functions over counts, and the vocabulary of vote options.

The numbers come from the council's row (rules as data): quorum is a share of all members with voting rights
that must be present; the winning option needs more than a share of the majority base (the members with voting
rights present, or the votes cast for or against).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from councils.models import ItemKind, MajorityBase, VoteOutcome

#: Every option a vote can offer. ``ABSTAIN`` never wins; the others can.
OPTIONS = {
    "for": _l("For"),
    "against": _l("Against"),
    "abstain": _l("Abstain"),
    "approve": _l("Approve the draft"),
    "recommend": _l("Return with recommendations"),
    "disagree": _l("Do not agree"),
}
ABSTAIN = "abstain"
#: The option whose win means "no" (the proposal is not adopted) in the default set.
AGAINST = "against"

DEFAULT_OPTION_SETS = {
    ItemKind.CASE: ("for", "against", "abstain"),
    # The outcomes of a draft's review named by the councils' reports (DOMAIN §1.4).
    ItemKind.DRAFT_ACT: ("approve", "recommend", "disagree", "abstain"),
    ItemKind.REPORT: ("for", "against", "abstain"),
    ItemKind.MONITORING: ("for", "against", "abstain"),
    ItemKind.OTHER: ("for", "against", "abstain"),
}


def option_label(key: str) -> str:
    return str(OPTIONS.get(key, key))


def parse_options(text: str) -> tuple[str, ...]:
    """Option keys from a comma-separated list; raises ValueError on an unknown key, a repeat, or fewer than two
    options that can win."""
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in OPTIONS]
    if unknown:
        raise ValueError(f"unknown options: {', '.join(unknown)}")
    if len(set(keys)) != len(keys):
        raise ValueError("an option is listed twice")
    if len([k for k in keys if k != ABSTAIN]) < 2:
        raise ValueError("a vote needs at least two options that can win")
    return keys


@dataclass(frozen=True)
class Rules:
    quorum_numerator: int = 2
    quorum_denominator: int = 3
    majority_numerator: int = 1
    majority_denominator: int = 2
    majority_base: MajorityBase = MajorityBase.PRESENT

    @classmethod
    def of(cls, council) -> Rules:
        return cls(
            council.quorum_numerator,
            council.quorum_denominator,
            council.majority_numerator,
            council.majority_denominator,
            MajorityBase(council.majority_base),
        )


def quorum_needed(rules: Rules, members_with_vote: int) -> int:
    """The fewest members with voting rights who must be present: ceil(members × n / d)."""
    return -(-members_with_vote * rules.quorum_numerator // rules.quorum_denominator)


def has_quorum(rules: Rules, members_with_vote: int, present_with_vote: int) -> bool:
    return members_with_vote > 0 and present_with_vote >= quorum_needed(rules, members_with_vote)


def majority_base(rules: Rules, present_with_vote: int, counts: dict[str, int]) -> int:
    if rules.majority_base == MajorityBase.CAST:
        return sum(n for key, n in counts.items() if key != ABSTAIN)
    return present_with_vote


def majority_needed(rules: Rules, base: int) -> int:
    """The fewest votes that are *more than* n/d of ``base``: floor(base × n / d) + 1."""
    return base * rules.majority_numerator // rules.majority_denominator + 1


@dataclass(frozen=True)
class Result:
    outcome: VoteOutcome
    quorum_needed: int
    quorum_met: bool
    majority_needed: int | None
    winning_option: str | None


def decide(rules: Rules, members_with_vote: int, present_with_vote: int, counts: dict[str, int]) -> Result:
    """The outcome of a closed vote.

    Without quorum the vote is not held. Otherwise the option (other than abstention) with more than the
    majority share of the base wins; ``against`` winning, or no option winning, means not adopted.
    """
    needed = quorum_needed(rules, members_with_vote)
    if not has_quorum(rules, members_with_vote, present_with_vote):
        return Result(VoteOutcome.NOT_HELD, needed, False, None, None)
    base = majority_base(rules, present_with_vote, counts)
    majority = majority_needed(rules, base)
    winners = [key for key, n in counts.items() if key != ABSTAIN and n >= majority and n > 0]
    # With a share of at least a half only one option can pass; with a smaller share the most votes wins,
    # and a tie at the top means no decision.
    winners.sort(key=lambda key: counts[key], reverse=True)
    if winners and (len(winners) == 1 or counts[winners[0]] > counts[winners[1]]):
        winner = winners[0]
        outcome = VoteOutcome.REJECTED if winner == AGAINST else VoteOutcome.ADOPTED
        return Result(outcome, needed, True, majority, winner)
    return Result(VoteOutcome.REJECTED, needed, True, majority, None)
