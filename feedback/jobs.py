"""rq jobs of the loop: notifications after each step (in each recipient's language) and the periodic sweep.

Jobs take primary keys, reload rows, tolerate vanished ones, and commit their own work.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from core.accounts.models import User
from core.authorities.services import officers_of
from core.db import commit, db
from core.mail import build_message, deliver, external_url
from feedback.models import Case, CaseEvent, CaseParticipant, EventKind

log = logging.getLogger(__name__)

#: Which mail each kind of event sends to the case's participants, and to the officers of the authority
#: that now holds the case.
PARTICIPANT_MAIL = {
    EventKind.OPENED: "case_filed",
    EventKind.REDIRECTED: "case_redirected",
    EventKind.EXTENDED: "case_extended",
    EventKind.ANSWERED: "case_answered",
    EventKind.OVERDUE: "case_overdue",
    EventKind.ESCALATED: "case_escalated",
    EventKind.RESOLVED: "case_resolved",
    EventKind.CLOSED: "case_closed",
    EventKind.SHORTLISTED: "case_shortlisted",
}
OFFICER_MAIL = {
    EventKind.OPENED: "case_new",
    EventKind.ESCALATED_IN: "case_new",
    EventKind.REDIRECTED: "case_new",
}
BATCH = 500


def _participant_ids(case_ids) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(CaseParticipant.user_id)
            .where(CaseParticipant.case_id.in_(list(case_ids)))
            .distinct()
            .order_by(CaseParticipant.user_id)
        )
    )


def _send(user_ids, template: str, context: dict) -> int:
    sent = 0
    ids = list(user_ids)
    for start in range(0, len(ids), BATCH):
        users = db.session.scalars(
            sa.select(User).where(User.id.in_(ids[start : start + BATCH]), User.active.is_(True))
        ).unique()
        for user in users:
            deliver(build_message(user, template, context))
            sent += 1
    return sent


def send_event_mail(event: CaseEvent) -> int:
    """Mail everyone an event concerns; returns how many messages went out."""
    case = event.case
    context = {
        "case": case,
        "event": event,
        "link": external_url("feedback.case", case_id=case.id),
        "related": db.session.get(Case, event.related_case_id) if event.related_case_id else None,
    }
    if event.kind == EventKind.ESCALATED and context["related"] is not None:
        context["link"] = external_url("feedback.case", case_id=event.related_case_id)
    sent = 0
    template = PARTICIPANT_MAIL.get(event.kind)
    if template:
        recipients = _participant_ids([case.id])
        if event.kind == EventKind.OPENED:
            recipients = [case.author_id] if case.author_id else []
        sent += _send(recipients, template, context)
    template = OFFICER_MAIL.get(event.kind)
    if template:
        officers = [u.id for u in officers_of(case.authority)]
        context = {**context, "link": external_url("feedback.case", case_id=case.id)}
        sent += _send(officers, template, context)
    return sent


def notify_event(event_id: int) -> None:
    event = db.session.get(CaseEvent, event_id)
    if event is None:
        log.info("case event %s vanished; nothing to send", event_id)
        return
    send_event_mail(event)


def notify_sweep(run_id: int) -> None:
    """Mail for every event a sweep run recorded, in batches."""
    last = 0
    while True:
        batch = list(
            db.session.scalars(
                sa.select(CaseEvent)
                .where(CaseEvent.sweep_run_id == run_id, CaseEvent.id > last)
                .order_by(CaseEvent.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        for event in batch:
            send_event_mail(event)
            last = event.id
            # Keep memory flat over a big run; only what this job loaded (inline, the session is the caller's).
            db.session.expunge(event)


def notify_outcome(case_id: int) -> None:
    """The National Kurultai's outcome, to every participant of every case of the chain, once each."""
    from feedback.services import chain

    case = db.session.get(Case, case_id)
    if case is None or case.answer is None:
        return
    cases = chain(case)
    context = {"case": case, "answer": case.answer, "link": external_url("feedback.case", case_id=case.id)}
    _send(_participant_ids([c.id for c in cases]), "case_outcome", context)


def sweep_job() -> None:
    """The periodic sweep (registered with rq's cron scheduler by ``flask jobs cron``)."""
    from feedback.services import sweep

    result = sweep()
    commit()
    log.info(
        "sweep: %s overdue, %s resolved, %s closed, %s escalated",
        result.overdue,
        result.resolved,
        result.closed,
        result.escalated,
    )
