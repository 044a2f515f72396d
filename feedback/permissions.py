"""Who may do what in the loop: ``can_<verb>_<noun>(user, obj) -> bool``.

These answer *who*; whether the case's state allows the step now is the service's business (a
``Conflict`` or ``CaseError`` shown on the page).
"""

from __future__ import annotations

from core.authorities.models import AuthorityKind
from feedback import services


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _is_admin(user) -> bool:
    return _signed_in(user) and user.is_admin


def _officer(user, case) -> bool:
    return case is not None and services.is_officer_of(user, case.authority_id)


def can_file_proposal(user) -> bool:
    """A signed-in account with a confirmed email address."""
    return _signed_in(user) and user.is_verified


def can_view_case_private(user, case) -> bool:
    """Participants' names and emails, the assignee: officers of the case's authority and admins."""
    return _officer(user, case) or _is_admin(user)


def can_assign_case(user, case) -> bool:
    return _officer(user, case)


def can_extend_case(user, case) -> bool:
    return _officer(user, case)


def can_redirect_case(user, case) -> bool:
    return _officer(user, case)


def can_answer_case(user, case) -> bool:
    return _officer(user, case)


def can_shortlist_case(user, case) -> bool:
    """The National Kurultai's secretariat, for cases at the Kurultai."""
    return _officer(user, case) and case.authority.kind == AuthorityKind.KURULTAI


def can_rate_case(user, case) -> bool:
    return _signed_in(user) and case is not None and services.is_participant(case, user)


def can_withdraw_case(user, case) -> bool:
    return _signed_in(user) and case is not None and case.author_id is not None and case.author_id == user.id


def can_view_inbox(user, authority) -> bool:
    """Officers and heads of the authority; admins may look at any inbox."""
    return authority is not None and (services.is_officer_of(user, authority.id) or _is_admin(user))


def can_manage_rules(user) -> bool:
    return _is_admin(user)
