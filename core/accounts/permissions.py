"""Who may do what with accounts: ``can_<verb>_<noun>(user, obj) -> bool``."""

from __future__ import annotations


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can_manage_users(user) -> bool:
    """The administration pages: list users, grant and revoke roles, (de)activate accounts."""
    return _signed_in(user) and user.is_admin


def can_grant_role(user, target=None) -> bool:
    return can_manage_users(user)


def can_change_active(user, target) -> bool:
    """Administrators (de)activate accounts, but never their own."""
    return can_manage_users(user) and target is not None and target.id != user.id
