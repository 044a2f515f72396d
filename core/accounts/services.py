"""Account rules (placeholder: filled in by the accounts work)."""

from __future__ import annotations

from core.db import db


def load_user(user_id: str):
    """Flask-Login's loader: ``<id>.<session_version>``; never raises."""
    from core.accounts.models import User

    try:
        raw_id, _, version = str(user_id).partition(".")
        user = db.session.get(User, int(raw_id))
    except Exception:  # noqa: BLE001 - a bad cookie or a database hiccup must not become a 500
        db.session.rollback()
        return None
    if user is None or str(user.session_version) != version:
        return None
    return user


def set_locale(user, locale: str) -> None:
    user.locale = locale
    db.session.flush()
