"""The Hearing State loop: cases, their participants, append-only events, answers, measures, ratings,
deadline rules and sweep runs."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.enums import enum_column


class CaseSource(enum.StrEnum):
    """What opened a case. Petitions, council recommendations and hearings open cases through the same
    service when their packages arrive."""

    PROPOSAL = "proposal"  # a citizen's proposal or appeal to an authority (e-Otinish / Ashyq Aqimat kind)
    KURULTAI_PROPOSAL = "kurultai_proposal"  # straight to the National Kurultai (Quryltai app kind)
    PETITION = "petition"
    COUNCIL_RECOMMENDATION = "council_recommendation"
    HEARING = "hearing"

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    CaseSource.PROPOSAL: _l("Proposal"),
    CaseSource.KURULTAI_PROPOSAL: _l("Proposal to the National Kurultai"),
    CaseSource.PETITION: _l("Petition"),
    CaseSource.COUNCIL_RECOMMENDATION: _l("Public council recommendation"),
    CaseSource.HEARING: _l("Public hearing outcome"),
}


class CaseState(enum.StrEnum):
    OPENED = "opened"  # filed; nobody at the authority has taken it up yet
    AWAITING = "awaiting"  # taken up (assigned) and awaiting the answer
    OVERDUE = "overdue"  # the due date passed without an answer
    ANSWERED = "answered"  # answer published; participants rate it in the rating window
    RESOLVED = "resolved"  # the rating window closed without a dissatisfied majority
    ESCALATED = "escalated"  # moved up: a linked case at the parent authority carries it on
    CLOSED = "closed"  # closed unresolved where nothing is above (the top of the ladder)
    WITHDRAWN = "withdrawn"  # withdrawn by its author before an answer

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


STATE_LABELS = {
    CaseState.OPENED: _l("New"),
    CaseState.AWAITING: _l("Awaiting response"),
    CaseState.OVERDUE: _l("Overdue"),
    CaseState.ANSWERED: _l("Answered"),
    CaseState.RESOLVED: _l("Resolved"),
    CaseState.ESCALATED: _l("Escalated"),
    CaseState.CLOSED: _l("Closed unresolved"),
    CaseState.WITHDRAWN: _l("Withdrawn"),
}
#: States in which the authority owes an answer.
OPEN_STATES = (CaseState.OPENED, CaseState.AWAITING, CaseState.OVERDUE)
FINAL_STATES = (CaseState.RESOLVED, CaseState.ESCALATED, CaseState.CLOSED, CaseState.WITHDRAWN)


class Decision(enum.StrEnum):
    SUPPORTED = "supported"
    PARTLY = "partly"
    NOT_SUPPORTED = "not_supported"
    REFERRED = "referred"  # referred to a higher level: escalates at once

    @property
    def label(self) -> str:
        return str(DECISION_LABELS[self])

    @property
    def takes_action(self) -> bool:
        return self in (Decision.SUPPORTED, Decision.PARTLY)


DECISION_LABELS = {
    Decision.SUPPORTED: _l("Supported"),
    Decision.PARTLY: _l("Partly supported"),
    Decision.NOT_SUPPORTED: _l("Not supported"),
    Decision.REFERRED: _l("Referred to a higher level"),
}


class EscalationReason(enum.StrEnum):
    REFERRED = "referred"
    OVERDUE = "overdue"
    DISSATISFIED = "dissatisfied"

    @property
    def label(self) -> str:
        return str(REASON_LABELS[self])


REASON_LABELS = {
    EscalationReason.REFERRED: _l("the authority referred it to a higher level"),
    EscalationReason.OVERDUE: _l("the authority did not answer in time"),
    EscalationReason.DISSATISFIED: _l("most participants were not satisfied with the answer"),
}


class EventKind(enum.StrEnum):
    OPENED = "opened"
    ESCALATED_IN = "escalated_in"  # opened at this authority by escalation from below
    ASSIGNED = "assigned"
    EXTENDED = "extended"
    REDIRECTED = "redirected"
    OVERDUE = "overdue"
    ANSWERED = "answered"
    RATING_CLOSED = "rating_closed"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    SHORTLISTED = "shortlisted"
    OUTCOME = "outcome"  # the National Kurultai's outcome reached this case of the chain
    ON_AGENDA = "on_agenda"  # a public council put the case on a meeting's agenda
    OFF_AGENDA = "off_agenda"  # that meeting was cancelled

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    EventKind.OPENED: _l("Filed"),
    EventKind.ESCALATED_IN: _l("Received by escalation"),
    EventKind.ASSIGNED: _l("Taken up"),
    EventKind.EXTENDED: _l("Deadline extended"),
    EventKind.REDIRECTED: _l("Redirected"),
    EventKind.OVERDUE: _l("Deadline missed"),
    EventKind.ANSWERED: _l("Answer published"),
    EventKind.RATING_CLOSED: _l("Rating closed"),
    EventKind.RESOLVED: _l("Resolved"),
    EventKind.ESCALATED: _l("Escalated"),
    EventKind.CLOSED: _l("Closed unresolved"),
    EventKind.WITHDRAWN: _l("Withdrawn"),
    EventKind.SHORTLISTED: _l("Shortlisted for a Kurultai session"),
    EventKind.OUTCOME: _l("Outcome of the National Kurultai"),
    EventKind.ON_AGENDA: _l("Put on a public council's agenda"),
    EventKind.OFF_AGENDA: _l("A public council's meeting on it was cancelled"),
}


class ParticipantRole(enum.StrEnum):
    AUTHOR = "author"
    SIGNER = "signer"
    MEMBER = "member"  # e.g. a public council's member on the council's recommendation


class SweepRun(db.Model):
    """One run of the sweep: taking its row first also takes SQLite's write lock."""

    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    today: Mapped[date]
    overdue: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[int] = mapped_column(default=0)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        sa.Index("ix_cases_authority_state", "authority_id", "state"),
        # Partial: only the cases the sweep looks at are in these two, so a case that leaves those states
        # (most cases, most of their life) costs no entry, and the sweep's writes touch fewer indexes.
        sa.Index(
            "ix_cases_open_due_on",
            "state",
            "due_on",
            postgresql_where=sa.text("state IN ('opened', 'awaiting', 'overdue')"),
            sqlite_where=sa.text("state IN ('opened', 'awaiting', 'overdue')"),
        ),
        sa.Index(
            "ix_cases_answered_rating_closes_on",
            "rating_closes_on",
            postgresql_where=sa.text("state = 'answered'"),
            sqlite_where=sa.text("state = 'answered'"),
        ),
        # The sweep finds the cases whose rating window it has just closed by this timestamp.
        sa.Index("ix_cases_rating_closed_at", "rating_closed_at"),
        sa.Index(
            "ix_cases_escalated_at",
            "escalated_at",
            postgresql_where=sa.text("escalated_at IS NOT NULL"),
            sqlite_where=sa.text("escalated_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[CaseSource] = mapped_column(enum_column(CaseSource, 32))
    #: Id of the source's own record (a petition, a council decision) when there is one.
    source_ref: Mapped[str | None] = mapped_column(sa.String(64))
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState, 16), default=CaseState.OPENED)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    territory_code: Mapped[str | None] = mapped_column(sa.ForeignKey("territories.code"), index=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The day the current authority received it (filing, redirect or escalation); deadlines count from it.
    received_on: Mapped[date]
    due_on: Mapped[date]
    extended_at: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    due_before_extension: Mapped[date | None]
    redirected_at: Mapped[datetime | None]
    overdue_since: Mapped[date | None]

    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, 16))
    answered_at: Mapped[datetime | None]
    answered_on_time: Mapped[bool | None]
    #: Working days from receipt to answer.
    answer_working_days: Mapped[int | None]
    rating_closes_on: Mapped[date | None]
    rating_closed_at: Mapped[datetime | None]
    satisfied_count: Mapped[int | None]
    dissatisfied_count: Mapped[int | None]

    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalation_reason: Mapped[EscalationReason | None] = mapped_column(enum_column(EscalationReason, 16))
    #: The case one level down that this one carries on; unique, so a case escalates once.
    escalated_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), unique=True)
    #: The first case of the chain (itself for a case filed directly).
    root_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    #: 0 for the first case of a chain, then one more per escalation.
    level: Mapped[int] = mapped_column(default=0)

    shortlisted_at: Mapped[datetime | None]
    shortlist_session: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    authority = relationship("Authority", lazy="joined", foreign_keys=[authority_id])
    territory = relationship("Territory", lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    escalated_from: Mapped[Case | None] = relationship(
        remote_side=[id], foreign_keys=[escalated_from_id], back_populates="escalated_to"
    )
    escalated_to: Mapped[Case | None] = relationship(
        foreign_keys=[escalated_from_id], back_populates="escalated_from", uselist=False
    )
    answer: Mapped[Answer | None] = relationship(back_populates="case", uselist=False, lazy="selectin")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case",
        order_by="CaseEvent.id",
        cascade="all",
        passive_deletes=True,
        foreign_keys="CaseEvent.case_id",
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.state}>"


class CaseParticipant(db.Model):
    __tablename__ = "case_participants"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole, 16), default=ParticipantRole.AUTHOR)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


class CaseEvent(db.Model):
    """One step of a case's public history. Append-only: the ORM refuses updates and deletes."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_state: Mapped[CaseState | None] = mapped_column(enum_column(CaseState, 16))
    to_state: Mapped[CaseState | None] = mapped_column(enum_column(CaseState, 16))
    #: The authority the case went to (redirect, escalation) or came from.
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"))
    #: The linked case (escalation: the new case above, or the one below).
    related_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    sweep_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sweep_runs.id"), index=True)

    case: Mapped[Case] = relationship(back_populates="events", foreign_keys=[case_id])
    actor = relationship("User")
    authority = relationship("Authority")
    related_case = relationship("Case", foreign_keys=[related_case_id])


@sa.event.listens_for(CaseEvent, "before_update")
def _events_are_append_only(mapper, connection, target) -> None:
    raise RuntimeError("case events are append-only")


@sa.event.listens_for(CaseEvent, "before_delete")
def _events_are_never_deleted(mapper, connection, target) -> None:
    raise RuntimeError("case events are append-only")


class Answer(db.Model):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, 16))
    text: Mapped[str] = mapped_column(sa.Text)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="answer")
    officer = relationship("User")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="answer", order_by="Measure.position", cascade="all, delete-orphan", lazy="selectin"
    )


class Measure(db.Model):
    """A concrete measure promised in an answer: what, by whom, by when."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.Text)
    responsible: Mapped[str] = mapped_column(sa.String(300))
    due_on: Mapped[date]

    answer: Mapped[Answer] = relationship(back_populates="measures")


class Rating(db.Model):
    __tablename__ = "ratings"
    __table_args__ = (sa.UniqueConstraint("case_id", "user_id", name="uq_ratings_case_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    satisfied: Mapped[bool]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class DeadlineScope(enum.StrEnum):
    """Which authorities a deadline rule covers, from the least to the most specific."""

    ANY = "any"
    LOCAL = "local"
    CENTRAL = "central"


class DeadlineRule(db.Model):
    """Working days an authority has to answer a case, per source and authority level.

    The most specific matching row wins: one authority, then an authority kind, then local/central, then any;
    a row for the source beats a row for any source. Where no row matches, ``feedback.rules.DEFAULTS`` apply.
    """

    __tablename__ = "deadline_rules"
    # One row per (source, scope) for everyone and one per (source, authority): two partial unique indexes,
    # because a unique constraint lets any number of rows with a NULL authority through.
    __table_args__ = (
        sa.Index(
            "uq_deadline_rules_source_scope",
            "source",
            "scope",
            unique=True,
            postgresql_where=sa.text("authority_id IS NULL"),
            sqlite_where=sa.text("authority_id IS NULL"),
        ),
        sa.Index(
            "uq_deadline_rules_source_authority",
            "source",
            "authority_id",
            unique=True,
            postgresql_where=sa.text("authority_id IS NOT NULL"),
            sqlite_where=sa.text("authority_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A CaseSource value, or "" for any source.
    source: Mapped[str] = mapped_column(sa.String(32), default="")
    #: "any", "local", "central" or an AuthorityKind value.
    scope: Mapped[str] = mapped_column(sa.String(24), default=DeadlineScope.ANY.value)
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id", ondelete="CASCADE"))
    working_days: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    authority = relationship("Authority")
