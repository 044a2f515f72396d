"""Who may do what with councils: ``can_<verb>(user, council) -> bool``.

These answer *who*; whether the meeting's or vote's state allows the step now is the service's business.
Councils, members and their roles are managed by admins and by the council's secretary; meetings, votes,
decisions and minutes are run by the council's secretary or chair.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db
from core.errors import NotAllowed
from councils.models import Council, CouncilMember, Position


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _today() -> date:
    from feedback.services import today

    return today()


def membership(user, council: Council, on: date | None = None) -> CouncilMember | None:
    """The user's seat on the council, if they serve on it on that day."""
    if not _signed_in(user) or council is None:
        return None
    on = on or _today()
    seats = db.session.scalars(
        sa.select(CouncilMember).where(CouncilMember.council_id == council.id, CouncilMember.user_id == user.id)
    )
    return next((seat for seat in seats if seat.serves_on(on)), None)


def can_create_council(user) -> bool:
    return _signed_in(user) and user.is_admin


def can_manage_council(user, council: Council) -> bool:
    """Edit the council, its rules and its members: admins and the council's secretary."""
    if not _signed_in(user) or council is None:
        return False
    if user.is_admin:
        return True
    seat = membership(user, council)
    return seat is not None and seat.position == Position.SECRETARY


def can_run_meetings(user, council: Council) -> bool:
    """Plan meetings, keep the agenda, record attendance, open and close votes, record decisions and
    recommendations, edit, approve and publish minutes, decide on citizens' proposals: secretary or chair."""
    seat = membership(user, council)
    return seat is not None and seat.position in (Position.SECRETARY, Position.CHAIR)


def require_runner(user, council: Council) -> None:
    """Raise unless ``can_run_meetings``: the services' own check, whatever the view did."""
    if not can_run_meetings(user, council):
        raise NotAllowed(_l("Only the council's secretary or chair can do this."))


def can_see_unpublished(user, council: Council) -> bool:
    """Planned meetings and draft minutes: the council's members and admins."""
    if not _signed_in(user) or council is None:
        return False
    return user.is_admin or membership(user, council) is not None


def can_follow(user) -> bool:
    """A confirmed email address: the council's mail goes there."""
    return _signed_in(user) and user.is_verified


def can_propose_item(user) -> bool:
    """A signed-in account with a confirmed email address."""
    return _signed_in(user) and user.is_verified
