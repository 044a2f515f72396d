"""The loop's rules and transitions: opening, routing, assigning, extending, redirecting, answering,
rating, withdrawing, escalating, the Kurultai secretariat's shortlist and outcome, and the sweep.

Every transition checks the source state, records a ``CaseEvent`` (the public timeline) and an audit row,
and queues its notifications to run after commit. Services flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from core import audit
from core.accounts.models import User
from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import EXECUTIVE_KINDS, KURULTAI_KEY, authority_for_territory, find_authority
from core.calendar import add_working_days, is_working_day, working_days_between
from core.db import db, lock_row, utcnow
from core.errors import AppError, Conflict, NotAllowed
from core.jobs import enqueue_after_commit
from core.territories.models import Territory
from feedback import rules
from feedback.models import (
    OPEN_STATES,
    Answer,
    Case,
    CaseEvent,
    CaseParticipant,
    CaseSource,
    CaseState,
    Decision,
    EscalationReason,
    EventKind,
    Measure,
    ParticipantRole,
    Rating,
    SweepRun,
)

TITLE_MAX = 200
BODY_MAX = 10_000
TEXT_MAX = 20_000
MEASURES_MAX = 20


class CaseError(AppError):
    message = _l("This cannot be done with this case now.")


# -- time -----------------------------------------------------------------------------------------------


#: Another clock for the current context (the demo seed replays months of history through the services).
_replayed: ContextVar[tuple[Callable[[], datetime], Callable[[], date]] | None] = ContextVar(
    "feedback_replayed_clock", default=None
)


def current_time() -> datetime:
    """The time the loop stamps on what it records (UTC)."""
    replayed = _replayed.get()
    return replayed[0]() if replayed else utcnow()


def today() -> date:
    """Today in Kazakhstan (one time zone, UTC+5, since March 2024); deadlines are local dates."""
    replayed = _replayed.get()
    if replayed:
        return replayed[1]()
    offset = float(current_app.config.get("LOCAL_UTC_OFFSET_HOURS", 5))
    return datetime.now(timezone(timedelta(hours=offset))).date()


@contextmanager
def replayed_clock(now: Callable[[], datetime], day: Callable[[], date]) -> Iterator[None]:
    """Run a block with the loop reading ``now()`` and ``day()`` instead of the real clock (this context only)."""
    token = _replayed.set((now, day))
    try:
        yield
    finally:
        _replayed.reset(token)


def working_days_cutoff(day: date, n: int) -> date:
    """The latest date ``d`` with more than ``n`` working days after it, up to and including ``day``:
    ``working_days_between(d, day) > n`` exactly when a date is on or before the result."""
    counted = 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted == n + 1:
                return day - timedelta(days=1)
        day -= timedelta(days=1)


@dataclass(frozen=True)
class DeadlineStatus:
    due_on: date
    working_days_left: int  # 0 on the due date
    working_days_late: int  # working days past the due date
    late: bool  # the due date has passed (visible the day after it)
    due_soon: bool


def deadline_status(case: Case, on: date | None = None) -> DeadlineStatus:
    on = on or today()
    late = on > case.due_on
    return DeadlineStatus(
        due_on=case.due_on,
        working_days_left=0 if late else working_days_between(on, case.due_on),
        working_days_late=working_days_between(case.due_on, on) if late else 0,
        late=late,
        due_soon=not late and working_days_between(on, case.due_on) <= rules.due_soon_days(),
    )


# -- text -----------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None, limit: int) -> str:
    """Plain text as typed (escaped when shown): control characters dropped, newlines normalised."""
    text = _CONTROL.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > limit:
        raise CaseError(_l("The text is too long (at most %(limit)s characters).", limit=limit))
    return text


def _title_and_body(title: str, body: str) -> tuple[str, str]:
    title = " ".join(clean_text(title, TITLE_MAX).split())
    body = clean_text(body, BODY_MAX)
    if len(title) < 5:
        raise CaseError(_l("Give the case a title of at least 5 characters."))
    if len(body) < 20:
        raise CaseError(_l("Describe the matter in at least 20 characters."))
    return title, body


# -- look-ups -------------------------------------------------------------------------------------------


def get_case(case_id: int) -> Case | None:
    return db.session.get(Case, case_id)


def kurultai() -> Authority | None:
    return find_authority(KURULTAI_KEY)


def is_officer_of(user, authority_id: int | None) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and authority_id is not None
        and authority_id in user.authority_ids()
    )


def is_participant(case: Case, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CaseParticipant)
            .where(CaseParticipant.case_id == case.id, CaseParticipant.user_id == user.id)
        )
        > 0
    )


def participant_count(case: Case) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(CaseParticipant).where(CaseParticipant.case_id == case.id)
    )


def participants(case: Case, limit: int | None = None) -> list[User]:
    """The participants, earliest first (``limit``: a petition's case may have thousands)."""
    statement = (
        sa.select(User)
        .join(CaseParticipant, CaseParticipant.user_id == User.id)
        .where(CaseParticipant.case_id == case.id)
        .order_by(CaseParticipant.joined_at, User.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement).unique())


def ratings(case: Case, limit: int | None = None) -> list[tuple[Rating, User]]:
    """The participants' ratings with their authors, newest first (for the authority's officers)."""
    statement = (
        sa.select(Rating, User)
        .join(User, User.id == Rating.user_id)
        .where(Rating.case_id == case.id)
        .order_by(sa.func.coalesce(Rating.updated_at, Rating.created_at).desc(), Rating.id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [(rating, user) for rating, user in db.session.execute(statement).unique()]


def chain(case: Case) -> list[Case]:
    """Every case of the escalation chain this case belongs to, from the first (level 0) up."""
    root = case.root_id or case.id
    return list(
        db.session.scalars(
            sa.select(Case).where(sa.or_(Case.root_id == root, Case.id == root)).order_by(Case.level, Case.id)
        ).unique()
    )


def final_answer(case: Case, steps: list[Case] | None = None) -> Answer | None:
    """The answer given highest up the chain (the one that counts for everyone below); ``steps`` is the
    chain when the caller has already loaded it."""
    for step in reversed(steps if steps is not None else chain(case)):
        if step.answer is not None:
            return step.answer
    return None


def my_rating(case: Case, user) -> Rating | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Rating).where(Rating.case_id == case.id, Rating.user_id == user.id))


def rating_counts(case: Case) -> tuple[int, int]:
    """(satisfied, dissatisfied) so far."""
    rows = dict(
        db.session.execute(
            sa.select(Rating.satisfied, sa.func.count()).where(Rating.case_id == case.id).group_by(Rating.satisfied)
        ).all()
    )
    return rows.get(True, 0), rows.get(False, 0)


def can_rate_now(case: Case, on: date | None = None) -> bool:
    on = on or today()
    return (
        case.state == CaseState.ANSWERED
        and case.rating_closed_at is None
        and case.rating_closes_on is not None
        and on <= case.rating_closes_on
    )


# -- routing --------------------------------------------------------------------------------------------


def suggested_authorities(territory_code: str | None) -> list[Authority]:
    """Where a proposal about this territory can go, lowest competent first ("solve it locally first"):
    the executive ladder above the territory, up to the Government (the Kurultai has its own form)."""
    if not territory_code:
        return []
    lowest = authority_for_territory(territory_code)
    if lowest is None:
        return []
    return [a for a in lowest.ladder() if a.kind != AuthorityKind.KURULTAI]


def _check_proposal_target(authority: Authority, territory_code: str | None) -> None:
    if authority.kind == AuthorityKind.KURULTAI:
        raise CaseError(_l("Proposals to the National Kurultai have their own form."))
    if authority.kind in (AuthorityKind.MINISTRY, AuthorityKind.GOVERNMENT):
        return
    if authority not in suggested_authorities(territory_code) and authority.kind in EXECUTIVE_KINDS:
        raise CaseError(_l("Choose an authority responsible for the place the proposal is about."))
    if authority.kind == AuthorityKind.MASLIKHAT and territory_code:
        territory = db.session.get(Territory, territory_code)
        chain_codes = {territory_code, *(t.code for t in territory.ancestors())} if territory else set()
        if authority.territory_code not in chain_codes:
            raise CaseError(_l("Choose an authority responsible for the place the proposal is about."))


def _check_citizen(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAllowed()
    if not user.is_verified:
        raise NotAllowed(_l("Confirm your email address before you file a proposal."))


# -- events and notifications ---------------------------------------------------------------------------


def _event(
    case: Case,
    kind: EventKind,
    actor=None,
    from_state: CaseState | None = None,
    to_state: CaseState | None = None,
    authority: Authority | None = None,
    related: Case | None = None,
    note: str | None = None,
    notify: bool = True,
    **details,
) -> CaseEvent:
    db.session.flush()
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        at=current_time(),
        actor_id=getattr(actor, "id", actor),
        from_state=from_state,
        to_state=to_state,
        authority_id=authority.id if authority is not None else None,
        related_case_id=related.id if related is not None else None,
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        f"case.{kind.value}",
        case,
        actor,
        from_state=from_state.value if from_state else None,
        to_state=to_state.value if to_state else None,
        authority_id=event.authority_id,
        related_case_id=event.related_case_id,
        **details,
    )
    if notify:
        from feedback.jobs import notify_event

        enqueue_after_commit(notify_event, event.id)
    return event


def add_participants(case: Case, user_ids, role: ParticipantRole = ParticipantRole.SIGNER) -> int:
    """Make users participants of a case (and of nothing else); existing ones are left as they are."""
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return 0
    db.session.flush()
    present = set(
        db.session.scalars(
            sa.select(CaseParticipant.user_id).where(
                CaseParticipant.case_id == case.id, CaseParticipant.user_id.in_(ids)
            )
        )
    )
    new = [
        {"case_id": case.id, "user_id": i, "role": role, "joined_at": current_time()} for i in ids if i not in present
    ]
    if new:
        db.session.execute(sa.insert(CaseParticipant), new)
    return len(new)


def note_on_agenda(case: Case, note: str, actor=None) -> CaseEvent:
    """A public council put the case on a meeting's agenda: a step of the case's public timeline (``note`` names
    the council and the meeting). The case's state and deadline do not change."""
    return _event(case, EventKind.ON_AGENDA, actor, note=note, notify=False)


def note_off_agenda(case: Case, note: str, actor=None) -> CaseEvent:
    """The council's meeting that had the case on its agenda was cancelled (``note`` says which, and why)."""
    return _event(case, EventKind.OFF_AGENDA, actor, note=note, notify=False)


# -- opening --------------------------------------------------------------------------------------------


def open_case(
    source: CaseSource,
    authority: Authority,
    title: str,
    body: str,
    author: User | None = None,
    territory_code: str | None = None,
    participant_ids=(),
    participant_role: ParticipantRole = ParticipantRole.SIGNER,
    source_ref: str | None = None,
    actor=None,
    on: date | None = None,
) -> Case:
    """Open a case addressed to ``authority`` with the deadline the rules give (the one entry point for
    every source: proposals here; petitions, council recommendations and hearings later)."""
    title, body = _title_and_body(title, body)
    on = on or today()
    received = add_working_days(on, 0)
    case = Case(
        source=source,
        source_ref=source_ref,
        state=CaseState.OPENED,
        title=title,
        body=body,
        territory_code=territory_code,
        authority=authority,
        authority_id=authority.id,
        author_id=author.id if author is not None else None,
        opened_at=current_time(),
        received_on=received,
        due_on=add_working_days(received, rules.response_working_days(source, authority)),
        level=0,
    )
    db.session.add(case)
    db.session.flush()
    case.root_id = case.id
    if author is not None:
        add_participants(case, [author.id], ParticipantRole.AUTHOR)
    add_participants(case, [i for i in participant_ids if author is None or i != author.id], participant_role)
    _event(
        case,
        EventKind.OPENED,
        actor if actor is not None else author,
        to_state=CaseState.OPENED,
        authority=authority,
        source=source.value,
    )
    return case


def file_proposal(user: User, authority: Authority, title: str, body: str, territory_code: str | None = None) -> Case:
    """A citizen's proposal to an authority on the ladder above the place it concerns."""
    _check_citizen(user)
    territory_code = territory_code or user.home_territory_code
    if territory_code and db.session.get(Territory, territory_code) is None:
        raise CaseError(_l("Choose a place from the list."))
    _check_proposal_target(authority, territory_code)
    return open_case(CaseSource.PROPOSAL, authority, title, body, author=user, territory_code=territory_code)


def file_kurultai_proposal(user: User, title: str, body: str) -> Case:
    """A proposal addressed straight to the National Kurultai (as the Quryltai app takes them)."""
    _check_citizen(user)
    top = kurultai()
    if top is None:
        raise CaseError(_l("The National Kurultai is not set up yet."))
    return open_case(
        CaseSource.KURULTAI_PROPOSAL, top, title, body, author=user, territory_code=user.home_territory_code
    )


# -- officer actions ------------------------------------------------------------------------------------


def within_days_of_receipt(case: Case, days: int, on: date | None = None) -> bool:
    """Whether ``on`` is no more than ``days`` working days after the case reached its authority (the
    windows for a redirect and for announcing an extension)."""
    return working_days_between(case.received_on, on or today()) <= days


def latest_extension(case: Case) -> date:
    """The latest new deadline an extension may set: the allowed months after the current deadline, brought
    back to a working day (a deadline on a day off moves to the next working day, past the limit)."""
    latest = rules.add_months(case.due_on, rules.extension_max_months())
    while not is_working_day(latest):
        latest -= timedelta(days=1)
    return latest


def _lock(case: Case) -> None:
    """Reload the case's row and lock it until the unit of work ends (PostgreSQL), so a transition never
    overwrites a change the sweep (or another officer) committed meanwhile; the state checks then see the
    current state. SQLite serialises writers itself."""
    lock_row(case)


def _require_officer(case: Case, actor) -> None:
    if not is_officer_of(actor, case.authority_id):
        raise NotAllowed(_l("Only an officer of the authority the case is addressed to can do this."))


def _require_state(case: Case, *states: CaseState) -> None:
    if case.state not in states:
        raise Conflict(_l("This case is %(state)s; this cannot be done now.", state=case.state.label))


def assign(case: Case, assignee: User, actor: User) -> Case:
    """Hand the case to an officer of the same authority (oneself to take it up); a new case is then
    awaiting its response."""
    _lock(case)
    _require_officer(case, actor)
    _require_state(case, *OPEN_STATES)
    if assignee is None or not is_officer_of(assignee, case.authority_id):
        raise CaseError(_l("A case can be assigned only to an officer of the same authority."))
    before = case.state
    case.assignee_id = assignee.id
    if case.state == CaseState.OPENED:
        case.state = CaseState.AWAITING
    _event(
        case,
        EventKind.ASSIGNED,
        actor,
        from_state=before,
        to_state=case.state,
        notify=False,
        assignee_id=assignee.id,
    )
    return case


def extend(case: Case, new_due: date, reason: str, actor: User, on: date | None = None) -> Case:
    """Extend the deadline once, with a reason, announced within the notice period after receipt."""
    _lock(case)
    _require_officer(case, actor)
    _require_state(case, CaseState.OPENED, CaseState.AWAITING)
    on = on or today()
    reason = clean_text(reason, 2000)
    if case.extended_at is not None:
        raise Conflict(_l("The deadline of a case can be extended only once."))
    if not within_days_of_receipt(case, rules.extension_notice_days(), on):
        raise CaseError(
            _l(
                "An extension must be announced within %(days)s working days of receipt.",
                days=rules.extension_notice_days(),
            )
        )
    if len(reason) < 10:
        raise CaseError(_l("Give the reason for the extension (at least 10 characters)."))
    latest = latest_extension(case)
    if new_due is None or new_due <= case.due_on:
        raise CaseError(_l("The new deadline must be later than the current one."))
    new_due = add_working_days(new_due, 0)
    if new_due > latest:
        raise CaseError(_l("The deadline can be extended to %(date)s at the latest.", date=format_date(latest)))
    case.due_before_extension = case.due_on
    case.due_on = new_due
    case.extended_at = current_time()
    case.extension_reason = reason
    _event(
        case,
        EventKind.EXTENDED,
        actor,
        from_state=case.state,
        to_state=case.state,
        note=reason,
        due_before=case.due_before_extension.isoformat(),
        due_on=case.due_on.isoformat(),
    )
    return case


def authorities_that_held(case: Case) -> set[int]:
    """Every authority this case or its chain has been with (filed to, redirected to, escalated through):
    a redirect never sends it back to one of them, so two bodies cannot pass a case to and fro, and an
    escalated case is not pushed back down."""
    steps = chain(case)
    held = {step.authority_id for step in steps}
    held.update(
        db.session.scalars(
            sa.select(CaseEvent.authority_id).where(
                CaseEvent.case_id.in_([step.id for step in steps]),
                CaseEvent.kind.in_([EventKind.OPENED, EventKind.REDIRECTED]),
                CaseEvent.authority_id.is_not(None),
            )
        )
    )
    return held


def redirect(case: Case, target: Authority, reason: str, actor: User, on: date | None = None) -> Case:
    """Send a case outside the authority's competence to the competent one, within the redirect window;
    the receiving authority gets its own full deadline and the participants are told."""
    _lock(case)
    _require_officer(case, actor)
    _require_state(case, CaseState.OPENED, CaseState.AWAITING)
    on = on or today()
    reason = clean_text(reason, 2000)
    if target is None or target.id == case.authority_id:
        raise CaseError(_l("Choose another authority to redirect the case to."))
    if target.kind == AuthorityKind.KURULTAI:
        raise CaseError(_l("A case reaches the National Kurultai only by escalation."))
    if not within_days_of_receipt(case, rules.redirect_window_days(), on):
        raise CaseError(
            _l(
                "A case can be redirected only within %(days)s working days of receipt.",
                days=rules.redirect_window_days(),
            )
        )
    if target.id in authorities_that_held(case):
        raise CaseError(
            _l("This case has already been with that authority; it cannot be sent back. Answer it, or refer it up.")
        )
    if len(reason) < 10:
        raise CaseError(_l("Give the reason for the redirect (at least 10 characters)."))
    source = case.authority
    before = case.state
    received = add_working_days(on, 0)
    case.authority = target
    case.authority_id = target.id
    case.assignee_id = None
    case.state = CaseState.OPENED
    case.received_on = received
    case.due_on = add_working_days(received, rules.response_working_days(case.source, target))
    case.extended_at = None
    case.extension_reason = None
    case.due_before_extension = None
    case.redirected_at = current_time()
    _event(
        case,
        EventKind.REDIRECTED,
        actor,
        from_state=before,
        to_state=CaseState.OPENED,
        authority=target,
        note=reason,
        from_authority_id=source.id,
        due_on=case.due_on.isoformat(),
    )
    return case


@dataclass
class MeasureInput:
    description: str
    responsible: str
    due_on: date | None


def publish_answer(case: Case, decision: Decision, text: str, measures, actor: User, on: date | None = None) -> Case:
    """Publish the authority's answer. "Referred to a higher level" escalates at once; any other decision
    opens the participants' rating window. At the National Kurultai the answer is the outcome, sent down
    to every participant of every case of the chain."""
    _lock(case)
    _require_officer(case, actor)
    _require_state(case, *OPEN_STATES)
    on = on or today()
    decision = Decision(decision)
    text = clean_text(text, TEXT_MAX)
    if len(text) < 20:
        raise CaseError(_l("Write the answer (at least 20 characters)."))
    is_top = case.authority.kind == AuthorityKind.KURULTAI
    if decision == Decision.REFERRED and case.authority.parent_id is None:
        raise CaseError(_l("There is no higher authority to refer this case to."))
    cleaned: list[MeasureInput] = []
    for m in list(measures or [])[: MEASURES_MAX + 1]:
        description = clean_text(getattr(m, "description", ""), 2000)
        responsible = " ".join(clean_text(getattr(m, "responsible", ""), 300).split())
        due = getattr(m, "due_on", None)
        if not description and not responsible and due is None:
            continue
        if not description or not responsible or due is None:
            raise CaseError(_l("Each measure needs a description, a responsible body and a due date."))
        if due < on:
            raise CaseError(_l("A measure's due date cannot be in the past."))
        cleaned.append(MeasureInput(description, responsible, due))
    if len(cleaned) > MEASURES_MAX:
        raise CaseError(_l("At most %(n)s measures.", n=MEASURES_MAX))
    if decision.takes_action and not cleaned:
        raise CaseError(_l("A supported or partly supported answer needs at least one concrete measure."))
    before = case.state
    answered_day = on
    case.answer = Answer(
        decision=decision,
        text=text,
        officer_id=actor.id,
        published_at=current_time(),
        measures=[
            Measure(position=i, description=m.description, responsible=m.responsible, due_on=m.due_on)
            for i, m in enumerate(cleaned)
        ],
    )
    case.decision = decision
    case.answered_at = current_time()
    case.answered_on_time = answered_day <= case.due_on
    case.answer_working_days = max(0, working_days_between(case.received_on, answered_day))
    if decision == Decision.REFERRED:
        case.state = CaseState.ANSWERED
        _event(
            case,
            EventKind.ANSWERED,
            actor,
            from_state=before,
            to_state=CaseState.ANSWERED,
            notify=False,
            decision=decision.value,
        )
        escalate(case, EscalationReason.REFERRED, actor=actor, on=on)
        return case
    case.state = CaseState.ANSWERED
    case.rating_closes_on = add_working_days(answered_day, rules.rating_window_days())
    _event(
        case,
        EventKind.ANSWERED,
        actor,
        from_state=before,
        to_state=CaseState.ANSWERED,
        notify=not is_top,
        decision=decision.value,
        on_time=case.answered_on_time,
    )
    if is_top:
        _send_outcome_down(case, actor)
    return case


def _send_outcome_down(case: Case, actor) -> None:
    """Record the Kurultai's outcome on every case below it in the chain and tell every participant."""
    for step in chain(case):
        if step.id == case.id:
            continue
        _event(step, EventKind.OUTCOME, actor, related=case, notify=False)
    from feedback.jobs import notify_outcome

    enqueue_after_commit(notify_outcome, case.id)


def shortlist(case: Case, session: str, actor: User) -> Case:
    """The Kurultai secretariat puts a case on the shortlist for a session of the National Kurultai."""
    _lock(case)
    _require_officer(case, actor)
    if case.authority.kind != AuthorityKind.KURULTAI:
        raise CaseError(_l("Only cases at the National Kurultai can be shortlisted."))
    _require_state(case, *OPEN_STATES)
    session = " ".join(clean_text(session, 200).split())
    if len(session) < 3:
        raise CaseError(_l("Name the Kurultai session."))
    if case.shortlisted_at is not None:
        raise Conflict(_l("This case is already shortlisted."))
    before = case.state
    case.shortlisted_at = current_time()
    case.shortlist_session = session
    if case.state == CaseState.OPENED:
        case.state = CaseState.AWAITING
    _event(case, EventKind.SHORTLISTED, actor, from_state=before, to_state=case.state, note=session)
    return case


# -- participants ---------------------------------------------------------------------------------------


def rate(case: Case, user: User, satisfied: bool, comment: str = "", on: date | None = None) -> Rating:
    """A participant's verdict on the answer while the rating window is open (they may change it)."""
    _lock(case)
    if not is_participant(case, user):
        raise NotAllowed(_l("Only participants of a case can rate its answer."))
    if not can_rate_now(case, on):
        raise Conflict(_l("The rating window of this case is closed."))
    comment = clean_text(comment, 2000) or None
    rating = my_rating(case, user)
    if rating is None:
        rating = Rating(case_id=case.id, user_id=user.id, satisfied=bool(satisfied), comment=comment)
        db.session.add(rating)
    else:
        rating.satisfied = bool(satisfied)
        rating.comment = comment
        rating.updated_at = current_time()
    db.session.flush()
    audit.record("case.rated", case, user, satisfied=bool(satisfied))
    return rating


def withdraw(case: Case, user: User, reason: str = "") -> Case:
    _lock(case)
    if user is None or case.author_id != getattr(user, "id", None):
        raise NotAllowed(_l("Only the author can withdraw a case."))
    _require_state(case, *OPEN_STATES)
    before = case.state
    case.state = CaseState.WITHDRAWN
    case.closed_at = current_time()
    _event(
        case,
        EventKind.WITHDRAWN,
        user,
        from_state=before,
        to_state=CaseState.WITHDRAWN,
        note=clean_text(reason, 2000) or None,
        notify=False,
    )
    return case


# -- escalation -----------------------------------------------------------------------------------------


def escalate(case: Case, reason: EscalationReason, actor=None, on: date | None = None) -> Case:
    """Carry a case up to the parent authority: a new linked case with the same participants, its own
    deadline and history. Returns the new case."""
    _lock(case)
    parent = case.authority.parent
    if parent is None:
        raise CaseError(_l("There is no higher authority above this one."))
    if case.state in (CaseState.ESCALATED, CaseState.WITHDRAWN, CaseState.RESOLVED, CaseState.CLOSED):
        raise Conflict(_l("This case is %(state)s; this cannot be done now.", state=case.state.label))
    on = on or today()
    received = add_working_days(on, 0)
    before = case.state
    now = current_time()
    case.state = CaseState.ESCALATED
    case.escalated_at = now
    case.escalation_reason = reason
    case.closed_at = now
    upper = Case(
        source=case.source,
        source_ref=case.source_ref,
        state=CaseState.OPENED,
        title=case.title,
        body=case.body,
        territory_code=case.territory_code,
        authority=parent,
        authority_id=parent.id,
        author_id=case.author_id,
        opened_at=now,
        received_on=received,
        due_on=add_working_days(received, rules.response_working_days(case.source, parent)),
        escalated_from_id=case.id,
        root_id=case.root_id or case.id,
        level=case.level + 1,
    )
    db.session.add(upper)
    db.session.flush()
    db.session.execute(
        sa.insert(CaseParticipant).from_select(
            ["case_id", "user_id", "role", "joined_at"],
            sa.select(
                sa.literal(upper.id),
                CaseParticipant.user_id,
                CaseParticipant.role,
                sa.literal(now, Case.opened_at.type),
            ).where(CaseParticipant.case_id == case.id),
        )
    )
    _event(
        case,
        EventKind.ESCALATED,
        actor,
        from_state=before,
        to_state=CaseState.ESCALATED,
        authority=parent,
        related=upper,
        note=None,
        reason=reason.value,
    )
    _event(
        upper,
        EventKind.ESCALATED_IN,
        actor,
        to_state=CaseState.OPENED,
        authority=case.authority,
        related=case,
        reason=reason.value,
    )
    return upper


# -- the sweep ------------------------------------------------------------------------------------------

SWEEP_LOCK_ID = 0x7459_4E44_5357  # "tYNDSW": serialises sweeps on PostgreSQL


@dataclass
class SweepResult:
    run_id: int
    overdue: int
    resolved: int
    closed: int
    escalated: int

    @property
    def changed(self) -> int:
        return self.overdue + self.resolved + self.closed + self.escalated


def _due_expression(source_col, kind_col, authority_col, on: date):
    """SQL for the due date at the receiving authority, from the deadline rules (a CASE over every
    source × kind, plus authority-specific rows)."""
    table = rules.DeadlineTable()
    received = add_working_days(on, 0)
    whens = []
    for authority_id in sorted(table.authority_overrides()):
        kind = db.session.scalar(sa.select(Authority.kind).where(Authority.id == authority_id))
        if kind is None:
            continue
        for source in CaseSource:
            days = table.working_days(source, kind, authority_id)
            whens.append(
                (sa.and_(authority_col == authority_id, source_col == source.value), add_working_days(received, days))
            )
    for kind in AuthorityKind:
        for source in CaseSource:
            days = table.working_days(source, kind)
            whens.append(
                (sa.and_(kind_col == kind.value, source_col == source.value), add_working_days(received, days))
            )
    default = add_working_days(received, table.working_days("", AuthorityKind.DISTRICT_AKIMAT))
    return sa.case(*whens, else_=default)


def sweep(on: date | None = None, actor=None) -> SweepResult:
    """Mark overdue cases, close rating windows, resolve, close at the top, and escalate — in set-based
    statements, idempotent (a second run on the same day changes nothing) and serialised on PostgreSQL
    by an advisory lock (on SQLite the run's first insert takes the database's write lock)."""
    on = on or today()
    now = current_time()
    run = SweepRun(started_at=now, today=on)
    db.session.add(run)
    db.session.flush()
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK_ID})
        # Short set-based statements whose correlated sub-queries inflate the estimates: compiling them
        # (JIT) costs more than running them.
        session.execute(sa.text("SET LOCAL jit = off"))

    cases = Case.__table__
    events = CaseEvent.__table__
    authorities = Authority.__table__
    now_ = sa.literal(now, Case.opened_at.type)
    run_id = sa.literal(run.id)

    # 1. overdue: the due date has passed without an answer.
    overdue_where = sa.and_(cases.c.state.in_([CaseState.OPENED.value, CaseState.AWAITING.value]), cases.c.due_on < on)
    cutoff = working_days_cutoff(on, rules.escalate_after_overdue_days())
    if session.get_bind().dialect.name == "postgresql":
        # Officers' transitions lock their case's row before they change it (``_lock``); lock every row this
        # run may change, so that none changes between the statements below (an answer published meanwhile
        # either commits first and the case is left alone, or waits for this run and then finds it moved).
        candidates = (
            sa.select(cases.c.id)
            .where(
                sa.or_(
                    overdue_where,
                    sa.and_(cases.c.state == CaseState.OVERDUE.value, cases.c.due_on <= cutoff),
                    sa.and_(
                        cases.c.state == CaseState.ANSWERED.value,
                        cases.c.rating_closed_at.is_(None),
                        sa.or_(
                            cases.c.rating_closes_on < on,
                            sa.exists().where(Rating.__table__.c.case_id == cases.c.id),
                        ),
                    ),
                )
            )
            .with_for_update()
            .subquery()
        )
        session.execute(sa.select(sa.func.count()).select_from(candidates))
    session.execute(
        sa.insert(events).from_select(
            ["case_id", "kind", "at", "from_state", "to_state", "sweep_run_id"],
            sa.select(
                cases.c.id,
                sa.literal(EventKind.OVERDUE.value),
                now_,
                cases.c.state,
                sa.literal(CaseState.OVERDUE.value),
                run_id,
            ).where(overdue_where),
        )
    )
    overdue = session.execute(
        sa.update(cases).where(overdue_where).values(state=CaseState.OVERDUE.value, overdue_since=on)
    ).rowcount

    # 2. rating windows that ended, or in which every participant has rated: closed and, in the same
    # statement, resolved, closed at the top or escalated (one write per case; the events follow from it).
    ratings = Rating.__table__
    parts = CaseParticipant.__table__
    closing = cases.alias("closing")
    own = authorities.alias("own")
    rated = sa.func.count(ratings.c.id)
    people = sa.select(sa.func.count()).where(parts.c.case_id == closing.c.id).scalar_subquery()
    verdict = (
        sa.select(
            closing.c.id.label("case_id"),
            sa.func.sum(sa.case((ratings.c.satisfied.is_(True), 1), else_=0)).label("satisfied"),
            sa.func.sum(sa.case((ratings.c.satisfied.is_(False), 1), else_=0)).label("dissatisfied"),
            own.c.parent_id.label("parent_id"),
        )
        .select_from(
            closing.join(own, own.c.id == closing.c.authority_id).outerjoin(ratings, ratings.c.case_id == closing.c.id)
        )
        .where(closing.c.state == CaseState.ANSWERED.value, closing.c.rating_closed_at.is_(None))
        .group_by(closing.c.id, closing.c.rating_closes_on, own.c.parent_id)
        .having(sa.or_(closing.c.rating_closes_on < on, sa.and_(rated > 0, rated >= people)))
        .subquery("verdict")
    )
    votes = verdict.c.satisfied + verdict.c.dissatisfied
    unhappy = sa.and_(verdict.c.dissatisfied * 2 > votes, votes >= rules.min_ratings())
    goes_up = sa.and_(unhappy, verdict.c.parent_id.is_not(None))
    session.execute(
        sa.update(cases)
        .where(cases.c.id == verdict.c.case_id)
        .values(
            rating_closed_at=now,
            closed_at=now,
            satisfied_count=verdict.c.satisfied,
            dissatisfied_count=verdict.c.dissatisfied,
            state=sa.case(
                (goes_up, CaseState.ESCALATED.value),
                (unhappy, CaseState.CLOSED.value),
                else_=CaseState.RESOLVED.value,
            ),
            escalated_at=sa.case((goes_up, now_), else_=None),
            escalation_reason=sa.case((goes_up, EscalationReason.DISSATISFIED.value), else_=None),
        )
    )

    def finished(state: CaseState, kind: EventKind) -> int:
        just = sa.and_(cases.c.rating_closed_at == now_, cases.c.state == state.value)
        session.execute(
            sa.insert(events).from_select(
                ["case_id", "kind", "at", "from_state", "to_state", "sweep_run_id"],
                sa.select(
                    cases.c.id,
                    sa.literal(kind.value),
                    now_,
                    sa.literal(CaseState.ANSWERED.value),
                    sa.literal(state.value),
                    run_id,
                ).where(just),
            )
        )
        return session.scalar(sa.select(sa.func.count()).where(just))

    resolved = finished(CaseState.RESOLVED, EventKind.RESOLVED)
    closed = finished(CaseState.CLOSED, EventKind.CLOSED)

    # 3. escalation of cases overdue by more than the allowed working days (the dissatisfied ones were
    # marked in step 2); then the new cases above, their participants and the events of both.
    up = cases.alias("up")
    no_child = ~sa.exists(sa.select(up.c.id).where(up.c.escalated_from_id == cases.c.id))
    has_parent = cases.c.authority_id.in_(sa.select(authorities.c.id).where(authorities.c.parent_id.is_not(None)))
    session.execute(
        sa.update(cases)
        .where(cases.c.state == CaseState.OVERDUE.value, cases.c.due_on <= cutoff, has_parent, no_child)
        .values(
            state=CaseState.ESCALATED.value,
            escalated_at=now,
            closed_at=now,
            escalation_reason=EscalationReason.OVERDUE.value,
        )
    )
    escalated = session.scalar(
        sa.select(sa.func.count()).where(cases.c.escalated_at == now_, cases.c.state == CaseState.ESCALATED.value)
    )
    if escalated:
        low = cases.alias("low")
        parent = authorities.alias("parent")
        own = authorities.alias("own")
        received = add_working_days(on, 0)
        session.execute(
            sa.insert(cases).from_select(
                [
                    "source",
                    "source_ref",
                    "state",
                    "title",
                    "body",
                    "territory_code",
                    "authority_id",
                    "author_id",
                    "opened_at",
                    "received_on",
                    "due_on",
                    "escalated_from_id",
                    "root_id",
                    "level",
                    "created_at",
                ],
                sa.select(
                    low.c.source,
                    low.c.source_ref,
                    sa.literal(CaseState.OPENED.value),
                    low.c.title,
                    low.c.body,
                    low.c.territory_code,
                    parent.c.id,
                    low.c.author_id,
                    now_,
                    sa.literal(received, Case.received_on.type),
                    _due_expression(low.c.source, parent.c.kind, parent.c.id, on),
                    low.c.id,
                    sa.func.coalesce(low.c.root_id, low.c.id),
                    low.c.level + 1,
                    now_,
                )
                .select_from(low.join(own, own.c.id == low.c.authority_id).join(parent, parent.c.id == own.c.parent_id))
                .where(low.c.escalated_at == now_, low.c.state == CaseState.ESCALATED.value)
                .order_by(low.c.id),
            )
        )
        high = cases.alias("high")
        low = cases.alias("low")
        link = low.join(high, high.c.escalated_from_id == low.c.id)
        session.execute(
            sa.insert(parts).from_select(
                ["case_id", "user_id", "role", "joined_at"],
                sa.select(high.c.id, parts.c.user_id, parts.c.role, now_)
                .select_from(link.join(parts, parts.c.case_id == low.c.id))
                .where(low.c.escalated_at == now_),
            )
        )
        session.execute(
            sa.insert(events).from_select(
                ["case_id", "kind", "at", "from_state", "to_state", "authority_id", "related_case_id", "sweep_run_id"],
                sa.select(
                    low.c.id,
                    sa.literal(EventKind.ESCALATED.value),
                    now_,
                    sa.case(
                        (low.c.escalation_reason == EscalationReason.OVERDUE.value, CaseState.OVERDUE.value),
                        else_=CaseState.ANSWERED.value,
                    ),
                    sa.literal(CaseState.ESCALATED.value),
                    high.c.authority_id,
                    high.c.id,
                    run_id,
                )
                .select_from(link)
                .where(low.c.escalated_at == now_),
            )
        )
        session.execute(
            sa.insert(events).from_select(
                ["case_id", "kind", "at", "to_state", "authority_id", "related_case_id", "sweep_run_id"],
                sa.select(
                    high.c.id,
                    sa.literal(EventKind.ESCALATED_IN.value),
                    now_,
                    sa.literal(CaseState.OPENED.value),
                    low.c.authority_id,
                    low.c.id,
                    run_id,
                )
                .select_from(link)
                .where(low.c.escalated_at == now_),
            )
        )

    changed = overdue + resolved + closed + escalated
    result = SweepResult(run.id, overdue, resolved, closed, escalated)
    if not changed:
        # Nothing to do: leave no trace, so a second run is a true no-op.
        session.delete(run)
        session.flush()
        return result
    run.overdue, run.resolved, run.closed, run.escalated = overdue, resolved, closed, escalated
    run.finished_at = current_time()
    session.flush()
    # ORM objects loaded before the sweep now hold stale states.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Case):
            session.expire(obj)
    audit.record(
        "feedback.sweep",
        run,
        actor,
        today=on.isoformat(),
        overdue=overdue,
        resolved=resolved,
        closed=closed,
        escalated=escalated,
    )
    from feedback.jobs import notify_sweep

    enqueue_after_commit(notify_sweep, run.id)
    return result
