"""rq jobs of petitions: mail to the author after moderation, to the signers when the petition reaches its
threshold or closes, and the periodic sweep. Jobs take primary keys, reload rows, tolerate vanished ones."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from core.accounts.models import User
from core.db import commit, db
from core.mail import build_message, deliver, external_url
from petitions.models import Petition, Signature

log = logging.getLogger(__name__)

BATCH = 500


def _context(petition: Petition) -> dict:
    return {"petition": petition, "link": external_url("petitions.petition", petition_id=petition.id)}


def notify_author(petition_id: int, template: str) -> None:
    """The moderation outcome (published, returned, rejected), in the author's language."""
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.author_id is None:
        log.info("petition %s or its author vanished; no %s mail", petition_id, template)
        return
    author = db.session.get(User, petition.author_id)
    if author is None or not author.active:
        return
    deliver(build_message(author, template, _context(petition)))


def _mail_signers(petition: Petition, template: str, context: dict) -> int:
    """Every online signer (and the author), in batches, each in their own language."""
    sent = 0
    last = 0
    author_done = False
    while True:
        ids = list(
            db.session.scalars(
                sa.select(Signature.user_id)
                .where(Signature.petition_id == petition.id, Signature.user_id > last)
                .order_by(Signature.user_id)
                .limit(BATCH)
            )
        )
        if not ids:
            break
        last = ids[-1]
        for user in db.session.scalars(sa.select(User).where(User.id.in_(ids), User.active.is_(True))).unique():
            deliver(build_message(user, template, context))
            sent += 1
            author_done = author_done or user.id == petition.author_id
    if not author_done and petition.author_id is not None:
        author = db.session.get(User, petition.author_id)
        if author is not None and author.active:
            deliver(build_message(author, template, context))
            sent += 1
    return sent


def notify_reached(petition_id: int) -> None:
    """The petition reached its threshold: it is now a case with a deadline; every signer can follow it."""
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.case is None:
        return
    context = {
        **_context(petition),
        "case": petition.case,
        "case_link": external_url("feedback.case", case_id=petition.case.id),
    }
    _mail_signers(petition, "petition_reached", context)


def notify_not_reached(petition_id: int) -> None:
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        return
    _mail_signers(petition, "petition_not_reached", _context(petition))


def sweep_job() -> None:
    """The periodic sweep (registered with rq's cron scheduler by ``flask jobs cron``)."""
    from petitions.services import sweep

    result = sweep()
    commit()
    log.info("petitions sweep: %s reached, %s not reached", result.reached, result.not_reached)
