"""Who may do what with petitions: ``can_<verb>_<noun>(user, obj) -> bool``.

These answer *who*; whether the petition's state allows the step now is the service's business (a
``Conflict`` or ``PetitionError`` shown on the page). The one exception is ``can_sign_petition``, which
asks the service for the whole answer, since who may sign depends on where the petition is addressed.
"""

from __future__ import annotations

from petitions import services


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _is_admin(user) -> bool:
    return _signed_in(user) and user.is_admin


def _is_moderator(user) -> bool:
    return _signed_in(user) and user.is_moderator


def _is_author(user, petition) -> bool:
    return (
        _signed_in(user) and petition is not None and petition.author_id is not None and petition.author_id == user.id
    )


# -- citizens -------------------------------------------------------------------------------------------


def can_file_petition(user) -> bool:
    """A signed-in account with a confirmed email address and an IIN."""
    return _signed_in(user) and user.is_verified and user.has_iin


def can_edit_petition(user, petition) -> bool:
    """The author, while the petition can still be changed (draft, in moderation, returned)."""
    return _is_author(user, petition) and petition.is_editable


def can_submit_petition(user, petition) -> bool:
    return can_edit_petition(user, petition) and can_file_petition(user)


def can_withdraw_petition(user, petition) -> bool:
    return can_edit_petition(user, petition)


def can_view_petition(user, petition) -> bool:
    """Anyone once it is public; before that (and when rejected or withdrawn) see ``can_view_petition_private``."""
    return petition is not None and (petition.is_public or can_view_petition_private(user, petition))


def can_view_petition_private(user, petition) -> bool:
    """The non-public petition and its private history: its author, moderators and admins."""
    return petition is not None and (_is_author(user, petition) or _is_moderator(user) or _is_admin(user))


def can_sign_petition(user, petition) -> bool:
    """Signed in, verified, with an IIN, living where the petition is signed, while it collects."""
    return _signed_in(user) and petition is not None and services.signing_problem(petition, user) is None


# -- moderators -----------------------------------------------------------------------------------------


def can_view_moderation_queue(user) -> bool:
    return _is_moderator(user)


def can_moderate_petition(user, petition) -> bool:
    """Take, release, publish, return or reject: moderators (of the civil-society committee) only."""
    return petition is not None and _is_moderator(user)


# -- officers of the addressee --------------------------------------------------------------------------


def can_enter_paper(user, petition) -> bool:
    """Paper signatures are entered by officers of the authority the petition is addressed to."""
    return _signed_in(user) and petition is not None and services.can_enter_paper(user, petition)


def can_view_paper(user, petition) -> bool:
    """The paper batches page: the addressee's officers, and admins (who may look but not enter)."""
    return can_enter_paper(user, petition) or (petition is not None and _is_admin(user))


# -- admins ---------------------------------------------------------------------------------------------


def can_manage_thresholds(user) -> bool:
    return _is_admin(user)
